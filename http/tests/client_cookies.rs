//! The cookie jar (`ClientBuilder::cookie_store`): off by default, kept
//! across requests and redirect hops, and held to RFC 6265's domain, path,
//! expiry and Secure rules, public suffixes included; its values never
//! shown. Tests that need host names (`a.example.co.uk`) send every request
//! through a local server acting as a forward proxy: the names are never
//! resolved, the proxy answers for all of them.

mod support;

use std::sync::mpsc::Receiver;

use aio::run;
use aio_http::{Client, Proxy};
use support::certs::TestCa;
use support::server::{recording, response, RawRequest, TestServer};

fn jar_client() -> Client {
    Client::builder()
        .trust_env(false)
        .cookie_store(true)
        .build()
        .unwrap()
}

/// The cookies a request carried, sorted (the jar's order is its own).
fn cookies(req: &RawRequest) -> Vec<String> {
    let mut all: Vec<String> = req
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("cookie"))
        .flat_map(|(_, v)| v.split("; ").map(str::to_owned))
        .collect();
    all.sort();
    all
}

/// A server answering 200 to every request, with the Set-Cookie fields
/// that `route` gives for its target, reporting each request.
fn setting_server(
    route: impl Fn(&str) -> Vec<&'static str> + Send + Sync + 'static,
) -> (TestServer, Receiver<RawRequest>) {
    recording(move |req| {
        let fields: Vec<(&str, &str)> = route(&req.target)
            .into_iter()
            .map(|f| ("set-cookie", f))
            .collect();
        response("200 OK", &fields, b"")
    })
}

/// A jar client sending every request to `proxy` in absolute form.
fn jar_client_via(proxy: &TestServer) -> Client {
    Client::builder()
        .trust_env(false)
        .cookie_store(true)
        .proxy(Proxy::http(proxy.url("")).unwrap())
        .build()
        .unwrap()
}

/// GETs each URL in turn through `proxy`; returns each request's target
/// (the full URL) with the cookies it carried.
fn cookies_sent(
    proxy: &TestServer,
    requests: &Receiver<RawRequest>,
    urls: &[&str],
) -> Vec<(String, Vec<String>)> {
    run(async {
        let c = jar_client_via(proxy);
        for url in urls {
            c.get(*url).await.unwrap();
        }
    });
    requests
        .try_iter()
        .map(|r| (r.target.clone(), cookies(&r)))
        .collect()
}

fn row(target: &str, cookies: &[&str]) -> (String, Vec<String>) {
    let cookies = cookies.iter().map(|c| c.to_string()).collect();
    (target.to_owned(), cookies)
}

#[test]
fn a_public_suffix_domain_is_refused_and_a_registrable_one_kept() {
    let (proxy, requests) = setting_server(|target| match target {
        "http://a.example.co.uk/set" => vec![
            // For every site under co.uk: refused.
            "suffix=1; Domain=co.uk",
            "dotted=1; Domain=.CO.UK",
            "site=1; Domain=example.co.uk",
        ],
        _ => vec![],
    });
    let seen = cookies_sent(
        &proxy,
        &requests,
        &[
            "http://a.example.co.uk/set",
            "http://b.other.co.uk/",
            "http://www.example.co.uk/",
        ],
    );
    assert_eq!(
        seen,
        [
            row("http://a.example.co.uk/set", &[]),
            row("http://b.other.co.uk/", &[]),
            row("http://www.example.co.uk/", &["site=1"]),
        ]
    );
}

/// github.io is in the list's private section: its sites are as separate
/// as those under co.uk.
#[test]
fn a_private_suffix_counts_too() {
    let (proxy, requests) = setting_server(|target| match target {
        "http://ann.github.io/set" => {
            vec!["all=1; Domain=github.io", "ann=1; Domain=ann.github.io"]
        }
        _ => vec![],
    });
    let seen = cookies_sent(
        &proxy,
        &requests,
        &[
            "http://ann.github.io/set",
            "http://bob.github.io/",
            "http://docs.ann.github.io/",
        ],
    );
    assert_eq!(
        seen,
        [
            row("http://ann.github.io/set", &[]),
            row("http://bob.github.io/", &[]),
            row("http://docs.ann.github.io/", &["ann=1"]),
        ]
    );
}

