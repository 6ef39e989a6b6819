//! Building a request: URL (joined onto the client's base URL when
//! relative), headers, query, body (bytes, JSON, form, multipart or
//! streamed), timeout; then handing it to the engine ([`crate::exchange`])
//! to send.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use http::header::{
    HeaderName, HeaderValue, AUTHORIZATION, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HOST, TE,
    TRAILER, TRANSFER_ENCODING, UPGRADE,
};
use http::{HeaderMap, Method};
use serde::Serialize;
use url::Url;

use crate::credentials::{basic_value, userinfo};
use crate::error::{Error, Kind};
use crate::exchange::{self, Request};
use crate::multipart::Form;
use crate::redact::{is_secret_header, redacted, ShownHeaders};
use crate::request_body::Body;
use crate::response::Response;
use crate::shared::Shared;

mod sealed {
    pub trait Sealed {}
}

/// What a URL argument may be: `&str`, `String`, `&String`, `Url` or `&Url`.
///
/// Strings are parsed when the request is made, and a failure is reported
/// when it is sent, as an error of kind [`InvalidUrl`](Kind::InvalidUrl)
/// naming the text, never a panic. A relative string (`"/posts"`,
/// `"posts?page=2"`) is joined onto the client's
/// [`base_url`](crate::ClientBuilder::base_url), and is such an error when
/// the client has none.
///
/// ```
/// # let url = aio::http::doc_support::serve(&["200 OK\n\n{request}"]);
/// let parsed = aio::http::Url::parse(&url).unwrap();
/// let client = aio::http::Client::builder().base_url(&url).build().unwrap();
/// aio::run(async {
///     // A &str, a String, a Url: all go in; a relative path joins the base.
///     client.get(url.as_str()).await?;
///     client.get(parsed.join("/a").unwrap()).await?;
///     let echo = client.get("/posts?page=2").await?.text().await?;
///     assert!(echo.starts_with("GET /posts?page=2 HTTP/1.1"), "{echo}");
///     Ok::<_, aio::http::Error>(())
/// })
/// .unwrap();
/// let err = aio::run(aio::http::Client::new().get("/posts").send()).unwrap_err();
/// assert!(err.is_invalid_url());
/// ```
pub trait IntoUrl: sealed::Sealed {
    /// The parsed URL (joined onto `base` when relative), or the text that
    /// failed to parse with the reason.
    #[doc(hidden)]
    fn into_url(self, base: Option<&Url>) -> Result<Url, (String, url::ParseError)>;
}

impl sealed::Sealed for &str {}
impl IntoUrl for &str {
    fn into_url(self, base: Option<&Url>) -> Result<Url, (String, url::ParseError)> {
        parse_url(self, base).map_err(|e| (self.to_owned(), e))
    }
}

impl sealed::Sealed for String {}
impl IntoUrl for String {
    fn into_url(self, base: Option<&Url>) -> Result<Url, (String, url::ParseError)> {
        parse_url(&self, base).map_err(|e| (self, e))
    }
}

impl sealed::Sealed for &String {}
impl IntoUrl for &String {
    fn into_url(self, base: Option<&Url>) -> Result<Url, (String, url::ParseError)> {
        self.as_str().into_url(base)
    }
}

impl sealed::Sealed for Url {}
impl IntoUrl for Url {
    fn into_url(self, _: Option<&Url>) -> Result<Url, (String, url::ParseError)> {
        Ok(self)
    }
}

impl sealed::Sealed for &Url {}
impl IntoUrl for &Url {
    fn into_url(self, _: Option<&Url>) -> Result<Url, (String, url::ParseError)> {
        Ok(self.clone())
    }
}

/// An absolute URL as it is; a relative one joined onto `base`.
fn parse_url(text: &str, base: Option<&Url>) -> Result<Url, url::ParseError> {
    match (Url::parse(text), base) {
        (Err(url::ParseError::RelativeUrlWithoutBase), Some(base)) => {
            Ok(join_onto_base(base, text))
        }
        (parsed, _) => parsed,
    }
}

