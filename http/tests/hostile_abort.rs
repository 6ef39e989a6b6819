//! Cancellation at every await point: a request (plain and HTTPS, with and
//! without a large request body) runs in a spawned task that is dropped
//! after exactly k polls, for k = 1, 2, ... until one run completes. That
//! covers connecting, the TLS handshake, writing, waiting for the head and
//! reading the body. After every abort the same client must succeed at
//! once, with its own response: a connection abandoned mid-exchange must
//! never have gone back to the pool.

mod support;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

use aio::run;
use aio_http::{Client, Method};
use support::abort::AbortAfter;
use support::certs::TestCa;
use support::server::{response, TestServer};

/// Counts the polls of the inner future.
struct Counted<F> {
    fut: Pin<Box<F>>,
    polls: Arc<AtomicUsize>,
}

impl<F: Future> Future for Counted<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        self.fut.as_mut().poll(cx)
    }
}

const BODY_PIECES: usize = 4;
const PIECE: usize = 3000;

/// `/slow/<n>`: the head, then the body in pieces with pauses, so reading
/// it takes several polls; every body says which request it answers.
/// `/good/<n>`: at once. Request bodies are read and their length echoed.
fn handler(peer: support::server::Peer) {
    let mut peer = peer;
    while let Some(req) = peer.read_request() {
        let tag = format!("{} {} {}", req.method, req.target, req.body.len());
        if req.target.starts_with("/slow/") {
            let mut body = tag.into_bytes();
            body.resize(BODY_PIECES * PIECE, b'.');
            let mut head =
                format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", body.len()).into_bytes();
            head.extend_from_slice(&body[..PIECE]);
            peer.write(&head);
            for piece in body[PIECE..].chunks(PIECE) {
                thread::sleep(Duration::from_millis(5));
                peer.write(piece);
            }
        } else {
            peer.write(&response("200 OK", &[], tag.as_bytes()));
        }
    }
}

/// The request under test, reading the whole body; returns the body.
async fn exchange(client: Client, url: String, put_body: Option<Vec<u8>>) -> Vec<u8> {
    let req = match put_body {
        Some(body) => client.request(Method::PUT, &url).body(body),
        None => client.get(&url),
    };
    let resp = req.await.unwrap_or_else(|e| panic!("{url}: {e}"));
    resp.bytes()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"))
        .into()
}

/// A good request right after an abort: its own, complete response.
async fn check_follow_up(client: &Client, server: &TestServer, k: usize) {
    let url = server.url(&format!("/good/{k}"));
    let resp = client
        .get(&url)
        .await
        .unwrap_or_else(|e| panic!("after abort at poll {k}: {e}"));
    let body = resp
        .text()
        .await
        .unwrap_or_else(|e| panic!("after abort at poll {k}: {e}"));
    assert_eq!(body, format!("GET /good/{k} 0"), "after abort at poll {k}");
}

/// Aborts the exchange after k polls for every k until it completes;
/// returns how many polls the complete run took.
fn abort_everywhere(server: &TestServer, client: Client, put_body: Option<Vec<u8>>) -> usize {
    let expected_len = BODY_PIECES * PIECE;
    run(async move {
        for k in 1.. {
            assert!(k < 10_000, "the request never completed");
            let url = server.url(&format!("/slow/{k}"));
            let fut = exchange(client.clone(), url, put_body.clone());
            let task = aio_executor::spawn(AbortAfter::new(fut, k));
            let outcome = task.await.expect("the task itself is not cancelled");
            check_follow_up(&client, server, k).await;
            if let Some(body) = outcome {
                if std::env::var_os("ABORT_DEBUG").is_some() {
                    eprintln!("completed after {k} polls");
                }
                assert_eq!(body.len(), expected_len);
                let method = if put_body.is_some() { "PUT" } else { "GET" };
                let len = put_body.as_ref().map_or(0, Vec::len);
                let tag = format!("{method} /slow/{k} {len}");
                assert!(body.starts_with(tag.as_bytes()));
                return k;
            }
        }
        unreachable!()
    })
}

