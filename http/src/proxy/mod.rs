//! Proxies: which requests go through one, and how a connection is opened
//! through it.
//!
//! ```text
//!  request URL ──► Proxies::select(scheme, host, port)
//!                    first Proxy whose scope covers the scheme and whose
//!                    no_proxy list does not name the host
//!                    │
//!  none ─────────────┼──► direct: TCP to the origin (then TLS for https)
//!  http://proxy      ├──► http origin:  TCP to the proxy; each request in
//!                    │                  absolute form (GET http://host/path),
//!                    │                  with Proxy-Authorization
//!                    ├──► https origin: TCP to the proxy, `CONNECT host:port`
//!                    │                  (tunnel), then TLS with the origin
//!  socks5(h)://proxy └──► any origin:   TCP to the proxy, SOCKS5 CONNECT
//!                                       (socks), then TLS for https
//! ```
//!
//! The list is fixed when the client is built: the proxies given to
//! [`ClientBuilder::proxy`](crate::ClientBuilder::proxy), or else those the
//! environment names (`env`), read once. [`NoProxy`] is the `NO_PROXY`
//! matcher. Opening the connection is `conn`'s job; it runs the tunnel and
//! SOCKS handshakes from here over the TCP stream it opened.

mod env;
mod no_proxy;
pub(crate) mod socks;
pub(crate) mod tunnel;

use std::fmt;
use std::sync::Arc;

use http::HeaderValue;
use url::{Host, Url};

use crate::credentials::{basic_value, userinfo};
use crate::error::{Error, Kind};
use crate::redact::{redacted, redacted_raw};

pub(crate) use env::proxies_from_env;
pub(crate) use no_proxy::NoProxy;

/// Default port of a SOCKS proxy URL without one (RFC 1928).
const SOCKS_DEFAULT_PORT: u16 = 1080;

/// A proxy for a client's requests: where it is, which requests use it.
///
/// Made by [`Proxy::http`] (plain-HTTP requests), [`Proxy::https`] (HTTPS
/// requests) or [`Proxy::all`] (both) from a proxy URL, and given to
/// [`ClientBuilder::proxy`](crate::ClientBuilder::proxy):
///
/// - `http://host:port`: an HTTP proxy. Plain-HTTP requests are sent to it
///   whole (`GET http://example.com/ HTTP/1.1`); HTTPS requests go through
///   a `CONNECT example.com:443` tunnel, with TLS end to end between the
///   client and the origin, so the proxy sees neither the request nor the
///   response. A URL without a scheme (`proxy.internal:3128`) means
///   `http://`.
/// - `socks5://host:port` (the client resolves the origin's name) and
///   `socks5h://host:port` (the proxy does), default port 1080.
///
/// Credentials in the URL (`http://user:pass@proxy:3128`, percent-encoded)
/// are sent to the proxy only: as `Proxy-Authorization: Basic` to an HTTP
/// proxy, or by SOCKS5 username/password authentication. `Debug` and every
/// error show the password as `***`.
///
/// ```
/// use aio::http::{Client, Proxy};
///
/// # fn demo() -> Result<(), aio::http::Error> {
/// let client = Client::builder()
///     .proxy(Proxy::https("http://user:secret@proxy.internal:3128")?)
///     .proxy(Proxy::all("socks5h://127.0.0.1:1080")?.no_proxy("localhost, .internal")?)
///     .build()?;
/// assert!(!format!("{client:?}").contains("secret"));
/// # Ok(()) }
/// # demo().unwrap();
/// ```
#[derive(Clone)]
pub struct Proxy {
    scope: Scope,
    target: Arc<ProxyTarget>,
    no_proxy: Option<NoProxy>,
}

/// Which requests a [`Proxy`] is for, by the scheme of their URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    Http,
    Https,
    All,
}

impl Scope {
    fn covers(self, https: bool) -> bool {
        match self {
            Scope::Http => !https,
            Scope::Https => https,
            Scope::All => true,
        }
    }
}

