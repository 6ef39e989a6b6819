//! `Client` and its builder: the public handle to a client's [`Shared`]
//! state (configuration, TLS setup, pool), and how that state is built.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderValue, Method};
#[cfg(feature = "http2")]
use rustls::ClientConfig;
use url::Url;

#[cfg(feature = "cookies")]
use crate::cookies::Jar;
use crate::error::{Error, Kind};
use crate::pool::{ConnLimits, Pool};
use crate::proto::Limits;
use crate::proxy::{proxies_from_env, Proxies, Proxy};
use crate::redact::{is_secret_header, redacted, redacted_raw, ShownHeaders};
use crate::request::{client_owned, IntoUrl, RequestBuilder};
use crate::retry::Retry;
use crate::shared::Shared;
use crate::tls::{self, TlsOptions};

/// Default for [`ClientBuilder::connect_timeout`].
///
/// ```
/// use std::time::Duration;
/// use aio::http::{Client, DEFAULT_CONNECT_TIMEOUT};
///
/// assert_eq!(DEFAULT_CONNECT_TIMEOUT, Duration::from_secs(10));
/// // For hosts behind a slow satellite link:
/// let client = Client::builder().connect_timeout(DEFAULT_CONNECT_TIMEOUT * 3).build();
/// assert!(client.is_ok());
/// ```
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Default for [`ClientBuilder::pool_idle_timeout`].
///
/// ```
/// use std::time::Duration;
/// use aio::http::{Client, DEFAULT_POOL_IDLE_TIMEOUT};
///
/// assert_eq!(DEFAULT_POOL_IDLE_TIMEOUT, Duration::from_secs(90));
/// // For a server that drops idle connections after 30 s: let them go first.
/// let client = Client::builder().pool_idle_timeout(Duration::from_secs(25)).build();
/// assert!(client.is_ok());
/// ```
pub const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// Default for [`ClientBuilder::pool_max_idle_per_host`].
///
/// ```
/// use aio::http::{Client, DEFAULT_POOL_MAX_IDLE_PER_HOST};
///
/// assert_eq!(DEFAULT_POOL_MAX_IDLE_PER_HOST, 32);
/// // A crawler touching each host once keeps few idle connections.
/// let client = Client::builder().pool_max_idle_per_host(2).build();
/// assert!(client.is_ok());
/// ```
pub const DEFAULT_POOL_MAX_IDLE_PER_HOST: usize = 32;

/// Default for [`ClientBuilder::read_timeout`]: a server that accepted the
/// request and then says nothing for this long is given up on. Long enough
/// for slow APIs (httpx's 5 s trips on many), short enough that a dead
/// server cannot hold a task for ever (reqwest and curl wait for ever).
///
/// ```
/// use std::time::Duration;
/// use aio::http::{Client, DEFAULT_READ_TIMEOUT};
///
/// assert_eq!(DEFAULT_READ_TIMEOUT, Duration::from_secs(30));
/// // A report endpoint known to think for minutes before it answers:
/// let client = Client::builder().read_timeout(DEFAULT_READ_TIMEOUT * 10).build();
/// assert!(client.is_ok());
/// ```
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Default for [`ClientBuilder::max_buffered_body_size`]: 100 MiB. Bodies
/// read whole into memory (`bytes`, `text`, `json`) are API answers and
/// documents, rarely beyond a few MiB; a larger one is a download, to be
/// read with [`Response::chunk`](crate::Response::chunk), or a hostile
/// server's attempt to take the process's memory.
///
/// ```
/// use aio::http::{Client, DEFAULT_MAX_BUFFERED_BODY_SIZE};
///
/// assert_eq!(DEFAULT_MAX_BUFFERED_BODY_SIZE, 100 * 1024 * 1024);
/// // An API that answers with 1 KiB documents: anything much larger is wrong.
/// let client = Client::builder().max_buffered_body_size(64 * 1024).build();
/// assert!(client.is_ok());
/// ```
pub const DEFAULT_MAX_BUFFERED_BODY_SIZE: u64 = 100 * 1024 * 1024;

/// Default for [`ClientBuilder::pool_max_connections_per_host`]: enough for
/// any sensible fan-out to one server, few enough that a `gather` over
/// thousands of URLs does not open thousands of sockets (browsers use 6,
/// httpx 100 in all, reqwest no limit).
///
/// ```
/// use aio::http::{Client, DEFAULT_POOL_MAX_CONNECTIONS_PER_HOST};
///
/// assert_eq!(DEFAULT_POOL_MAX_CONNECTIONS_PER_HOST, 100);
/// // An API that allows 8 connections per client:
/// let client = Client::builder().pool_max_connections_per_host(8).build();
/// assert!(client.is_ok());
/// ```
pub const DEFAULT_POOL_MAX_CONNECTIONS_PER_HOST: usize = 100;

/// Default for [`ClientBuilder::redirect_limit`].
///
/// ```
/// # let url = aio::http::doc_support::serve(&["302 Found\nlocation: /again"]);
/// use aio::http::DEFAULT_REDIRECT_LIMIT;
///
/// aio::run(async {
///     // This server redirects every request to itself.
///     let err = aio::http::Client::new().get(&url).await.unwrap_err();
///     assert!(err.is_protocol());
///     let expected = format!("too many redirects (limit {DEFAULT_REDIRECT_LIMIT})");
///     assert!(err.to_string().ends_with(&expected), "{err}");
/// });
/// ```
pub const DEFAULT_REDIRECT_LIMIT: usize = 10;

/// The default `User-Agent`.
///
/// ```
/// # let url = aio::http::doc_support::serve(&["200 OK\n\n{request}"]);
/// use aio::http::{Client, DEFAULT_USER_AGENT};
///
/// assert!(DEFAULT_USER_AGENT.starts_with("aio/"));
/// aio::run(async {
///     let client = Client::builder()
///         .user_agent(format!("inventory/2.1 {DEFAULT_USER_AGENT}"))
///         .build()?;
///     // This server answers with the request it received.
///     let echo = client.get(&url).await?.text().await?;
///     assert!(echo.contains("user-agent: inventory/2.1 aio/"), "{echo}");
///     Ok::<_, aio::http::Error>(())
/// })
/// .unwrap();
/// ```
pub const DEFAULT_USER_AGENT: &str = concat!("aio/", env!("CARGO_PKG_VERSION"));

