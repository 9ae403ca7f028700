//! Defaults for sending a request to a "paste or upload your request" web page.

/// The form field a request goes in when the person (or profile) names none: `file` for a
/// file upload (multipart), `csr` for a text field. `upload` is the way's name (`form`,
/// `multipart`, `pem`, `der`); the raw ways have no field, and get `csr`, which they ignore.
///
/// Issue #13: the CLI used `csr` for a file upload too, while core's profile defaults and the
/// app used `file`. `file` is kept: it is what an `<input type="file" name="file">` upload
/// form sends, and what a profile without a field name already got.
pub fn default_portal_field(upload: &str) -> &'static str {
    if upload.trim().eq_ignore_ascii_case("multipart") {
        "file"
    } else {
        "csr"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use certdesk_core::enroll::portal::PortalMode;

    #[test]
    fn a_file_upload_defaults_to_the_file_field_and_a_text_field_to_csr() {
        assert_eq!(default_portal_field("multipart"), "file");
        assert_eq!(default_portal_field("form"), "csr");
        assert_eq!(
            PortalMode::parse("multipart", default_portal_field("multipart")).expect("parse"),
            PortalMode::Multipart {
                field: "file".into()
            }
        );
    }
}
