//! Response decoding: valid responses fed whole, byte by byte and split at
//! every index; every limit on both sides; hostile input.

#[path = "proto_support.rs"]
mod support;

use aio_http::proto::{
    Event, Framing, Limits, ResponseDecoder, MAX_CHUNK_LINE, MAX_HEADERS, MAX_HEAD_BYTES,
    MAX_INFORMATIONAL,
};
use http::{Method, Version};
use support::{bytewise, check_splits, whole, Ev, Outcome};

fn get() -> Method {
    Method::GET
}

fn ok(bytes: &[u8], eof: bool) -> Outcome {
    check_splits(&get(), Limits::new(), bytes, eof).unwrap_or_else(|e| {
        panic!(
            "unexpected error {e:?} for {:?}",
            String::from_utf8_lossy(bytes)
        )
    })
}

/// The error, which must be the same however the input is split.
fn err(bytes: &[u8], eof: bool) -> String {
    err_with(&get(), Limits::new(), bytes, eof)
}

fn err_with(method: &Method, limits: Limits, bytes: &[u8], eof: bool) -> String {
    match check_splits(method, limits, bytes, eof) {
        Ok(o) => panic!("expected an error, got {o:?}"),
        Err(e) => e,
    }
}

fn assert_contains(msg: &str, want: &str) {
    assert!(
        msg.contains(want),
        "error {msg:?} does not mention {want:?}"
    );
}

fn head_status(o: &Outcome) -> Vec<u16> {
    o.events
        .iter()
        .filter_map(|e| match e {
            Ev::Head { status, .. } => Some(*status),
            Ev::Info(s) => Some(*s),
            _ => None,
        })
        .collect()
}

// ---- valid responses -------------------------------------------------------

