//! The catalogs are complete and agree: every message in every language, with the same values.

use std::collections::{BTreeMap, BTreeSet};

use fluent_syntax::ast::{Entry, Expression, InlineExpression, Pattern, PatternElement};
use fluent_syntax::parser::parse;

use super::*;

fn variables_of_inline(e: &InlineExpression<&str>, out: &mut BTreeSet<String>) {
    match e {
        InlineExpression::VariableReference { id } => {
            out.insert(id.name.to_string());
        }
        InlineExpression::Placeable { expression } => variables_of(expression, out),
        InlineExpression::FunctionReference { arguments, .. } => {
            for a in &arguments.positional {
                variables_of_inline(a, out);
            }
        }
        _ => {}
    }
}

fn variables_of(e: &Expression<&str>, out: &mut BTreeSet<String>) {
    match e {
        Expression::Inline(inline) => variables_of_inline(inline, out),
        Expression::Select { selector, variants } => {
            variables_of_inline(selector, out);
            for v in variants {
                variables_of_pattern(&v.value, out);
            }
        }
    }
}

fn variables_of_pattern(p: &Pattern<&str>, out: &mut BTreeSet<String>) {
    for element in &p.elements {
        if let PatternElement::Placeable { expression } = element {
            variables_of(expression, out);
        }
    }
}

/// Message id → the variables it uses; panics on a syntax error or a duplicate id.
fn messages(lang: Lang, source: &str) -> BTreeMap<String, BTreeSet<String>> {
    let resource = parse(source)
        .unwrap_or_else(|(_, errors)| panic!("{lang:?} catalog has syntax errors: {errors:?}"));
    let mut out = BTreeMap::new();
    for entry in resource.body {
        if let Entry::Message(m) = entry {
            let mut vars = BTreeSet::new();
            let value = m
                .value
                .as_ref()
                .unwrap_or_else(|| panic!("{lang:?}: {} has no value", m.id.name));
            variables_of_pattern(value, &mut vars);
            assert!(
                out.insert(m.id.name.to_string(), vars).is_none(),
                "{lang:?}: {} is defined twice",
                m.id.name
            );
        }
    }
    out
}

#[test]
fn every_message_exists_in_every_language_with_the_same_values() {
    let en = messages(Lang::En, CATALOGS[0].1);
    assert!(
        en.len() > 40,
        "the English catalog has only {} messages",
        en.len()
    );
    for (lang, source) in &CATALOGS[1..] {
        let other = messages(*lang, source);
        let missing: Vec<_> = en.keys().filter(|id| !other.contains_key(*id)).collect();
        let extra: Vec<_> = other.keys().filter(|id| !en.contains_key(*id)).collect();
        assert!(missing.is_empty(), "{lang:?} lacks {missing:?}");
        assert!(
            extra.is_empty(),
            "{lang:?} has messages English lacks: {extra:?}"
        );
        for (id, vars) in &en {
            assert_eq!(
                &other[id], vars,
                "{lang:?}: {id} uses other values than English"
            );
        }
    }
}

#[test]
fn values_are_placed_and_german_is_german() {
    let text = Text::new("verdict-rejected").arg("host", "intranet.example.org");
    assert_eq!(
        text.render(Lang::En),
        "intranet.example.org did not accept your certificate."
    );
    assert_eq!(
        text.render(Lang::De),
        "intranet.example.org hat Ihr Zertifikat nicht akzeptiert."
    );
    // No isolation marks around values.
    assert!(!text.render(Lang::De).contains('\u{2068}'));
}

#[test]
fn the_locale_picks_the_language() {
    for (locale, lang) in [
        (Some("de_DE.UTF-8"), Lang::De),
        (Some("de-AT"), Lang::De),
        (Some("de"), Lang::De),
        (Some("DE_ch"), Lang::De),
        (Some("en_GB.UTF-8"), Lang::En),
        (Some("C"), Lang::En),
        (Some("fr_FR"), Lang::En),
        (Some("desert"), Lang::En),
        (None, Lang::En),
    ] {
        assert_eq!(Lang::from_locale(locale), lang, "{locale:?}");
    }
}

#[test]
fn an_unknown_id_shows_as_itself() {
    assert_eq!(render(Lang::De, "no-such-message", &[]), "no-such-message");
}
