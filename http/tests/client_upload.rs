//! Streamed request bodies: chunked framing byte for byte, declared lengths
//! held to, stream errors and stalls, and the places a body could be sent
//! twice (a redirect that keeps it, the stale-connection retry, opt-in
//! retries) never sending a stream again.

mod support;

use std::time::Duration;

use aio::run;
use aio_http::multipart::Form;
use aio_http::{Body, Client, Kind, Retry, StatusCode};
use support::server::{recording, response, TestServer};
use support::upload::{Chunks, Stalled, TempFile};

fn client() -> Client {
    Client::builder().trust_env(false).build().unwrap()
}

#[test]
fn a_stream_is_sent_chunked_byte_for_byte() {
    static BIG: [u8; 70_000] = [b'x'; 70_000];
    let (server, requests) = recording(|_| response("200 OK", &[], b"ok"));
    run(async {
        let body = Body::wrap_stream(Chunks::of(&[b"hello", b"", b" world", &BIG]));
        assert_eq!(body.content_length(), None);
        let resp = client().post(server.url("/up")).body(body).await.unwrap();
        assert_eq!(resp.text().await.unwrap(), "ok");
    });
    let req = requests.recv().unwrap();
    assert_eq!(req.header("transfer-encoding"), Some("chunked"));
    assert_eq!(req.header("content-length"), None);
    // The empty chunk is skipped (it would end the body); a chunk larger
    // than a piece (64 KiB) is split.
    let mut expected = b"5\r\nhello\r\n6\r\n world\r\n10000\r\n".to_vec();
    expected.extend_from_slice(&BIG[..0x10000]);
    expected.extend_from_slice(b"\r\n1170\r\n");
    expected.extend_from_slice(&BIG[0x10000..]);
    expected.extend_from_slice(b"\r\n0\r\n\r\n");
    assert_eq!(req.wire_body, expected);
    assert_eq!(req.body.len(), 11 + BIG.len());
}

#[test]
fn a_reader_is_sent_with_its_declared_length_or_chunked() {
    let (server, requests) = recording(|_| response("200 OK", &[], b""));
    run(async {
        let c = client();
        let sized = Body::from_reader(&b"exactly 17 bytes!"[..], Some(17));
        assert_eq!(sized.content_length(), Some(17));
        c.put(server.url("/sized")).body(sized).await.unwrap();
        let unsized_ = Body::from_reader(&b"no length"[..], None);
        c.put(server.url("/unsized")).body(unsized_).await.unwrap();
        // An empty stream is a body all the same: the last chunk only.
        let empty = Body::wrap_stream(Chunks::of(&[]));
        c.put(server.url("/empty")).body(empty).await.unwrap();
    });
    let sized = requests.recv().unwrap();
    assert_eq!(sized.header("content-length"), Some("17"));
    assert_eq!(sized.header("transfer-encoding"), None);
    assert_eq!(sized.wire_body, b"exactly 17 bytes!");
    let unsized_ = requests.recv().unwrap();
    assert_eq!(unsized_.wire_body, b"9\r\nno length\r\n0\r\n\r\n");
    let empty = requests.recv().unwrap();
    assert_eq!(empty.wire_body, b"0\r\n\r\n");
    // All three on one connection: each ended cleanly.
    assert_eq!(server.accepts(), 1);
}

#[test]
fn bodies_in_memory_keep_their_content_length() {
    let (server, requests) = recording(|_| response("200 OK", &[], b""));
    run(async {
        let c = client();
        c.post(server.url("/")).body(vec![1u8, 2, 3]).await.unwrap();
        c.post(server.url("/"))
            .body(aio_http::Bytes::from_static(b"static"))
            .await
            .unwrap();
        c.post(server.url("/")).body(b"array").await.unwrap();
        c.post(server.url("/"))
            .body(String::from("text"))
            .await
            .unwrap();
    });
    let bodies: Vec<(Option<String>, Vec<u8>)> = requests
        .try_iter()
        .map(|r| (r.header("content-length").map(str::to_owned), r.wire_body))
        .collect();
    let expect = |n: &str, b: &[u8]| (Some(n.to_owned()), b.to_vec());
    assert_eq!(
        bodies,
        [
            expect("3", &[1, 2, 3]),
            expect("6", b"static"),
            expect("5", b"array"),
            expect("4", b"text")
        ]
    );
}

