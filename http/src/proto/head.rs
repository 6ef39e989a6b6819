//! Response heads: incremental accumulation of a head (or trailer section)
//! under hard limits, and parsing it with httparse into `http` types.

use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, StatusCode, Version};

use super::ProtoError;

/// Largest response head accepted, in bytes, counting the status line, every
/// header line and the empty line that ends the head. The trailer section of
/// a chunked body has the same limit.
///
/// ```
/// use aio::http::Method;
/// use aio::http::proto::{Limits, ResponseDecoder, MAX_HEAD_BYTES};
///
/// let mut decoder = ResponseDecoder::new(&Method::GET, Limits::new());
/// let huge = format!("HTTP/1.1 200 OK\r\nx-filler: {}\r\n\r\n", "a".repeat(MAX_HEAD_BYTES));
/// let err = decoder.decode(huge.as_bytes()).unwrap_err();
/// assert_eq!(err.message(), "response head larger than 65536 bytes");
/// ```
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Most header fields accepted in one response head (and in one trailer
/// section).
///
/// ```
/// use aio::http::Method;
/// use aio::http::proto::{Limits, ResponseDecoder, MAX_HEADERS};
///
/// let mut decoder = ResponseDecoder::new(&Method::GET, Limits::new());
/// let fields = "x-a: 1\r\n".repeat(MAX_HEADERS + 1);
/// let head = format!("HTTP/1.1 200 OK\r\n{fields}\r\n");
/// let err = decoder.decode(head.as_bytes()).unwrap_err();
/// assert_eq!(err.message(), "more than 100 header fields in the response head");
/// ```
pub const MAX_HEADERS: usize = 100;

/// A parsed response head: status line and header fields.
///
/// ```
/// use aio::http::{Method, StatusCode, Version};
/// use aio::http::proto::{Event, Limits, ResponseDecoder};
///
/// let mut decoder = ResponseDecoder::new(&Method::GET, Limits::new());
/// let input = b"HTTP/1.1 404 Gone Fishing\r\nretry-after: 60\r\ncontent-length: 0\r\n\r\n";
/// let (_, Event::Head(head)) = decoder.decode(input)? else { panic!("expected the head") };
/// assert_eq!(head.status, StatusCode::NOT_FOUND);
/// assert_eq!(head.version, Version::HTTP_11);
/// assert_eq!(head.reason.as_deref(), Some("Gone Fishing"));
/// assert_eq!(head.headers["retry-after"], "60");
/// # Ok::<(), aio::http::proto::ProtoError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    /// Status code, always in 100..=999.
    pub status: StatusCode,
    /// `HTTP_10` or `HTTP_11`; other versions are refused while parsing.
    /// (The client's HTTP/2 path, which does not parse text, makes heads
    /// with `HTTP_2`.)
    pub version: Version,
    /// Reason phrase, `None` when absent or empty. A phrase containing
    /// non-ASCII bytes (obs-text) is reported as `None`: it carries no meaning.
    pub reason: Option<String>,
    /// Header fields in the order received (repeated names keep every value).
    pub headers: HeaderMap,
}

impl ResponseHead {
    /// The Content-Length the response declared, if any.
    ///
    /// `None` when the field is absent or malformed; a head returned by
    /// [`super::ResponseDecoder`] for a response with a body has already been
    /// validated, so there `None` means "absent".
    ///
    /// ```
    /// use aio::http::{HeaderMap, StatusCode, Version};
    /// use aio::http::proto::ResponseHead;
    ///
    /// let mut head = ResponseHead {
    ///     status: StatusCode::OK,
    ///     version: Version::HTTP_11,
    ///     reason: None,
    ///     headers: HeaderMap::new(),
    /// };
    /// assert_eq!(head.content_length(), None);
    /// head.headers.insert("content-length", "1024".parse().unwrap());
    /// assert_eq!(head.content_length(), Some(1024));
    /// ```
    pub fn content_length(&self) -> Option<u64> {
        super::body::content_length(&self.headers).ok().flatten()
    }