/// httpx's merge, not RFC 3986 resolution: the relative path is appended
/// to the base's path (which ends in `/`) with its leading slashes
/// dropped, so `/posts` and `posts` on `https://h/v1/` both give
/// `https://h/v1/posts`; the query and fragment are the relative text's.
fn join_onto_base(base: &Url, relative: &str) -> Url {
    let (rest, fragment) = match relative.split_once('#') {
        Some((rest, fragment)) => (rest, Some(fragment)),
        None => (relative, None),
    };
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    };
    let mut url = base.clone();
    url.set_path(&format!("{}{}", base.path(), path.trim_start_matches('/')));
    url.set_query(query);
    url.set_fragment(fragment);
    url
}

/// A request being built; send it with [`send`](RequestBuilder::send) or
/// simply `.await` it.
///
/// Mistakes (a bad URL, an invalid header, a body that cannot be
/// serialized) are kept and reported when the request is sent; the first
/// one wins.
///
#[must_use = "a request does nothing until it is sent or awaited"]
pub struct RequestBuilder {
    shared: Arc<Shared>,
    request: Result<Request, Error>,
}

impl RequestBuilder {
    pub(crate) fn new(shared: Arc<Shared>, method: Method, url: impl IntoUrl) -> RequestBuilder {
        let request =
            match url.into_url(shared.base_url.as_ref()) {
                Ok(mut url) => {
                    let mut headers = HeaderMap::new();
                    if let Some(credentials) = take_userinfo(&mut url) {
                        headers.insert(AUTHORIZATION, credentials);
                    }
                    Ok(Request {
                        method,
                        url,
                        headers,
                        body: None,
                        timeout: None,
                        decompress: None,
                    })
                }
                Err((raw, url::ParseError::RelativeUrlWithoutBase)) => Err(Error::new(
                    Kind::InvalidUrl,
                    "invalid URL: relative URL without a base \
                     (ClientBuilder::base_url sets one to join it onto)",
                )
                .with_raw_url(&method, raw)),
                Err((raw, e)) => Err(Error::with_source(Kind::InvalidUrl, "invalid URL", e)
                    .with_raw_url(&method, raw)),
            };
        RequestBuilder { shared, request }
    }

