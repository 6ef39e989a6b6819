//! Security defaults, tried as a careless caller and a hostile server
//! would: the client alone frames requests, never downgrades to clear text,
//! never prints a secret or raw control characters, and bounds a server
//! that never answers or never stops.

mod support;

use std::thread;
use std::time::Duration;

use aio::run;
use aio_http::{Client, ClientBuilder, HeaderValue, Kind, DEFAULT_READ_TIMEOUT};
use support::certs::TestCa;
use support::script::{End, Script, ScriptServer};
use support::server::{response, RawRequest, TestServer};

fn builder() -> ClientBuilder {
    Client::builder().trust_env(false)
}

/// A keep-alive server answering each request with its own target as the
/// body, and passing every request it reads to `seen`.
fn echo_target_server(seen: std::sync::mpsc::Sender<RawRequest>) -> TestServer {
    let seen = std::sync::Mutex::new(seen);
    TestServer::http(move |peer| {
        let seen = seen.lock().unwrap().clone();
        peer.serve(move |req| {
            let _ = seen.send(req.clone());
            response(
                "200 OK",
                &[("set-cookie", "sid=cookie-secret")],
                req.target.as_bytes(),
            )
        })
    })
}

#[test]
fn framing_headers_from_the_caller_are_refused_and_never_sent() {
    let (tx, seen) = std::sync::mpsc::channel();
    let server = echo_target_server(tx);
    let client = builder().build().unwrap();
    let owned = [
        ("content-length", "0"),
        ("transfer-encoding", "chunked"),
        ("connection", "close"),
        ("keep-alive", "timeout=5"),
        ("upgrade", "websocket"),
        ("te", "trailers"),
        ("trailer", "x-checksum"),
        ("host", "other.example"),
    ];
    run(async {
        for (name, value) in owned {
            // With a body (the smuggling case) and without (the desync case:
            // a Content-Length the server would wait for).
            for with_body in [true, false] {
                let request = if with_body {
                    client
                        .post(server.url("/smuggle"))
                        .body("GET /x HTTP/1.1\r\n\r\n")
                } else {
                    client.get(server.url("/desync"))
                };
                let err = request.header(name, value).await.unwrap_err();
                let text = format!("{err:#}");
                assert_eq!(err.kind(), Kind::Builder, "{text}");
                assert!(
                    text.contains(&format!("header \"{name}\" is set by the client")),
                    "{text}"
                );
            }
        }
        // Nothing reached the server, and the same client gets its own
        // responses, in order, on one connection.
        assert_eq!(server.accepts(), 0);
        for target in ["/first", "/second", "/third"] {
            let body = client
                .get(server.url(target))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert_eq!(body, target);
        }
    });
    assert_eq!(server.requests(), vec![3]);
    let heads: Vec<String> = seen.try_iter().map(|r| r.head).collect();
    assert_eq!(heads.len(), 3);
    for head in heads {
        let lower = head.to_ascii_lowercase();
        assert!(!lower.contains("transfer-encoding"), "{head}");
        assert!(!lower.contains("other.example"), "{head}");
    }
}

#[test]
fn a_request_body_goes_out_with_one_length_and_no_transfer_encoding() {
    let (tx, seen) = std::sync::mpsc::channel();
    let server = echo_target_server(tx);
    let client = builder().build().unwrap();
    run(async {
        let resp = client.post(server.url("/p")).body("hello").await.unwrap();
        assert_eq!(resp.text().await.unwrap(), "/p");
    });
    let req = seen.recv().unwrap();
    let lower = req.head.to_ascii_lowercase();
    assert_eq!(
        lower.matches("content-length: 5\r\n").count(),
        1,
        "{}",
        req.head
    );
    assert!(!lower.contains("transfer-encoding"), "{}", req.head);
    assert_eq!(req.body, b"hello");
}

#[test]
fn proxy_authorization_never_reaches_an_origin_server() {
    let (tx, seen) = std::sync::mpsc::channel();
    let server = echo_target_server(tx);
    let client = builder().build().unwrap();
    run(async {
        let resp = client
            .get(server.url("/"))
            .header("proxy-authorization", "Basic cHJveHk6c2VjcmV0")
            .await
            .unwrap();
        resp.bytes().await.unwrap();
    });
    let req = seen.recv().unwrap();
    assert!(req.header("proxy-authorization").is_none(), "{}", req.head);
    assert!(!req.head.contains("cHJveHk6c2VjcmV0"), "{}", req.head);
}

/// An HTTPS server whose every answer is a 307 to `location`.
fn https_redirecting_to(ca: &TestCa, location: String) -> TestServer {
    TestServer::https(ca.localhost().server_config(), move |peer| {
        let location = location.clone();
        peer.serve(move |_| response("307 Temporary Redirect", &[("location", &location)], b""))
    })
}

