//! The one error type of the client: what went wrong ([`Kind`]), for which
//! request (method and URL), and why (its own words, then the causes behind
//! it through `source()`).

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use http::{Method, StatusCode};
use url::Url;

use crate::redact::{redacted, redacted_raw, write_escaped};

/// The category of an [`Error`]; see each variant for what falls under it.
///
/// ```
/// # let nobody = aio::http::doc_support::refused();
/// use aio::http::{Error, Kind};
///
/// /// Whether trying again later may help.
/// fn transient(e: &Error) -> bool {
///     match e.kind() {
///         Kind::Connect | Kind::Timeout => true,
///         Kind::Status => e.status().is_some_and(|s| s.is_server_error()),
///         _ => false,
///     }
/// }
///
/// aio::run(async {
///     let client = aio::http::Client::new();
///     let err = client.get(&nobody).await.unwrap_err(); // nothing listens there
///     assert!(transient(&err));
///     let err = client.get("ftp://example.com/").await.unwrap_err();
///     assert!(!transient(&err));
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// The URL could not be parsed, has no host, or its scheme is not
    /// `http`/`https` (or not `https` for an
    /// [`https_only`](crate::ClientBuilder::https_only) client).
    InvalidUrl,
    /// The request or client could not be built from what the caller gave:
    /// an invalid header name or value, a header only the client may set
    /// (`Content-Length`, `Transfer-Encoding`, `Host`...) given to a request
    /// or as a default header, an invalid user agent or base URL, a query
    /// or form that cannot be urlencoded, an invalid multipart content
    /// type.
    Builder,
    /// No connection could be made: DNS resolution or TCP connect failed,
    /// or a proxy refused the request or the tunnel (a 407 or another
    /// answer to `CONNECT` than 2xx, a SOCKS5 failure); the message names
    /// the proxy, its password as `***`.
    Connect,
    /// The TLS configuration could not be built, or the handshake failed
    /// (e.g. the certificate expired, names another host, or was issued by
    /// an untrusted CA).
    Tls,
    /// A timeout elapsed; the message names the phase and which limit.
    Timeout,
    /// The HTTP exchange broke after the connection was made: the server sent
    /// an invalid or oversized response head, the connection failed or
    /// closed before the head was complete, a redirect was unusable (bad
    /// `Location`, too many redirects, or from https to http).
    Protocol,
    /// The server answered with an error status; only made by
    /// [`Response::error_for_status`](crate::Response::error_for_status).
    Status,
    /// The response body could not be decoded (invalid JSON, or JSON of
    /// another shape than asked for).
    Decode,
    /// A body could not be read or made: the response body was cut short,
    /// failed mid-way, was longer than `max_body_size`, or ended by a TLS
    /// close without `close_notify`; or the request body could not be
    /// serialized as JSON, its stream or reader failed, or it was shorter
    /// or longer than the length it declared.
    Body,
}

