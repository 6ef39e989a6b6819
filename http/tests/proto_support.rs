//! Shared driver for the proto tests: plays the connection code's part,
//! feeding pieces to a `ResponseDecoder` under its buffering contract.
#![allow(dead_code)]

use aio_http::proto::{Event, Framing, Limits, ResponseDecoder};
use http::{Method, Version};

/// An event with the body data taken out (data is collected separately so
/// outcomes compare equal however the input was split).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ev {
    Info(u16),
    Head {
        status: u16,
        version: Version,
        reason: Option<String>,
        headers: Vec<(String, Vec<u8>)>,
    },
    Trailers(Vec<(String, Vec<u8>)>),
    End,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub events: Vec<Ev>,
    pub body: Vec<u8>,
    /// Bytes never consumed (after End).
    pub leftover: Vec<u8>,
    pub reusable: bool,
    pub framing: Option<Framing>,
}

fn fields(map: &http::HeaderMap) -> Vec<(String, Vec<u8>)> {
    map.iter()
        .map(|(k, v)| (k.as_str().to_string(), v.as_bytes().to_vec()))
        .collect()
}

/// Feeds `pieces` in order; calls `eof()` when they run out before End if
/// `eof` is set. Checks the contract on every call. Errors come back as
/// their message.
pub fn run(
    method: &Method,
    limits: Limits,
    pieces: &[&[u8]],
    eof: bool,
) -> Result<Outcome, String> {
    let mut dec = ResponseDecoder::new(method, limits);
    let mut pending: Vec<u8> = Vec::new();
    let mut next = 0;
    let mut events = Vec::new();
    let mut body = Vec::new();
    let total: usize = pieces.iter().map(|p| p.len()).sum();
    let mut calls = 0usize;
    loop {
        calls += 1;
        // Each call consumes a byte or yields an event: a bounded count.
        assert!(
            calls <= 4 * (total + pieces.len()) + 64,
            "decoder made no progress"
        );
        let (n, ev) = match dec.decode(&pending) {
            Ok(x) => x,
            Err(e) => {
                // Errors are sticky.
                assert_eq!(dec.decode(b"x").unwrap_err(), e);
                assert!(!dec.is_reusable());
                return Err(e.to_string());
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
                if !eof {
                    return Err("input ended before the response did".into());
                }
                match dec.eof() {
                    Ok(Event::End) => {
                        events.push(Ev::End);
                        assert!(dec.is_done());
                        break;
                    }
                    Ok(other) => panic!("eof returned {other:?}"),
                    Err(e) => {
                        assert!(!dec.is_reusable());
                        return Err(e.to_string());
                    }
                }
            }
            Event::Data(r) => {
                assert!(r.start < r.end && r.end <= n, "bad range {r:?} for {n}");
                body.extend_from_slice(&pending[r]);
                pending.drain(..n);
            }
            Event::End => {
                // Only a chunked body's final line may come with End.
                assert!(n == 0 || dec.framing() == Some(Framing::Chunked));
                assert!(dec.is_done());
                pending.drain(..n);
                // End repeats and still consumes nothing.
                assert_eq!(dec.decode(b"more").unwrap(), (0, Event::End));
                events.push(Ev::End);
                break;
            }
            Event::Informational(s) => {
                assert!(n > 0);
                events.push(Ev::Info(s.as_u16()));
                pending.drain(..n);
            }
            Event::Head(h) => {
                assert!(n > 0);
                events.push(Ev::Head {
                    status: h.status.as_u16(),
                    version: h.version,
                    reason: h.reason.clone(),
                    headers: fields(&h.headers),
                });
                pending.drain(..n);
            }
            Event::Trailers(t) => {
                assert!(n > 0 && !t.is_empty());
                events.push(Ev::Trailers(fields(&t)));
                pending.drain(..n);
            }
        }
    }
    let mut leftover = pending;
    for p in &pieces[next..] {
        leftover.extend_from_slice(p);
    }
    Ok(Outcome {
        events,
        body,
        leftover,
        reusable: dec.is_reusable(),
        framing: dec.framing(),
    })
}

pub fn whole(method: &Method, limits: Limits, bytes: &[u8], eof: bool) -> Result<Outcome, String> {
    run(method, limits, &[bytes], eof)
}

pub fn bytewise(
    method: &Method,
    limits: Limits,
    bytes: &[u8],
    eof: bool,
) -> Result<Outcome, String> {
    let pieces: Vec<&[u8]> = bytes.chunks(1).collect();
    run(method, limits, &pieces, eof)
}

/// Feeds `bytes` whole, one byte at a time and split in two at every index
/// (at a sample of indices for large inputs); all outcomes must be equal.
pub fn check_splits(
    method: &Method,
    limits: Limits,
    bytes: &[u8],
    eof: bool,
) -> Result<Outcome, String> {
    let expected = whole(method, limits, bytes, eof);
    assert_eq!(
        bytewise(method, limits, bytes, eof),
        expected,
        "byte-at-a-time differs for {:?}",
        String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
    );
    let step = if bytes.len() <= 4096 {
        1
    } else {
        bytes.len() / 509
    };
    for i in (0..=bytes.len()).step_by(step.max(1)) {
        let got = run(method, limits, &[&bytes[..i], &bytes[i..]], eof);
        assert_eq!(got, expected, "split at {i} differs");
    }
    expected
}

/// Deterministic xorshift64* for split points and fuzz inputs.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
}

/// Splits `bytes` into random pieces (some empty, some large).
pub fn random_pieces<'a>(rng: &mut Rng, bytes: &'a [u8]) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let max = match rng.below(4) {
            0 => 1,
            1 => 4,
            2 => 32,
            _ => bytes.len(),
        };
        let len = rng.below(max + 1).min(bytes.len() - at);
        out.push(&bytes[at..at + len]);
        at += len;
    }
    out
}
