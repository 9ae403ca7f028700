# certdesk's sentences in English, the reference. Each message exists in every language with
# the same values ($name); crates/wording's tests check it. Ids: verdict-*, finding-*, remedy-*.

## The site check's verdict

verdict-accepted = { $host } accepted your certificate.
verdict-rejected = { $host } did not accept your certificate.
verdict-not-requested = { $host } did not ask for a certificate.
verdict-failed = The check of { $host } could not be completed.

## What the site check found

finding-cert-expired = Your certificate has expired.
finding-cert-not-yet-valid = Your certificate is not valid yet.
finding-missing-client-auth-eku = Your certificate is not made for logging in to websites.
finding-incomplete-chain = The certificate's issuing chain is incomplete on this computer.
finding-unreachable = Could not reach { $host }:{ $port }.
finding-connection-broke-off = The connection to { $host } broke off.
finding-server-name-mismatch = The site's certificate is not valid for the name { $host }.
finding-server-untrusted = This computer does not trust the site's certificate.
finding-tls-version-mismatch = The site and certdesk share no TLS version.
finding-issuer-not-accepted = The site only accepts certificates from { $accepted }; yours is from { $issuer }.
finding-key-type-not-accepted = The site does not accept your key type ({ $key }).
finding-cert-not-requested = The site did not ask for a certificate.
finding-rejected-bad-certificate = The site refused your certificate.
finding-rejected-http-401 = The site refused your certificate (HTTP 401).
finding-access-denied-http = The site accepted your certificate but refused access (HTTP { $status }).
finding-rejected-unknown-ca = The site does not trust the CA that issued your certificate.
finding-site-says-expired = The site says your certificate has expired.
finding-site-says-revoked = The site says your certificate has been revoked.
finding-access-denied-alert = The site accepted the certificate technically but denies its holder access.
finding-rejected-no-certificate = The site requires a certificate and none was sent.
finding-http2-per-page-certificate = The site uses HTTP/2 and asks for a certificate only on some pages: HTTP/2 cannot ask for one once the connection is set up (RFC 8740).
finding-post-handshake-accepted = The site accepts your certificate, but asks for it only on some pages, after the connection is set up: Chrome and Edge will fail there.
finding-post-handshake = The site asks for a certificate only on some pages, after the connection is set up.

finding-token-cannot-sign-rsa-pss = Your security key "{ $token }" cannot make the RSA-PSS signatures this site needs: it uses TLS 1.3, which accepts RSA keys only with RSA-PSS.

## What to do about it
remedy-token-ecdsa-or-tls12 = Make a new ECDSA key on the security key and get a certificate for it, or ask the site's administrators to allow TLS 1.2 for certificate logins.

