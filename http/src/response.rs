//! The response: status, headers, final URL, and the body read on demand.

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use encoding_rs::{Encoding, UTF_8};
use futures_core::Stream;
use http::header::{CONTENT_ENCODING, CONTENT_TYPE};
use http::{HeaderMap, Method, StatusCode, Version};
use serde::de::DeserializeOwned;
use url::Url;

use crate::body::BodyReader;
use crate::decode::{self, Decoding, Pulled};
use crate::error::{Error, Kind};
use crate::proto::ResponseHead;
use crate::redact::{redacted, ShownHeaders};

/// Most bytes reserved up front for a body of declared length: a
/// `Content-Length` is a claim, and memory is committed only as bytes arrive.
const MAX_PREALLOCATE: u64 = 64 * 1024;

/// Most bytes one decoded piece holds: a compressed body is handed out
/// (and checked against the limits) this much at a time.
const DECODED_PIECE_MAX: usize = 64 * 1024;

/// An HTTP response whose head has arrived; the body is read on demand with
/// [`bytes`](Response::bytes), [`text`](Response::text),
/// [`json`](Response::json) or piece by piece with
/// [`chunk`](Response::chunk) and [`bytes_stream`](Response::bytes_stream).
///
/// A body sent with a `Content-Encoding` this client undoes (`gzip`,
/// `deflate`, `br`, `zstd`, stacked in any order) is decoded as it is read,
/// unless decompression was turned off
/// ([`ClientBuilder::decompress`](crate::ClientBuilder::decompress),
/// [`RequestBuilder::decompress`](crate::RequestBuilder::decompress)); the
/// headers stay as the server sent them. An unknown coding is passed
/// through untouched.
///
/// The connection returns to the client's pool as soon as the body has been
/// read to its end. Dropping a response before that closes the connection.
///
/// ```
/// # let url = aio::http::doc_support::serve(&["200 OK\ncontent-type: text/plain\n\nhello"]);
/// aio::run(async {
///     let response = aio::http::Client::new().get(&url).await?;
///     // The head is here at once...
///     assert!(response.status().is_success());
///     assert_eq!(response.headers()["content-type"], "text/plain");
///     // ...the body when asked for.
///     assert_eq!(response.text().await?, "hello");
///     Ok::<_, aio::http::Error>(())
/// })
/// .unwrap();
/// ```
pub struct Response {
    status: StatusCode,
    version: Version,
    headers: HeaderMap,
    url: Url,
    method: Method,
    content_length: Option<u64>,
    remote_addr: Option<SocketAddr>,
    redirects: Vec<Url>,
    body: BodyReader,
    /// The codings being undone, when the body is encoded.
    decoding: Option<Box<Decoding>>,
    /// Decoded bytes handed out so far (checked against `max_body_size`).
    decoded: u64,
}

/// What the engine hands over to make a [`Response`].
pub(crate) struct Parts {
    pub(crate) head: ResponseHead,
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) body: BodyReader,
    pub(crate) decompress: bool,
    pub(crate) remote_addr: Option<SocketAddr>,
    pub(crate) redirects: Vec<Url>,
}

impl Response {
    pub(crate) fn new(parts: Parts) -> Response {
        let Parts {
            head,
            method,
            url,
            body,
            decompress,
            remote_addr,
            redirects,
        } = parts;
        let codings = if decompress && body.is_pending() {
            decode::plan(
                head.headers
                    .get_all(CONTENT_ENCODING)
                    .iter()
                    .map(|v| v.as_bytes()),
            )
        } else {
            None
        };
        // A decoded body's length is not the declared one.
        let content_length = head.content_length().filter(|_| codings.is_none());
        Response {
            status: head.status,
            version: head.version,
            headers: head.headers,
            url,
            method,
            content_length,
            remote_addr,
            redirects,
            body,
            decoding: codings.map(|c| Box::new(Decoding::new(&c))),
            decoded: 0,
        }
    }