impl Proxy {
    /// A proxy for plain-HTTP requests (`http://` URLs) only.
    ///
    /// Fails (kind [`Builder`](Kind::Builder)) when `url` does not parse,
    /// has no host, or has another scheme than `http`, `socks5` or
    /// `socks5h`; the error shows the URL with its password as `***`.
    ///
    /// ```
    /// # let proxy = aio::http::doc_support::serve(&["200 OK\n\n{request}"]);
    /// use aio::http::{Client, Proxy};
    ///
    /// aio::run(async {
    ///     // `proxy` is a local server that answers with the request it got.
    ///     let client = Client::builder().proxy(Proxy::http(&proxy)?).build()?;
    ///     let echo = client.get("http://example.com/a").await?.text().await?;
    ///     assert!(echo.starts_with("GET http://example.com/a HTTP/1.1\r\n"), "{echo}");
    ///
    ///     let err = Proxy::http("ftp://user:secret@127.0.0.1").unwrap_err();
    ///     assert!(err.to_string().contains("ftp://user:***@127.0.0.1"), "{err}");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn http(url: impl AsRef<str>) -> Result<Proxy, Error> {
        Proxy::new(Scope::Http, url.as_ref())
    }

    /// A proxy for HTTPS requests (`https://` URLs) only: an HTTP proxy
    /// carries them through a `CONNECT` tunnel. Fails as [`Proxy::http`]
    /// does.
    ///
    /// ```
    /// # let proxy = aio::http::doc_support::serve(&["200 OK\n\nfrom the origin"]);
    /// use aio::http::{Client, Proxy};
    ///
    /// aio::run(async {
    ///     // An https:// proxy only: http:// requests go direct.
    ///     let client = Client::builder()
    ///         .proxy(Proxy::https("http://proxy.internal:3128")?)
    ///         .build()?;
    ///     assert_eq!(client.get(&proxy).await?.text().await?, "from the origin");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn https(url: impl AsRef<str>) -> Result<Proxy, Error> {
        Proxy::new(Scope::Https, url.as_ref())
    }

    /// A proxy for every request, plain HTTP and HTTPS. Fails as
    /// [`Proxy::http`] does.
    ///
    /// ```
    /// use aio::http::Proxy;
    ///
    /// let proxy = Proxy::all("socks5h://user:pw@127.0.0.1:1080").unwrap();
    /// assert!(format!("{proxy:?}").contains("socks5h://user:***@127.0.0.1:1080"));
    /// ```
    pub fn all(url: impl AsRef<str>) -> Result<Proxy, Error> {
        Proxy::new(Scope::All, url.as_ref())
    }

    /// Hosts this proxy is not used for, in the syntax of the `NO_PROXY`
    /// environment variable: a comma- or space-separated list of
    ///
    /// - names: `example.com` (or `.example.com`, or `*.example.com`)
    ///   matches `example.com` and every name under it, not
    ///   `notexample.com`;
    /// - IP addresses and CIDR blocks: `192.168.1.10`, `10.0.0.0/8`, `::1`,
    ///   `fd00::/8` (matched against URLs with an IP address, not against
    ///   names that resolve to one);
    /// - either with a port, `example.com:8080`, `[::1]:8080`: only that port;
    /// - `*`: every host.
    ///
    /// Names and addresses are compared as written in the URL, case aside:
    /// `localhost` does not cover `127.0.0.1`. Fails (kind
    /// [`Builder`](Kind::Builder)) on an entry that is none of these, e.g.
    /// `10.0.0.0/33` or `host:port`.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\ndirect"]);
    /// use aio::http::{Client, Proxy};
    ///
    /// aio::run(async {
    ///     // This proxy does not exist: only requests it is not used for work.
    ///     let proxy = Proxy::all("http://proxy.invalid:3128")?
    ///         .no_proxy("localhost, 127.0.0.1, 10.0.0.0/8, .internal")?;
    ///     let client = Client::builder().proxy(proxy).build()?;
    ///     assert_eq!(client.get(&url).await?.text().await?, "direct"); // 127.0.0.1
    ///
    ///     let err = Proxy::all("http://proxy.internal:3128")?.no_proxy("10.0.0.0/33");
    ///     assert!(err.unwrap_err().is_builder());
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn no_proxy(mut self, list: &str) -> Result<Proxy, Error> {
        self.no_proxy =
            Some(NoProxy::parse(list).map_err(|bad| {
                Error::new(Kind::Builder, format!("invalid no_proxy list: {bad}"))
            })?);
        Ok(self)
    }

    fn new(scope: Scope, url: &str) -> Result<Proxy, Error> {
        Ok(Proxy {
            scope,
            target: Arc::new(ProxyTarget::parse(url, None)?),
            no_proxy: None,
        })
    }

    /// Whether this proxy carries a request to `host:port` over `https`
    /// (or plain HTTP).
    fn serves(&self, https: bool, host: &str, port: u16) -> bool {
        self.scope.covers(https)
            && !self
                .no_proxy
                .as_ref()
                .is_some_and(|n| n.matches(host, port))
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Proxy");
        d.field("scope", &self.scope)
            .field("url", &self.target.shown);
        if let Some(no_proxy) = &self.no_proxy {
            d.field("no_proxy", no_proxy);
        }
        d.finish()
    }
}

