//! Body framing (RFC 9112 section 6.3) and the chunked transfer decoder.

use std::ops::Range;

use http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use http::{HeaderMap, Method, StatusCode};

use super::head::{snippet, trim_ows};
use super::ProtoError;

/// Longest chunk-size line accepted, in bytes: the size, any extensions and
/// whitespace, not counting the line ending.
///
/// ```
/// use aio::http::Method;
/// use aio::http::proto::{Limits, ResponseDecoder, MAX_CHUNK_LINE};
///
/// let mut decoder = ResponseDecoder::new(&Method::GET, Limits::new());
/// let head = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n";
/// let (n, _head) = decoder.decode(head)?;
/// assert_eq!(n, head.len());
/// // A chunk size padded with zeros, past the limit.
/// let line = "0".repeat(MAX_CHUNK_LINE + 1);
/// let err = decoder.decode(line.as_bytes()).unwrap_err();
/// assert_eq!(err.message(), "chunk size line longer than 4096 bytes");
/// # Ok::<(), aio::http::proto::ProtoError>(())
/// ```
pub const MAX_CHUNK_LINE: usize = 4096;

/// How the end of a response body is found.
///
/// ```
/// use aio::http::{HeaderMap, Method, StatusCode};
/// use aio::http::proto::Framing;
///
/// let mut headers = HeaderMap::new();
/// headers.insert("content-length", "42".parse().unwrap());
/// let framing = Framing::for_response(&Method::GET, StatusCode::OK, &headers)?;
/// let to_read = match framing {
///     Framing::Empty => "nothing",
///     Framing::Length(_) => "so many bytes",
///     Framing::Chunked => "chunks up to the last one",
///     Framing::CloseDelimited => "everything until the close",
/// };
/// assert_eq!((framing, to_read), (Framing::Length(42), "so many bytes"));
/// # Ok::<(), aio::http::proto::ProtoError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body: a response to HEAD, a 1xx, 204 or 304, or a 2xx to CONNECT.
    Empty,
    /// Exactly this many bytes (`Content-Length`).
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Everything until the server closes the connection.
    CloseDelimited,
}

impl Framing {
    /// Chooses the framing of a response to a `method` request, following
    /// RFC 9112 section 6.3.
    ///
    /// Refused (the framing would be ambiguous or unknowable):
    /// - `Content-Length` together with `Transfer-Encoding` (RFC 9112 6.3
    ///   allows rejecting it; it is the classic request-smuggling shape);
    /// - a `Transfer-Encoding` that is not exactly `chunked`: RFC 9112 would
    ///   read such a body until close, but this client never asks for other
    ///   transfer codings (it sends no `TE`), so the body would be handed on
    ///   still encoded: an error is clearer than silently wrong data;
    /// - malformed, overflowing or conflicting `Content-Length` values.
    ///
    /// For responses that cannot have a body these fields are ignored.
    ///
    /// ```
    /// use aio::http::{HeaderMap, Method, StatusCode};
    /// use aio::http::proto::Framing;
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert("content-length", "5".parse().unwrap());
    /// assert_eq!(Framing::for_response(&Method::HEAD, StatusCode::OK, &headers), Ok(Framing::Empty));
    /// assert_eq!(Framing::for_response(&Method::GET, StatusCode::OK, &headers), Ok(Framing::Length(5)));
    ///
    /// headers.insert("transfer-encoding", "chunked".parse().unwrap());
    /// let err = Framing::for_response(&Method::GET, StatusCode::OK, &headers).unwrap_err();
    /// assert!(err.message().starts_with("ambiguous framing"), "{err}");
    /// ```
    pub fn for_response(
        method: &Method,
        status: StatusCode,
        headers: &HeaderMap,
    ) -> Result<Framing, ProtoError> {
        if method == Method::HEAD
            || status.is_informational()
            || status == StatusCode::NO_CONTENT
            || status == StatusCode::NOT_MODIFIED
            || (method == Method::CONNECT && status.is_success())
        {
            return Ok(Framing::Empty);
        }
        let length = content_length(headers)?;
        if headers.contains_key(TRANSFER_ENCODING) {
            if let Some(n) = length {
                return Err(ProtoError::new(format!(
                    "ambiguous framing: both Content-Length ({n}) and Transfer-Encoding are present"
                )));
            }
            check_chunked(headers)?;
            return Ok(Framing::Chunked);
        }
        Ok(match length {
            Some(n) => Framing::Length(n),
            None => Framing::CloseDelimited,
        })
    }
}

/// The value of the `Content-Length` fields, `None` when absent.
///
/// Identical repeats (`5, 5` or two `Content-Length: 5` lines) are accepted
/// as one value (RFC 9110 8.6); different values, non-digits, signs, empty
/// values and values beyond `u64` are errors.
pub(crate) fn content_length(headers: &HeaderMap) -> Result<Option<u64>, ProtoError> {
    let mut found: Option<u64> = None;
    for value in headers.get_all(CONTENT_LENGTH) {
        let mut any = false;
        for element in value.as_bytes().split(|&b| b == b',') {
            let element = trim_ows(element);
            if element.is_empty() {
                continue;
            }
            any = true;
            let n = parse_decimal(element)?;
            match found {
                Some(prev) if prev != n => {
                    return Err(ProtoError::new(format!(
                        "two different Content-Length values ({prev}, {n})"
                    )))
                }
                _ => found = Some(n),
            }
        }
        if !any {
            return Err(ProtoError::new("empty Content-Length value"));
        }
    }
    Ok(found)
}

