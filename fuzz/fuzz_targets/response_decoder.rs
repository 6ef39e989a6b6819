//! Feeds arbitrary bytes to `aio_http::proto::ResponseDecoder`.
//!
//! Input layout: byte 0 chooses the request method and whether a body limit
//! is set (byte 1 is then the limit), bytes 2..6 are two split positions,
//! the rest is what the "server" sent. The response is decoded three ways
//! (whole; in three pieces at the split positions; one byte at a time when
//! short enough), each ending with `eof()` if the decoder still wants more.
//! Nothing may panic, every call must keep the buffering contract, and all
//! ways must give the same events, body, leftover bytes and error.
#![no_main]

use aio_http::proto::{Event, Framing, Limits, ResponseDecoder};
use http::Method;
use libfuzzer_sys::fuzz_target;

/// Inputs up to this size are also decoded one byte at a time.
const BYTEWISE_MAX: usize = 2048;

#[derive(Debug, PartialEq, Eq)]
enum Ev {
    Info(u16),
    Head {
        status: u16,
        version: http::Version,
        reason: Option<String>,
        headers: Vec<(String, Vec<u8>)>,
    },
    Trailers(Vec<(String, Vec<u8>)>),
    End,
}

#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    events: Vec<Ev>,
    body: Vec<u8>,
    /// Bytes after the end of the response, never consumed.
    leftover: Vec<u8>,
    error: Option<String>,
    reusable: bool,
    framing: Option<Framing>,
}

fn fields(map: &http::HeaderMap) -> Vec<(String, Vec<u8>)> {
    map.iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.as_bytes().to_vec()))
        .collect()
}

/// Plays the connection code: `pieces` are successive reads; when they run
/// out while the decoder wants more, the peer closed.
fn drive(method: &Method, limits: Limits, pieces: &[&[u8]]) -> Outcome {
    let mut dec = ResponseDecoder::new(method, limits);
    let total: usize = pieces.iter().map(|p| p.len()).sum();
    let mut pending: Vec<u8> = Vec::new();
    let mut next = 0;
    let mut out = Outcome {
        events: Vec::new(),
        body: Vec::new(),
        leftover: Vec::new(),
        error: None,
        reusable: false,
        framing: None,
    };
    let mut calls = 0usize;
    loop {
        calls += 1;
        // Every call consumes a byte or returns an event other than
        // NeedMore (or was given nothing): the count is bounded.
        assert!(
            calls <= 4 * (total + pieces.len()) + 64,
            "no progress after {calls} calls"
        );
        let (n, ev) = match dec.decode(&pending) {
            Ok(step) => step,
            Err(e) => {
                // Errors are sticky and leave nothing reusable.
                assert_eq!(dec.decode(b"more").unwrap_err(), e);
                assert_eq!(dec.eof().unwrap_err(), e);
                assert!(!dec.is_reusable());
                out.error = Some(e.to_string());
                break;
            }
        };
        assert!(n <= pending.len(), "consumed {n} of {}", pending.len());
        match ev {
            Event::NeedMore => {
                assert_eq!(n, pending.len(), "NeedMore must consume everything");
                pending.clear();
                if next < pieces.len() {
                    pending.extend_from_slice(pieces[next]);
                    next += 1;
                    continue;
                }
                match dec.eof() {
                    Ok(Event::End) => {
                        assert!(dec.is_done());
                        out.events.push(Ev::End);
                    }
                    Ok(other) => panic!("eof() returned {other:?}"),
                    Err(e) => {
                        assert!(!dec.is_reusable());
                        out.error = Some(e.to_string());
                    }
                }
                break;
            }
            Event::Data(r) => {
                assert!(r.start < r.end && r.end <= n, "bad range {r:?} for {n}");
                out.body.extend_from_slice(&pending[r]);
                pending.drain(..n);
            }
            Event::Informational(s) => {
                assert!(n > 0 && s.is_informational());
                out.events.push(Ev::Info(s.as_u16()));
                pending.drain(..n);
            }
            Event::Head(h) => {
                assert!(n > 0);
                out.events.push(Ev::Head {
                    status: h.status.as_u16(),
                    version: h.version,
                    reason: h.reason.clone(),
                    headers: fields(&h.headers),
                });
                pending.drain(..n);
            }
            Event::Trailers(t) => {
                assert!(n > 0 && !t.is_empty());
                out.events.push(Ev::Trailers(fields(&t)));
                pending.drain(..n);
                // The trailer section ends the body: End comes next.
                assert!(dec.is_done());
            }
            Event::End => {
                // Only a chunked body's last line may come with End.
                assert!(n == 0 || dec.framing() == Some(Framing::Chunked));
                assert!(dec.is_done());
                pending.drain(..n);
                // End repeats and consumes nothing more.
                assert_eq!(dec.decode(b"next").unwrap(), (0, Event::End));
                out.events.push(Ev::End);
                break;
            }
        }
    }
    if out.error.is_none() {
        out.leftover = pending;
        for p in &pieces[next..] {
            out.leftover.extend_from_slice(p);
        }
    }
    out.reusable = dec.is_reusable();
    out.framing = dec.framing();
    if let Some(limit) = limits.max_body_bytes {
        assert!(out.body.len() as u64 <= limit, "body past the limit");
    }
    out
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 6 {
        return;
    }
    let mode = data[0];
    let method = match mode % 4 {
        0 => Method::GET,
        1 => Method::HEAD,
        2 => Method::POST,
        _ => Method::CONNECT,
    };
    let limits = if mode & 0x10 != 0 {
        Limits::new().with_max_body_bytes(u64::from(data[1]))
    } else {
        Limits::new()
    };
    let input = &data[6..];
    let at = |i: usize| usize::from(u16::from_le_bytes([data[i], data[i + 1]])) % (input.len() + 1);
    let (mut a, mut b) = (at(2), at(4));
    if a > b {
        std::mem::swap(&mut a, &mut b);
    }

    let whole = drive(&method, limits, &[input]);
    let split = drive(&method, limits, &[&input[..a], &input[a..b], &input[b..]]);
    assert_eq!(whole, split, "split at {a} and {b} changed the outcome");
    if input.len() <= BYTEWISE_MAX {
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        let bytewise = drive(&method, limits, &bytes);
        assert_eq!(whole, bytewise, "byte-at-a-time feeding changed the outcome");
    }
});
