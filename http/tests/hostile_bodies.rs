//! Hostile servers, part two: bad and endless bodies, servers that stall,
//! drip or reset, TLS truncation, and bytes past the end of a response.
//!
//! Every case: an error of the right kind (Body for a bad body, Timeout for
//! a slow server) whose message names what was wrong, within the limits
//! configured, never a panic or a truncated success; then the same client
//! succeeds at once against a well-behaved server.

mod support;

use std::time::Duration;

use aio::run;
use aio_http::proto::MAX_CHUNK_LINE;
use aio_http::{Client, Kind};
use support::certs::TestCa;
use support::hostile::{builder, case, case_on, follow_up, timed, Expect, Read};
use support::script::{good_response, End, Script, ScriptServer, Step, GOOD_BODY};
use support::server::TestServer;

const CHUNKED_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n";

fn body_error(reply: &[u8], says: &'static str) {
    for how in [Read::Bytes, Read::Chunks] {
        case(
            Script::close(reply.to_vec()),
            builder(),
            how,
            Expect::prompt(Kind::Body, says),
        );
    }
}

fn chunked(rest: &[u8]) -> Vec<u8> {
    [CHUNKED_HEAD, rest].concat()
}

#[test]
fn chunk_size_that_overflows_u64() {
    body_error(
        &chunked(b"1FFFFFFFFFFFFFFFF\r\nx\r\n0\r\n\r\n"),
        "invalid chunk size line: chunk size does not fit in 64 bits",
    );
    // u64::MAX fits the line, and then the body is simply cut short.
    body_error(
        &chunked(b"FFFFFFFFFFFFFFFF\r\nabc"),
        "connection closed inside a chunk, before the last chunk",
    );
}

#[test]
fn chunk_size_line_without_crlf_then_close() {
    body_error(
        &chunked(b"5"),
        "response body cut short: connection closed before the last chunk",
    );
    body_error(
        &chunked(b"5\r\nhello\r\n3;ext=1"),
        "connection closed before the last chunk",
    );
}

#[test]
fn chunk_size_line_ten_kilobytes_long() {
    // Leading zeros never overflow: only the line limit stops them.
    let mut zeros = vec![b'0'; 10 * 1024];
    zeros.extend_from_slice(b"5\r\nhello\r\n0\r\n\r\n");
    body_error(&chunked(&zeros), "chunk size line longer than 4096 bytes");
    let mut ext = b"5;".to_vec();
    ext.resize(10 * 1024, b'e');
    ext.extend_from_slice(b"\r\nhello\r\n0\r\n\r\n");
    body_error(&chunked(&ext), "chunk size line longer than 4096 bytes");
    assert_eq!(MAX_CHUNK_LINE, 4096);
}

#[test]
fn bad_chunk_framing() {
    body_error(
        &chunked(b"zz\r\nhello\r\n0\r\n\r\n"),
        "invalid response body: invalid chunk size line: expected a hex chunk size",
    );
    body_error(
        &chunked(b"5\r\nhelloXX\r\n0\r\n\r\n"),
        "chunk data not followed by CRLF",
    );
    body_error(
        &chunked(b"-5\r\nhello\r\n0\r\n\r\n"),
        "expected a hex chunk size",
    );
    body_error(
        &chunked(b"0x5\r\nhello\r\n0\r\n\r\n"),
        "unexpected \"x\" after the chunk size",
    );
}

#[test]
fn missing_last_chunk_then_close() {
    body_error(
        &chunked(b"5\r\nhello\r\n"),
        "connection closed before the last chunk",
    );
    // The last chunk, but the trailer section never ends.
    body_error(
        &chunked(b"5\r\nhello\r\n0\r\nx-trailer: 1\r\n"),
        "connection closed inside the trailer section of a chunked body",
    );
}

