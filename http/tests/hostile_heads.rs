//! Hostile servers, part one: bad response heads and bad redirects.
//!
//! Every case: an error of kind Protocol whose message names what was
//! wrong, promptly, never a panic or a success; then the same client
//! succeeds at once against a well-behaved server on the same listener.
//! (After curl's tests/data and llhttp's test/response corpora.)

mod support;

use std::time::Duration;

use aio::run;
use aio_http::proto::{MAX_HEADERS, MAX_HEAD_BYTES, MAX_INFORMATIONAL};
use aio_http::Kind;
use support::hostile::{builder, case, follow_up, Expect, Read};
use support::script::{End, Script, ScriptServer, Step};

fn protocol(reply: &[u8], says: &'static str) {
    case(
        Script::close(reply.to_vec()),
        builder(),
        Read::Bytes,
        Expect::prompt(Kind::Protocol, says),
    );
}

#[test]
fn garbage_status_line() {
    protocol(
        b"HTCPCP/1.0 418 I'm a teapot\r\n\r\n",
        "invalid status line starting with \"HTC\"",
    );
    protocol(
        b"HTTP/2 200 OK\r\ncontent-length: 0\r\n\r\n",
        "expected HTTP/1.0 or HTTP/1.1",
    );
    protocol(
        b"HTTP/1.1 OK 200\r\ncontent-length: 0\r\n\r\n",
        "expected a three-digit status code",
    );
}

#[test]
fn empty_status_line() {
    protocol(b"\r\n\r\n", "empty status line");
    protocol(b"\nHTTP/1.1 200 OK\r\n\r\n", "empty status line");
}

#[test]
fn http09_reply_without_a_head() {
    protocol(
        b"<html><body>hello</body></html>",
        "HTTP/0.9 replies are not supported",
    );
}

#[test]
fn status_code_out_of_range() {
    protocol(
        b"HTTP/1.1 1000 Big\r\ncontent-length: 0\r\n\r\n",
        "expected a three-digit status code",
    );
    protocol(
        b"HTTP/1.1 099 Small\r\ncontent-length: 0\r\n\r\n",
        "invalid status code 099 (must be 100..=999)",
    );
    protocol(
        b"HTTP/1.1 -20 Negative\r\ncontent-length: 0\r\n\r\n",
        "expected a three-digit status code",
    );
}

#[test]
fn invalid_header_name_bytes() {
    protocol(
        b"HTTP/1.1 200 OK\r\nBad Name: x\r\ncontent-length: 0\r\n\r\n",
        "invalid byte in a header field name",
    );
    protocol(
        b"HTTP/1.1 200 OK\r\nx\x01y: z\r\ncontent-length: 0\r\n\r\n",
        "invalid byte in a header field name",
    );
    protocol(
        b"HTTP/1.1 200 OK\r\n: empty-name\r\ncontent-length: 0\r\n\r\n",
        "header field name",
    );
}

#[test]
fn nul_in_a_header_value() {
    protocol(
        b"HTTP/1.1 200 OK\r\nx-a: be\0fore\r\ncontent-length: 0\r\n\r\n",
        "invalid byte in a header field value",
    );
}

#[test]
fn bare_cr_in_a_header_value() {
    protocol(
        b"HTTP/1.1 200 OK\r\nx-a: one\rtwo\r\ncontent-length: 0\r\n\r\n",
        "bare CR",
    );
}

#[test]
fn obsolete_line_folding() {
    protocol(
        b"HTTP/1.1 200 OK\r\nx-a: one\r\n two\r\ncontent-length: 0\r\n\r\n",
        "obsolete line folding",
    );
    protocol(
        b"HTTP/1.1 200 OK\r\nx-a: one\r\n\ttwo\r\ncontent-length: 0\r\n\r\n",
        "obsolete line folding",
    );
}

