//! The proxy environment variables through the client. The environment is
//! process-wide, so this binary holds a single test that changes it step by
//! step (the rules themselves are unit-tested in src/proxy/env.rs).

mod support;

use aio::run;
use aio_http::{Client, ClientBuilder, Kind, Proxy};
use support::proxy::forward_proxy;
use support::server::{response, TestServer};

const VARS: [&str; 9] = [
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
    "REQUEST_METHOD",
];

fn clear_env() {
    for name in VARS {
        std::env::remove_var(name);
    }
}

/// What answered a GET of `url`: the forward proxies answer with the
/// request target, the origin with "direct".
fn answer(client: ClientBuilder, url: &str) -> String {
    let client = client.build().unwrap();
    run(async { client.get(url).await?.text().await }).unwrap()
}

#[test]
fn proxy_variables_are_read_as_curl_reads_them() {
    clear_env();
    let origin = TestServer::http(|peer| peer.serve(|_| response("200 OK", &[], b"direct")));
    let (proxy, seen) = forward_proxy(None);
    let (other_proxy, other_seen) = forward_proxy(None);
    let url = format!("http://localhost:{}/x", origin.addr().port());

    // HTTP_PROXY takes plain-HTTP requests, through Client::new() too.
    std::env::set_var("HTTP_PROXY", proxy.url(""));
    let client = Client::new();
    let got = run(async { client.get(&url).await?.text().await }).unwrap();
    assert_eq!(got, url);
    assert_eq!(seen.recv().unwrap().target, url);

    // NO_PROXY sends the hosts it names direct.
    for list in [
        "localhost",
        ".localhost",
        "example.org, localhost:80, localhost",
    ] {
        std::env::set_var("NO_PROXY", list);
        assert_eq!(answer(Client::builder(), &url), "direct", "{list}");
    }
    std::env::set_var("NO_PROXY", "localhost:1");
    assert_eq!(answer(Client::builder(), &url), url, "another port");
    std::env::remove_var("NO_PROXY");

    // The lower-case form wins; set but empty, it means "no proxy".
    std::env::set_var("http_proxy", other_proxy.url(""));
    assert_eq!(answer(Client::builder(), &url), url);
    assert_eq!(other_seen.recv().unwrap().target, url);
    std::env::set_var("http_proxy", "");
    assert_eq!(answer(Client::builder(), &url), "direct");
    std::env::remove_var("http_proxy");

    // httpoxy: under CGI, HTTP_PROXY may come from a request's Proxy:
    // header, so it is ignored; the lower-case form is not.
    std::env::set_var("REQUEST_METHOD", "GET");
    assert_eq!(answer(Client::builder(), &url), "direct");
    std::env::set_var("http_proxy", other_proxy.url(""));
    assert_eq!(answer(Client::builder(), &url), url);
    assert_eq!(other_seen.recv().unwrap().target, url);
    std::env::remove_var("http_proxy");
    std::env::remove_var("REQUEST_METHOD");

    // ALL_PROXY covers what HTTP_PROXY does not set.
    std::env::remove_var("HTTP_PROXY");
    std::env::set_var("ALL_PROXY", other_proxy.url(""));
    assert_eq!(answer(Client::builder(), &url), url);
    assert_eq!(other_seen.recv().unwrap().target, url);

    // Ignored when not trusting the environment, with no_proxy(), and
    // when proxies are given in code.
    assert_eq!(answer(Client::builder().trust_env(false), &url), "direct");
    assert_eq!(answer(Client::builder().no_proxy(), &url), "direct");
    let given = Client::builder().proxy(Proxy::all(proxy.url("")).unwrap());
    assert_eq!(answer(given, &url), url);
    assert_eq!(seen.recv().unwrap().target, url);
    std::env::remove_var("ALL_PROXY");

    // HTTPS_PROXY is for https URLs only.
    std::env::set_var("HTTPS_PROXY", proxy.url(""));
    assert_eq!(answer(Client::builder(), &url), "direct");

    // A malformed variable: build() names it, hiding the password.
    std::env::set_var("HTTPS_PROXY", "ftp://ann:hunter2@proxy.test");
    let err = Client::builder().build().unwrap_err();
    assert_eq!(err.kind(), Kind::Builder);
    let text = err.to_string();
    assert!(text.contains("in HTTPS_PROXY"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
    assert!(Client::builder().trust_env(false).build().is_ok());
    std::env::set_var("HTTPS_PROXY", proxy.url(""));
    std::env::set_var("no_proxy", "10.0.0.0/99");
    let err = Client::builder().build().unwrap_err();
    assert!(
        err.to_string().starts_with("invalid no_proxy list: entry"),
        "{err}"
    );
    clear_env();
}
