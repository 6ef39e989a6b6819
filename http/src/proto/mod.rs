//! Sans-IO HTTP/1.1 client codec: bytes in, events out.
//!
//! No sockets, clocks or async here. The connection code writes a head made
//! by [`encode_request_head`] (and a streamed body framed by
//! [`encode_chunk`]), then feeds what it reads to a
//! [`ResponseDecoder`] and acts on the [`Event`]s. Every failure is one kind,
//! [`ProtoError`]: the peer sent something this client will not accept.
//!
//! # Buffering contract
//!
//! `decode(input)` returns `(consumed, event)`:
//! - `input[..consumed]` is finished with; `input[consumed..]` must be given
//!   again, at the front of the next call's input (followed by newer bytes).
//! - [`Event::NeedMore`] always comes with `consumed == input.len()`: the
//!   decoder has taken everything and wants the next read. It keeps its own
//!   copy of an incomplete head or trailer section (at most
//!   [`MAX_HEAD_BYTES`] + 1 bytes, refused beyond that), and chunk framing
//!   needs no buffer at all, so the caller never holds more than one read.
//! - [`Event::Data`] is a range of *this call's* `input` (inside
//!   `..consumed`): body bytes, not copied.
//! - Every other event consumes only the bytes that produced it: a head, or
//!   for the `End` of a chunked body its final line. Once `End` has been
//!   returned nothing more is consumed (later calls return `(0, End)`):
//!   bytes left over belong to whatever follows the response on the
//!   connection.
//!
//! A call therefore always makes progress: it consumes bytes or returns an
//! event other than `NeedMore` (or `input` was empty).

mod body;
mod encode;
mod head;

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use http::{HeaderMap, Method, StatusCode};

pub use body::{Framing, MAX_CHUNK_LINE};
pub use encode::{encode_chunk, encode_request_head, LAST_CHUNK};
pub use head::{ResponseHead, MAX_HEADERS, MAX_HEAD_BYTES};

use body::{ChunkStep, ChunkedDecoder};
use head::{Accumulator, Push, Section};

/// Most 1xx (informational) responses accepted before the final one, so an
/// endless stream of `100 Continue` is an error rather than a hang.
///
/// ```
/// use aio::http::Method;
/// use aio::http::proto::{Limits, ResponseDecoder, MAX_INFORMATIONAL};
///
/// let mut decoder = ResponseDecoder::new(&Method::GET, Limits::new());
/// let endless = b"HTTP/1.1 100 Continue\r\n\r\n".repeat(MAX_INFORMATIONAL + 1);
/// // One call per 1xx head: the last one is refused.
/// let err = (0..=MAX_INFORMATIONAL)
///     .try_fold(&endless[..], |input, _| {
///         decoder.decode(input).map(|(consumed, _event)| &input[consumed..])
///     })
///     .unwrap_err();
/// assert_eq!(err.message(), "more than 32 informational (1xx) responses");
/// ```
pub const MAX_INFORMATIONAL: usize = 32;

/// The peer sent something this client does not accept. The message names
/// what was wrong, e.g. "invalid chunk size line: ...".
///
/// ```
/// use aio::http::Method;
/// use aio::http::proto::{Limits, ResponseDecoder};
///
/// let mut decoder = ResponseDecoder::new(&Method::GET, Limits::new());
/// let err = decoder.decode(b"SSH-2.0-OpenSSH_9.6\r\n").unwrap_err();
/// assert!(err.to_string().contains("not an HTTP/1.x response"), "{err}");
/// // The decoder is done for: it gives the same error from now on.
/// assert_eq!(decoder.decode(b"HTTP/1.1 200 OK\r\n\r\n"), Err(err));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtoError {
    message: Cow<'static, str>,
    /// The body broke the caller's [`Limits`] rather than HTTP's rules.
    over_limit: bool,
}

impl ProtoError {
    pub(crate) fn new(message: impl Into<Cow<'static, str>>) -> Self {
        ProtoError {
            message: message.into(),
            over_limit: false,
        }
    }

    /// A body larger than [`Limits::max_body_bytes`].
    fn over_limit(message: String) -> Self {
        ProtoError {
            message: message.into(),
            over_limit: true,
        }
    }

