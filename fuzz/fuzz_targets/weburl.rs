//! `weburl::WebUrl::parse` and `WebUrl::check` for every `UrlUse`, and the parts certdesk sends
//! on the wire of an address that was accepted.
#![no_main]
use certdesk_core::weburl::{UrlUse, WebUrl};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = certdesk_core::weburl::shown(text);
    for usage in [
        UrlUse::Site,
        UrlUse::Enrollment,
        UrlUse::Profile,
        UrlUse::Revocation,
    ] {
        let parsed = WebUrl::parse(text, usage);
        match WebUrl::check(text, usage) {
            Ok(url) => {
                assert!(parsed.is_ok(), "check and parse agree");
                let _ = (url.host(), url.port(), url.host_header(), url.is_https());
                let path = url.path_and_query();
                assert!(
                    !path.contains(['\r', '\n', ' ', '\t']),
                    "the path sent on the wire has no line break or space: {path:?}"
                );
                assert!(url.same_origin(&url));
            }
            Err(problem) => {
                assert!(parsed.is_err(), "check and parse agree");
                let _ = (problem.code(), problem.reason(usage));
            }
        }
    }
});