    /// The status code.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["404 Not Found"]);
    /// use aio::http::StatusCode;
    ///
    /// aio::run(async {
    ///     // An error status is still a response (see `error_for_status`).
    ///     let response = aio::http::Client::new().get(&url).await?;
    ///     assert_eq!(response.status(), StatusCode::NOT_FOUND);
    ///     assert!(response.status().is_client_error());
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The HTTP version of the response: `HTTP/1.0` or `HTTP/1.1`, or
    /// `HTTP/2` when the connection negotiated it (see
    /// [`ClientBuilder::http1_only`](crate::ClientBuilder::http1_only)).
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nhi"]);
    /// use aio::http::Version;
    ///
    /// aio::run(async {
    ///     // An old server, answering in HTTP/1.0.
    ///     let response = aio::http::Client::new().get(&url).await?;
    ///     assert_eq!(response.version(), Version::HTTP_10);
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn version(&self) -> Version {
        self.version
    }

    /// The header fields.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\nx-ratelimit-remaining: 41\nlink: </p2>\nlink: </p3>"]);
    /// aio::run(async {
    ///     let response = aio::http::Client::new().get(&url).await?;
    ///     let headers = response.headers();
    ///     let remaining: u32 = headers["x-ratelimit-remaining"].to_str().unwrap().parse().unwrap();
    ///     assert_eq!(remaining, 41);
    ///     // A repeated field keeps every value, in order.
    ///     let links: Vec<_> = headers.get_all("link").iter().collect();
    ///     assert_eq!(links, ["</p2>", "</p3>"]);
    ///     assert!(headers.get("etag").is_none());
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The URL this response came from: after redirects, the last one.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["301 Moved Permanently\nlocation: /v2/items", "200 OK"]);
    /// aio::run(async {
    ///     let response = aio::http::Client::new().get(format!("{url}/items")).await?;
    ///     assert_eq!(response.url().path(), "/v2/items");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The declared `Content-Length`, if any. A response to HEAD declares
    /// the length a GET would have had, though it carries no body; a body
    /// being decoded has none (its decoded length is not known in advance).
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\n\nhello"]);
    /// aio::run(async {
    ///     let response = aio::http::Client::new().get(&url).await?;
    ///     assert_eq!(response.content_length(), Some(5));
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// The address of the server this response came from (for a
    /// redirected request, the last one).
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK"]);
    /// aio::run(async {
    ///     let response = aio::http::Client::new().get(&url).await?;
    ///     let addr = response.remote_addr().unwrap();
    ///     assert!(addr.ip().is_loopback());
    ///     assert_eq!(Some(addr.port()), response.url().port());
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        self.remote_addr
    }

    /// The URLs of the redirects followed to get here, in order: the first
    /// is the URL requested, [`url`](Response::url) comes after the last.
    /// Empty when there was no redirect.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["302 Found\nlocation: /login", "303 See Other\nlocation: /home", "200 OK"]);
    /// aio::run(async {
    ///     let response = aio::http::Client::new().get(format!("{url}/account")).await?;
    ///     let paths: Vec<_> = response.redirects().iter().map(|u| u.path()).collect();
    ///     assert_eq!(paths, ["/account", "/login"]);
    ///     assert_eq!(response.url().path(), "/home");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn redirects(&self) -> &[Url] {
        &self.redirects
    }

    /// The next piece of the body as it arrives, `Ok(None)` at the end.
    ///
    /// Pieces have no meaning of their own (they follow the network reads,
    /// chunk boundaries and decoding). A body cut short, a corrupt encoding,
    /// or a body over `max_body_size` is an error, never a silent end. Only
    /// [`max_body_size`](crate::ClientBuilder::max_body_size) bounds the
    /// total.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\ntransfer-encoding: chunked\n\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"]);
    /// aio::run(async {
    ///     let mut response = aio::http::Client::new().get(&url).await?;
    ///     let mut size = 0;
    ///     while let Some(piece) = response.chunk().await? {
    ///         size += piece.len(); // e.g. write it to a file
    ///     }
    ///     assert_eq!(size, "hello world".len());
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        let mut piece = Vec::new();
        match self.next_piece(&mut piece).await {
            Ok(true) => Ok(Some(Bytes::from(piece))),
            Ok(false) => Ok(None),
            Err(e) => Err(self.context(e)),
        }
    }

    /// The body as a [`Stream`] of pieces, as [`chunk`](Response::chunk)
    /// gives them.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\ntransfer-encoding: chunked\n\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"]);
    /// use futures_lite::StreamExt;
    ///
    /// aio::run(async {
    ///     let response = aio::http::Client::new().get(&url).await?;
    ///     let mut stream = response.bytes_stream();
    ///     let mut body = Vec::new();
    ///     while let Some(piece) = stream.next().await {
    ///         body.extend_from_slice(&piece?);
    ///     }
    ///     assert_eq!(body, b"hello world");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn bytes_stream(self) -> impl Stream<Item = Result<Bytes, Error>> + Send + 'static {
        BytesStream {
            state: StreamState::Idle(Box::new(self)),
        }
    }

    /// The whole body, up to the client's
    /// [`max_buffered_body_size`](crate::ClientBuilder::max_buffered_body_size)
    /// (100 MiB by default; a longer body is an error of kind
    /// [`Body`](Kind::Body)).
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\ncontent-type: application/octet-stream\n\n\u{1}\u{2}\u{3}"]);
    /// aio::run(async {
    ///     let response = aio::http::Client::new().get(&url).await?;
    ///     assert_eq!(response.bytes().await?, [1, 2, 3][..]);
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn bytes(mut self) -> Result<Bytes, Error> {
        self.read_all().await.map(Bytes::from)
    }

    /// The body as text (read whole, so bounded like
    /// [`bytes`](Response::bytes)), decoded by the `charset` of its
    /// `Content-Type` (UTF-8 when none is declared, or when the declared one
    /// is unknown), as httpx and reqwest do. Invalid sequences become
    /// U+FFFD; a byte order mark is dropped.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["200 OK\ncontent-type: text/plain; charset=utf-16le\n\nh\0i\0"]);
    /// aio::run(async {
    ///     let response = aio::http::Client::new().get(&url).await?;
    ///     // The server sent "hi" in UTF-16, and said so.
    ///     assert_eq!(response.headers()["content-type"], "text/plain; charset=utf-16le");
    ///     assert_eq!(response.text().await?, "hi");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn text(mut self) -> Result<String, Error> {
        let bytes = self.read_all().await?;
        Ok(decode_text(bytes, self.charset()))
    }

    /// The body parsed as JSON into `T` (read whole, so bounded like
    /// [`bytes`](Response::bytes)). Invalid JSON, or JSON of another
    /// shape, is an error of kind [`Decode`](Kind::Decode).
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&[r#"200 OK
    /// # content-type: application/json
    /// #
    /// # [{"id": 1, "name": "lamp"}, {"id": 2, "name": "desk"}]"#]);
    /// #[derive(serde::Deserialize)]
    /// struct Item {
    ///     id: u64,
    ///     name: String,
    /// }
    ///
    /// aio::run(async {
    ///     let response = aio::http::Client::new().get(&url).await?;
    ///     let items: Vec<Item> = response.json().await?;
    ///     assert_eq!((items[1].id, items[1].name.as_str()), (2, "desk"));
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn json<T: DeserializeOwned>(mut self) -> Result<T, Error> {
        let bytes = self.read_all().await?;
        decode_json(&bytes).map_err(|e| {
            self.context(Error::with_source(
                Kind::Decode,
                "invalid JSON in response body",
                e,
            ))
        })
    }

    /// `Err` of kind [`Status`](Kind::Status) for a 4xx or 5xx status (the
    /// error's [`status()`](Error::status) is set), else the response.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["503 Service Unavailable"]);
    /// use aio::http::StatusCode;
    ///
    /// aio::run(async {
    ///     let response = aio::http::Client::new().get(&url).await?;
    ///     let err = response.error_for_status().unwrap_err();
    ///     assert_eq!(err.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    ///     assert!(err.to_string().ends_with(": HTTP status 503 Service Unavailable"), "{err}");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn error_for_status(self) -> Result<Response, Error> {
        match self.status_error() {
            Some(e) => Err(e),
            None => Ok(self),
        }
    }

    /// Like [`error_for_status`](Response::error_for_status), by reference.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["404 Not Found\n\nno item 7"]);
    /// aio::run(async {
    ///     let response = aio::http::Client::new().get(&url).await?;
    ///     let err = response.error_for_status_ref().unwrap_err();
    ///     assert!(err.is_status());
    ///     // The response is still ours: its body may say more.
    ///     assert_eq!(response.text().await?, "no item 7");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn error_for_status_ref(&self) -> Result<&Response, Error> {
        match self.status_error() {
            Some(e) => Err(e),
            None => Ok(self),
        }
    }

    /// The whole body, refused past the client's `max_buffered_body_size`
    /// before that much memory is taken.
    async fn read_all(&mut self) -> Result<Vec<u8>, Error> {
        let limit = self.body.max_buffered();
        // A failed body reports its own error on the first read below.
        let expected = self.content_length.filter(|_| self.body.is_pending());
        if expected.is_some_and(|len| len > limit) {
            return Err(self.over_buffered_limit(limit, "its Content-Length is"));
        }
        let capacity = expected.unwrap_or(0).min(MAX_PREALLOCATE) as usize;
        let mut out = Vec::with_capacity(capacity);
        loop {
            match self.next_piece(&mut out).await {
                Ok(true) if out.len() as u64 > limit => {
                    return Err(self.over_buffered_limit(limit, "it grew"))
                }
                Ok(true) => {}
                Ok(false) => return Ok(out),
                Err(e) => return Err(self.context(e)),
            }
        }
    }

    /// Appends the next piece of the body, decoded, to `out`; `false` at
    /// the end. Errors carry no request context yet.
    async fn next_piece(&mut self, out: &mut Vec<u8>) -> Result<bool, Error> {
        let Response {
            body,
            decoding,
            decoded,
            ..
        } = self;
        let Some(decoding) = decoding.as_deref_mut() else {
            return body.next(|data| out.extend_from_slice(data)).await;
        };
        let start = out.len();
        loop {
            let pulled = decoding.pull(out, DECODED_PIECE_MAX).map_err(|e| {
                let e = Error::with_source(
                    Kind::Decode,
                    &format!("invalid {}-encoded response body", e.coding.name()),
                    e.source,
                );
                body.give_up(&e);
                e
            })?;
            match pulled {
                Pulled::Data => {
                    *decoded += (out.len() - start) as u64;
                    if let Some(max) = body.max_body().filter(|max| *decoded > *max) {
                        let e = Error::new(
                            Kind::Body,
                            format!(
                                "response body over the limit of {max} bytes once decoded \
                                 (max_body_size)"
                            ),
                        );
                        body.give_up(&e);
                        return Err(e);
                    }
                    return Ok(true);
                }
                Pulled::End => {
                    // The encoded stream is over: the body must be too, so
                    // its connection can go back to the pool.
                    let mut extra = 0;
                    while body.next(|data| extra += data.len()).await? {
                        if extra > 0 {
                            let e = Error::new(
                                Kind::Decode,
                                "response body goes on after the end of its encoded stream",
                            );
                            body.give_up(&e);
                            return Err(e);
                        }
                    }
                    return Ok(false);
                }
                Pulled::NeedInput => {
                    if !body.next(|data| decoding.feed(data)).await? {
                        decoding.feed_end();
                    }
                }
            }
        }
    }

    /// The `charset` parameter of the `Content-Type`, if any.
    fn charset(&self) -> Option<&str> {
        let content_type = self.headers.get(CONTENT_TYPE)?.to_str().ok()?;
        content_type.split(';').skip(1).find_map(|param| {
            let (name, value) = param.split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("charset")
                .then(|| value.trim().trim_matches('"'))
        })
    }

    /// The body is longer than `limit` (`how` says how that was found);
    /// the connection is closed.
    fn over_buffered_limit(&mut self, limit: u64, how: &str) -> Error {
        let e = Error::new(
            Kind::Body,
            format!(
                "response body too large to read whole: {how} over the {} limit \
                 (ClientBuilder::max_buffered_body_size; Response::chunk reads it piece by piece)",
                format_size(limit)
            ),
        );
        self.body.give_up(&e);
        self.context(e)
    }

    fn status_error(&self) -> Option<Error> {
        let status = self.status;
        if !(status.is_client_error() || status.is_server_error()) {
            return None;
        }
        let text = match status.canonical_reason() {
            Some(reason) => format!("HTTP status {} {reason}", status.as_str()),
            None => format!("HTTP status {}", status.as_str()),
        };
        Some(
            Error::new(Kind::Status, text)
                .with_status(status)
                .for_request(&self.method, &self.url),
        )
    }

    fn context(&self, e: Error) -> Error {
        e.for_request(&self.method, &self.url)
    }
}