#[test]
fn a_body_of_another_length_than_declared_is_a_body_error() {
    let (server, _requests) = recording(|_| response("200 OK", &[], b""));
    let (short, long) = run(async {
        let c = client();
        let short = Body::from_reader(&b"12345"[..], Some(10));
        let short = c.put(server.url("/short")).body(short).await.unwrap_err();
        let long = Body::from_reader(&b"12345"[..], Some(3));
        let long = c.put(server.url("/long")).body(long).await.unwrap_err();
        (short, long)
    });
    assert_eq!(short.kind(), Kind::Body);
    assert_eq!(
        short.to_string(),
        format!(
            "PUT {}: the request body ended after 5 of its declared 10 bytes",
            server.url("/short")
        )
    );
    assert_eq!(long.kind(), Kind::Body);
    assert_eq!(
        long.to_string(),
        format!(
            "PUT {}: the request body is longer than its declared length of 3 bytes",
            server.url("/long")
        )
    );
}

#[test]
fn a_file_that_changed_size_after_it_was_opened_is_a_body_error() {
    let file = TempFile::new("shrinks.bin", &[7u8; 1000]);
    let (server, _requests) = recording(|_| response("200 OK", &[], b""));
    let e = run(async {
        let form = Form::new().file("data", &file.0).await.unwrap();
        std::fs::write(&file.0, b"0123456789").unwrap();
        client()
            .post(server.url("/"))
            .multipart(form)
            .await
            .unwrap_err()
    });
    assert_eq!(e.kind(), Kind::Body);
    assert!(
        e.to_string()
            .ends_with("multipart part \"data\" ended after 10 of its declared 1000 bytes"),
        "{e}"
    );
}

#[test]
fn a_stream_error_ends_the_request_with_it_as_the_cause() {
    let (server, _requests) = recording(|_| response("200 OK", &[], b""));
    let e = run(async {
        let mut chunks = Chunks::of(&[b"first"]);
        chunks
            .0
            .push_back(Err(std::io::Error::other("disk on fire")));
        client()
            .post(server.url("/"))
            .body(Body::wrap_stream(chunks))
            .await
            .unwrap_err()
    });
    assert_eq!(e.kind(), Kind::Body);
    assert!(
        e.to_string().ends_with(": the request body stream failed"),
        "{e}"
    );
    assert_eq!(
        std::error::Error::source(&e).unwrap().to_string(),
        "disk on fire"
    );
}

#[test]
fn a_stalled_stream_is_cut_by_the_total_timeout() {
    let (server, _requests) = recording(|_| response("200 OK", &[], b""));
    let e = run(async {
        client()
            .post(server.url("/"))
            .timeout(Duration::from_millis(100))
            .body(Body::wrap_stream(Stalled))
            .await
            .unwrap_err()
    });
    assert_eq!(e.kind(), Kind::Timeout);
    let text = e.to_string();
    assert!(
        text.contains("sending the request (total timeout"),
        "{text}"
    );
}