    /// Whether the body was refused for being larger than
    /// [`Limits::max_body_bytes`] (the response was otherwise valid so far).
    ///
    /// ```
    /// use aio::http::Method;
    /// use aio::http::proto::{Event, Limits, ResponseDecoder};
    ///
    /// let mut decoder = ResponseDecoder::new(&Method::GET, Limits::new().with_max_body_bytes(3));
    /// let input = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello";
    /// let (consumed, event) = decoder.decode(input)?;
    /// assert!(matches!(event, Event::Head(_)), "the head itself is fine");
    /// let err = decoder.decode(&input[consumed..]).unwrap_err();
    /// assert!(err.is_over_limit());
    /// # Ok::<(), aio::http::proto::ProtoError>(())
    /// ```
    pub fn is_over_limit(&self) -> bool {
        self.over_limit
    }

    /// What the peer got wrong.
    ///
    /// ```
    /// use aio::http::Method;
    /// use aio::http::proto::{Limits, ResponseDecoder};
    ///
    /// let mut decoder = ResponseDecoder::new(&Method::GET, Limits::new());
    /// let err = decoder.decode(b"HTTP/1.1 200 OK\r\nbad header\r\n\r\n").unwrap_err();
    /// assert_eq!(err.message(), err.to_string());
    /// assert!(err.message().contains("header"), "{err}");
    /// assert!(!err.is_over_limit());
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ProtoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ProtoError {}

/// Limits a [`ResponseDecoder`] enforces beyond the fixed ones
/// ([`MAX_HEAD_BYTES`], [`MAX_HEADERS`], [`MAX_CHUNK_LINE`],
/// [`MAX_INFORMATIONAL`]).
///
/// ```
/// use aio::http::Method;
/// use aio::http::proto::{Event, Limits, ResponseDecoder};
///
/// let limits = Limits::new().with_max_body_bytes(4);
/// let mut decoder = ResponseDecoder::new(&Method::GET, limits);
/// // A chunked body announces each chunk's size: refused at the first one too big.
/// let input = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n400\r\n";
/// let (n, _head) = decoder.decode(input)?;
/// let (m, event) = decoder.decode(&input[n..])?;
/// assert_eq!(event, Event::Data(3..5)); // "ok"
/// let err = decoder.decode(&input[n + m..]).unwrap_err();
/// assert!(err.is_over_limit(), "{err}");
/// # Ok::<(), aio::http::proto::ProtoError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest body accepted, in bytes; `None` for no limit. A
    /// Content-Length above it is refused before any body byte: the head is
    /// returned, and the next `decode` call fails (`eof` too); a
    /// chunked body fails as soon as a chunk size would exceed it; a
    /// close-delimited body is handed out up to the limit and fails at the
    /// first byte past it (however the bytes were split into reads).
    pub max_body_bytes: Option<u64>,
}

impl Limits {
    /// No body limit.
    ///
    /// ```
    /// use aio::http::proto::Limits;
    ///
    /// assert_eq!(Limits::new().max_body_bytes, None);
    /// assert_eq!(Limits::new(), Limits::default());
    /// ```
    pub fn new() -> Self {
        Limits::default()
    }

    /// Sets the largest body accepted.
    ///
    /// ```
    /// use aio::http::proto::Limits;
    ///
    /// let limits = Limits::new().with_max_body_bytes(10 * 1024 * 1024);
    /// assert_eq!(limits.max_body_bytes, Some(10_485_760));
    /// ```
    pub fn with_max_body_bytes(mut self, max: u64) -> Self {
        self.max_body_bytes = Some(max);
        self
    }
}

