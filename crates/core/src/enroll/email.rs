//! Email hand-off: a ready message for the administrator who signs requests by hand. The
//! request travels as an attachment (`request.csr`, PEM), with its SHA-256 fingerprint so the
//! administrator can confirm by phone that it is the one this person made. The reply later goes
//! through the normal import, which matches it to the waiting key.
//!
//! Only the request leaves: it holds the public key and the subject, never the private key.

use base64::Engine;
use time::OffsetDateTime;

use crate::csr::Csr;
use crate::{Error, Result};

/// What is written for the person to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailHandoff {
    /// An RFC 5322 message with the request attached (save as `.eml`, open with the mail app).
    pub eml: String,
    /// A `mailto:` link with the request inline (links cannot carry attachments).
    pub mailto: String,
    /// The request's SHA-256 fingerprint, to read out over the phone.
    pub fingerprint: String,
}

/// The fields of the message.
#[derive(Debug, Clone)]
pub struct EmailSpec<'a> {
    /// The administrator's address, when known.
    pub to: Option<&'a str>,
    /// The name on the request (its CN).
    pub requester: &'a str,
    /// The identity's label.
    pub label: &'a str,
    /// The key type in words.
    pub key_description: &'a str,
    /// The request.
    pub csr: &'a Csr,
    /// The subject as a DN string.
    pub subject_dn: &'a str,
}

/// Builds the message. `boundary_seed` makes the MIME boundary (random in use, fixed in tests).
pub fn email_handoff(
    spec: &EmailSpec<'_>,
    now: OffsetDateTime,
    boundary_seed: &[u8; 16],
) -> Result<EmailHandoff> {
    if let Some(to) = spec.to {
        let valid = to.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty()
                && d.contains('.')
                && !to
                    .chars()
                    .any(|c| c.is_whitespace() || matches!(c, '<' | '>' | ',' | '"'))
        });
        if !valid {
            return Err(Error::invalid(
                "email",
                format!("\"{to}\" is not an email address"),
            ));
        }
    }
    let fingerprint = spec.csr.fingerprint_sha256();
    let subject_line = format!("Certificate request for {}", spec.requester);
    let instructions = format!(
        "Hello,\n\
         \n\
         please sign the attached certificate request (request.csr) for a TLS client\n\
         certificate and send the certificate back to me (PEM, DER or PKCS#7 are all fine).\n\
         \n\
         Requested subject: {subject}\n\
         Key type:          {key}\n\
         Request SHA-256:   {fp}\n\
         \n\
         Before signing, you may confirm the fingerprint with me by phone. The request contains\n\
         only my public key; the private key never leaves my computer.\n\
         \n\
         For an OpenSSL CA, for example:\n\
         \x20 openssl ca -config ca.cnf -extensions usr_cert -in request.csr -out {label_file}.crt\n\
         (make sure the certificate allows TLS client authentication: extendedKeyUsage = clientAuth)\n\
         \n\
         Thank you,\n\
         {requester}\n",
        subject = spec.subject_dn,
        key = spec.key_description,
        fp = fingerprint,
        label_file = file_stem(spec.label),
        requester = spec.requester,
    );
    let boundary = format!("certdesk-{}", hex::encode(boundary_seed));
    let date = now
        .format(&time::format_description::well_known::Rfc2822)
        .map_err(|e| Error::crypto("format the date", e))?;
    let attachment = base64::engine::general_purpose::STANDARD.encode(spec.csr.pem().as_bytes());
    let mut eml = String::new();
    if let Some(to) = spec.to {
        eml.push_str(&format!("To: {to}\r\n"));
    }
    eml.push_str(&format!("Subject: {}\r\n", encode_header(&subject_line)));
    eml.push_str(&format!("Date: {date}\r\n"));
    eml.push_str("X-Unsent: 1\r\n");
    eml.push_str("MIME-Version: 1.0\r\n");
    eml.push_str(&format!(
        "Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n"
    ));
    eml.push_str(&format!("--{boundary}\r\n"));
    eml.push_str(
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
    );
    eml.push_str(&wrap76(
        &base64::engine::general_purpose::STANDARD.encode(instructions.as_bytes()),
    ));
    eml.push_str(&format!("--{boundary}\r\n"));
    eml.push_str("Content-Type: application/pkcs10; name=\"request.csr\"\r\n");
    eml.push_str("Content-Disposition: attachment; filename=\"request.csr\"\r\n");
    eml.push_str("Content-Transfer-Encoding: base64\r\n\r\n");
    eml.push_str(&wrap76(&attachment));
    eml.push_str(&format!("--{boundary}--\r\n"));

    let body = format!("{instructions}\n{}", spec.csr.pem());
    let mailto = format!(
        "mailto:{}?subject={}&body={}",
        spec.to.map(percent_encode).unwrap_or_default(),
        percent_encode(&subject_line),
        percent_encode(&body)
    );
    Ok(EmailHandoff {
        eml,
        mailto,
        fingerprint,
    })
}

