//! Proxies configured with `ClientBuilder::proxy`: plain HTTP in absolute
//! form to a forward proxy, HTTPS through a CONNECT tunnel with TLS to the
//! origin, SOCKS5 and SOCKS5h, proxy credentials (to the proxy only), the
//! proxy's refusals as errors, and connections kept apart by route. The
//! proxies are local threads (tests/support/proxy.rs); origin names such as
//! `origin.test` are never resolved, the proxy is asked for them.

mod support;

use std::sync::mpsc::{self, Receiver};
use std::sync::Mutex;
use std::time::Duration;

use aio::run;
use aio_http::{Client, ClientBuilder, Error, Kind, Proxy, StatusCode};
use support::certs::TestCa;
use support::proxy::{basic, connect_proxy, forward_proxy, silence, socks5_server, ConnectAnswer};
use support::server::{response, RawRequest, TestServer};

fn builder() -> ClientBuilder {
    Client::builder().trust_env(false)
}

/// A client sending its requests through `proxy`.
fn client_via(proxy: Proxy) -> Client {
    builder().proxy(proxy).build().unwrap()
}

async fn get_text(client: &Client, url: &str) -> Result<String, Error> {
    client.get(url).await?.text().await
}

/// The error of a GET of `url` through `proxy`.
fn error_via(proxy: Proxy, url: &str) -> Error {
    let client = client_via(proxy);
    run(async { get_text(&client, url).await.unwrap_err() })
}

/// An origin answering `body` to every request, reporting each request.
fn origin(body: &'static str) -> (TestServer, Receiver<RawRequest>) {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let server = TestServer::http(move |peer| {
        let tx = tx.lock().unwrap().clone();
        peer.serve(move |req| {
            let _ = tx.send(req.clone());
            response("200 OK", &[], body.as_bytes())
        })
    });
    (server, rx)
}

/// An HTTPS origin whose certificate names `origin.test` only, so a
/// handshake succeeds only when it is made with that name.
fn tls_origin(ca: &TestCa) -> (TestServer, Receiver<RawRequest>) {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let server = TestServer::https(ca.leaf(&["origin.test"]).server_config(), move |peer| {
        let tx = tx.lock().unwrap().clone();
        peer.serve(move |req| {
            let _ = tx.send(req.clone());
            response("200 OK", &[], b"tls origin")
        })
    });
    (server, rx)
}

fn assert_hidden(password: &str, err: &Error) {
    for shown in [err.to_string(), format!("{err:#}"), format!("{err:?}")] {
        assert!(!shown.contains(password), "{shown}");
    }
}

#[test]
fn plain_http_goes_to_the_proxy_in_absolute_form_with_its_credentials() {
    let (proxy, seen) = forward_proxy(None);
    let proxy_url = format!("http://ann:p%40ss@{}", proxy.addr());
    let client = client_via(Proxy::http(&proxy_url).unwrap());
    run(async {
        for _ in 0..2 {
            let body = get_text(&client, "http://origin.test:8080/a/b?q=1#frag").await;
            assert_eq!(body.unwrap(), "http://origin.test:8080/a/b?q=1");
        }
    });
    let req = seen.recv().unwrap();
    assert_eq!(req.method, "GET");
    assert_eq!(req.target, "http://origin.test:8080/a/b?q=1");
    assert_eq!(req.header("host"), Some("origin.test:8080"));
    // Percent-decoded: the password is "p@ss".
    assert_eq!(
        req.header("proxy-authorization"),
        Some(basic("ann", "p@ss").as_str())
    );
    // Absolute-form requests share the pooled connection to the proxy.
    assert_eq!(seen.recv().unwrap().target, req.target);
    assert_eq!(proxy.accepts(), 1);
}

#[test]
fn a_callers_proxy_authorization_reaches_a_forwarding_proxy_and_wins() {
    let (proxy, seen) = forward_proxy(None);
    let with_credentials = format!("http://ann:pw@{}", proxy.addr());
    for proxy_url in [proxy.url(""), with_credentials] {
        let client = client_via(Proxy::all(&proxy_url).unwrap());
        run(async {
            client
                .get("http://origin.test/")
                .header("proxy-authorization", "Basic Y2FsbGVyOnB3")
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
        });
        let req = seen.recv().unwrap();
        assert_eq!(
            req.header("proxy-authorization"),
            Some("Basic Y2FsbGVyOnB3"),
            "{proxy_url}"
        );
    }
}