/// What [`ResponseDecoder::decode`] found.
///
/// ```
/// use aio::http::Method;
/// use aio::http::proto::{Event, Limits, ResponseDecoder};
///
/// let mut decoder = ResponseDecoder::new(&Method::GET, Limits::new());
/// let mut input: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n\
///     HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n\
///     2\r\nhi\r\n0\r\nchecksum: 7\r\n\r\n";
/// let mut seen = Vec::new();
/// loop {
///     let (consumed, event) = decoder.decode(input)?;
///     seen.push(match &event {
///         Event::Informational(status) => format!("{status}"),
///         Event::Head(head) => format!("head {}", head.status),
///         Event::Data(range) => format!("data {:?}", String::from_utf8_lossy(&input[range.clone()])),
///         Event::Trailers(fields) => format!("trailers {:?}", fields["checksum"]),
///         Event::NeedMore => unreachable!("the whole response is here"),
///         Event::End => break,
///     });
///     input = &input[consumed..];
/// }
/// assert_eq!(seen, [
///     "100 Continue",
///     "head 200 OK",
///     "data \"hi\"",
///     "trailers \"7\"",
/// ]);
/// # Ok::<(), aio::http::proto::ProtoError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// All input was consumed; read more (or call `eof` if the peer closed).
    NeedMore,
    /// A 1xx response other than 101 was read and skipped; the decoder goes
    /// on with the next head.
    Informational(StatusCode),
    /// The final response head. For a `101 Switching Protocols` the body is
    /// empty and the connection is not reusable: what follows is not HTTP.
    Head(ResponseHead),
    /// This range of the input just given is body data.
    Data(Range<usize>),
    /// The trailer fields of a chunked body (only when there is at least one).
    Trailers(HeaderMap),
    /// The response is complete; repeated on later calls.
    End,
}

#[derive(Debug)]
enum State {
    Head(Accumulator),
    /// Head returned, no body: `End` next.
    NoBody,
    Length {
        remaining: u64,
        total: u64,
    },
    Chunked(ChunkedDecoder),
    Trailers(Accumulator),
    CloseDelimited,
    Done,
    Failed(ProtoError),
}

/// Decodes one response (plus any 1xx before it) from bytes.
///
/// See the [module documentation](self) for the buffering contract.
///
/// ```
/// use aio::http::Method;
/// use aio::http::proto::{Event, Limits, ResponseDecoder};
///
/// let mut decoder = ResponseDecoder::new(&Method::GET, Limits::new());
/// let mut body = Vec::new();
/// // Bytes the decoder gave back, to be given again with the next read.
/// let mut pending = Vec::new();
/// 'reads: for read in [&b"HTTP/1.1 200 OK\r\ncontent-le"[..], b"ngth: 11\r\n\r\nhello", b" world"] {
///     pending.extend_from_slice(read);
///     loop {
///         let (consumed, event) = decoder.decode(&pending)?;
///         match event {
///             Event::Head(head) => assert_eq!(head.status, 200),
///             Event::Data(range) => body.extend_from_slice(&pending[range]),
///             Event::NeedMore => {
///                 pending.clear(); // all consumed
///                 continue 'reads;
///             }
///             Event::End => break 'reads,
///             _ => {}
///         }
///         pending.drain(..consumed);
///     }
/// }
/// assert_eq!(body, b"hello world");
/// assert!(decoder.is_reusable());
/// # Ok::<(), aio::http::proto::ProtoError>(())
/// ```
#[derive(Debug)]
pub struct ResponseDecoder {
    method: Method,
    limits: Limits,
    state: State,
    informational: usize,
    framing: Option<Framing>,
    keep_alive: bool,
    body_bytes: u64,
    untouched: bool,
}

impl ResponseDecoder {
    /// A decoder for the response to a `method` request (HEAD responses have
    /// no body; a 2xx to CONNECT starts a tunnel).
    ///
    /// ```
    /// use aio::http::Method;
    /// use aio::http::proto::{Event, Limits, ResponseDecoder};
    ///
    /// // The answer to HEAD declares a length but has no body.
    /// let mut decoder = ResponseDecoder::new(&Method::HEAD, Limits::new());
    /// let input = b"HTTP/1.1 200 OK\r\ncontent-length: 9000\r\n\r\n";
    /// let (consumed, _head) = decoder.decode(input)?;
    /// assert_eq!(decoder.decode(&input[consumed..])?, (0, Event::End));
    /// # Ok::<(), aio::http::proto::ProtoError>(())
    /// ```
    pub fn new(method: &Method, limits: Limits) -> Self {
        ResponseDecoder {
            method: method.clone(),
            limits,
            state: State::Head(Accumulator::new(Section::Response)),
            informational: 0,
            framing: None,
            keep_alive: false,
            body_bytes: 0,
            untouched: true,
        }
    }