/// A host that is itself a public suffix may name itself in `Domain`: the
/// cookie is kept, but host-only, so no site under it receives it.
#[test]
fn a_public_suffix_host_naming_itself_gets_a_host_only_cookie() {
    let (proxy, requests) = setting_server(|target| match target {
        "http://github.io/set" => vec!["own=1; Domain=github.io"],
        _ => vec![],
    });
    let seen = cookies_sent(
        &proxy,
        &requests,
        &[
            "http://github.io/set",
            "http://github.io/",
            "http://ann.github.io/",
        ],
    );
    assert_eq!(
        seen,
        [
            row("http://github.io/set", &[]),
            row("http://github.io/", &["own=1"]),
            row("http://ann.github.io/", &[]),
        ]
    );
}

#[test]
fn cookies_set_on_a_redirect_go_with_the_next_hop() {
    let (server, requests) = recording(|req| match req.target.as_str() {
        "/login" => response(
            "302 Found",
            &[
                ("set-cookie", "sid=abc123; Path=/; HttpOnly"),
                ("location", "/home"),
            ],
            b"",
        ),
        _ => response("200 OK", &[], b"home"),
    });
    run(async {
        let resp = jar_client().post(server.url("/login")).await.unwrap();
        assert_eq!(resp.url().path(), "/home");
    });
    let login = requests.recv().unwrap();
    assert!(cookies(&login).is_empty());
    let home = requests.recv().unwrap();
    assert_eq!(cookies(&home), ["sid=abc123"]);
}

#[test]
fn no_cookie_is_kept_unless_the_store_is_on() {
    let (server, requests) = setting_server(|_| vec!["sid=abc"]);
    run(async {
        let c = Client::builder().trust_env(false).build().unwrap();
        c.get(server.url("/")).await.unwrap();
        c.get(server.url("/")).await.unwrap();
    });
    let seen: Vec<Vec<String>> = requests.try_iter().map(|r| cookies(&r)).collect();
    assert_eq!(seen, [Vec::<String>::new(), vec![]]);
}

#[test]
fn paths_choose_which_cookies_go() {
    let (server, requests) = setting_server(|target| match target {
        // No Path: the default path is the directory, /a.
        "/a/set" => vec!["dir=1", "b=2; Path=/b", "root=3; Path=/"],
        _ => vec![],
    });
    run(async {
        let c = jar_client();
        for path in ["/a/set", "/a/x", "/a", "/b/y", "/ab", "/c"] {
            c.get(server.url(path)).await.unwrap();
        }
    });
    let seen: Vec<(String, Vec<String>)> = requests
        .try_iter()
        .map(|r| (r.target.clone(), cookies(&r)))
        .collect();
    let row = |t: &str, c: &[&str]| (t.to_owned(), c.iter().map(|s| s.to_string()).collect());
    assert_eq!(
        seen,
        [
            row("/a/set", &[]),
            row("/a/x", &["dir=1", "root=3"]),
            row("/a", &["dir=1", "root=3"]),
            row("/b/y", &["b=2", "root=3"]),
            // Path matching is by segment: /a does not match /ab.
            row("/ab", &["root=3"]),
            row("/c", &["root=3"]),
        ]
    );
}

#[test]
fn domains_choose_which_hosts_get_cookies() {
    let (server, requests) = setting_server(|target| match target {
        "/ip" => vec![
            "host=1",
            // Not the request's host, nor a parent of it: refused.
            "other=1; Domain=example.com",
        ],
        "/name" => vec![
            // A single label may only name the host itself.
            "own=1; Domain=localhost",
            "tld=1; Domain=com",
        ],
        _ => vec![],
    });
    let by_name = server.url("/").replace("127.0.0.1", "localhost");
    run(async {
        let c = jar_client();
        c.get(server.url("/ip")).await.unwrap();
        c.get(server.url("/")).await.unwrap();
        // Same server, another host name: host-only cookies stay home.
        c.get(format!("{by_name}name")).await.unwrap();
        c.get(&by_name).await.unwrap();
        c.get(server.url("/")).await.unwrap();
    });
    let seen: Vec<Vec<String>> = requests.try_iter().map(|r| cookies(&r)).collect();
    let row = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        seen,
        [
            row(&[]),
            row(&["host=1"]),
            row(&[]),
            row(&["own=1"]),
            row(&["host=1"]),
        ]
    );
}

