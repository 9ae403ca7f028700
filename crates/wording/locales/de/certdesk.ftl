# certdesks Sätze auf Deutsch. Jede Nachricht gibt es in jeder Sprache mit denselben Werten
# ($name); die Tests von crates/wording prüfen das. Ids: verdict-*, finding-*, remedy-*.

## Das Ergebnis der Seitenprüfung

verdict-accepted = { $host } hat Ihr Zertifikat akzeptiert.
verdict-rejected = { $host } hat Ihr Zertifikat nicht akzeptiert.
verdict-not-requested = { $host } hat nicht nach einem Zertifikat gefragt.
verdict-failed = Die Prüfung von { $host } konnte nicht abgeschlossen werden.

## Was die Seitenprüfung gefunden hat

finding-cert-expired = Ihr Zertifikat ist abgelaufen.
finding-cert-not-yet-valid = Ihr Zertifikat ist noch nicht gültig.
finding-missing-client-auth-eku = Ihr Zertifikat ist nicht für die Anmeldung bei Websites gemacht.
finding-incomplete-chain = Die Ausstellerkette des Zertifikats ist auf diesem Computer unvollständig.
finding-unreachable = { $host }:{ $port } war nicht erreichbar.
finding-connection-broke-off = Die Verbindung zu { $host } ist abgebrochen.
finding-server-name-mismatch = Das Zertifikat der Website gilt nicht für den Namen { $host }.
finding-server-untrusted = Dieser Computer vertraut dem Zertifikat der Website nicht.
finding-tls-version-mismatch = Die Website und certdesk haben keine TLS-Version gemeinsam.
finding-issuer-not-accepted = Die Website akzeptiert nur Zertifikate von { $accepted }; Ihres ist von { $issuer }.
finding-key-type-not-accepted = Die Website akzeptiert Ihren Schlüsseltyp nicht ({ $key }).
finding-cert-not-requested = Die Website hat nicht nach einem Zertifikat gefragt.
finding-rejected-bad-certificate = Die Website hat Ihr Zertifikat abgelehnt.
finding-rejected-http-401 = Die Website hat Ihr Zertifikat abgelehnt (HTTP 401).
finding-access-denied-http = Die Website hat Ihr Zertifikat akzeptiert, aber den Zugang verweigert (HTTP { $status }).
finding-rejected-unknown-ca = Die Website vertraut der Zertifizierungsstelle nicht, die Ihr Zertifikat ausgestellt hat.
finding-site-says-expired = Die Website meldet, dass Ihr Zertifikat abgelaufen ist.
finding-site-says-revoked = Die Website meldet, dass Ihr Zertifikat widerrufen wurde.
finding-access-denied-alert = Die Website hat das Zertifikat technisch akzeptiert, verweigert seinem Inhaber aber den Zugang.
finding-rejected-no-certificate = Die Website verlangt ein Zertifikat, und es wurde keines gesendet.
finding-http2-per-page-certificate = Die Website verwendet HTTP/2 und fragt nur auf manchen Seiten nach einem Zertifikat: Über HTTP/2 kann sie das nicht mehr, sobald die Verbindung steht (RFC 8740).
finding-post-handshake-accepted = Die Website akzeptiert Ihr Zertifikat, fragt aber nur auf manchen Seiten danach, nachdem die Verbindung steht: Chrome und Edge scheitern dort.
finding-post-handshake = Die Website fragt nur auf manchen Seiten nach einem Zertifikat, nachdem die Verbindung steht.

finding-token-cannot-sign-rsa-pss = Ihr Sicherheitsschlüssel „{ $token }“ kann die RSA-PSS-Signaturen nicht erzeugen, die diese Website braucht: Sie verwendet TLS 1.3, das RSA-Schlüssel nur mit RSA-PSS akzeptiert.

## Was zu tun ist
remedy-token-ecdsa-or-tls12 = Erzeugen Sie einen neuen ECDSA-Schlüssel auf dem Sicherheitsschlüssel und holen Sie dafür ein Zertifikat, oder bitten Sie die Administratoren der Website, TLS 1.2 für Zertifikatsanmeldungen zu erlauben.

