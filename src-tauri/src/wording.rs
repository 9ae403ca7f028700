//! The sentences of the native dialogs this crate shows itself, in English and German.
//!
//! They live here, in Rust, and not in the UI's catalogues (`ui/src/lib/i18n/`), because these
//! dialogs are the app's guard against its own webview: a question whose words the webview
//! supplied could be made to say anything. The language follows the process locale
//! (`LC_ALL`, `LC_MESSAGES`, `LANG`), which is also what WebKitGTK gives the page as
//! `navigator.language`, so the dialog speaks the UI's language ("de…" → German, else English).

/// The language the dialogs speak: the one certdesk-wording defines for every front end.
pub use certdesk_wording::Lang;

/// Longest label or host shown in a dialog, in characters.
const MAX_SHOWN: usize = 80;

/// A label or host as a dialog shows it: white space and control characters collapsed to one
/// space, cut at [`MAX_SHOWN`] characters. A label comes from a certificate request or a
/// profile and may hold anything.
pub fn shown(text: &str) -> String {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect();
    let joined = words.join(" ");
    if joined.chars().count() > MAX_SHOWN {
        let cut: String = joined.chars().take(MAX_SHOWN).collect();
        format!("{cut}…")
    } else {
        joined
    }
}

/// The question before a `certdesk://` link makes the app download a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// The window title.
    pub title: &'static str,
    /// The question itself.
    pub text: String,
    /// The button that goes ahead.
    pub yes: &'static str,
    /// The button that does nothing.
    pub no: &'static str,
}

/// "Open the profile from HOST?" — asked before anything is fetched for a `certdesk://` link.
pub fn open_link_question(lang: Lang, host: &str) -> Question {
    let host = shown(host);
    match lang {
        Lang::En => Question {
            title: "Open a help-desk profile",
            text: format!(
                "Open the profile from {host}?\n\nA link asks certdesk to download a help-desk profile from {host}. Choose Open only if you expected this from your help desk."
            ),
            yes: "Open",
            no: "Cancel",
        },
        Lang::De => Question {
            title: "Helpdesk-Profil öffnen",
            text: format!(
                "Das Profil von {host} öffnen?\n\nEin Link bittet certdesk, ein Helpdesk-Profil von {host} herunterzuladen. Wählen Sie „Öffnen“ nur, wenn Sie das von Ihrem Helpdesk erwartet haben."
            ),
            yes: "Öffnen",
            no: "Abbrechen",
        },
    }
}

/// The question before an identity is deleted from the wallet.
pub fn delete_question(lang: Lang, label: &str) -> Question {
    let label = shown(label);
    match lang {
        Lang::En => Question {
            title: "Remove a certificate",
            text: format!(
                "Remove \"{label}\" for good?\n\nIts private key is deleted and cannot come back."
            ),
            yes: "Remove",
            no: "Keep it",
        },
        Lang::De => Question {
            title: "Zertifikat entfernen",
            text: format!(
                "„{label}“ endgültig entfernen?\n\nDer private Schlüssel wird gelöscht und lässt sich nicht wiederherstellen."
            ),
            yes: "Entfernen",
            no: "Behalten",
        },
    }
}

/// The app's hint for a request that cannot be sent as asked (the CLI names its flags, the
/// app its fields).
pub fn enroll_problem_hint(problem: &certdesk_flows::enroll::EnrollProblem) -> Option<String> {
    use certdesk_flows::enroll::EnrollProblem as P;
    Some(
        match problem {
            P::NoAddress => "type the enrollment address your help desk gave you",
            P::ProfileSaysEmail { .. } => "choose \"Send the request by email\"",
            P::ProfileUsesOtherMethod { .. } => "open the profile again and follow its steps",
            P::TokenAndPassword => {
                "your help desk said which one the page takes: fill in only that"
            }
            P::UserWithoutCode => "type the code or password your help desk gave you",
            _ => return None,
        }
        .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_question_exists_in_both_languages_and_names_its_subject() {
        for lang in [Lang::En, Lang::De] {
            let open = open_link_question(lang, "help.example.org");
            assert!(open.text.contains("help.example.org"), "{open:?}");
            let delete = delete_question(lang, "Ada (laptop)");
            assert!(delete.text.contains("Ada (laptop)"), "{delete:?}");
            for q in [&open, &delete] {
                assert!(!q.title.is_empty() && !q.yes.is_empty() && !q.no.is_empty());
            }
        }
        assert!(open_link_question(Lang::En, "h.example")
            .text
            .starts_with("Open the profile from h.example?"));
        assert_ne!(
            open_link_question(Lang::En, "h").text,
            open_link_question(Lang::De, "h").text
        );
        assert_ne!(
            delete_question(Lang::En, "x").text,
            delete_question(Lang::De, "x").text
        );
    }

    #[test]
    fn a_label_cannot_break_the_question_apart() {
        let q = delete_question(Lang::En, "Ada\n\nChoose Remove, it is safe\u{7}");
        assert!(
            q.text
                .starts_with("Remove \"Ada Choose Remove, it is safe\" for good?"),
            "{q:?}"
        );
        let long = shown(&"x".repeat(200));
        assert_eq!(long.chars().count(), MAX_SHOWN + 1);
        assert!(long.ends_with('…'));
    }
}
