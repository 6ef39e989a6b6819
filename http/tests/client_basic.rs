//! The client against scripted local servers: JSON, every body framing,
//! streaming, HEAD, request heads as sent, query and JSON bodies.

mod support;

use std::sync::mpsc;

use aio::run;
use aio_http::{Client, Method, StatusCode};
use serde::{Deserialize, Serialize};
use support::io::pattern;
use support::server::{json_ok, response, RawRequest, TestServer};

#[derive(Debug, Deserialize, Serialize, PartialEq)]
struct Post {
    id: u64,
    title: String,
}

fn client() -> Client {
    Client::builder().trust_env(false).build().unwrap()
}

/// A server answering every request with `reply`, reporting requests on the
/// returned channel.
fn recording_server(reply: Vec<u8>) -> (TestServer, mpsc::Receiver<RawRequest>) {
    let (tx, rx) = mpsc::channel();
    let server = TestServer::http(move |peer| {
        let tx = tx.clone();
        peer.serve(|req| {
            let _ = tx.send(req.clone());
            reply.clone()
        })
    });
    (server, rx)
}

#[test]
fn get_decodes_json_and_sends_a_proper_head() {
    let (server, requests) =
        recording_server(json_ok(r#"[{"id":1,"title":"a"},{"id":2,"title":"b"}]"#));
    let url = server.url("/posts?x=1");
    let posts: Vec<Post> = run(async { client().get(&url).await?.json().await }).unwrap();
    assert_eq!(
        posts,
        [
            Post {
                id: 1,
                title: "a".into()
            },
            Post {
                id: 2,
                title: "b".into()
            }
        ]
    );
    let req = requests.recv().unwrap();
    assert_eq!(
        (req.method.as_str(), req.target.as_str()),
        ("GET", "/posts?x=1")
    );
    assert_eq!(req.header("host"), Some(server.addr().to_string().as_str()));
    assert_eq!(req.header("user-agent"), Some(aio_http::DEFAULT_USER_AGENT));
    assert_eq!(req.header("accept"), Some("*/*"));
    assert_eq!(req.header("content-length"), None);
}

#[test]
fn response_exposes_status_headers_version_and_url() {
    let (server, _requests) =
        recording_server(response("201 Created", &[("x-thing", "yes")], b"made"));
    let url = server.url("/new");
    run(async {
        let resp = client().get(url.as_str()).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::CREATED);
        assert_eq!(resp.headers()["x-thing"], "yes");
        assert_eq!(resp.version(), aio_http::Version::HTTP_11);
        assert_eq!(resp.url().as_str(), url);
        assert_eq!(resp.content_length(), Some(4));
        assert_eq!(resp.text().await.unwrap(), "made");
    });
}

#[test]
fn chunked_body_with_extensions_and_trailers() {
    let body = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n\
        5;name=value\r\nhello\r\n1;x\r\n,\r\n6\r\n world\r\n0;last\r\nx-trailer: t\r\n\r\n"
        .to_vec();
    let (server, _r) = recording_server(body);
    let url = server.url("/");
    let text = run(async {
        let c = client();
        let first = c.get(&url).await.unwrap().text().await.unwrap();
        // The connection is reused after the trailers: framing was exact.
        let second = c.get(&url).await.unwrap().text().await.unwrap();
        assert_eq!(first, second);
        first
    });
    assert_eq!(text, "hello, world");
    assert_eq!(server.accepts(), 1);
}

#[test]
fn close_delimited_body_is_read_to_eof() {
    let server = TestServer::http(|mut peer| {
        peer.read_request();
        peer.write(b"HTTP/1.1 200 OK\r\n\r\nuntil ");
        peer.write(b"the end");
        peer.close();
    });
    let url = server.url("/");
    let body = run(async { client().get(&url).await.unwrap().bytes().await.unwrap() });
    assert_eq!(body, &b"until the end"[..]);
}

#[test]
fn content_length_body_larger_than_buffers() {
    let data = pattern(300_000, 7);
    let (server, _r) = recording_server(response("200 OK", &[], &data));
    let url = server.url("/big");
    let body = run(async { client().get(&url).await.unwrap().bytes().await.unwrap() });
    assert_eq!(body.len(), data.len());
    assert!(body == data, "body bytes differ");
}

#[test]
fn chunk_streams_every_byte() {
    let data = pattern(200_000, 3);
    let sent = data.clone();
    let server = TestServer::http(move |mut peer| {
        peer.read_request();
        peer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n");
        for piece in sent.chunks(7_000) {
            peer.write(format!("{:x}\r\n", piece.len()).as_bytes());
            peer.write(piece);
            peer.write(b"\r\n");
        }
        peer.write(b"0\r\n\r\n");
    });
    let url = server.url("/stream");
    let (got, pieces) = run(async {
        let mut resp = client().get(&url).await.unwrap();
        let (mut got, mut pieces) = (Vec::new(), 0);
        while let Some(piece) = resp.chunk().await.unwrap() {
            assert!(!piece.is_empty());
            got.extend_from_slice(&piece);
            pieces += 1;
        }
        // After the end, the stream stays ended.
        assert_eq!(resp.chunk().await.unwrap(), None);
        (got, pieces)
    });
    assert!(got == data, "streamed bytes differ");
    assert!(pieces > 1, "{pieces}");
}

#[test]
fn head_has_no_body_and_its_connection_is_reused() {
    let server = TestServer::http(|peer| {
        peer.serve(|req| {
            let mut out = b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n".to_vec();
            if req.method != "HEAD" {
                out.extend_from_slice(&[b'x'; 1000]);
            }
            out
        })
    });
    let url = server.url("/h");
    run(async {
        let c = client();
        let head = c.head(&url).await.unwrap();
        assert_eq!(head.content_length(), Some(1000));
        assert!(head.bytes().await.unwrap().is_empty());
        let get = c.get(&url).await.unwrap().bytes().await.unwrap();
        assert_eq!(get.len(), 1000);
    });
    assert_eq!(server.accepts(), 1);
}

#[test]
fn post_json_with_query_and_custom_headers() {
    let (server, requests) = recording_server(json_ok(r#"{"id":9,"title":"posted"}"#));
    let url = server.url("/posts");
    let created: Post = run(async {
        client()
            .post(&url)
            .query(&[("q", "a b&c"), ("n", "1")])
            .query(&[("page", 2)])
            .header("x-custom", "v")
            .json(&Post {
                id: 0,
                title: "new".into(),
            })
            .await?
            .json()
            .await
    })
    .unwrap();
    assert_eq!(created.title, "posted");
    let req = requests.recv().unwrap();
    assert_eq!(req.method, "POST");
    assert_eq!(req.target, "/posts?q=a+b%26c&n=1&page=2");
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(req.header("x-custom"), Some("v"));
    assert_eq!(req.header("content-length"), Some("22"));
    assert_eq!(req.body, br#"{"id":0,"title":"new"}"#);
}

#[test]
fn other_methods_bodies_and_user_agent() {
    let (server, requests) = recording_server(response("204 No Content", &[], b""));
    let url = server.url("/x");
    run(async {
        let c = Client::builder()
            .trust_env(false)
            .user_agent("tester/1")
            .build()
            .unwrap();
        for (method, body) in [
            (Method::PUT, Some(&b"put body"[..])),
            (Method::PATCH, None),
            (Method::DELETE, None),
            (Method::OPTIONS, None),
        ] {
            let mut req = c.request(method.clone(), &url);
            if let Some(b) = body {
                req = req.body(b);
            }
            let resp = req.await.unwrap();
            assert_eq!(resp.status(), StatusCode::NO_CONTENT);
        }
    });
    let put = requests.recv().unwrap();
    assert_eq!(
        (put.method.as_str(), &put.body[..]),
        ("PUT", &b"put body"[..])
    );
    assert_eq!(put.header("user-agent"), Some("tester/1"));
    let patch = requests.recv().unwrap();
    assert_eq!(patch.header("content-length"), Some("0"));
    let delete = requests.recv().unwrap();
    assert_eq!(delete.header("content-length"), None);
    assert_eq!(requests.recv().unwrap().method, "OPTIONS");
    // 204 bodies are empty: all four requests shared one connection.
    assert_eq!(server.accepts(), 1);
}

#[test]
fn text_replaces_invalid_utf8() {
    let (server, _r) = recording_server(response("200 OK", &[], b"ok \xff!"));
    let url = server.url("/");
    let text = run(async { client().get(url).await.unwrap().text().await.unwrap() });
    assert_eq!(text, "ok \u{fffd}!");
}

#[test]
fn informational_responses_are_skipped() {
    let (server, _r) = recording_server(
        [
            &b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n"[..],
            &response("200 OK", &[], b"final"),
        ]
        .concat(),
    );
    let url = server.url("/");
    let text = run(async { client().get(&url).await.unwrap().text().await.unwrap() });
    assert_eq!(text, "final");
}

#[test]
fn client_is_send_sync_clone_and_futures_are_send() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    fn assert_send<T: Send>(_: &T) {}
    assert_send_sync::<Client>();
    let c = client();
    let fut = std::future::IntoFuture::into_future(c.get("http://127.0.0.1:9/"));
    assert_send(&fut);
}

#[test]
fn ipv6_literal_hosts_are_bracketed() {
    // Skipped where the machine has no IPv6 loopback.
    let Ok(listener) = std::net::TcpListener::bind("[::1]:0") else {
        return;
    };
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
        let mut head = String::new();
        loop {
            let mut line = String::new();
            std::io::BufRead::read_line(&mut reader, &mut line).unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
            head.push_str(&line);
        }
        std::io::Write::write_all(&mut &stream, &response("200 OK", &[], b"v6")).unwrap();
        head
    });
    let url = format!("http://[::1]:{port}/six");
    let text = run(async { client().get(&url).await?.text().await }).unwrap();
    assert_eq!(text, "v6");
    let head = server.join().unwrap();
    assert!(head.starts_with("GET /six HTTP/1.1\r\n"), "{head}");
    assert!(head.contains(&format!("Host: [::1]:{port}\r\n")), "{head}");
}

/// The tests run on the facade's `aio::run`, which links aio-http itself:
/// cargo builds one aio-http for both, so `aio::http` is this crate (these
/// lines compile only if the types are the same), and a client made here
/// runs on the facade's loop.
#[test]
fn the_facade_reexports_this_very_crate() {
    let client: aio::http::Client = aio_http::Client::builder()
        .trust_env(false)
        .build()
        .unwrap();
    let err: aio_http::Error = aio::run(client.get("http://[::1/").send()).unwrap_err();
    let _: &aio::http::Error = &err;
    assert_eq!(err.kind(), aio::http::Kind::InvalidUrl);
}
