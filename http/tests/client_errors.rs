//! Failures: each one an error of the right kind whose message names the
//! method, the URL and the cause; never a panic, hang or truncated success.

mod support;

use std::net::TcpListener;
use std::thread;
use std::time::{Duration, Instant};

use aio::run;
use aio_http::{Client, ClientBuilder, Error, Kind, StatusCode};
use support::server::{response, TestServer};

fn builder() -> ClientBuilder {
    Client::builder().trust_env(false)
}

fn client() -> Client {
    builder().build().unwrap()
}

/// A server answering every request with these bytes, then closing.
fn one_shot(reply: &'static [u8]) -> TestServer {
    TestServer::http(move |mut peer| {
        peer.read_request();
        peer.write(reply);
        peer.close();
    })
}

fn get_body(client: &Client, url: &str) -> Result<Vec<u8>, Error> {
    let (client, url) = (client.clone(), url.to_owned());
    run(async move { client.get(&url).await?.bytes().await.map(Vec::from) })
}

#[test]
fn error_for_status_keeps_the_status_and_says_which() {
    let server = TestServer::http(|peer| {
        peer.serve(|req| match req.target.as_str() {
            "/missing" => response("404 Not Found", &[], b"nope"),
            "/broken" => response("500 Internal Server Error", &[], b""),
            _ => response("200 OK", &[], b"fine"),
        })
    });
    run(async {
        let c = client();
        let url = server.url("/missing");
        let resp = c.get(&url).await.unwrap();
        let err = resp.error_for_status_ref().unwrap_err();
        assert_eq!(err.status(), Some(StatusCode::NOT_FOUND));
        let err = resp.error_for_status().unwrap_err();
        assert!(err.is_status());
        assert_eq!(
            format!("{err:#}"),
            format!("GET {url}: HTTP status 404 Not Found")
        );

        let url = server.url("/broken");
        let err = c
            .delete(&url)
            .await
            .unwrap()
            .error_for_status()
            .unwrap_err();
        assert_eq!(err.status(), Some(StatusCode::INTERNAL_SERVER_ERROR));
        assert_eq!(
            format!("{err:#}"),
            format!("DELETE {url}: HTTP status 500 Internal Server Error")
        );

        let ok = c
            .get(server.url("/"))
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
        assert_eq!(ok.text().await.unwrap(), "fine");
    });
}

#[test]
fn invalid_urls_and_schemes_are_reported_at_send() {
    run(async {
        let c = client();
        let err = c.get("not a url").await.unwrap_err();
        assert_eq!(err.kind(), Kind::InvalidUrl);
        assert!(err.is_invalid_url());
        assert_eq!(err.url(), None);
        assert!(
            format!("{err:#}").starts_with("GET not a url: invalid URL: "),
            "{err:#}"
        );

        let err = c.post("ftp://files.example/x").await.unwrap_err();
        assert_eq!(err.kind(), Kind::InvalidUrl);
        assert_eq!(
            format!("{err:#}"),
            "POST ftp://files.example/x: unsupported URL scheme \"ftp\" (only http and https are supported)"
        );
        assert_eq!(err.url().unwrap().scheme(), "ftp");

        let err = c.get(String::from("http://")).await.unwrap_err();
        assert_eq!(err.kind(), Kind::InvalidUrl, "{err:#}");
    });
}

#[test]
fn invalid_headers_and_unserializable_bodies_are_reported_at_send() {
    run(async {
        let c = client();
        let err = c
            .get("http://127.0.0.1:9/")
            .header("bad name", "v")
            .await
            .unwrap_err();
        assert_eq!(err.kind(), Kind::Builder);
        assert!(
            format!("{err:#}").starts_with("GET http://127.0.0.1:9/: invalid header name"),
            "{err:#}"
        );
        let err = c
            .get("http://127.0.0.1:9/")
            .header("x", "a\nb")
            .await
            .unwrap_err();
        assert!(
            format!("{err:#}").contains("invalid value for header \"x\""),
            "{err:#}"
        );

        let mut map = std::collections::HashMap::new();
        map.insert(vec![1u8], 2);
        let err = c.post("http://127.0.0.1:9/").json(&map).await.unwrap_err();
        assert_eq!(err.kind(), Kind::Body, "{err:#}");
        assert!(
            format!("{err:#}").contains("cannot serialize the JSON body"),
            "{err:#}"
        );
    });
}

