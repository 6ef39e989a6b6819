//! Request bodies: [`Body`], and how a streamed one is pulled while it is
//! sent.
//!
//! Two shapes, with different promises:
//!
//! - **Bytes** held in memory: sent with a `Content-Length`, in the same
//!   write as the head when small, and sent again as they are when a
//!   redirect keeps the body or a stale pooled connection is retried.
//! - **Streamed**: pieces pulled from a stream, a reader or a file while the
//!   request is written, at most [`PIECE`] bytes at a time, so memory stays
//!   flat whatever the size. Sent once: it cannot be replayed, so a redirect
//!   that keeps the body ends the exchange with the 3xx response, and
//!   neither the stale-connection retry nor a `Retry` policy resends it. Framed with a
//!   `Content-Length` when every source declared its length, chunked
//!   otherwise; a source that declared a length is held to it (shorter or
//!   longer is an error of kind [`Body`](Kind::Body), never a silent cut).

use std::borrow::Cow;
use std::collections::VecDeque;
use std::error::Error as StdError;
use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use futures_core::Stream;
use futures_io::AsyncRead;

use crate::error::{Error, Kind};

/// The most bytes taken from a body at once (one write on the connection,
/// one chunk of a chunked body).
const PIECE: usize = 64 * 1024;

/// A request body, for [`RequestBuilder::body`](crate::RequestBuilder::body).
///
/// Made from bytes (`Vec<u8>`, `String`, `&str`, `&[u8]`, [`Bytes`]) with
/// `From`/`Into`, or streamed: from a [`Stream`] of byte chunks
/// ([`wrap_stream`](Body::wrap_stream)) or from an [`AsyncRead`]
/// ([`from_reader`](Body::from_reader)), read piece by piece while the
/// request is sent and never held whole.
///
/// A streamed body is sent once: a redirect that would send it again (307,
/// 308, or 301/302 for methods other than POST) is not followed, its 3xx
/// response is the answer; a request with one is never resent on a fresh
/// connection after a pooled one failed, nor retried by a
/// [`Retry`](crate::Retry) policy.
///
/// `Debug` shows the shape and length, never the contents.
///
/// ```
/// use aio_http::Body;
///
/// let body = Body::from("name=ann");
/// assert_eq!(body.as_bytes(), Some(&b"name=ann"[..]));
/// assert_eq!(body.content_length(), Some(8));
/// ```
pub struct Body {
    inner: Inner,
}

enum Inner {
    Bytes(Bytes),
    Streamed(Streamed),
}

impl Body {
    /// An empty body.
    pub fn empty() -> Body {
        Body::from(Bytes::new())
    }

    /// A body read from `stream` while the request is sent, sent chunked
    /// (its length is not known beforehand). Empty chunks are skipped; an
    /// error from the stream ends the request with an error of kind
    /// [`Body`](Kind::Body) whose source is the stream's error.
    ///
    /// ```
    /// use aio_http::Body;
    /// # fn chunks() -> impl futures_core::Stream<Item = Result<Vec<u8>, std::io::Error>> + Send + 'static {
    /// #     struct Once(Option<Vec<u8>>);
    /// #     impl futures_core::Stream for Once {
    /// #         type Item = Result<Vec<u8>, std::io::Error>;
    /// #         fn poll_next(mut self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>)
    /// #             -> std::task::Poll<Option<Self::Item>> { std::task::Poll::Ready(self.0.take().map(Ok)) }
    /// #     }
    /// #     Once(Some(b"log line\n".to_vec()))
    /// # }
    ///
    /// // Any Stream<Item = Result<impl Into<Bytes>, impl Into<Box<dyn Error>>>>.
    /// let body = Body::wrap_stream(chunks());
    /// assert_eq!(body.content_length(), None); // sent with Transfer-Encoding: chunked
    /// ```
    pub fn wrap_stream<S, T, E>(stream: S) -> Body
    where
        S: Stream<Item = Result<T, E>> + Send + 'static,
        T: Into<Bytes>,
        E: Into<Box<dyn StdError + Send + Sync>>,
    {
        Body::streamed(Source::new(
            Supply::Stream {
                stream: Box::pin(stream),
                current: Bytes::new(),
            },
            None,
        ))
    }

    /// A body read from `reader` while the request is sent. With
    /// `Some(length)` it is sent with that `Content-Length`, and the reader
    /// must give exactly that many bytes (fewer or more is an error of kind
    /// [`Body`](Kind::Body)); with `None` it is sent chunked.
    ///
    /// ```
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let file = aio::fs::File::open("upload.bin").await?;
    /// let length = aio::fs::metadata("upload.bin").await?.len();
    /// let body = aio_http::Body::from_reader(file, Some(length));
    /// aio_http::Client::new()
    ///     .put("https://example.com/upload.bin")
    ///     .body(body)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn from_reader<R>(reader: R, length: Option<u64>) -> Body
    where
        R: AsyncRead + Send + 'static,
    {
        Body::streamed(Source::reader(reader, length))
    }