    /// Decodes from `input`, returning the bytes consumed and one event.
    ///
    /// After an error every later call returns the same error.
    ///
    /// ```
    /// use aio::http::Method;
    /// use aio::http::proto::{Event, Limits, ResponseDecoder};
    ///
    /// let mut decoder = ResponseDecoder::new(&Method::GET, Limits::new());
    /// let input = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi";
    /// let (n, event) = decoder.decode(input)?;
    /// let Event::Head(head) = event else { panic!("expected the head") };
    /// assert_eq!(head.content_length(), Some(2));
    /// assert_eq!(decoder.decode(&input[n..])?, (2, Event::Data(0..2)));
    /// assert_eq!(decoder.decode(&[])?, (0, Event::End));
    /// # Ok::<(), aio::http::proto::ProtoError>(())
    /// ```
    pub fn decode(&mut self, input: &[u8]) -> Result<(usize, Event), ProtoError> {
        if let State::Failed(e) = &self.state {
            return Err(e.clone());
        }
        let result = self.step(input);
        match &result {
            Ok((n, _)) => {
                if *n > 0 {
                    self.untouched = false;
                }
            }
            Err(e) => self.state = State::Failed(e.clone()),
        }
        result
    }

    fn step(&mut self, input: &[u8]) -> Result<(usize, Event), ProtoError> {
        let mut offset = 0;
        loop {
            let rest = &input[offset..];
            match &mut self.state {
                State::Failed(e) => return Err(e.clone()),
                State::Done => return Ok((offset, Event::End)),
                State::NoBody => {
                    self.state = State::Done;
                    return Ok((offset, Event::End));
                }
                State::Head(acc) => {
                    let n = match acc.push(rest)? {
                        Push::Partial => return Ok((input.len(), Event::NeedMore)),
                        Push::Complete(n) => n,
                    };
                    let parsed = head::parse_head(acc.block(rest, n))?;
                    return self.on_head(parsed).map(|ev| (offset + n, ev));
                }
                State::Length { remaining, .. } => {
                    if *remaining == 0 {
                        self.state = State::Done;
                        return Ok((offset, Event::End));
                    }
                    if rest.is_empty() {
                        return Ok((offset, Event::NeedMore));
                    }
                    // Never past the body: later bytes are the caller's.
                    let take = (*remaining).min(rest.len() as u64);
                    *remaining -= take;
                    let end = offset + take as usize;
                    return Ok((end, Event::Data(offset..end)));
                }
                State::CloseDelimited => {
                    if rest.is_empty() {
                        return Ok((offset, Event::NeedMore));
                    }
                    // Hand out the body up to the limit and refuse the first
                    // byte past it, so what the caller gets before the error
                    // does not depend on how the reads were split.
                    let room = match self.limits.max_body_bytes {
                        Some(max) => max.saturating_sub(self.body_bytes),
                        None => u64::MAX,
                    };
                    if let (0, Some(max)) = (room, self.limits.max_body_bytes) {
                        return Err(body_limit_error(max));
                    }
                    let take = room.min(rest.len() as u64);
                    self.body_bytes += take;
                    // `take <= rest.len()`, which came from a usize.
                    let end = offset + take as usize;
                    return Ok((end, Event::Data(offset..end)));
                }
                State::Chunked(dec) => {
                    let received = self.body_bytes;
                    let max = self.limits.max_body_bytes;
                    let (n, step) = dec.decode(rest, |size| {
                        check_body_limit(max, received.saturating_add(size))
                    })?;
                    match step {
                        ChunkStep::NeedMore => return Ok((input.len(), Event::NeedMore)),
                        ChunkStep::Data(r) => {
                            self.body_bytes += r.len() as u64;
                            let r = offset + r.start..offset + r.end;
                            return Ok((offset + n, Event::Data(r)));
                        }
                        ChunkStep::LastChunk => {
                            offset += n;
                            self.state = State::Trailers(Accumulator::new(Section::Trailers));
                        }
                    }
                }
                State::Trailers(acc) => {
                    let n = match acc.push(rest)? {
                        Push::Partial => return Ok((input.len(), Event::NeedMore)),
                        Push::Complete(n) => n,
                    };
                    let trailers = head::parse_trailers(acc.block(rest, n))?;
                    self.state = State::Done;
                    let event = if trailers.is_empty() {
                        Event::End
                    } else {
                        Event::Trailers(trailers)
                    };
                    return Ok((offset + n, event));
                }
            }
        }
    }