fn parse_decimal(digits: &[u8]) -> Result<u64, ProtoError> {
    let mut n: u64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return Err(ProtoError::new(format!(
                "invalid Content-Length value \"{}\" (must be decimal digits)",
                snippet(digits)
            )));
        }
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(b - b'0')))
            .ok_or_else(|| {
                ProtoError::new(format!(
                    "Content-Length value \"{}\" does not fit in 64 bits",
                    snippet(digits)
                ))
            })?;
    }
    Ok(n)
}

/// Accepts only `Transfer-Encoding: chunked` (case-insensitive, possibly
/// spread over list elements with empty ones ignored).
fn check_chunked(headers: &HeaderMap) -> Result<(), ProtoError> {
    let mut chunked = 0;
    for value in headers.get_all(TRANSFER_ENCODING) {
        for element in value.as_bytes().split(|&b| b == b',') {
            let element = trim_ows(element);
            if element.is_empty() {
                continue;
            }
            if !element.eq_ignore_ascii_case(b"chunked") {
                return Err(ProtoError::new(format!(
                    "unsupported Transfer-Encoding \"{}\" (only chunked is supported)",
                    snippet(element)
                )));
            }
            chunked += 1;
        }
    }
    match chunked {
        0 => Err(ProtoError::new("empty Transfer-Encoding value")),
        1 => Ok(()),
        _ => Err(ProtoError::new(
            "Transfer-Encoding applies chunked more than once",
        )),
    }
}

/// What the chunked decoder found in the input it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ChunkStep {
    /// This range of the input is chunk data.
    Data(Range<usize>),
    /// Every input byte was framing and has been consumed.
    NeedMore,
    /// The last-chunk line ended; the trailer section follows.
    LastChunk,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Start of a chunk-size line: a hex digit is required.
    SizeStart,
    /// Inside the hex digits.
    Size,
    /// Whitespace after the size: only more whitespace, `;` or the line end.
    SizeWs,
    /// Inside chunk extensions (ignored).
    Ext,
    /// After CR: LF required.
    SizeLf,
    /// Chunk data, this many bytes left.
    Data(u64),
    /// After data: CR (or a bare LF) required.
    DataCr,
    /// After data and CR: LF required.
    DataLf,
    /// The last chunk's line is done.
    Done,
}

/// Chunked transfer decoding as a byte-level state machine, with no buffer:
/// chunk data is reported as ranges of the caller's input.
///
/// Leniency, deliberately small: a bare LF is accepted wherever CRLF ends a
/// line (as httparse does in heads), and whitespace may precede `;` or the
/// line end. Extensions are skipped but may not contain control bytes.
#[derive(Debug, Clone)]
pub(crate) struct ChunkedDecoder {
    state: State,
    size: u64,
    line_len: usize,
}

impl ChunkedDecoder {
    pub(crate) fn new() -> Self {
        ChunkedDecoder {
            state: State::SizeStart,
            size: 0,
            line_len: 0,
        }
    }

    /// Decodes from `input`; returns bytes consumed and what was found.
    /// `on_size` is called with each chunk size as its line completes (the
    /// body limit is enforced there, before any of the chunk is read).
    pub(crate) fn decode(
        &mut self,
        input: &[u8],
        mut on_size: impl FnMut(u64) -> Result<(), ProtoError>,
    ) -> Result<(usize, ChunkStep), ProtoError> {
        let mut i = 0;
        while i < input.len() {
            match self.state {
                State::Data(left) => {
                    let avail = (input.len() - i) as u64;
                    let take = left.min(avail);
                    // `take <= avail`, which came from a usize.
                    let end = i + take as usize;
                    self.state = if take == left {
                        State::DataCr
                    } else {
                        State::Data(left - take)
                    };
                    return Ok((end, ChunkStep::Data(i..end)));
                }
                State::Done => return Ok((i, ChunkStep::LastChunk)),
                _ => {}
            }
            let b = input[i];
            i += 1;
            match self.state {
                State::SizeStart | State::Size | State::SizeWs | State::Ext => {
                    if b == b'\n' {
                        self.end_size_line(&mut on_size)?;
                        if self.state == State::Done {
                            return Ok((i, ChunkStep::LastChunk));
                        }
                        continue;
                    }
                    // The limit counts the line's content, not its ending.
                    if b != b'\r' {
                        self.line_len += 1;
                    }
                    if self.line_len > MAX_CHUNK_LINE {
                        return Err(ProtoError::new(format!(
                            "chunk size line longer than {MAX_CHUNK_LINE} bytes"
                        )));
                    }
                    self.size_byte(b)?;
                }
                State::SizeLf => {
                    if b != b'\n' {
                        return Err(bad_line("CR not followed by LF"));
                    }
                    self.end_size_line(&mut on_size)?;
                    if self.state == State::Done {
                        return Ok((i, ChunkStep::LastChunk));
                    }
                }
                State::DataCr => match b {
                    b'\r' => self.state = State::DataLf,
                    b'\n' => self.state = State::SizeStart,
                    _ => return Err(data_not_crlf(b)),
                },
                State::DataLf => match b {
                    b'\n' => self.state = State::SizeStart,
                    _ => return Err(data_not_crlf(b)),
                },
                // Handled before a byte is taken.
                State::Data(_) | State::Done => {}
            }
        }
        Ok((i, ChunkStep::NeedMore))
    }