#[test]
fn https_goes_through_a_connect_tunnel_with_tls_to_the_origin() {
    let ca = TestCa::new("tunnel CA");
    let (origin, origin_seen) = tls_origin(&ca);
    let expected = basic("ann", "s3cret");
    let answer = ConnectAnswer::Tunnel(origin.addr(), Some(expected.clone()));
    let (proxy, proxy_seen) = connect_proxy(answer);
    let client = builder()
        .add_root_certificate(&ca.cert_pem)
        .proxy(Proxy::https(format!("http://ann:s3cret@{}", proxy.addr())).unwrap())
        .build()
        .unwrap();
    let authority = format!("origin.test:{}", origin.addr().port());
    let url = format!("https://{authority}/data?x=1");
    run(async {
        for _ in 0..2 {
            let body = client
                .get(&url)
                .header("proxy-authorization", "Basic not-for-the-origin")
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert_eq!(body, "tls origin");
        }
    });
    let connect = proxy_seen.recv().unwrap();
    assert_eq!(connect.method, "CONNECT");
    assert_eq!(connect.target, authority);
    assert_eq!(connect.header("host"), Some(authority.as_str()));
    assert_eq!(
        connect.header("proxy-authorization"),
        Some(expected.as_str())
    );
    assert!(connect.header("user-agent").is_some(), "{}", connect.head);
    // Inside the tunnel: an ordinary origin-form request, no proxy
    // credentials of either kind.
    for _ in 0..2 {
        let req = origin_seen.recv().unwrap();
        assert_eq!(req.target, "/data?x=1");
        assert_eq!(req.header("proxy-authorization"), None, "{}", req.head);
    }
    // One tunnel carried both requests.
    assert_eq!((proxy.accepts(), origin.accepts()), (1, 1));
}

#[test]
fn a_407_to_connect_is_a_connect_error_naming_the_proxy_but_not_its_password() {
    let ca = TestCa::new("unused CA");
    let (origin, _) = tls_origin(&ca);
    let answer = ConnectAnswer::Tunnel(origin.addr(), Some(basic("ann", "right")));
    let (proxy, _) = connect_proxy(answer);
    let err = error_via(
        Proxy::all(format!("http://ann:hunter2@{}", proxy.addr())).unwrap(),
        "https://origin.test/",
    );
    assert_eq!(err.kind(), Kind::Connect);
    assert_eq!(
        err.status(),
        Some(StatusCode::PROXY_AUTHENTICATION_REQUIRED)
    );
    assert_eq!(
        err.to_string(),
        format!(
            "GET https://origin.test/: proxy http://ann:***@{} refused the tunnel to \
             origin.test:443: 407 Proxy Authentication Required (it refused the credentials \
             sent; it asks for Basic realm=\"test proxy\")",
            proxy.addr()
        )
    );
    assert_hidden("hunter2", &err);
    assert_eq!(origin.accepts(), 0);
}

#[test]
fn any_other_answer_to_connect_is_an_error_with_its_status() {
    let refusal = response("502 Bad Gateway", &[], b"upstream down");
    let (proxy, _) = connect_proxy(ConnectAnswer::Refuse(refusal));
    let err = error_via(
        Proxy::https(proxy.url("")).unwrap(),
        "https://origin.test:8443/",
    );
    assert_eq!(err.kind(), Kind::Connect);
    assert_eq!(err.status(), Some(StatusCode::BAD_GATEWAY));
    let text = err.to_string();
    assert!(
        text.ends_with("refused the tunnel to origin.test:8443: 502 Bad Gateway"),
        "{text}"
    );

    // A proxy that hangs up instead of answering.
    let (proxy, _) = connect_proxy(ConnectAnswer::Refuse(Vec::new()));
    let err = error_via(Proxy::https(proxy.url("")).unwrap(), "https://origin.test/");
    assert_eq!(err.kind(), Kind::Connect);
    let text = format!("{err:#}");
    assert!(
        text.contains("sent an invalid answer to CONNECT origin.test:443"),
        "{text}"
    );
    assert!(text.contains("no bytes received"), "{text}");
}

#[test]
fn a_forwarding_proxys_407_is_an_error_saying_no_credentials_were_sent() {
    let reply = response(
        "407 Proxy Authentication Required",
        &[("proxy-authenticate", "Basic realm=\"corp\"")],
        b"",
    );
    let (proxy, _) = forward_proxy(Some(reply));
    let err = error_via(Proxy::http(proxy.url("")).unwrap(), "http://origin.test/x");
    assert_eq!(err.kind(), Kind::Connect);
    assert_eq!(
        err.status(),
        Some(StatusCode::PROXY_AUTHENTICATION_REQUIRED)
    );
    let text = err.to_string();
    assert!(
        text.starts_with("GET http://origin.test/x: proxy http://127.0.0.1:"),
        "{text}"
    );
    assert!(text.contains("refused the request: 407"), "{text}");
    assert!(text.contains("no credentials were sent"), "{text}");
    assert!(text.contains("it asks for Basic realm=\"corp\""), "{text}");
}

