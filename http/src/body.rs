//! Reading a response body off its connection, and handing the connection
//! back to the pool once the body has been read to its end.

use std::io;
use std::sync::Arc;

use crate::conn::Conn;
use crate::deadline::Deadline;
use crate::error::{Error, Kind, Phase};
use crate::proto::{Event, ProtoError, ResponseDecoder};
use crate::shared::Shared;

/// A response body still on the wire (or already finished).
pub(crate) struct BodyReader {
    /// `None` once the body ended (the connection went back to the pool or
    /// was closed) or failed.
    conn: Option<Conn>,
    decoder: ResponseDecoder,
    shared: Arc<Shared>,
    deadline: Deadline,
    /// A failure is final: later reads repeat it instead of reading on.
    failed: Option<(Kind, String)>,
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
        decoder: ResponseDecoder,
        shared: Arc<Shared>,
        deadline: Deadline,
    ) -> BodyReader {
        let mut reader = BodyReader {
            conn: Some(conn),
            decoder,
            shared,
            deadline,
            failed: None,
        };
        // No input: the decoder only says what it already knows.
        match reader.decoder.decode(&[]) {
            Ok((_, Event::End)) => reader.finish(),
            Ok(_) => {}
            Err(e) => {
                reader.conn = None;
                let e = body_error(e);
                reader.failed = Some((e.kind(), detail_of(&e)));
            }
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
                self.conn = None;
                self.failed = Some((e.kind(), detail_of(&e)));
                Err(e)
            }
        }
    }

    async fn step(&mut self, sink: impl FnOnce(&[u8])) -> Result<bool, Error> {
        loop {
            let Some(conn) = self.conn.as_mut() else {
                return Ok(false);
            };
            let input = conn.buffered();
            let (consumed, event) = self.decoder.decode(input).map_err(body_error)?;
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
                            self.decoder.eof().map_err(|e| {
                                Error::with_source(Kind::Body, "response body cut short", e)
                            })?;
                        }
                        Ok(_) => {}
                        Err(e) => return Err(self.read_error(e)),
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

    /// An I/O error mid-body: say how far the body got when the decoder knows.
    fn read_error(&mut self, e: io::Error) -> Error {
        match self.decoder.eof() {
            Err(progress) => Error::with_source(
                Kind::Body,
                &format!("response body cut short: {progress}"),
                e,
            ),
            Ok(_) => Error::with_source(Kind::Body, "error reading the response body", e),
        }
    }

    /// Whether the body is still to be read: neither ended nor failed.
    pub(crate) fn is_pending(&self) -> bool {
        self.conn.is_some() && self.failed.is_none()
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
        self.conn = None;
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
                        self.conn = None;
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
        if let Some(conn) = self.conn.take() {
            self.shared.pool.release(conn, self.decoder.is_reusable());
        }
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
