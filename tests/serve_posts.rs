//! End-to-end test of the stand-in server `examples/serve_posts/`: runs the
//! compiled example as a child process and talks to it with small blocking
//! clients (rustls over std's TcpStream for HTTPS, the bare socket for
//! `--plain`), so the server is checked independently of aio's own client.
//! What it must answer is what jsonplaceholder answers, over jsonplaceholder's
//! data (the bundled `jsonplaceholder.json`).

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

    fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("UTF-8 body")
    }

    /// The ids of a JSON array of records, in order.
    fn ids(&self) -> Vec<u64> {
        let records = self.json();
        let records = records.as_array().expect("an array");
        records.iter().map(|r| r["id"].as_u64().unwrap()).collect()
    }
}

/// The bundled data set: jsonplaceholder's own `db.json`.
const DATA_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/serve_posts/jsonplaceholder.json"
);

fn data_set() -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(DATA_FILE).unwrap()).unwrap()
}

/// `GET /posts/1` on jsonplaceholder, byte for byte.
const POST_1: &str = r#"{
  "userId": 1,
  "id": 1,
  "title": "sunt aut facere repellat provident occaecati excepturi optio reprehenderit",
  "body": "quia et suscipit\nsuscipit recusandae consequuntur expedita et cum\nreprehenderit molestiae ut ut quas totam\nnostrum rerum est autem sunt rem eveniet architecto"
}"#;

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

    /// `method path` with `body` as JSON (and its Content-Length).
    fn request(&mut self, method: &str, path: &str, body: &str) -> Response {
        self.send(
            format!(
                "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        );
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

/// The lines of `text` indented by two more spaces, as JSON.stringify nests
/// a value one level deeper (JSON strings hold no raw newlines).
fn nested(text: &str) -> String {
    text.replace('\n', "\n  ")
}

#[test]
fn every_resource_is_the_data_set_as_jsonplaceholder_prints_it() {
    let server = Server::start(false);
    let file = std::fs::read_to_string(DATA_FILE).unwrap();
    let mut conn = server.https();
    for (name, count) in [
        ("posts", 100),
        ("comments", 500),
        ("albums", 100),
        ("photos", 5000),
        ("users", 10),
        ("todos", 200),
    ] {
        let response = conn.get(&format!("/{name}"));
        assert_eq!(response.status, 200, "/{name}");
        assert_eq!(
            response.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(response.ids(), (1..=count).collect::<Vec<_>>(), "/{name}");
        // Byte for byte the file's text (two-space indents, keys in order),
        // which is jsonplaceholder's own formatting.
        let member = format!("\n  \"{name}\": {}", nested(response.text()));
        assert!(file.contains(&member), "/{name} differs from the data set");
    }
    // The sizes the benchmarks are described with: the real API's.
    assert_eq!(conn.get("/posts").body.len(), 27_520);
    assert_eq!(conn.get("/posts/1").body.len(), 292);
}

#[test]
fn records_by_id_and_not_found() {
    let server = Server::start(true);
    let mut conn = server.plain();
    assert_eq!(conn.get("/posts/1").text(), POST_1);
    let user = conn.get("/users/1").json();
    assert_eq!(user["name"], "Leanne Graham");
    assert_eq!(user["address"]["geo"]["lat"], "-37.3159");
    assert_eq!(user["company"]["name"], "Romaguera-Crona");
    assert_eq!(
        conn.get("/comments/1").json()["email"],
        "Eliseo@gardner.biz"
    );
    let photo = conn.get("/photos/5000").json();
    assert_eq!(photo["albumId"], 100);
    assert_eq!(
        photo["title"],
        "error quasi sunt cupiditate voluptate ea odit beatae"
    );
    let todo = conn.get("/todos/200").json();
    assert_eq!(todo["title"], "ipsam aperiam voluptates qui");
    assert_eq!(todo["completed"], false);
    assert_eq!(conn.get("/albums/100/").json()["id"], 100, "trailing slash");
    assert_eq!(
        conn.get("/posts/3?userId=2").json()["id"],
        3,
        "query ignored"
    );

    for path in [
        "/",
        "/missing",
        "/posts/0",
        "/posts/01",
        "/posts/101",
        "/posts/abc",
        "/users/11",
        "/posts/1/nothing",
        "/nothing/1/comments",
        "/posts/1/comments/1",
    ] {
        let missing = conn.get(path);
        assert_eq!(missing.status, 404, "{path}");
        assert_eq!(missing.body, b"{}", "{path}");
    }
}

#[test]
fn nested_routes_are_filters_on_the_parent_id() {
    let server = Server::start(true);
    let mut conn = server.plain();
    let comments = conn.get("/posts/1/comments");
    assert_eq!(comments.ids(), [1, 2, 3, 4, 5]);
    assert_eq!(comments.body, conn.get("/comments?postId=1").body);
    assert_eq!(
        conn.get("/users/1/albums").ids(),
        (1..=10).collect::<Vec<_>>()
    );
    assert_eq!(
        conn.get("/albums/1/photos").ids(),
        (1..=50).collect::<Vec<_>>()
    );
    assert_eq!(
        conn.get("/users/1/todos").ids(),
        (1..=20).collect::<Vec<_>>()
    );
    let posts = conn.get("/users/2/posts");
    assert_eq!(posts.ids(), (11..=20).collect::<Vec<_>>());
    assert_eq!(posts.body, conn.get("/posts?userId=2").body);
    // The path's id wins over the same key in the query; other keys narrow.
    assert_eq!(
        conn.get("/posts/1/comments?postId=2").ids(),
        [1, 2, 3, 4, 5]
    );
    assert_eq!(conn.get("/posts/1/comments?id=2&id=4").ids(), [2, 4]);
    // Photos have no postId: json-server drops the filter, so all of them.
    assert_eq!(conn.get("/posts/1/photos").ids().len(), 5000);
    assert_eq!(conn.get("/posts/999/comments").text(), "[]");
}

#[test]
fn filters_compare_the_string_form_of_any_field() {
    let server = Server::start(true);
    let mut conn = server.plain();
    assert_eq!(
        conn.get("/posts?userId=1").ids(),
        (1..=10).collect::<Vec<_>>()
    );
    // Repeated keys: either value; different keys: both.
    assert_eq!(conn.get("/posts?id=1&id=2").ids(), [1, 2]);
    assert_eq!(conn.get("/posts?userId=1&id=3&id=12").ids(), [3]);
    let done = conn.get("/todos?completed=true").json();
    let done = done.as_array().unwrap();
    assert_eq!(done.len(), 90);
    assert!(done.iter().all(|t| t["completed"] == true));
    let expected: Vec<u64> = data_set()["todos"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["userId"] == 2 && t["completed"] == false)
        .map(|t| t["id"].as_u64().unwrap())
        .collect();
    assert_eq!(conn.get("/todos?userId=2&completed=false").ids(), expected);
    // Dotted paths reach into nested objects; values are percent-decoded.
    assert_eq!(conn.get("/users?address.city=Gwenborough").ids(), [1]);
    assert_eq!(conn.get("/users?address.geo.lat=-43.9509").ids(), [2]);
    assert_eq!(conn.get("/posts?title=qui+est+esse").ids(), [2]);
    assert_eq!(conn.get("/posts?title=qui%20est%20esse").ids(), [2]);
    // Nothing matches: an empty array, formatted as jsonplaceholder does.
    assert_eq!(conn.get("/posts?userId=99").text(), "[]");
    // A field no post has is ignored (jsonplaceholder's rule): all 100.
    assert_eq!(conn.get("/posts?userid=1").ids().len(), 100);
    // Every user's posts, filtered together, are the whole list, byte for byte.
    let all_users: String = (1..=10).map(|u| format!("userId={u}&")).collect();
    assert_eq!(
        conn.get(&format!("/posts?{all_users}")).body,
        conn.get("/posts").body
    );

    // What the stand-in does not implement is refused by name, not ignored.
    let refused = conn.get("/posts?_limit=5");
    assert_eq!(refused.status, 400);
    assert!(refused.json()["error"]
        .as_str()
        .unwrap()
        .contains("\"_limit\""));
    assert_eq!(conn.get("/posts?id_gte=5").status, 400);
    let malformed = conn.get("/posts?id=%zz");
    assert_eq!(malformed.status, 400);
    assert!(malformed.json()["error"]
        .as_str()
        .unwrap()
        .contains("percent-encoding"));
}

/// The body jsonplaceholder's guide sends to create and to replace a post.
const NEW_POST: &str = r#"{"title":"foo","body":"bar","userId":1}"#;

#[test]
fn writes_are_answered_as_jsonplaceholder_does_and_forgotten() {
    let server = Server::start(false);
    // All on one connection: each body is read in full, so the next request
    // parses cleanly after it.
    let mut conn = server.https();
    let created = conn.request("POST", "/posts", NEW_POST);
    assert_eq!(created.status, 201);
    assert_eq!(
        created.text(),
        "{\n  \"title\": \"foo\",\n  \"body\": \"bar\",\n  \"userId\": 1,\n  \"id\": 101\n}"
    );
    // The next id wins over one in the body, in the body's place.
    let created = conn.request("POST", "/posts", r#"{"id":7,"title":"x"}"#);
    assert_eq!(created.text(), "{\n  \"id\": 101,\n  \"title\": \"x\"\n}");
    // Each resource counts from its own largest id; no body is `{}`.
    for (path, id) in [("/comments", 501), ("/photos", 5001), ("/users", 11)] {
        let created = conn.request("POST", path, "");
        assert_eq!(created.status, 201, "{path}");
        assert_eq!(created.text(), format!("{{\n  \"id\": {id}\n}}"), "{path}");
    }
    // A nested POST names the parent.
    let comment = conn.request("POST", "/posts/1/comments", r#"{"name":"n"}"#);
    assert_eq!(comment.status, 201);
    assert_eq!(
        comment.text(),
        "{\n  \"name\": \"n\",\n  \"postId\": 1,\n  \"id\": 501\n}"
    );

    let replaced = conn.request("PUT", "/posts/1", NEW_POST);
    assert_eq!(replaced.status, 200);
    assert_eq!(
        replaced.text(),
        "{\n  \"title\": \"foo\",\n  \"body\": \"bar\",\n  \"userId\": 1,\n  \"id\": 1\n}"
    );
    let patched = conn.request("PATCH", "/posts/1", r#"{"title":"foo","extra":[]}"#);
    assert_eq!(patched.status, 200);
    assert_eq!(
        patched.text(),
        POST_1
            .replace(
                "sunt aut facere repellat provident occaecati excepturi optio reprehenderit",
                "foo"
            )
            .replace("\n}", ",\n  \"extra\": []\n}")
    );
    let deleted = conn.request("DELETE", "/posts/1", "");
    assert_eq!((deleted.status, deleted.text()), (200, "{}"));

    // Nothing was stored.
    assert_eq!(conn.get("/posts/1").text(), POST_1);
    assert_eq!(conn.get("/posts").ids().len(), 100);
    assert_eq!(conn.get("/posts/101").status, 404);
    for method in ["PUT", "PATCH"] {
        let missing = conn.request(method, "/posts/101", "{}");
        assert_eq!((missing.status, missing.text()), (404, "{}"), "{method}");
    }
}

#[test]
fn bad_bodies_get_a_clear_error() {
    let server = Server::start(true);
    let mut conn = server.plain();
    let error = |response: &Response| response.json()["error"].as_str().unwrap().to_owned();

    let malformed = conn.request("POST", "/posts", "{bad");
    assert_eq!(malformed.status, 400);
    assert!(
        error(&malformed).contains("not valid JSON"),
        "{}",
        error(&malformed)
    );
    let array = conn.request("PATCH", "/posts/1", "[1]");
    assert_eq!(array.status, 400);
    assert!(error(&array).contains("must be a JSON object, not an array"));
    // Refused bodies were still read: the connection goes on.
    assert_eq!(conn.get("/posts/2").json()["id"], 2);

    // A client that waits for `100 Continue` gets it, then the answer.
    conn.send(
        b"POST /todos HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n",
    );
    assert_eq!(conn.response(false).status, 100);
    conn.send(b"{}");
    assert_eq!(conn.response(true).text(), "{\n  \"id\": 201\n}");

    conn.send(b"POST /posts HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
    assert_eq!(conn.response(true).status, 400);
    assert!(conn.at_eof());

    // Too big: refused before the body is sent, then closed.
    let mut conn = server.plain();
    conn.send(b"POST /posts HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n");
    let too_big = conn.response(true);
    assert_eq!(too_big.status, 413);
    assert!(
        error(&too_big).contains("limit is 1048576"),
        "{}",
        error(&too_big)
    );
    assert!(conn.at_eof());

    let mut conn = server.plain();
    conn.send(b"POST /posts HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    let chunked = conn.response(true);
    assert_eq!(chunked.status, 411);
    assert!(error(&chunked).contains("Content-Length"));
    assert!(conn.at_eof());
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
    assert_eq!(head.header("content-length"), Some("260"));

    conn.send(b"OPTIONS /posts/1 HTTP/1.1\r\nHost: x\r\n\r\n");
    let refused = conn.response(true);
    assert_eq!(refused.status, 405);
    assert_eq!(
        refused.header("allow"),
        Some("GET, HEAD, PUT, PATCH, DELETE")
    );
    conn.send(b"DELETE /posts HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(conn.response(true).header("allow"), Some("GET, HEAD, POST"));

    // Garbage gets a 400, then the connection closes; the server carries on.
    conn.send(b"\x01\x02 nonsense\r\n\r\n");
    assert_eq!(conn.response(true).status, 400);
    assert!(conn.at_eof());
    assert_eq!(server.plain().get("/posts/9").json()["id"], 9);
}