/// An error from the client, with the request it belongs to.
///
/// It follows the Rust convention for error chains: `Display` says what
/// failed in this error's own words, and each underlying cause is returned
/// by [`source()`](StdError::source), never both, so error reporters
/// (`anyhow`, `eyre`) print every cause once:
///
/// - `{}`: `METHOD URL: what failed`, e.g.
///   `GET http://127.0.0.1:1/: could not connect to 127.0.0.1:1`
/// - `{:#}`: the same followed by the whole cause chain on one line, e.g.
///   `GET http://127.0.0.1:1/: could not connect to 127.0.0.1:1: Connection refused (os error 111)`;
///   this is the form to print when an error ends a program.
///
/// A password in the URL is shown as `***`, and control characters from
/// any source (a URL as given, a server's bytes) as escapes such as `\n`:
/// an error can go into a log line as it is.
///
/// ```
/// # let nobody = aio::http::doc_support::refused();
/// use std::error::Error as _;
///
/// aio::run(async {
///     // Nothing listens at `nobody` (http://127.0.0.1:PORT).
///     let url = nobody.replace("//", "//ann:secret@");
///     let err = aio::http::Client::new().get(&url).await.unwrap_err();
///     // What failed, for which request (credentials never shown)...
///     let addr = nobody.trim_start_matches("http://");
///     assert_eq!(err.to_string(), format!("GET {nobody}/: could not connect to {addr}"));
///     // ...and why, in the OS's words.
///     let cause = err.source().unwrap().to_string();
///     assert_eq!(format!("{err:#}"), format!("{err}: {cause}"));
///     assert!(!format!("{err:?}").contains("secret"));
/// });
/// ```
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: Kind,
    method: Option<Method>,
    url: Option<Url>,
    /// The URL as given, when it could not be parsed.
    raw_url: Option<String>,
    status: Option<StatusCode>,
    /// What failed, in this error's own words; never repeats `source`.
    detail: String,
    source: Option<Box<dyn StdError + Send + Sync>>,
    /// `detail` is `source`'s own text (there was nothing to add to it), so
    /// `source()` skips it and starts at its cause.
    absorbed: bool,
}

impl Error {
    pub(crate) fn new(kind: Kind, detail: impl Into<String>) -> Error {
        Error {
            inner: Box::new(Inner {
                kind,
                method: None,
                url: None,
                raw_url: None,
                status: None,
                detail: detail.into(),
                source: None,
                absorbed: false,
            }),
        }
    }

    /// An error caused by `source`: `context` says what failed and
    /// `source()` returns the cause. An empty `context` has nothing to add:
    /// the source's text becomes the detail and `source()` its cause.
    pub(crate) fn with_source(
        kind: Kind,
        context: &str,
        source: impl Into<Box<dyn StdError + Send + Sync>>,
    ) -> Error {
        let source = source.into();
        let absorbed = context.is_empty();
        let detail = if absorbed {
            source.to_string()
        } else {
            context.to_owned()
        };
        let mut e = Error::new(kind, detail);
        e.inner.source = Some(source);
        e.inner.absorbed = absorbed;
        e
    }

    /// A timeout: `timed out after 2 s <phase> (<limit>)`.
    pub(crate) fn timeout(phase: Phase, limit: Limit, after: Duration) -> Error {
        Error::new(
            Kind::Timeout,
            format!(
                "timed out after {} {} ({})",
                format_duration(after),
                phase.describe(),
                limit.describe()
            ),
        )
    }

    /// Attaches the request this error belongs to (kept if already set).
    pub(crate) fn for_request(mut self, method: &Method, url: &Url) -> Error {
        if self.inner.method.is_none() {
            self.inner.method = Some(method.clone());
        }
        if self.inner.url.is_none() && self.inner.raw_url.is_none() {
            self.inner.url = Some(url.clone());
        }
        self
    }

    pub(crate) fn with_raw_url(mut self, method: &Method, raw: String) -> Error {
        self.inner.method = Some(method.clone());
        self.inner.raw_url = Some(raw);
        self
    }

    /// Adds ` (note)` to what this error says.
    pub(crate) fn with_note(mut self, note: &str) -> Error {
        self.inner.detail = format!("{} ({note})", self.inner.detail);
        self
    }

    pub(crate) fn with_status(mut self, status: StatusCode) -> Error {
        self.inner.status = Some(status);
        self
    }

    /// The detail and the whole cause chain, without the request prefix:
    /// what `{:#}` shows after `METHOD URL: `.
    pub(crate) fn chain_text(&self) -> String {
        let mut text = self.inner.detail.clone();
        push_causes(&mut text, self.source());
        text
    }

    /// What kind of failure this is.
    ///
    /// ```
    /// use aio::http::Kind;
    ///
    /// aio::run(async {
    ///     let err = aio::http::Client::new().get("http://").await.unwrap_err();
    ///     assert_eq!(err.kind(), Kind::InvalidUrl);
    /// });
    /// ```
    pub fn kind(&self) -> Kind {
        self.inner.kind
    }

