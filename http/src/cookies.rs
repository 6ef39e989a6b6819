//! The client's cookie jar ([`ClientBuilder::cookie_store`], with the
//! `cookies` feature): RFC 6265 storage and matching by the `cookie_store`
//! crate, fed every response's `Set-Cookie` fields and asked for each
//! request's `Cookie`.
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
//! A `Domain` that is a public suffix (`com`, `co.uk`, `github.io`: the
//! public-suffix list compiled into the `psl` crate, its private section
//! included, and any single label, which the list's implicit `*` rule makes
//! a suffix) is handled as RFC 6265 §5.3 step 5 says: it makes the cookie
//! host-only when it is the request's host itself, and the cookie is
//! ignored otherwise, so no server can set a cookie that its neighbours
//! under the same suffix receive. The list is as fresh as the `psl`
//! release the build locked.
//!
//! Without the `cookies` feature [`Jar`] has no values: no client has a jar
//! and the engine's cookie steps do nothing.
//!
//! [`ClientBuilder::cookie_store`]: crate::ClientBuilder::cookie_store

#[cfg(feature = "cookies")]
use std::sync::{Mutex, MutexGuard, PoisonError};

#[cfg(feature = "cookies")]
use cookie_store::{CookieStore, RawCookie};
#[cfg(feature = "cookies")]
use http::header::SET_COOKIE;
use http::{HeaderMap, HeaderValue};
#[cfg(feature = "cookies")]
use url::Host;
use url::Url;

/// One client's cookies, shared by its clones and requests.
#[cfg(feature = "cookies")]
pub(crate) struct Jar {
    store: Mutex<CookieStore>,
}

/// Built without the `cookies` feature: there is no jar, and this type has
/// no values, so `Shared::cookies` is always `None`.
#[cfg(not(feature = "cookies"))]
pub(crate) enum Jar {}

#[cfg(not(feature = "cookies"))]
impl Jar {
    pub(crate) fn header_for(&self, _url: &Url) -> Option<HeaderValue> {
        match *self {}
    }

    pub(crate) fn store(&self, _url: &Url, _headers: &HeaderMap) {
        match *self {}
    }
}

#[cfg(feature = "cookies")]
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
        let host = url.host();
        let cookies = fields
            .filter_map(|v| v.to_str().ok())
            .filter_map(|text| RawCookie::parse(text.to_owned()).ok())
            .filter_map(|mut cookie| {
                let rule = cookie.domain().map(|d| domain_rule(d, host.as_ref()));
                match rule {
                    None | Some(DomainRule::Keep) => {}
                    Some(DomainRule::HostOnly) => cookie.unset_domain(),
                    Some(DomainRule::Refuse) => return None,
                }
                Some(cookie)
            });
        self.lock().store_response_cookies(cookies, url);
    }
}

/// What becomes of a cookie whose `Domain` attribute is given.
#[cfg(feature = "cookies")]
#[derive(Debug, PartialEq)]
enum DomainRule {
    /// Not a public suffix: the jar's own domain-matching rules decide.
    Keep,
    /// A public suffix that is the request's host: host-only.
    HostOnly,
    /// A public suffix above the request's host, or not a host name.
    Refuse,
}

/// RFC 6265 §5.3 step 5 for a `Domain` attribute (as the cookie parser
/// gives it: one leading dot dropped) set by a response from `host`. The
/// attribute is put in the same ASCII form as URL hosts (lowercase, IDNs as
/// punycode), as the jar does before it compares domains.
#[cfg(feature = "cookies")]
fn domain_rule(domain: &str, host: Option<&Host<&str>>) -> DomainRule {
    let name = match Host::parse(domain.trim()) {
        Ok(Host::Domain(name)) => name,
        // An IP address is no suffix; the jar matches it only exactly.
        Ok(Host::Ipv4(_) | Host::Ipv6(_)) => return DomainRule::Keep,
        Err(_) => return DomainRule::Refuse,
    };
    let public = psl::suffix(name.as_bytes()).is_some_and(|s| s.as_bytes() == name.as_bytes());
    if !public {
        DomainRule::Keep
    } else if matches!(host, Some(Host::Domain(h)) if *h == name) {
        DomainRule::HostOnly
    } else {
        DomainRule::Refuse
    }
}

#[cfg(all(test, feature = "cookies"))]
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

    fn rule(domain: &str, url: &str) -> DomainRule {
        let url = Url::parse(url).unwrap();
        domain_rule(domain, url.host().as_ref())
    }

    #[test]
    fn public_suffixes_are_host_only_on_themselves_and_refused_below() {
        use DomainRule::*;
        for (domain, url, want) in [
            ("co.uk", "http://a.example.co.uk/", Refuse),
            ("CO.UK", "http://a.example.co.uk/", Refuse),
            ("co.uk.", "http://a.example.co.uk/", Refuse),
            ("example.co.uk", "http://a.example.co.uk/", Keep),
            // The list's private section.
            ("github.io", "http://ann.github.io/", Refuse),
            ("ann.github.io", "http://ann.github.io/", Keep),
            ("github.io", "http://github.io/", HostOnly),
            // A wildcard rule (`*.ck`) and its exception (`!www.ck`).
            ("anything.ck", "http://a.anything.ck/", Refuse),
            ("www.ck", "http://a.www.ck/", Keep),
            // A suffix spelt in Unicode is the suffix in punycode.
            ("xn--55qx5d.cn", "http://a.b.xn--55qx5d.cn/", Refuse),
            ("公司.cn", "http://a.b.xn--55qx5d.cn/", Refuse),
            // Single labels, known to the list or not.
            ("com", "http://example.com/", Refuse),
            ("intranet", "http://intranet/", HostOnly),
            ("intranet", "http://127.0.0.1/", Refuse),
            ("127.0.0.1", "http://127.0.0.1/", Keep),
            ("not a host", "http://example.com/", Refuse),
        ] {
            assert_eq!(rule(domain, url), want, "Domain={domain} from {url}");
        }
    }

    #[test]
    fn a_public_suffix_host_keeps_its_cookie_to_itself() {
        let jar = Jar::new();
        set(&jar, "http://github.io/", &["own=1; Domain=github.io"]);
        assert_eq!(cookie(&jar, "http://github.io/").as_deref(), Some("own=1"));
        assert_eq!(cookie(&jar, "http://ann.github.io/"), None);
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