/// An HTTP/1.1 client with a keep-alive connection pool, for http and https.
///
/// Cloning is cheap (one reference count) and clones share the pool, so make
/// one client and pass it around. Requests run inside `aio::run()`.
///
/// ```
/// # let url = aio::http::doc_support::serve(&["200 OK\n\nhello"]);
/// aio::run(async {
///     let client = aio::http::Client::new();
///     let text = client.get(&url).await?.text().await?;
///     assert_eq!(text, "hello");
///
///     // A clone reuses the connection the first request left in the pool
///     // (this test server numbers its connections in `x-connection`).
///     let response = client.clone().get(&url).await?;
///     assert_eq!(response.headers()["x-connection"], "1");
///     Ok::<_, aio::http::Error>(())
/// })
/// .unwrap();
/// ```
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
}

impl Client {
    /// A client with the default settings (see [`ClientBuilder`]).
    ///
    /// # Panics
    /// When the environment it trusts is unusable: the file named by
    /// `SSL_CERT_FILE` is unreadable or holds no certificate, or a proxy
    /// variable (`HTTPS_PROXY`, `NO_PROXY`...) is malformed. Use
    /// `Client::builder().build()` to get that as an error instead.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\nhello"]);
    /// aio::run(async {
    ///     let client = aio::http::Client::new();
    ///     let response = client.get(&url).await?;
    ///     assert_eq!(response.status(), 200);
    ///     assert_eq!(response.text().await?, "hello");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn new() -> Client {
        match Client::builder().build() {
            Ok(client) => client,
            Err(e) => panic!(
                "aio::http::Client::new(): {e} (use Client::builder().build() to handle this error)"
            ),
        }
    }

    /// A builder to configure a client.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\n{request}"]);
    /// aio::run(async {
    ///     let client = aio::http::Client::builder()
    ///         .user_agent("inventory/2.1")
    ///         .timeout(Duration::from_secs(20))
    ///         .build()?;
    ///     // This server answers with the request it received.
    ///     let echo = client.get(&url).await?.text().await?;
    ///     assert!(echo.contains("user-agent: inventory/2.1\r\n"), "{echo}");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A GET request.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\n{request}"]);
    /// aio::run(async {
    ///     let client = aio::http::Client::new();
    ///     // This server answers with the request it received.
    ///     let echo = client.get(format!("{url}/items?page=2")).await?.text().await?;
    ///     assert!(echo.starts_with("GET /items?page=2 HTTP/1.1\r\n"), "{echo}");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn get(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request(Method::GET, url)
    }

    /// A POST request.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\n{request}"]);
    /// aio::run(async {
    ///     let client = aio::http::Client::new();
    ///     let request = client.post(format!("{url}/items")).body("name=lamp");
    ///     // This server answers with the request it received.
    ///     let echo = request.await?.text().await?;
    ///     assert!(echo.starts_with("POST /items HTTP/1.1\r\n"), "{echo}");
    ///     assert!(echo.ends_with("\r\n\r\nname=lamp"), "{echo}");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn post(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request(Method::POST, url)
    }

    /// A PUT request.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\n{request}"]);
    /// aio::run(async {
    ///     let client = aio::http::Client::new();
    ///     let request = client.put(format!("{url}/items/7")).body("name=desk lamp");
    ///     // This server answers with the request it received.
    ///     let echo = request.await?.text().await?;
    ///     assert!(echo.starts_with("PUT /items/7 HTTP/1.1\r\n"), "{echo}");
    ///     assert!(echo.contains("content-length: 14\r\n"), "{echo}");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn put(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request(Method::PUT, url)
    }

    /// A PATCH request.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\n{request}"]);
    /// aio::run(async {
    ///     let client = aio::http::Client::new();
    ///     let request = client.patch(format!("{url}/items/7")).body("price=12");
    ///     // This server answers with the request it received.
    ///     let echo = request.await?.text().await?;
    ///     assert!(echo.starts_with("PATCH /items/7 HTTP/1.1\r\n"), "{echo}");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn patch(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request(Method::PATCH, url)
    }

    /// A DELETE request.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["204 No Content"]);
    /// use aio::http::StatusCode;
    ///
    /// aio::run(async {
    ///     let client = aio::http::Client::new();
    ///     let response = client.delete(format!("{url}/items/7")).await?;
    ///     assert_eq!(response.status(), StatusCode::NO_CONTENT);
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn delete(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request(Method::DELETE, url)
    }

    /// A HEAD request.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\ncontent-length: 52000"]);
    /// aio::run(async {
    ///     let client = aio::http::Client::new();
    ///     // The size of a download, without downloading it.
    ///     let response = client.head(format!("{url}/big.iso")).await?;
    ///     assert_eq!(response.content_length(), Some(52_000));
    ///     assert!(response.bytes().await?.is_empty());
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn head(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request(Method::HEAD, url)
    }

    /// A request with any method. An invalid URL is reported when the
    /// request is sent, as an error of kind [`InvalidUrl`](Kind::InvalidUrl).
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\n{request}"]);
    /// use aio::http::Method;
    ///
    /// aio::run(async {
    ///     let client = aio::http::Client::new();
    ///     // This server answers with the request it received.
    ///     let echo = client.request(Method::OPTIONS, &url).await?.text().await?;
    ///     assert!(echo.starts_with("OPTIONS / HTTP/1.1\r\n"), "{echo}");
    ///
    ///     let err = client.request(Method::GET, "no scheme").await.unwrap_err();
    ///     assert!(err.is_invalid_url(), "{err}");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn request(&self, method: Method, url: impl IntoUrl) -> RequestBuilder {
        RequestBuilder::new(Arc::clone(&self.shared), method, url)
    }
}