    /// Adds a header field (repeating a name adds another value, except
    /// `Authorization`, which replaces the one before).
    ///
    /// Refused at send time, with an error of kind [`Builder`](Kind::Builder)
    /// naming the header: an invalid name or value, and the headers the
    /// client alone sets because they frame the message or the connection
    /// (`Content-Length`, `Transfer-Encoding`, `Connection`, `Keep-Alive`,
    /// `Upgrade`, `TE`, `Trailer`, `Host`): a caller's value there would let
    /// two servers read the request differently (request smuggling) or put
    /// a pooled connection out of step.
    ///
    /// The values of `Authorization`, `Proxy-Authorization` and `Cookie`,
    /// and any [`HeaderValue`] marked with
    /// [`set_sensitive`](HeaderValue::set_sensitive), are never shown by
    /// `Debug`.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\n{request}"]);
    /// let client = aio::http::Client::new();
    /// aio::run(async {
    ///     let echo = client.get(&url).header("x-trace", "abc").await?.text().await?;
    ///     assert!(echo.contains("x-trace: abc\r\n"), "{echo}");
    ///     // The framing is the client's own.
    ///     let err = client.get(&url).header("content-length", "5").await.unwrap_err();
    ///     assert_eq!(err.kind(), aio::http::Kind::Builder);
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
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
                    let e = Error::with_source(Kind::Builder, "invalid header name", e.into());
                    return self.fail(e);
                }
            };
            if let Some(instead) = client_owned(&name) {
                let e = Error::new(
                    Kind::Builder,
                    format!(
                        "header \"{name}\" is set by the client and cannot be given: {instead}"
                    ),
                );
                return self.fail(e);
            }
            match HeaderValue::try_from(value) {
                Ok(mut value) => {
                    if is_secret_header(&name) {
                        value.set_sensitive(true);
                    }
                    if name == AUTHORIZATION {
                        req.headers.insert(name, value);
                    } else {
                        req.headers.append(name, value);
                    }
                }
                Err(e) => {
                    let context = format!("invalid value for header \"{name}\"");
                    return self.fail(Error::with_source(Kind::Builder, &context, e.into()));
                }
            }
        }
        self
    }

    /// Sends HTTP Basic credentials (`Authorization: Basic ...`, replacing
    /// any set before, never shown by `Debug`). A URL's own `user:password@`
    /// is sent the same way.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\n{request}"]);
    /// let client = aio::http::Client::new();
    /// aio::run(async {
    ///     let echo = client.get(&url).basic_auth("ann", Some("pw")).await?.text().await?;
    ///     // base64("ann:pw")
    ///     assert!(echo.contains("authorization: Basic YW5uOnB3\r\n"), "{echo}");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn basic_auth<U: fmt::Display, P: fmt::Display>(
        self,
        username: U,
        password: Option<P>,
    ) -> RequestBuilder {
        let password = password.map(|p| p.to_string()).unwrap_or_default();
        let value = basic_value(username.to_string().as_bytes(), password.as_bytes());
        self.authorization(value)
    }

    /// Sends a bearer token (`Authorization: Bearer <token>`, replacing any
    /// set before, never shown by `Debug`).
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\n{request}"]);
    /// let client = aio::http::Client::new();
    /// let request = client.get(&url).bearer_auth("t0ken");
    /// assert!(!format!("{request:?}").contains("t0ken"), "Debug hides it");
    /// aio::run(async {
    ///     let echo = request.await?.text().await?;
    ///     assert!(echo.contains("authorization: Bearer t0ken\r\n"), "{echo}");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn bearer_auth<T: fmt::Display>(self, token: T) -> RequestBuilder {
        match HeaderValue::try_from(format!("Bearer {token}")) {
            Ok(value) => self.authorization(value),
            Err(e) => {
                let e = Error::with_source(Kind::Builder, "invalid bearer token", e);
                self.fail(e)
            }
        }
    }

    fn authorization(mut self, mut value: HeaderValue) -> RequestBuilder {
        if let Ok(req) = &mut self.request {
            value.set_sensitive(true);
            req.headers.insert(AUTHORIZATION, value);
        }
        self
    }

    /// Appends query parameters, form-urlencoded (`a b&c` becomes
    /// `a+b%26c`), to those the URL has: from a slice or array of pairs, a
    /// map, or a struct deriving `Serialize`, whose `None` fields are left
    /// out. Anything else (a bare number, a nested struct) is an error of
    /// kind [`Builder`](Kind::Builder) at send time, naming what could not
    /// be encoded.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\n{request}"]);
    /// #[derive(serde::Serialize)]
    /// struct Search<'a> {
    ///     q: &'a str,
    ///     page: Option<u32>,
    /// }
    /// let client = aio::http::Client::new();
    /// aio::run(async {
    ///     let echo = client
    ///         .get(format!("{url}/search"))
    ///         .query(&Search { q: "rust async", page: None })
    ///         .query(&[("lang", "en")])
    ///         .await?
    ///         .text() // this server answers with the request it received
    ///         .await?;
    ///     assert!(echo.starts_with("GET /search?q=rust+async&lang=en HTTP/1.1\r\n"), "{echo}");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn query<T: Serialize + ?Sized>(mut self, query: &T) -> RequestBuilder {
        if let Ok(req) = &mut self.request {
            let had_query = req.url.query().is_some();
            let encoded = {
                let mut pairs = req.url.query_pairs_mut();
                // The serializer's output borrows the pairs: keep only the verdict.
                let result = query.serialize(serde_urlencoded::Serializer::new(&mut pairs));
                result.map(drop)
            };
            // Nothing appended to a URL without a query: no bare `?`.
            if !had_query && req.url.query() == Some("") {
                req.url.set_query(None);
            }
            if let Err(e) = encoded {
                let e = Error::with_source(Kind::Builder, "cannot encode the query", e);
                return self.fail(e);
            }
        }
        self
    }

    /// Sends `value` as JSON, with `content-type: application/json` unless a
    /// content type was set. A serialization failure is an error of kind
    /// [`Body`](Kind::Body) at send time.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\n{request}"]);
    /// let client = aio::http::Client::new();
    /// aio::run(async {
    ///     let echo = client
    ///         .post(format!("{url}/posts"))
    ///         .json(&serde_json::json!({"title": "hi"}))
    ///         .await?
    ///         .text()
    ///         .await?;
    ///     assert!(echo.contains("content-type: application/json\r\n"), "{echo}");
    ///     assert!(echo.ends_with("\r\n\r\n{\"title\":\"hi\"}"), "{echo}");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> RequestBuilder {
        let encoded = serde_json::to_vec(value)
            .map_err(|e| Error::with_source(Kind::Body, "cannot serialize the JSON body", e));
        self.encoded_body(encoded, "application/json")
    }

    /// Sends `form` as an HTML form body (`a=1&b=two+words`), with
    /// `content-type: application/x-www-form-urlencoded` unless a content
    /// type was set. It takes what [`query`](RequestBuilder::query) takes;
    /// anything else is an error of kind [`Builder`](Kind::Builder) at send
    /// time.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\n{request}"]);
    /// let client = aio::http::Client::new();
    /// aio::run(async {
    ///     let echo = client
    ///         .post(format!("{url}/login"))
    ///         .form(&[("user", "ann"), ("note", "hi there")])
    ///         .await?
    ///         .text() // this server answers with the request it received
    ///         .await?;
    ///     assert!(echo.contains("content-type: application/x-www-form-urlencoded\r\n"));
    ///     assert!(echo.ends_with("\r\n\r\nuser=ann&note=hi+there"), "{echo}");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn form<T: Serialize + ?Sized>(self, form: &T) -> RequestBuilder {
        let encoded = serde_urlencoded::to_string(form)
            .map(String::into_bytes)
            .map_err(|e| Error::with_source(Kind::Builder, "cannot encode the form body", e));
        self.encoded_body(encoded, "application/x-www-form-urlencoded")
    }

    /// The body a serializer made, with its content type unless the caller
    /// set one; or the serializer's error.
    fn encoded_body(
        mut self,
        encoded: Result<Vec<u8>, Error>,
        content_type: &'static str,
    ) -> RequestBuilder {
        let body = match encoded {
            Ok(body) => body,
            Err(e) => return self.fail(e),
        };
        if let Ok(req) = &mut self.request {
            if !req.headers.contains_key(CONTENT_TYPE) {
                req.headers
                    .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
            }
            req.body = Some(Body::from(body));
        }
        self
    }

    /// Sends a `multipart/form-data` body (text fields and files), with its
    /// content type (boundary included), replacing any set before. See
    /// [`multipart::Form`](crate::multipart::Form).
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\n{request}"]);
    /// use aio::http::multipart::{Form, Part};
    ///
    /// let photo = Part::bytes(&b"...jpeg..."[..]).file_name("beach.jpg").mime_str("image/jpeg")?;
    /// let form = Form::new().text("title", "holiday").part("photo", photo);
    /// let boundary = form.boundary().to_owned();
    /// let client = aio::http::Client::new();
    /// aio::run(async {
    ///     let echo = client
    ///         .post(format!("{url}/upload"))
    ///         .multipart(form)
    ///         .await?
    ///         .text() // this server answers with the request it received
    ///         .await?;
    ///     let content_type = format!("content-type: multipart/form-data; boundary={boundary}\r\n");
    ///     assert!(echo.contains(&content_type), "{echo}");
    ///     assert!(echo.contains("name=\"title\"\r\n\r\nholiday\r\n"), "{echo}");
    ///     assert!(echo.contains("filename=\"beach.jpg\"\r\nContent-Type: image/jpeg\r\n"));
    ///     Ok::<_, aio::http::Error>(())
    /// })?;
    /// # Ok::<_, aio::http::Error>(())
    /// ```
    pub fn multipart(mut self, form: Form) -> RequestBuilder {
        if let Ok(req) = &mut self.request {
            req.headers.insert(CONTENT_TYPE, form.content_type());
            req.body = Some(form.into_body());
        }
        self
    }

    /// Sends this body: bytes (`Vec<u8>`, `String`, `&str`, `&[u8]`,
    /// `Bytes`), sent with their `Content-Length`; or a streamed [`Body`]
    /// ([`Body::wrap_stream`], [`Body::from_reader`]), pulled while the
    /// request is written and sent with its declared length or chunked.
    ///
    /// A streamed body is sent once: a redirect that would send it again
    /// (307, 308; 301 and 302 except for POST) is not followed, its 3xx
    /// response is returned, and a request with one is never retried (on a
    /// fresh connection, or by a [`Retry`](crate::Retry) policy).
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\n{request}"]);
    /// let client = aio::http::Client::new();
    /// aio::run(async {
    ///     let echo = client
    ///         .put(format!("{url}/notes/1"))
    ///         .body("remember the milk")
    ///         .await?
    ///         .text() // this server answers with the request it received
    ///         .await?;
    ///     assert!(echo.contains("content-length: 17\r\n"), "{echo}");
    ///     assert!(echo.ends_with("\r\n\r\nremember the milk"), "{echo}");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn body(mut self, body: impl Into<Body>) -> RequestBuilder {
        if let Ok(req) = &mut self.request {
            req.body = Some(body.into());
        }
        self
    }

    /// Limit for this whole request, body included (overrides the client's
    /// [`timeout`](crate::ClientBuilder::timeout)).
    ///
    /// ```
    /// # let url = aio::http::doc_support::silent();
    /// use std::time::Duration;
    /// let client = aio::http::Client::new();
    /// let err = aio::run(client.get(&url).timeout(Duration::from_millis(50)).send()).unwrap_err();
    /// assert!(err.is_timeout());
    /// assert!(err.to_string().contains("timed out after 50 ms"), "{err}");
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> RequestBuilder {
        if let Ok(req) = &mut self.request {
            req.timeout = Some(timeout);
        }
        self
    }

    /// Whether to ask for a compressed response and decode it, for this
    /// request only (overrides
    /// [`ClientBuilder::decompress`](crate::ClientBuilder::decompress)).
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\n{request}"]);
    /// let client = aio::http::Client::new();
    /// aio::run(async {
    ///     let asked = client.get(&url).await?.text().await?;
    ///     assert!(asked.contains("accept-encoding: gzip"), "{asked}");
    ///     let plain = client.get(&url).decompress(false).await?.text().await?;
    ///     assert!(!plain.contains("accept-encoding"), "{plain}");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn decompress(mut self, decompress: bool) -> RequestBuilder {
        if let Ok(req) = &mut self.request {
            req.decompress = Some(decompress);
        }
        self
    }

    /// Sends the request; resolves once the response head has arrived
    /// (following redirects). Must run inside `aio::run()`.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\nfirst", "200 OK\n\nsecond"]);
    /// let client = aio::http::Client::new();
    /// aio::run(async {
    ///     // `send()` names the future, e.g. to start it now and await it later;
    ///     // `.await` on the builder does the same.
    ///     let first = aio::spawn(client.get(&url).send());
    ///     let response = first.await.unwrap()?;
    ///     assert_eq!(response.text().await?, "first");
    ///     assert_eq!(client.get(&url).await?.text().await?, "second");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
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

