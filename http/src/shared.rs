//! What every request of a client shares: the configuration, fixed when the
//! client was built, and the keep-alive pool.
//!
//! A leaf under the request machinery: it knows only the pool, the cookie
//! jar and the proxy list. The engine
//! (`exchange`) and the body reader (`body`) read it; the public [`Client`]
//! is a reference-counted handle to it.
//!
//! [`Client`]: crate::Client

use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderValue};
use rustls::ClientConfig;
use url::Url;

use crate::cookies::Jar;
use crate::pool::Pool;
use crate::proto::Limits;
use crate::proxy::Proxies;
use crate::retry::Retry;

/// A client's configuration and pool, behind one `Arc` shared by every clone
/// of the client, every request in flight and every unread body.
pub(crate) struct Shared {
    pub(crate) pool: Pool,
    pub(crate) tls: Arc<ClientConfig>,
    /// Which requests go through which proxy; empty: all go direct.
    pub(crate) proxies: Proxies,
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) read_timeout: Option<Duration>,
    /// The whole request's limit, unless the request sets its own.
    pub(crate) timeout: Option<Duration>,
    pub(crate) redirect_limit: usize,
    /// What the response decoder enforces: `max_body_size` is checked
    /// there and nowhere else.
    pub(crate) limits: Limits,
    pub(crate) user_agent: HeaderValue,
    /// Largest body `bytes`/`text`/`json` will hold in memory.
    pub(crate) max_buffered_body: u64,
    /// Refuse every plain-HTTP URL, redirects included.
    pub(crate) https_only: bool,
    /// Opt-in retries.
    pub(crate) retry: Option<Retry>,
    /// Ask for compressed bodies and undo their Content-Encoding.
    pub(crate) decompress: bool,
    /// Follow a redirect from https to http (off: such a hop is an error).
    pub(crate) https_to_http_redirects: bool,
    /// Sent with every request that does not set the same header.
    pub(crate) default_headers: HeaderMap,
    /// What relative request URLs are joined onto; its path ends in `/`.
    pub(crate) base_url: Option<Url>,
    /// The cookie jar, when `cookie_store(true)`.
    pub(crate) cookies: Option<Jar>,
    /// Whether and how HTTP/2 is spoken.
    #[cfg(feature = "http2")]
    pub(crate) http2: crate::http2::Mode,
    /// Open HTTP/2 connections, shared by requests.
    #[cfg(feature = "http2")]
    pub(crate) h2: crate::http2::Registry,
}
