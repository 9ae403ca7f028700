//! The one error type of certdesk-core.
//!
//! Messages are lowercase, name the operand and say what was expected and what was found. The
//! common human mistakes have variants of their own so that callers can branch on them
//! (`WrongPassword`, `CertDoesNotMatchKey`, `HtmlInsteadOfCertificate`, …); [`Error::hint`] gives
//! the concrete action a person can take.

use std::path::PathBuf;

/// Result alias used across certdesk-core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every failure certdesk-core reports.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A subject field or other user input breaks a rule (length, alphabet, emptiness).
    #[error("invalid {field}: {reason}")]
    InvalidField {
        /// The field as the user knows it (`CN`, `C`, `email`, `label`, …).
        field: String,
        /// What is wrong, with the value or limit.
        reason: String,
    },
    /// A password for a PKCS#12 file or an encrypted key did not open it.
    #[error("wrong password for {what}")]
    WrongPassword {
        /// What the password was for (a file name or "the key of identity …").
        what: String,
    },
    /// The certificate's public key is not the key of the identity it was meant for.
    #[error("the certificate for {subject} does not match the key of identity {id}")]
    CertDoesNotMatchKey {
        /// Subject of the certificate that was offered.
        subject: String,
        /// The identity that was named.
        id: String,
    },
    /// No pending request in the wallet holds the key of any certificate in the reply.
    #[error("no waiting request in this wallet holds the key for {subject} (in {source_name})")]
    NoMatchingRequest {
        /// Subject of the leaf-looking certificate in the reply.
        subject: String,
        /// Where the reply came from.
        source_name: String,
    },
    /// The input held something other than what the operation needs.
    #[error("expected {expected}, found {found} in {source_name}")]
    UnexpectedContent {
        /// What the operation needs (`a CERTIFICATE`).
        expected: String,
        /// What was there (`a PRIVATE KEY`).
        found: String,
        /// File name or other origin.
        source_name: String,
    },
    /// A web page arrived where a certificate was expected (a login page, an error page).
    #[error("expected a certificate, found an HTML page{} in {source_name}", title.as_deref().map(|t| format!(" titled \"{t}\"")).unwrap_or_default())]
    HtmlInsteadOfCertificate {
        /// The page's `<title>`, when it has one.
        title: Option<String>,
        /// File name or URL.
        source_name: String,
    },
    /// The input is empty or only whitespace.
    #[error("{source_name} is empty")]
    EmptyInput {
        /// File name or other origin.
        source_name: String,
    },
    /// The input starts like a known format but ends early.
    #[error("{source_name} is cut off: {detail}")]
    Truncated {
        /// File name or other origin.
        source_name: String,
        /// Which structure ended early.
        detail: String,
    },
    /// The input is in no format certdesk knows.
    #[error("{source_name} is not a certificate, request, PKCS#7 or PKCS#12 file ({detail})")]
    Unrecognised {
        /// File name or other origin.
        source_name: String,
        /// What it looked like.
        detail: String,
    },
    /// A structure in a known format could not be decoded.
    #[error("{what} in {source_name} could not be read: {detail}")]
    Malformed {
        /// The structure (`the certificate`, `the PKCS#7 bundle`).
        what: String,
        /// File name or other origin.
        source_name: String,
        /// The decoder's complaint.
        detail: String,
    },
    /// The key being imported is already held by an identity in the wallet.
    #[error("this key is already in the wallet as identity {id} ({label})")]
    AlreadyInWallet {
        /// The existing identity.
        id: String,
        /// Its label.
        label: String,
    },
    /// No identity with this id or label.
    #[error("no identity {id} in the wallet at {home}")]
    IdentityNotFound {
        /// What was asked for.
        id: String,
        /// The wallet directory.
        home: PathBuf,
    },
    /// An id prefix matched more than one identity.
    #[error("{id} matches several identities: {matches}")]
    AmbiguousIdentity {
        /// The prefix or label.
        id: String,
        /// The matching ids, comma separated.
        matches: String,
    },
    /// The operation needs an issued identity but this one still waits for its certificate.
    #[error("identity {id} has no certificate yet (it is waiting for one)")]
    NotIssued {
        /// The identity.
        id: String,
    },
    /// No OS keyring is reachable to hold a wrapping secret, and no passphrase was given.
    #[error("no OS keyring is reachable to protect the private key: {detail}")]
    NoKeyring {
        /// Why the keyring could not be used.
        detail: String,
    },
    /// The key was protected with a passphrase and none was supplied.
    #[error("the key of identity {id} is protected by a passphrase and none was given")]
    PassphraseRequired {
        /// The identity.
        id: String,
    },
    /// The keyring no longer holds the wrapping secret of this identity.
    #[error("the OS keyring has no secret for identity {id}: {detail}")]
    KeyringSecretMissing {
        /// The identity.
        id: String,
        /// The keyring's words.
        detail: String,
    },
    /// The keyring refused or failed an operation.
    #[error("the OS keyring failed to {op}: {detail}")]
    Keyring {
        /// What we asked the keyring to do.
        op: String,
        /// The keyring's words.
        detail: String,
    },
    /// A file in the wallet is unreadable as what it should be.
    #[error("the wallet file {path} is damaged: {detail}")]
    CorruptWallet {
        /// The damaged file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// The server answered, but the whole answer did not arrive within the exchange's deadline
    /// (a server trickling its answer byte by byte).
    #[error("{url} sent its answer too slowly: it was not complete after {seconds} s")]
    TooSlow {
        /// The address.
        url: String,
        /// The deadline of the whole exchange.
        seconds: u64,
    },
    /// The wallet folder could be changed by someone else (see `Wallet::open`).
    #[error("the wallet folder {path} is not safe to use: {detail}")]
    UnsafeWallet {
        /// The folder.
        path: PathBuf,
        /// Who else could write to it.
        detail: String,
    },
    /// Key generation or a signature failed inside the crypto library.
    #[error("the crypto library failed to {op}: {detail}")]
    Crypto {
        /// What we asked for.
        op: String,
        /// The library's words.
        detail: String,
    },
    /// A help-desk profile has problems; each carries its line and column.
    #[error("{source_name} is not a usable profile: {}", problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; "))]
    InvalidProfile {
        /// File name or URL of the profile.
        source_name: String,
        /// Every problem found, in file order.
        problems: Vec<crate::profile::ProfileProblem>,
    },
    /// The profile in use does not allow what was asked (a locked field, a key type).
    #[error("the profile \"{profile}\" does not allow this {field}: {reason}")]
    ProfileRefused {
        /// The field (`name`, `O`, `email`, `key type`).
        field: String,
        /// What the profile fixes and what was given.
        reason: String,
        /// The profile's name.
        profile: String,
    },
    /// A filesystem operation failed.
    #[error("could not {op} {path}")]
    Io {
        /// The operation (`read`, `write`, `create directory`).
        op: &'static str,
        /// The path concerned.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A local server (the practice CA) could not listen on its address.
    #[error("could not listen on {address}")]
    Listen {
        /// The address asked for (`127.0.0.1:8443`).
        address: String,
        /// The OS error (`AddrInUse` when another program holds the port).
        #[source]
        source: std::io::Error,
    },
    /// The practice CA kept in `dir` cannot be opened with the protection given.
    #[error("the practice CA in {dir} cannot be opened: {detail}")]
    PracticeCaUnusable {
        /// The practice CA's data directory.
        dir: PathBuf,
        /// Why (protected differently, keyring entry gone, damaged file).
        detail: String,
    },
    /// The server's certificate chain ends in a CA this computer does not trust (trust
    /// bootstrap: the person must confirm the fingerprint, or give the CA file).
    #[error("the server {host} presents a certificate from \"{ca_subject}\" that this computer does not trust (SHA-256 {ca_sha256})")]
    ServerNotTrusted {
        /// Host name as given in the URL.
        host: String,
        /// Subject of the topmost certificate the server sent (the CA to pin).
        ca_subject: String,
        /// SHA-256 of that certificate, colon-separated hex: the value to pin.
        ca_sha256: String,
    },
    /// The server's certificate is not valid for the address, expired, or the TLS handshake
    /// failed for another reason.
    #[error("a secure connection to {host} failed: {detail}")]
    TlsFailed {
        /// Host name as given in the URL.
        host: String,
        /// What went wrong, in words.
        detail: String,
    },
    /// Nothing answered at the address (DNS failure, refused connection, no route).
    #[error("could not reach {url}: {detail}")]
    Unreachable {
        /// The address.
        url: String,
        /// The system's words.
        detail: String,
    },
    /// The server did not answer in time.
    #[error("{url} did not answer within {seconds} s")]
    Timeout {
        /// The address.
        url: String,
        /// The limit that passed.
        seconds: u64,
    },
    /// The server wants a user name and enrollment code or password, or did not accept them.
    #[error("{url} {}", if *sent_credentials { "did not accept the user name and code or password (401)" } else { "asks for a user name and an enrollment code or password (401)" })]
    AuthenticationFailed {
        /// The address.
        url: String,
        /// Whether credentials were sent.
        sent_credentials: bool,
    },
    /// The server understood the request and refused it (403).
    #[error("{url} refused the request (403 Forbidden){}", server_says(detail))]
    EnrollmentForbidden {
        /// The address.
        url: String,
        /// The server's own words, shortened.
        detail: String,
    },
    /// Nothing at this address speaks the expected protocol (404).
    #[error("there is no {service} at {url} (404 Not Found)")]
    NoServiceAtUrl {
        /// `EST service`, `upload page`.
        service: String,
        /// The address.
        url: String,
    },
    /// The server failed (5xx).
    #[error("{url} failed with {status}{}", server_says(detail))]
    ServerFailed {
        /// The address.
        url: String,
        /// Status code and reason (`503 Service Unavailable`).
        status: String,
        /// The server's own words, shortened.
        detail: String,
    },
    /// Any other HTTP status the operation cannot use.
    #[error("{url} answered {status}{}", server_says(detail))]
    UnexpectedStatus {
        /// The address.
        url: String,
        /// Status code and reason.
        status: String,
        /// The server's own words, shortened.
        detail: String,
    },
    /// A redirect pointed to a plain-text `http://` address; certdesk does not follow it.
    #[error(
        "{from} redirected to the unencrypted address {to}; certdesk does not send requests there"
    )]
    InsecureRedirect {
        /// Where we asked.
        from: String,
        /// Where the server sent us.
        to: String,
    },
    /// A PKCS#11 module (the library that talks to a security key, smart card or TPM) could
    /// not be loaded or answered with an error.
    #[error("the PKCS#11 module {module} could not be used: {detail}")]
    TokenModule {
        /// The module's path.
        module: String,
        /// What went wrong.
        detail: String,
    },
    /// No token matches the label or serial number asked for.
    #[error("no token called \"{wanted}\" is present (present: {present})")]
    TokenNotFound {
        /// The label or serial asked for.
        wanted: String,
        /// The tokens present, as `label (serial)`, or `none`.
        present: String,
    },
    /// The token refused the PIN.
    #[error("the token \"{token}\" refused the PIN{tries}")]
    TokenPinRefused {
        /// The token's label.
        token: String,
        /// What the token says about the tries left (may be empty).
        tries: String,
    },
    /// The token's PIN is locked after too many wrong tries.
    #[error("the PIN of the token \"{token}\" is locked after too many wrong tries")]
    TokenLocked {
        /// The token's label.
        token: String,
    },
    /// The token failed an operation.
    #[error("the token \"{token}\" could not {action}: {detail}")]
    TokenFailed {
        /// The token's label.
        token: String,
        /// What certdesk asked of it.
        action: String,
        /// The module's answer.
        detail: String,
    },
    /// The key of an identity lives on a token: it cannot be exported or copied out.
    #[error("the private key of identity {id} lives on the token \"{token}\" and cannot leave it, so it cannot be {action}")]
    KeyOnToken {
        /// The identity.
        id: String,
        /// The token's label.
        token: String,
        /// What was asked (`exported`, `signed again here`).
        action: String,
    },
    /// A token operation needs the user PIN and none was given.
    #[error("the key of identity {id} is on the token \"{token}\", which needs its PIN")]
    TokenPinRequired {
        /// The identity.
        id: String,
        /// The token's label.
        token: String,
    },
    /// An enrollment server redirected to another server (host or port); certdesk sends codes,
    /// requests and client certificates only to the server that was named.
    #[error("{from} redirected to another server, {to}; certdesk sends enrollment requests only to the server it was given")]
    RedirectElsewhere {
        /// Where we asked.
        from: String,
        /// Where the server sent us.
        to: String,
    },
    /// The enrollment server answered with a certificate for some other key.
    #[error(
        "{url} answered with a certificate for a different key ({subject}), not for this request"
    )]
    WrongCertificateFromServer {
        /// The address.
        url: String,
        /// Subject of the certificate it sent.
        subject: String,
    },
    /// The answer is larger than any legitimate answer can be.
    #[error("the answer from {url} is larger than {limit} bytes; certdesk stopped reading it")]
    ResponseTooLarge {
        /// The address.
        url: String,
        /// The limit.
        limit: usize,
    },
    /// A `certdesk://` profile link or a profile download cannot be used (bad link, plain
    /// http://, a web page instead of a profile, a checksum that does not match).
    #[error("{link}: {reason}")]
    ProfileLink {
        /// The link or URL as given.
        link: String,
        /// Stable code: `bad_link`, `insecure_url`, `not_found`, `html_page`, `too_large`,
        /// `not_text`, `sha256_mismatch`.
        code: &'static str,
        /// Plain words.
        reason: String,
    },
    /// A web address that certdesk refuses to use (see `weburl`): a control character or space
    /// inside, credentials, plain http, no host, a bad port.
    #[error("the {field} \"{url}\" cannot be used: {reason}")]
    BadUrl {
        /// What the address is for (`site address`, `enrollment address`, …).
        field: String,
        /// The address as it may be shown (control characters escaped, credentials hidden).
        url: String,
        /// Plain words.
        reason: String,
        /// Stable code: `url_control_character`, `url_whitespace`, `url_credentials`,
        /// `insecure_url`, `url_not_https`, `url_no_host`, `url_bad_port`, `url_malformed`.
        code: &'static str,
    },
    /// A SCEP server's answer (CertRep or GetCACert) that certdesk must not use.
    #[error("{}", scep_reply_message(url, *problem, detail))]
    ScepReply {
        /// The address.
        url: String,
        /// What is wrong.
        problem: crate::enroll::scep::ScepProblem,
        /// Detail for the administrator.
        detail: String,
    },
    /// The SCEP server refused the request (CertRep FAILURE).
    #[error("{}", scep_failure_message(url, *info, text.as_deref()))]
    ScepFailure {
        /// The address.
        url: String,
        /// failInfo.
        info: crate::enroll::scep::FailInfo,
        /// failInfoText, if sent.
        text: Option<String>,
    },
    /// Over plain http://, the SCEP CA certificate was not confirmed by a fingerprint.
    #[error("the SCEP CA at {url} is {subject} with SHA-256 fingerprint {ca_sha256}; certdesk has not been told to trust it")]
    ScepCaNotConfirmed {
        /// The address.
        url: String,
        /// The CA's subject.
        subject: String,
        /// Its fingerprint (colon hex).
        ca_sha256: String,
    },
    /// The SCEP CA certificate does not match the confirmed fingerprint or CA file.
    #[error("the SCEP server at {url} sent the CA certificate {subject} with SHA-256 fingerprint {found}, not the CA certdesk was told to trust ({expected})")]
    ScepCaMismatch {
        /// The address.
        url: String,
        /// What it sent.
        subject: String,
        /// Its fingerprint.
        found: String,
        /// The fingerprint (or CA file) given.
        expected: String,
    },
    /// A SCEP request needs an RSA key.
    #[error("SCEP needs an RSA key: the server encrypts the certificate to the request's key, which only RSA can receive; this request has {key}")]
    ScepNeedsRsa {
        /// The request's key type.
        key: String,
    },
}

