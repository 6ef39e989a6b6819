//! Property-style checks: a corpus of valid responses under random splits,
//! and thousands of random / mutated inputs that must never panic and must
//! give the same outcome however they are split.

#[path = "proto_support.rs"]
mod support;

use aio_http::proto::Limits;
use http::Method;
use support::{bytewise, random_pieces, run, whole, Rng};

fn corpus() -> Vec<(Method, &'static [u8], bool)> {
    vec![
        (Method::GET, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false),
        (Method::GET, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false),
        (
            Method::GET,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;a=b\r\nWiki\r\n5\r\npedia\r\n0\r\nX-T: 1\r\n\r\n",
            false,
        ),
        (Method::GET, b"HTTP/1.1 200 OK\r\nServer: x\r\n\r\nuntil close", true),
        (Method::HEAD, b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", false),
        (Method::GET, b"HTTP/1.1 204 No Content\r\n\r\n", false),
        (Method::GET, b"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n", false),
        (
            Method::POST,
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
            false,
        ),
        (Method::GET, b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nabc", false),
        (
            Method::GET,
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 200 OK\r\n\r\n",
            false,
        ),
        (Method::GET, b"HTTP/1.1 200 OK\nContent-Length: 1\n\nz", false),
    ]
}

#[test]
fn valid_corpus_under_random_splits() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for (method, bytes, eof) in corpus() {
        let expected = whole(&method, Limits::new(), bytes, eof);
        assert!(expected.is_ok(), "{expected:?}");
        for _ in 0..300 {
            let pieces = random_pieces(&mut rng, bytes);
            assert_eq!(
                run(&method, Limits::new(), &pieces, eof),
                expected,
                "pieces {pieces:?}"
            );
        }
    }
}

const TOKENS: &[&[u8]] = &[
    b"HTTP/1.1 ",
    b"HTTP/1.0 ",
    b"200 OK",
    b"100",
    b"204",
    b"304",
    b"101",
    b"\r\n",
    b"\n",
    b"\r",
    b": ",
    b"Content-Length",
    b"Transfer-Encoding",
    b"chunked",
    b"Connection",
    b"close",
    b"keep-alive",
    b"0",
    b"5",
    b"F",
    b";",
    b"=",
    b" ",
    b"\t",
    b"\0",
    b",",
    b"abc",
    b"\xff",
    b"\r\n\r\n",
    b"0\r\n\r\n",
    b"X-A: b\r\n",
];

const LINES: &[&[u8]] = &[
    b"Content-Length: 3\r\n",
    b"Content-Length: 0\r\n",
    b"Transfer-Encoding: chunked\r\n",
    b"Connection: close\r\n",
    b"Connection: keep-alive\r\n",
    b"X-A: b\r\n",
    b"X: \r\n",
];

/// Roughly shaped like a response (status line, field lines, body) with
/// random tokens and bytes mixed in.
fn random_input(rng: &mut Rng) -> Vec<u8> {
    let mut v = Vec::new();
    let pieces = |rng: &mut Rng, v: &mut Vec<u8>, n: usize| {
        for _ in 0..rng.below(n) {
            match rng.below(6) {
                0 => v.push(rng.next_u64() as u8),
                1 => v.extend_from_slice(LINES[rng.below(LINES.len())]),
                _ => v.extend_from_slice(TOKENS[rng.below(TOKENS.len())]),
            }
        }
    };
    if rng.below(8) != 0 {
        v.extend_from_slice([&b"HTTP/1.1 "[..], b"HTTP/1.0 "][rng.below(2)]);
        v.extend_from_slice([&b"200 OK"[..], b"100", b"204", b"101 S", b"404"][rng.below(5)]);
        v.extend_from_slice(b"\r\n");
        for _ in 0..rng.below(4) {
            v.extend_from_slice(LINES[rng.below(LINES.len())]);
        }
    }
    pieces(rng, &mut v, 6);
    if rng.below(2) == 0 {
        v.extend_from_slice(b"\r\n");
    }
    pieces(rng, &mut v, 20);
    v
}

fn mutate(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let mut v = base.to_vec();
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(v.len() + 1);
        match rng.below(5) {
            0 if at < v.len() => v[at] = rng.next_u64() as u8,
            1 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                v.splice(at..at, t.iter().copied());
            }
            2 if at < v.len() => {
                let end = (at + 1 + rng.below(8)).min(v.len());
                v.drain(at..end);
            }
            3 if at < v.len() => {
                let end = (at + 1 + rng.below(16)).min(v.len());
                let dup = v[at..end].to_vec();
                v.splice(at..at, dup);
            }
            _ => v.truncate(at),
        }
    }
    v
}

/// No panic, and the same outcome (success or the same error) whole, byte
/// by byte, and in random pieces.
/// Returns whether the input decoded successfully when followed by eof.
fn check_consistent(rng: &mut Rng, method: &Method, bytes: &[u8]) -> bool {
    let limits = if rng.below(4) == 0 {
        Limits::new().with_max_body_bytes(rng.below(8) as u64)
    } else {
        Limits::new()
    };
    for eof in [false, true] {
        let expected = whole(method, limits, bytes, eof);
        assert_eq!(
            bytewise(method, limits, bytes, eof),
            expected,
            "bytewise {bytes:?}"
        );
        for _ in 0..3 {
            let pieces = random_pieces(rng, bytes);
            assert_eq!(
                run(method, limits, &pieces, eof),
                expected,
                "pieces {pieces:?}"
            );
        }
    }
    whole(method, limits, bytes, true).is_ok()
}

#[test]
fn random_inputs_never_panic_and_do_not_depend_on_splits() {
    let mut rng = Rng(0x1234_5678_9ABC_DEF1);
    let methods = [Method::GET, Method::HEAD, Method::CONNECT];
    let mut successes = 0;
    for _ in 0..3000 {
        let input = random_input(&mut rng);
        let method = &methods[rng.below(methods.len())];
        successes += usize::from(check_consistent(&mut rng, method, &input));
    }
    // The generator must reach past the head parser sometimes.
    assert!(successes > 200, "only {successes} inputs decoded");
}

#[test]
fn mutated_responses_never_panic_and_do_not_depend_on_splits() {
    let mut rng = Rng(0xDEAD_BEEF_CAFE_F00D);
    let corpus = corpus();
    let mut successes = 0;
    for i in 0..3000 {
        let (method, base, _) = &corpus[i % corpus.len()];
        let input = mutate(&mut rng, base);
        successes += usize::from(check_consistent(&mut rng, method, &input));
    }
    // Mutations must produce both accepted and refused inputs.
    assert!(
        (300..2700).contains(&successes),
        "{successes} of 3000 decoded"
    );
}

#[test]
fn uniformly_random_bytes_never_panic() {
    let mut rng = Rng(42);
    for _ in 0..2000 {
        let len = rng.below(200);
        let input: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        assert!(!check_consistent(&mut rng, &Method::GET, &input) || input.starts_with(b"HTTP/"));
    }
}