#[test]
fn a_redirect_that_keeps_a_streamed_body_is_returned_not_followed() {
    let (server, requests) = recording(|req| match req.target.as_str() {
        "/keep" => response("307 Temporary Redirect", &[("location", "/final")], b""),
        "/see" => response("303 See Other", &[("location", "/final")], b""),
        _ => response("200 OK", &[], req.method.as_bytes()),
    });
    run(async {
        let c = client();
        let body = Body::wrap_stream(Chunks::of(&[b"data"]));
        let resp = c.put(server.url("/keep")).body(body).await.unwrap();
        assert_eq!(resp.status(), StatusCode::TEMPORARY_REDIRECT);
        assert_eq!(resp.url().as_str(), server.url("/keep"));
        assert_eq!(resp.headers()["location"], "/final");
        // A body in memory is sent again.
        let resp = c.put(server.url("/keep")).body("data").await.unwrap();
        assert_eq!(resp.text().await.unwrap(), "PUT");
        // A hop that drops the body is made.
        let body = Body::wrap_stream(Chunks::of(&[b"data"]));
        let resp = c.post(server.url("/see")).body(body).await.unwrap();
        assert_eq!(resp.text().await.unwrap(), "GET");
    });
    let seen: Vec<(String, String, Vec<u8>)> = requests
        .try_iter()
        .map(|r| (r.method, r.target, r.body))
        .collect();
    let r = |m: &str, t: &str, b: &[u8]| (m.to_owned(), t.to_owned(), b.to_vec());
    assert_eq!(
        seen,
        [
            r("PUT", "/keep", b"data"),
            r("PUT", "/keep", b"data"),
            r("PUT", "/final", b"data"),
            r("POST", "/see", b"data"),
            r("GET", "/final", b""),
        ]
    );
}

/// A server whose first connection answers one request, then reads the
/// next one and closes without an answer (a keep-alive race lost); later
/// connections answer everything.
fn closes_after_first_answer() -> TestServer {
    TestServer::http(|mut peer| {
        if peer.index == 0 {
            if peer.read_request().is_some() {
                peer.write(&response("200 OK", &[], b"first"));
            }
            let _ = peer.read_request();
            peer.close();
        } else {
            peer.serve(|_| response("200 OK", &[], b"fresh"));
        }
    })
}

#[test]
fn the_stale_connection_retry_never_resends_a_stream() {
    let streamed = closes_after_first_answer();
    let in_memory = closes_after_first_answer();
    run(async {
        let c = client();
        let first = |url: String| {
            let c = c.clone();
            async move { c.get(url).await.unwrap().text().await.unwrap() }
        };
        assert_eq!(first(streamed.url("/")).await, "first");
        let body = Body::wrap_stream(Chunks::of(&[b"once"]));
        let e = c.put(streamed.url("/")).body(body).await.unwrap_err();
        assert_eq!(e.kind(), Kind::Protocol, "{e:#}");

        assert_eq!(first(in_memory.url("/")).await, "first");
        let resp = c.put(in_memory.url("/")).body("again").await.unwrap();
        assert_eq!(resp.text().await.unwrap(), "fresh");
    });
    assert_eq!(streamed.accepts(), 1);
    assert_eq!(streamed.requests(), [2]);
    assert_eq!(in_memory.accepts(), 2);
    assert_eq!(in_memory.requests(), [2, 1]);
}

#[test]
fn opt_in_retries_never_resend_a_stream() {
    // 503 for each path's first request, 200 after: a retry would succeed.
    let (server, requests) = {
        let seen = std::sync::Mutex::new(std::collections::HashSet::new());
        recording(move |req| {
            if seen.lock().unwrap().insert(req.target.clone()) {
                response("503 Service Unavailable", &[], b"")
            } else {
                response("200 OK", &[], b"")
            }
        })
    };
    run(async {
        let c = Client::builder()
            .trust_env(false)
            .retry(Retry::new(3).backoff(Duration::from_millis(1), Duration::from_millis(5)))
            .build()
            .unwrap();
        let body = Body::wrap_stream(Chunks::of(&[b"once"]));
        let resp = c.put(server.url("/streamed")).body(body).await.unwrap();
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        let resp = c.put(server.url("/in-memory")).body("again").await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
    });
    let targets: Vec<String> = requests.try_iter().map(|r| r.target).collect();
    assert_eq!(targets, ["/streamed", "/in-memory", "/in-memory"]);
}
