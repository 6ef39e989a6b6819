//! HTTP/2: negotiation, multiplexing, and every client feature on h2.
//!
//! The servers are the h2 crate's server side running as tasks on the
//! test's own loop (support::h2), raw frame scripts for what that crate
//! will not send, and the std-thread HTTP/1.1 servers of support::server.
//! Every wait is on a fact the server counted (streams seen, resets),
//! never on a sleep.

mod support;

use std::future::Future;
use std::io::Write as _;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use aio::run;
use aio_http::doc_support::serve_h2c;
use aio_http::{Body, Client, ClientBuilder, Kind, Method, Version};
use h2::Reason;
use support::certs::{Leaf, TestCa};
use support::h2::{frame, H2Server, Incoming};
use support::server::{response, TestServer};

const H2: &[u8] = b"h2";
const H11: &[u8] = b"http/1.1";

/// A CA, a localhost leaf it signed, and client builders trusting it.
struct Pki {
    ca: TestCa,
    leaf: Leaf,
}

impl Pki {
    fn new() -> Pki {
        let ca = TestCa::new("h2 test CA");
        let leaf = ca.localhost();
        Pki { ca, leaf }
    }

    fn builder(&self) -> ClientBuilder {
        Client::builder()
            .trust_env(false)
            .add_root_certificate(&self.ca.cert_pem)
            // A bound on every test: a hang fails it instead of stalling.
            .timeout(Duration::from_secs(30))
    }

    fn client(&self) -> Client {
        self.builder().build().unwrap()
    }
}

fn h2c_client() -> Client {
    h2c_builder().build().unwrap()
}

fn h2c_builder() -> ClientBuilder {
    Client::builder()
        .trust_env(false)
        .http2_prior_knowledge()
        .timeout(Duration::from_secs(30))
}

/// Answers `METHOD path` (and the request body's length, for bodies).
async fn echo(mut s: Incoming) {
    let line = s.line();
    let body = s.body().await.unwrap_or_default();
    s.reply(200, &[], format!("{line} {}", body.len()));
}

// ---------------------------------------------------------------- 1. ALPN

#[test]
fn h2c_prior_knowledge_get() {
    run(async {
        let url = serve_h2c(&["200 OK\ncontent-type: text/plain\n\n{request}"]).await;
        let client = Client::builder().http2_prior_knowledge().build().unwrap();
        for _ in 0..3 {
            let response = client.get(format!("{url}/a?b=c")).await.unwrap();
            assert_eq!(response.version(), Version::HTTP_2);
            let echo = response.text().await.unwrap();
            assert!(echo.starts_with("GET /a\n"), "{echo}");
        }
    });
}

#[test]
fn alpn_h2_is_spoken_when_the_server_offers_it() {
    let pki = Pki::new();
    run(async {
        let server = H2Server::tls(&pki.leaf, &[H2, H11]).start(echo).await;
        let client = pki.client();
        for i in 0..3 {
            let response = client.get(server.url(&format!("/{i}"))).await.unwrap();
            assert_eq!(response.version(), Version::HTTP_2);
            assert_eq!(response.text().await.unwrap(), format!("GET /{i} 0"));
        }
        let counts = server.counts();
        assert_eq!((counts.connections, counts.streams), (1, 3));
        assert_eq!(counts.http1_requests, 0);
    });
}

#[test]
fn alpn_http11_only_server_gets_http11() {
    let pki = Pki::new();
    let server = TestServer::https(pki.leaf.server_config(), |peer| {
        peer.serve(|_| response("200 OK", &[], b"one-one"))
    });
    run(async {
        let response = pki.client().get(server.url("/")).await.unwrap();
        assert_eq!(response.version(), Version::HTTP_11);
        assert_eq!(response.text().await.unwrap(), "one-one");
    });
}

#[test]
fn http1_only_client_gets_http11_from_an_h2_server() {
    let pki = Pki::new();
    run(async {
        let server = H2Server::tls(&pki.leaf, &[H2, H11]).start(echo).await;
        let client = pki.builder().http1_only().build().unwrap();
        let response = client.get(server.url("/")).await.unwrap();
        assert_eq!(response.version(), Version::HTTP_11);
        assert_eq!(response.text().await.unwrap(), "http/1.1");
        let counts = server.counts();
        assert_eq!((counts.http1_requests, counts.streams), (1, 0));
    });
}

#[test]
fn h2c_prior_knowledge_on_the_test_server() {
    run(async {
        let server = H2Server::h2c().start(echo).await;
        let client = h2c_client();
        let response = client.post(server.url("/p")).body("abc").await.unwrap();
        assert_eq!(response.version(), Version::HTTP_2);
        assert_eq!(response.text().await.unwrap(), "POST /p 3");
    });
}

// ------------------------------------------------------ 2, 3. multiplexing

#[test]
fn a_thousand_concurrent_requests_share_one_connection_within_the_stream_limit() {
    let pki = Pki::new();
    run(async {
        let server = H2Server::tls(&pki.leaf, &[H2, H11])
            .max_concurrent_streams(100)
            .start(|mut s: Incoming| async move {
                // Held until two streams were open at once: proof of
                // multiplexing, whatever the scheduling.
                let stats = Arc::clone(&s.stats);
                stats.until(|c| c.peak >= 2).await;
                let line = s.line();
                s.reply(200, &[], line);
            })
            .await;
        let client = pki.client();
        let requests = (0..1000).map(|i| {
            let client = client.clone();
            let url = server.url(&format!("/n/{i}"));
            async move {
                let response = client.get(&url).await.unwrap_or_else(|e| panic!("{e:#}"));
                assert_eq!(response.version(), Version::HTTP_2);
                let body = response.text().await.unwrap();
                assert_eq!(body, format!("GET /n/{i}"));
            }
        });
        aio::gather(requests).await;
        let counts = server.counts();
        assert_eq!(counts.connections, 1, "{counts:?}");
        assert_eq!(counts.streams, 1000);
        assert!(
            counts.peak > 1 && counts.peak <= 100,
            "peak {} streams at once",
            counts.peak
        );
    });
}

#[test]
fn first_requests_racing_a_negotiating_connection_share_it() {
    let pki = Pki::new();
    run(async {
        let server = H2Server::tls(&pki.leaf, &[H2, H11]).start(echo).await;
        let client = pki.client();
        let requests = (0..20).map(|i| {
            let request = client.get(server.url(&format!("/r/{i}")));
            async move {
                let response = request.await.unwrap();
                assert_eq!(response.version(), Version::HTTP_2);
                assert_eq!(response.text().await.unwrap(), format!("GET /r/{i} 0"));
            }
        });
        aio::gather(requests).await;
        let counts = server.counts();
        assert_eq!((counts.connections, counts.streams), (1, 20));
    });
}