#[test]
fn a_redirect_from_https_to_http_is_refused_and_the_plain_server_gets_nothing() {
    let ca = TestCa::new("downgrade CA");
    let (tx, seen) = std::sync::mpsc::channel();
    let plain = echo_target_server(tx);
    let secure = https_redirecting_to(&ca, plain.url("/landed"));
    let url = secure.url("/login");
    let trusting = || builder().add_root_certificate(&ca.cert_pem);
    run(async {
        let client = trusting().build().unwrap();
        let err = client
            .post(&url)
            .bearer_auth("token-secret")
            .body("password=body-secret")
            .await
            .unwrap_err();
        let text = format!("{err:#}");
        assert_eq!(err.kind(), Kind::Protocol, "{text}");
        assert!(
            text.starts_with(&format!(
                "POST {url}: redirect from https to http refused; "
            )),
            "{text}"
        );
        assert!(
            text.contains("danger_allow_https_to_http_redirects"),
            "{text}"
        );
        assert_eq!(plain.accepts(), 0, "the plain server was contacted");

        // The option that allows it says what it does, and does it.
        let client = trusting()
            .danger_allow_https_to_http_redirects(true)
            .build()
            .unwrap();
        let resp = client
            .post(&url)
            .body("password=body-secret")
            .await
            .unwrap();
        assert_eq!(resp.text().await.unwrap(), "/landed");
    });
    let req = seen.recv().unwrap();
    assert_eq!(req.body, b"password=body-secret");
}

#[test]
fn an_https_only_client_refuses_plain_urls_and_redirects_to_them() {
    let ca = TestCa::new("https-only CA");
    let (tx, _seen) = std::sync::mpsc::channel();
    let plain = echo_target_server(tx);
    let secure = https_redirecting_to(&ca, plain.url("/landed"));
    run(async {
        let client = builder()
            .add_root_certificate(&ca.cert_pem)
            .https_only(true)
            .danger_allow_https_to_http_redirects(true)
            .build()
            .unwrap();
        let err = client.get(plain.url("/")).await.unwrap_err();
        assert_eq!(err.kind(), Kind::InvalidUrl, "{err:#}");
        assert!(
            format!("{err:#}").contains("plain-HTTP URL refused"),
            "{err:#}"
        );
        let err = client.get(secure.url("/")).await.unwrap_err();
        assert_eq!(err.kind(), Kind::InvalidUrl, "{err:#}");
        assert_eq!(err.url().map(|u| u.scheme()), Some("http"), "{err:#}");
    });
    assert_eq!(plain.accepts(), 0);
    assert_eq!(secure.accepts(), 1);
}

/// Every formatting of `value`, which must contain none of `secrets`.
fn assert_hidden(what: &str, value: &impl std::fmt::Debug, secrets: &[&str]) {
    let shown = [format!("{value:?}"), format!("{value:#?}")];
    for text in shown {
        for secret in secrets {
            assert!(!text.contains(secret), "{what} shows {secret:?}: {text}");
        }
    }
}

#[test]
fn userinfo_is_sent_as_basic_auth_and_never_shown() {
    let (tx, seen) = std::sync::mpsc::channel();
    let server = echo_target_server(tx);
    let addr = server.addr();
    // `s%40cret` is the percent-encoded `s@cret`.
    let url = format!("http://ann:s%40cret@{addr}/private");
    // base64("ann:s@cret")
    let basic = "YW5uOnNAY3JldA==";
    let secrets = ["s%40cret", "s@cret", basic, "cookie-secret"];
    let client = builder().build().unwrap();
    assert_hidden("Client", &client, &secrets);
    let request = client.get(&url);
    assert_hidden("RequestBuilder", &request, &secrets);
    run(async {
        let resp = request.await.unwrap();
        assert_hidden("Response", &resp, &secrets);
        assert!(!resp.url().as_str().contains("ann"), "{}", resp.url());
        assert_eq!(resp.text().await.unwrap(), "/private");

        // A failing request's error: every formatting.
        let dead = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let err = client
            .get(format!("http://ann:s%40cret@{dead}/"))
            .await
            .unwrap_err();
        assert_hidden("Error", &err, &secrets);
        for text in [err.to_string(), format!("{err:#}")] {
            assert!(!text.contains("s%40cret"), "{text}");
        }
        // One that never parsed shows the password as ***.
        let err = client.get("http://ann:s%40cret@[::1/").await.unwrap_err();
        assert_eq!(err.kind(), Kind::InvalidUrl);
        assert!(
            format!("{err:#}").contains("http://ann:***@[::1/"),
            "{err:#}"
        );
        assert_hidden("Error", &err, &secrets);
    });
    let req = seen.recv().unwrap();
    assert_eq!(
        req.header("authorization"),
        Some(&*format!("Basic {basic}"))
    );
    assert!(
        req.head.starts_with("GET /private HTTP/1.1\r\n"),
        "{}",
        req.head
    );
    assert!(!req.head.contains("s%40cret"), "{}", req.head);
}

