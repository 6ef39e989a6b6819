//! One connection: HTTP/1.1 requests read off it (head, then a body of
//! `Content-Length` bytes), answered in order, keep-alive and pipelining
//! included.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;

use futures_io::{AsyncRead, AsyncWrite};

use crate::api::{Request, Site};
use crate::response::Answer;

/// The longest request head we accept; clients send a few hundred bytes.
const MAX_HEAD: usize = 16 * 1024;
const MAX_HEADERS: usize = 32;
/// The largest request body we accept: far more than any record.
const MAX_BODY: usize = 1024 * 1024;

/// What the bytes buffered so far hold.
enum Next<'b> {
    /// A whole request; `len` bytes of head and body.
    Ready {
        request: Request<'b>,
        len: usize,
        keep_alive: bool,
    },
    /// Part of one. `want` is how many bytes the whole request takes, once the
    /// head says; `expect_continue`: the client waits for `100 Continue`
    /// before it sends the body.
    More {
        want: Option<usize>,
        expect_continue: bool,
    },
    /// Something we will not read past: answer it, then close.
    Refuse(Answer<'static>),
}

/// Reads requests off one connection and answers them until the client closes
/// it, asks to close, or sends something we cannot frame. I/O errors just end
/// the connection: the client went away, and other connections are
/// unaffected.
pub async fn serve_connection<S: AsyncRead + AsyncWrite + Unpin>(mut io: S, site: &Site) {
    // One buffer per connection, reused for every request on it; it grows
    // only to hold a large body.
    let mut buf = vec![0u8; MAX_HEAD];
    let mut filled = 0;
    let mut sent_continue = false;
    loop {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        match next_request(&buf[..filled], &mut headers) {
            Next::Ready {
                request,
                len,
                keep_alive,
            } => {
                let head_only = request.method == "HEAD";
                let answer = site.answer(&request);
                if write_all(&mut io, &answer.bytes(keep_alive, head_only))
                    .await
                    .is_err()
                {
                    return;
                }
                if !keep_alive {
                    return close(io).await;
                }
                // Keep any pipelined bytes that follow this request.
                buf.copy_within(len..filled, 0);
                filled -= len;
                sent_continue = false;
                if buf.len() > MAX_HEAD && filled <= MAX_HEAD {
                    buf.truncate(MAX_HEAD);
                    buf.shrink_to_fit();
                }
            }
            Next::More {
                want,
                expect_continue,
            } => {
                if let Some(want) = want.filter(|&want| want > buf.len()) {
                    buf.resize(want, 0);
                }
                if expect_continue && !sent_continue {
                    sent_continue = true;
                    if write_all(&mut io, b"HTTP/1.1 100 Continue\r\n\r\n")
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                // Send what pipelined requests produced before waiting for more.
                if flush(&mut io).await.is_err() {
                    return;
                }
                match read(&mut io, &mut buf[filled..]).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => filled += n,
                }
            }
            Next::Refuse(answer) => {
                if write_all(&mut io, &answer.bytes(false, false))
                    .await
                    .is_ok()
                {
                    close(io).await;
                }
                return;
            }
        }
    }
}

/// Frames the request at the start of `buf`.
fn next_request<'b>(buf: &'b [u8], headers: &'b mut [httparse::Header<'b>]) -> Next<'b> {
    let mut req = httparse::Request::new(headers);
    let head_len = match req.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => {
            return Next::More {
                want: None,
                expect_continue: false,
            }
        }
        Ok(httparse::Status::Partial) => {
            let message = format!("the request head is longer than {MAX_HEAD} bytes");
            return Next::Refuse(Answer::error(
                "431 Request Header Fields Too Large",
                &message,
            ));
        }
        Err(e) => {
            let message = format!("malformed request head: {e}");
            return Next::Refuse(Answer::error("400 Bad Request", &message));
        }
    };
    let mut keep_alive = req.version == Some(1); // HTTP/1.1 persists by default, 1.0 doesn't.
    let mut body_len = None;
    let mut expect_continue = false;
    for h in req.headers.iter() {
        if h.name.eq_ignore_ascii_case("connection") {
            for token in h.value.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
                if token.eq_ignore_ascii_case(b"close") {
                    keep_alive = false;
                } else if token.eq_ignore_ascii_case(b"keep-alive") {
                    keep_alive = true;
                }
            }
        } else if h.name.eq_ignore_ascii_case("content-length") {
            let len = std::str::from_utf8(h.value)
                .ok()
                .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|v| v.parse::<usize>().ok());
            match (len, body_len) {
                (Some(len), None) => body_len = Some(len),
                (Some(len), Some(earlier)) if len == earlier => {}
                _ => {
                    let message = "invalid or conflicting Content-Length";
                    return Next::Refuse(Answer::error("400 Bad Request", message));
                }
            }
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            // Chunked bodies would need a decoder; every JSON client we know
            // sends a length.
            let message = "chunked request bodies are not supported: send Content-Length";
            return Next::Refuse(Answer::error("411 Length Required", message));
        } else if h.name.eq_ignore_ascii_case("expect") {
            expect_continue = h.value.eq_ignore_ascii_case(b"100-continue");
        }
    }
    let body_len = body_len.unwrap_or(0);
    if body_len > MAX_BODY {
        let message = format!("the request body is {body_len} bytes; the limit is {MAX_BODY}");
        return Next::Refuse(Answer::error("413 Content Too Large", &message));
    }
    let len = head_len + body_len;
    if buf.len() < len {
        return Next::More {
            want: Some(len),
            expect_continue,
        };
    }
    Next::Ready {
        request: Request {
            method: req.method.unwrap_or_default(),
            target: req.path.unwrap_or_default(),
            body: &buf[head_len..len],
        },
        len,
        keep_alive,
    }
}

// futures-io gives only the poll methods; these are the awaitable forms we need.

async fn read<S: AsyncRead + Unpin>(io: &mut S, buf: &mut [u8]) -> io::Result<usize> {
    poll_fn(|cx| Pin::new(&mut *io).poll_read(cx, buf)).await
}

async fn write_all<S: AsyncWrite + Unpin>(io: &mut S, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        match poll_fn(|cx| Pin::new(&mut *io).poll_write(cx, buf)).await? {
            0 => return Err(io::ErrorKind::WriteZero.into()),
            n => buf = &buf[n..],
        }
    }
    Ok(())
}

async fn flush<S: AsyncWrite + Unpin>(io: &mut S) -> io::Result<()> {
    poll_fn(|cx| Pin::new(&mut *io).poll_flush(cx)).await
}

/// Flushes what is left and closes (for TLS, with a close_notify).
async fn close<S: AsyncWrite + Unpin>(mut io: S) {
    let _ = flush(&mut io).await;
    let _ = poll_fn(|cx| Pin::new(&mut io).poll_close(cx)).await;
}
