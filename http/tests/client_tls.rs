//! HTTPS against local rustls servers: JSON, reuse, certificate failures
//! each with its own message, and truncation by a close without close_notify.

mod support;

use aio::run;
use aio_http::{Client, Kind};
use serde::Deserialize;
use support::certs::{self_signed_localhost, Leaf, TestCa};
use support::server::{json_ok, TestServer};

#[derive(Debug, Deserialize, PartialEq)]
struct Post {
    id: u64,
}

fn client_trusting(ca: &TestCa) -> Client {
    Client::builder()
        .trust_env(false)
        .add_root_certificate(&ca.cert_pem)
        .build()
        .unwrap()
}

fn json_server(leaf: &Leaf) -> TestServer {
    TestServer::https(leaf.server_config(), |peer| {
        peer.serve(|_| json_ok(r#"[{"id":1},{"id":2},{"id":3}]"#))
    })
}

#[test]
fn https_get_json_and_reuse_the_connection() {
    let ca = TestCa::new("https CA");
    let server = json_server(&ca.localhost());
    let url = server.url("/posts");
    assert!(url.starts_with("https://127.0.0.1:"));
    run(async {
        let c = client_trusting(&ca);
        for _ in 0..3 {
            let posts: Vec<Post> = c.get(&url).await.unwrap().json().await.unwrap();
            assert_eq!(posts.len(), 3);
        }
    });
    assert_eq!(server.accepts(), 1);
}

#[test]
fn https_by_host_name_uses_sni_and_dns_names() {
    let ca = TestCa::new("name CA");
    let server = json_server(&ca.localhost());
    let url = format!("https://localhost:{}/posts", server.addr().port());
    let posts: Vec<Post> =
        run(async { client_trusting(&ca).get(&url).await?.json().await }).unwrap();
    assert_eq!(posts[0], Post { id: 1 });
}

fn handshake_error(leaf: &Leaf, trusted: &TestCa) -> aio_http::Error {
    let server = json_server(leaf);
    let url = server.url("/posts");
    let err = run(async { client_trusting(trusted).get(&url).await.unwrap_err() });
    assert_eq!(err.kind(), Kind::Tls, "{err:#}");
    assert!(err.is_tls());
    assert!(
        format!("{err:#}").starts_with(&format!("GET {url}: TLS handshake failed: certificate ")),
        "{err:#}"
    );
    err
}

#[test]
fn expired_certificate_is_rejected_as_expired() {
    let ca = TestCa::new("expiry CA");
    let err = handshake_error(&ca.expired_localhost(), &ca);
    assert!(
        format!("{err:#}").contains("certificate has expired"),
        "{err:#}"
    );
}

#[test]
fn certificate_for_another_name_is_rejected_as_such() {
    let ca = TestCa::new("name CA");
    let err = handshake_error(&ca.other_name(), &ca);
    assert!(
        format!("{err:#}").contains(
            "certificate is not valid for name 127.0.0.1 (it is valid for other.example)"
        ),
        "{err:#}"
    );
}

#[test]
fn unknown_issuer_is_rejected_as_unknown() {
    let ca = TestCa::new("trusted CA");
    let stranger = TestCa::new("stranger CA");
    for leaf in [stranger.localhost(), self_signed_localhost()] {
        let err = handshake_error(&leaf, &ca);
        assert!(
            format!("{err:#}")
                .ends_with("certificate signed by unknown issuer (not in the trusted roots)"),
            "{err:#}"
        );
    }
}

#[test]
fn bad_root_certificate_fails_build() {
    let err = Client::builder()
        .trust_env(false)
        .add_root_certificate("not a certificate")
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), Kind::Tls);
    assert!(
        format!("{err:#}").starts_with("cannot build the TLS configuration: "),
        "{err:#}"
    );
}

/// A close-delimited body, ended with or without close_notify.
fn close_delimited(ca: &TestCa, clean: bool) -> TestServer {
    TestServer::https(ca.localhost().server_config(), move |mut peer| {
        peer.read_request();
        peer.write(b"HTTP/1.1 200 OK\r\n\r\npart one, ");
        peer.write(b"part two");
        if clean {
            peer.close_notify();
        }
        peer.close();
    })
}

#[test]
fn close_without_close_notify_during_a_close_delimited_body_is_an_error() {
    let ca = TestCa::new("truncation CA");
    let server = close_delimited(&ca, false);
    let url = server.url("/");
    let err = run(async { client_trusting(&ca).get(&url).await?.bytes().await }).unwrap_err();
    assert_eq!(err.kind(), Kind::Body, "{err:#}");
    assert!(
        format!("{err:#}").contains("without close_notify"),
        "{err:#}"
    );

    // The same body ended by close_notify is complete.
    let server = close_delimited(&ca, true);
    let url = server.url("/");
    let body = run(async { client_trusting(&ca).get(&url).await?.text().await }).unwrap();
    assert_eq!(body, "part one, part two");
}

#[test]
fn content_length_body_cut_by_an_unclean_close_says_how_far_it_got() {
    let ca = TestCa::new("cut CA");
    let server = TestServer::https(ca.localhost().server_config(), |mut peer| {
        peer.read_request();
        peer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n1234");
        peer.close();
    });
    let url = server.url("/");
    let err = run(async { client_trusting(&ca).get(&url).await?.bytes().await }).unwrap_err();
    assert_eq!(err.kind(), Kind::Body);
    assert!(
        format!("{err:#}").contains("connection closed 4 bytes into a 10-byte body"),
        "{err:#}"
    );
}

#[test]
fn connect_timeout_bounds_a_handshake_that_never_completes() {
    let ca = TestCa::new("stall CA");
    // Accepts TCP but never speaks TLS.
    let server = TestServer::http(|peer| {
        std::thread::sleep(std::time::Duration::from_secs(3));
        drop(peer);
    });
    let url = format!("https://127.0.0.1:{}/", server.addr().port());
    let limit = std::time::Duration::from_millis(300);
    let started = std::time::Instant::now();
    let err = run(async {
        Client::builder()
            .trust_env(false)
            .add_root_certificate(&ca.cert_pem)
            .connect_timeout(limit)
            .build()
            .unwrap()
            .get(&url)
            .await
            .unwrap_err()
    });
    assert!(started.elapsed() < limit + std::time::Duration::from_millis(1500));
    assert!(err.is_timeout(), "{err:#}");
    assert_eq!(
        format!("{err:#}"),
        format!("GET {url}: timed out after 300 ms during the TLS handshake (connect timeout, set by ClientBuilder::connect_timeout)")
    );
}