remedy-renew = Erneuern Sie das Zertifikat oder beantragen Sie bei Ihrem Aussteller ein neues.
remedy-check-clock = Prüfen Sie, ob Datum und Uhrzeit dieses Computers stimmen, oder warten Sie, bis das Zertifikat gültig wird.
remedy-ask-client-auth-usage = Bitten Sie Ihren Aussteller um ein Zertifikat mit dem Verwendungszweck „Client-Authentifizierung“ (TLS Web Client Authentication).
remedy-import-chain = Importieren Sie auch das CA-Zertifikat des Ausstellers (bitten Sie Ihren Aussteller um die vollständige Kette).
remedy-check-network = Prüfen Sie die Adresse, Ihre Netzwerkverbindung und ein VPN oder einen Proxy, den Sie für diese Website brauchen.
remedy-try-again = Versuchen Sie es noch einmal; wenn es immer wieder passiert, senden Sie diesen Bericht an den Helpdesk der Website.
remedy-check-address = Prüfen Sie, ob Sie die Adresse der Website genau so eingegeben haben, wie Ihr Helpdesk sie Ihnen gegeben hat.
remedy-private-ca = Wenn die Website eine eigene Zertifizierungsstelle verwendet, holen Sie deren Zertifikat bei Ihrem Helpdesk und prüfen Sie erneut mit diesem; andernfalls fahren Sie nicht fort.
remedy-enable-tls = Bitten Sie den Administrator der Website, TLS 1.2 oder 1.3 einzuschalten.
remedy-get-accepted-ca = Holen Sie sich ein Zertifikat von einer der Zertifizierungsstellen, die die Website akzeptiert (der Helpdesk der Website sagt Ihnen, welche).
remedy-other-key-type = Beantragen Sie ein neues Zertifikat mit einem Schlüsseltyp, den die Website akzeptiert (bei älteren Websites: RSA 2048).
remedy-nothing-to-do = Nichts zu tun, wenn die Website funktioniert; sollte sie nach einem Zertifikat fragen, klären Sie die Adresse mit Ihrem Helpdesk.
remedy-ask-ca-or-revoked = Fragen Sie den Helpdesk der Website, welche Zertifizierungsstelle sie akzeptiert und ob Ihr Zertifikat widerrufen ist.
remedy-show-report-login = Zeigen Sie diesen Bericht dem Helpdesk der Website: Die Website hat dieses Zertifikat für die Anmeldung nicht akzeptiert.
remedy-show-report-no-reason = Zeigen Sie diesen Bericht dem Helpdesk der Website: Die Website hat das Zertifikat ohne Begründung abgelehnt.
remedy-ask-org-unit = Fragen Sie den Helpdesk der Website, ob die Organisation oder Abteilung in Ihrem Zertifikat zugelassen ist; die Website prüft mehr als nur das Zertifikat.
remedy-ask-which-ca = Fragen Sie den Helpdesk der Website, welche Zertifizierungsstelle sie akzeptiert, und holen Sie sich dort ein Zertifikat.
remedy-new-certificate-revoked = Beantragen Sie ein neues Zertifikat; ein widerrufenes kann nie wieder verwendet werden.
remedy-grant-access = Bitten Sie den Helpdesk der Website, Ihrem Zertifikat Zugang zu geben.
remedy-choose-certificate = Wählen Sie für diese Website eines Ihrer Zertifikate und prüfen Sie erneut; wenn Sie das getan haben, sagen die anderen Befunde, warum es nicht gesendet wurde.
remedy-http2-per-page = Ein Browser muss für eine solche Seite mit HTTP/1.1 neu beginnen, und tut das nur, wenn die Website HTTP_1_1_REQUIRED antwortet. Bitten Sie den Administrator der Website, das Zertifikat für die ganze Website zu verlangen oder HTTP/2 für sie abzuschalten (Apache: Protocols http/1.1).
remedy-whole-site = Bitten Sie den Administrator der Website, das Zertifikat für die ganze Website zu verlangen (Apache: SSLVerifyClient auf Ebene des virtuellen Hosts): Chrome und Edge können eine Anfrage pro Seite über TLS 1.3 nicht beantworten.

## Beschriftungen des Prüfberichts der Kommandozeile

label-problem = Problem
label-warning = Warnung
label-note = Hinweis
label-details = Einzelheiten
label-what-to-do = Was zu tun ist
label-on-command-line = auf der Kommandozeile
label-code = Code
label-yes = ja
label-no = nein
label-checked = Geprüft: { $url } ({ $address }:{ $port })
label-tls = TLS
label-certificate-asked = Zertifikat verlangt
label-accepted-issuers = akzeptierte Aussteller
label-presented = vorgelegt
label-presented-value = { $subject } (ausgestellt von { $issuer })
label-certificate-sent = Zertifikat gesendet
label-tls-alert = TLS-Alarm
label-http = HTTP
label-http-reset = { $version }, Anfrage abgebrochen mit { $code }
label-http-status = HTTP-Status
label-stopped-at = abgebrochen bei { $phase }
label-timings = Zeiten
label-key-on-token = Schlüssel auf Token
label-key-on-token-value = „{ $label }“ ({ $key }), signiert mit { $mechanisms }
label-no-signing-mechanism = keinem Signaturverfahren
label-tls12-retry = Über TLS 1.2, mit demselben Schlüssel auf dem Token: { $sentence }
label-tls12-status = HTTP-Status über TLS 1.2