impl Default for Client {
    /// Same as [`Client::new`] (and panics likewise).
    fn default() -> Client {
        Client::new()
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &*self.shared;
        let mut f = f.debug_struct("Client");
        f.field("connect_timeout", &i.connect_timeout)
            .field("read_timeout", &i.read_timeout)
            .field("timeout", &i.timeout)
            .field("redirect_limit", &i.redirect_limit)
            .field("max_body_size", &i.limits.max_body_bytes)
            .field("max_buffered_body_size", &i.max_buffered_body)
            .field("https_only", &i.https_only)
            .field("https_to_http_redirects", &i.https_to_http_redirects)
            .field("decompress", &i.decompress)
            .field("retry", &i.retry)
            .field("user_agent", &i.user_agent)
            .field("default_headers", &ShownHeaders(&i.default_headers))
            .field("base_url", &i.base_url.as_ref().map(redacted))
            .field("cookie_store", &i.cookies.is_some())
            .field("proxies", &i.proxies);
        #[cfg(feature = "http2")]
        f.field("http2", &i.http2);
        f.finish_non_exhaustive()
    }
}

/// Configures a [`Client`]. Every setting has a default; `build()` makes
/// the TLS configuration once, so requests never rebuild it.
///
/// ```
/// use std::time::Duration;
/// use aio::http::{Client, Retry};
///
/// let client = Client::builder()
///     .connect_timeout(Duration::from_secs(3))
///     .timeout(Duration::from_secs(30))
///     .retry(Retry::new(2))
///     .user_agent("inventory/2.1")
///     .build()
///     .unwrap();
/// assert!(format!("{client:?}").contains("inventory/2.1"));
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until build() is called"]
pub struct ClientBuilder {
    connect_timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    timeout: Option<Duration>,
    pool_max_idle_per_host: usize,
    pool_idle_timeout: Option<Duration>,
    pool_max_connections_per_host: Option<usize>,
    pool_max_connections: Option<usize>,
    trust_env: bool,
    extra_roots_pem: Vec<Vec<u8>>,
    user_agent: String,
    redirect_limit: usize,
    max_body_size: Option<u64>,
    max_buffered_body_size: u64,
    https_only: bool,
    https_to_http_redirects: bool,
    decompress: bool,
    retry: Option<Retry>,
    proxies: Vec<Proxy>,
    no_proxy: bool,
    default_headers: DefaultHeaders,
    base_url: Option<BaseUrl>,
    #[cfg(feature = "cookies")]
    cookie_store: bool,
    // Without the `http2` feature every client is HTTP/1.1 only.
    #[cfg_attr(not(feature = "http2"), allow(dead_code))]
    http1_only: bool,
    #[cfg(feature = "http2")]
    http2_prior_knowledge: bool,
}

/// The default headers; `Debug` hides credentials.
#[derive(Clone, Default)]
struct DefaultHeaders(HeaderMap);

impl fmt::Debug for DefaultHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        ShownHeaders(&self.0).fmt(f)
    }
}

/// The base URL as given: parsed, or the text that failed and why (reported
/// by `build()`). `Debug` hides a password.
#[derive(Clone)]
enum BaseUrl {
    Parsed(Url),
    Invalid(String, url::ParseError),
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BaseUrl::Parsed(url) => fmt::Debug::fmt(&redacted(url), f),
            BaseUrl::Invalid(raw, _) => fmt::Debug::fmt(&redacted_raw(raw), f),
        }
    }
}

impl Default for ClientBuilder {
    fn default() -> ClientBuilder {
        ClientBuilder::new()
    }
}

impl ClientBuilder {
    /// The defaults: connect timeout 10 s, read timeout 30 s, no total
    /// timeout, at most 100 connections per host, 32 of them kept idle for
    /// 90 s, environment
    /// trusted, user agent `aio/<version>`, 10 redirects (never from https
    /// to http), bodies read whole up to 100 MiB, no limit on a body read
    /// piece by piece, compressed bodies asked for and decoded.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\n{request}"]);
    /// use aio::http::{ClientBuilder, DEFAULT_USER_AGENT};
    ///
    /// aio::run(async {
    ///     let client = ClientBuilder::new().build()?; // as Client::builder()
    ///     // This server answers with the request it received.
    ///     let echo = client.get(&url).await?.text().await?;
    ///     assert!(echo.contains(&format!("user-agent: {DEFAULT_USER_AGENT}\r\n")));
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn new() -> ClientBuilder {
        ClientBuilder {
            connect_timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            read_timeout: Some(DEFAULT_READ_TIMEOUT),
            timeout: None,
            pool_max_idle_per_host: DEFAULT_POOL_MAX_IDLE_PER_HOST,
            pool_idle_timeout: Some(DEFAULT_POOL_IDLE_TIMEOUT),
            pool_max_connections_per_host: Some(DEFAULT_POOL_MAX_CONNECTIONS_PER_HOST),
            pool_max_connections: None,
            trust_env: true,
            extra_roots_pem: Vec::new(),
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            redirect_limit: DEFAULT_REDIRECT_LIMIT,
            max_body_size: None,
            max_buffered_body_size: DEFAULT_MAX_BUFFERED_BODY_SIZE,
            https_only: false,
            https_to_http_redirects: false,
            default_headers: DefaultHeaders::default(),
            base_url: None,
            #[cfg(feature = "cookies")]
            cookie_store: false,
            http1_only: false,
            #[cfg(feature = "http2")]
            http2_prior_knowledge: false,
            decompress: true,
            retry: None,
            proxies: Vec::new(),
            no_proxy: false,
        }
    }