    /// Whether the response lets the connection carry another request:
    /// HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with
    /// `Connection: keep-alive` (and no `close`).
    ///
    /// ```
    /// use aio::http::{HeaderMap, StatusCode, Version};
    /// use aio::http::proto::ResponseHead;
    ///
    /// let mut head = ResponseHead {
    ///     status: StatusCode::OK,
    ///     version: Version::HTTP_10,
    ///     reason: None,
    ///     headers: HeaderMap::new(),
    /// };
    /// assert!(!head.keep_alive(), "HTTP/1.0 closes unless asked otherwise");
    /// head.headers.insert("connection", "Keep-Alive".parse().unwrap());
    /// assert!(head.keep_alive());
    /// ```
    pub fn keep_alive(&self) -> bool {
        let close = has_connection_token(&self.headers, "close");
        match self.version {
            Version::HTTP_11 => !close,
            _ => !close && has_connection_token(&self.headers, "keep-alive"),
        }
    }
}

/// Whether any `Connection` field lists `token` (case-insensitive).
fn has_connection_token(headers: &HeaderMap, token: &str) -> bool {
    headers
        .get_all(http::header::CONNECTION)
        .iter()
        .flat_map(|v| v.as_bytes().split(|&b| b == b','))
        .any(|t| trim_ows(t).eq_ignore_ascii_case(token.as_bytes()))
}

/// Strips optional whitespace (SP / HTAB) from both ends.
pub(crate) fn trim_ows(mut b: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = b {
        b = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = b {
        b = rest;
    }
    b
}

/// A short, escaped rendering of peer bytes for error messages.
pub(crate) fn snippet(bytes: &[u8]) -> String {
    const MAX: usize = 40;
    let shown = &bytes[..bytes.len().min(MAX)];
    let mut s: String = shown.escape_ascii().to_string();
    if bytes.len() > MAX {
        s.push_str("...");
    }
    s
}

/// Which kind of header block an [`Accumulator`] collects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    /// Status line + header fields + empty line.
    Response,
    /// Trailer fields + empty line (after the last chunk).
    Trailers,
}

impl Section {
    fn name(self) -> &'static str {
        match self {
            Section::Response => "response head",
            Section::Trailers => "trailer section",
        }
    }

    fn fields(self) -> &'static str {
        match self {
            Section::Response => "header fields",
            Section::Trailers => "trailer fields",
        }
    }
}

/// Result of feeding bytes to an [`Accumulator`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Push {
    /// All input was taken; the block is not complete yet.
    Partial,
    /// The block ends after this many bytes of the input just given.
    Complete(usize),
}

/// Collects one header block that may arrive in pieces, refusing it as soon
/// as it breaks a limit.
///
/// The end of the block is found by a byte scan that keeps only the state of
/// the current line, so feeding a head one byte at a time stays linear; the
/// block is handed to httparse once, when complete. Bytes are copied only
/// while the block is incomplete, and never more than `MAX_HEAD_BYTES + 1`.
#[derive(Debug)]
pub(crate) struct Accumulator {
    section: Section,
    buf: Vec<u8>,
    /// Bytes in the current (unfinished) line, without its line ending.
    line_len: usize,
    /// Whether the current line starts with CR (an empty line being `CR LF`).
    line_starts_cr: bool,
    /// Completed lines so far.
    lines: usize,
    /// Whether the status line has been checked on its own (early refusal of
    /// garbage without waiting for the end of the head).
    first_line_checked: bool,
}

impl Accumulator {
    pub(crate) fn new(section: Section) -> Self {
        Accumulator {
            section,
            buf: Vec::new(),
            line_len: 0,
            line_starts_cr: false,
            lines: 0,
            first_line_checked: false,
        }
    }

    /// Bytes held from earlier calls (an incomplete block).
    pub(crate) fn buffered(&self) -> &[u8] {
        &self.buf
    }

