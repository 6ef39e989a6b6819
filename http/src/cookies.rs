//! The client's cookie jar ([`ClientBuilder::cookie_store`]): RFC 6265
//! storage and matching by the `cookie_store` crate, fed every response's
//! `Set-Cookie` fields and asked for each request's `Cookie`.
//!
//! What the jar keeps of a cookie and uses: its domain (host-only unless
//! `Domain` names the request host or a parent of it; an IP address has no
//! parents), path (the request's directory when none is given), expiry
//! (`Max-Age` over `Expires`; an expired cookie replaces and so deletes a
//! kept one), `Secure` (sent over https, and over plain http only to
//! loopback hosts, `localhost`, `127.0.0.1` and `::1`, which browsers count
//! as secure too). `HttpOnly` and `SameSite` are kept but change nothing
//! here: the first hides cookies from scripts and the second concerns
//! cross-site browsing contexts, neither of which an HTTP client has.
//!
//! No public-suffix list is loaded (the crate can use one, but ships none;
//! a list is about 230 KB of text that goes stale). What stands in for it
//! is curl's rule without libpsl: a `Domain` of a single label (`com`,
//! `local`) is refused unless it is the request's host itself, so no server
//! can set a cookie for a whole top-level domain. Multi-label public
//! suffixes (`co.uk`, `github.io`) are not recognised: a server under one
//! can set a cookie that its neighbours under the same suffix receive.
//!
//! [`ClientBuilder::cookie_store`]: crate::ClientBuilder::cookie_store

use std::sync::{Mutex, MutexGuard, PoisonError};

use cookie_store::{CookieStore, RawCookie};
use http::header::SET_COOKIE;
use http::{HeaderMap, HeaderValue};
use url::Url;

/// One client's cookies, shared by its clones and requests.
pub(crate) struct Jar {
    store: Mutex<CookieStore>,
}

impl Jar {
    pub(crate) fn new() -> Jar {
        Jar {
            store: Mutex::new(CookieStore::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, CookieStore> {
        // A panic while holding the lock leaves the store usable.
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The `Cookie` value for a request to `url` (marked sensitive), or
    /// `None` when no kept cookie applies.
    pub(crate) fn header_for(&self, url: &Url) -> Option<HeaderValue> {
        let store = self.lock();
        let mut text = String::new();
        for (name, value) in store.get_request_values(url) {
            if !text.is_empty() {
                text.push_str("; ");
            }
            text.push_str(name);
            text.push('=');
            text.push_str(value);
        }
        if text.is_empty() {
            return None;
        }
        // Names and values came from header values, so they fit in one.
        let mut value = HeaderValue::from_str(&text).ok()?;
        value.set_sensitive(true);
        Some(value)
    }

    /// Keeps the cookies that a response from `url` sets. Fields that do
    /// not parse, or that the rules refuse, are ignored, as browsers do.
    pub(crate) fn store(&self, url: &Url, headers: &HeaderMap) {
        let mut fields = headers.get_all(SET_COOKIE).iter().peekable();
        if fields.peek().is_none() {
            return;
        }
        let host = url.host_str().unwrap_or_default();
        let cookies = fields
            .filter_map(|v| v.to_str().ok())
            .filter_map(|text| RawCookie::parse(text.to_owned()).ok())
            .filter(|c| c.domain().map_or(true, |d| domain_allowed(d, host)));
        self.lock().store_response_cookies(cookies, url);
    }
}

/// Whether a `Domain` attribute may be kept from a response by `host`:
/// a single label only when it is the host itself.
fn domain_allowed(domain: &str, host: &str) -> bool {
    let domain = domain.trim().trim_start_matches('.');
    domain.contains('.') || domain.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(jar: &Jar, url: &str, fields: &[&str]) {
        let mut headers = HeaderMap::new();
        for f in fields {
            headers.append(SET_COOKIE, HeaderValue::from_str(f).unwrap());
        }
        jar.store(&Url::parse(url).unwrap(), &headers);
    }

    fn cookie(jar: &Jar, url: &str) -> Option<String> {
        let value = jar.header_for(&Url::parse(url).unwrap())?;
        assert!(value.is_sensitive());
        Some(value.to_str().unwrap().to_owned())
    }

    #[test]
    fn top_level_domains_are_refused_and_subdomains_kept() {
        let jar = Jar::new();
        set(
            &jar,
            "http://a.example.com/",
            &[
                "tld=1; Domain=com",
                "dot=1; Domain=.com",
                "site=1; Domain=example.com",
            ],
        );
        assert_eq!(
            cookie(&jar, "http://b.example.com/").as_deref(),
            Some("site=1")
        );
        assert_eq!(cookie(&jar, "http://other.com/"), None);
        // A single-label host may name itself.
        set(&jar, "http://intranet/", &["own=1; Domain=intranet"]);
        assert_eq!(cookie(&jar, "http://intranet/").as_deref(), Some("own=1"));
    }

    #[test]
    fn secure_cookies_go_over_https_or_to_loopback_only() {
        let jar = Jar::new();
        set(&jar, "https://example.com/", &["s=1; Secure", "n=1"]);
        assert_eq!(cookie(&jar, "http://example.com/").as_deref(), Some("n=1"));
        let https = cookie(&jar, "https://example.com/").unwrap();
        assert!(https == "s=1; n=1" || https == "n=1; s=1", "{https}");
        set(&jar, "https://127.0.0.1/", &["local=1; Secure"]);
        assert_eq!(
            cookie(&jar, "http://127.0.0.1/").as_deref(),
            Some("local=1")
        );
    }

    #[test]
    fn unparsable_fields_are_ignored() {
        let jar = Jar::new();
        set(&jar, "http://h/", &["no equals sign", "=", "ok=1"]);
        assert_eq!(cookie(&jar, "http://h/").as_deref(), Some("ok=1"));
    }
}