    /// The bytes, when the body is held in memory (`None` when streamed).
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match &self.inner {
            Inner::Bytes(b) => Some(b),
            Inner::Streamed(_) => None,
        }
    }

    /// The length sent as `Content-Length`; `None` when the body is sent
    /// chunked (streamed without a declared length).
    pub fn content_length(&self) -> Option<u64> {
        match &self.inner {
            Inner::Bytes(b) => Some(b.len() as u64),
            Inner::Streamed(s) => s.declared_len(),
        }
    }

    fn streamed(source: Source) -> Body {
        Body {
            inner: Inner::Streamed(Streamed {
                sources: VecDeque::from([source]),
            }),
        }
    }

    /// A body of these parts in order: bytes held in memory stay one
    /// buffer when every part is in memory.
    pub(crate) fn concat(parts: Vec<Body>) -> Body {
        let mut sources = VecDeque::new();
        let mut pending: Vec<u8> = Vec::new();
        for part in parts {
            match part.inner {
                Inner::Bytes(b) => pending.extend_from_slice(&b),
                Inner::Streamed(s) => {
                    if !pending.is_empty() {
                        sources.push_back(Source::bytes(std::mem::take(&mut pending).into()));
                    }
                    sources.extend(s.sources);
                }
            }
        }
        if sources.is_empty() {
            return Body::from(pending);
        }
        if !pending.is_empty() {
            sources.push_back(Source::bytes(pending.into()));
        }
        Body {
            inner: Inner::Streamed(Streamed { sources }),
        }
    }

    /// Names the body in its errors ("multipart part \"file\" ended...").
    pub(crate) fn labelled(mut self, label: String) -> Body {
        if let Inner::Streamed(s) = &mut self.inner {
            for source in &mut s.sources {
                source.label = Cow::Owned(label.clone());
            }
        }
        self
    }

    /// The body as the engine sends it.
    pub(crate) fn payload(&mut self) -> Payload<'_> {
        match &mut self.inner {
            Inner::Bytes(b) => Payload::Bytes(b),
            Inner::Streamed(s) => Payload::Streamed(s),
        }
    }

    /// Whether the body can be sent again (held in memory).
    pub(crate) fn is_replayable(&self) -> bool {
        matches!(self.inner, Inner::Bytes(_))
    }
}

