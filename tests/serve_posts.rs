//! End-to-end test of the stand-in server `examples/serve_posts.rs`: runs the
//! compiled example as a child process and talks to it with small blocking
//! clients (rustls over std's TcpStream for HTTPS, the bare socket for
//! `--plain`), so the server is checked independently of aio's own client.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use support::{Server, TIMEOUT};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

impl Server {
    fn tcp(&self) -> TcpStream {
        let tcp = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        tcp.set_read_timeout(Some(TIMEOUT)).unwrap();
        tcp
    }

    /// An HTTPS connection trusting only the CA file the server wrote.
    fn https(&self) -> Conn<StreamOwned<ClientConnection, TcpStream>> {
        let pem = std::fs::read(self.ca_file.as_ref().expect("an HTTPS server")).unwrap();
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(&pem) {
            roots.add(cert.expect("CA file is PEM")).unwrap();
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = ServerName::try_from("127.0.0.1").unwrap();
        let tls = ClientConnection::new(Arc::new(config), name).unwrap();
        Conn::new(StreamOwned::new(tls, self.tcp()))
    }

    fn plain(&self) -> Conn<TcpStream> {
        Conn::new(self.tcp())
    }
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        let found = self
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name));
        found.map(|(_, v)| v.as_str())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

/// One client connection; bytes read past a response are kept for the next.
struct Conn<S> {
    io: S,
    buf: Vec<u8>,
}

impl<S: Read + Write> Conn<S> {
    fn new(io: S) -> Self {
        Conn {
            io,
            buf: Vec::new(),
        }
    }

    fn get(&mut self, path: &str) -> Response {
        self.send(format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").as_bytes());
        self.response(true)
    }

    fn send(&mut self, raw: &[u8]) {
        self.io.write_all(raw).unwrap();
        self.io.flush().unwrap();
    }

    fn fill(&mut self) -> usize {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.io.read(&mut chunk).expect("read response");
        self.buf.extend_from_slice(&chunk[..n]);
        n
    }

    /// The next response; `has_body` is false for the answer to a HEAD request.
    fn response(&mut self, has_body: bool) -> Response {
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut parsed = httparse::Response::new(&mut headers);
            if let httparse::Status::Complete(head_len) = parsed.parse(&self.buf).unwrap() {
                let headers: Vec<(String, String)> = parsed
                    .headers
                    .iter()
                    .map(|h| (h.name.to_owned(), String::from_utf8_lossy(h.value).into()))
                    .collect();
                let status = parsed.code.unwrap();
                let mut response = Response {
                    status,
                    headers,
                    body: Vec::new(),
                };
                let len: usize = match has_body {
                    true => response.header("content-length").unwrap().parse().unwrap(),
                    false => 0,
                };
                while self.buf.len() < head_len + len {
                    assert_ne!(self.fill(), 0, "connection closed inside a body");
                }
                response.body = self.buf[head_len..head_len + len].to_vec();
                self.buf.drain(..head_len + len);
                return response;
            }
            assert_ne!(self.fill(), 0, "connection closed before a response");
        }
    }

    /// Whether the server closed the connection (cleanly, for TLS).
    fn at_eof(&mut self) -> bool {
        self.buf.is_empty() && self.fill() == 0
    }
}

#[test]
fn posts_lists_all_hundred() {
    let server = Server::start(false);
    let response = server.https().get("/posts");
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let posts = response.json();
    let posts = posts.as_array().expect("an array");
    assert_eq!(posts.len(), 100);
    for (i, post) in posts.iter().enumerate() {
        let id = i as u64 + 1;
        assert_eq!(post["id"], id);
        assert_eq!(post["userId"], (id - 1) / 10 + 1);
        assert!(!post["title"].as_str().unwrap().is_empty());
        assert!(!post["body"].as_str().unwrap().is_empty());
    }
}

#[test]
fn one_post_and_not_found() {
    let server = Server::start(false);
    let post = server.https().get("/posts/3");
    assert_eq!(post.status, 200);
    assert_eq!(post.json()["id"], 3);
    assert_eq!(post.json()["userId"], 1);
    for path in ["/missing", "/posts/0", "/posts/101", "/posts/abc"] {
        let missing = server.https().get(path);
        assert_eq!(missing.status, 404, "{path}");
        assert_eq!(missing.body, b"{}", "{path}");
    }
}

#[test]
fn keep_alive_serves_several_requests_on_one_connection() {
    let server = Server::start(false);
    let mut conn = server.https();
    let all = conn.get("/posts");
    let first = conn.get("/posts/1");
    let missing = conn.get("/missing");
    let second = conn.get("/posts/2");
    assert_eq!(all.json().as_array().unwrap().len(), 100);
    assert_eq!(first.json()["id"], 1);
    assert_eq!(missing.status, 404);
    assert_eq!(second.json()["id"], 2);
    assert_eq!(first.json(), all.json()[0]);

    // `Connection: close` is honoured: answered, then closed.
    conn.send(b"GET /posts/5 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let last = conn.response(true);
    assert_eq!(last.json()["id"], 5);
    assert_eq!(last.header("connection"), Some("close"));
    assert!(conn.at_eof());
}

#[test]
fn plain_http_pipelining_and_errors() {
    let server = Server::start(true);
    let mut conn = server.plain();
    // Two requests in one write get two responses, in order.
    conn.send(b"GET /posts/7 HTTP/1.1\r\nHost: x\r\n\r\nHEAD /posts/8 HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(conn.response(true).json()["id"], 7);
    // HEAD: the length GET's body would have, but no body; the next
    // response parsing cleanly shows none was sent.
    let head = conn.response(false);
    assert_eq!(head.status, 200);
    assert_ne!(head.header("content-length"), Some("0"));

    conn.send(b"DELETE /posts/1 HTTP/1.1\r\nHost: x\r\n\r\n");
    let refused = conn.response(true);
    assert_eq!(refused.status, 405);
    assert_eq!(refused.header("allow"), Some("GET, HEAD"));

    // Garbage gets a 400, then the connection closes; the server carries on.
    conn.send(b"\x01\x02 nonsense\r\n\r\n");
    assert_eq!(conn.response(true).status, 400);
    assert!(conn.at_eof());
    assert_eq!(server.plain().get("/posts/9").json()["id"], 9);
}

#[test]
fn posts_are_the_same_on_every_run() {
    let (a, b) = (Server::start(true), Server::start(true));
    let (a, b) = (a.plain().get("/posts"), b.plain().get("/posts"));
    assert_eq!(a.body, b.body);
    let posts = a.json();
    // jsonplaceholder's distinct titles; the generated ones are distinct too.
    let titles: std::collections::HashSet<&str> = posts
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles.len(), 100);
}