/// `bytes` parsed as JSON. JSON text is UTF-8 (RFC 8259), so the body is
/// checked once, whole, and parsed as a `str`: serde_json then takes every
/// string in it as it is, where from bytes it would check each one again.
/// A body that is not UTF-8 is parsed as bytes, so the error says where the
/// parser stopped, as it would anyway.
fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> serde_json::Result<T> {
    match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(bytes),
    }
}

/// `bytes` as text in `charset` (UTF-8 when `None` or unknown to
/// encoding_rs). Valid UTF-8 is taken over without a copy.
fn decode_text(bytes: Vec<u8>, charset: Option<&str>) -> String {
    let encoding = charset
        .and_then(|label| Encoding::for_label(label.as_bytes()))
        .unwrap_or(UTF_8);
    if encoding == UTF_8 {
        let bytes = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) => rest.to_vec(),
            None => bytes,
        };
        return match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
    }
    encoding.decode(&bytes).0.into_owned()
}

/// A [`Response`] read as a [`Stream`]: each poll drives one
/// [`chunk`](Response::chunk) call, kept across polls.
struct BytesStream {
    state: StreamState,
}

type ChunkFuture = Pin<Box<dyn Future<Output = (Box<Response>, ChunkResult)> + Send>>;
type ChunkResult = Result<Option<Bytes>, Error>;