    /// Limit for opening a connection: DNS, TCP connect and TLS handshake
    /// together, and through a proxy the `CONNECT` exchange or SOCKS5
    /// handshake as well (default 10 s).
    ///
    /// ```
    /// # let nobody = aio::http::doc_support::refused();
    /// use std::time::Duration;
    ///
    /// aio::run(async {
    ///     let client = aio::http::Client::builder()
    ///         .connect_timeout(Duration::from_secs(2))
    ///         .build()?;
    ///     // A refusal comes at once; the timeout is for a host that is silent.
    ///     let err = client.get(&nobody).await.unwrap_err();
    ///     assert!(err.is_connect(), "{err}");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn connect_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Limit for each wait on an open connection: for the response head,
    /// for each piece of the body, and for the socket to take more of the
    /// request. Default [`DEFAULT_READ_TIMEOUT`] (30 s); `Duration::MAX`
    /// turns it off.
    ///
    /// It bounds the *gap* between bytes, not a whole phase: the clock
    /// restarts whenever a read returns data. A server that trickles a byte
    /// just inside it (a "slow loris") is never stopped by it; set
    /// [`timeout`](ClientBuilder::timeout) as well, which bounds the whole
    /// request. The error (kind [`Timeout`](Kind::Timeout)) names the
    /// phase and says "(read timeout)".
    ///
    /// ```
    /// # let url = aio::http::doc_support::silent();
    /// use std::time::Duration;
    ///
    /// aio::run(async {
    ///     let client = aio::http::Client::builder()
    ///         .read_timeout(Duration::from_millis(100))
    ///         .build()?;
    ///     // This server takes the request and never answers.
    ///     let err = client.get(&url).await.unwrap_err();
    ///     assert!(err.is_timeout());
    ///     assert!(err.to_string().contains(
    ///         "timed out after 100 ms waiting for the response head (read timeout"
    ///     ), "{err}");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn read_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.read_timeout = Some(timeout);
        self
    }

    /// Limit for a whole request, from sending it (connecting included)
    /// until the body has been read, redirects included. Off by default;
    /// [`RequestBuilder::timeout`] overrides it per request.
    ///
    /// This is the defence against servers that answer, but too slowly to
    /// ever finish (a head or body sent a byte at a time): the error (kind
    /// [`Timeout`](Kind::Timeout)) names the phase it cut short and says
    /// "(total timeout)". Reading the body counts, so a caller streaming a
    /// long body with [`Response::chunk`](crate::Response::chunk) needs a
    /// limit that covers it.
    ///
    /// ```
    /// # let url = aio::http::doc_support::silent();
    /// use std::time::Duration;
    ///
    /// aio::run(async {
    ///     let client = aio::http::Client::builder()
    ///         .timeout(Duration::from_millis(100))
    ///         .build()?;
    ///     // This server takes the request and never answers.
    ///     let err = client.get(&url).await.unwrap_err();
    ///     assert!(err.is_timeout());
    ///     assert!(err.to_string().contains("(total timeout"), "{err}");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.timeout = Some(timeout);
        self
    }

    /// Most idle connections kept per (scheme, host, port); 0 disables
    /// keep-alive reuse (default 32).
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\nhi"]);
    /// aio::run(async {
    ///     let client = aio::http::Client::builder().pool_max_idle_per_host(0).build()?;
    ///     // This test server numbers its connections in `x-connection`.
    ///     for expected in ["1", "2"] {
    ///         let response = client.get(&url).await?;
    ///         assert_eq!(response.headers()["x-connection"], expected);
    ///         response.text().await?; // the connection is done with, and closed
    ///     }
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn pool_max_idle_per_host(mut self, max: usize) -> ClientBuilder {
        self.pool_max_idle_per_host = max;
        self
    }

    /// How long an idle connection may wait for reuse (default 90 s). Expired
    /// connections are closed when the pool next looks at their host.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\nhi"]);
    /// use std::time::Duration;
    ///
    /// aio::run(async {
    ///     let client = aio::http::Client::builder()
    ///         .pool_idle_timeout(Duration::from_millis(50))
    ///         .build()?;
    ///     // This test server numbers its connections in `x-connection`.
    ///     let first = client.get(&url).await?;
    ///     assert_eq!(first.headers()["x-connection"], "1");
    ///     first.text().await?; // back to the pool, idle
    ///     aio::time::sleep(Duration::from_millis(100)).await;
    ///     let second = client.get(&url).await?;
    ///     assert_eq!(second.headers()["x-connection"], "2", "the idle one expired");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn pool_idle_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.pool_idle_timeout = Some(timeout);
        self
    }

    /// Most connections open at once to one (scheme, host, port), idle or
    /// in use (default [`DEFAULT_POOL_MAX_CONNECTIONS_PER_HOST`], 100;
    /// `usize::MAX` for no limit). A request that would need one more waits
    /// until one is released or closed, bounded by the total
    /// [`timeout`](ClientBuilder::timeout) only; waiting requests are
    /// served in order.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\nhi"]);
    /// aio::run(async {
    ///     let client = aio::http::Client::builder()
    ///         .pool_max_connections_per_host(1)
    ///         .build()?;
    ///     let fetch = || async {
    ///         let response = client.get(&url).await?;
    ///         // This test server numbers its connections in `x-connection`.
    ///         let connection = response.headers()["x-connection"].clone();
    ///         response.text().await?; // releases the connection
    ///         Ok::<_, aio::http::Error>(connection)
    ///     };
    ///     // The second request waits for the first one's connection.
    ///     for connection in aio::gather([fetch(), fetch()]).await {
    ///         assert_eq!(connection?, "1");
    ///     }
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn pool_max_connections_per_host(mut self, max: usize) -> ClientBuilder {
        self.pool_max_connections_per_host = Some(max.max(1)).filter(|&m| m != usize::MAX);
        self
    }

    /// Most connections open at once in all, to every host together (no
    /// limit by default). Requests over it wait as for
    /// [`pool_max_connections_per_host`](ClientBuilder::pool_max_connections_per_host).
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\nhi"]);
    /// aio::run(async {
    ///     let client = aio::http::Client::builder().pool_max_connections(1).build()?;
    ///     let fetch = |path| {
    ///         let request = client.get(format!("{url}/{path}"));
    ///         async { request.await?.text().await }
    ///     };
    ///     // Three requests, one connection: they take turns.
    ///     let bodies = aio::gather([fetch("a"), fetch("b"), fetch("c")]).await;
    ///     assert!(bodies.iter().all(|body| body.as_deref().ok() == Some("hi")));
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn pool_max_connections(mut self, max: usize) -> ClientBuilder {
        self.pool_max_connections = Some(max.max(1)).filter(|&m| m != usize::MAX);
        self
    }

    /// Whether to trust the environment (default `true`), read once by
    /// [`build`](ClientBuilder::build):
    ///
    /// - when `SSL_CERT_FILE` (a PEM bundle) or `SSL_CERT_DIR` (directories
    ///   of PEM files) is set, the roots they name replace the built-in
    ///   ones, as OpenSSL, curl and httpx read them;
    /// - unless proxies were given with [`proxy`](ClientBuilder::proxy),
    ///   `HTTP_PROXY` (plain-HTTP requests), `HTTPS_PROXY` (HTTPS requests)
    ///   and `ALL_PROXY` (both) name proxies, in any form [`Proxy`] takes,
    ///   and `NO_PROXY` the hosts that go direct (see
    ///   [`Proxy::no_proxy`]). As in curl, the lower-case form of each
    ///   (`https_proxy`) wins over the upper-case one, and an empty value
    ///   means none. Under CGI (`REQUEST_METHOD` set) upper-case
    ///   `HTTP_PROXY` is ignored: a CGI server sets it from the request's
    ///   `Proxy:` header ("httpoxy").
    ///
    /// An unreadable file or directory, or a malformed proxy variable,
    /// makes `build` fail naming it and the variable. `false` ignores all
    /// of these variables.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\nhi"]);
    /// # let dead_proxy = aio::http::doc_support::refused();
    /// use aio::http::Client;
    ///
    /// std::env::set_var("HTTP_PROXY", &dead_proxy);
    /// aio::run(async {
    ///     let err = Client::new().get(&url).await.unwrap_err();
    ///     assert!(err.is_connect(), "the proxy is down: {err}");
    ///     // Whatever HTTP_PROXY says, this client goes direct.
    ///     let client = Client::builder().trust_env(false).build()?;
    ///     assert_eq!(client.get(&url).await?.text().await?, "hi");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn trust_env(mut self, trust: bool) -> ClientBuilder {
        self.trust_env = trust;
        self
    }

    /// Also trusts the root certificate(s) in this PEM document (e.g. a
    /// corporate or test CA). A malformed document makes `build()` fail.
    ///
    /// ```
    /// # let cert = rcgen::generate_simple_self_signed(["127.0.0.1".to_owned()]).unwrap();
    /// # let (cert_pem, key_pem) = (cert.cert.pem(), cert.signing_key.serialize_pem());
    /// # let url = aio::http::doc_support::serve_tls(&cert_pem, &key_pem, &["200 OK\n\nsecret"]);
    /// aio::run(async {
    ///     // The server's certificate is its own issuer: no built-in root
    ///     // vouches for it.
    ///     let err = aio::http::Client::new().get(&url).await.unwrap_err();
    ///     assert!(err.is_tls(), "{err}");
    ///     let client = aio::http::Client::builder()
    ///         .add_root_certificate(&cert_pem)
    ///         .build()?;
    ///     assert_eq!(client.get(&url).await?.text().await?, "secret");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn add_root_certificate(mut self, pem: impl AsRef<[u8]>) -> ClientBuilder {
        self.extra_roots_pem.push(pem.as_ref().to_vec());
        self
    }

    /// The `User-Agent` sent unless a request sets its own (default
    /// `aio/<crate version>`).
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\n{request}"]);
    /// aio::run(async {
    ///     let client = aio::http::Client::builder().user_agent("inventory/2.1").build()?;
    ///     // This server answers with the request it received.
    ///     let echo = client.get(&url).await?.text().await?;
    ///     assert!(echo.contains("user-agent: inventory/2.1\r\n"), "{echo}");
    ///     let echo = client
    ///         .get(&url)
    ///         .header("user-agent", "inventory-sync/1.0")
    ///         .await?
    ///         .text()
    ///         .await?;
    ///     assert!(echo.contains("user-agent: inventory-sync/1.0\r\n"), "{echo}");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> ClientBuilder {
        self.user_agent = user_agent.into();
        self
    }

    /// Most redirects followed per request (default 10); one more is an
    /// error of kind [`Protocol`](Kind::Protocol). 0 follows none: the 3xx
    /// response is returned as is.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["302 Found\nlocation: /login"]);
    /// aio::run(async {
    ///     let client = aio::http::Client::builder().redirect_limit(0).build()?;
    ///     let response = client.get(&url).await?;
    ///     assert_eq!(response.status(), 302);
    ///     assert_eq!(response.headers()["location"], "/login");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn redirect_limit(mut self, limit: usize) -> ClientBuilder {
        self.redirect_limit = limit;
        self
    }

    /// Largest response body accepted, in bytes; a longer one is an error of
    /// kind [`Body`](Kind::Body) naming the limit. Off by default.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\n0123456789"]);
    /// aio::run(async {
    ///     let client = aio::http::Client::builder().max_body_size(4).build()?;
    ///     let mut response = client.get(&url).await?;
    ///     let err = response.chunk().await.unwrap_err();
    ///     assert!(err.is_body());
    ///     assert!(err.to_string().contains("larger than the limit of 4 bytes"), "{err}");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn max_body_size(mut self, max: u64) -> ClientBuilder {
        self.max_body_size = Some(max);
        self
    }

    /// Largest body that [`bytes`](crate::Response::bytes),
    /// [`text`](crate::Response::text) and [`json`](crate::Response::json)
    /// will read into memory (default [`DEFAULT_MAX_BUFFERED_BODY_SIZE`],
    /// 100 MiB). A longer body is an error of kind [`Body`](Kind::Body)
    /// naming this setting, found before the memory is taken (at once when
    /// the `Content-Length` says so). [`chunk`](crate::Response::chunk) is
    /// not bound by it, only by [`max_body_size`](ClientBuilder::max_body_size).
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\n0123456789"]);
    /// aio::run(async {
    ///     let client = aio::http::Client::builder().max_buffered_body_size(4).build()?;
    ///     let err = client.get(&url).await?.text().await.unwrap_err();
    ///     assert!(err.is_body());
    ///     assert!(err.to_string().contains("max_buffered_body_size"), "{err}");
    ///     // Piece by piece, the same body is fine.
    ///     let mut response = client.get(&url).await?;
    ///     let mut body = Vec::new();
    ///     while let Some(piece) = response.chunk().await? {
    ///         body.extend_from_slice(&piece);
    ///     }
    ///     assert_eq!(body, b"0123456789");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn max_buffered_body_size(mut self, max: u64) -> ClientBuilder {
        self.max_buffered_body_size = max;
        self
    }

    /// Whether to ask for compressed responses and decode them (default
    /// `true`): requests carry `Accept-Encoding: gzip, deflate, br, zstd`
    /// (the codings this build has: cargo features `gzip`, `brotli`,
    /// `zstd`) unless they set their own, and a body with such a
    /// `Content-Encoding` is decoded as it is read, every size limit
    /// counting decoded bytes. [`RequestBuilder::decompress`] overrides it
    /// per request.
    ///
    /// [`RequestBuilder::decompress`]: crate::RequestBuilder::decompress
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\n{request}"]);
    /// aio::run(async {
    ///     // This server answers with the request it received.
    ///     let echo = aio::http::Client::new().get(&url).await?.text().await?;
    ///     assert!(echo.contains("accept-encoding: gzip"), "{echo}");
    ///     let client = aio::http::Client::builder().decompress(false).build()?;
    ///     let echo = client.get(&url).await?.text().await?;
    ///     assert!(!echo.contains("accept-encoding"), "{echo}");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn decompress(mut self, decompress: bool) -> ClientBuilder {
        self.decompress = decompress;
        self
    }

    /// Retries idempotent requests that could not connect or got a 429 or
    /// 503, as [`Retry`] describes (off by default).
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["429 Too Many Requests\nretry-after: 0", "200 OK\n\ndone"]);
    /// use aio::http::{Client, Retry};
    ///
    /// aio::run(async {
    ///     let client = Client::builder().retry(Retry::new(3)).build()?;
    ///     // The first answer is a 429: the client waits as asked, and retries.
    ///     let response = client.get(&url).await?;
    ///     assert_eq!(response.text().await?, "done");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn retry(mut self, retry: Retry) -> ClientBuilder {
        self.retry = Some(retry);
        self
    }

    /// Refuses every plain `http://` URL, the first one and those of
    /// redirects, with an error of kind [`InvalidUrl`](Kind::InvalidUrl)
    /// (default `false`).
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK"]);
    /// aio::run(async {
    ///     let client = aio::http::Client::builder().https_only(true).build()?;
    ///     let err = client.get(&url).await.unwrap_err(); // an http:// URL
    ///     assert!(err.is_invalid_url());
    ///     assert!(err.to_string().contains("plain-HTTP URL refused"), "{err}");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn https_only(mut self, https_only: bool) -> ClientBuilder {
        self.https_only = https_only;
        self
    }

    /// Follows redirects from `https` to `http` (default `false`: such a
    /// redirect is an error of kind [`Protocol`](Kind::Protocol)). Allowing
    /// it sends the rest of the request, its body and its headers other
    /// than the credentials dropped on a change of origin, in clear text.
    ///
    /// ```
    /// # let cert = rcgen::generate_simple_self_signed(["127.0.0.1".to_owned()]).unwrap();
    /// # let (cert_pem, key_pem) = (cert.cert.pem(), cert.signing_key.serialize_pem());
    /// # let plain = aio::http::doc_support::serve(&["200 OK\n\nin clear text"]);
    /// # let to_plain = format!("301 Moved Permanently\nlocation: {plain}/");
    /// # let url = aio::http::doc_support::serve_tls(&cert_pem, &key_pem, &[&to_plain]);
    /// use aio::http::Client;
    ///
    /// aio::run(async {
    ///     // `url` is https, and redirects to an http:// URL.
    ///     let client = Client::builder().add_root_certificate(&cert_pem).build()?;
    ///     let err = client.get(&url).await.unwrap_err();
    ///     assert!(err.is_protocol());
    ///     assert!(err.to_string().contains("redirect from https to http refused"), "{err}");
    ///
    ///     let client = Client::builder()
    ///         .add_root_certificate(&cert_pem)
    ///         .danger_allow_https_to_http_redirects(true)
    ///         .build()?;
    ///     assert_eq!(client.get(&url).await?.text().await?, "in clear text");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn danger_allow_https_to_http_redirects(mut self, allow: bool) -> ClientBuilder {
        self.https_to_http_redirects = allow;
        self
    }

    /// Headers sent with every request, unless the request sets a header of
    /// the same name (then only the request's values go). They replace any
    /// given before. A default `User-Agent` here wins over
    /// [`user_agent`](ClientBuilder::user_agent).
    ///
    /// The headers only the client may set
    /// ([`RequestBuilder::header`](crate::RequestBuilder::header) lists them:
    /// `Content-Length`, `Transfer-Encoding`, `Host`...) make
    /// [`build`](ClientBuilder::build) fail with an error of kind
    /// [`Builder`](Kind::Builder) naming the header. `Authorization`,
    /// `Proxy-Authorization` and `Cookie` values are never shown by `Debug`,
    /// and are not sent on after a redirect to another origin.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\n{request}"]);
    /// use aio::http::{Client, HeaderMap, HeaderValue};
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert("x-api-version", HeaderValue::from_static("2024-01-01"));
    /// let client = Client::builder().default_headers(headers).build().unwrap();
    /// aio::run(async {
    ///     // This server answers with the request it received.
    ///     let echo = client.get(&url).await?.text().await?;
    ///     assert!(echo.contains("x-api-version: 2024-01-01\r\n"), "{echo}");
    ///     let echo = client
    ///         .get(&url)
    ///         .header("x-api-version", "2025-06-01")
    ///         .await?
    ///         .text()
    ///         .await?;
    ///     assert!(echo.contains("x-api-version: 2025-06-01\r\n"), "{echo}");
    ///     assert!(!echo.contains("2024-01-01"), "{echo}");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn default_headers(mut self, headers: HeaderMap) -> ClientBuilder {
        self.default_headers = DefaultHeaders(headers);
        self
    }

    /// The URL that relative request URLs are joined onto, as httpx's
    /// `base_url`: the request's path is appended to the base's path, so
    /// with base `https://api.example.com/v1`, `client.get("/posts")` and
    /// `client.get("posts")` both fetch `https://api.example.com/v1/posts`
    /// (RFC 3986 resolution would drop the `v1`). The query and fragment
    /// come from the request's text. Absolute URLs ignore the base.
    ///
    /// The base must be an absolute http or https URL without a query or
    /// fragment; anything else makes [`build`](ClientBuilder::build) fail
    /// with an error of kind [`Builder`](Kind::Builder) naming it.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\n{request}"]);
    /// // `url` is a local server's, http://127.0.0.1:PORT.
    /// let client = aio::http::Client::builder()
    ///     .base_url(format!("{url}/v1"))
    ///     .build()
    ///     .unwrap();
    /// aio::run(async {
    ///     let response = client.get("/posts?page=2").await?;
    ///     assert_eq!(response.url().as_str(), format!("{url}/v1/posts?page=2"));
    ///     // This server answers with the request it received.
    ///     let echo = response.text().await?;
    ///     assert!(echo.starts_with("GET /v1/posts?page=2 HTTP/1.1\r\n"), "{echo}");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn base_url(mut self, url: impl IntoUrl) -> ClientBuilder {
        self.base_url = Some(match url.into_url(None) {
            Ok(url) => BaseUrl::Parsed(url),
            Err((raw, e)) => BaseUrl::Invalid(raw, e),
        });
        self
    }

    /// Speaks HTTP/1.1 only: TLS no longer offers HTTP/2 by ALPN.
    ///
    /// By default (with the `http2` feature, on by default) TLS offers
    /// `h2` and `http/1.1` and the connection speaks what the server picks;
    /// plain-HTTP URLs use HTTP/1.1.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\nhi"]);
    /// use aio::http::Version;
    ///
    /// let client = aio::http::Client::builder().http1_only().build().unwrap();
    /// aio::run(async {
    ///     let response = client.get(&url).await?;
    ///     assert_eq!(response.version(), Version::HTTP_11);
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn http1_only(mut self) -> ClientBuilder {
        self.http1_only = true;
        self
    }

    /// Speaks HTTP/2 from the first byte, without asking: in clear text
    /// (`h2c`) for `http://` URLs, and offering only `h2` by ALPN on TLS.
    /// For servers known to speak HTTP/2; one that does not fails the
    /// request with a protocol error. Requests through an HTTP proxy that
    /// forwards plain-HTTP requests still use HTTP/1.1 to the proxy.
    ///
    /// ```
    /// use aio::http::Version;
    ///
    /// let client = aio::http::Client::builder().http2_prior_knowledge().build().unwrap();
    /// aio::run(async {
    ///     # let url = aio::http::doc_support::serve_h2c(&["200 OK\n\nhi"]).await;
    ///     let response = client.get(&url).await?;
    ///     assert_eq!(response.version(), Version::HTTP_2);
    ///     assert_eq!(response.text().await?, "hi");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    #[cfg(feature = "http2")]
    pub fn http2_prior_knowledge(mut self) -> ClientBuilder {
        self.http2_prior_knowledge = true;
        self
    }

    /// Keeps the cookies servers set and sends them back (default `false`,
    /// as in reqwest: no cookie is kept or sent unless a request sets a
    /// `Cookie` header itself). Requires the `cookies` feature.
    ///
    /// The jar follows RFC 6265: domain (host-only unless `Domain` is
    /// given; a `Domain` that is a public suffix, such as `com`, `co.uk` or
    /// `github.io`, makes the cookie host-only when it is the request's
    /// host and is refused otherwise: the list compiled into the `psl`
    /// crate), path, expiry (`Max-Age`, `Expires`; an expired cookie
    /// deletes the one kept), `Secure` (sent over https, and to loopback
    /// hosts as browsers do). Cookies set by every response count,
    /// redirects included: a cookie set on a 302 goes with the next hop. A
    /// request that sets its own `Cookie` header sends that instead of the
    /// jar's (until a redirect leaves its origin). The jar is shared by the
    /// client's clones and lives as long as they do.
    ///
    /// Cookie values are credentials: `Debug` never shows them.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&[
    /// #     "200 OK\nset-cookie: session=8d2f; Path=/; HttpOnly\n\n",
    /// #     "200 OK\n\n{request}",
    /// # ]);
    /// let client = aio::http::Client::builder().cookie_store(true).build().unwrap();
    /// aio::run(async {
    ///     // The server answers Set-Cookie: session=8d2f.
    ///     client
    ///         .post(format!("{url}/login"))
    ///         .form(&[("user", "ann"), ("password", "...")])
    ///         .await?;
    ///     // Then it answers with the request it received.
    ///     let echo = client.get(format!("{url}/me")).await?.text().await?;
    ///     assert!(echo.contains("cookie: session=8d2f\r\n"), "{echo}");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    #[cfg(feature = "cookies")]
    pub fn cookie_store(mut self, enable: bool) -> ClientBuilder {
        self.cookie_store = enable;
        self
    }

    /// Sends requests through `proxy` (see [`Proxy`] for the kinds). Call
    /// it again to add more: for each request the first proxy whose scope
    /// (http, https or all) covers its URL and whose
    /// [`no_proxy`](Proxy::no_proxy) list does not name its host is used;
    /// a request no proxy serves goes direct. Giving any proxy here turns
    /// off the proxy environment variables (see
    /// [`trust_env`](ClientBuilder::trust_env)).
    ///
    /// ```
    /// # let proxy = aio::http::doc_support::serve(&["200 OK\n\n{request}"]);
    /// use aio::http::{Client, Proxy};
    ///
    /// aio::run(async {
    ///     // `proxy` is a local server that answers with the request it got.
    ///     let client = Client::builder().proxy(Proxy::http(&proxy)?).build()?;
    ///     let echo = client.get("http://example.com/hello").await?.text().await?;
    ///     // A plain-HTTP request goes to the proxy whole, its URL in full.
    ///     assert!(echo.starts_with("GET http://example.com/hello HTTP/1.1\r\n"), "{echo}");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn proxy(mut self, proxy: Proxy) -> ClientBuilder {
        self.proxies.push(proxy);
        self
    }

    /// Sends every request direct: no proxy from the environment, and none
    /// given with [`proxy`](ClientBuilder::proxy), whichever is called
    /// first.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\nhi"]);
    /// # let dead_proxy = aio::http::doc_support::refused();
    /// use aio::http::{Client, Proxy};
    ///
    /// std::env::set_var("HTTP_PROXY", &dead_proxy); // ignored, as is the next line
    /// aio::run(async {
    ///     let client = Client::builder()
    ///         .proxy(Proxy::all(&dead_proxy)?)
    ///         .no_proxy()
    ///         .build()?;
    ///     assert_eq!(client.get(&url).await?.text().await?, "hi");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn no_proxy(mut self) -> ClientBuilder {
        self.no_proxy = true;
        self
    }

    /// Builds the client. Fails (kind [`Tls`](Kind::Tls)) when the trusted
    /// roots cannot be loaded, or (kind [`Builder`](Kind::Builder)) when
    /// the user agent cannot be a header value, a default header is one
    /// only the client may set, the base URL is unusable, or a proxy
    /// environment variable is malformed.
    ///
    /// ```
    /// let err = aio::http::Client::builder()
    ///     .user_agent("inventory\n2.1")
    ///     .build()
    ///     .unwrap_err();
    /// assert!(err.is_builder());
    /// assert_eq!(err.to_string(), r#"invalid user agent "inventory\n2.1""#);
    /// ```
    pub fn build(self) -> Result<Client, Error> {
        let user_agent = HeaderValue::from_str(&self.user_agent).map_err(|e| {
            Error::with_source(
                Kind::Builder,
                &format!("invalid user agent {:?}", self.user_agent),
                e,
            )
        })?;
        let default_headers = checked_default_headers(self.default_headers.0)?;
        let base_url = self.base_url.map(checked_base_url).transpose()?;
        let proxies = if self.no_proxy {
            Vec::new()
        } else if !self.proxies.is_empty() {
            self.proxies
        } else if self.trust_env {
            proxies_from_env(|name| std::env::var_os(name))?
        } else {
            Vec::new()
        };
        let opts = TlsOptions {
            webpki_roots: true,
            trust_env: self.trust_env,
            extra_roots_pem: self.extra_roots_pem,
        };
        let tls = tls::client_config(&opts)
            .map_err(|e| Error::with_source(Kind::Tls, "cannot build the TLS configuration", e))?;
        #[cfg(feature = "http2")]
        let (tls, http2) = http2_setup(tls, self.http1_only, self.http2_prior_knowledge)?;
        Ok(Client {
            shared: Arc::new(Shared {
                pool: Pool::new(
                    self.pool_max_idle_per_host,
                    self.pool_idle_timeout,
                    ConnLimits {
                        per_host: self.pool_max_connections_per_host,
                        total: self.pool_max_connections,
                    },
                ),
                tls,
                proxies: Proxies::new(proxies),
                connect_timeout: self.connect_timeout,
                // The far future is "off": no timer armed for every wait.
                read_timeout: self.read_timeout.filter(|d| *d != Duration::MAX),
                timeout: self.timeout,
                redirect_limit: self.redirect_limit,
                limits: Limits {
                    max_body_bytes: self.max_body_size,
                },
                user_agent,
                max_buffered_body: self.max_buffered_body_size,
                https_only: self.https_only,
                https_to_http_redirects: self.https_to_http_redirects,
                default_headers,
                base_url,
                #[cfg(feature = "cookies")]
                cookies: self.cookie_store.then(Jar::new),
                #[cfg(not(feature = "cookies"))]
                cookies: None,
                decompress: self.decompress,
                retry: self.retry,
                #[cfg(feature = "http2")]
                http2,
                #[cfg(feature = "http2")]
                h2: Default::default(),
            }),
        })
    }
}

