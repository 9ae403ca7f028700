//! Recognising an HTML page where certificates, profiles or short answers were expected, and
//! naming it by its title. A login page or an error page in place of a certificate is the most
//! common wrong answer; the person is told which page it was.
//!
//! Issue #13: the importer, the profile download and the site check each had their own copy of
//! this; they now share one.

/// Longest title shown, in characters.
const TITLE_CHARS: usize = 120;
/// How much of a body is looked at.
const SCAN_BYTES: usize = 64 * 1024;

/// `Some(title)` when `bytes` look like an HTML page (after leading white space), with its
/// `<title>` on one line (`None` for a page without one); `None` when they do not look like
/// HTML.
pub fn page_title(bytes: &[u8]) -> Option<Option<String>> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(SCAN_BYTES)]);
    let start = head.trim_start();
    if !start.starts_with('<') {
        return None;
    }
    let lower = start.to_ascii_lowercase();
    let is_html = [
        "<!doctype html",
        "<html",
        "<head",
        "<body",
        "<title",
        "<!--",
    ]
    .iter()
    .any(|m| lower.contains(m));
    if !is_html {
        return None;
    }
    let title = lower.find("<title").and_then(|at| {
        let open_end = at + lower[at..].find('>')? + 1;
        let close = open_end + lower[open_end..].find("</title")?;
        let clean = one_line(start.get(open_end..close)?);
        (!clean.is_empty()).then(|| clean.chars().take(TITLE_CHARS).collect())
    });
    Some(title)
}

/// A short answer body on one line: an HTML page's title, or the text with its white space
/// collapsed.
pub fn body_words(body: &str) -> String {
    match page_title(body.as_bytes()) {
        Some(Some(title)) => title,
        _ => one_line(body),
    }
}

/// The words of a page, without markup: what a person would read on it (the title, styles
/// and scripts left out, the common entities decoded).
pub fn page_words(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    let mut skip_until: Option<&str> = None;
    let lower = html.to_ascii_lowercase();
    let mut i = 0;
    while i < html.len() {
        if let Some(end) = skip_until {
            match lower[i..].find(end) {
                Some(at) => {
                    i += at + end.len();
                    skip_until = None;
                    continue;
                }
                None => break,
            }
        }
        let rest = &lower[i..];
        if rest.starts_with("<title") || rest.starts_with("<style") || rest.starts_with("<script") {
            // The title is the tab's name, not the page's words; style and script are not words.
            let tag = &rest[1..rest
                .find(|c: char| c == '>' || c.is_whitespace())
                .unwrap_or(rest.len())];
            skip_until = Some(match tag {
                "title" => "</title>",
                "style" => "</style>",
                _ => "</script>",
            });
            continue;
        }
        let Some(c) = html[i..].chars().next() else {
            break;
        };
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
        i += c.len_utf8();
    }
    let text = text
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&mdash;", "—");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A body as a short one-line quote for an error message: an HTML page's title and words, or
/// the text itself, cut at `max_chars` characters (with `…`).
pub fn excerpt(body: &[u8], max_chars: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let words = match page_title(body) {
        Some(Some(title)) => format!("{title} {}", page_words(&text)),
        _ => page_words(&text),
    };
    let words = one_line(&words);
    if words.chars().count() > max_chars {
        format!("{}…", words.chars().take(max_chars).collect::<String>())
    } else {
        words
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_named_by_their_title_on_one_line() {
        let page = b"\n <!DOCTYPE html>\n<html><head><TITLE lang=\"en\">\n  Sign in - Example Portal </TITLE></head></html>";
        assert_eq!(
            page_title(page),
            Some(Some("Sign in - Example Portal".into()))
        );
        assert_eq!(
            page_title(b"<html><body>no title</body></html>"),
            Some(None)
        );
        assert_eq!(page_title(b"<!-- a comment --><p>x</p>"), Some(None));
        // Not HTML: PEM, TOML, XML that is no page, binary.
        assert_eq!(page_title(b"-----BEGIN CERTIFICATE-----"), None);
        assert_eq!(page_title(b"name = \"Example\""), None);
        assert_eq!(page_title(b"<?xml version=\"1.0\"?><a/>"), None);
        assert_eq!(page_title(&[0x30, 0x82, 0x01, 0x00]), None);
        // A title without its end, and a very long one.
        assert_eq!(page_title(b"<html><title>cut"), Some(None));
        let long = format!("<title>{}</title>", "x".repeat(500));
        assert_eq!(
            page_title(long.as_bytes())
                .flatten()
                .map(|t| t.chars().count()),
            Some(TITLE_CHARS)
        );
    }

    #[test]
    fn a_body_is_its_title_or_its_words() {
        assert_eq!(
            body_words("<html><head><title>400 No required SSL certificate was sent</title></head>\n<body>x</body>"),
            "400 No required SSL certificate was sent"
        );
        assert_eq!(
            body_words("  forbidden:\n  no   client\tcert "),
            "forbidden: no client cert"
        );
        assert_eq!(
            body_words("<html><body>Denied</body></html>"),
            "<html><body>Denied</body></html>"
        );
    }
}