fn file_stem(label: &str) -> String {
    let s: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_matches('-').to_string();
    if s.is_empty() {
        "client".to_string()
    } else {
        s
    }
}

/// RFC 2047 encoded-word when the header is not plain ASCII.
fn encode_header(text: &str) -> String {
    if text.is_ascii() {
        text.to_string()
    } else {
        format!(
            "=?utf-8?B?{}?=",
            base64::engine::general_purpose::STANDARD.encode(text.as_bytes())
        )
    }
}

fn wrap76(b64: &str) -> String {
    let mut out = String::new();
    for chunk in b64.as_bytes().chunks(76) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push_str("\r\n");
    }
    out
}

/// RFC 3986 percent-encoding of everything but unreserved characters (for `mailto:`, RFC 6068),
/// keeping `@` readable in the address.
fn percent_encode(text: &str) -> String {
    super::portal::percent_encode(text, b"-._~@", false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::{build_csr, CsrSpec, SubjectSpec};
    use crate::key::{KeySpec, PrivateKey};
    use time::macros::datetime;

    #[test]
    fn the_message_carries_the_request_and_its_fingerprint() {
        let key = PrivateKey::generate(KeySpec::EcP256).expect("key");
        let csr = build_csr(
            &key,
            &CsrSpec {
                subject: SubjectSpec::with_common_name("Jürgen Example"),
                ..CsrSpec::default()
            },
        )
        .expect("csr");
        let spec = EmailSpec {
            to: Some("pki-admin@example.org"),
            requester: "Jürgen Example",
            label: "Jürgen Example (laptop)",
            key_description: "ECDSA P-256",
            csr: &csr,
            subject_dn: "CN=Jürgen Example",
        };
        let out =
            email_handoff(&spec, datetime!(2026-11-22 10:00:00 UTC), &[9; 16]).expect("email");
        assert!(out
            .eml
            .starts_with("To: pki-admin@example.org\r\nSubject: =?utf-8?B?"));
        assert!(out.eml.contains("filename=\"request.csr\""));
        assert!(out.eml.contains("Date: Sun, 22 Nov 2026 10:00:00 +0000"));
        let attachment = base64::engine::general_purpose::STANDARD.encode(csr.pem().as_bytes());
        assert!(out.eml.contains(&attachment[..76]));
        assert!(out.mailto.starts_with("mailto:pki-admin@example.org?subject=Certificate%20request%20for%20J%C3%BCrgen%20Example&body="));
        assert!(out.mailto.contains("BEGIN%20CERTIFICATE%20REQUEST"));
        assert_eq!(out.fingerprint, csr.fingerprint_sha256());
        assert!(!out.eml.contains("PRIVATE KEY") && !out.mailto.contains("PRIVATE"));
        let bad = email_handoff(
            &EmailSpec {
                to: Some("not an address"),
                ..spec
            },
            datetime!(2026-11-22 10:00:00 UTC),
            &[0; 16],
        );
        assert!(bad.is_err());
    }
}
