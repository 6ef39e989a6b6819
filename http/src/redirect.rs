//! The redirect rule, as a pure function of the response and the request.

use http::{HeaderValue, Method, StatusCode};
use url::Url;

use crate::error::{Error, Kind};

/// The next request of a redirect chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hop {
    pub(crate) url: Url,
    pub(crate) method: Method,
    /// Whether the request body (and its content headers) go along: only
    /// when the method is kept (307, 308, and 301/302 for non-POST).
    pub(crate) keep_body: bool,
    /// The scheme, host or port changed: credentials must not follow.
    pub(crate) cross_origin: bool,
}

/// Decides whether a response redirects, and where.
///
/// - Not a 301/302/303/307/308, no `Location`, or `limit == 0`: `Ok(None)`,
///   the response is the answer.
/// - 303 becomes GET (HEAD stays HEAD); 301/302 turn POST into GET, as
///   browsers do; 307/308 keep method and body.
/// - `Location` is resolved against `current`; a fragment-less target
///   inherits `current`'s fragment (RFC 9110 10.2.2).
/// - Errors (kind Protocol): an unparsable `Location`, one that is not
///   http/https, or a hop past `limit` (`followed` hops were already made).
pub(crate) fn next_hop(
    status: StatusCode,
    method: &Method,
    location: Option<&HeaderValue>,
    current: &Url,
    followed: usize,
    limit: usize,
) -> Result<Option<Hop>, Error> {
    let see_other = match status.as_u16() {
        301 | 302 => false,
        303 => true,
        307 | 308 => false,
        _ => return Ok(None),
    };
    let Some(location) = location else {
        return Ok(None);
    };
    if limit == 0 {
        return Ok(None);
    }
    let text = std::str::from_utf8(location.as_bytes()).map_err(|_| {
        Error::new(
            Kind::Protocol,
            "redirect Location is not valid UTF-8".to_owned(),
        )
    })?;
    let mut url = current.join(text).map_err(|e| {
        Error::with_source(
            Kind::Protocol,
            &format!("invalid redirect Location \"{}\"", text.escape_debug()),
            e,
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::new(
            Kind::Protocol,
            format!(
                "redirect to unsupported URL scheme \"{}\" (Location: {url}); only http and https are followed",
                url.scheme()
            ),
        ));
    }
    if followed >= limit {
        return Err(Error::new(
            Kind::Protocol,
            format!("too many redirects (limit {limit})"),
        ));
    }
    if url.fragment().is_none() {
        url.set_fragment(current.fragment());
    }
    let becomes_get = if see_other {
        *method != Method::HEAD
    } else {
        *method == Method::POST && matches!(status.as_u16(), 301 | 302)
    };
    let new_method = if becomes_get {
        Method::GET
    } else {
        method.clone()
    };
    let cross_origin = url.scheme() != current.scheme()
        || url.host() != current.host()
        || url.port_or_known_default() != current.port_or_known_default();
    Ok(Some(Hop {
        keep_body: new_method == *method,
        method: new_method,
        url,
        cross_origin,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hop(
        status: u16,
        method: Method,
        location: &str,
        current: &str,
    ) -> Result<Option<Hop>, Error> {
        next_hop(
            StatusCode::from_u16(status).unwrap(),
            &method,
            Some(&HeaderValue::from_str(location).unwrap()),
            &Url::parse(current).unwrap(),
            0,
            10,
        )
    }

    #[test]
    fn methods_follow_the_status() {
        let h = hop(303, Method::POST, "/b", "http://h/a").unwrap().unwrap();
        assert_eq!((h.method, h.keep_body), (Method::GET, false));
        let h = hop(303, Method::HEAD, "/b", "http://h/a").unwrap().unwrap();
        assert_eq!((h.method, h.keep_body), (Method::HEAD, true));
        let h = hop(302, Method::POST, "/b", "http://h/a").unwrap().unwrap();
        assert_eq!(h.method, Method::GET);
        let h = hop(301, Method::PUT, "/b", "http://h/a").unwrap().unwrap();
        assert_eq!((h.method, h.keep_body), (Method::PUT, true));
        let h = hop(307, Method::POST, "/b", "http://h/a").unwrap().unwrap();
        assert_eq!((h.method, h.keep_body), (Method::POST, true));
        let h = hop(308, Method::PATCH, "/b", "http://h/a")
            .unwrap()
            .unwrap();
        assert_eq!((h.method, h.keep_body), (Method::PATCH, true));
        assert!(hop(304, Method::GET, "/b", "http://h/a").unwrap().is_none());
        assert!(hop(300, Method::GET, "/b", "http://h/a").unwrap().is_none());
    }

    #[test]
    fn location_is_relative_and_origin_changes_are_noticed() {
        let h = hop(301, Method::GET, "c?x=1", "http://h/a/b#frag")
            .unwrap()
            .unwrap();
        assert_eq!(h.url.as_str(), "http://h/a/c?x=1#frag");
        assert!(!h.cross_origin);
        let h = hop(301, Method::GET, "http://h:80/x", "http://h/a")
            .unwrap()
            .unwrap();
        assert!(!h.cross_origin);
        for other in ["https://h/a", "http://h:81/a", "http://g/a"] {
            let h = hop(301, Method::GET, other, "http://h/a").unwrap().unwrap();
            assert!(h.cross_origin, "{other}");
        }
    }

    #[test]
    fn bad_locations_and_limits_are_errors() {
        let e = hop(302, Method::GET, "ftp://h/f", "http://h/a").unwrap_err();
        assert_eq!(e.kind(), Kind::Protocol);
        assert!(e.to_string().contains("\"ftp\""), "{e}");
        let e = hop(302, Method::GET, "http://[::1", "http://h/a").unwrap_err();
        assert!(e.to_string().contains("invalid redirect Location"), "{e}");
        let loc = HeaderValue::from_static("/x");
        let current = Url::parse("http://h/").unwrap();
        let e = next_hop(StatusCode::FOUND, &Method::GET, Some(&loc), &current, 3, 3).unwrap_err();
        assert_eq!(e.to_string(), "too many redirects (limit 3)");
        // Disabled: the 3xx is the answer.
        let none = next_hop(StatusCode::FOUND, &Method::GET, Some(&loc), &current, 0, 0);
        assert!(none.unwrap().is_none());
        let none = next_hop(StatusCode::FOUND, &Method::GET, None, &current, 0, 10);
        assert!(none.unwrap().is_none());
    }
}
