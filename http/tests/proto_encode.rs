//! Request heads from `encode_request_head`, read back with httparse.

use aio_http::proto::encode_request_head;
use http::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_LENGTH, HOST};
use http::Method;

fn parse(bytes: &[u8]) -> (String, String, Vec<(String, Vec<u8>)>, usize) {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut req = httparse::Request::new(&mut headers);
    let n = match req.parse(bytes).expect("a valid request head") {
        httparse::Status::Complete(n) => n,
        httparse::Status::Partial => panic!("incomplete head {:?}", String::from_utf8_lossy(bytes)),
    };
    assert_eq!(req.version, Some(1));
    let fields = req
        .headers
        .iter()
        .map(|h| (h.name.to_ascii_lowercase(), h.value.to_vec()))
        .collect();
    (
        req.method.unwrap().to_string(),
        req.path.unwrap().to_string(),
        fields,
        n,
    )
}

#[test]
fn post_with_body_length_round_trips() {
    let mut h = HeaderMap::new();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    h.append(
        HeaderName::from_static("accept"),
        HeaderValue::from_static("a"),
    );
    h.append(
        HeaderName::from_static("accept"),
        HeaderValue::from_static("b"),
    );
    let mut out = b"previous".to_vec();
    encode_request_head(
        &Method::POST,
        "/api/v1?x=1&y=%20",
        "api.example:8443",
        &h,
        Some(12),
        &mut out,
    );
    assert!(out.starts_with(b"previous"), "appends to out");
    let (method, path, fields, n) = parse(&out[8..]);
    assert_eq!(n, out.len() - 8, "the head ends exactly at the empty line");
    assert_eq!(method, "POST");
    assert_eq!(path, "/api/v1?x=1&y=%20");
    assert_eq!(
        fields,
        vec![
            ("host".to_string(), b"api.example:8443".to_vec()),
            ("content-type".to_string(), b"application/json".to_vec()),
            ("accept".to_string(), b"a".to_vec()),
            ("accept".to_string(), b"b".to_vec()),
            ("content-length".to_string(), b"12".to_vec()),
        ]
    );
}

#[test]
fn exactly_one_host_and_one_content_length() {
    let mut h = HeaderMap::new();
    h.insert(HOST, HeaderValue::from_static("spoofed"));
    h.insert(CONTENT_LENGTH, HeaderValue::from_static("999"));
    let mut out = Vec::new();
    encode_request_head(&Method::PUT, "/", "real", &h, Some(0), &mut out);
    let (_, _, fields, _) = parse(&out);
    let hosts: Vec<_> = fields.iter().filter(|(k, _)| k == "host").collect();
    let lens: Vec<_> = fields
        .iter()
        .filter(|(k, _)| k == "content-length")
        .collect();
    assert_eq!(hosts, vec![&("host".to_string(), b"real".to_vec())]);
    assert_eq!(lens, vec![&("content-length".to_string(), b"0".to_vec())]);
}

#[test]
fn no_body_length_writes_no_content_length() {
    let mut out = Vec::new();
    encode_request_head(&Method::GET, "", "h", &HeaderMap::new(), None, &mut out);
    assert_eq!(out, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n");
}

#[test]
fn hostile_target_and_host_cannot_inject_lines() {
    let mut out = Vec::new();
    encode_request_head(
        &Method::GET,
        "/x HTTP/1.1\r\nEvil: 1\r\n\r\nGET /y",
        "h\r\nEvil: 2",
        &HeaderMap::new(),
        None,
        &mut out,
    );
    let (_, path, fields, n) = parse(&out);
    assert_eq!(n, out.len());
    assert!(
        !path.contains(' ') && path.starts_with("/x%20HTTP/1.1%0D%0AEvil:"),
        "{path}"
    );
    assert_eq!(fields.len(), 1, "{fields:?}");
    assert_eq!(fields[0].1, b"h  Evil: 2");
}

#[test]
fn custom_methods_are_written_verbatim() {
    let mut out = Vec::new();
    let m = Method::from_bytes(b"PURGE").unwrap();
    encode_request_head(&m, "/c", "h", &HeaderMap::new(), None, &mut out);
    assert!(out.starts_with(b"PURGE /c HTTP/1.1\r\n"));
}