#[test]
fn expired_cookies_are_dropped_and_delete_kept_ones() {
    let (server, requests) = setting_server(|target| match target {
        "/set" => vec![
            "a=1",
            "b=2; Max-Age=3600",
            "c=3; Expires=Wed, 01 Jan 2200 00:00:00 GMT",
            "never=1; Max-Age=0",
            "past=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        ],
        "/clear" => vec![
            "a=; Max-Age=0",
            "c=; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            // Max-Age wins over Expires.
            "b=2; Max-Age=3600; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        ],
        _ => vec![],
    });
    run(async {
        let c = jar_client();
        for path in ["/set", "/", "/clear", "/"] {
            c.get(server.url(path)).await.unwrap();
        }
    });
    let seen: Vec<Vec<String>> = requests.try_iter().map(|r| cookies(&r)).collect();
    assert_eq!(seen[1], ["a=1", "b=2", "c=3"]);
    assert_eq!(seen[3], ["b=2"]);
}

/// Secure cookies go over https; over plain http only to loopback hosts,
/// which browsers count as secure too (the rule for other hosts is checked
/// in the jar's unit tests: tests cannot reach another host).
#[test]
fn secure_cookies_come_back_over_https_and_to_loopback() {
    let ca = TestCa::new("cookie CA");
    let (tx, https_requests) = std::sync::mpsc::channel();
    let https = TestServer::https(ca.localhost().server_config(), move |peer| {
        let tx = tx.clone();
        peer.serve(move |req| {
            let _ = tx.send(req.clone());
            response(
                "200 OK",
                &[("set-cookie", "s=1; Secure"), ("set-cookie", "n=1")],
                b"",
            )
        })
    });
    let (plain, plain_requests) = recording(|_| response("200 OK", &[], b""));
    run(async {
        let c = Client::builder()
            .trust_env(false)
            .add_root_certificate(&ca.cert_pem)
            .cookie_store(true)
            .build()
            .unwrap();
        c.get(https.url("/")).await.unwrap();
        c.get(https.url("/")).await.unwrap();
        // Cookies do not care about ports: the same host over plain HTTP
        // is the same cookie host.
        c.get(plain.url("/")).await.unwrap();
    });
    assert!(cookies(&https_requests.recv().unwrap()).is_empty());
    assert_eq!(cookies(&https_requests.recv().unwrap()), ["n=1", "s=1"]);
    assert_eq!(cookies(&plain_requests.recv().unwrap()), ["n=1", "s=1"]);
}

#[test]
fn a_cookie_header_from_the_request_goes_instead_of_the_jar() {
    let (server, requests) = setting_server(|target| match target {
        "/set" => vec!["jar=1"],
        _ => vec![],
    });
    run(async {
        let c = jar_client();
        c.get(server.url("/set")).await.unwrap();
        c.get(server.url("/"))
            .header("cookie", "mine=1")
            .await
            .unwrap();
    });
    let seen: Vec<Vec<String>> = requests.try_iter().map(|r| cookies(&r)).collect();
    assert_eq!(seen[1], ["mine=1"]);
}

#[test]
fn a_hop_to_another_host_gets_only_its_own_cookies() {
    let (other, other_requests) = recording(|_| response("200 OK", &[], b""));
    let elsewhere = other.url("/landing").replace("127.0.0.1", "localhost");
    let (origin, _origin_requests) = recording(move |_| {
        response(
            "302 Found",
            &[("set-cookie", "origin=1"), ("location", elsewhere.as_str())],
            b"",
        )
    });
    run(async {
        jar_client()
            .get(origin.url("/go"))
            .header("cookie", "caller=1")
            .await
            .unwrap();
    });
    // Neither the jar's cookie for 127.0.0.1 nor the caller's header.
    assert!(cookies(&other_requests.recv().unwrap()).is_empty());
}

#[test]
fn cookie_values_are_never_shown() {
    let (server, _requests) = setting_server(|_| vec!["session=hunter2"]);
    let (client_text, request_text, response_text) = run(async {
        let c = jar_client();
        let resp = c.get(server.url("/")).await.unwrap();
        let response_text = format!("{resp:?}");
        let request = c.get(server.url("/")).header("cookie", "session=hunter2");
        (format!("{c:?}"), format!("{request:?}"), response_text)
    });
    for text in [&client_text, &request_text, &response_text] {
        assert!(!text.contains("hunter2"), "{text}");
    }
    assert!(client_text.contains("cookie_store: true"), "{client_text}");
    assert!(
        request_text.contains("\"cookie\": Sensitive"),
        "{request_text}"
    );
}
