//! What may be shown of a request or response: secrets hidden, and text
//! from outside made safe for a log line.
//!
//! Every `Display` and `Debug` of the client's public types goes through
//! here: a URL's password becomes `***`, credential headers show
//! `Sensitive`, and control characters (newline, carriage return, ESC)
//! become escapes, so neither a secret nor a forged log line can come out
//! of formatting an error or a response.

use std::borrow::Cow;
use std::fmt;

use http::header::{AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION, SET_COOKIE};
use http::{HeaderMap, HeaderName};
use url::Url;

/// The URL as text, a password replaced by `***`.
pub(crate) fn redacted(url: &Url) -> Cow<'_, str> {
    if url.password().is_none() {
        return url.as_str().into();
    }
    let mut shown = url.clone();
    // Cannot fail: the URL already has a password, so it can have one.
    let _ = shown.set_password(Some("***"));
    shown.to_string().into()
}

/// A URL that did not parse, as given but with any password replaced by
/// `***`: the userinfo is whatever lies between `://` and the last `@`
/// before the path, and its password what follows the first `:` in it.
pub(crate) fn redacted_raw(raw: &str) -> Cow<'_, str> {
    let Some(scheme_end) = raw.find("://") else {
        return raw.into();
    };
    let authority_start = scheme_end + 3;
    let rest = &raw[authority_start..];
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_len];
    let Some(at) = authority.rfind('@') else {
        return raw.into();
    };
    let Some(colon) = authority[..at].find(':') else {
        return raw.into();
    };
    let password_start = authority_start + colon + 1;
    let password_end = authority_start + at;
    format!("{}***{}", &raw[..password_start], &raw[password_end..]).into()
}

/// Whether a header's value is a credential that must never be shown:
/// the caller's own marking ([`HeaderValue::set_sensitive`]), or a name
/// that always carries one.
///
/// [`HeaderValue::set_sensitive`]: http::HeaderValue::set_sensitive
pub(crate) fn is_secret_header(name: &HeaderName) -> bool {
    name == AUTHORIZATION || name == PROXY_AUTHORIZATION || name == COOKIE || name == SET_COOKIE
}

/// `Debug` for a header map that shows `Sensitive` instead of the value of
/// a credential header or of a value marked sensitive.
pub(crate) struct ShownHeaders<'a>(pub(crate) &'a HeaderMap);

impl fmt::Debug for ShownHeaders<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, value) in self.0 {
            if value.is_sensitive() || is_secret_header(name) {
                map.entry(name, &format_args!("Sensitive"));
            } else {
                map.entry(name, value);
            }
        }
        map.finish()
    }
}

/// Writes `text` with every control character escaped (`\n`, `\r`,
/// `\u{1b}`...), so text that came from a server or a caller cannot end a
/// log line or send a terminal escape sequence.
pub(crate) fn write_escaped(out: &mut impl fmt::Write, text: &str) -> fmt::Result {
    let mut rest = text;
    while let Some(at) = rest.find(char::is_control) {
        out.write_str(&rest[..at])?;
        let c = rest[at..].chars().next().expect("found at `at`");
        write!(out, "{}", c.escape_debug())?;
        rest = &rest[at + c.len_utf8()..];
    }
    out.write_str(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_passwords_are_hidden_and_the_rest_kept() {
        let r = |s: &str| redacted_raw(s).into_owned();
        assert_eq!(r("https://ann:secret@h:x/p"), "https://ann:***@h:x/p");
        assert_eq!(r("https://ann:s@cr@t@h/p@q"), "https://ann:***@h/p@q");
        assert_eq!(r("https://ann@h/"), "https://ann@h/");
        assert_eq!(r("https://h:1/a:b@c"), "https://h:1/a:b@c");
        assert_eq!(r("not a url"), "not a url");
        assert_eq!(r("https://:pw@"), "https://:***@");
    }

    #[test]
    fn control_characters_become_escapes() {
        let mut out = String::new();
        write_escaped(&mut out, "a\nb\r\x1b[31mc\u{7f}é").unwrap();
        assert_eq!(out, "a\\nb\\r\\u{1b}[31mc\\u{7f}é");
        assert!(!out.chars().any(char::is_control));
    }

    #[test]
    fn secret_headers_show_sensitive() {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, "Basic c2VjcmV0".parse().unwrap());
        h.insert(SET_COOKIE, "sid=secret".parse().unwrap());
        let mut marked = http::HeaderValue::from_static("secret");
        marked.set_sensitive(true);
        h.insert("x-api-key", marked);
        h.insert("accept", "*/*".parse().unwrap());
        let shown = format!("{:?}", ShownHeaders(&h));
        assert!(
            !shown.contains("secret") && !shown.contains("c2VjcmV0"),
            "{shown}"
        );
        assert!(shown.contains("\"accept\": \"*/*\""), "{shown}");
        assert_eq!(shown.matches("Sensitive").count(), 3, "{shown}");
    }
}
