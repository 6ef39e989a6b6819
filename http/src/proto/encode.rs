//! Request encoding: the head, and the framing of a chunked body.

use http::header::{CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use http::{HeaderMap, Method};

/// Appends an HTTP/1.1 request head to `out`:
/// `METHOD target HTTP/1.1`, `Host`, the `headers`, a `Content-Length` when
/// `body_len` is `Some`, and the empty line.
///
/// - `target` is the origin-form (`/path?query`); empty means `/`. Bytes that
///   cannot appear in a request target (controls, space, non-ASCII) are
///   percent-encoded, so the request line can never be split or extended.
/// - `host_header` is written as the only `Host`: a `Host` in `headers` is
///   skipped, since two Host fields make servers answer 400.
/// - With `body_len: Some(n)` exactly one `Content-Length: n` is written and
///   any `Content-Length` in `headers` is skipped: a stale value would
///   desynchronise the connection. With `None`, `headers` are written as
///   given (the caller owns the framing, e.g. chunked uploads).
/// - Nothing is rejected (the `http` types are already validated), but CR, LF
///   and NUL are never copied from a value (`HeaderValue` has unchecked
///   constructors, and `host_header` is a plain string): each becomes a space.
///
/// ```
/// use aio::http::{HeaderMap, Method};
/// use aio::http::proto::encode_request_head;
///
/// let mut headers = HeaderMap::new();
/// headers.insert("accept", "application/json".parse().unwrap());
/// headers.insert("content-length", "999".parse().unwrap()); // stale: replaced
/// let mut out = Vec::new();
/// encode_request_head(&Method::POST, "/items/a b", "api.example.com", &headers, Some(2), &mut out);
/// assert_eq!(
///     String::from_utf8(out).unwrap(),
///     "POST /items/a%20b HTTP/1.1\r\n\
///      Host: api.example.com\r\n\
///      accept: application/json\r\n\
///      content-length: 2\r\n\r\n"
/// );
/// ```
pub fn encode_request_head(
    method: &Method,
    target: &str,
    host_header: &str,
    headers: &HeaderMap,
    body_len: Option<u64>,
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(method.as_str().as_bytes());
    out.push(b' ');
    if target.is_empty() {
        out.push(b'/');
    }
    for &b in target.as_bytes() {
        if b > b' ' && b < 0x7f {
            out.push(b);
        } else {
            out.extend_from_slice(&[b'%', hex_digit(b >> 4), hex_digit(b & 0xf)]);
        }
    }
    out.extend_from_slice(b" HTTP/1.1\r\nHost: ");
    push_value(out, host_header.as_bytes());
    out.extend_from_slice(b"\r\n");
    let skip_content_length = body_len.is_some() || headers.contains_key(TRANSFER_ENCODING);
    for (name, value) in headers {
        let framing = (name == CONTENT_LENGTH && skip_content_length)
            || (name == TRANSFER_ENCODING && body_len.is_some());
        if name == HOST || framing {
            continue;
        }
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        push_value(out, value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if let Some(n) = body_len {
        out.extend_from_slice(b"content-length: ");
        out.extend_from_slice(n.to_string().as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

/// The end of a chunked body: the zero-length last chunk and the empty
/// trailer section.
pub const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// Appends one chunk of a chunked body to `out`: its size in hex, CRLF,
/// `data`, CRLF. Empty `data` appends nothing, since a zero-length chunk
/// would end the body (that is [`LAST_CHUNK`]'s job).
///
/// ```
/// let mut out = Vec::new();
/// aio_http::proto::encode_chunk(b"hello world!", &mut out);
/// out.extend_from_slice(aio_http::proto::LAST_CHUNK);
/// assert_eq!(out, b"C\r\nhello world!\r\n0\r\n\r\n");
/// ```
pub fn encode_chunk(data: &[u8], out: &mut Vec<u8>) {
    if data.is_empty() {
        return;
    }
    let len = data.len();
    let digits = (usize::BITS - len.leading_zeros()).div_ceil(4);
    for shift in (0..digits).rev() {
        // `as u8` keeps the low byte; hex_digit takes its low nibble.
        out.push(hex_digit((len >> (shift * 4)) as u8));
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

fn push_value(out: &mut Vec<u8>, value: &[u8]) {
    out.extend(value.iter().map(|&b| match b {
        b'\r' | b'\n' | 0 => b' ',
        _ => b,
    }));
}

fn hex_digit(n: u8) -> u8 {
    b"0123456789ABCDEF"[usize::from(n & 0xf)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::{HeaderName, HeaderValue};

    fn encode(target: &str, host: &str, headers: &HeaderMap, body: Option<u64>) -> String {
        let mut out = Vec::new();
        encode_request_head(&Method::GET, target, host, headers, body, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn simple_get() {
        let mut h = HeaderMap::new();
        h.insert("accept", HeaderValue::from_static("*/*"));
        assert_eq!(
            encode("/a?b=c", "example.com", &h, None),
            "GET /a?b=c HTTP/1.1\r\nHost: example.com\r\naccept: */*\r\n\r\n"
        );
    }

    #[test]
    fn content_length_written_once_and_host_not_duplicated() {
        let mut h = HeaderMap::new();
        h.insert(CONTENT_LENGTH, HeaderValue::from_static("99"));
        h.insert(HOST, HeaderValue::from_static("other"));
        h.append(
            HeaderName::from_static("x-a"),
            HeaderValue::from_static("1"),
        );
        h.append(
            HeaderName::from_static("x-a"),
            HeaderValue::from_static("2"),
        );
        let s = encode("", "h:8080", &h, Some(5));
        assert_eq!(
            s,
            "GET / HTTP/1.1\r\nHost: h:8080\r\nx-a: 1\r\nx-a: 2\r\ncontent-length: 5\r\n\r\n"
        );
        // Without a body length the caller's Content-Length stays.
        let s = encode("/", "h", &h, None);
        assert!(s.contains("content-length: 99\r\n"), "{s}");
        // Never beside a Transfer-Encoding, whoever frames the body.
        h.insert(TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
        let s = encode("/", "h", &h, None);
        assert!(
            s.contains("transfer-encoding: chunked\r\n") && !s.contains("content-length"),
            "{s}"
        );
        let s = encode("/", "h", &h, Some(5));
        assert!(
            s.ends_with("x-a: 2\r\ncontent-length: 5\r\n\r\n") && !s.contains("chunked"),
            "{s}"
        );
    }

    #[test]
    fn chunks_carry_their_size_in_hex() {
        let chunk = |data: &[u8]| {
            let mut out = Vec::new();
            encode_chunk(data, &mut out);
            out
        };
        assert_eq!(chunk(b"a"), b"1\r\na\r\n");
        assert_eq!(chunk(&[b'x'; 15])[..3], *b"F\r\n");
        assert_eq!(chunk(&[b'x'; 16])[..4], *b"10\r\n");
        assert_eq!(chunk(&[b'x'; 0x1_0000])[..7], *b"10000\r\n");
        assert_eq!(chunk(&[b'x'; 0xABC])[..5], *b"ABC\r\n");
        assert!(chunk(b"").is_empty());
    }

    #[test]
    fn never_writes_cr_lf_from_inputs() {
        let h = HeaderMap::new();
        let s = encode("/a b\r\nX: y\u{e9}", "evil\r\nX-Injected: 1\0", &h, None);
        assert_eq!(s.matches("\r\n").count(), 3, "{s:?}");
        assert!(
            s.starts_with("GET /a%20b%0D%0AX:%20y%C3%A9 HTTP/1.1\r\n"),
            "{s:?}"
        );
        assert!(s.contains("Host: evil  X-Injected: 1 \r\n"), "{s:?}");
        let mut out = Vec::new();
        push_value(&mut out, b"a\r\n\0b");
        assert_eq!(out, b"a   b");
    }
}
