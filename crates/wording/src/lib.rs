//! certdesk-wording: every sentence a person reads, once per language, in Fluent catalogs
//! (`locales/<lang>/certdesk.ftl`, the format Firefox uses), rendered here for Rust; the UI
//! reads the same files.
//!
//! A sentence is data until it is shown: [`Text`] is a message id and its values, and a front
//! end renders it in the person's language with [`Text::render`]. English is the reference;
//! a test fails when a message exists in one language only or uses other values.
//!
//! So far the site check's verdicts, findings and remedies live here (issue #13); the other
//! sentences of core, the CLI and the app move here message by message.

use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};

/// The catalogs, compiled in.
pub const CATALOGS: [(Lang, &str); 2] = [
    (Lang::En, include_str!("../locales/en/certdesk.ftl")),
    (Lang::De, include_str!("../locales/de/certdesk.ftl")),
];

/// A language certdesk speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    /// English, the reference.
    #[default]
    En,
    /// German.
    De,
}

impl Lang {
    /// The language of this process's locale (`LC_ALL`, then `LC_MESSAGES`, then `LANG`, the
    /// first that is set and not empty, as POSIX orders them).
    pub fn from_env() -> Lang {
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|name| std::env::var(name).ok())
            .find(|value| !value.is_empty());
        Lang::from_locale(locale.as_deref())
    }

    /// `de_DE.UTF-8`, `de-AT`, `de` → German; anything else (`C`, `en_GB`, unset) → English.
    pub fn from_locale(locale: Option<&str>) -> Lang {
        let primary = locale
            .unwrap_or_default()
            .split(['_', '-', '.', '@'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if primary == "de" {
            Lang::De
        } else {
            Lang::En
        }
    }

    fn tag(self) -> unic_langid::LanguageIdentifier {
        match self {
            Lang::En => unic_langid::langid!("en"),
            Lang::De => unic_langid::langid!("de"),
        }
    }
}

/// A sentence as data: its message id and the values it names.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Text {
    /// The message id in the catalogs.
    pub id: &'static str,
    /// The values, by the names the message uses.
    pub args: Vec<(&'static str, String)>,
    /// Numbers, by name: counted values that choose a plural form ("1 day", "3 days").
    pub nums: Vec<(&'static str, i64)>,
}

impl Text {
    /// A message without values.
    pub fn new(id: &'static str) -> Text {
        Text {
            id,
            args: Vec::new(),
            nums: Vec::new(),
        }
    }

    /// Adds a number (it selects plural forms: `{ $n -> [one] … *[other] … }`).
    pub fn num(mut self, name: &'static str, value: i64) -> Text {
        self.nums.push((name, value));
        self
    }

    /// Adds a value.
    pub fn arg(mut self, name: &'static str, value: impl Into<String>) -> Text {
        self.args.push((name, value.into()));
        self
    }

    /// The sentence in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        render_with(lang, self.id, &self.args, &self.nums)
    }
}

fn bundle(lang: Lang) -> &'static FluentBundle<FluentResource> {
    static BUNDLES: [OnceLock<FluentBundle<FluentResource>>; 2] =
        [OnceLock::new(), OnceLock::new()];
    let slot = match lang {
        Lang::En => &BUNDLES[0],
        Lang::De => &BUNDLES[1],
    };
    slot.get_or_init(|| {
        let source = CATALOGS
            .iter()
            .find(|(l, _)| *l == lang)
            .map(|(_, text)| *text)
            .unwrap_or_default();
        // The catalogs are compiled in and checked by this crate's tests: a syntax error
        // cannot reach a user. Should one slip through, the messages that parsed still work.
        let resource = FluentResource::try_new(source.to_string()).unwrap_or_else(|(r, _)| r);
        let mut bundle = FluentBundle::new_concurrent(vec![lang.tag()]);
        // No Unicode isolation marks around values: terminals and logs show them as junk.
        bundle.set_use_isolating(false);
        // Ids are unique (tested), so adding cannot fail.
        let _ = bundle.add_resource(resource);
        bundle
    })
}

/// Renders message `id` in `lang` with `args`. An id missing in `lang` falls back to English;
/// one missing everywhere renders as the id itself (the tests keep both from happening).
pub fn render(lang: Lang, id: &str, args: &[(&'static str, String)]) -> String {
    render_with(lang, id, args, &[])
}

fn render_with(
    lang: Lang,
    id: &str,
    args: &[(&'static str, String)],
    nums: &[(&'static str, i64)],
) -> String {
    let mut fluent_args = FluentArgs::new();
    for (name, value) in args {
        fluent_args.set(*name, value.as_str());
    }
    for (name, value) in nums {
        fluent_args.set(*name, *value);
    }
    for lang in [lang, Lang::En] {
        let bundle = bundle(lang);
        if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
            let mut errors = Vec::new();
            return bundle
                .format_pattern(pattern, Some(&fluent_args), &mut errors)
                .into_owned();
        }
    }
    id.to_string()
}

#[cfg(test)]
mod tests;