#[test]
fn two_different_content_lengths() {
    protocol(
        b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\nhello!",
        "two different Content-Length values (5, 6)",
    );
    protocol(
        b"HTTP/1.1 200 OK\r\ncontent-length: 5, 6\r\n\r\nhello!",
        "two different Content-Length values (5, 6)",
    );
}

#[test]
fn bad_content_length_values() {
    protocol(
        b"HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n",
        "invalid Content-Length value \"-1\" (must be decimal digits)",
    );
    protocol(
        b"HTTP/1.1 200 OK\r\ncontent-length: +5\r\n\r\nhello",
        "invalid Content-Length value \"+5\"",
    );
    protocol(
        b"HTTP/1.1 200 OK\r\ncontent-length: ten\r\n\r\n0123456789",
        "invalid Content-Length value \"ten\"",
    );
    protocol(
        b"HTTP/1.1 200 OK\r\ncontent-length: 0x10\r\n\r\n",
        "invalid Content-Length value \"0x10\"",
    );
    protocol(
        b"HTTP/1.1 200 OK\r\ncontent-length: 99999999999999999999\r\n\r\n",
        "Content-Length value \"99999999999999999999\" does not fit in 64 bits",
    );
    protocol(
        b"HTTP/1.1 200 OK\r\ncontent-length: \r\n\r\n",
        "empty Content-Length value",
    );
}

#[test]
fn content_length_with_chunked() {
    protocol(
        b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "ambiguous framing: both Content-Length (5) and Transfer-Encoding are present",
    );
    protocol(
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        "unsupported Transfer-Encoding \"gzip\"",
    );
}

#[test]
fn a_one_megabyte_head_is_refused_after_64_kib() {
    let mut head = b"HTTP/1.1 200 OK\r\n".to_vec();
    let line = format!("x-filler: {}\r\n", "a".repeat(1000));
    while head.len() < 1 << 20 {
        head.extend_from_slice(line.as_bytes());
    }
    head.extend_from_slice(b"content-length: 0\r\n\r\n");
    protocol(&head, "response head larger than 65536 bytes");

    // One single 1 MB header line, too.
    let mut head = b"HTTP/1.1 200 OK\r\nx-big: ".to_vec();
    head.resize(1 << 20, b'b');
    head.extend_from_slice(b"\r\n\r\n");
    protocol(&head, "response head larger than 65536 bytes");
}

#[test]
fn an_endless_head_is_refused_and_not_read_on() {
    // The server sends header lines until the client hangs up: the client
    // must stop after 64 KiB and close, which is what ends the stream.
    let script = Script::send(
        b"HTTP/1.1 200 OK\r\n".to_vec(),
        End::Forever(b"x-more: yes\r\n".to_vec()),
    );
    let server = ScriptServer::start(script);
    let stream = b"x-more: yes\r\n".len();
    // Short lines: the header count is the first limit hit.
    assert!(stream * (MAX_HEADERS + 1) < MAX_HEAD_BYTES);
    support::hostile::case_on(
        &server,
        builder(),
        Read::Bytes,
        Expect::prompt(
            Kind::Protocol,
            "more than 100 header fields in the response head",
        ),
    );

    let script = Script::send(
        b"HTTP/1.1 200 OK\r\nx-long: ".to_vec(),
        End::Forever(vec![b'z'; 4096]),
    );
    let server = ScriptServer::start(script);
    support::hostile::case_on(
        &server,
        builder(),
        Read::Bytes,
        Expect::prompt(Kind::Protocol, "response head larger than 65536 bytes"),
    );
}