    /// Feeds `input`. On `Complete(n)` the block is `buffered()` followed by
    /// `input[..n]`, see [`Accumulator::block`].
    ///
    /// Errors depend only on the bytes seen, never on how they were split:
    /// the scan stops at the first of (end of block, too many lines, too
    /// many bytes) and the same checks then run in the same order.
    pub(crate) fn push(&mut self, input: &[u8]) -> Result<Push, ProtoError> {
        enum Stop {
            End(usize),
            TooManyLines(usize),
        }
        let max_lines = match self.section {
            // The status line is not a field.
            Section::Response => MAX_HEADERS + 1,
            Section::Trailers => MAX_HEADERS,
        };
        let room = MAX_HEAD_BYTES + 1 - self.buf.len();
        let scan = &input[..input.len().min(room)];
        let mut stop = None;
        for (i, &b) in scan.iter().enumerate() {
            if b == b'\n' {
                if self.line_len == 0 || (self.line_len == 1 && self.line_starts_cr) {
                    stop = Some(Stop::End(i + 1));
                    break;
                }
                self.lines += 1;
                self.line_len = 0;
                if self.lines > max_lines {
                    stop = Some(Stop::TooManyLines(i + 1));
                    break;
                }
            } else {
                if self.line_len == 0 {
                    self.line_starts_cr = b == b'\r';
                }
                self.line_len += 1;
            }
        }
        let seen = match stop {
            Some(Stop::End(n)) | Some(Stop::TooManyLines(n)) => n,
            None => scan.len(),
        };

        // Common case: a whole head in one read; it is parsed in place.
        let in_place = self.buf.is_empty() && matches!(stop, Some(Stop::End(_)));
        if !in_place {
            self.buf.extend_from_slice(&input[..seen]);
        }
        let seen_bytes: &[u8] = if in_place { &input[..seen] } else { &self.buf };
        if self.section == Section::Response {
            check_status_prefix(seen_bytes)?;
            if !self.first_line_checked && self.lines > 0 {
                self.first_line_checked = true;
                check_status_line(seen_bytes)?;
            }
        }
        let too_large = seen_bytes.len() > MAX_HEAD_BYTES;
        match stop {
            Some(Stop::End(n)) if !too_large => Ok(Push::Complete(n)),
            Some(Stop::TooManyLines(_)) => Err(ProtoError::new(format!(
                "more than {MAX_HEADERS} {} in the {}",
                self.section.fields(),
                self.section.name()
            ))),
            _ if too_large => Err(self.too_large()),
            _ => Ok(Push::Partial),
        }
    }

    /// The complete block after `push` returned `Complete(n)` for `input`.
    pub(crate) fn block<'a>(&'a self, input: &'a [u8], n: usize) -> &'a [u8] {
        if self.buf.is_empty() {
            &input[..n]
        } else {
            // `push` already appended `input[..n]`.
            &self.buf
        }
    }

    fn too_large(&self) -> ProtoError {
        ProtoError::new(format!(
            "{} larger than {MAX_HEAD_BYTES} bytes",
            self.section.name()
        ))
    }
}

/// Refuses, from its first bytes, anything that is not an HTTP/1.x status
/// line (an HTTP/0.9 reply is a bare body; a leading empty line is not
/// tolerated in a response).
fn check_status_prefix(bytes: &[u8]) -> Result<(), ProtoError> {
    const PREFIX: &[u8] = b"HTTP/";
    match bytes.first() {
        Some(b'\r' | b'\n') => return Err(ProtoError::new("empty status line")),
        None => return Ok(()),
        Some(_) => {}
    }
    // Report only the bytes up to the first mismatch, so the message does
    // not depend on how much of the reply had arrived.
    if let Some(bad) = bytes.iter().zip(PREFIX).position(|(a, b)| a != b) {
        return Err(ProtoError::new(format!(
            "invalid status line starting with \"{}\" instead of \"HTTP/\": not an HTTP/1.x response (HTTP/0.9 replies are not supported)",
            snippet(&bytes[..=bad])
        )));
    }
    Ok(())
}