    /// The URL of the request that failed (after redirects, the one being
    /// fetched when it failed); `None` when the URL itself was invalid or
    /// the error is not tied to a request (e.g. from `ClientBuilder::build`).
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["404 Not Found"]);
    /// aio::run(async {
    ///     let client = aio::http::Client::new();
    ///     let response = client.get(format!("{url}/items/7")).await?;
    ///     let err = response.error_for_status().unwrap_err();
    ///     assert_eq!(err.url().map(|u| u.path()), Some("/items/7"));
    ///     // A URL that does not parse is in the message, not here.
    ///     let err = client.get("http://exa mple.com/").await.unwrap_err();
    ///     assert_eq!(err.url(), None);
    ///     assert!(err.to_string().starts_with("GET http://exa mple.com/: "), "{err}");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn url(&self) -> Option<&Url> {
        self.inner.url.as_ref()
    }

    /// The method of the request that failed, when tied to a request.
    ///
    /// ```
    /// # let nobody = aio::http::doc_support::refused();
    /// use aio::http::Method;
    ///
    /// aio::run(async {
    ///     let err = aio::http::Client::new().post(&nobody).await.unwrap_err();
    ///     assert_eq!(err.method(), Some(&Method::POST));
    /// });
    /// ```
    pub fn method(&self) -> Option<&Method> {
        self.inner.method.as_ref()
    }

    /// The response status, for errors made by `error_for_status`, and
    /// the proxy's status when it refused a request or a tunnel (e.g. 407).
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["429 Too Many Requests"]);
    /// use aio::http::StatusCode;
    ///
    /// aio::run(async {
    ///     let response = aio::http::Client::new().get(&url).await?;
    ///     let err = response.error_for_status().unwrap_err();
    ///     assert_eq!(err.status(), Some(StatusCode::TOO_MANY_REQUESTS));
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn status(&self) -> Option<StatusCode> {
        self.inner.status
    }

    /// Whether a timeout elapsed ([`Kind::Timeout`]).
    ///
    /// ```
    /// # let url = aio::http::doc_support::silent();
    /// use std::time::Duration;
    ///
    /// aio::run(async {
    ///     let client = aio::http::Client::new();
    ///     // This server takes the request and never answers.
    ///     let request = client.get(&url).timeout(Duration::from_millis(50));
    ///     let err = request.await.unwrap_err();
    ///     assert!(err.is_timeout(), "{err}");
    /// });
    /// ```
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == Kind::Timeout
    }

    /// Whether no connection could be made ([`Kind::Connect`]).
    ///
    /// ```
    /// # let nobody = aio::http::doc_support::refused();
    /// aio::run(async {
    ///     // Nothing listens there.
    ///     let err = aio::http::Client::new().get(&nobody).await.unwrap_err();
    ///     assert!(err.is_connect(), "{err}");
    /// });
    /// ```
    pub fn is_connect(&self) -> bool {
        self.inner.kind == Kind::Connect
    }

    /// Whether TLS failed ([`Kind::Tls`]).
    ///
    /// ```
    /// # let cert = rcgen::generate_simple_self_signed(["127.0.0.1".to_owned()]).unwrap();
    /// # let (cert_pem, key_pem) = (cert.cert.pem(), cert.signing_key.serialize_pem());
    /// # let url = aio::http::doc_support::serve_tls(&cert_pem, &key_pem, &["200 OK"]);
    /// aio::run(async {
    ///     // This server's certificate is signed by itself, not by a trusted CA.
    ///     let err = aio::http::Client::new().get(&url).await.unwrap_err();
    ///     assert!(err.is_tls());
    ///     assert!(format!("{err:#}").contains("unknown issuer"), "{err:#}");
    /// });
    /// ```
    pub fn is_tls(&self) -> bool {
        self.inner.kind == Kind::Tls
    }

    /// Whether the server answered with an error status ([`Kind::Status`]).
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["500 Internal Server Error"]);
    /// aio::run(async {
    ///     let response = aio::http::Client::new().get(&url).await?;
    ///     let err = response.error_for_status().unwrap_err();
    ///     assert!(err.is_status());
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn is_status(&self) -> bool {
        self.inner.kind == Kind::Status
    }

    /// Whether the caller's request or settings were unusable
    /// ([`Kind::Builder`]).
    ///
    /// ```
    /// aio::run(async {
    ///     let client = aio::http::Client::new();
    ///     let request = client.get("http://example.com/").header("content-length", "12");
    ///     // Framing is the client's business: refused before any connection.
    ///     let err = request.await.unwrap_err();
    ///     assert!(err.is_builder(), "{err}");
    /// });
    /// ```
    pub fn is_builder(&self) -> bool {
        self.inner.kind == Kind::Builder
    }

    /// Whether the URL was unusable ([`Kind::InvalidUrl`]).
    ///
    /// ```
    /// aio::run(async {
    ///     let err = aio::http::Client::new().get("ftp://example.com/").await.unwrap_err();
    ///     assert!(err.is_invalid_url(), "{err}");
    /// });
    /// ```
    pub fn is_invalid_url(&self) -> bool {
        self.inner.kind == Kind::InvalidUrl
    }

    /// Whether the HTTP exchange broke ([`Kind::Protocol`]).
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\nhi"]);
    /// aio::run(async {
    ///     // This server's answer has two different Content-Lengths.
    ///     let err = aio::http::Client::new().get(&url).await.unwrap_err();
    ///     assert!(err.is_protocol(), "{err}");
    /// });
    /// ```
    pub fn is_protocol(&self) -> bool {
        self.inner.kind == Kind::Protocol
    }

    /// Whether the response body could not be decoded ([`Kind::Decode`]).
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\n<html>"]);
    /// aio::run(async {
    ///     let response = aio::http::Client::new().get(&url).await?;
    ///     let err = response.json::<Vec<u32>>().await.unwrap_err();
    ///     assert!(err.is_decode());
    ///     assert!(err.to_string().contains("invalid JSON"), "{err}");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn is_decode(&self) -> bool {
        self.inner.kind == Kind::Decode
    }

    /// Whether a body could not be read or made ([`Kind::Body`]).
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["HTTP/1.1 200 OK\r\ncontent-length: 10\r\nconnection: close\r\n\r\nhalf"]);
    /// aio::run(async {
    ///     // This server promises 10 bytes and sends 4.
    ///     let response = aio::http::Client::new().get(&url).await?;
    ///     let err = response.bytes().await.unwrap_err();
    ///     assert!(err.is_body(), "{err}");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn is_body(&self) -> bool {
        self.inner.kind == Kind::Body
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        let mut text = String::new();
        if let Some(method) = &inner.method {
            text.push_str(method.as_str());
            text.push(' ');
        }
        match (&inner.url, &inner.raw_url) {
            (Some(url), _) => text.push_str(&redacted(url)),
            (None, Some(raw)) => text.push_str(&redacted_raw(raw)),
            (None, None) => {}
        }
        if inner.method.is_some() || inner.url.is_some() || inner.raw_url.is_some() {
            text.push_str(": ");
        }
        if f.alternate() {
            text.push_str(&self.chain_text());
        } else {
            text.push_str(&inner.detail);
        }
        write_escaped(f, &text)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.inner.kind)
            .field("message", &format!("{self:#}"))
            .finish()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        let source = self.inner.source.as_deref()?;
        if self.inner.absorbed {
            source.source()
        } else {
            Some(source)
        }
    }
}

