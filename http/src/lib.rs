//! HTTP/1.1 + TLS client for aio, re-exported as `aio::http`.
//!
//! ```no_run
//! # #[derive(serde::Deserialize)] struct Post { id: u64 }
//! # async fn demo() -> Result<(), aio::http::Error> {
//! let client = aio::http::Client::new();
//! let posts: Vec<Post> = client
//!     .get("https://example.com/posts")
//!     .query(&[("page", 1)])
//!     .await?
//!     .error_for_status()?
//!     .json()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! - [`Client`] (cheap to clone, one shared keep-alive pool) makes a
//!   [`RequestBuilder`], which is sent by `.await`ing it (or `send()`).
//!   [`ClientBuilder`] sets what every request shares: timeouts, a
//!   [`base_url`](ClientBuilder::base_url) that relative URLs join onto,
//!   [`default_headers`](ClientBuilder::default_headers), a cookie jar
//!   (`cookie_store`, with the `cookies` feature).
//! - A request carries [`query`](RequestBuilder::query) parameters (pairs,
//!   maps, structs) and a body: [`json`](RequestBuilder::json),
//!   [`form`](RequestBuilder::form), [`multipart`](RequestBuilder::multipart)
//!   ([`multipart::Form`], files streamed from disk), or any [`Body`] through
//!   [`body`](RequestBuilder::body): bytes, or streamed from a `Stream` or
//!   an `AsyncRead` without being held in memory.
//! - [`Response`] gives status, headers and final URL at once, and the body
//!   on demand: [`json`](Response::json), [`text`](Response::text),
//!   [`bytes`](Response::bytes), [`chunk`](Response::chunk).
//! - [`Proxy`]: HTTP proxies (absolute-form requests for http, `CONNECT`
//!   tunnels for https) and SOCKS5, given with
//!   [`ClientBuilder::proxy`] or read from `HTTP_PROXY`, `HTTPS_PROXY`,
//!   `ALL_PROXY` and `NO_PROXY` as curl reads them
//!   ([`ClientBuilder::trust_env`]).
//! - Every failure is an [`Error`] with a [`Kind`], the method and URL, and
//!   its causes through `source()`; `{:#}` prints the whole chain on one
//!   line (`eprintln!("error: {e:#}")`).
//!
//! Underneath: [`proto`], a sans-IO HTTP/1.1 codec, and [`tls`], rustls over
//! the reactor's sockets. Requests must run inside `aio::run()`.
//!
//! Cargo features (the `aio` facade passes each through under the same
//! name):
//! - `gzip` (default): `gzip` and `deflate` content codings.
//! - `brotli` (default): the `br` content coding.
//! - `zstd` (default): the `zstd` content coding.
//! - `cookies`: `ClientBuilder::cookie_store`, an RFC 6265 cookie jar that
//!   refuses cookies for public suffixes.
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

mod body;
mod client;
mod conn;
mod cookies;
mod credentials;
mod deadline;
mod decode;
#[doc(hidden)]
pub mod doc_support;
mod error;
mod exchange;
#[cfg(feature = "http2")]
mod http2;
pub mod multipart;
mod pool;
pub mod proto;
mod proxy;
mod redact;
mod redirect;
mod request;
mod request_body;
mod response;
mod retry;
mod shared;
pub mod tls;

pub use bytes::Bytes;
pub use client::{
    Client, ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BUFFERED_BODY_SIZE,
    DEFAULT_POOL_IDLE_TIMEOUT, DEFAULT_POOL_MAX_CONNECTIONS_PER_HOST,
    DEFAULT_POOL_MAX_IDLE_PER_HOST, DEFAULT_READ_TIMEOUT, DEFAULT_REDIRECT_LIMIT,
    DEFAULT_USER_AGENT,
};
pub use error::{Error, Kind};
pub use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Version};
pub use proxy::Proxy;
pub use request::{IntoUrl, RequestBuilder};
pub use request_body::Body;
pub use response::Response;
pub use retry::Retry;
pub use url::Url;