## Mitteilungen (Desktop-Benachrichtigungen von certdesk watch und der App)

left-today = läuft heute ab
left-in-day = läuft in { $n } { $n ->
    [one] Tag
   *[other] Tagen
} ab
left-in-hour = läuft in { $n } { $n ->
    [one] Stunde
   *[other] Stunden
} ab
left-in-minute = läuft in { $n } { $n ->
    [one] Minute
   *[other] Minuten
} ab
left-in-second = läuft in { $n } { $n ->
    [one] Sekunde
   *[other] Sekunden
} ab
left-ago-day = ist vor { $n } { $n ->
    [one] Tag
   *[other] Tagen
} abgelaufen
left-ago-hour = ist vor { $n } { $n ->
    [one] Stunde
   *[other] Stunden
} abgelaufen
left-ago-minute = ist vor { $n } { $n ->
    [one] Minute
   *[other] Minuten
} abgelaufen
left-ago-second = ist vor { $n } { $n ->
    [one] Sekunde
   *[other] Sekunden
} abgelaufen
notice-ask-contact = Wenn Sie Hilfe brauchen, fragen Sie { $contact }.
notice-ask-anyone = Wenn Sie Hilfe brauchen, fragen Sie die Stelle, von der Sie dieses Zertifikat haben.
notice-title-expires = Zertifikat „{ $label }“ { $left }
notice-expires-soon = Ihr Zertifikat „{ $label }“ { $left }.
notice-todo-open-to-renew = Öffnen Sie certdesk, um es zu erneuern.
notice-needs-new-request = Ihr Zertifikat „{ $label }“ { $left }, und certdesk kann es nicht selbst erneuern: Es stammt nicht von einem Server, der Zertifikate automatisch erneuert.
notice-todo-new-request = Bitten Sie um ein neues Zertifikat (einen neuen Registrierungscode), öffnen Sie dann certdesk und beantragen Sie es.
notice-title-renewal-failed = Zertifikat „{ $label }“ wurde nicht erneuert
notice-renewal-failed = Ihr Zertifikat „{ $label }“ { $left }, und certdesk konnte es nicht erneuern: { $detail }.
notice-todo-renew-again = Öffnen Sie certdesk und versuchen Sie „Jetzt erneuern“; schlägt es wieder fehl, senden Sie dem Helpdesk den Bericht („Bericht für den Helpdesk kopieren“).
notice-title-renewal-pending = Erneuerung von „{ $label }“ wartet auf Freigabe
notice-renewal-pending = Der Server hält die Erneuerung Ihres Zertifikats „{ $label }“ zur Freigabe zurück; das aktuelle { $left }.
notice-todo-wait = Nichts zu tun, solange es nicht vorher abläuft; certdesk fragt bei der nächsten Prüfung erneut.
notice-title-store-not-updated = „{ $label }“ erneuert, aber nicht in { $store }
notice-store-not-updated = Ihr Zertifikat „{ $label }“ wurde erneuert, aber { $store } hat noch das alte: { $detail }.
notice-todo-install-again = Öffnen Sie certdesk und installieren Sie „{ $label }“ erneut in { $store }.
notice-title-site-rejects = { $site } hat das erneuerte „{ $label }“ nicht akzeptiert
notice-site-rejects = Ihr Zertifikat „{ $label }“ wurde erneuert, aber { $site } hat das neue nicht akzeptiert: { $detail }.
notice-todo-tell-help-desk = Sagen Sie es dem Helpdesk, mit dem Bericht aus certdesk („Bericht für den Helpdesk kopieren“).
notice-title-unreadable = Zertifikat „{ $label }“ kann nicht gelesen werden
notice-unreadable = certdesk kann Ihr Zertifikat „{ $label }“ nicht lesen und daher weder sagen, wann es abläuft, noch es erneuern: { $detail }.
notice-todo-send-report = Senden Sie dem Helpdesk den Bericht aus certdesk („Bericht für den Helpdesk kopieren“); vielleicht brauchen Sie ein neues Zertifikat.
notice-title-revoked = Zertifikat „{ $label }“ wurde widerrufen
notice-revoked = Die Zertifizierungsstelle hat Ihr Zertifikat „{ $label }“ widerrufen: Websites werden es ablehnen.
notice-todo-new-certificate = Bitten Sie um ein neues Zertifikat; verwenden Sie dieses nicht weiter.
notice-title-no-expiry = Zertifikat „{ $label }“
notice-no-expiry = Ihr Zertifikat „{ $label }“ hat kein Ablaufdatum.
