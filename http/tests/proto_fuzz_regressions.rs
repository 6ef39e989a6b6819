//! Inputs found by `scripts/fuzz.sh` (cargo-fuzz, target
//! `response_decoder`), kept as stable tests. The fuzz target's property:
//! decoding is split-invariant, *including* the body bytes handed out
//! before an error, so this file has its own driver that keeps them.

use aio_http::proto::{Event, Limits, ResponseDecoder};
use http::Method;

/// Body bytes handed out, and how decoding ended (`Ok` = End).
type Outcome = (Vec<u8>, Result<(), String>);

/// Feeds `pieces` in order under the buffering contract, then `eof()`.
fn drive(method: &Method, limits: Limits, pieces: &[&[u8]]) -> Outcome {
    let mut dec = ResponseDecoder::new(method, limits);
    let mut pending = Vec::new();
    let mut next = 0;
    let mut body = Vec::new();
    loop {
        let (n, ev) = match dec.decode(&pending) {
            Ok(step) => step,
            Err(e) => return (body, Err(e.to_string())),
        };
        match ev {
            Event::NeedMore => {
                pending.clear();
                if let Some(piece) = pieces.get(next) {
                    pending.extend_from_slice(piece);
                    next += 1;
                    continue;
                }
                return (body, dec.eof().map(|_| ()).map_err(|e| e.to_string()));
            }
            Event::Data(r) => body.extend_from_slice(&pending[r]),
            Event::End => return (body, Ok(())),
            Event::Head(_) | Event::Informational(_) | Event::Trailers(_) => {}
        }
        pending.drain(..n);
    }
}

/// Decodes `input` whole, byte by byte and split at every index; all must
/// agree. Returns the common outcome.
fn split_invariant(method: &Method, limits: Limits, input: &[u8]) -> Outcome {
    let whole = drive(method, limits, &[input]);
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(drive(method, limits, &bytes), whole, "byte by byte");
    for i in 0..=input.len() {
        let (a, b) = input.split_at(i);
        assert_eq!(drive(method, limits, &[a, b]), whole, "split at {i}");
    }
    whole
}

/// crash-5ef2369fee4313d012cad3df423f8795f22eb004: a close-delimited body
/// (the misspelt "Transfeoding" is not Transfer-Encoding) over a body limit
/// of 4. The decoder refused a whole read that crossed the limit, so the
/// bytes before the limit were handed out or not depending on how the
/// reads were split. Now the body is handed out up to the limit, and the
/// first byte past it is the error, however the bytes arrive.
#[test]
fn close_delimited_body_over_the_limit_is_cut_at_the_limit_whatever_the_split() {
    let input = b"HTTP/1.1 200 OK\r\nTransfeoding: chunked\r\n\r\n3\r\nabc\r\n\x01\x00\x00\x00\n\x01\x00\x00\x00\x003\r\ndef\r\n0\r\n\r\n";
    let limits = Limits::new().with_max_body_bytes(4);
    let (body, end) = split_invariant(&Method::GET, limits, input);
    assert_eq!(body, b"3\r\na");
    assert_eq!(
        end.unwrap_err(),
        "response body larger than the limit of 4 bytes"
    );

    // At the limit exactly, the close ends it cleanly.
    let (body, end) = split_invariant(&Method::GET, limits, b"HTTP/1.1 200 OK\r\n\r\nabcd");
    assert_eq!((body.as_slice(), end), (b"abcd".as_slice(), Ok(())));
    // A limit of 0 refuses the first byte.
    let limits = Limits::new().with_max_body_bytes(0);
    let (body, end) = split_invariant(&Method::GET, limits, b"HTTP/1.1 200 OK\r\n\r\nx");
    assert!(body.is_empty());
    assert!(end.is_err());
}
