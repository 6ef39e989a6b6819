//! The response: status, headers, final URL, and the body read on demand.

use std::fmt;

use http::{HeaderMap, Method, StatusCode, Version};
use serde::de::DeserializeOwned;
use url::Url;

use crate::body::BodyReader;
use crate::error::{Error, Kind};
use crate::proto::ResponseHead;
use crate::redact::{redacted, ShownHeaders};

/// Most bytes reserved up front for a body of declared length: a
/// `Content-Length` is a claim, and memory is committed only as bytes arrive.
const MAX_PREALLOCATE: u64 = 64 * 1024;

/// An HTTP response whose head has arrived; the body is read on demand with
/// [`bytes`](Response::bytes), [`text`](Response::text),
/// [`json`](Response::json) or piece by piece with
/// [`chunk`](Response::chunk).
///
/// The connection returns to the client's pool as soon as the body has been
/// read to its end. Dropping a response before that closes the connection.
pub struct Response {
    status: StatusCode,
    version: Version,
    headers: HeaderMap,
    url: Url,
    method: Method,
    content_length: Option<u64>,
    body: BodyReader,
}

impl Response {
    pub(crate) fn new(head: ResponseHead, method: Method, url: Url, body: BodyReader) -> Response {
        let content_length = head.content_length();
        Response {
            status: head.status,
            version: head.version,
            headers: head.headers,
            url,
            method,
            content_length,
            body,
        }
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The HTTP version of the response (`HTTP/1.0` or `HTTP/1.1`).
    pub fn version(&self) -> Version {
        self.version
    }

    /// The header fields.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The URL this response came from: after redirects, the last one.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The declared `Content-Length`, if any. A response to HEAD declares
    /// the length a GET would have had, though it carries no body.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// The next piece of the body as it arrives, `Ok(None)` at the end.
    ///
    /// Pieces have no meaning of their own (they follow the network reads and
    /// chunk boundaries). A body cut short, or over `max_body_size`, is an
    /// error of kind [`Body`](Kind::Body), never a silent end. Only
    /// [`max_body_size`](crate::ClientBuilder::max_body_size) bounds the
    /// total.
    pub async fn chunk(&mut self) -> Result<Option<Vec<u8>>, Error> {
        let mut piece = Vec::new();
        match self.body.next(|data| piece.extend_from_slice(data)).await {
            Ok(true) => Ok(Some(piece)),
            Ok(false) => Ok(None),
            Err(e) => Err(self.context(e)),
        }
    }

    /// The whole body, up to the client's
    /// [`max_buffered_body_size`](crate::ClientBuilder::max_buffered_body_size)
    /// (100 MiB by default; a longer body is an error of kind
    /// [`Body`](Kind::Body)).
    pub async fn bytes(mut self) -> Result<Vec<u8>, Error> {
        self.read_all().await
    }

    /// The body as text (read whole, so bounded like
    /// [`bytes`](Response::bytes)). The body is taken to be UTF-8 whatever its declared
    /// charset; invalid sequences become U+FFFD (as `String::from_utf8_lossy`).
    pub async fn text(self) -> Result<String, Error> {
        let bytes = self.bytes().await?;
        Ok(match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }

    /// The body parsed as JSON into `T` (read whole, so bounded like
    /// [`bytes`](Response::bytes)). Invalid JSON, or JSON of another
    /// shape, is an error of kind [`Decode`](Kind::Decode).
    pub async fn json<T: DeserializeOwned>(mut self) -> Result<T, Error> {
        let bytes = self.read_all().await?;
        serde_json::from_slice(&bytes).map_err(|e| {
            self.context(Error::with_source(
                Kind::Decode,
                "invalid JSON in response body",
                e,
            ))
        })
    }

    /// `Err` of kind [`Status`](Kind::Status) for a 4xx or 5xx status (the
    /// error's [`status()`](Error::status) is set), else the response.
    pub fn error_for_status(self) -> Result<Response, Error> {
        match self.status_error() {
            Some(e) => Err(e),
            None => Ok(self),
        }
    }

    /// Like [`error_for_status`](Response::error_for_status), by reference.
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
            let mut over = false;
            let step = self.body.next(|data| {
                if (out.len() + data.len()) as u64 > limit {
                    over = true;
                } else {
                    out.extend_from_slice(data);
                }
            });
            match step.await {
                Ok(true) if over => return Err(self.over_buffered_limit(limit, "it grew")),
                Ok(true) => {}
                Ok(false) => return Ok(out),
                Err(e) => return Err(self.context(e)),
            }
        }
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