#[test]
fn connection_refused_names_the_address() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/");
    let err = run(async { client().get(&url).await.unwrap_err() });
    assert_eq!(err.kind(), Kind::Connect);
    assert!(err.is_connect());
    let text = format!("{err:#}");
    assert!(
        text.starts_with(&format!(
            "GET {url}: could not connect to 127.0.0.1:{port}: "
        )),
        "{text}"
    );
    assert!(text.contains("refused"), "{text}");
    assert!(std::error::Error::source(&err).is_some());
}

/// What an error reporter prints: `anyhow`'s `{:?}` shows the error's
/// `Display`, then each `source()` under "Caused by:". Every cause must
/// appear exactly once, and `{:#}` must give the same chain on one line.
fn assert_reported_once(err: aio_http::Error) -> String {
    let one_line = format!("{err:#}");
    let report = anyhow::Error::from(err);
    let chain: Vec<String> = report.chain().map(|e| e.to_string()).collect();
    assert!(chain.len() >= 2, "a cause behind the error: {chain:?}");
    for (i, outer) in chain.iter().enumerate() {
        for inner in &chain[i + 1..] {
            assert!(
                !outer.contains(inner.as_str()),
                "{inner:?} shown twice: in {outer:?}"
            );
        }
    }
    let printed = format!("{report:?}");
    for cause in &chain {
        assert_eq!(
            printed.matches(cause.as_str()).count(),
            1,
            "{cause:?} in {printed}"
        );
    }
    assert_eq!(one_line, chain.join(": "));
    assert!(!one_line.contains('\n'), "{one_line}");
    printed
}

#[test]
fn error_reporters_print_each_cause_once() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://ann:secret@127.0.0.1:{port}/");
    let err = run(async { client().get(&url).await.unwrap_err() });
    // The userinfo became an Authorization header: the URL shown has none.
    let shown = format!("http://127.0.0.1:{port}/");
    assert_eq!(
        err.to_string(),
        format!("GET {shown}: could not connect to 127.0.0.1:{port}")
    );
    let one_line = format!("{err:#}");
    assert!(
        one_line.starts_with(&format!(
            "GET {shown}: could not connect to 127.0.0.1:{port}: "
        )),
        "{one_line}"
    );
    assert!(one_line.contains("refused"), "{one_line}");
    let printed = assert_reported_once(err);
    assert!(printed.contains("Caused by:"), "{printed}");
    assert!(!printed.contains("secret"), "{printed}");

    // The decoder's error as the cause: bad chunk framing.
    let server =
        one_shot(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
    let err = get_body(&client(), &server.url("/")).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("GET {}: invalid response body", server.url("/"))
    );
    assert_reported_once(err);
}

/// A server that accepts, reads the request and never answers.
fn silent() -> TestServer {
    TestServer::http(|mut peer| {
        peer.read_request();
        thread::sleep(Duration::from_secs(3));
    })
}

const LIMIT: Duration = Duration::from_millis(300);
const MARGIN: Duration = Duration::from_millis(1500);

#[test]
fn read_timeout_bounds_the_wait_for_the_head() {
    let server = silent();
    let url = server.url("/slow");
    let started = Instant::now();
    let err = run(async {
        builder()
            .read_timeout(LIMIT)
            .build()
            .unwrap()
            .get(&url)
            .await
            .unwrap_err()
    });
    let elapsed = started.elapsed();
    assert!(err.is_timeout(), "{err:#}");
    assert!(elapsed >= LIMIT && elapsed < LIMIT + MARGIN, "{elapsed:?}");
    assert_eq!(
        format!("{err:#}"),
        format!("GET {url}: timed out after 300 ms waiting for the response head (read timeout, set by ClientBuilder::read_timeout)")
    );
}