#[test]
fn ten_thousand_headers() {
    let mut head = b"HTTP/1.1 200 OK\r\n".to_vec();
    for i in 0..10_000 {
        head.extend_from_slice(format!("h{i}: v\r\n").as_bytes());
    }
    head.extend_from_slice(b"content-length: 0\r\n\r\n");
    protocol(&head, "more than 100 header fields in the response head");

    // At the limit it is fine.
    let mut head = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n".to_vec();
    for i in 1..MAX_HEADERS {
        head.extend_from_slice(format!("h{i}: v\r\n").as_bytes());
    }
    head.extend_from_slice(b"\r\nok");
    let server = ScriptServer::start(Script::send(head, End::KeepServing));
    run(async {
        let client = builder().build().unwrap();
        let resp = client.get(server.url("/bad")).await.unwrap();
        assert_eq!(resp.headers().len(), MAX_HEADERS);
        assert_eq!(resp.text().await.unwrap(), "ok");
        follow_up(&client, &server).await;
    });
}

#[test]
fn an_endless_stream_of_informational_responses() {
    let script = Script {
        steps: vec![],
        end: End::Forever(b"HTTP/1.1 100 Continue\r\n\r\n".to_vec()),
    };
    let err = case(
        script,
        builder(),
        Read::Bytes,
        Expect::prompt(Kind::Protocol, "more than 32 informational (1xx) responses"),
    );
    assert!(format!("{err:#}").contains(&MAX_INFORMATIONAL.to_string()));

    // 32 are fine.
    let mut reply = b"HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n".repeat(MAX_INFORMATIONAL);
    reply.extend_from_slice(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
    let server = ScriptServer::start(Script::send(reply, End::KeepServing));
    run(async {
        let client = builder().build().unwrap();
        let resp = client.get(server.url("/bad")).await.unwrap();
        assert_eq!(resp.text().await.unwrap(), "ok");
        follow_up(&client, &server).await;
    });
}

#[test]
fn a_redirect_to_ftp_is_refused() {
    protocol(
        b"HTTP/1.1 302 Found\r\nlocation: ftp://127.0.0.1/file\r\ncontent-length: 0\r\n\r\n",
        "redirect to unsupported URL scheme \"ftp\"",
    );
    protocol(
        b"HTTP/1.1 301 Moved\r\nlocation: javascript:alert(1)\r\ncontent-length: 0\r\n\r\n",
        "redirect to unsupported URL scheme \"javascript\"",
    );
    protocol(
        b"HTTP/1.1 307 Temporary\r\nlocation: http://[::1\r\ncontent-length: 0\r\n\r\n",
        "invalid redirect Location",
    );
}

#[test]
fn a_redirect_without_location_is_returned_as_is() {
    let server = ScriptServer::start(Script::send(
        b"HTTP/1.1 302 Found\r\ncontent-length: 5\r\n\r\nmoved".to_vec(),
        End::KeepServing,
    ));
    run(async {
        let client = builder().build().unwrap();
        let resp = client.get(server.url("/bad")).await.unwrap();
        assert_eq!(resp.status(), 302);
        assert_eq!(resp.url().path(), "/bad");
        assert_eq!(resp.text().await.unwrap(), "moved");
        follow_up(&client, &server).await;
    });
    // One connection carried both.
    assert_eq!(server.accepts(), 1);
}

#[test]
fn a_redirect_with_a_100_kb_location_is_refused() {
    let mut reply = b"HTTP/1.1 302 Found\r\nlocation: /".to_vec();
    reply.resize(100 * 1024, b'a');
    reply.extend_from_slice(b"\r\ncontent-length: 0\r\n\r\n");
    protocol(&reply, "response head larger than 65536 bytes");
}

#[test]
fn a_response_head_split_everywhere_still_parses() {
    // Not hostile, but slow: a head sent in tiny pieces with pauses is fine
    // as long as each wait is shorter than the read timeout.
    let reply = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok".to_vec();
    let script = Script {
        steps: vec![Step::Drip(reply, Duration::from_millis(2))],
        end: End::KeepServing,
    };
    let server = ScriptServer::start(script);
    run(async {
        let client = builder().build().unwrap();
        let resp = client.get(server.url("/bad")).await.unwrap();
        assert_eq!(resp.text().await.unwrap(), "ok");
        follow_up(&client, &server).await;
    });
    assert_eq!(server.accepts(), 1);
}