    fn on_head(&mut self, head: ResponseHead) -> Result<Event, ProtoError> {
        let status = head.status;
        if status.is_informational() && status != StatusCode::SWITCHING_PROTOCOLS {
            self.informational += 1;
            if self.informational > MAX_INFORMATIONAL {
                return Err(ProtoError::new(format!(
                    "more than {MAX_INFORMATIONAL} informational (1xx) responses"
                )));
            }
            self.state = State::Head(Accumulator::new(Section::Response));
            return Ok(Event::Informational(status));
        }
        let framing = Framing::for_response(&self.method, status, &head.headers)?;
        self.keep_alive = head.keep_alive()
            && status != StatusCode::SWITCHING_PROTOCOLS
            && !(self.method == Method::CONNECT && status.is_success())
            // RFC 9112 6.1: Transfer-Encoding in an HTTP/1.0 message means
            // the framing is suspect; close after this response.
            && !(head.version == http::Version::HTTP_10
                && head.headers.contains_key(http::header::TRANSFER_ENCODING));
        self.state = match framing {
            Framing::Empty => State::NoBody,
            Framing::Length(n) => match self.limits.max_body_bytes {
                // The head is good, the caller gets it; the body is refused.
                Some(max) if n > max => State::Failed(declared_length_error(n, max)),
                _ => State::Length {
                    remaining: n,
                    total: n,
                },
            },
            Framing::Chunked => State::Chunked(ChunkedDecoder::new()),
            Framing::CloseDelimited => State::CloseDelimited,
        };
        self.framing = Some(framing);
        Ok(Event::Head(head))
    }

    /// The peer closed the connection cleanly.
    ///
    /// "Cleanly" is the caller's judgement: over TLS, a close without
    /// close_notify may be a truncation attack, and the TLS layer must report
    /// it as an error instead of calling this. Returns `End` when the
    /// response was complete (or close-delimited, which is how such a body
    /// ends); otherwise an error naming what was missing.
    ///
    /// ```
    /// use aio::http::Method;
    /// use aio::http::proto::{Event, Limits, ResponseDecoder};
    ///
    /// // No Content-Length: the body ends when the server closes.
    /// let mut decoder = ResponseDecoder::new(&Method::GET, Limits::new());
    /// let (n, _head) = decoder.decode(b"HTTP/1.1 200 OK\r\n\r\nsome")?;
    /// assert_eq!(decoder.decode(b"some")?, (4, Event::Data(0..4)));
    /// assert_eq!(decoder.eof()?, Event::End);
    ///
    /// // With one, a close before its end is an error.
    /// let mut decoder = ResponseDecoder::new(&Method::GET, Limits::new());
    /// let input = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhe";
    /// let (n, _head) = decoder.decode(input)?;
    /// decoder.decode(&input[n..])?;
    /// let err = decoder.eof().unwrap_err();
    /// assert_eq!(err.message(), "connection closed 2 bytes into a 5-byte body");
    /// # Ok::<(), aio::http::proto::ProtoError>(())
    /// ```
    pub fn eof(&mut self) -> Result<Event, ProtoError> {
        let err = match &self.state {
            State::Failed(e) => return Err(e.clone()),
            State::Done | State::NoBody | State::CloseDelimited => {
                self.state = State::Done;
                return Ok(Event::End);
            }
            State::Length { remaining: 0, .. } => {
                self.state = State::Done;
                return Ok(Event::End);
            }
            State::Head(acc) => {
                if self.untouched {
                    ProtoError::new(
                        "connection closed before the response head was complete (no bytes received)",
                    )
                } else {
                    ProtoError::new(format!(
                        "connection closed before the response head was complete ({} bytes of it received)",
                        acc.buffered().len()
                    ))
                }
            }
            State::Length { remaining, total } => ProtoError::new(format!(
                "connection closed {} bytes into a {total}-byte body",
                total - remaining
            )),
            State::Chunked(dec) => ProtoError::new(if dec.in_data() {
                "connection closed inside a chunk, before the last chunk"
            } else {
                "connection closed before the last chunk"
            }),
            State::Trailers(_) => {
                ProtoError::new("connection closed inside the trailer section of a chunked body")
            }
        };
        self.state = State::Failed(err.clone());
        Err(err)
    }