#[test]
fn body_shorter_than_content_length_then_close() {
    body_error(
        b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n12345",
        "response body cut short: connection closed 5 bytes into a 10-byte body",
    );
    body_error(
        b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n",
        "connection closed 0 bytes into a 10-byte body",
    );
}

const FAKE: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nevil";

#[test]
fn body_longer_than_content_length_is_never_read_as_the_next_response() {
    // The extra bytes come in the same write as the real response.
    let reply = [
        b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello".as_slice(),
        FAKE,
    ]
    .concat();
    let server = ScriptServer::start(Script::send(reply, End::KeepServing));
    run(async {
        let client = builder().build().unwrap();
        let body = client.get(server.url("/bad")).await.unwrap().bytes().await;
        assert_eq!(body.unwrap(), &b"hello"[..]);
        follow_up(&client, &server).await;
        follow_up(&client, &server).await;
    });
    // The first connection, holding the stray bytes, was not reused.
    let requests = server.requests();
    assert_eq!(requests[0], (0, "/bad".to_owned()));
    assert!(
        requests[1..].iter().all(|(conn, _)| *conn != 0),
        "{requests:?}"
    );
}

#[test]
fn bodies_where_none_may_be_are_never_read_as_the_next_response() {
    // A server sending a body after a HEAD response, a 204 or a 304, or
    // past "Content-Length: 0": those bytes are not a response.
    for (method, reply) in [
        (
            "HEAD",
            b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\n".as_slice(),
        ),
        ("GET", b"HTTP/1.1 204 No Content\r\n\r\n"),
        (
            "GET",
            b"HTTP/1.1 304 Not Modified\r\ncontent-length: 4\r\n\r\n",
        ),
        ("GET", b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"),
    ] {
        let server = ScriptServer::start(Script::send([reply, FAKE].concat(), End::KeepServing));
        run(async {
            let client = builder().build().unwrap();
            let method = aio_http::Method::from_bytes(method.as_bytes()).unwrap();
            let resp = client.request(method, server.url("/bad")).await.unwrap();
            assert!(resp.bytes().await.unwrap().is_empty());
            follow_up(&client, &server).await;
        });
        let requests = server.requests();
        assert_ne!(
            requests[1].0,
            0,
            "{}: {requests:?}",
            String::from_utf8_lossy(reply)
        );
    }
}

#[test]
fn stray_bytes_arriving_while_idle_make_the_connection_unusable() {
    // The extra bytes come a little later, while the connection is idle in
    // the pool: the checkout probe must see them.
    let script = Script {
        steps: vec![
            Step::Write(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello".to_vec()),
            Step::Sleep(Duration::from_millis(30)),
            Step::Write(FAKE.to_vec()),
        ],
        end: End::KeepServing,
    };
    let server = ScriptServer::start(script);
    run(async {
        let client = builder().build().unwrap();
        let body = client.get(server.url("/bad")).await.unwrap().bytes().await;
        assert_eq!(body.unwrap(), &b"hello"[..]);
        // Until the stray bytes were written, then one more turn of the
        // loop (it polls for I/O) so the reactor has seen them.
        while server.scripts_played() < 1 {
            aio_reactor::time::sleep(Duration::from_millis(1)).await;
        }
        aio_reactor::time::sleep(Duration::from_millis(1)).await;
        follow_up(&client, &server).await;
    });
    let requests = server.requests();
    assert_eq!(requests[1].0, 1, "{requests:?}");
}

#[test]
fn body_longer_than_content_length_over_tls_is_not_reused() {
    // The response fills the client's 16 KiB read buffer exactly, so the
    // stray bytes stay inside the TLS layer (decrypted, not yet read), where
    // a look at the TCP socket cannot see them.
    let ca = TestCa::new("stray CA");
    let head = b"HTTP/1.1 200 OK\r\ncontent-length: ";
    for total in [16 * 1024, 16 * 1024 - 1, 16 * 1024 + 1, 8 * 1024, 32 * 1024] {
        let server = TestServer::https(ca.localhost().server_config(), move |peer| {
            let mut peer = peer;
            let mut first = true;
            while let Some(req) = peer.read_request() {
                if req.target == "/good" {
                    peer.write(&good_response());
                    continue;
                }
                // head + digits + CRLFCRLF + body == total.
                let mut body_len = total - head.len() - 4 - 5;
                body_len += 5 - body_len.to_string().len();
                let mut reply = head.to_vec();
                reply.extend_from_slice(format!("{body_len}\r\n\r\n").as_bytes());
                reply.resize(reply.len() + body_len, b'b');
                assert_eq!(reply.len(), total);
                if first {
                    reply.extend_from_slice(FAKE);
                    first = false;
                }
                peer.write(&reply);
            }
        });
        run(async {
            let client = Client::builder()
                .trust_env(false)
                .add_root_certificate(&ca.cert_pem)
                .timeout(Duration::from_secs(4))
                .build()
                .unwrap();
            let body = client.get(server.url("/bad")).await.unwrap().bytes().await;
            assert!(body.unwrap().iter().all(|&b| b == b'b'));
            let resp = client.get(server.url("/good")).await.unwrap();
            assert_eq!(
                resp.bytes().await.unwrap(),
                GOOD_BODY,
                "stray bytes read as a response (total {total})"
            );
        });
        assert_eq!(server.accepts(), 2, "total {total}");
    }
}

#[test]
fn slow_loris_head_is_stopped_by_the_total_timeout() {
    // A byte every 50 ms: a read timeout of 300 ms never fires (it bounds
    // each wait), the total timeout of 600 ms does.
    let mut head = b"HTTP/1.1 200 OK\r\n".to_vec();
    head.resize(400, b'x');
    let script = Script {
        steps: vec![Step::Drip(head, Duration::from_millis(50))],
        end: End::Close,
    };
    let c = builder()
        .read_timeout(Duration::from_millis(300))
        .timeout(Duration::from_millis(600));
    case(
        script,
        c,
        Read::Bytes,
        Expect::timeout(
            "timed out after 600 ms waiting for the response head (total timeout, set by ClientBuilder::timeout or RequestBuilder::timeout)",
            Duration::from_millis(600),
        ),
    );
}

#[test]
fn read_timeout_fires_when_the_gap_between_bytes_exceeds_it() {
    let script = Script {
        steps: vec![
            Step::Drip(b"HTTP/1.1 200".to_vec(), Duration::from_millis(20)),
            Step::Sleep(Duration::from_millis(1500)),
            Step::Write(b" OK\r\n\r\n".to_vec()),
        ],
        end: End::Close,
    };
    let c = builder().read_timeout(Duration::from_millis(300));
    case(
        script,
        c,
        Read::Bytes,
        Expect {
            kind: Kind::Timeout,
            says: "timed out after 300 ms waiting for the response head (read timeout, set by ClientBuilder::read_timeout)",
            within: Duration::from_millis(1300),
            not_before: Duration::from_millis(300),
        },
    );
}

#[test]
fn server_stopping_mid_body_times_out_naming_the_body() {
    let script = Script::send(
        b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nstart".to_vec(),
        End::Hang(Duration::from_secs(3)),
    );
    let server = ScriptServer::start(script);
    let limit = Duration::from_millis(300);
    for how in [Read::Bytes, Read::Chunks, Read::Text] {
        case_on(
            &server,
            builder().read_timeout(limit),
            how,
            Expect::timeout(
                "timed out after 300 ms reading the response body (read timeout, set by ClientBuilder::read_timeout)",
                limit,
            ),
        );
    }
    case_on(
        &server,
        builder().timeout(limit),
        Read::Bytes,
        Expect::timeout(
            "timed out after 300 ms reading the response body (total timeout, set by ClientBuilder::timeout or RequestBuilder::timeout)",
            limit,
        ),
    );
}

#[test]
fn slow_loris_body_is_stopped_by_the_total_timeout() {
    let mut reply = b"HTTP/1.1 200 OK\r\ncontent-length: 400\r\n\r\n".to_vec();
    let script = Script {
        steps: vec![
            Step::Write(std::mem::take(&mut reply)),
            Step::Drip(vec![b'd'; 400], Duration::from_millis(50)),
        ],
        end: End::Close,
    };
    let c = builder()
        .read_timeout(Duration::from_millis(300))
        .timeout(Duration::from_millis(600));
    case(
        script,
        c,
        Read::Bytes,
        Expect::timeout(
            "timed out after 600 ms reading the response body (total timeout, set by ClientBuilder::timeout or RequestBuilder::timeout)",
            Duration::from_millis(600),
        ),
    );
}

#[test]
fn reset_mid_body_is_a_body_error() {
    let script = Script {
        steps: vec![
            Step::Write(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789".to_vec()),
            Step::Sleep(Duration::from_millis(100)),
        ],
        end: End::Reset,
    };
    let server = ScriptServer::start(script);
    for how in [Read::Bytes, Read::Chunks] {
        let err = case_on(
            &server,
            builder(),
            how,
            Expect::prompt(
                Kind::Body,
                "response body cut short: connection closed 10 bytes into a 100-byte body",
            ),
        );
        assert!(
            format!("{err:#}").to_lowercase().contains("reset"),
            "{err:#}"
        );
    }
    // Chunked and close-delimited bodies too.
    for reply in [
        chunked(b"5\r\nhello\r\n"),
        b"HTTP/1.1 200 OK\r\n\r\nuntil close".to_vec(),
    ] {
        let script = Script {
            steps: vec![Step::Write(reply), Step::Sleep(Duration::from_millis(100))],
            end: End::Reset,
        };
        let err = case(
            script,
            builder(),
            Read::Bytes,
            Expect::prompt(Kind::Body, "reset"),
        );
        assert!(format!("{err:#}").contains("response body"), "{err:#}");
    }
}

#[test]
fn reset_before_the_head_is_a_protocol_error() {
    let script = Script {
        steps: vec![
            Step::Write(b"HTTP/1.1 200 OK\r\n".to_vec()),
            Step::Sleep(Duration::from_millis(100)),
        ],
        end: End::Reset,
    };
    let err = case(
        script,
        builder(),
        Read::Bytes,
        Expect::prompt(
            Kind::Protocol,
            "connection failed while waiting for the response head",
        ),
    );
    assert!(
        format!("{err:#}").to_lowercase().contains("reset"),
        "{err:#}"
    );
}

/// An HTTPS server: `/good` is answered well; anything else gets `reply`,
/// then a TCP close without close_notify.
fn tls_truncating_server(ca: &TestCa, reply: &'static [u8]) -> TestServer {
    TestServer::https(ca.localhost().server_config(), move |mut peer| {
        while let Some(req) = peer.read_request() {
            if req.target == "/good" {
                peer.write(&good_response());
                continue;
            }
            peer.write(reply);
            peer.close();
            return;
        }
    })
}

#[test]
fn tls_close_without_close_notify_mid_body_is_an_error() {
    let ca = TestCa::new("truncation CA");
    for (reply, says) in [
        (
            b"HTTP/1.1 200 OK\r\n\r\nclose-delimited, but cut".as_slice(),
            "peer closed the TLS connection without close_notify (the response may be truncated)",
        ),
        (
            b"HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\nshort",
            "connection closed 5 bytes into a 50-byte body",
        ),
    ] {
        let server = tls_truncating_server(&ca, reply);
        run(async {
            let client = Client::builder()
                .trust_env(false)
                .add_root_certificate(&ca.cert_pem)
                .timeout(Duration::from_secs(4))
                .build()
                .unwrap();
            let url = server.url("/bad");
            let (result, elapsed) = timed(async { client.get(&url).await?.bytes().await }).await;
            let err = result.expect_err("a truncated body must not be a success");
            assert_eq!(err.kind(), Kind::Body, "{err:#}");
            assert!(format!("{err:#}").contains(says), "{err:#}");
            assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
            let resp = client.get(server.url("/good")).await.unwrap();
            assert_eq!(resp.bytes().await.unwrap(), GOOD_BODY);
        });
    }
}

const LIMIT: u64 = 64 * 1024;

fn endless(head: &[u8], piece: Vec<u8>, how: Read) {
    let server = ScriptServer::start(Script::send(head.to_vec(), End::Forever(piece)));
    case_on(
        &server,
        builder().max_body_size(LIMIT),
        how,
        Expect::prompt(
            Kind::Body,
            "response body larger than the limit of 65536 bytes (max_body_size)",
        ),
    );
    // The client closed the connection, which is what stopped the server:
    // it read no more than it had to.
    assert!(
        server.wait_forever_stopped(Duration::from_secs(3)),
        "the client kept the endless body's connection open"
    );
}

fn chunk_of(size: usize) -> Vec<u8> {
    let mut piece = format!("{size:x}\r\n").into_bytes();
    piece.resize(piece.len() + size, b'c');
    piece.extend_from_slice(b"\r\n");
    piece
}

#[test]
fn endless_chunked_body_under_max_body_size() {
    for how in [Read::Bytes, Read::Text, Read::Json, Read::Chunks] {
        endless(CHUNKED_HEAD, chunk_of(4096), how);
    }
    // One enormous chunk instead of many small ones.
    let head = [CHUNKED_HEAD, b"FFFFFFFFFFFF\r\n"].concat();
    endless(&head, vec![b'c'; 4096], Read::Bytes);
}

#[test]
fn endless_close_delimited_body_under_max_body_size() {
    for how in [Read::Bytes, Read::Text, Read::Json, Read::Chunks] {
        endless(b"HTTP/1.1 200 OK\r\n\r\n", vec![b'e'; 4096], how);
    }
}

#[test]
fn huge_content_length_under_max_body_size_is_refused_before_reading() {
    let server = ScriptServer::start(Script::send(
        b"HTTP/1.1 200 OK\r\ncontent-length: 18446744073709551615\r\n\r\n".to_vec(),
        End::Forever(vec![b'l'; 4096]),
    ));
    case_on(
        &server,
        builder().max_body_size(LIMIT),
        Read::Json,
        Expect::prompt(
            Kind::Body,
            "response body of 18446744073709551615 bytes (Content-Length) is larger than the limit of 65536 bytes",
        ),
    );
    assert!(server.wait_forever_stopped(Duration::from_secs(3)));
}

#[test]
fn bodies_at_the_limit_are_fine_under_every_framing() {
    let body = vec![b'a'; LIMIT as usize];
    let mut chunked_reply = CHUNKED_HEAD.to_vec();
    for piece in body.chunks(1000) {
        chunked_reply.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        chunked_reply.extend_from_slice(piece);
        chunked_reply.extend_from_slice(b"\r\n");
    }
    chunked_reply.extend_from_slice(b"0\r\n\r\n");
    let length_reply = support::server::response("200 OK", &[], &body);
    let close_reply = [b"HTTP/1.1 200 OK\r\n\r\n".as_slice(), &body].concat();
    for (reply, end) in [
        (chunked_reply, End::KeepServing),
        (length_reply, End::KeepServing),
        (close_reply, End::Close),
    ] {
        let server = ScriptServer::start(Script::send(reply, end));
        run(async {
            let client = builder().max_body_size(LIMIT).build().unwrap();
            let got = client.get(server.url("/bad")).await.unwrap().bytes().await;
            assert_eq!(got.unwrap().len(), LIMIT as usize);
            follow_up(&client, &server).await;
        });
    }
}
