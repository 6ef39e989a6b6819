//! Building a request: URL, headers, query, body, timeout; then handing it
//! to the engine ([`crate::exchange`]) to send.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use http::{HeaderMap, Method};
use serde::Serialize;
use url::Url;

use crate::error::{redacted, Error, Kind};
use crate::exchange::{self, Request};
use crate::response::Response;
use crate::shared::Shared;

mod sealed {
    pub trait Sealed {}
}

/// What a URL argument may be: `&str`, `String`, `&String`, `Url` or `&Url`.
/// Strings are parsed when the request is sent; a parse failure is an error
/// of kind [`InvalidUrl`](Kind::InvalidUrl) then, never a panic.
pub trait IntoUrl: sealed::Sealed {
    /// The parsed URL, or the text that failed to parse with the reason.
    #[doc(hidden)]
    fn into_url(self) -> Result<Url, (String, url::ParseError)>;
}

impl sealed::Sealed for &str {}
impl IntoUrl for &str {
    fn into_url(self) -> Result<Url, (String, url::ParseError)> {
        Url::parse(self).map_err(|e| (self.to_owned(), e))
    }
}

impl sealed::Sealed for String {}
impl IntoUrl for String {
    fn into_url(self) -> Result<Url, (String, url::ParseError)> {
        Url::parse(&self).map_err(|e| (self, e))
    }
}

impl sealed::Sealed for &String {}
impl IntoUrl for &String {
    fn into_url(self) -> Result<Url, (String, url::ParseError)> {
        self.as_str().into_url()
    }
}

impl sealed::Sealed for Url {}
impl IntoUrl for Url {
    fn into_url(self) -> Result<Url, (String, url::ParseError)> {
        Ok(self)
    }
}

impl sealed::Sealed for &Url {}
impl IntoUrl for &Url {
    fn into_url(self) -> Result<Url, (String, url::ParseError)> {
        Ok(self.clone())
    }
}

/// A request being built; send it with [`send`](RequestBuilder::send) or
/// simply `.await` it.
///
/// Mistakes (a bad URL, an invalid header, a body that cannot be
/// serialized) are kept and reported when the request is sent; the first
/// one wins.
#[must_use = "a request does nothing until it is sent or awaited"]
pub struct RequestBuilder {
    shared: Arc<Shared>,
    request: Result<Request, Error>,
}

impl RequestBuilder {
    pub(crate) fn new(shared: Arc<Shared>, method: Method, url: impl IntoUrl) -> RequestBuilder {
        let request =
            match url.into_url() {
                Ok(url) => Ok(Request {
                    method,
                    url,
                    headers: HeaderMap::new(),
                    body: None,
                    timeout: None,
                }),
                Err((raw, e)) => Err(Error::with_source(Kind::InvalidUrl, "invalid URL", e)
                    .with_raw_url(&method, raw)),
            };
        RequestBuilder { shared, request }
    }

    /// Adds a header field (repeating a name adds another value). An invalid
    /// name or value is reported at send time as an error of kind
    /// [`Protocol`](Kind::Protocol).
    pub fn header<K, V>(mut self, name: K, value: V) -> RequestBuilder
    where
        HeaderName: TryFrom<K>,
        <HeaderName as TryFrom<K>>::Error: Into<http::Error>,
        HeaderValue: TryFrom<V>,
        <HeaderValue as TryFrom<V>>::Error: Into<http::Error>,
    {
        if let Ok(req) = &mut self.request {
            let name = match HeaderName::try_from(name) {
                Ok(name) => name,
                Err(e) => {
                    let e = Error::with_source(Kind::Protocol, "invalid header name", e.into());
                    return self.fail(e);
                }
            };
            match HeaderValue::try_from(value) {
                Ok(value) => {
                    req.headers.append(name, value);
                }
                Err(e) => {
                    let context = format!("invalid value for header \"{name}\"");
                    return self.fail(Error::with_source(Kind::Protocol, &context, e.into()));
                }
            }
        }
        self
    }

    /// Appends query parameters, form-urlencoded (`a b&c` becomes `a+b%26c`).
    pub fn query<K: fmt::Display, V: fmt::Display>(mut self, pairs: &[(K, V)]) -> RequestBuilder {
        if let Ok(req) = &mut self.request {
            if !pairs.is_empty() {
                let mut query = req.url.query_pairs_mut();
                for (k, v) in pairs {
                    query.append_pair(&k.to_string(), &v.to_string());
                }
            }
        }
        self
    }

    /// Sends `value` as JSON, with `content-type: application/json` unless a
    /// content type was set. A serialization failure is an error of kind
    /// [`Body`](Kind::Body) at send time.
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> RequestBuilder {
        if let Ok(req) = &mut self.request {
            match serde_json::to_vec(value) {
                Ok(body) => {
                    if !req.headers.contains_key(CONTENT_TYPE) {
                        req.headers
                            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                    }
                    req.body = Some(body);
                }
                Err(e) => {
                    let e = Error::with_source(Kind::Body, "cannot serialize the JSON body", e);
                    return self.fail(e);
                }
            }
        }
        self
    }

    /// Sends these bytes as the body (with its `content-length`).
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> RequestBuilder {
        if let Ok(req) = &mut self.request {
            req.body = Some(body.into());
        }
        self
    }

    /// Limit for this whole request, body included (overrides the client's
    /// [`timeout`](crate::ClientBuilder::timeout)).
    pub fn timeout(mut self, timeout: Duration) -> RequestBuilder {
        if let Ok(req) = &mut self.request {
            req.timeout = Some(timeout);
        }
        self
    }

    /// Sends the request; resolves once the response head has arrived
    /// (following redirects). Must run inside `aio::run()`.
    pub fn send(self) -> impl Future<Output = Result<Response, Error>> + Send + 'static {
        let RequestBuilder { shared, request } = self;
        async move { exchange::execute(shared, request?).await }
    }

    fn fail(mut self, error: Error) -> RequestBuilder {
        if let Ok(req) = &self.request {
            self.request = Err(error.for_request(&req.method, &req.url));
        }
        self
    }
}

impl IntoFuture for RequestBuilder {
    type Output = Result<Response, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<Response, Error>> + Send>>;

    /// `client.get(url).await` is `client.get(url).send().await`.
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

impl fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.request {
            Ok(req) => f
                .debug_struct("RequestBuilder")
                .field("method", &req.method)
                .field("url", &redacted(&req.url))
                .field("headers", &req.headers)
                .finish_non_exhaustive(),
            Err(e) => f.debug_tuple("RequestBuilder").field(e).finish(),
        }
    }
}
