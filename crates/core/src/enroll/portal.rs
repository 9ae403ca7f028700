//! "Paste or upload your CSR" web portals: how the request is packed into a POST, and what
//! the answer means. Pure; the exchange is in [`super`].

use crate::csr::Csr;
use crate::transport::HttpResponse;
use crate::{Error, Result};

/// How a portal takes the CSR.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "mode")]
pub enum PortalMode {
    /// `application/x-www-form-urlencoded`, the PEM in one field (a "paste your CSR" textarea).
    Form {
        /// The field name (`csr`, `pkcs10`, `CertRequest`, …).
        field: String,
    },
    /// `multipart/form-data` with the PEM as a file (an "upload your CSR" button).
    Multipart {
        /// The file field's name.
        field: String,
    },
    /// The PEM as the whole body (`application/pkcs10` in PEM armour).
    RawPem,
    /// The DER as the whole body (`application/pkcs10`).
    RawDer,
}

impl PortalMode {
    /// Parses the CLI spelling: `form`, `multipart`, `pem`, `der`.
    pub fn parse(mode: &str, field: &str) -> Result<PortalMode> {
        let field_ok = !field.is_empty()
            && field
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '[' | ']'));
        let need_field = |m: PortalMode| {
            if field_ok {
                Ok(m)
            } else {
                Err(Error::invalid(
                    "field",
                    format!(
                        "a form field name is letters, digits and - _ . [ ], found \"{field}\""
                    ),
                ))
            }
        };
        match mode {
            "form" => need_field(PortalMode::Form {
                field: field.to_string(),
            }),
            "multipart" | "upload" => need_field(PortalMode::Multipart {
                field: field.to_string(),
            }),
            "pem" | "raw" => Ok(PortalMode::RawPem),
            "der" => Ok(PortalMode::RawDer),
            other => Err(Error::invalid(
                "upload mode",
                format!("expected form, multipart, pem or der, found \"{other}\""),
            )),
        }
    }
}

/// Content type and body for the POST.
pub fn portal_body(mode: &PortalMode, csr: &Csr, boundary_seed: &[u8; 16]) -> (String, Vec<u8>) {
    match mode {
        PortalMode::Form { field } => (
            "application/x-www-form-urlencoded".to_string(),
            format!("{}={}", form_encode(field), form_encode(&csr.pem())).into_bytes(),
        ),
        PortalMode::Multipart { field } => {
            let boundary = format!("certdesk-{}", hex::encode(boundary_seed));
            let mut body = Vec::new();
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"request.csr\"\r\nContent-Type: application/pkcs10\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(csr.pem().as_bytes());
            body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
            (format!("multipart/form-data; boundary={boundary}"), body)
        }
        PortalMode::RawPem => ("application/pkcs10".to_string(), csr.pem().into_bytes()),
        PortalMode::RawDer => ("application/pkcs10".to_string(), csr.der().to_vec()),
    }
}

/// `application/x-www-form-urlencoded` encoding (WHATWG URL standard): space as `+`,
/// everything but `*-._` and alphanumerics percent-encoded.
pub fn form_encode(value: &str) -> String {
    percent_encode(value, b"*-._", true)
}

/// Percent-encodes every byte but ASCII alphanumerics and `keep`; a space becomes `+` when
/// `space_as_plus` (forms) and `%20` otherwise (URIs such as `mailto:`).
pub(crate) fn percent_encode(value: &str, keep: &[u8], space_as_plus: bool) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || keep.contains(&b) {
            out.push(b as char);
        } else if b == b' ' && space_as_plus {
            out.push('+');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The certificate bytes of a portal's answer, or the error its status means. The body's
/// content (HTML, empty, PKCS#7, …) is judged by the importer, which quotes an HTML page's title.
pub fn read_portal_answer(
    response: &HttpResponse,
    requested_url: &str,
    sent_credentials: bool,
) -> Result<Vec<u8>> {
    match response.status {
        200 | 201 => Ok(response.body.clone()),
        _ => Err(super::est::status_error(
            response,
            requested_url,
            "certificate upload page",
            sent_credentials,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::{build_csr, CsrSpec, SubjectSpec};
    use crate::key::{KeySpec, PrivateKey};

    fn csr() -> Csr {
        let key = PrivateKey::generate(KeySpec::EcP256).expect("key");
        build_csr(
            &key,
            &CsrSpec {
                subject: SubjectSpec::with_common_name("Alice Example"),
                ..CsrSpec::default()
            },
        )
        .expect("csr")
    }

    #[test]
    fn form_encoding_follows_the_standard() {
        assert_eq!(form_encode("a b+c/=\n"), "a+b%2Bc%2F%3D%0A");
        assert_eq!(form_encode("Az09*-._"), "Az09*-._");
    }

    #[test]
    fn each_mode_packs_the_request_as_portals_expect() {
        let csr = csr();
        let seed = [1u8; 16];
        let (ct, body) = portal_body(
            &PortalMode::Form {
                field: "csr".into(),
            },
            &csr,
            &seed,
        );
        assert_eq!(ct, "application/x-www-form-urlencoded");
        let body = String::from_utf8(body).expect("ascii");
        assert!(
            body.starts_with("csr=-----BEGIN+CERTIFICATE+REQUEST-----%0A"),
            "{body}"
        );

        let (ct, body) = portal_body(
            &PortalMode::Multipart {
                field: "file".into(),
            },
            &csr,
            &seed,
        );
        let boundary = ct
            .strip_prefix("multipart/form-data; boundary=")
            .expect("boundary");
        let body = String::from_utf8(body).expect("ascii");
        assert!(body.starts_with(&format!("--{boundary}\r\n")));
        assert!(body.contains("name=\"file\"; filename=\"request.csr\""));
        assert!(body.contains(&csr.pem()));
        assert!(body.ends_with(&format!("--{boundary}--\r\n")));

        let (_, raw) = portal_body(&PortalMode::RawDer, &csr, &seed);
        assert_eq!(raw, csr.der());
    }

    #[test]
    fn modes_and_field_names_are_checked() {
        assert_eq!(
            PortalMode::parse("form", "csr").expect("form"),
            PortalMode::Form {
                field: "csr".into()
            }
        );
        assert!(PortalMode::parse("form", "bad field").is_err());
        assert!(PortalMode::parse("telepathy", "csr").is_err());
        assert_eq!(
            PortalMode::parse("der", "").expect("der"),
            PortalMode::RawDer
        );
    }
}