/// Appends `: cause` for `first` and each cause behind it, skipping one
/// whose text is already shown (some errors display their own source).
fn push_causes(text: &mut String, first: Option<&(dyn StdError + 'static)>) {
    let mut next = first;
    while let Some(e) = next {
        let part = e.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        next = e.source();
    }
}

/// What the client was doing when a timeout elapsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    PoolWait,
    Connect,
    ProxyHandshake,
    TlsHandshake,
    SendRequest,
    ResponseHead,
    ResponseBody,
}

impl Phase {
    fn describe(self) -> &'static str {
        match self {
            Phase::PoolWait => {
                "waiting for a free connection (pool_max_connections_per_host and \
                 pool_max_connections limit how many are open)"
            }
            Phase::Connect => "connecting",
            Phase::ProxyHandshake => "setting up the tunnel through the proxy",
            Phase::TlsHandshake => "during the TLS handshake",
            Phase::SendRequest => "sending the request",
            Phase::ResponseHead => "waiting for the response head",
            Phase::ResponseBody => "reading the response body",
        }
    }
}

/// Which configured limit elapsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limit {
    Connect,
    Read,
    Total,
}

impl Limit {
    fn describe(self) -> &'static str {
        match self {
            Limit::Connect => "connect timeout, set by ClientBuilder::connect_timeout",
            Limit::Read => "read timeout, set by ClientBuilder::read_timeout",
            Limit::Total => {
                "total timeout, set by ClientBuilder::timeout or RequestBuilder::timeout"
            }
        }
    }
}