remedy-renew = Renew the certificate or request a new one from your issuer.
remedy-check-clock = Check that this computer's date and time are correct, or wait until the certificate becomes valid.
remedy-ask-client-auth-usage = Ask your issuer for a certificate with the "client authentication" usage (TLS Web Client Authentication).
remedy-import-chain = Import the issuer's CA certificate as well (ask your issuer for the full chain).
remedy-check-network = Check the address, your network connection and any VPN or proxy you need for this site.
remedy-try-again = Try again; if it keeps happening, send this report to the site's help desk.
remedy-check-address = Check that you typed the site's address exactly as your help desk gave it.
remedy-private-ca = If the site uses a private CA, get that CA's certificate from your help desk and check again trusting it; otherwise do not continue.
remedy-enable-tls = Ask the site's administrator to enable TLS 1.2 or 1.3.
remedy-get-accepted-ca = Get a certificate from one of the CAs the site accepts (ask the site's help desk which one).
remedy-other-key-type = Request a new certificate with a key type the site accepts (for older sites: RSA 2048).
remedy-nothing-to-do = Nothing to do if the site works; if it should ask for one, check the address with your help desk.
remedy-ask-ca-or-revoked = Ask the site's help desk which CA it accepts and whether your certificate is revoked.
remedy-show-report-login = Show this report to the site's help desk: the site did not accept this certificate for logging in.
remedy-show-report-no-reason = Show this report to the site's help desk: the site refused the certificate without saying why.
remedy-ask-org-unit = Ask the site's help desk whether your certificate's organisation or unit is allowed; the site checks more than the certificate itself.
remedy-ask-which-ca = Ask the site's help desk which CA it accepts, and get a certificate from it.
remedy-new-certificate-revoked = Request a new certificate; a revoked one can never be used again.
remedy-grant-access = Ask the site's help desk to grant your certificate access.
remedy-choose-certificate = Choose one of your certificates for this site and check again; if you did, see the other findings for why it was not sent.
remedy-http2-per-page = A browser has to start over with HTTP/1.1 for such a page, and only does so when the site answers HTTP_1_1_REQUIRED. Ask the site's administrator to require the certificate for the whole site, or to turn HTTP/2 off for it (Apache: Protocols http/1.1).
remedy-whole-site = Ask the site's administrator to require the certificate for the whole site (Apache: SSLVerifyClient at the virtual-host level): Chrome and Edge cannot answer a per-page request over TLS 1.3.

## Labels of the command line's site-check report

label-problem = problem
label-warning = warning
label-note = note
label-details = details
label-what-to-do = what to do
label-on-command-line = on the command line
label-code = code
label-yes = yes
label-no = no
label-checked = Checked { $url } ({ $address }:{ $port })
label-tls = TLS
label-certificate-asked = certificate asked
label-accepted-issuers = accepted issuers
label-presented = presented
label-presented-value = { $subject } (issued by { $issuer })
label-certificate-sent = certificate sent
label-tls-alert = TLS alert
label-http = HTTP
label-http-reset = { $version }, request reset with { $code }
label-http-status = HTTP status
label-stopped-at = stopped at { $phase }
label-timings = timings
label-key-on-token = key on token
label-key-on-token-value = "{ $label }" ({ $key }), signs with { $mechanisms }
label-no-signing-mechanism = no signing mechanism
label-tls12-retry = Over TLS 1.2, with the same key on the token: { $sentence }
label-tls12-status = HTTP status over TLS 1.2

## Notices (desktop notifications of certdesk watch and of the app)

left-today = expires today
left-in-day = expires in { $n } { $n ->
    [one] day
   *[other] days
}
left-in-hour = expires in { $n } { $n ->
    [one] hour
   *[other] hours
}
left-in-minute = expires in { $n } { $n ->
    [one] minute
   *[other] minutes
}
left-in-second = expires in { $n } { $n ->
    [one] second
   *[other] seconds
}
left-ago-day = expired { $n } { $n ->
    [one] day
   *[other] days
} ago
left-ago-hour = expired { $n } { $n ->
    [one] hour
   *[other] hours
} ago
left-ago-minute = expired { $n } { $n ->
    [one] minute
   *[other] minutes
} ago
left-ago-second = expired { $n } { $n ->
    [one] second
   *[other] seconds
} ago
notice-ask-contact = If you need help, ask { $contact }.
notice-ask-anyone = If you need help, ask whoever gave you this certificate.
notice-title-expires = Certificate "{ $label }" { $left }
notice-expires-soon = Your certificate "{ $label }" { $left }.
notice-todo-open-to-renew = Open certdesk to renew it.
notice-needs-new-request = Your certificate "{ $label }" { $left }, and certdesk cannot renew it by itself: it did not come from a server that renews certificates automatically.
notice-todo-new-request = Ask for a new certificate (a new enrollment code), then open certdesk and request it.
notice-title-renewal-failed = Certificate "{ $label }" was not renewed
notice-renewal-failed = Your certificate "{ $label }" { $left } and certdesk could not renew it: { $detail }.
notice-todo-renew-again = Open certdesk and try "Renew now"; if it fails again, send the help desk the report ("Copy report for the help desk").
notice-title-renewal-pending = Renewal of "{ $label }" awaits approval
notice-renewal-pending = The server holds the renewal of your certificate "{ $label }" for approval; the current one { $left }.
notice-todo-wait = Nothing to do unless it expires first; certdesk asks again on its next check.
notice-title-store-not-updated = "{ $label }" renewed, but not in { $store }
notice-store-not-updated = Your certificate "{ $label }" was renewed, but { $store } still has the old one: { $detail }.
notice-todo-install-again = Open certdesk and install "{ $label }" into { $store } again.
notice-title-site-rejects = { $site } did not accept the renewed "{ $label }"
notice-site-rejects = Your certificate "{ $label }" was renewed, but { $site } did not accept the new one: { $detail }.
notice-todo-tell-help-desk = Tell the help desk, with the report from certdesk ("Copy report for the help desk").
notice-title-unreadable = Certificate "{ $label }" cannot be read
notice-unreadable = certdesk cannot read your certificate "{ $label }", so it cannot tell when it expires or renew it: { $detail }.
notice-todo-send-report = Send the help desk the report from certdesk ("Copy report for the help desk"); you may need a new certificate.
notice-title-revoked = Certificate "{ $label }" was revoked
notice-revoked = The certificate authority revoked your certificate "{ $label }": sites will refuse it.
notice-todo-new-certificate = Ask for a new certificate; do not keep using this one.
notice-title-no-expiry = Certificate "{ $label }"
notice-no-expiry = Your certificate "{ $label }" has no expiry date.