fn scep_reply_message(
    url: &str,
    problem: crate::enroll::scep::ScepProblem,
    detail: &str,
) -> String {
    use crate::enroll::scep::ScepProblem as P;
    let what = match problem {
        P::NotPkiMessage => "the answer from {url} is not a SCEP message",
        P::ForeignSigner => "the answer from {url} is signed by a certificate that is not the SCEP CA's or RA's",
        P::BadSignature => "the signature of the answer from {url} does not verify: it was altered or forged",
        P::TransactionMismatch => "the answer from {url} belongs to another request (its transactionID is not this request's)",
        P::NonceMismatch => "the answer from {url} does not answer this message (its nonce is not the one certdesk sent): an old or replayed answer",
        P::NotForUs => "the answer from {url} is encrypted to another key, not to this request's",
        P::UnsupportedAlgorithm => "the answer from {url} uses an algorithm certdesk does not accept",
        P::NoCertificate => "the answer from {url} says success but holds no certificate",
    };
    format!("{} ({detail})", what.replace("{url}", url))
}

fn scep_failure_message(
    url: &str,
    info: crate::enroll::scep::FailInfo,
    text: Option<&str>,
) -> String {
    use crate::enroll::scep::FailInfo as F;
    let what = match info {
        F::BadRequest => "the SCEP server at {url} refused the request (badRequest): the challenge password was not accepted, or the request is not allowed",
        F::BadAlg => "the SCEP server at {url} refused the request (badAlg): it does not accept an algorithm certdesk used",
        F::BadMessageCheck => "the SCEP server at {url} refused the request (badMessageCheck): it could not verify the message's signature",
        F::BadTime => "the SCEP server at {url} refused the request (badTime): this computer's clock and the server's disagree",
        F::BadCertId => "the SCEP server at {url} refused the request (badCertId): it finds no certificate or request matching this one",
        F::Unknown => "the SCEP server at {url} refused the request without saying why",
    };
    let mut out = what.replace("{url}", url);
    if let Some(t) = text.filter(|t| !t.is_empty()) {
        out.push_str(&format!(": the server says \"{t}\""));
    }
    out
}