/// The proxies of a client, in the order they are tried.
#[derive(Clone, Default)]
pub(crate) struct Proxies(Vec<Proxy>);

impl Proxies {
    pub(crate) fn new(list: Vec<Proxy>) -> Proxies {
        Proxies(list)
    }

    /// The proxy for a request to `host:port` (`host` as in the URL: a
    /// lower-case name or an IP literal, IPv6 in brackets): the first one
    /// that serves it, or `None` to go direct.
    pub(crate) fn select(&self, https: bool, host: &str, port: u16) -> Option<&Arc<ProxyTarget>> {
        self.0
            .iter()
            .find(|p| p.serves(https, host, port))
            .map(|p| &p.target)
    }
}

impl fmt::Debug for Proxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.0).finish()
    }
}

/// What a proxy speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ProxyKind {
    /// HTTP: absolute-form requests for http, `CONNECT` tunnels for https.
    Http,
    /// SOCKS5, the client resolving the origin's name.
    Socks5,
    /// SOCKS5, the proxy resolving the origin's name.
    Socks5h,
}

/// Where a proxy is and how to talk to it: part of a connection's identity
/// (the pool keeps connections through different proxies, or with
/// different credentials, apart).
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct ProxyTarget {
    pub(crate) kind: ProxyKind,
    /// A lower-case name or an IP literal, IPv6 in brackets.
    pub(crate) host: String,
    pub(crate) port: u16,
    /// Percent-decoded user name and password from the URL.
    pub(crate) credentials: Option<(Vec<u8>, Vec<u8>)>,
    /// `Proxy-Authorization` for an HTTP proxy with credentials.
    pub(crate) authorization: Option<HeaderValue>,
    /// The URL, its password as `***`: what errors and `Debug` show.
    shown: String,
}

impl ProxyTarget {
    /// Parses a proxy URL; `var` names the environment variable it came
    /// from, for the error.
    pub(crate) fn parse(text: &str, var: Option<&str>) -> Result<ProxyTarget, Error> {
        let text = text.trim();
        let invalid = |why: String| {
            let from = var.map(|v| format!(" in {v}")).unwrap_or_default();
            Error::new(
                Kind::Builder,
                format!("invalid proxy URL \"{}\"{from}: {why}", redacted_raw(text)),
            )
        };
        // `proxy:3128` would parse as a URL of scheme "proxy".
        let url = if text.contains("://") {
            Url::parse(text)
        } else {
            Url::parse(&format!("http://{text}"))
        }
        .map_err(|e| invalid(e.to_string()))?;
        let kind = match url.scheme() {
            "http" => ProxyKind::Http,
            "socks5" => ProxyKind::Socks5,
            "socks5h" => ProxyKind::Socks5h,
            "https" => {
                return Err(invalid(
                    "proxies reached over TLS (https://) are not supported; \
                     use http://, socks5:// or socks5h://"
                        .into(),
                ))
            }
            other => {
                return Err(invalid(format!(
                    "unsupported scheme \"{other}\" (use http://, socks5:// or socks5h://)"
                )))
            }
        };
        let host = match url.host() {
            Some(Host::Domain(name)) if !name.is_empty() => name.to_ascii_lowercase(),
            Some(Host::Ipv4(ip)) => ip.to_string(),
            Some(Host::Ipv6(ip)) => format!("[{ip}]"),
            _ => return Err(invalid("no host".into())),
        };
        let port = match kind {
            ProxyKind::Http => url.port_or_known_default().unwrap_or(80),
            ProxyKind::Socks5 | ProxyKind::Socks5h => url.port().unwrap_or(SOCKS_DEFAULT_PORT),
        };
        let credentials = userinfo(&url);
        if let (Some((user, password)), ProxyKind::Socks5 | ProxyKind::Socks5h) =
            (&credentials, kind)
        {
            if user.len() > 255 || password.len() > 255 {
                return Err(invalid(
                    "SOCKS5 user names and passwords are at most 255 bytes each".into(),
                ));
            }
        }
        let authorization = match (&credentials, kind) {
            (Some((user, password)), ProxyKind::Http) => Some(basic_value(user, password)),
            _ => None,
        };
        // Shown with the port it will use (http's default 80 is left out).
        let mut url = url;
        let _ = url.set_port(Some(port));
        let shown = redacted(&url).trim_end_matches('/').to_owned();
        Ok(ProxyTarget {
            kind,
            host,
            port,
            credentials,
            authorization,
            shown,
        })
    }