#[test]
fn credential_headers_never_show_in_debug() {
    let client = builder().build().unwrap();
    let mut marked = HeaderValue::from_static("marked-secret");
    marked.set_sensitive(true);
    let secrets = [
        "auth-secret",
        "proxy-secret",
        "cookie-secret",
        "marked-secret",
        "token-secret",
        "YW5uOnB3LXNlY3JldA==",
    ];
    let request = client
        .get("http://127.0.0.1:9/")
        .header("authorization", "Digest auth-secret")
        .header("proxy-authorization", "Basic proxy-secret")
        .header("cookie", "sid=cookie-secret")
        .header("x-api-key", marked)
        .header("x-visible", "shown");
    assert_hidden("RequestBuilder", &request, &secrets);
    assert!(format!("{request:?}").contains("shown"));
    let bearer = client
        .get("http://127.0.0.1:9/")
        .bearer_auth("token-secret");
    assert_hidden("RequestBuilder", &bearer, &secrets);
    let basic = client
        .get("http://127.0.0.1:9/")
        .basic_auth("ann", Some("pw-secret"));
    assert_hidden(
        "RequestBuilder",
        &basic,
        &["pw-secret", "YW5uOnB3LXNlY3JldA=="],
    );
}

#[test]
fn text_from_outside_is_escaped_in_errors() {
    let client = builder().build().unwrap();
    let err = run(async { client.get("http://bad\x1b[31mhost\n/\r").await.unwrap_err() });
    assert_eq!(err.kind(), Kind::InvalidUrl);
    for text in [err.to_string(), format!("{err:#}")] {
        assert!(text.contains("http://bad\\u{1b}[31mhost\\n/\\r"), "{text}");
    }
    for text in [err.to_string(), format!("{err:#}"), format!("{err:?}")] {
        assert!(!text.contains(['\n', '\r', '\x1b']), "{text:?}");
    }
}

#[test]
fn a_silent_server_is_given_up_on_by_default() {
    let server = TestServer::http(|mut peer| {
        peer.read_request();
        // Keeps the connection open and says nothing, longer than the
        // default read timeout.
        thread::sleep(DEFAULT_READ_TIMEOUT + Duration::from_secs(15));
    });
    let client = builder().build().unwrap();
    let err = run(async { client.get(server.url("/")).await.unwrap_err() });
    assert_eq!(err.kind(), Kind::Timeout, "{err:#}");
    assert!(
        format!("{err:#}").ends_with(
            "timed out after 30 s waiting for the response head \
             (read timeout, set by ClientBuilder::read_timeout)"
        ),
        "{err:#}"
    );
}

const GIB: u64 = 1024 * 1024 * 1024;

#[test]
fn a_body_read_whole_stops_at_the_default_limit_with_bounded_memory() {
    // A chunked body of 64 KiB chunks that never ends (1 GiB and more).
    let mut chunk = b"10000\r\n".to_vec();
    chunk.extend(std::iter::repeat_n(b'x', 64 * 1024));
    chunk.extend_from_slice(b"\r\n");
    let endless = ScriptServer::start(Script::send(
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_vec(),
        End::Forever(chunk),
    ));
    // A declared gigabyte is refused before a byte of it is read.
    let declared = ScriptServer::start(Script::send(
        format!("HTTP/1.1 200 OK\r\ncontent-length: {GIB}\r\n\r\n").into_bytes(),
        End::Forever(vec![b'x'; 64 * 1024]),
    ));
    let client = builder().build().unwrap();
    run(async {
        for (server, how) in [(&endless, "it grew"), (&declared, "its Content-Length is")] {
            let resp = client.get(server.url("/big")).await.unwrap();
            let err = resp.bytes().await.unwrap_err();
            let text = format!("{err:#}");
            assert_eq!(err.kind(), Kind::Body, "{text}");
            assert!(
                text.contains(&format!(
                    "response body too large to read whole: {how} over the 100 MiB limit \
                     (ClientBuilder::max_buffered_body_size;"
                )),
                "{text}"
            );
        }
    });
    assert!(endless.wait_forever_stopped(Duration::from_secs(10)));
    assert!(declared.wait_forever_stopped(Duration::from_secs(10)));
    let sent = endless.forever_bytes() as u64;
    assert!(sent < GIB, "the client read {sent} bytes");
    let peak = support::peak_rss();
    assert!(peak < 400 * 1024 * 1024, "peak RSS {} MiB", peak >> 20);
}

#[test]
fn the_buffered_limit_is_exact_and_chunk_is_not_bound_by_it() {
    let body = vec![b'b'; 1000];
    let server = TestServer::http(move |peer| {
        let body = body.clone();
        peer.serve(move |_| response("200 OK", &[], &body))
    });
    run(async {
        let at = builder().max_buffered_body_size(1000).build().unwrap();
        assert_eq!(
            at.get(server.url("/"))
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap()
                .len(),
            1000
        );
        let under = builder().max_buffered_body_size(999).build().unwrap();
        let err = under
            .get(server.url("/"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap_err();
        assert!(
            format!("{err:#}").contains("over the 999 bytes limit"),
            "{err:#}"
        );
        let mut resp = under.get(server.url("/")).await.unwrap();
        let mut total = 0;
        while let Some(piece) = resp.chunk().await.unwrap() {
            total += piece.len();
        }
        assert_eq!(total, 1000);
    });
}