/// `2 s`, `1.5 s`, `250 ms`, `0 ms`.
pub(crate) fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        if ms == 0 && !d.is_zero() {
            return format!("{} µs", d.as_micros());
        }
        return format!("{ms} ms");
    }
    if ms % 1000 == 0 {
        return format!("{} s", ms / 1000);
    }
    let text = format!("{:.3}", d.as_secs_f64());
    format!("{} s", text.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(format_duration(Duration::from_secs(2)), "2 s");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5 s");
        assert_eq!(format_duration(Duration::from_millis(250)), "250 ms");
        assert_eq!(format_duration(Duration::from_micros(5)), "5 µs");
        assert_eq!(format_duration(Duration::ZERO), "0 ms");
    }

    #[test]
    fn display_is_method_url_then_own_words_alternate_adds_the_chain() {
        let io = std::io::Error::other("boom");
        let url = Url::parse("https://h/p").unwrap();
        let e = Error::with_source(Kind::Connect, "could not connect", io)
            .for_request(&Method::GET, &url);
        assert_eq!(e.to_string(), "GET https://h/p: could not connect");
        assert_eq!(format!("{e:#}"), "GET https://h/p: could not connect: boom");
        assert_eq!(e.source().unwrap().to_string(), "boom");
        assert_eq!(e.url(), Some(&url));
        let t = Error::timeout(Phase::ResponseHead, Limit::Read, Duration::from_secs(2));
        assert_eq!(
            t.to_string(),
            "timed out after 2 s waiting for the response head (read timeout, set by ClientBuilder::read_timeout)"
        );
        assert!(t.is_timeout());
    }

    #[test]
    fn an_absorbed_source_is_shown_once() {
        let inner = std::io::Error::other("refused");
        let outer = std::io::Error::other(Wrap(inner));
        let e = Error::with_source(Kind::Connect, "", outer);
        assert_eq!(e.to_string(), "could not connect");
        assert_eq!(e.source().unwrap().to_string(), "refused");
        assert_eq!(format!("{e:#}"), "could not connect: refused");
    }

    #[test]
    fn passwords_are_hidden() {
        let url = Url::parse("https://ann:secret@h/p").unwrap();
        let e = Error::new(Kind::Connect, "x").for_request(&Method::GET, &url);
        assert_eq!(e.to_string(), "GET https://ann:***@h/p: x");
        assert!(!format!("{e:?}").contains("secret"));
    }

    #[derive(Debug)]
    struct Wrap(std::io::Error);
    impl fmt::Display for Wrap {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("could not connect")
        }
    }
    impl StdError for Wrap {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&self.0)
        }
    }
}