/// Coarse classes of [`Error`] that front ends branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The user typed something that breaks a rule.
    InvalidInput,
    /// A password or passphrase did not open the file or key.
    WrongPassword,
    /// The named identity does not exist (or the name is ambiguous).
    NotFound,
    /// The OS keyring is missing, locked or failed.
    Keyring,
    /// A filesystem error.
    Io,
    /// A file is not what the operation needs (HTML, a key, truncated, unknown).
    BadFile,
    /// A certificate does not belong to the key it was offered for.
    Mismatch,
    /// A failure of certdesk or its libraries rather than of the input.
    Internal,
    /// The network or the TLS connection failed (unreachable, timeout, handshake).
    Network,
    /// The server's CA is not trusted: show its fingerprint and ask the person.
    UntrustedServer,
    /// The server wants credentials or did not accept them.
    Authentication,
    /// The server answered, but refused or could not serve the request.
    ServerRefused,
}

impl ErrorKind {
    /// A stable snake_case name for JSON output (`wrong_password`, `bad_file`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::WrongPassword => "wrong_password",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Keyring => "keyring",
            ErrorKind::Io => "io",
            ErrorKind::BadFile => "bad_file",
            ErrorKind::Mismatch => "mismatch",
            ErrorKind::Internal => "internal",
            ErrorKind::Network => "network",
            ErrorKind::UntrustedServer => "untrusted_server",
            ErrorKind::Authentication => "authentication",
            ErrorKind::ServerRefused => "server_refused",
        }
    }
}

