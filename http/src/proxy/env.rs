//! The proxy environment variables, read as curl reads them.
//!
//! `http_proxy` (plain-HTTP requests), `https_proxy` (HTTPS requests),
//! `all_proxy` (both, when the specific one is unset) and `no_proxy` (the
//! hosts that go direct, for all three). Each has an upper-case form; when
//! both are set the lower-case one wins, and a lower-case one set but empty
//! means "no proxy" even when the upper-case one is set (as curl and
//! Python's urllib read them). An empty value means unset.
//!
//! httpoxy: a CGI server passes a request's `Proxy:` header to its script
//! as `HTTP_PROXY`, so any client could choose the script's proxy. When
//! `REQUEST_METHOD` is set (the script runs under CGI), upper-case
//! `HTTP_PROXY` is ignored; the lower-case one cannot come from a header.

use std::ffi::OsString;

use super::{NoProxy, Proxy, ProxyTarget, Scope};
use crate::error::{Error, Kind};

/// The proxies the environment names, read through `var` (`std::env::var_os`
/// in the client; a map in tests): the HTTP one, the HTTPS one, then the
/// one for all, each excepting the `no_proxy` hosts. Fails (kind
/// [`Builder`](Kind::Builder)) on a variable that is not UTF-8, a proxy URL
/// that is unusable or a `no_proxy` entry that is malformed, naming the
/// variable.
pub(crate) fn proxies_from_env(
    var: impl Fn(&str) -> Option<OsString>,
) -> Result<Vec<Proxy>, Error> {
    let under_cgi = var("REQUEST_METHOD").is_some();
    let no_proxy = match setting(&var, "no_proxy", Some("NO_PROXY"))? {
        Some((name, list)) => Some(
            NoProxy::parse(&list)
                .map_err(|bad| Error::new(Kind::Builder, format!("invalid {name} list: {bad}")))?,
        ),
        None => None,
    };
    let http_upper = if under_cgi { None } else { Some("HTTP_PROXY") };
    let slots = [
        (Scope::Http, "http_proxy", http_upper),
        (Scope::Https, "https_proxy", Some("HTTPS_PROXY")),
        (Scope::All, "all_proxy", Some("ALL_PROXY")),
    ];
    let mut proxies = Vec::new();
    for (scope, lower, upper) in slots {
        if let Some((name, url)) = setting(&var, lower, upper)? {
            proxies.push(Proxy {
                scope,
                target: ProxyTarget::parse(&url, Some(name))?.into(),
                no_proxy: no_proxy.clone(),
            });
        }
    }
    Ok(proxies)
}

/// The variable that decides one setting and its value: `lower` if set,
/// else `upper`; `None` when neither is set or the deciding one is empty.
fn setting(
    var: &impl Fn(&str) -> Option<OsString>,
    lower: &'static str,
    upper: Option<&'static str>,
) -> Result<Option<(&'static str, String)>, Error> {
    let found = match var(lower) {
        Some(value) => Some((lower, value)),
        None => upper.and_then(|name| var(name).map(|value| (name, value))),
    };
    let Some((name, value)) = found else {
        return Ok(None);
    };
    let value = value
        .into_string()
        .map_err(|_| Error::new(Kind::Builder, format!("{name} is not valid UTF-8")))?;
    Ok((!value.trim().is_empty()).then_some((name, value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(vars: &[(&str, &str)]) -> Result<Vec<Proxy>, Error> {
        let vars: Vec<(String, OsString)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        proxies_from_env(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    /// `(scope, proxy host)` of each proxy, in order.
    fn shown(vars: &[(&str, &str)]) -> Vec<(Scope, String)> {
        proxies(vars)
            .unwrap()
            .iter()
            .map(|p| (p.scope, p.target.host.clone()))
            .collect()
    }

    #[test]
    fn each_variable_fills_its_slot_in_order() {
        let vars = [
            ("ALL_PROXY", "socks5h://all:1080"),
            ("HTTPS_PROXY", "http://secure:3128"),
            ("HTTP_PROXY", "http://plain:3128"),
        ];
        assert_eq!(
            shown(&vars),
            [
                (Scope::Http, "plain".to_owned()),
                (Scope::Https, "secure".to_owned()),
                (Scope::All, "all".to_owned())
            ]
        );
        assert!(shown(&[]).is_empty());
    }

    #[test]
    fn lower_case_wins_and_an_empty_one_means_none() {
        let vars = [
            ("https_proxy", "http://lower:1"),
            ("HTTPS_PROXY", "http://upper:1"),
        ];
        assert_eq!(shown(&vars), [(Scope::Https, "lower".to_owned())]);
        let vars = [("https_proxy", ""), ("HTTPS_PROXY", "http://upper:1")];
        assert!(shown(&vars).is_empty());
        assert!(shown(&[("HTTPS_PROXY", "  ")]).is_empty());
    }

    #[test]
    fn upper_case_http_proxy_is_ignored_under_cgi() {
        let cgi = [
            ("REQUEST_METHOD", "GET"),
            ("HTTP_PROXY", "http://attacker:1"),
        ];
        assert!(shown(&cgi).is_empty());
        let cgi = [("REQUEST_METHOD", "GET"), ("http_proxy", "http://mine:1")];
        assert_eq!(shown(&cgi), [(Scope::Http, "mine".to_owned())]);
        let cgi = [("REQUEST_METHOD", "GET"), ("HTTPS_PROXY", "http://mine:1")];
        assert_eq!(shown(&cgi), [(Scope::Https, "mine".to_owned())]);
    }

    #[test]
    fn no_proxy_applies_to_every_environment_proxy() {
        let list = proxies(&[
            ("HTTP_PROXY", "http://p:1"),
            ("ALL_PROXY", "http://p:2"),
            ("no_proxy", "localhost"),
            ("NO_PROXY", "ignored.example"),
        ])
        .unwrap();
        assert_eq!(list.len(), 2);
        for p in &list {
            assert!(!p.serves(false, "localhost", 80));
            assert!(p.serves(false, "ignored.example", 80));
        }
    }

    #[test]
    fn bad_values_name_their_variable_and_hide_passwords() {
        let e = proxies(&[("HTTPS_PROXY", "ftp://u:secret@h")]).unwrap_err();
        assert_eq!(e.kind(), Kind::Builder);
        let text = e.to_string();
        assert!(
            text.contains("HTTPS_PROXY") && !text.contains("secret"),
            "{text}"
        );
        let e = proxies(&[("NO_PROXY", "10.0.0.0/40")]).unwrap_err();
        assert!(
            e.to_string().starts_with("invalid NO_PROXY list: entry"),
            "{e}"
        );
    }
}