    /// `host:port`, the form `TcpStream::connect` resolves.
    pub(crate) fn authority(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

impl fmt::Display for ProxyTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl fmt::Debug for ProxyTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> ProxyTarget {
        ProxyTarget::parse(url, None).unwrap()
    }

    #[test]
    fn proxy_urls_read_as_curl_reads_them() {
        let t = target("http://user:p%40ss@Proxy.Example:3128");
        assert_eq!(
            (t.kind, t.host.as_str(), t.port),
            (ProxyKind::Http, "proxy.example", 3128)
        );
        assert_eq!(t.credentials, Some((b"user".to_vec(), b"p@ss".to_vec())));
        // base64("user:p@ss")
        assert_eq!(t.authorization.as_ref().unwrap(), "Basic dXNlcjpwQHNz");
        assert_eq!(t.to_string(), "http://user:***@proxy.example:3128");

        let t = target("proxy.example:3128");
        assert_eq!((t.kind, t.port), (ProxyKind::Http, 3128));
        assert_eq!(target("http://proxy.example").port, 80);
        let t = target("socks5h://u:pw@[::1]");
        assert_eq!(
            (t.kind, t.host.as_str(), t.port),
            (ProxyKind::Socks5h, "[::1]", 1080)
        );
        assert_eq!(t.authorization, None, "SOCKS credentials are no header");
        assert_eq!(t.to_string(), "socks5h://u:***@[::1]:1080");
        let t = target("socks5://127.0.0.1:9050");
        assert_eq!(
            (t.kind, t.authority().as_str()),
            (ProxyKind::Socks5, "127.0.0.1:9050")
        );
    }

    #[test]
    fn bad_proxy_urls_are_named_without_their_password() {
        let err = |url: &str, var| ProxyTarget::parse(url, var).unwrap_err().to_string();
        let e = err("ftp://ann:secret@h:21", None);
        assert!(
            e.contains("\"ftp\"") && e.contains("ftp://ann:***@h:21"),
            "{e}"
        );
        assert!(!e.contains("secret"), "{e}");
        let e = err("https://ann:secret@h", Some("HTTPS_PROXY"));
        assert!(e.contains("in HTTPS_PROXY") && e.contains("TLS"), "{e}");
        assert!(!e.contains("secret"), "{e}");
        let e = err("http://ann:secret@:3128", None);
        assert!(!e.contains("secret"), "{e}");
        let long = "x".repeat(256);
        let e = err(&format!("socks5://{long}:pw@h"), None);
        assert!(e.contains("255 bytes"), "{e}");
        assert_eq!(
            Proxy::http("http://h:99999").unwrap_err().kind(),
            Kind::Builder
        );
    }

    #[test]
    fn the_first_proxy_that_serves_a_request_wins() {
        let proxies = Proxies::new(vec![
            Proxy::http("http://plain:1").unwrap(),
            Proxy::all("http://any:2")
                .unwrap()
                .no_proxy("internal")
                .unwrap(),
        ]);
        let host = |https, host: &str| proxies.select(https, host, 80).map(|t| t.host.as_str());
        assert_eq!(host(false, "example.com"), Some("plain"));
        assert_eq!(host(true, "example.com"), Some("any"));
        assert_eq!(host(true, "api.internal"), None);
        assert_eq!(host(false, "api.internal"), Some("plain"));
        assert_eq!(Proxies::default().select(true, "example.com", 443), None);
    }
}