/// What the engine sends: bytes in one piece, or a streamed body to pull.
pub(crate) enum Payload<'a> {
    Bytes(&'a [u8]),
    Streamed(&'a mut Streamed),
}

impl Default for Body {
    fn default() -> Body {
        Body::empty()
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shape = match self.inner {
            Inner::Bytes(_) => "bytes",
            Inner::Streamed(_) => "streamed",
        };
        f.debug_struct("Body")
            .field("shape", &shape)
            .field("content_length", &self.content_length())
            .finish()
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Body {
        Body {
            inner: Inner::Bytes(bytes),
        }
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Body {
        Body::from(Bytes::from(bytes))
    }
}

impl From<Box<[u8]>> for Body {
    fn from(bytes: Box<[u8]>) -> Body {
        Body::from(Bytes::from(bytes))
    }
}

impl From<String> for Body {
    fn from(text: String) -> Body {
        Body::from(Bytes::from(text))
    }
}

/// Copies the text, as `.body(impl Into<Vec<u8>>)` did; for static text
/// without a copy, give `Bytes::from_static`.
impl From<&str> for Body {
    fn from(text: &str) -> Body {
        Body::from(Bytes::copy_from_slice(text.as_bytes()))
    }
}

/// Copies the bytes; for static bytes without a copy, give
/// `Bytes::from_static`.
impl From<&[u8]> for Body {
    fn from(bytes: &[u8]) -> Body {
        Body::from(Bytes::copy_from_slice(bytes))
    }
}

/// Copies the bytes (`.body(b"...")`).
impl<const N: usize> From<&[u8; N]> for Body {
    fn from(bytes: &[u8; N]) -> Body {
        Body::from(&bytes[..])
    }
}

/// A streamed body: its sources, read front to back.
pub(crate) struct Streamed {
    sources: VecDeque<Source>,
}

impl Streamed {
    /// The total length when every source declared its own (and the sum
    /// fits; otherwise the body goes chunked, each source still held to
    /// its length).
    pub(crate) fn declared_len(&self) -> Option<u64> {
        self.sources
            .iter()
            .try_fold(0u64, |total, s| total.checked_add(s.declared?))
    }

    /// Makes the next piece ready ([`piece`](Streamed::piece)); returns its
    /// length, 0 at the end of the body. Each source's declared length is
    /// checked as it ends.
    pub(crate) async fn fill(&mut self) -> Result<usize, Error> {
        while let Some(source) = self.sources.front_mut() {
            let n = source.fill().await?;
            if n > 0 {
                return Ok(n);
            }
            self.sources.pop_front();
        }
        Ok(0)
    }

    /// The piece [`fill`](Streamed::fill) made ready.
    pub(crate) fn piece(&self) -> &[u8] {
        self.sources.front().map_or(&[], Source::piece)
    }
}

/// One part of a streamed body and its length rule.
struct Source {
    supply: Supply,
    /// Bytes it must give, when declared.
    declared: Option<u64>,
    /// Bytes given so far (the ready piece included).
    taken: u64,
    /// Length of the ready piece, consumed by the next `fill`.
    ready: usize,
    /// What errors call it.
    label: Cow<'static, str>,
}

enum Supply {
    Bytes(Bytes),
    Stream {
        stream: Pin<Box<dyn ChunkStream>>,
        /// The chunk being sent.
        current: Bytes,
    },
    Reader {
        reader: Pin<Box<dyn AsyncRead + Send>>,
        /// Allocated on the first read, so a form's files take no memory
        /// before their turn.
        buf: Vec<u8>,
    },
}

impl Source {
    fn new(supply: Supply, declared: Option<u64>) -> Source {
        Source {
            supply,
            declared,
            taken: 0,
            ready: 0,
            label: Cow::Borrowed("the request body"),
        }
    }

    fn bytes(bytes: Bytes) -> Source {
        let len = bytes.len() as u64;
        Source::new(Supply::Bytes(bytes), Some(len))
    }

    fn reader(reader: impl AsyncRead + Send + 'static, length: Option<u64>) -> Source {
        let supply = Supply::Reader {
            reader: Box::pin(reader),
            buf: Vec::new(),
        };
        Source::new(supply, length)
    }

    fn piece(&self) -> &[u8] {
        match &self.supply {
            Supply::Bytes(b) => &b[..self.ready],
            Supply::Stream { current, .. } => &current[..self.ready],
            Supply::Reader { buf, .. } => &buf[..self.ready],
        }
    }

    /// Consumes the ready piece and makes the next one ready; 0 when this
    /// source has ended with its declared length.
    async fn fill(&mut self) -> Result<usize, Error> {
        let done = std::mem::take(&mut self.ready);
        let n = match &mut self.supply {
            Supply::Bytes(b) => {
                b.advance(done);
                b.len().min(PIECE)
            }
            Supply::Stream { stream, current } => {
                current.advance(done);
                while current.is_empty() {
                    match poll_fn(|cx| stream.as_mut().poll_chunk(cx)).await {
                        Some(Ok(chunk)) => *current = chunk,
                        Some(Err(e)) => {
                            let context = format!("{} stream failed", self.label);
                            return Err(Error::with_source(Kind::Body, &context, e));
                        }
                        None => break,
                    }
                }
                current.len().min(PIECE)
            }
            Supply::Reader { reader, buf } => {
                buf.resize(PIECE, 0);
                poll_fn(|cx| reader.as_mut().poll_read(cx, buf))
                    .await
                    .map_err(|e| {
                        let context = format!("could not read {}", self.label);
                        Error::with_source(Kind::Body, &context, e)
                    })?
            }
        };
        self.taken += n as u64;
        if let Some(declared) = self.declared {
            if self.taken > declared {
                return Err(Error::new(
                    Kind::Body,
                    format!(
                        "{} is longer than its declared length of {declared} bytes",
                        self.label
                    ),
                ));
            }
            if n == 0 && self.taken < declared {
                return Err(Error::new(
                    Kind::Body,
                    format!(
                        "{} ended after {} of its declared {declared} bytes",
                        self.label, self.taken
                    ),
                ));
            }
        }
        self.ready = n;
        Ok(n)
    }
}

/// A caller's stream with its chunk and error types erased.
trait ChunkStream: Send {
    fn poll_chunk(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Box<dyn StdError + Send + Sync>>>>;
}

impl<S, T, E> ChunkStream for S
where
    S: Stream<Item = Result<T, E>> + Send,
    T: Into<Bytes>,
    E: Into<Box<dyn StdError + Send + Sync>>,
{
    fn poll_chunk(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Box<dyn StdError + Send + Sync>>>> {
        self.poll_next(cx)
            .map(|item| item.map(|r| r.map(Into::into).map_err(Into::into)))
    }
}
