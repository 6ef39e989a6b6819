//! The response: status, headers, final URL, and the body read on demand.

use std::fmt;

use http::{HeaderMap, Method, StatusCode, Version};
use serde::de::DeserializeOwned;
use url::Url;

use crate::body::BodyReader;
use crate::error::{redacted, Error, Kind};
use crate::proto::ResponseHead;

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
    /// error of kind [`Body`](Kind::Body), never a silent end.
    pub async fn chunk(&mut self) -> Result<Option<Vec<u8>>, Error> {
        let mut piece = Vec::new();
        match self.body.next(|data| piece.extend_from_slice(data)).await {
            Ok(true) => Ok(Some(piece)),
            Ok(false) => Ok(None),
            Err(e) => Err(self.context(e)),
        }
    }

    /// The whole body.
    pub async fn bytes(mut self) -> Result<Vec<u8>, Error> {
        self.read_all().await
    }

    /// The body as text. The body is taken to be UTF-8 whatever its declared
    /// charset; invalid sequences become U+FFFD (as `String::from_utf8_lossy`).
    pub async fn text(self) -> Result<String, Error> {
        let bytes = self.bytes().await?;
        Ok(match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }

    /// The body parsed as JSON into `T`. Invalid JSON, or JSON of another
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

    async fn read_all(&mut self) -> Result<Vec<u8>, Error> {
        let expected = self.content_length.filter(|_| !self.body.is_done());
        let capacity = expected.unwrap_or(0).min(MAX_PREALLOCATE) as usize;
        let mut out = Vec::with_capacity(capacity);
        loop {
            match self.body.next(|data| out.extend_from_slice(data)).await {
                Ok(true) => {}
                Ok(false) => return Ok(out),
                Err(e) => return Err(self.context(e)),
            }
        }
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

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("url", &redacted(&self.url))
            .field("status", &self.status)
            .field("version", &self.version)
            .field("headers", &self.headers)
            .finish()
    }
}