fn plain_client() -> Client {
    Client::builder()
        .trust_env(false)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

/// A client that keeps no idle connection: every request connects (and
/// shakes hands) afresh, so every k lands in a different phase.
fn fresh_only(builder: aio_http::ClientBuilder) -> Client {
    builder
        .trust_env(false)
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

#[test]
fn aborting_a_plain_request_at_every_poll_leaves_the_client_healthy() {
    let server = TestServer::http(handler);
    let polls = abort_everywhere(&server, fresh_only(Client::builder()), None);
    // Connect, head and body pieces each took a poll of their own (at least
    // one piece: on a loaded machine the 5 ms-paced pieces may arrive
    // together, so more is not certain).
    assert!(polls >= 3, "completed in {polls} polls");
    // With reuse: what the abort leaves behind must not be pooled.
    let polls = abort_everywhere(&server, plain_client(), None);
    assert!(polls >= 2, "completed in {polls} polls");
}

#[test]
fn aborting_a_request_with_a_large_body_at_every_poll() {
    // 8 MiB does not fit the socket buffers at once: writing takes polls.
    let server = TestServer::http(handler);
    let body = vec![b'u'; 8 << 20];
    let polls = abort_everywhere(&server, fresh_only(Client::builder()), Some(body.clone()));
    assert!(polls >= 3, "completed in {polls} polls");
    let polls = abort_everywhere(&server, plain_client(), Some(body));
    assert!(polls >= 2, "completed in {polls} polls");
}

#[test]
fn aborting_an_https_request_at_every_poll_leaves_the_client_healthy() {
    let ca = TestCa::new("abort CA");
    let server = TestServer::https(ca.localhost().server_config(), handler);
    let trusting = || Client::builder().add_root_certificate(&ca.cert_pem);
    // The handshake alone takes several polls.
    let polls = abort_everywhere(&server, fresh_only(trusting()), None);
    assert!(polls >= 3, "completed in {polls} polls");
    let body = vec![b'v'; 4 << 20];
    let polls = abort_everywhere(&server, fresh_only(trusting()), Some(body.clone()));
    assert!(polls >= 3, "completed in {polls} polls");
    let pooled = trusting()
        .trust_env(false)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let polls = abort_everywhere(&server, pooled.clone(), None);
    assert!(polls >= 2, "completed in {polls} polls");
    abort_everywhere(&server, pooled, Some(body));
}

#[test]
fn join_handle_abort_mid_request_leaves_the_client_healthy() {
    // The same through the executor's own cancellation: abort() once the
    // task has been polled k times (it is then between two polls).
    let server = TestServer::http(handler);
    let client = plain_client();
    run(async {
        for k in 1..12 {
            let polls = Arc::new(AtomicUsize::new(0));
            let url = server.url(&format!("/slow/{k}"));
            let task = aio_executor::spawn(Counted {
                fut: Box::pin(exchange(client.clone(), url, None)),
                polls: Arc::clone(&polls),
            });
            while polls.load(Ordering::SeqCst) < k && !task.is_finished() {
                aio_reactor::time::sleep(Duration::from_millis(1)).await;
            }
            task.abort();
            match task.await {
                Ok(body) => assert_eq!(body.len(), BODY_PIECES * PIECE),
                Err(e) => assert!(e.is_cancelled()),
            }
            check_follow_up(&client, &server, k).await;
        }
    });
}

#[test]
fn dropping_a_response_mid_body_closes_its_connection() {
    let server = TestServer::http(handler);
    let client = plain_client();
    run(async {
        for k in 0..3 {
            let mut resp = client.get(server.url(&format!("/slow/{k}"))).await.unwrap();
            let first = resp.chunk().await.unwrap().unwrap();
            assert!(first.starts_with(format!("GET /slow/{k} 0").as_bytes()));
            drop(resp);
            check_follow_up(&client, &server, k).await;
        }
    });
    // Each abandoned response took its connection with it; the good
    // requests after it shared one fresh connection each time.
    assert_eq!(server.accepts(), 4);
}