enum StreamState {
    Idle(Box<Response>),
    Reading(ChunkFuture),
    Done,
}

impl Stream for BytesStream {
    type Item = Result<Bytes, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            match std::mem::replace(&mut self.state, StreamState::Done) {
                StreamState::Idle(mut response) => {
                    self.state = StreamState::Reading(Box::pin(async move {
                        let result = response.chunk().await;
                        (response, result)
                    }));
                }
                StreamState::Reading(mut reading) => {
                    let (response, result) = match reading.as_mut().poll(cx) {
                        Poll::Ready(done) => done,
                        Poll::Pending => {
                            self.state = StreamState::Reading(reading);
                            return Poll::Pending;
                        }
                    };
                    return Poll::Ready(match result {
                        Ok(Some(piece)) => {
                            self.state = StreamState::Idle(response);
                            Some(Ok(piece))
                        }
                        Ok(None) => None,
                        // A failed body is over: the error is the last item.
                        Err(e) => Some(Err(e)),
                    });
                }
                StreamState::Done => return Poll::Ready(None),
            }
        }
    }
}

/// `100 MiB`, `64 KiB`, `1000 bytes`: a size as it was most likely set.
fn format_size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    const GIB: u64 = 1024 * MIB;
    match bytes {
        0 => "0 bytes".to_owned(),
        b if b % GIB == 0 => format!("{} GiB", b / GIB),
        b if b % MIB == 0 => format!("{} MiB", b / MIB),
        b if b % KIB == 0 => format!("{} KiB", b / KIB),
        b => format!("{b} bytes"),
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("url", &redacted(&self.url))
            .field("status", &self.status)
            .field("version", &self.version)
            .field("headers", &ShownHeaders(&self.headers))
            .finish()
    }
}