#[test]
fn an_unreachable_proxy_is_named_in_the_connect_error() {
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let err = error_via(
        Proxy::all(format!("http://ann:hunter2@{addr}")).unwrap(),
        "https://origin.test/",
    );
    assert_eq!(err.kind(), Kind::Connect);
    let text = format!("{err:#}");
    assert!(
        text.starts_with(&format!(
            "GET https://origin.test/: could not connect to proxy http://ann:***@{addr}: "
        )),
        "{text}"
    );
    assert!(text.contains("refused"), "{text}");
    assert_hidden("hunter2", &err);
}

#[test]
fn the_connect_timeout_covers_the_tunnel_exchange() {
    let (stop, answer) = silence();
    let (proxy, seen) = connect_proxy(answer);
    let client = builder()
        .proxy(Proxy::https(proxy.url("")).unwrap())
        .connect_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = run(async { get_text(&client, "https://origin.test/").await.unwrap_err() });
    // The proxy read the CONNECT and said nothing: the tunnel phase timed out.
    assert_eq!(seen.recv().unwrap().method, "CONNECT");
    assert!(err.is_timeout(), "{err:#}");
    assert_eq!(
        err.to_string(),
        "GET https://origin.test/: timed out after 200 ms setting up the tunnel through the \
         proxy (connect timeout, set by ClientBuilder::connect_timeout)"
    );
    drop(stop);
}

#[test]
fn socks5_with_a_password_resolves_the_name_locally() {
    let (origin, origin_seen) = origin("via socks");
    let (socks, seen) = socks5_server(origin.addr(), Some(("ann", "pw")), 0);
    let client = client_via(Proxy::all(format!("socks5://ann:pw@{}", socks.addr())).unwrap());
    let url = format!("http://localhost:{}/x", origin.addr().port());
    run(async {
        for _ in 0..2 {
            let resp = client
                .get(&url)
                .header("proxy-authorization", "Basic not-for-the-origin")
                .await
                .unwrap();
            assert_eq!(resp.text().await.unwrap(), "via socks");
        }
    });
    let req = seen.recv().unwrap();
    assert_eq!(req.methods, [0, 2]);
    assert_eq!(req.credentials, Some(("ann".into(), "pw".into())));
    // socks5: the client resolved localhost and sent an address.
    assert!(req.destination.starts_with("ip:"), "{req:?}");
    assert_eq!(req.port, origin.addr().port());
    // Through SOCKS a plain-HTTP request is in origin form, as direct, and
    // carries no proxy credentials.
    let req = origin_seen.recv().unwrap();
    assert_eq!(req.target, "/x");
    assert_eq!(req.header("proxy-authorization"), None, "{}", req.head);
    assert_eq!((socks.accepts(), origin.accepts()), (1, 1));
}

#[test]
fn socks5h_sends_the_name_and_carries_tls_to_the_origin() {
    let ca = TestCa::new("socks CA");
    let (origin, origin_seen) = tls_origin(&ca);
    let (socks, seen) = socks5_server(origin.addr(), None, 0);
    let client = builder()
        .add_root_certificate(&ca.cert_pem)
        .proxy(Proxy::https(format!("socks5h://{}", socks.addr())).unwrap())
        .build()
        .unwrap();
    let url = format!("https://origin.test:{}/", origin.addr().port());
    let body = run(async { get_text(&client, &url).await }).unwrap();
    assert_eq!(body, "tls origin");
    let req = seen.recv().unwrap();
    assert_eq!(req.methods, [0], "no credentials, so no password method");
    assert_eq!(req.destination, "name:origin.test");
    assert_eq!(req.port, origin.addr().port());
    assert_eq!(origin_seen.recv().unwrap().target, "/");
}