#[test]
fn total_timeout_bounds_the_request_and_can_be_set_per_request() {
    let server = silent();
    let url = server.url("/slow");
    let started = Instant::now();
    let err = run(async {
        builder()
            .timeout(LIMIT)
            .build()
            .unwrap()
            .get(&url)
            .await
            .unwrap_err()
    });
    assert!(started.elapsed() < LIMIT + MARGIN);
    assert!(err.is_timeout());
    assert!(
        format!("{err:#}")
            .ends_with("timed out after 300 ms waiting for the response head (total timeout, set by ClientBuilder::timeout or RequestBuilder::timeout)"),
        "{err:#}"
    );

    let started = Instant::now();
    let err = run(async {
        client()
            .get(&url)
            .timeout(Duration::from_millis(200))
            .await
            .unwrap_err()
    });
    assert!(started.elapsed() < Duration::from_millis(200) + MARGIN);
    assert!(
        format!("{err:#}").ends_with("after 200 ms waiting for the response head (total timeout, set by ClientBuilder::timeout or RequestBuilder::timeout)"),
        "{err:#}"
    );
}

#[test]
fn timeouts_cover_the_body_too() {
    let server = TestServer::http(|mut peer| {
        peer.read_request();
        peer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nstart");
        thread::sleep(Duration::from_secs(3));
    });
    let url = server.url("/");
    for (c, which) in [
        (
            builder().read_timeout(LIMIT).build().unwrap(),
            "read timeout, set by ClientBuilder::read_timeout",
        ),
        (
            builder().timeout(LIMIT).build().unwrap(),
            "total timeout, set by ClientBuilder::timeout or RequestBuilder::timeout",
        ),
    ] {
        let started = Instant::now();
        let err = get_body(&c, &url).unwrap_err();
        assert!(started.elapsed() < LIMIT + MARGIN);
        assert!(err.is_timeout(), "{err:#}");
        assert!(
            format!("{err:#}").ends_with(&format!(
                "timed out after 300 ms reading the response body ({which})"
            )),
            "{err:#}"
        );
    }
}

#[test]
fn malformed_status_line_is_a_protocol_error() {
    let server = one_shot(b"HTTP/1.1 OK 200\r\ncontent-length: 0\r\n\r\n");
    let err = get_body(&client(), &server.url("/")).unwrap_err();
    assert_eq!(err.kind(), Kind::Protocol);
    assert!(
        format!("{err:#}").contains("invalid response head: invalid status line"),
        "{err:#}"
    );

    let server = one_shot(b"<html>hello</html>");
    let err = get_body(&client(), &server.url("/")).unwrap_err();
    assert_eq!(err.kind(), Kind::Protocol);
    assert!(
        format!("{err:#}").contains("not an HTTP/1.x response"),
        "{err:#}"
    );
}

#[test]
fn oversized_head_is_refused() {
    let server = TestServer::http(|mut peer| {
        peer.read_request();
        peer.write(b"HTTP/1.1 200 OK\r\n");
        let line = format!("x-filler: {}\r\n", "a".repeat(1000));
        for _ in 0..70 {
            peer.write(line.as_bytes());
        }
        peer.write(b"\r\n");
    });
    let err = get_body(&client(), &server.url("/")).unwrap_err();
    assert_eq!(err.kind(), Kind::Protocol);
    assert!(
        format!("{err:#}").contains("response head larger than 65536 bytes"),
        "{err:#}"
    );
}

