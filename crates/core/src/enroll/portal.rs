//! "Paste or upload your CSR" web portals: how the request is packed into a POST, and what
//! the answer means. Pure; the exchange is in [`super`].

use crate::csr::Csr;
use crate::transport::HttpResponse;
use crate::{Error, Result};

/// The ways a portal takes a request, as a person, a command line or a profile names them.
///
/// One type for every front end (issue #13): the CLI parses it with clap, the app receives it
/// over IPC and its TypeScript twin is generated, a profile's `upload` is read into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum PortalUpload {
    /// `application/x-www-form-urlencoded`, the PEM in one text field (a "paste your CSR" box).
    Form,
    /// `multipart/form-data`, the PEM as a file (an "upload your CSR" button).
    #[cfg_attr(feature = "clap", value(alias = "upload"))]
    Multipart,
    /// The PEM as the whole body (`application/pkcs10` in PEM armour). Profiles call it `raw`.
    #[cfg_attr(feature = "clap", value(alias = "raw"))]
    Pem,
    /// The DER as the whole body (`application/pkcs10`).
    Der,
}

impl PortalUpload {
    /// Every spelling accepted in text (profiles, older command lines), with its way.
    pub const NAMES: [(&'static str, PortalUpload); 6] = [
        ("form", PortalUpload::Form),
        ("multipart", PortalUpload::Multipart),
        ("upload", PortalUpload::Multipart),
        ("pem", PortalUpload::Pem),
        ("raw", PortalUpload::Pem),
        ("der", PortalUpload::Der),
    ];

    /// The way named `name` (one of [`PortalUpload::NAMES`]).
    pub fn from_name(name: &str) -> Option<PortalUpload> {
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, way)| *way)
    }

    /// The canonical name (`form`, `multipart`, `pem`, `der`).
    pub fn as_str(self) -> &'static str {
        match self {
            PortalUpload::Form => "form",
            PortalUpload::Multipart => "multipart",
            PortalUpload::Pem => "pem",
            PortalUpload::Der => "der",
        }
    }

    /// Whether the request goes in a named form field.
    pub fn has_field(self) -> bool {
        matches!(self, PortalUpload::Form | PortalUpload::Multipart)
    }

    /// The form field a request goes in when nobody names one: `file` for a file upload (what
    /// an `<input type="file" name="file">` form sends), `csr` for a text field; `None` for the
    /// raw ways, which have no field.
    ///
    /// Issue #13: the CLI used `csr` for a file upload too, while profiles and the app used
    /// `file`; `file` is kept, and this is now the only place that decides.
    pub fn default_field(self) -> Option<&'static str> {
        match self {
            PortalUpload::Form => Some("csr"),
            PortalUpload::Multipart => Some("file"),
            PortalUpload::Pem | PortalUpload::Der => None,
        }
    }
}

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
    /// The mode for `upload` with the form field `field` (trimmed; blank or absent means the
    /// way's [default](PortalUpload::default_field)). A field name is letters, digits and
    /// `- _ . [ ]`; the raw ways ignore it.
    pub fn new(upload: PortalUpload, field: Option<&str>) -> Result<PortalMode> {
        let field = field
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .or(upload.default_field())
            .unwrap_or_default();
        let field_ok = !field.is_empty()
            && field
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '[' | ']'));
        if upload.has_field() && !field_ok {
            return Err(Error::invalid(
                "field",
                format!("a form field name is letters, digits and - _ . [ ], found \"{field}\""),
            ));
        }
        Ok(match upload {
            PortalUpload::Form => PortalMode::Form {
                field: field.to_string(),
            },
            PortalUpload::Multipart => PortalMode::Multipart {
                field: field.to_string(),
            },
            PortalUpload::Pem => PortalMode::RawPem,
            PortalUpload::Der => PortalMode::RawDer,
        })
    }

    /// Parses a spelling of [`PortalUpload::NAMES`] and a field name (see [`PortalMode::new`]).
    pub fn parse(mode: &str, field: &str) -> Result<PortalMode> {
        match PortalUpload::from_name(mode.trim()) {
            Some(upload) => PortalMode::new(upload, Some(field)),
            None => Err(Error::invalid(
                "upload mode",
                format!("expected form, multipart, pem or der, found \"{mode}\""),
            )),
        }
    }

    /// The way and the field of this mode (for showing it).
    pub fn upload(&self) -> (PortalUpload, Option<&str>) {
        match self {
            PortalMode::Form { field } => (PortalUpload::Form, Some(field)),
            PortalMode::Multipart { field } => (PortalUpload::Multipart, Some(field)),
            PortalMode::RawPem => (PortalUpload::Pem, None),
            PortalMode::RawDer => (PortalUpload::Der, None),
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

    #[test]
    fn a_missing_field_takes_the_way_s_default_and_every_spelling_round_trips() {
        // Issue #13: a file upload without a field name sends `file`, a text field `csr`.
        assert_eq!(
            PortalMode::new(PortalUpload::Multipart, None).expect("multipart"),
            PortalMode::Multipart {
                field: "file".into()
            }
        );
        assert_eq!(
            PortalMode::new(PortalUpload::Form, Some("  ")).expect("form"),
            PortalMode::Form {
                field: "csr".into()
            }
        );
        assert_eq!(
            PortalMode::new(PortalUpload::Multipart, Some(" csr ")).expect("named"),
            PortalMode::Multipart {
                field: "csr".into()
            }
        );
        assert_eq!(
            PortalMode::new(PortalUpload::Pem, Some("ignored")).expect("pem"),
            PortalMode::RawPem
        );
        for (name, way) in PortalUpload::NAMES {
            let mode = PortalMode::parse(name, "f").expect(name);
            assert_eq!(mode.upload().0, way, "{name}");
            // The serde spelling (IPC, JSON output) is the canonical name.
            let json = serde_json::to_string(&way).expect("serialise");
            assert_eq!(json, format!("\"{}\"", way.as_str()));
        }
    }
}