/// Validates the status line alone, `bytes` holding at least that line.
fn check_status_line(bytes: &[u8]) -> Result<(), ProtoError> {
    let line_end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| i + 1);
    let mut headers = [httparse::EMPTY_HEADER; 0];
    let mut resp = httparse::Response::new(&mut headers);
    match resp.parse(&bytes[..line_end]) {
        // Headers were not given, so a valid status line is "partial".
        Ok(_) => {}
        Err(e) => return Err(map_httparse_error(e, bytes, Section::Response)),
    }
    if let Some(code) = resp.code {
        status_from_code(code)?;
    }
    Ok(())
}

fn first_line(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(bytes.len());
    &bytes[..end]
}

fn status_from_code(code: u16) -> Result<StatusCode, ProtoError> {
    StatusCode::from_u16(code)
        .map_err(|_| ProtoError::new(format!("invalid status code {code:03} (must be 100..=999)")))
}

fn map_httparse_error(e: httparse::Error, block: &[u8], section: Section) -> ProtoError {
    use httparse::Error as E;
    let msg = match e {
        E::Version => format!(
            "invalid status line \"{}\": expected HTTP/1.0 or HTTP/1.1",
            snippet(first_line(block))
        ),
        E::Status => format!(
            "invalid status line \"{}\": expected a three-digit status code",
            snippet(first_line(block))
        ),
        E::HeaderName if has_folded_line(block, section) => format!(
            "obsolete line folding in the {} (a field line starts with whitespace)",
            section.name()
        ),
        E::HeaderName => format!(
            "invalid byte in a header field name in the {}",
            section.name()
        ),
        E::HeaderValue => format!(
            "invalid byte in a header field value in the {} (control character, NUL or bare CR)",
            section.name()
        ),
        E::NewLine => format!("invalid line ending in the {} (bare CR)", section.name()),
        E::TooManyHeaders => format!(
            "more than {MAX_HEADERS} {} in the {}",
            section.fields(),
            section.name()
        ),
        E::Token => format!("invalid token in the {}", section.name()),
    };
    ProtoError::new(msg)
}

/// Whether a field line (not the status line) starts with SP or HTAB, which
/// is obs-fold: httparse refuses it (as an invalid name byte) by default.
fn has_folded_line(block: &[u8], section: Section) -> bool {
    let skip = match section {
        Section::Response => 1,
        Section::Trailers => 0,
    };
    block
        .split(|&b| b == b'\n')
        .skip(skip)
        .any(|line| matches!(line.first(), Some(b' ' | b'\t')))
}

/// Parses a complete response head (as delimited by [`Accumulator`]).
pub(crate) fn parse_head(block: &[u8]) -> Result<ResponseHead, ProtoError> {
    check_status_prefix(block)?;
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut headers);
    let parsed = resp.parse(block);
    // A bad status code is reported before any later error, as the early
    // status-line check does when the head arrives in pieces.
    if let Some(code) = resp.code {
        status_from_code(code)?;
    }
    match parsed {
        Ok(httparse::Status::Complete(_)) => {}
        // The accumulator only hands over blocks ending in an empty line.
        Ok(httparse::Status::Partial) => {
            return Err(ProtoError::new(format!(
                "malformed response head \"{}\"",
                snippet(block)
            )))
        }
        Err(e) => return Err(map_httparse_error(e, block, Section::Response)),
    }
    let version = match resp.version {
        Some(0) => Version::HTTP_10,
        _ => Version::HTTP_11,
    };
    let status = status_from_code(resp.code.unwrap_or(0))?;
    let reason = resp.reason.filter(|r| !r.is_empty()).map(|r| r.to_string());
    let headers = to_header_map(block, resp.headers, Section::Response)?;
    Ok(ResponseHead {
        status,
        version,
        reason,
        headers,
    })
}