#[test]
fn bodies_cut_short_are_errors_never_truncated_successes() {
    let server = one_shot(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n12345");
    let err = get_body(&client(), &server.url("/")).unwrap_err();
    assert_eq!(err.kind(), Kind::Body);
    assert!(
        format!("{err:#}")
            .ends_with("response body cut short: connection closed 5 bytes into a 10-byte body"),
        "{err:#}"
    );

    let server = one_shot(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n");
    let err = get_body(&client(), &server.url("/")).unwrap_err();
    assert_eq!(err.kind(), Kind::Body);
    assert!(
        format!("{err:#}").contains("connection closed before the last chunk"),
        "{err:#}"
    );

    let server = one_shot(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhel");
    let err = get_body(&client(), &server.url("/")).unwrap_err();
    assert!(format!("{err:#}").contains("inside a chunk"), "{err:#}");

    // Streaming sees the same error after the bytes that did arrive.
    let server = one_shot(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n12345");
    let url = server.url("/");
    run(async {
        let mut resp = client().get(&url).await.unwrap();
        assert_eq!(resp.chunk().await.unwrap().unwrap(), &b"12345"[..]);
        let err = resp.chunk().await.unwrap_err();
        assert_eq!(err.kind(), Kind::Body);
        // And it stays failed.
        assert_eq!(resp.chunk().await.unwrap_err().kind(), Kind::Body);
    });
}

#[test]
fn bad_chunk_framing_is_a_body_error() {
    let server =
        one_shot(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
    let err = get_body(&client(), &server.url("/")).unwrap_err();
    assert_eq!(err.kind(), Kind::Body);
    assert!(
        format!("{err:#}").contains("invalid response body:"),
        "{err:#}"
    );
}

#[test]
fn max_body_size_on_both_sides_of_the_limit() {
    let server = TestServer::http(|peer| {
        peer.serve(|req| {
            let len: usize = req.target[1..].split('/').nth(1).unwrap().parse().unwrap();
            let body = vec![b'b'; len];
            if req.target.starts_with("/chunked/") {
                let mut out = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
                for piece in body.chunks(4) {
                    out.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
                    out.extend_from_slice(piece);
                    out.extend_from_slice(b"\r\n");
                }
                out.extend_from_slice(b"0\r\n\r\n");
                out
            } else {
                response("200 OK", &[], &body)
            }
        })
    });
    let c = builder().max_body_size(10).build().unwrap();
    for framing in ["length", "chunked"] {
        let at_limit = get_body(&c, &server.url(&format!("/{framing}/10"))).unwrap();
        assert_eq!(at_limit.len(), 10, "{framing}");
        let err = get_body(&c, &server.url(&format!("/{framing}/11"))).unwrap_err();
        assert_eq!(err.kind(), Kind::Body, "{framing}: {err}");
        assert!(
            format!("{err:#}").contains("larger than the limit of 10 bytes (max_body_size)"),
            "{err:#}"
        );
    }
    let err = get_body(&c, &server.url("/length/5000")).unwrap_err();
    assert!(
        format!("{err:#}").contains("response body of 5000 bytes (Content-Length)"),
        "{err:#}"
    );
}

#[test]
fn invalid_json_is_a_decode_error() {
    let server = TestServer::http(|peer| peer.serve(|_| response("200 OK", &[], b"<html>")));
    let url = server.url("/posts");
    let err = run(async {
        client()
            .get(&url)
            .await
            .unwrap()
            .json::<Vec<u32>>()
            .await
            .unwrap_err()
    });
    assert!(err.is_decode());
    assert_eq!(
        format!("{err:#}"),
        format!("GET {url}: invalid JSON in response body: expected value at line 1 column 1")
    );
}

/// JSON that is not UTF-8 (here a Latin-1 `é` inside a string) is refused
/// with the parser's position, as valid UTF-8 elsewhere in the body does
/// not make the body valid; text that is UTF-8 decodes as before.
#[test]
fn json_that_is_not_utf8_is_a_decode_error() {
    let server = TestServer::http(|peer| {
        peer.serve(|req| match req.target.as_str() {
            "/latin1" => response("200 OK", &[], b"[\"caf\xe9\"]"),
            _ => response("200 OK", &[], "[\"café\"]".as_bytes()),
        })
    });
    let (latin1, utf8) = (server.url("/latin1"), server.url("/utf8"));
    let (err, ok) = run(async {
        let c = client();
        let err = c
            .get(&latin1)
            .await?
            .json::<Vec<String>>()
            .await
            .unwrap_err();
        let ok = c.get(&utf8).await?.json::<Vec<String>>().await?;
        Ok::<_, aio::http::Error>((err, ok))
    })
    .unwrap();
    assert!(err.is_decode());
    assert_eq!(
        format!("{err:#}"),
        format!("GET {latin1}: invalid JSON in response body: invalid unicode code point at line 1 column 6")
    );
    assert_eq!(ok, ["café"]);
}