/// For a header only the client may set, what to do instead.
pub(crate) fn client_owned(name: &HeaderName) -> Option<&'static str> {
    let instead = if name == CONTENT_LENGTH {
        "the length of the body is sent for you (a streamed Body declares it with Body::from_reader)"
    } else if name == TRANSFER_ENCODING || name == TE || name == TRAILER {
        "the client frames the body itself (a streamed Body of unknown length is sent chunked)"
    } else if name == CONNECTION || name == "keep-alive" {
        "the client manages connections (ClientBuilder::pool_max_idle_per_host(0) turns reuse off)"
    } else if name == UPGRADE {
        "protocol upgrades are not supported"
    } else if name == HOST {
        "the Host header is taken from the URL"
    } else {
        return None;
    };
    Some(instead)
}

/// Takes `user:password@` out of `url` and returns it as a Basic
/// `Authorization` value (percent-decoded, as curl and reqwest send it):
/// userinfo is never sent in the URL, nor shown in one.
fn take_userinfo(url: &mut Url) -> Option<HeaderValue> {
    let (user, password) = userinfo(url)?;
    // Cannot fail: a URL with userinfo has a host, so it can lose it.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    Some(basic_value(&user, &password))
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
                .field("headers", &ShownHeaders(&req.headers))
                .finish_non_exhaustive(),
            Err(e) => f.debug_tuple("RequestBuilder").field(e).finish(),
        }
    }
}