#[test]
fn content_length_body() {
    let o = ok(
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello",
        false,
    );
    assert_eq!(o.body, b"hello");
    assert_eq!(o.framing, Some(Framing::Length(5)));
    assert!(o.reusable);
    assert!(o.leftover.is_empty());
    match &o.events[0] {
        Ev::Head {
            status,
            version,
            reason,
            headers,
        } => {
            assert_eq!(*status, 200);
            assert_eq!(*version, Version::HTTP_11);
            assert_eq!(reason.as_deref(), Some("OK"));
            assert_eq!(headers.len(), 2);
            assert_eq!(headers[1], ("x-a".to_string(), b"b".to_vec()));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(o.events[1], Ev::End);
}

#[test]
fn content_length_helper_and_reason_absent() {
    let mut dec = ResponseDecoder::new(&get(), Limits::new());
    let input = b"HTTP/1.1 200\r\nContent-Length: 7, 7\r\n\r\n";
    let (n, ev) = dec.decode(input).unwrap();
    assert_eq!(n, input.len());
    match ev {
        Event::Head(h) => {
            assert_eq!(h.content_length(), Some(7));
            assert_eq!(h.reason, None);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn zero_length_body() {
    let o = ok(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false);
    assert!(o.body.is_empty());
    assert_eq!(o.events.len(), 2);
    assert!(o.reusable);
}

#[test]
fn chunked_with_extensions_and_trailers() {
    let o = ok(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
          4;foo=bar\r\nWiki\r\n5 ; a ; b=\"q\"\r\npedia\r\nA\r\n in chunks\r\n\
          0;last\r\nExpires: never\r\nX-Sum: 9\r\n\r\n",
        false,
    );
    assert_eq!(o.body, b"Wikipedia in chunks");
    assert_eq!(o.framing, Some(Framing::Chunked));
    assert_eq!(
        o.events[1],
        Ev::Trailers(vec![
            ("expires".into(), b"never".to_vec()),
            ("x-sum".into(), b"9".to_vec())
        ])
    );
    assert_eq!(o.events[2], Ev::End);
    assert!(o.reusable);
}

#[test]
fn chunked_without_trailers_and_hex_case() {
    let o = ok(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n1A\r\nABCDEFGHIJKLMNOPQRSTUVWXYZ\r\n0\r\n\r\n",
        false,
    );
    assert_eq!(o.body.len(), 52);
    assert_eq!(o.events.len(), 2, "no Trailers event for an empty section");
}

#[test]
fn bare_lf_is_tolerated_in_heads_and_chunk_lines() {
    let o = ok(
        b"HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\n",
        false,
    );
    assert_eq!(o.body, b"abc");
    assert!(o.reusable);
}

#[test]
fn close_delimited_ends_with_eof() {
    let o = ok(b"HTTP/1.1 200 OK\r\nX: y\r\n\r\nabc\r\ndef", true);
    assert_eq!(o.body, b"abc\r\ndef");
    assert_eq!(o.framing, Some(Framing::CloseDelimited));
    assert!(!o.reusable, "a close-delimited connection is gone");
    // Empty close-delimited body.
    let o = ok(b"HTTP/1.1 200 OK\r\n\r\n", true);
    assert!(o.body.is_empty());
}

#[test]
fn head_response_has_no_body() {
    let bytes = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
    let o = check_splits(&Method::HEAD, Limits::new(), bytes, false).unwrap();
    assert!(o.body.is_empty());
    assert_eq!(o.framing, Some(Framing::Empty));
    assert!(o.reusable);
    // Bytes after it are the next response's, not this body.
    let mut two = bytes.to_vec();
    two.extend_from_slice(b"HTTP/1.1 204 No Content\r\n\r\n");
    let o = check_splits(&Method::HEAD, Limits::new(), &two, false).unwrap();
    assert_eq!(o.leftover, b"HTTP/1.1 204 No Content\r\n\r\n");
}

#[test]
fn no_body_for_204_and_304() {
    for bytes in [
        &b"HTTP/1.1 204 No Content\r\n\r\nNEXT"[..],
        b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\nNEXT",
        b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\nNEXT",
    ] {
        let o = ok(bytes, false);
        assert!(o.body.is_empty());
        assert_eq!(o.leftover, b"NEXT");
        assert_eq!(o.framing, Some(Framing::Empty));
        assert!(o.reusable);
    }
}

#[test]
fn continue_then_final_response() {
    let o = ok(
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
        false,
    );
    assert_eq!(head_status(&o), vec![100, 103, 200]);
    assert_eq!(o.events[0], Ev::Info(100));
    assert_eq!(o.body, b"hi");
}

#[test]
fn switching_protocols_is_final_and_not_reusable() {
    let o = ok(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\nraw",
        false,
    );
    assert_eq!(head_status(&o), vec![101]);
    assert_eq!(o.leftover, b"raw");
    assert!(!o.reusable);
}

#[test]
fn connect_success_is_a_tunnel() {
    let bytes = b"HTTP/1.1 200 Connection Established\r\n\r\ntunnel";
    let o = check_splits(&Method::CONNECT, Limits::new(), bytes, false).unwrap();
    assert_eq!(o.framing, Some(Framing::Empty));
    assert_eq!(o.leftover, b"tunnel");
    assert!(!o.reusable);
}

#[test]
fn reusability() {
    let cases: [(&[u8], bool); 7] = [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", true),
        (b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx", true),
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx", false),
        (b"HTTP/1.1 200 OK\r\nConnection: x, Close\r\nContent-Length: 1\r\n\r\nx", false),
        (b"HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", false),
        (b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\nx", true),
        (b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n1\r\nx\r\n0\r\n\r\n", false),
    ];
    for (bytes, reusable) in cases {
        let o = ok(bytes, false);
        assert_eq!(o.body, b"x");
        assert_eq!(o.reusable, reusable, "{:?}", String::from_utf8_lossy(bytes));
    }
}

#[test]
fn not_reusable_before_end() {
    let mut dec = ResponseDecoder::new(&get(), Limits::new());
    let (_, ev) = dec
        .decode(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n")
        .unwrap();
    assert!(matches!(ev, Event::Head(_)));
    assert!(!dec.is_reusable());
    assert_eq!(dec.decode(b"ab").unwrap(), (2, Event::Data(0..2)));
    assert!(!dec.is_reusable());
    assert_eq!(dec.decode(b"cEXTRA").unwrap(), (1, Event::Data(0..1)));
    assert_eq!(dec.decode(b"EXTRA").unwrap(), (0, Event::End));
    assert!(dec.is_reusable());
}

#[test]
fn pipelined_responses_leave_the_second_unconsumed() {
    let first: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";
    let second: &[u8] =
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n";
    let both = [first, second].concat();
    let o = ok(&both, false);
    assert_eq!(o.body, b"abc");
    assert_eq!(o.leftover, second);
    let o2 = ok(&o.leftover, false);
    assert_eq!(o2.body, b"de");
    // Chunked first, then a Content-Length one.
    let both = [second, first].concat();
    let o = ok(&both, false);
    assert_eq!(o.body, b"de");
    assert_eq!(o.leftover, first);
}

#[test]
fn header_values_keep_obs_text_and_repeats() {
    let o = ok(
        b"HTTP/1.1 200 \xe9t\xe9\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-L: caf\xc3\xa9 \t\r\nContent-Length: 0\r\n\r\n",
        false,
    );
    match &o.events[0] {
        Ev::Head {
            headers, reason, ..
        } => {
            assert_eq!(*reason, None, "obs-text reason is dropped");
            assert_eq!(headers[0].1, b"a=1");
            assert_eq!(headers[1].1, b"b=2");
            assert_eq!(headers[2].1, "café".as_bytes(), "trailing OWS trimmed");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn eof_after_a_complete_response_is_fine() {
    let o = ok(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", true);
    assert_eq!(o.body, b"hi");
    assert!(o.reusable);
}

// ---- limits, both sides ------------------------------------------------------

/// A head of exactly `len` bytes with no body.
fn head_of_len(len: usize) -> Vec<u8> {
    let start = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Pad: ";
    let end = b"\r\n\r\n";
    let pad = len - start.len() - end.len();
    let mut v = start.to_vec();
    v.resize(start.len() + pad, b'a');
    v.extend_from_slice(end);
    assert_eq!(v.len(), len);
    v
}

#[test]
fn head_size_limit_both_sides() {
    let at = head_of_len(MAX_HEAD_BYTES);
    let o = check_splits(&get(), Limits::new(), &at, false).unwrap();
    assert_eq!(o.events.len(), 2);
    let over = head_of_len(MAX_HEAD_BYTES + 1);
    let e = err(&over, false);
    assert_eq!(e, "response head larger than 65536 bytes");
}

fn many_headers(n: usize) -> Vec<u8> {
    let mut v = b"HTTP/1.1 200 OK\r\n".to_vec();
    for i in 0..n - 1 {
        v.extend_from_slice(format!("x-h{i}: v\r\n").as_bytes());
    }
    v.extend_from_slice(b"Content-Length: 0\r\n\r\n");
    v
}

#[test]
fn header_count_limit_both_sides() {
    let o = ok(&many_headers(MAX_HEADERS), false);
    match &o.events[0] {
        Ev::Head { headers, .. } => assert_eq!(headers.len(), MAX_HEADERS),
        other => panic!("{other:?}"),
    }
    let e = err(&many_headers(MAX_HEADERS + 1), false);
    assert_eq!(e, "more than 100 header fields in the response head");
}

fn chunk_line_of_len(len: usize) -> Vec<u8> {
    let mut v = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;".to_vec();
    v.resize(v.len() + len - 2, b'x');
    v.extend_from_slice(b"\r\nabc\r\n0\r\n\r\n");
    v
}

#[test]
fn chunk_line_limit_both_sides() {
    let o = ok(&chunk_line_of_len(MAX_CHUNK_LINE), false);
    assert_eq!(o.body, b"abc");
    let e = err(&chunk_line_of_len(MAX_CHUNK_LINE + 1), false);
    assert_eq!(e, "chunk size line longer than 4096 bytes");
}

fn trailers(n: usize, pad: usize) -> Vec<u8> {
    let mut v = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n".to_vec();
    for i in 0..n {
        v.extend_from_slice(format!("t{i}: v\r\n").as_bytes());
    }
    if pad > 0 {
        v.extend_from_slice(b"t-pad: ");
        v.resize(v.len() + pad, b'p');
        v.extend_from_slice(b"\r\n");
    }
    v.extend_from_slice(b"\r\n");
    v
}

#[test]
fn trailer_limits_both_sides() {
    let o = ok(&trailers(MAX_HEADERS, 0), false);
    match &o.events[1] {
        Ev::Trailers(t) => assert_eq!(t.len(), MAX_HEADERS),
        other => panic!("{other:?}"),
    }
    let e = err(&trailers(MAX_HEADERS + 1, 0), false);
    assert_eq!(e, "more than 100 trailer fields in the trailer section");
    // Trailer section of exactly the limit: "t-pad: " + pad + CRLF + CRLF.
    let prefix = trailers(0, 0).len() - 2;
    let pad = MAX_HEAD_BYTES - (7 + 2 + 2);
    let at = trailers(0, pad);
    assert_eq!(at.len() - prefix, MAX_HEAD_BYTES);
    assert_eq!(whole(&get(), Limits::new(), &at, false).unwrap().body, b"z");
    assert_eq!(
        bytewise(&get(), Limits::new(), &at, false).unwrap().body,
        b"z"
    );
    let e = whole(&get(), Limits::new(), &trailers(0, pad + 1), false).unwrap_err();
    assert_eq!(e, "trailer section larger than 65536 bytes");
    let e2 = bytewise(&get(), Limits::new(), &trailers(0, pad + 1), false).unwrap_err();
    assert_eq!(e2, e);
}

#[test]
fn body_limit_content_length_both_sides() {
    let limits = Limits::new().with_max_body_bytes(10);
    let o = check_splits(
        &get(),
        limits,
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789",
        false,
    )
    .unwrap();
    assert_eq!(o.body, b"0123456789");
    // Refused from the head alone, before any body byte arrives: the head
    // is returned, the body is not.
    let mut dec = ResponseDecoder::new(&get(), limits);
    let (_, event) = dec
        .decode(b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n0")
        .unwrap();
    assert!(matches!(event, Event::Head(_)), "{event:?}");
    let e = dec.decode(b"0").unwrap_err();
    assert_eq!(
        e.message(),
        "response body of 11 bytes (Content-Length) is larger than the limit of 10 bytes"
    );
    assert!(e.is_over_limit());
    assert_eq!(dec.eof().unwrap_err(), e);
    assert!(!dec.is_reusable());
}

#[test]
fn body_limit_chunked_and_close_delimited_both_sides() {
    let limits = Limits::new().with_max_body_bytes(10);
    let chunked = |body: &[u8]| {
        let mut v = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        for c in body.chunks(4) {
            v.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
            v.extend_from_slice(c);
            v.extend_from_slice(b"\r\n");
        }
        v.extend_from_slice(b"0\r\n\r\n");
        v
    };
    let o = check_splits(&get(), limits, &chunked(b"0123456789"), false).unwrap();
    assert_eq!(o.body, b"0123456789");
    let e = err_with(&get(), limits, &chunked(b"0123456789a"), false);
    assert_eq!(e, "response body larger than the limit of 10 bytes");
    let mut dec = ResponseDecoder::new(&get(), limits);
    let input = chunked(b"0123456789a");
    let mut at = 0;
    let e = loop {
        match dec.decode(&input[at..]) {
            Ok((n, _)) => at += n,
            Err(e) => break e,
        }
    };
    assert!(e.is_over_limit());
    // A protocol error is not a limit.
    let e = ResponseDecoder::new(&get(), limits).decode(b"HTTP/1.1 zzz\r\n\r\n");
    assert!(!e.unwrap_err().is_over_limit());

    let o = check_splits(&get(), limits, b"HTTP/1.1 200 OK\r\n\r\n0123456789", true).unwrap();
    assert_eq!(o.body, b"0123456789");
    let e = err_with(&get(), limits, b"HTTP/1.1 200 OK\r\n\r\n0123456789a", true);
    assert_eq!(e, "response body larger than the limit of 10 bytes");
}

fn informational(n: usize) -> Vec<u8> {
    let mut v = b"HTTP/1.1 100 Continue\r\n\r\n".repeat(n);
    v.extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    v
}

#[test]
fn informational_limit_both_sides() {
    let o = whole(
        &get(),
        Limits::new(),
        &informational(MAX_INFORMATIONAL),
        false,
    )
    .unwrap();
    assert_eq!(o.events.len(), MAX_INFORMATIONAL + 2);
    assert_eq!(
        bytewise(
            &get(),
            Limits::new(),
            &informational(MAX_INFORMATIONAL),
            false
        )
        .unwrap(),
        o
    );
    let e = err(&informational(MAX_INFORMATIONAL + 1), false);
    assert_eq!(e, "more than 32 informational (1xx) responses");
}

// ---- hostile input -------------------------------------------------------------

#[test]
fn garbage_and_empty_status_lines() {
    assert_contains(
        &err(b"FOO BAR BAZ\r\n\r\n", false),
        "invalid status line starting with \"F\" instead of \"HTTP/\"",
    );
    assert_eq!(err(b"\r\n\r\n", false), "empty status line");
    assert_eq!(
        err(b"\r\nHTTP/1.1 200 OK\r\n\r\n", false),
        "empty status line"
    );
    assert_contains(&err(b"HTTP/1.1\r\n\r\n", false), "invalid status line");
    assert_contains(
        &err(b"HTTP/1.1 200OK\r\n\r\n", false),
        "invalid status line",
    );
}

#[test]
fn http09_reply_is_refused_without_waiting() {
    // No line end at all: refused from the first bytes, before any eof.
    let e = err(b"<html><body>hello</body></html>", false);
    assert_contains(&e, "HTTP/0.9");
    assert_contains(&err(b"<html>\n\n", true), "HTTP/0.9");
}

#[test]
fn unsupported_versions() {
    for bytes in [
        &b"HTTP/2 200 OK\r\n\r\n"[..],
        b"HTTP/1.2 200 OK\r\n\r\n",
        b"HTTP/2.0 200 OK\r\n\r\n",
    ] {
        assert_contains(&err(bytes, false), "expected HTTP/1.0 or HTTP/1.1");
    }
    assert_contains(
        &err(b"http/1.1 200 OK\r\n\r\n", false),
        "not an HTTP/1.x response",
    );
}

#[test]
fn bad_status_codes() {
    assert_contains(
        &err(b"HTTP/1.1 1000 OK\r\n\r\n", false),
        "three-digit status code",
    );
    assert_contains(
        &err(b"HTTP/1.1 99 OK\r\n\r\n", false),
        "three-digit status code",
    );
    assert_contains(
        &err(b"HTTP/1.1 abc OK\r\n\r\n", false),
        "three-digit status code",
    );
    assert_eq!(
        err(b"HTTP/1.1 099 OK\r\n\r\n", false),
        "invalid status code 099 (must be 100..=999)"
    );
    assert_eq!(
        err(b"HTTP/1.1 000 OK\r\nBad Name: x\r\n\r\n", false),
        "invalid status code 000 (must be 100..=999)"
    );
    // 999 is a valid (if unknown) code.
    let o = ok(b"HTTP/1.1 999 Odd\r\nContent-Length: 0\r\n\r\n", false);
    assert_eq!(head_status(&o), vec![999]);
}

#[test]
fn bad_header_bytes() {
    assert_contains(
        &err(b"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", false),
        "invalid byte in a header field name",
    );
    assert_contains(
        &err(b"HTTP/1.1 200 OK\r\nX(: x\r\n\r\n", false),
        "invalid byte in a header field name",
    );
    assert_contains(
        &err(b"HTTP/1.1 200 OK\r\n: x\r\n\r\n", false),
        "header field name",
    );
    assert_contains(
        &err(b"HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n", false),
        "invalid byte in a header field value",
    );
    assert_contains(
        &err(b"HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", false),
        "invalid byte in a header field value",
    );
    assert_contains(
        &err(b"HTTP/1.1 200 OK\r\nX: a\x7fb\r\n\r\n", false),
        "invalid byte in a header field value",
    );
}

#[test]
fn obsolete_line_folding_is_refused() {
    assert_contains(
        &err(
            b"HTTP/1.1 200 OK\r\nX: a\r\n  folded\r\nContent-Length: 0\r\n\r\n",
            false,
        ),
        "obsolete line folding",
    );
    assert_contains(
        &err(b"HTTP/1.1 200 OK\r\nX: a\r\n\tfolded\r\n\r\n", false),
        "obsolete line folding",
    );
    assert_contains(
        &err(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: a\r\n b\r\n\r\n",
            false,
        ),
        "obsolete line folding in the trailer section",
    );
}

#[test]
fn content_length_errors() {
    assert_eq!(
        err(
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nContent-Length: 12\r\n\r\n",
            false
        ),
        "two different Content-Length values (10, 12)"
    );
    assert_eq!(
        err(b"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n", false),
        "two different Content-Length values (5, 6)"
    );
    let o = ok(
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
        false,
    );
    assert_eq!(o.body, b"hello");
    let o = ok(
        b"HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello",
        false,
    );
    assert_eq!(o.body, b"hello");
    for bad in ["-1", "abc", "+5", "5 5", "0x10", "1.0"] {
        let bytes = format!("HTTP/1.1 200 OK\r\nContent-Length: {bad}\r\n\r\n");
        let e = err(bytes.as_bytes(), false);
        assert_eq!(
            e,
            format!("invalid Content-Length value \"{bad}\" (must be decimal digits)"),
            "for {bad}"
        );
    }
    assert_eq!(
        err(
            b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
            false
        ),
        "Content-Length value \"99999999999999999999\" does not fit in 64 bits"
    );
    assert_eq!(
        err(b"HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", false),
        "empty Content-Length value"
    );
    // u64::MAX itself parses (and is then just a long body).
    let mut dec = ResponseDecoder::new(&get(), Limits::new());
    let (_, ev) = dec
        .decode(b"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\n")
        .unwrap();
    assert!(matches!(ev, Event::Head(h) if h.content_length() == Some(u64::MAX)));
}

#[test]
fn ambiguous_and_unsupported_transfer_encodings() {
    assert_eq!(
        err(
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            false
        ),
        "ambiguous framing: both Content-Length (3) and Transfer-Encoding are present"
    );
    assert_eq!(
        err(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            false
        ),
        "unsupported Transfer-Encoding \"gzip\" (only chunked is supported)"
    );
    assert_contains(
        &err(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
            false,
        ),
        "unsupported Transfer-Encoding \"gzip\"",
    );
    assert_eq!(
        err(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
            false
        ),
        "Transfer-Encoding applies chunked more than once"
    );
}

#[test]
fn chunk_errors() {
    let pre = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    let with = |rest: &[u8]| [&pre[..], rest].concat();
    assert_eq!(
        err(&with(b"FFFFFFFFFFFFFFFFF\r\n"), false),
        "invalid chunk size line: chunk size does not fit in 64 bits"
    );
    assert_contains(
        &err(&with(b"zz\r\n"), false),
        "invalid chunk size line: expected a hex chunk size",
    );
    assert_contains(&err(&with(b"-1\r\n"), false), "invalid chunk size line");
    assert_contains(
        &err(&with(b" 5\r\nhello\r\n0\r\n\r\n"), false),
        "invalid chunk size line",
    );
    assert_contains(
        &err(&with(b"5 5\r\n"), false),
        "invalid chunk size line: unexpected \"5\"",
    );
    assert_eq!(
        err(&with(b"\r\n"), false),
        "invalid chunk size line: expected a hex chunk size, found \"\\r\""
    );
    assert_eq!(
        err(&with(b"5\rhello"), false),
        "invalid chunk size line: CR not followed by LF"
    );
    assert_contains(
        &err(&with(b"5;a\0\r\n"), false),
        "control byte 0x00 in a chunk extension",
    );
    assert_eq!(
        err(&with(b"5\r\nhelloX\r\n0\r\n\r\n"), false),
        "chunk data not followed by CRLF (found \"X\")"
    );
    assert_eq!(
        err(&with(b"5\r\nhello\rX"), false),
        "chunk data not followed by CRLF (found \"X\")"
    );
    // A 10 KB chunk-size line is refused once it passes the limit.
    let mut long = b"1;".to_vec();
    long.resize(10 * 1024, b'x');
    long.extend_from_slice(b"\r\nz\r\n0\r\n\r\n");
    assert_eq!(
        err(&with(&long), false),
        "chunk size line longer than 4096 bytes"
    );
    // Trailer section with a bad field.
    assert_contains(
        &err(&with(b"0\r\nBad Trailer: x\r\n\r\n"), false),
        "invalid byte in a header field name in the trailer section",
    );
}

#[test]
fn premature_close() {
    assert_eq!(
        err(b"", true),
        "connection closed before the response head was complete (no bytes received)"
    );
    assert_eq!(
        err(b"HTTP/1.1 200 OK\r\nContent-Le", true),
        "connection closed before the response head was complete (27 bytes of it received)"
    );
    let mut short = b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n".to_vec();
    short.resize(short.len() + 120, b'b');
    assert_eq!(
        err(&short, true),
        "connection closed 120 bytes into a 500-byte body"
    );
    let pre = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    let with = |rest: &[u8]| [&pre[..], rest].concat();
    // Chunk line without its CRLF, then eof.
    assert_eq!(
        err(&with(b"5"), true),
        "connection closed before the last chunk"
    );
    // Missing last chunk.
    assert_eq!(
        err(&with(b"5\r\nhello\r\n"), true),
        "connection closed before the last chunk"
    );
    assert_eq!(
        err(&with(b"5\r\nhel"), true),
        "connection closed inside a chunk, before the last chunk"
    );
    assert_eq!(
        err(&with(b"5\r\nhello\r\n0\r\nT: x\r\n"), true),
        "connection closed inside the trailer section of a chunked body"
    );
    // An informational response alone is not a response.
    assert_contains(
        &err(b"HTTP/1.1 100 Continue\r\n\r\n", true),
        "before the response head was complete",
    );
}

#[test]
fn untouched_tracks_whether_anything_was_received() {
    let mut dec = ResponseDecoder::new(&get(), Limits::new());
    assert!(dec.is_untouched());
    assert_eq!(dec.decode(b"").unwrap(), (0, Event::NeedMore));
    assert!(dec.is_untouched());
    assert_eq!(dec.decode(b"HTTP/1.1").unwrap(), (8, Event::NeedMore));
    assert!(!dec.is_untouched());
}

#[test]
fn one_megabyte_head_is_refused_after_the_limit() {
    let mut big = b"HTTP/1.1 200 OK\r\nX: ".to_vec();
    big.resize(1024 * 1024, b'a');
    let mut dec = ResponseDecoder::new(&get(), Limits::new());
    let mut fed = 0;
    let e = loop {
        let piece = &big[fed..fed + 4096];
        match dec.decode(piece) {
            Ok((n, Event::NeedMore)) => {
                assert_eq!(n, piece.len());
                fed += n;
            }
            Ok(other) => panic!("{other:?}"),
            Err(e) => break e,
        }
    };
    assert_eq!(e.message(), "response head larger than 65536 bytes");
    assert!(fed <= MAX_HEAD_BYTES, "refused only after {fed} bytes");
    // Whole, the same.
    assert_eq!(
        whole(&get(), Limits::new(), &big, true).unwrap_err(),
        e.message()
    );
}

#[test]
fn ten_thousand_headers_are_refused_early() {
    let mut v = b"HTTP/1.1 200 OK\r\n".to_vec();
    for _ in 0..10_000 {
        v.extend_from_slice(b"a: b\r\n");
    }
    v.extend_from_slice(b"\r\n");
    assert!(
        v.len() < MAX_HEAD_BYTES,
        "the count, not the size, must trip"
    );
    let e = err(&v, true);
    assert_eq!(e, "more than 100 header fields in the response head");
    // Refused at the 101st field, long before the end of the head.
    let mut dec = ResponseDecoder::new(&get(), Limits::new());
    let cut = 17 + 6 * (MAX_HEADERS + 1);
    assert_eq!(
        dec.decode(&v[..cut - 1]).unwrap(),
        (cut - 1, Event::NeedMore)
    );
    assert!(dec.decode(&v[cut - 1..cut]).is_err());
}

#[test]
fn endless_informational_stream_is_an_error() {
    let v = b"HTTP/1.1 100 Continue\r\n\r\n".repeat(10_000);
    let e = whole(&get(), Limits::new(), &v, true).unwrap_err();
    assert_eq!(e, "more than 32 informational (1xx) responses");
}

#[test]
fn errors_are_sticky_and_eof_after_error_repeats_it() {
    let mut dec = ResponseDecoder::new(&get(), Limits::new());
    let e = dec.decode(b"junk").unwrap_err();
    assert_eq!(dec.decode(b"HTTP/1.1 200 OK\r\n\r\n").unwrap_err(), e);
    assert_eq!(dec.eof().unwrap_err(), e);
    assert!(!dec.is_done());
}