impl Error {
    /// The class of this error, for front ends that branch on it.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidField { .. }
            | Error::NotIssued { .. }
            | Error::AlreadyInWallet { .. } => ErrorKind::InvalidInput,
            Error::WrongPassword { .. } | Error::PassphraseRequired { .. } => {
                ErrorKind::WrongPassword
            }
            Error::CertDoesNotMatchKey { .. }
            | Error::NoMatchingRequest { .. }
            | Error::WrongCertificateFromServer { .. } => ErrorKind::Mismatch,
            Error::UnexpectedContent { .. }
            | Error::HtmlInsteadOfCertificate { .. }
            | Error::EmptyInput { .. }
            | Error::Truncated { .. }
            | Error::Unrecognised { .. }
            | Error::Malformed { .. } => ErrorKind::BadFile,
            Error::IdentityNotFound { .. } | Error::AmbiguousIdentity { .. } => ErrorKind::NotFound,
            Error::NoKeyring { .. }
            | Error::KeyringSecretMissing { .. }
            | Error::Keyring { .. } => ErrorKind::Keyring,
            Error::Io { .. } | Error::Listen { .. } => ErrorKind::Io,
            Error::PracticeCaUnusable { .. } => ErrorKind::BadFile,
            Error::CorruptWallet { .. } => ErrorKind::BadFile,
            Error::UnsafeWallet { .. } => ErrorKind::Io,
            Error::TooSlow { .. } => ErrorKind::Network,
            Error::ServerNotTrusted { .. } => ErrorKind::UntrustedServer,
            Error::TlsFailed { .. } | Error::Unreachable { .. } | Error::Timeout { .. } => {
                ErrorKind::Network
            }
            Error::AuthenticationFailed { .. } => ErrorKind::Authentication,
            Error::EnrollmentForbidden { .. }
            | Error::NoServiceAtUrl { .. }
            | Error::ServerFailed { .. }
            | Error::UnexpectedStatus { .. }
            | Error::InsecureRedirect { .. }
            | Error::RedirectElsewhere { .. }
            | Error::ResponseTooLarge { .. } => ErrorKind::ServerRefused,
            Error::InvalidProfile { .. } => ErrorKind::BadFile,
            Error::TokenModule { .. } | Error::TokenFailed { .. } => ErrorKind::Io,
            Error::TokenNotFound { .. } => ErrorKind::NotFound,
            Error::TokenPinRefused { .. } | Error::TokenLocked { .. } => ErrorKind::WrongPassword,
            Error::TokenPinRequired { .. } => ErrorKind::WrongPassword,
            Error::KeyOnToken { .. } => ErrorKind::InvalidInput,
            Error::ProfileRefused { .. } => ErrorKind::InvalidInput,
            Error::BadUrl { .. } => ErrorKind::InvalidInput,
            Error::ProfileLink { code, .. } => match *code {
                "bad_link" | "insecure_url" => ErrorKind::InvalidInput,
                "not_found" | "too_large" => ErrorKind::ServerRefused,
                _ => ErrorKind::BadFile,
            },
            Error::Crypto { .. } => ErrorKind::Internal,
            Error::ScepReply { .. } => ErrorKind::ServerRefused,
            Error::ScepFailure { .. } => ErrorKind::ServerRefused,
            Error::ScepCaNotConfirmed { .. } | Error::ScepCaMismatch { .. } => {
                ErrorKind::UntrustedServer
            }
            Error::ScepNeedsRsa { .. } => ErrorKind::InvalidInput,
        }
    }

    /// A concrete next step for a person, when there is one.
    pub fn hint(&self) -> Option<String> {
        let hint = match self {
            Error::InvalidField { field, .. } if field == "C" => {
                "use the two-letter country code, for example DE, FR or US"
            }
            Error::InvalidField { .. } => "correct the value and try again",
            Error::WrongPassword { .. } => {
                "check the password (it is case-sensitive); ask whoever gave you the file if you do not have it"
            }
            Error::CertDoesNotMatchKey { .. } => {
                "import it without naming an identity to let certdesk find the matching request, or ask the issuer whether they signed the right request"
            }
            Error::NoMatchingRequest { .. } => {
                "this certificate was made for a key that is not on this computer; check that you received the reply to the request created here (`certdesk identity list` shows what is waiting)"
            }
            Error::UnexpectedContent { found, .. } if found.contains("PRIVATE KEY") => {
                "a private key file is not a certificate; never send or import someone else's private key: import the certificate the issuer sent you"
            }
            Error::UnexpectedContent { found, .. } if found.contains("REQUEST") => {
                "this is the request you send to the issuer; import the certificate they send back instead"
            }
            Error::UnexpectedContent { found, .. } if found.contains("PKCS#12") => {
                "to bring in a .p12/.pfx file, give its password with --password-file"
            }
            Error::UnexpectedContent { .. } => "check that you picked the right file",
            Error::HtmlInsteadOfCertificate { source_name, .. } if source_name.starts_with("https://") => {
                "the address leads to a web page, not to the certificate service: check the address with your help desk; your request is kept"
            }
            Error::HtmlInsteadOfCertificate { .. } => {
                "the download gave a web page (often a login or error page): open the portal in a browser, sign in, and download the certificate file itself"
            }
            Error::EmptyInput { source_name } if source_name.starts_with("https://") => {
                "the server said yes but sent nothing: tell your help desk; your request is kept and can be sent again"
            }
            Error::WrongCertificateFromServer { .. } => {
                "the server mixed up requests: tell your help desk; your request is kept and can be sent again"
            }
            Error::EmptyInput { .. } => "the file has no content: download or save the certificate again",
            Error::Truncated { .. } => {
                "the file is incomplete: download it again or ask for it to be re-sent as an attachment"
            }
            Error::Unrecognised { source_name, .. } | Error::Malformed { source_name, .. }
                if source_name.starts_with("https://") =>
            {
                "the server's answer is not a certificate: tell your help desk what this message says; your request is kept"
            }
            Error::Unrecognised { .. } | Error::Malformed { .. } => {
                "ask the issuer for the certificate as a .pem, .cer/.crt or .p7b file"
            }
            Error::AlreadyInWallet { .. } => {
                "nothing to do: use that identity (`certdesk identity show ID`)"
            }
            Error::IdentityNotFound { .. } => "run `certdesk identity list` to see the identities",
            Error::AmbiguousIdentity { .. } => "give more characters of the id",
            Error::NotIssued { .. } => {
                "import the certificate you received for this request first (`certdesk import FILE`)"
            }
            Error::NoKeyring { .. } => {
                "unlock or start your desktop keyring, or protect the key with your own passphrase (--passphrase-file FILE)"
            }
            Error::PassphraseRequired { .. } => {
                "give the passphrase chosen when the request was created (--passphrase-file FILE)"
            }
            Error::KeyringSecretMissing { .. } => {
                "the keyring entry was deleted or belongs to another login; without it the key cannot be opened, so create a new request"
            }
            Error::Keyring { .. } => "unlock your desktop keyring and try again",
            Error::CorruptWallet { .. } => {
                "restore the file from a backup, or remove that identity and create a new request"
            }
            Error::TooSlow { .. } => {
                "the server or the network is very slow right now: try again later, or tell your help desk; your request is kept"
            }
            Error::UnsafeWallet { path, .. } => {
                return Some(format!(
                    "make it yours and private (chown \"$USER\" {0}; chmod 700 {0}), then check that nothing in it was changed by someone else",
                    path.display()
                ))
            }
            Error::InvalidProfile { .. } => {
                "correct the lines listed (docs/profile-format.md describes every key), or ask your help desk for a corrected profile"
            }
            Error::ProfileRefused { .. } => {
                "leave that value out: your help desk's profile sets it; ask them if it is wrong"
            }
            Error::Io { .. } => "check that the path exists and that you may write there",
            Error::Listen { source, .. } if source.kind() == std::io::ErrorKind::AddrInUse => {
                "another program already uses this port: choose another one (--port N, --site-port N) or 0 for any free port"
            }
            Error::Listen { .. } => "choose another port (--port N, --site-port N) or 0 for any free port",
            Error::PracticeCaUnusable { dir, .. } => {
                return Some(format!("start it the way it was created (with the same --passphrase-file, or without one for the OS keyring), or delete {} to begin with a fresh practice CA (it exists only for practice)", dir.display()));
            }
            Error::ServerNotTrusted { ca_sha256, .. } => {
                return Some(format!("compare this fingerprint with the one your help desk gave you; only if it matches, run again with --trust-fingerprint {ca_sha256} (or give the CA certificate with --ca-file)"));
            }
            Error::TlsFailed { .. } => {
                "check the address (it must be the server's own name); if it is right, tell the server's administrator what this message says"
            }
            Error::Unreachable { .. } => {
                "check the address and your network connection (VPN?); your request is kept, try again later"
            }
            Error::Timeout { .. } => {
                "the server may be busy or blocked by a firewall; your request is kept, try again later"
            }
            Error::AuthenticationFailed { sent_credentials: true, .. } => {
                "check the user name and code; enrollment codes are often single-use and expire, so ask your help desk for a new one"
            }
            Error::AuthenticationFailed { .. } => {
                "give the user name (--user) and the code or password your help desk sent you (--password-file)"
            }
            Error::EnrollmentForbidden { .. } => {
                "your account may not be allowed to request this certificate: ask your help desk"
            }
            Error::NoServiceAtUrl { service, .. } if service == "SCEP service" => {
                "check the address with your help desk; SCEP addresses often end in /scep, /cgi-bin/pkiclient.exe or /certsrv/mscep/mscep.dll; your request is kept"
            }
            Error::NoServiceAtUrl { .. } => {
                "check the address with your help desk; EST addresses look like https://host/.well-known/est (some need a label after est/)"
            }
            Error::ServerFailed { .. } => {
                "the server has a problem of its own; your request is kept, try again later or tell your help desk"
            }
            Error::UnexpectedStatus { .. } => {
                "check the address and the settings your help desk gave you; your request is kept"
            }
            Error::InsecureRedirect { .. } => {
                "ask your help desk for the server's https:// address"
            }
            Error::TokenModule { .. } => {
                "give the path of the PKCS#11 library (.so) of your token (for OpenSC: /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so); `certdesk tokens` lists the modules found on this computer"
            }
            Error::TokenNotFound { .. } => {
                "plug in the security key or insert the card, then check its name with `certdesk tokens`"
            }
            Error::TokenPinRefused { .. } => {
                "type the token's user PIN (not the PUK or the admin PIN) again, carefully: each wrong try brings it closer to being locked"
            }
            Error::TokenLocked { .. } => {
                "the token needs its PUK or its administrator to unlock the PIN; ask your help desk, and do not guess further"
            }
            Error::TokenFailed { .. } => {
                "check that the token is still plugged in; if it keeps happening, send this message to your help desk"
            }
            Error::KeyOnToken { .. } => {
                "use the token itself: plug it in where you need the certificate (`certdesk install ID --to firefox` registers it with the browser); a copy of the key is what a token exists to prevent"
            }
            Error::TokenPinRequired { .. } => {
                "give the token's user PIN with --pin-file FILE (a file holding only the PIN)"
            }
            Error::RedirectElsewhere { .. } => {
                "ask your help desk for the enrollment server's own address; if the new address is right, use it directly"
            }
            Error::ResponseTooLarge { .. } => {
                "this is not a certificate reply: check the address with your help desk"
            }
            Error::ProfileLink { code: "insecure_url", .. } => {
                "ask your help desk for the profile's https:// address; certdesk does not download profiles over plain http"
            }
            Error::ProfileLink { code: "bad_link", .. } => {
                "ask your help desk for a fresh link; it looks like certdesk://profile?url=https%3A%2F%2Fhost%2Fstaff.certdesk"
            }
            Error::ProfileLink { code: "sha256_mismatch", .. } => {
                "the profile changed since the link was made, or someone altered it on the way: do not use it, and tell your help desk"
            }
            Error::ProfileLink { .. } => {
                "the address does not lead to a profile file: check the link with your help desk, or ask them for the .certdesk file itself"
            }
            Error::BadUrl { code: "url_credentials", .. } => {
                "remove the user:password@ part; give the user name on its own and the code when certdesk asks for it (or in a file)"
            }
            Error::BadUrl { code: "url_control_character" | "url_whitespace", .. } => {
                "copy the address again from where your help desk published it; if it came in a profile or link, tell your help desk, which should fix it"
            }
            Error::BadUrl { code: "insecure_url", .. } => {
                "ask for the https:// address; certdesk never sends codes, requests or certificates over plain http"
            }
            Error::BadUrl { .. } => {
                "check the address; it looks like https://host.example.org/path"
            }
            Error::Crypto { .. } => return None,
            Error::ScepCaNotConfirmed { ca_sha256, .. } => {
                return Some(format!("compare this fingerprint with the one your help desk gave you; only if it matches, run again with --ca-fingerprint {ca_sha256} (or give the CA certificate with --ca-file)"));
            }
            Error::ScepCaMismatch { .. } => {
                "do not go on: someone may be in between you and the server, or the fingerprint you were given is out of date; ask your help desk; your request is kept"
            }
            Error::ScepNeedsRsa { .. } => {
                "create the request with an RSA key (`certdesk request new --key rsa-2048 …`) and send that one"
            }
            Error::ScepFailure { info, .. } => {
                use crate::enroll::scep::FailInfo as F;
                match info {
                    F::BadRequest => "the server refused the challenge password or the request: ask your help desk for a new challenge; your request is kept and can be sent again",
                    F::BadAlg => "tell your help desk which server this is; certdesk uses AES-256 or 3DES with SHA-256 or SHA-1, RSA keys",
                    F::BadMessageCheck => "send it again; if it keeps happening, tell your help desk (the server may expect another CA or RA certificate)",
                    F::BadTime => "check this computer's date, time and time zone, then send the request again",
                    F::BadCertId => "the server lost the request: send it again with `certdesk enroll scep`, or ask your help desk",
                    F::Unknown => "ask your help desk what the server's log says; your request is kept",
                }
            }
            Error::ScepReply { problem, .. } => {
                use crate::enroll::scep::ScepProblem as P;
                match problem {
                    P::ForeignSigner | P::BadSignature | P::TransactionMismatch | P::NonceMismatch => {
                        "do not trust this answer: nothing was stored; your request is kept, send it again later and tell your help desk if it repeats"
                    }
                    P::NotForUs => "the server mixed up requests: nothing was stored; your request is kept and can be sent again",
                    P::UnsupportedAlgorithm => "tell your help desk: the server must use RSA, AES or 3DES, and SHA-1/SHA-256/SHA-512",
                    P::NotPkiMessage | P::NoCertificate => {
                        "check the address with your help desk (it often ends in /scep, /cgi-bin/pkiclient.exe or /certsrv/mscep/mscep.dll); your request is kept"
                    }
                }
            }
        };
        Some(hint.to_string())
    }

    pub(crate) fn io(
        op: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { op, path, source }
    }

    pub(crate) fn crypto(op: &str, detail: impl std::fmt::Display) -> Error {
        Error::Crypto {
            op: op.to_string(),
            detail: detail.to_string(),
        }
    }

    pub(crate) fn invalid(field: &str, reason: impl Into<String>) -> Error {
        Error::InvalidField {
            field: field.to_string(),
            reason: reason.into(),
        }
    }
}

/// ": the server says \"…\"" when the server gave a reason, else nothing.
fn server_says(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(": the server says \"{detail}\"")
    }
}
