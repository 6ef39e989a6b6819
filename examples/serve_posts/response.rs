//! Responses as the bytes that go on the wire: the common ones built once at
//! start-up ([`Prepared`]), the rest per request ([`Answer::Fresh`]).

use std::borrow::Cow;

/// One response serialised in full twice, for a connection that stays open
/// and for one that closes (they differ by a `Connection: close` header), so
/// serving it is one write of bytes that already exist.
pub struct Prepared {
    open: Vec<u8>,
    open_head: usize,
    close: Vec<u8>,
    close_head: usize,
}

impl Prepared {
    /// A `200 OK` (or other `status`) JSON response with this body.
    pub fn new(status: &str, body: &[u8]) -> Prepared {
        let (open, open_head) = serialise(status, "", body, true);
        let (close, close_head) = serialise(status, "", body, false);
        Prepared {
            open,
            open_head,
            close,
            close_head,
        }
    }
}

/// What the server says to one request.
pub enum Answer<'a> {
    /// Built at start-up.
    Prepared(&'a Prepared),
    /// Built for this request.
    Fresh {
        /// Status line after the version, e.g. `201 Created`.
        status: &'static str,
        /// Whole header lines (each ending in CRLF) beyond the usual ones.
        headers: String,
        body: Vec<u8>,
    },
}

impl Answer<'_> {
    /// A JSON response built now.
    pub fn json(status: &'static str, body: Vec<u8>) -> Answer<'static> {
        Answer::Fresh {
            status,
            headers: String::new(),
            body,
        }
    }

    /// A refusal that says what was wrong: `{"error": "..."}`.
    pub fn error(status: &'static str, message: &str) -> Answer<'static> {
        Answer::json(status, pretty(&serde_json::json!({ "error": message })))
    }

    /// The bytes to write: with `Connection: close` unless `keep_alive`, and
    /// without the body for `head_only` (a HEAD request: the length GET's
    /// body would have, no body).
    pub fn bytes(&self, keep_alive: bool, head_only: bool) -> Cow<'_, [u8]> {
        let (bytes, head_len) = match self {
            Answer::Prepared(p) if keep_alive => (Cow::Borrowed(&p.open[..]), p.open_head),
            Answer::Prepared(p) => (Cow::Borrowed(&p.close[..]), p.close_head),
            Answer::Fresh {
                status,
                headers,
                body,
            } => {
                let (bytes, head_len) = serialise(status, headers, body, keep_alive);
                (Cow::Owned(bytes), head_len)
            }
        };
        match (head_only, bytes) {
            (false, bytes) => bytes,
            (true, Cow::Borrowed(bytes)) => Cow::Borrowed(&bytes[..head_len]),
            (true, Cow::Owned(mut bytes)) => {
                bytes.truncate(head_len);
                Cow::Owned(bytes)
            }
        }
    }
}

/// Pretty-printed with two-space indents, as jsonplaceholder sends JSON
/// (JavaScript's `JSON.stringify(value, null, 2)` gives the same bytes for
/// these values: serde_json's `preserve_order` keeps each object's key order).
pub fn pretty<T: serde::Serialize + ?Sized>(value: &T) -> Vec<u8> {
    // Only JSON values and string-keyed maps come here: they always serialise.
    serde_json::to_vec_pretty(value).expect("JSON values serialise")
}

/// A whole response, and where its head ends.
fn serialise(status: &str, headers: &str, body: &[u8], keep_alive: bool) -> (Vec<u8>, usize) {
    let connection = if keep_alive {
        ""
    } else {
        "Connection: close\r\n"
    };
    let mut bytes = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json; charset=utf-8\r\n\
         Content-Length: {}\r\n{headers}{connection}\r\n",
        body.len()
    )
    .into_bytes();
    let head_len = bytes.len();
    bytes.extend_from_slice(body);
    (bytes, head_len)
}