    /// One byte of a chunk-size line other than LF.
    fn size_byte(&mut self, b: u8) -> Result<(), ProtoError> {
        match (self.state, b) {
            (State::SizeStart | State::Size, _) if b.is_ascii_hexdigit() => {
                let digit = u64::from(hex_value(b));
                self.size = self
                    .size
                    .checked_mul(16)
                    .and_then(|s| s.checked_add(digit))
                    .ok_or_else(|| bad_line("chunk size does not fit in 64 bits"))?;
                self.state = State::Size;
            }
            (State::SizeStart, _) => {
                return Err(bad_line(&format!(
                    "expected a hex chunk size, found \"{}\"",
                    snippet(&[b])
                )))
            }
            (State::Size | State::SizeWs, b' ' | b'\t') => self.state = State::SizeWs,
            (State::Size | State::SizeWs, b';') => self.state = State::Ext,
            (State::Size | State::SizeWs | State::Ext, b'\r') => self.state = State::SizeLf,
            (State::Size | State::SizeWs, _) => {
                return Err(bad_line(&format!(
                    "unexpected \"{}\" after the chunk size",
                    snippet(&[b])
                )))
            }
            (State::Ext, _) if b == b'\t' || !b.is_ascii_control() => {}
            (State::Ext, _) => {
                return Err(bad_line(&format!(
                    "control byte 0x{b:02x} in a chunk extension"
                )))
            }
            _ => {}
        }
        Ok(())
    }

    fn end_size_line(
        &mut self,
        on_size: &mut impl FnMut(u64) -> Result<(), ProtoError>,
    ) -> Result<(), ProtoError> {
        if self.state == State::SizeStart {
            return Err(bad_line("empty line where a chunk size was expected"));
        }
        let size = self.size;
        on_size(size)?;
        self.size = 0;
        self.line_len = 0;
        self.state = if size == 0 {
            State::Done
        } else {
            State::Data(size)
        };
        Ok(())
    }

    /// Whether a chunk is partly read (for the message of a premature close).
    pub(crate) fn in_data(&self) -> bool {
        matches!(self.state, State::Data(_) | State::DataCr | State::DataLf)
    }
}

fn hex_value(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => b.wrapping_sub(b'A').wrapping_add(10),
    }
}

fn bad_line(why: &str) -> ProtoError {
    ProtoError::new(format!("invalid chunk size line: {why}"))
}

fn data_not_crlf(b: u8) -> ProtoError {
    ProtoError::new(format!(
        "chunk data not followed by CRLF (found \"{}\")",
        snippet(&[b])
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &[u8]) -> Result<(Vec<u8>, usize), ProtoError> {
        let mut d = ChunkedDecoder::new();
        let mut body = Vec::new();
        let mut pos = 0;
        loop {
            let (n, step) = d.decode(&input[pos..], |_| Ok(()))?;
            match step {
                ChunkStep::Data(r) => body.extend_from_slice(&input[pos..][r]),
                ChunkStep::NeedMore => return Err(ProtoError::new("need more")),
                ChunkStep::LastChunk => return Ok((body, pos + n)),
            }
            pos += n;
        }
    }

    #[test]
    fn decodes_chunks_with_extensions() {
        let (body, end) =
            all(b"4;a=b\r\nWiki\r\n5 ; x\r\npedia\r\nA\r\n in chunks\r\n0\r\nX").unwrap();
        assert_eq!(body, b"Wikipedia in chunks");
        assert_eq!(end, 45);
    }

    #[test]
    fn size_overflow_is_an_error() {
        let err = all(b"FFFFFFFFFFFFFFFFF\r\n").unwrap_err();
        assert!(err.message().contains("64 bits"), "{err}");
        // 16 hex digits is u64::MAX: fits.
        let mut d = ChunkedDecoder::new();
        let (_, step) = d.decode(b"FFFFFFFFFFFFFFFF\r\n", |_| Ok(())).unwrap();
        assert_eq!(step, ChunkStep::NeedMore);
    }

    #[test]
    fn hex_values() {
        assert_eq!(hex_value(b'F'), 15);
        assert_eq!(hex_value(b'a'), 10);
        assert_eq!(hex_value(b'9'), 9);
    }
}
