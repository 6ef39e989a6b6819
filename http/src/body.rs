//! Reading a response body off its connection, and handing the connection
//! back to the pool once the body has been read to its end.

use std::io;
use std::sync::Arc;

use crate::conn::Conn;
use crate::deadline::Deadline;
use crate::error::{Error, Kind, Phase};
#[cfg(feature = "http2")]
use crate::http2;
use crate::proto::{Event, ProtoError, ResponseDecoder};
use crate::shared::Shared;

/// A response body still on the wire (or already finished).
pub(crate) struct BodyReader {
    /// `None` once the body ended (an HTTP/1.1 connection went back to the
    /// pool or was closed) or failed.
    source: Option<Source>,
    shared: Arc<Shared>,
    deadline: Deadline,
    /// A failure is final: later reads repeat it instead of reading on.
    failed: Option<(Kind, String)>,
}

/// Where the body comes from.
// The HTTP/1.1 variant is the large one and the common one: boxing it would
// cost an allocation per request to save bytes only an h2 body wastes.
#[allow(clippy::large_enum_variant)]
enum Source {
    /// Its own HTTP/1.1 connection, framed by the decoder.
    Http1 {
        conn: Conn,
        decoder: ResponseDecoder,
    },
    /// A stream of a shared HTTP/2 connection.
    #[cfg(feature = "http2")]
    Http2 {
        body: http2::ResponseBody,
        /// Bytes received so far, held to `max_body_size`.
        received: u64,
    },
}

impl BodyReader {
    /// Takes over `conn` right after the response head was decoded. An empty
    /// body (HEAD, 204, 304, `Content-Length: 0`) ends at once, so its
    /// connection is back in the pool before the caller sees the response;
    /// a body the decoder refuses from the head alone (a `Content-Length`
    /// over `max_body_size`) fails at once, closing the connection before a
    /// byte of it is read.
    pub(crate) fn new(
        conn: Conn,
        mut decoder: ResponseDecoder,
        shared: Arc<Shared>,
        deadline: Deadline,
    ) -> BodyReader {
        // No input: the decoder only says what it already knows.
        let known = decoder.decode(&[]);
        let mut reader = BodyReader {
            source: Some(Source::Http1 { conn, decoder }),
            shared,
            deadline,
            failed: None,
        };
        match known {
            Ok((_, Event::End)) => reader.finish(),
            Ok(_) => {}
            Err(e) => reader.give_up(&body_error(e)),
        }
        reader
    }

    /// Takes over an HTTP/2 response's stream. As for HTTP/1.1, a declared
    /// length over `max_body_size` fails at once (the stream is reset).
    #[cfg(feature = "http2")]
    pub(crate) fn http2(
        body: http2::ResponseBody,
        content_length: Option<u64>,
        shared: Arc<Shared>,
        deadline: Deadline,
    ) -> BodyReader {
        let ended = body.is_end();
        let mut reader = BodyReader {
            source: Some(Source::Http2 { body, received: 0 }),
            shared,
            deadline,
            failed: None,
        };
        match (content_length, reader.max_body()) {
            // No body follows (HEAD, 204, 304, or it all came at once).
            _ if ended => reader.source = None,
            (Some(n), Some(max)) if n > max => {
                reader.give_up(&body_error(crate::proto::declared_length_error(n, max)))
            }
            _ => {}
        }
        reader
    }

    /// Passes the next piece of body to `sink`; `Ok(false)` at the end.
    pub(crate) async fn next(&mut self, sink: impl FnOnce(&[u8])) -> Result<bool, Error> {
        if let Some((kind, detail)) = &self.failed {
            return Err(Error::new(*kind, detail.clone()));
        }
        match self.step(sink).await {
            Ok(more) => Ok(more),
            Err(e) => {
                // The connection is in an unknown state: close it.
                self.give_up(&e);
                Err(e)
            }
        }
    }

    async fn step(&mut self, sink: impl FnOnce(&[u8])) -> Result<bool, Error> {
        match &mut self.source {
            None => Ok(false),
            Some(Source::Http1 { .. }) => self.step_http1(sink).await,
            #[cfg(feature = "http2")]
            Some(Source::Http2 { .. }) => self.step_http2(sink).await,
        }
    }