#[test]
fn socks5_failures_say_what_the_proxy_refused() {
    let (origin, _) = origin("unreachable");
    let (socks, seen) = socks5_server(origin.addr(), Some(("ann", "pw")), 0);
    let err = error_via(
        Proxy::all(format!("socks5h://ann:wrong-pw@{}", socks.addr())).unwrap(),
        "http://origin.test/",
    );
    assert_eq!(
        seen.recv().unwrap().credentials,
        Some(("ann".into(), "wrong-pw".into()))
    );
    assert_eq!(err.kind(), Kind::Connect);
    assert_eq!(
        err.to_string(),
        format!(
            "GET http://origin.test/: SOCKS5 proxy socks5h://ann:***@{} refused the user name \
             and password (status 0x01)",
            socks.addr()
        )
    );
    assert_hidden("wrong-pw", &err);

    // Credentials required, none given.
    let err = error_via(
        Proxy::all(format!("socks5h://{}", socks.addr())).unwrap(),
        "http://origin.test/",
    );
    assert!(err.to_string().contains("requires authentication"), "{err}");

    // The proxy cannot reach the destination.
    let (socks, _) = socks5_server(origin.addr(), None, 5);
    let err = error_via(
        Proxy::all(format!("socks5h://{}", socks.addr())).unwrap(),
        "http://origin.test/",
    );
    assert_eq!(err.kind(), Kind::Connect);
    assert!(
        err.to_string()
            .ends_with("could not connect to origin.test:80: connection refused (reply 0x05)"),
        "{err}"
    );
    assert_eq!(origin.accepts(), 0);
}

/// One server is both an origin (origin-form requests) and the forward
/// proxy (absolute form): direct requests to its address and proxied ones
/// through it open connections to the same place, and the pool must never
/// give one kind's connection to the other.
#[test]
fn direct_and_proxied_connections_to_one_address_are_kept_apart() {
    let (server, seen) = forward_proxy(None);
    let client = client_via(
        Proxy::http(server.url(""))
            .unwrap()
            .no_proxy("127.0.0.1")
            .unwrap(),
    );
    let direct = server.url("/direct");
    run(async {
        for _ in 0..2 {
            assert_eq!(get_text(&client, &direct).await.unwrap(), "/direct");
            let proxied = get_text(&client, "http://origin.test/proxied")
                .await
                .unwrap();
            assert_eq!(proxied, "http://origin.test/proxied");
        }
    });
    assert_eq!(server.accepts(), 2);
    // Each connection carried two requests of its own kind.
    assert_eq!(server.requests(), [2, 2]);
    let targets: Vec<String> = seen.try_iter().map(|r| r.target).collect();
    assert_eq!(
        targets,
        [
            "/direct",
            "http://origin.test/proxied",
            "/direct",
            "http://origin.test/proxied"
        ]
    );
}

#[test]
fn proxies_show_no_password_in_debug_and_bad_ones_are_refused() {
    let configured = builder()
        .proxy(Proxy::https("http://ann:hunter2@proxy.test:3128").unwrap())
        .proxy(Proxy::all("socks5h://bob:hunter3@127.0.0.1").unwrap());
    let client = configured.clone().build().unwrap();
    for shown in [format!("{configured:?}"), format!("{client:?}")] {
        assert!(shown.contains("http://ann:***@proxy.test:3128"), "{shown}");
        assert!(
            shown.contains("socks5h://bob:***@127.0.0.1:1080"),
            "{shown}"
        );
        assert!(!shown.contains("hunter"), "{shown}");
    }

    for (url, why) in [
        (
            "https://ann:hunter2@proxy.test",
            "(https://) are not supported",
        ),
        ("ftp://proxy.test", "unsupported scheme \"ftp\""),
        ("http://ann:hunter2@", "empty host"),
        ("http://proxy.test:99999", "invalid port"),
    ] {
        let err = Proxy::all(url).unwrap_err();
        assert_eq!(err.kind(), Kind::Builder, "{url}");
        assert!(err.to_string().contains(why), "{url}: {err}");
        assert_hidden("hunter2", &err);
    }
    let err = Proxy::all("http://p.test")
        .unwrap()
        .no_proxy("10.0.0.0/33")
        .unwrap_err();
    assert_eq!(err.kind(), Kind::Builder);
    assert_eq!(
        err.to_string(),
        "invalid no_proxy list: entry \"10.0.0.0/33\" has a CIDR prefix length out of range"
    );
}

#[test]
fn no_proxy_on_the_builder_sends_everything_direct() {
    let (origin, _) = origin("direct");
    let (proxy, _) = forward_proxy(None);
    for client in [
        builder()
            .no_proxy()
            .proxy(Proxy::all(proxy.url("")).unwrap()),
        builder()
            .proxy(Proxy::all(proxy.url("")).unwrap())
            .no_proxy(),
    ] {
        let client = client.build().unwrap();
        let body = run(async { get_text(&client, &origin.url("/")).await }).unwrap();
        assert_eq!(body, "direct");
    }
    assert_eq!(proxy.accepts(), 0);
}