    /// Whether the response has been read to its end.
    ///
    /// ```
    /// use aio::http::Method;
    /// use aio::http::proto::{Limits, ResponseDecoder};
    ///
    /// let mut decoder = ResponseDecoder::new(&Method::GET, Limits::new());
    /// let (n, _head) = decoder.decode(b"HTTP/1.1 204 No Content\r\n\r\n")?;
    /// assert!(!decoder.is_done(), "End not returned yet");
    /// decoder.decode(&[])?;
    /// assert!(decoder.is_done());
    /// # Ok::<(), aio::http::proto::ProtoError>(())
    /// ```
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// Whether no byte has been consumed yet. A close in this state on a
    /// pooled connection is the stale keep-alive case, where an idempotent
    /// request can safely be retried.
    ///
    /// ```
    /// use aio::http::Method;
    /// use aio::http::proto::{Limits, ResponseDecoder};
    ///
    /// // A pooled connection the server had closed: not one byte came back.
    /// let mut decoder = ResponseDecoder::new(&Method::GET, Limits::new());
    /// assert!(decoder.eof().is_err());
    /// assert!(decoder.is_untouched(), "safe to send the GET again");
    /// ```
    pub fn is_untouched(&self) -> bool {
        self.untouched
    }

    /// The framing of the final response, once its head was decoded.
    ///
    /// ```
    /// use aio::http::Method;
    /// use aio::http::proto::{Framing, Limits, ResponseDecoder};
    ///
    /// let mut decoder = ResponseDecoder::new(&Method::GET, Limits::new());
    /// assert_eq!(decoder.framing(), None);
    /// decoder.decode(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")?;
    /// assert_eq!(decoder.framing(), Some(Framing::Chunked));
    /// # Ok::<(), aio::http::proto::ProtoError>(())
    /// ```
    pub fn framing(&self) -> Option<Framing> {
        self.framing
    }

    /// Whether the connection can carry another request: only after `End`,
    /// and not when the body was close-delimited, the response said
    /// `Connection: close`, it was HTTP/1.0 without `keep-alive`, or it
    /// switched protocols / opened a CONNECT tunnel.
    ///
    /// The decoder cannot see bytes that arrive after `End`: a caller that
    /// gets leftover bytes with no request outstanding (a body longer than
    /// its Content-Length, or junk) must discard the connection.
    ///
    /// ```
    /// use aio::http::Method;
    /// use aio::http::proto::{Limits, ResponseDecoder};
    ///
    /// let reusable = |response: &[u8]| {
    ///     let mut decoder = ResponseDecoder::new(&Method::GET, Limits::new());
    ///     let (n, _head) = decoder.decode(response).unwrap();
    ///     decoder.decode(&response[n..]).unwrap(); // End
    ///     decoder.is_reusable()
    /// };
    /// assert!(reusable(b"HTTP/1.1 204 No Content\r\n\r\n"));
    /// assert!(!reusable(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n"));
    /// assert!(!reusable(b"HTTP/1.0 204 No Content\r\n\r\n"));
    /// ```
    pub fn is_reusable(&self) -> bool {
        self.is_done() && self.keep_alive && self.framing != Some(Framing::CloseDelimited)
    }
}

/// A declared body length over the limit (the HTTP/2 path refuses with the
/// same words).
pub(crate) fn declared_length_error(n: u64, max: u64) -> ProtoError {
    ProtoError::over_limit(format!(
        "response body of {n} bytes (Content-Length) is larger than the limit of {max} bytes"
    ))
}

/// `total` body bytes against the limit (the HTTP/2 path counts its own).
pub(crate) fn check_body_limit(max: Option<u64>, total: u64) -> Result<(), ProtoError> {
    match max {
        Some(max) if total > max => Err(body_limit_error(max)),
        _ => Ok(()),
    }
}

fn body_limit_error(max: u64) -> ProtoError {
    ProtoError::over_limit(format!(
        "response body larger than the limit of {max} bytes"
    ))
}