/// Which protocols TLS offers by ALPN, and how HTTP/2 is spoken: offered
/// beside HTTP/1.1 (the server picks), the only one offered (prior
/// knowledge), or not at all.
#[cfg(feature = "http2")]
fn http2_setup(
    tls: Arc<ClientConfig>,
    http1_only: bool,
    prior_knowledge: bool,
) -> Result<(Arc<ClientConfig>, crate::http2::Mode), Error> {
    use crate::http2::Mode;
    let (mode, alpn): (_, &[&[u8]]) = match (http1_only, prior_knowledge) {
        (true, true) => {
            return Err(Error::new(
                Kind::Builder,
                "http1_only and http2_prior_knowledge contradict each other",
            ))
        }
        (true, false) => return Ok((tls, Mode::Off)),
        (false, true) => (Mode::PriorKnowledge, &[b"h2"]),
        (false, false) => (Mode::Negotiate, &[b"h2", tls::ALPN_HTTP11]),
    };
    let mut config = (*tls).clone();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok((Arc::new(config), mode))
}

/// The default headers, refusing those only the client may set and marking
/// credentials sensitive.
fn checked_default_headers(mut headers: HeaderMap) -> Result<HeaderMap, Error> {
    if let Some((name, instead)) = headers
        .keys()
        .find_map(|name| client_owned(name).map(|instead| (name, instead)))
    {
        return Err(Error::new(
            Kind::Builder,
            format!(
                "default header \"{name}\" is set by the client and cannot be given: {instead}"
            ),
        ));
    }
    for (name, value) in headers.iter_mut() {
        if is_secret_header(name) {
            value.set_sensitive(true);
        }
    }
    Ok(headers)
}

/// The base URL, checked, with its path ending in `/` so that request
/// paths are appended to it.
fn checked_base_url(base: BaseUrl) -> Result<Url, Error> {
    let mut url = match base {
        BaseUrl::Parsed(url) => url,
        BaseUrl::Invalid(raw, e) => {
            let context = format!("invalid base_url \"{}\"", redacted_raw(&raw));
            return Err(Error::with_source(Kind::Builder, &context, e));
        }
    };
    let problem = if !matches!(url.scheme(), "http" | "https") {
        Some("it is not an http or https URL")
    } else if url.host_str().map_or(true, str::is_empty) {
        Some("it has no host")
    } else if url.query().is_some() || url.fragment().is_some() {
        Some("a query or fragment cannot be a base (give it with each request)")
    } else {
        None
    };
    if let Some(problem) = problem {
        return Err(Error::new(
            Kind::Builder,
            format!("unusable base_url \"{}\": {problem}", redacted(&url)),
        ));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}