/// Parses a complete trailer section (as delimited by [`Accumulator`]).
pub(crate) fn parse_trailers(block: &[u8]) -> Result<HeaderMap, ProtoError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    match httparse::parse_headers(block, &mut headers) {
        Ok(httparse::Status::Complete((_, fields))) => {
            to_header_map(block, fields, Section::Trailers)
        }
        Ok(httparse::Status::Partial) => Err(ProtoError::new(format!(
            "malformed trailer section \"{}\"",
            snippet(block)
        ))),
        Err(e) => Err(map_httparse_error(e, block, Section::Trailers)),
    }
}

/// Builds the header map of `fields`, which httparse found in `block`.
///
/// The values share one copy of the block instead of one allocation each:
/// real servers send a dozen or more fields per response.
fn to_header_map(
    block: &[u8],
    fields: &[httparse::Header<'_>],
    section: Section,
) -> Result<HeaderMap, ProtoError> {
    let mut map = HeaderMap::with_capacity(fields.len());
    let shared = bytes::Bytes::copy_from_slice(block);
    let block_start = block.as_ptr() as usize;
    for f in fields {
        let name = HeaderName::from_bytes(f.name.as_bytes()).map_err(|_| {
            ProtoError::new(format!(
                "invalid header field name \"{}\" in the {}",
                snippet(f.name.as_bytes()),
                section.name()
            ))
        })?;
        // httparse hands out sub-slices of `block`: find this one in the copy.
        let offset = (f.value.as_ptr() as usize).wrapping_sub(block_start);
        let end = offset
            .checked_add(f.value.len())
            .filter(|&end| end <= shared.len());
        let value = match end {
            Some(end) => HeaderValue::from_maybe_shared(shared.slice(offset..end)),
            // Not inside the block (never expected): copy it on its own.
            None => HeaderValue::from_bytes(f.value),
        };
        let value = value.map_err(|_| {
            ProtoError::new(format!(
                "invalid value for header field \"{name}\" in the {}",
                section.name()
            ))
        })?;
        map.append(name, value);
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push_all(acc: &mut Accumulator, input: &[u8]) -> Result<Push, ProtoError> {
        acc.push(input)
    }

    #[test]
    fn accumulator_finds_end_across_pieces() {
        let head = b"HTTP/1.1 200 OK\r\nA: b\r\n\r\nBODY";
        let mut acc = Accumulator::new(Section::Response);
        assert_eq!(push_all(&mut acc, &head[..20]), Ok(Push::Partial));
        assert_eq!(push_all(&mut acc, &head[20..]), Ok(Push::Complete(5)));
        assert_eq!(acc.block(&head[20..], 5), &head[..25]);
    }

    #[test]
    fn accumulator_trailers_may_be_empty() {
        let mut acc = Accumulator::new(Section::Trailers);
        assert_eq!(acc.push(b"\r\nrest"), Ok(Push::Complete(2)));
        assert!(parse_trailers(b"\r\n").unwrap().is_empty());
    }

    #[test]
    fn trim_ows_strips_both_ends() {
        assert_eq!(trim_ows(b" \t5 \t"), b"5");
        assert_eq!(trim_ows(b"   "), b"");
    }

    #[test]
    fn httparse_refuses_obs_fold_by_default() {
        let err = parse_head(b"HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n").unwrap_err();
        assert!(err.message().contains("obsolete line folding"), "{err}");
    }

    #[test]
    fn keep_alive_rules() {
        let h = parse_head(b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n\r\n").unwrap();
        assert!(h.keep_alive());
        let h = parse_head(b"HTTP/1.1 200 OK\r\nConnection: foo, CLOSE\r\n\r\n").unwrap();
        assert!(!h.keep_alive());
        let h = parse_head(b"HTTP/1.0 200 OK\r\n\r\n").unwrap();
        assert!(!h.keep_alive());
    }
}
