//! What requests carry besides a plain body: urlencoded forms, query
//! parameters from structs, maps and options, multipart forms (checked byte
//! for byte), the base URL, and default headers.

mod support;

use std::collections::BTreeMap;
use std::sync::mpsc::Receiver;

use aio::run;
use aio_http::multipart::{Form, Part};
use aio_http::{Body, Client, HeaderMap, HeaderValue, Kind};
use serde::Serialize;
use support::server::{recording, response, RawRequest, TestServer};
use support::upload::TempFile;

fn client() -> Client {
    Client::builder().trust_env(false).build().unwrap()
}

/// A server answering 200 to everything, reporting each request.
fn ok_server() -> (TestServer, Receiver<RawRequest>) {
    recording(|_| response("200 OK", &[], b"ok"))
}

#[derive(Serialize)]
struct Search<'a> {
    q: &'a str,
    page: Option<u32>,
    limit: Option<u32>,
}

#[test]
fn form_bodies_are_urlencoded_with_their_content_type() {
    let (server, requests) = ok_server();
    run(async {
        let c = client();
        c.post(server.url("/login"))
            .form(&[("user", "ann"), ("note", "hi there & more")])
            .await
            .unwrap();
        c.post(server.url("/s"))
            .form(&Search {
                q: "é",
                page: None,
                limit: Some(5),
            })
            .await
            .unwrap();
        // A content type the caller chose stays.
        c.post(server.url("/typed"))
            .header(
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )
            .form(&[("a", "1")])
            .await
            .unwrap();
    });
    let login = requests.recv().unwrap();
    assert_eq!(login.body, b"user=ann&note=hi+there+%26+more");
    assert_eq!(
        login.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(login.header("content-length"), Some("31"));
    let search = requests.recv().unwrap();
    assert_eq!(search.body, b"q=%C3%A9&limit=5");
    let typed = requests.recv().unwrap();
    assert_eq!(
        typed.header("content-type"),
        Some("application/x-www-form-urlencoded; charset=utf-8")
    );
    assert_eq!(typed.body, b"a=1");
}

#[test]
fn query_takes_structs_maps_options_and_pairs() {
    let (server, requests) = ok_server();
    run(async {
        let c = client();
        let search = Search {
            q: "a b",
            page: None,
            limit: Some(5),
        };
        c.get(server.url("/s?x=1")).query(&search).await.unwrap();
        let map = BTreeMap::from([("b", "2"), ("a", "1")]);
        c.get(server.url("/m")).query(&map).await.unwrap();
        let optional: &[(&str, Option<&str>)] = &[("a", Some("1")), ("b", None)];
        c.get(server.url("/o")).query(optional).await.unwrap();
        c.get(server.url("/p"))
            .query(&[("page", 2)])
            .query(&[("q", "a&b")])
            .await
            .unwrap();
        let nothing: &[(&str, &str)] = &[];
        c.get(server.url("/none")).query(nothing).await.unwrap();
    });
    let targets: Vec<String> = requests.try_iter().map(|r| r.target).collect();
    assert_eq!(
        targets,
        [
            "/s?x=1&q=a+b&limit=5",
            "/m?a=1&b=2",
            "/o?a=1",
            "/p?page=2&q=a%26b",
            "/none"
        ]
    );
}

#[test]
fn unencodable_queries_and_forms_are_builder_errors_naming_the_problem() {
    #[derive(Serialize)]
    struct Nested {
        inner: Search<'static>,
    }
    let (server, _requests) = ok_server();
    let (query, form) = run(async {
        let c = client();
        let query = c.get(server.url("/")).query(&5).await.unwrap_err();
        let nested = Nested {
            inner: Search {
                q: "x",
                page: None,
                limit: None,
            },
        };
        let form = c.post(server.url("/")).form(&nested).await.unwrap_err();
        (query, form)
    });
    assert_eq!(query.kind(), Kind::Builder);
    let text = format!("{query:#}");
    assert!(text.contains("cannot encode the query"), "{text}");
    assert!(text.contains("supports only maps and structs"), "{text}");
    assert_eq!(form.kind(), Kind::Builder);
    let text = format!("{form:#}");
    assert!(text.contains("cannot encode the form body"), "{text}");
    // Refused before anything was sent.
    assert_eq!(server.accepts(), 0);
}

#[test]
fn relative_urls_join_onto_the_base_url_as_httpx_does() {
    let (server, requests) = ok_server();
    run(async {
        let c = Client::builder()
            .trust_env(false)
            .base_url(server.url("/v1"))
            .build()
            .unwrap();
        for relative in ["/posts", "posts?page=2", "//posts/1#top", ""] {
            let resp = c.get(relative).await.unwrap();
            assert!(resp.url().as_str().starts_with(&server.url("/v1/")));
        }
        // Absolute URLs ignore the base.
        c.get(server.url("/other")).await.unwrap();
        let slash = Client::builder()
            .trust_env(false)
            .base_url(server.url("/v2/"))
            .build()
            .unwrap();
        slash.get("/posts").await.unwrap();
    });
    let targets: Vec<String> = requests.try_iter().map(|r| r.target).collect();
    assert_eq!(
        targets,
        [
            "/v1/posts",
            "/v1/posts?page=2",
            "/v1/posts/1",
            "/v1/",
            "/other",
            "/v2/posts"
        ]
    );
}

#[test]
fn relative_urls_without_a_base_are_invalid_urls_naming_the_text() {
    let e = run(async { client().get("/posts?page=2").await.unwrap_err() });
    assert_eq!(e.kind(), Kind::InvalidUrl);
    let text = e.to_string();
    assert!(
        text.starts_with("GET /posts?page=2: invalid URL: relative URL without a base"),
        "{text}"
    );
    assert!(text.contains("ClientBuilder::base_url"), "{text}");
}

#[test]
fn unusable_base_urls_fail_the_build_naming_them() {
    let build = |base: &str| {
        Client::builder()
            .trust_env(false)
            .base_url(base)
            .build()
            .unwrap_err()
    };
    for (base, says) in [
        ("/v1", "invalid base_url \"/v1\""),
        ("http://[::1", "invalid base_url \"http://[::1\""),
        ("ftp://h/files", "not an http or https URL"),
        ("https://h/v1?key=1", "a query or fragment cannot be a base"),
        ("https://ann:secret@h/v1#x", "https://ann:***@h/v1#x"),
    ] {
        let e = build(base);
        assert_eq!(e.kind(), Kind::Builder, "{base}");
        let text = format!("{e:#}");
        assert!(text.contains(says), "{base}: {text}");
        assert!(!text.contains("secret"), "{text}");
    }
}

#[test]
fn default_headers_go_unless_the_request_sets_the_same_name() {
    let (server, requests) = ok_server();
    let mut defaults = HeaderMap::new();
    defaults.insert("x-tenant", HeaderValue::from_static("default"));
    defaults.append("x-tag", HeaderValue::from_static("a"));
    defaults.append("x-tag", HeaderValue::from_static("b"));
    defaults.insert("authorization", HeaderValue::from_static("Bearer s3cret"));
    let c = Client::builder()
        .trust_env(false)
        .default_headers(defaults)
        .build()
        .unwrap();
    let shown = format!("{c:?}");
    assert!(
        !shown.contains("s3cret") && shown.contains("x-tenant"),
        "{shown}"
    );
    run(async {
        c.get(server.url("/")).await.unwrap();
        c.get(server.url("/"))
            .header("x-tenant", "mine")
            .bearer_auth("own")
            .await
            .unwrap();
    });
    let first = requests.recv().unwrap();
    assert_eq!(first.header("x-tenant"), Some("default"));
    assert_eq!(first.header("authorization"), Some("Bearer s3cret"));
    assert!(
        first.head.contains("x-tag: a\r\nx-tag: b\r\n"),
        "{}",
        first.head
    );
    let second = requests.recv().unwrap();
    let tenants: Vec<&str> = second
        .headers
        .iter()
        .filter(|(n, _)| n == "x-tenant")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(tenants, ["mine"]);
    assert_eq!(second.header("authorization"), Some("Bearer own"));
}

#[test]
fn default_framing_headers_are_refused_at_build() {
    for name in ["content-length", "transfer-encoding", "host", "connection"] {
        let mut defaults = HeaderMap::new();
        defaults.insert(name, HeaderValue::from_static("1"));
        let e = Client::builder()
            .trust_env(false)
            .default_headers(defaults)
            .build()
            .unwrap_err();
        assert_eq!(e.kind(), Kind::Builder);
        let text = e.to_string();
        assert!(
            text.starts_with(&format!("default header \"{name}\" is set by the client")),
            "{text}"
        );
    }
}

#[test]
fn multipart_bodies_are_framed_byte_for_byte_with_their_length() {
    let file = TempFile::new("notes.txt", b"line 1\nline 2\n");
    let (server, requests) = ok_server();
    let boundary = run(async {
        let avatar = Part::bytes(&b"\x89PNG"[..])
            .file_name("me.png")
            .mime_str("image/png")
            .unwrap();
        let form = Form::new()
            .text("name", "Ann Lee")
            .text("we\"ird\r\nname", "é")
            .part("avatar", avatar)
            .file("notes", &file.0)
            .await
            .unwrap();
        let boundary = form.boundary().to_owned();
        client()
            .post(server.url("/profile"))
            .multipart(form)
            .await
            .unwrap();
        boundary
    });
    let file_name = file.0.file_name().unwrap().to_str().unwrap();
    let mut expected = format!(
        "--{b}\r\n\
         Content-Disposition: form-data; name=\"name\"\r\n\r\n\
         Ann Lee\r\n\
         --{b}\r\n\
         Content-Disposition: form-data; name=\"we%22ird%0D%0Aname\"\r\n\r\n\
         é\r\n\
         --{b}\r\n\
         Content-Disposition: form-data; name=\"avatar\"; filename=\"me.png\"\r\n\
         Content-Type: image/png\r\n\r\n",
        b = boundary
    )
    .into_bytes();
    expected.extend_from_slice(b"\x89PNG");
    expected.extend_from_slice(
        format!(
            "\r\n\
             --{b}\r\n\
             Content-Disposition: form-data; name=\"notes\"; filename=\"{file_name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n\
             line 1\nline 2\n\r\n\
             --{b}--\r\n",
            b = boundary
        )
        .as_bytes(),
    );
    let req = requests.recv().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&req.body),
        String::from_utf8_lossy(&expected)
    );
    assert_eq!(req.body, expected);
    assert_eq!(
        req.header("content-type"),
        Some(format!("multipart/form-data; boundary={boundary}").as_str())
    );
    assert_eq!(
        req.header("content-length"),
        Some(expected.len().to_string().as_str())
    );
    assert_eq!(req.header("transfer-encoding"), None);
}

#[test]
fn multipart_with_a_part_of_unknown_length_is_chunked() {
    let (server, requests) = ok_server();
    let boundary = run(async {
        let stream = Body::from_reader(&b"streamed data"[..], None);
        let form = Form::new()
            .text("a", "1")
            .part("log", Part::stream(stream).file_name("log.txt"));
        let boundary = form.boundary().to_owned();
        client()
            .put(server.url("/logs"))
            .multipart(form)
            .await
            .unwrap();
        boundary
    });
    let req = requests.recv().unwrap();
    let expected = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"log\"; filename=\"log.txt\"\r\n\r\n\
         streamed data\r\n--{boundary}--\r\n"
    );
    assert_eq!(String::from_utf8_lossy(&req.body), expected);
    assert_eq!(req.header("transfer-encoding"), Some("chunked"));
    assert_eq!(req.header("content-length"), None);
}

#[test]
fn a_missing_file_is_an_error_naming_its_path() {
    let missing = std::env::temp_dir().join("aio-http-no-such-file.bin");
    let e = run(async { Form::new().file("f", &missing).await.unwrap_err() });
    assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
    assert!(e.to_string().contains(missing.to_str().unwrap()), "{e}");
}
