//! Redirects: status rules, final URL, credentials across origins, limits.

mod support;

use aio::run;
use aio_http::{Client, Kind, StatusCode};
use support::server::{recording as server, response, RawRequest};

fn client() -> Client {
    Client::builder().trust_env(false).build().unwrap()
}

fn redirect(status: &str, location: &str) -> Vec<u8> {
    response(status, &[("location", location)], b"moved")
}

#[test]
fn moved_permanently_is_followed_and_url_is_final() {
    let (server, requests) = server(|req| match req.target.as_str() {
        "/old" => redirect("301 Moved Permanently", "/a/new?x=1"),
        "/a/new?x=1" => redirect("302 Found", "next"),
        "/a/next" => response("200 OK", &[], b"here"),
        _ => response("404 Not Found", &[], b""),
    });
    let (url, text) = run(async {
        let resp = client().get(server.url("/old")).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        (resp.url().to_string(), resp.text().await.unwrap())
    });
    assert_eq!(url, server.url("/a/next"));
    assert_eq!(text, "here");
    let targets: Vec<String> = requests.try_iter().map(|r| r.target).collect();
    assert_eq!(targets, ["/old", "/a/new?x=1", "/a/next"]);
    // Small redirect bodies are drained: one connection served the chain.
    assert_eq!(server.accepts(), 1);
}

#[test]
fn see_other_turns_post_into_get_without_body() {
    let (server, requests) = server(|req| match req.target.as_str() {
        "/form" => redirect("303 See Other", "/result"),
        _ => response("200 OK", &[], req.method.as_bytes()),
    });
    let text = run(async {
        let resp = client()
            .post(server.url("/form"))
            .json(&[1, 2, 3])
            .await
            .unwrap();
        resp.text().await.unwrap()
    });
    assert_eq!(text, "GET");
    let post = requests.recv().unwrap();
    assert_eq!(
        (post.method.as_str(), &post.body[..]),
        ("POST", &b"[1,2,3]"[..])
    );
    let get = requests.recv().unwrap();
    assert_eq!(get.method, "GET");
    assert!(get.body.is_empty());
    assert_eq!(get.header("content-type"), None);
    assert_eq!(get.header("content-length"), None);
}

#[test]
fn temporary_redirect_keeps_method_and_body() {
    for status in ["307 Temporary Redirect", "308 Permanent Redirect"] {
        let (server, requests) = server(move |req| match req.target.as_str() {
            "/upload" => redirect(status, "/upload2"),
            _ => response("200 OK", &[], &req.body),
        });
        let echoed = run(async {
            let resp = client()
                .post(server.url("/upload"))
                .header("content-type", "text/plain")
                .body("payload")
                .await
                .unwrap();
            resp.text().await.unwrap()
        });
        assert_eq!(echoed, "payload", "{status}");
        let _first = requests.recv().unwrap();
        let second = requests.recv().unwrap();
        assert_eq!(second.method, "POST", "{status}");
        assert_eq!(second.header("content-type"), Some("text/plain"));
    }
}

#[test]
fn credentials_are_dropped_across_origins_and_kept_within() {
    let (other, other_requests) = server(|_| response("200 OK", &[], b"other"));
    let other_url = other.url("/landing");
    let (origin, origin_requests) = server(move |req| match req.target.as_str() {
        "/away" => redirect("302 Found", &other_url),
        "/here" => redirect("302 Found", "/landing"),
        _ => response("200 OK", &[], b"same"),
    });
    run(async {
        let c = client();
        for path in ["/away", "/here"] {
            c.get(origin.url(path))
                .header("authorization", "Bearer secret")
                .header("cookie", "session=1")
                .header("x-other", "kept")
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
        }
    });
    let landed = other_requests.recv().unwrap();
    assert_eq!(landed.header("authorization"), None);
    assert_eq!(landed.header("cookie"), None);
    assert_eq!(landed.header("x-other"), Some("kept"));
    let same: Vec<RawRequest> = origin_requests.try_iter().collect();
    let landing = same.iter().find(|r| r.target == "/landing").unwrap();
    assert_eq!(landing.header("authorization"), Some("Bearer secret"));
    assert_eq!(landing.header("cookie"), Some("session=1"));
}

#[test]
fn redirect_loop_fails_past_the_limit() {
    let (server, requests) = server(|_| redirect("302 Found", "/loop"));
    let url = server.url("/loop");
    let err = run(async {
        Client::builder()
            .trust_env(false)
            .redirect_limit(3)
            .build()
            .unwrap()
            .get(&url)
            .await
            .unwrap_err()
    });
    assert_eq!(err.kind(), Kind::Protocol);
    assert_eq!(
        format!("{err:#}"),
        format!("GET {url}: too many redirects (limit 3)")
    );
    assert_eq!(requests.try_iter().count(), 4);

    let err = run(async { client().get(&url).await.unwrap_err() });
    assert!(
        format!("{err:#}").ends_with("too many redirects (limit 10)"),
        "{err:#}"
    );
}

#[test]
fn unusable_or_missing_locations() {
    let (server, _r) = server(|req| match req.target.as_str() {
        "/ftp" => redirect("301 Moved Permanently", "ftp://files.example/x"),
        "/none" => response("302 Found", &[], b"no location"),
        _ => redirect("302 Found", "/elsewhere"),
    });
    run(async {
        let c = client();
        let err = c.get(server.url("/ftp")).await.unwrap_err();
        assert_eq!(err.kind(), Kind::Protocol);
        assert!(
            format!("{err:#}").contains("unsupported URL scheme \"ftp\""),
            "{err:#}"
        );
        assert_eq!(
            err.url().map(|u| u.as_str()),
            Some(server.url("/ftp").as_str())
        );

        // No Location: the 3xx is the answer.
        let resp = c.get(server.url("/none")).await.unwrap();
        assert_eq!(resp.status(), StatusCode::FOUND);
        assert_eq!(resp.text().await.unwrap(), "no location");

        // Following disabled.
        let no_follow = Client::builder()
            .trust_env(false)
            .redirect_limit(0)
            .build()
            .unwrap();
        let resp = no_follow.get(server.url("/x")).await.unwrap();
        assert_eq!(resp.status(), StatusCode::FOUND);
        assert_eq!(resp.headers()["location"], "/elsewhere");
    });
}