    async fn step_http1(&mut self, sink: impl FnOnce(&[u8])) -> Result<bool, Error> {
        loop {
            let Some(Source::Http1 { conn, decoder }) = self.source.as_mut() else {
                return Ok(false);
            };
            let input = conn.buffered();
            let (consumed, event) = decoder.decode(input).map_err(body_error)?;
            match event {
                Event::Data(range) => {
                    sink(&input[range]);
                    conn.consume(consumed);
                    return Ok(true);
                }
                Event::NeedMore => {
                    conn.consume(consumed);
                    let n = self
                        .deadline
                        .wait(Phase::ResponseBody, None, conn.fill())
                        .await?;
                    match n {
                        Ok(0) => {
                            decoder.eof().map_err(|e| {
                                Error::with_source(Kind::Body, "response body cut short", e)
                            })?;
                        }
                        Ok(_) => {}
                        Err(e) => return Err(read_error(decoder, e)),
                    }
                }
                Event::Trailers(_) => conn.consume(consumed),
                Event::End => {
                    conn.consume(consumed);
                    self.finish();
                    return Ok(false);
                }
                Event::Head(_) | Event::Informational(_) => {
                    return Err(Error::new(
                        Kind::Body,
                        "unexpected response head inside a body",
                    ))
                }
            }
        }
    }

    #[cfg(feature = "http2")]
    async fn step_http2(&mut self, sink: impl FnOnce(&[u8])) -> Result<bool, Error> {
        let max = self.max_body();
        let Some(Source::Http2 { body, received }) = self.source.as_mut() else {
            return Ok(false);
        };
        let piece = self
            .deadline
            .wait(
                Phase::ResponseBody,
                None,
                std::future::poll_fn(|cx| body.poll_piece(cx)),
            )
            .await?;
        match piece {
            None => {
                self.source = None;
                Ok(false)
            }
            Some(Err(e)) => Err(e),
            Some(Ok(piece)) => {
                *received += piece.len() as u64;
                crate::proto::check_body_limit(max, *received).map_err(body_error)?;
                sink(&piece);
                Ok(true)
            }
        }
    }

    /// Whether the body is still to be read: neither ended nor failed.
    pub(crate) fn is_pending(&self) -> bool {
        self.source.is_some() && self.failed.is_none()
    }

    /// The client's `max_body_size`.
    pub(crate) fn max_body(&self) -> Option<u64> {
        self.shared.limits.max_body_bytes
    }

    /// Largest body the client reads whole into memory.
    pub(crate) fn max_buffered(&self) -> u64 {
        self.shared.max_buffered_body
    }

    /// Stops reading for good with `e`: the connection is closed, and later
    /// reads repeat the error.
    pub(crate) fn give_up(&mut self, e: &Error) {
        self.source = None;
        self.failed = Some((e.kind(), detail_of(e)));
    }

    /// Reads and drops the rest of the body if it is at most `limit` bytes,
    /// so the connection can carry the next request; otherwise closes it.
    pub(crate) async fn discard(&mut self, limit: u64) {
        let mut seen = 0u64;
        loop {
            let mut len = 0;
            match self.next(|data| len = data.len()).await {
                Ok(true) => {
                    seen += len as u64;
                    if seen > limit {
                        self.source = None;
                        return;
                    }
                }
                Ok(false) | Err(_) => return,
            }
        }
    }

    /// Gives the deadline back (a redirect hop goes on with it); an
    /// unfinished body's connection is closed.
    pub(crate) fn into_deadline(self) -> Deadline {
        self.deadline
    }

    /// The body ended: the connection goes back if the rules allow.
    fn finish(&mut self) {
        if let Some(Source::Http1 { conn, decoder }) = self.source.take() {
            self.shared.pool.release(conn, decoder.is_reusable());
        }
    }
}

/// An I/O error mid-body: say how far the body got when the decoder knows.
fn read_error(decoder: &mut ResponseDecoder, e: io::Error) -> Error {
    match decoder.eof() {
        Err(progress) => Error::with_source(
            Kind::Body,
            &format!("response body cut short: {progress}"),
            e,
        ),
        Ok(_) => Error::with_source(Kind::Body, "error reading the response body", e),
    }
}

/// A body the decoder refused. Its limit is the one body-size check: the
/// decoder enforces `max_body_size` (as [`Limits`](crate::proto::Limits)),
/// and the error names the setting.
fn body_error(e: ProtoError) -> Error {
    if e.is_over_limit() {
        Error::new(Kind::Body, format!("{e} (max_body_size)"))
    } else {
        Error::with_source(Kind::Body, "invalid response body", e)
    }
}

/// The whole text of an error, without any request prefix: a repeated
/// failure carries it as its own words.
fn detail_of(e: &Error) -> String {
    e.chain_text()
}
