//! Keep-alive reuse and its limits: when a connection goes back to the pool,
//! when it must not, and the transparent retry on a stale pooled connection.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use aio::run;
use aio_http::{Client, ClientBuilder, Kind};
use support::server::{response, TestServer};

fn builder() -> ClientBuilder {
    Client::builder().trust_env(false)
}

fn ok(body: &str) -> Vec<u8> {
    response("200 OK", &[], body.as_bytes())
}

/// Keep-alive server answering "n" with the request's number on its connection.
fn counting_server() -> TestServer {
    TestServer::http(|peer| {
        let mut n = 0;
        peer.serve(move |_| {
            n += 1;
            ok(&n.to_string())
        })
    })
}

async fn get_text(client: &Client, url: &str) -> String {
    client.get(url).await.unwrap().text().await.unwrap()
}

#[test]
fn sequential_requests_reuse_one_connection() {
    let server = counting_server();
    let url = server.url("/");
    let answers = run(async {
        let c = builder().build().unwrap();
        let mut answers = Vec::new();
        for _ in 0..3 {
            answers.push(get_text(&c, &url).await);
        }
        // A clone shares the pool.
        answers.push(get_text(&c.clone(), &url).await);
        answers
    });
    assert_eq!(answers, ["1", "2", "3", "4"]);
    assert_eq!(server.accepts(), 1);
}

/// A client shared by two loops: a socket is driven by the loop it was
/// connected on, so each loop reuses its own connection and never the
/// other's. (Shared, the pool would hand loop 0's connection to loop 1:
/// one connection, answers 1 to 4.)
#[test]
fn each_loop_reuses_only_its_own_connections() {
    let server = counting_server();
    let url = server.url("/");
    let answers = aio::Runner::new().loops(2).run(async {
        let c = builder().build().unwrap();
        let second = aio::loops()[1].clone();
        let mut answers = Vec::new();
        for _ in 0..2 {
            answers.push(get_text(&c, &url).await);
            let (c, url) = (c.clone(), url.clone());
            let there = second.spawn(async move { get_text(&c, &url).await });
            answers.push(there.unwrap().await.unwrap());
        }
        answers
    });
    // Each connection numbers its own requests.
    assert_eq!(answers, ["1", "1", "2", "2"]);
    assert_eq!(server.accepts(), 2);
}

/// A loop that finds no room under the per-host limit closes another
/// loop's idle connection to the same host instead of waiting for it.
#[test]
fn under_a_per_host_limit_another_loops_idle_connection_gives_way() {
    let server = counting_server();
    let url = server.url("/");
    let answers = aio::Runner::new().loops(2).run(async {
        let c = builder().pool_max_connections_per_host(1).build().unwrap();
        let first = get_text(&c, &url).await;
        let (c2, url2) = (c.clone(), url.clone());
        let there = aio::loops()[1].spawn(async move { get_text(&c2, &url2).await });
        // Waiting for room would wait forever: nothing else releases it.
        let second = aio::time::timeout(Duration::from_secs(10), there.unwrap()).await;
        [
            first,
            second.expect("the second loop waited for room").unwrap(),
        ]
    });
    assert_eq!(answers, ["1", "1"], "the second loop opened its own");
    assert_eq!(server.accepts(), 2);
}

/// The path "detected before use": the server sends FIN on an idle pooled
/// connection but keeps reading it. The pool must see the close and open a
/// new connection without writing the request on the old one: the old
/// connection reads one request only. (Had the request been written there
/// and retried after failing, it would read two.)
#[test]
fn pooled_connection_closed_by_the_server_is_detected_before_use() {
    let half_closed = Arc::new(AtomicBool::new(false));
    let idle_in_pool = Arc::new(AtomicBool::new(false));
    let server = TestServer::http({
        let half_closed = Arc::clone(&half_closed);
        let idle_in_pool = Arc::clone(&idle_in_pool);
        move |mut peer| {
            if peer.index == 0 {
                peer.read_request();
                peer.write(&ok("fresh"));
                // Keep-alive was promised, but the server closes anyway, once
                // the connection sits idle in the pool. (A FIN right behind
                // the response can reach the event loop while the response
                // is still being read; the pool's cheap check, which looks
                // for readiness *after* the connection went idle, misses
                // that one, and the retry path covers it.) The client says
                // when its body was read, which is when the pool took it back.
                while !idle_in_pool.load(Ordering::SeqCst) {
                    thread::sleep(Duration::from_millis(1)); // a poll interval
                }
                peer.shutdown_write();
                half_closed.store(true, Ordering::SeqCst);
                // Counts a request the client might still send here.
                peer.read_request();
            } else {
                peer.serve(|_| ok("fresh"));
            }
        }
    });
    let url = server.url("/");
    run(async {
        let c = builder().build().unwrap();
        assert_eq!(get_text(&c, &url).await, "fresh");
        idle_in_pool.store(true, Ordering::SeqCst);
        while !half_closed.load(Ordering::SeqCst) {
            aio_reactor::time::sleep(Duration::from_millis(1)).await;
        }
        // The FIN was sent before the flag was set (on loopback it is in
        // our receive queue by then); one more turn of the loop, which polls
        // for I/O, lets the reactor see it, as it would between requests.
        aio_reactor::time::sleep(Duration::from_millis(1)).await;
        assert_eq!(get_text(&c, &url).await, "fresh");
    });
    assert_eq!(server.accepts(), 2);
    assert_eq!(server.requests(), [1, 1], "requests per connection");
}

/// The first connection answers one request, then reads the next one and
/// closes without a byte of response: the stale keep-alive race.
fn closes_on_second_request() -> TestServer {
    TestServer::http(|mut peer| {
        if peer.index == 0 {
            peer.read_request();
            peer.write(&ok("first"));
            peer.read_request();
            peer.close();
        } else {
            peer.serve(|req| ok(&format!("retried {}", req.method)));
        }
    })
}

#[test]
fn idempotent_request_failing_on_a_reused_connection_is_retried_once() {
    let server = closes_on_second_request();
    let url = server.url("/");
    run(async {
        let c = builder().build().unwrap();
        assert_eq!(get_text(&c, &url).await, "first");
        let resp = c.put(&url).body("again").await.unwrap();
        assert_eq!(resp.text().await.unwrap(), "retried PUT");
    });
    // The path "retried after failing": the PUT reached the stale
    // connection (its second request) and was sent again on a new one.
    assert_eq!(server.accepts(), 2);
    assert_eq!(server.requests(), [2, 1], "requests per connection");
}

#[test]
fn post_failing_on_a_reused_connection_is_not_retried() {
    let server = closes_on_second_request();
    let url = server.url("/");
    let err = run(async {
        let c = builder().build().unwrap();
        assert_eq!(get_text(&c, &url).await, "first");
        c.post(&url).body("once").await.unwrap_err()
    });
    assert_eq!(err.kind(), Kind::Protocol, "{err:#}");
    let text = format!("{err:#}");
    assert!(text.starts_with(&format!("POST {url}: ")), "{text}");
    assert!(
        text.contains("connection closed before the response head"),
        "{text}"
    );
    assert_eq!(server.accepts(), 1);
    assert_eq!(server.requests(), [2], "sent once, on the stale connection");
}

#[test]
fn a_fresh_connection_failing_is_not_retried() {
    let server = TestServer::http(|mut peer| {
        peer.read_request();
        peer.close();
    });
    let url = server.url("/");
    let err = run(async { builder().build().unwrap().get(&url).await.unwrap_err() });
    assert_eq!(err.kind(), Kind::Protocol, "{err:#}");
    assert!(
        format!("{err:#}").contains("(no bytes received)"),
        "{err:#}"
    );
    assert_eq!(server.accepts(), 1);
}

#[test]
fn unread_body_leftover_bytes_and_connection_close_prevent_reuse() {
    let server = TestServer::http(|peer| {
        peer.serve(|req| match req.target.as_str() {
            "/extra" => b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokEXTRA".to_vec(),
            "/close" => response("200 OK", &[("connection", "close")], b"bye"),
            "/http10" => b"HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\n10".to_vec(),
            _ => ok("plain body"),
        })
    });
    run(async {
        let mut expected_accepts = 0;
        for path in ["/extra", "/close", "/http10", "/unread"] {
            // A new client (empty pool) per case.
            let c = builder().build().unwrap();
            let url = server.url(path);
            let resp = c.get(&url).await.unwrap();
            expected_accepts += 1;
            if path != "/unread" {
                resp.bytes().await.unwrap();
            } else {
                drop(resp);
            }
            // The next request cannot use that connection.
            assert_eq!(get_text(&c, &server.url("/")).await, "plain body");
            expected_accepts += 1;
            assert_eq!(server.accepts(), expected_accepts, "after {path}");
        }
    });
}

#[test]
fn zero_idle_connections_means_no_reuse() {
    let server = counting_server();
    let url = server.url("/");
    run(async {
        let c = builder().pool_max_idle_per_host(0).build().unwrap();
        assert_eq!(get_text(&c, &url).await, "1");
        assert_eq!(get_text(&c, &url).await, "1");
    });
    assert_eq!(server.accepts(), 2);
}

#[test]
fn idle_connections_expire() {
    let server = counting_server();
    let url = server.url("/");
    run(async {
        let c = builder()
            .pool_idle_timeout(Duration::from_millis(100))
            .build()
            .unwrap();
        assert_eq!(get_text(&c, &url).await, "1");
        assert_eq!(get_text(&c, &url).await, "2");
        aio_reactor::time::sleep(Duration::from_millis(150)).await;
        assert_eq!(get_text(&c, &url).await, "1");
    });
    assert_eq!(server.accepts(), 2);
}

#[test]
fn concurrent_requests_use_separate_connections_then_share_the_pool() {
    let server = counting_server();
    let url = server.url("/");
    run(async {
        let c = builder().build().unwrap();
        let (a, b) = (c.get(&url).await.unwrap(), c.get(&url).await.unwrap());
        assert_eq!(a.text().await.unwrap(), "1");
        assert_eq!(b.text().await.unwrap(), "1");
        // Both went back; two more sequential requests need no new connection.
        get_text(&c, &url).await;
        get_text(&c, &url).await;
    });
    assert_eq!(server.accepts(), 2);
}

#[test]
fn a_client_outliving_its_event_loop_reconnects_in_the_next_one() {
    let server = counting_server();
    let url = server.url("/");
    let c = builder().build().unwrap();
    // The pooled connection belongs to the first loop, which is gone when the
    // second starts: it must be discarded, not used.
    assert_eq!(run(get_text_owned(c.clone(), url.clone())), "1");
    assert_eq!(run(get_text_owned(c, url)), "1");
    assert_eq!(server.accepts(), 2);
}

async fn get_text_owned(client: Client, url: String) -> String {
    get_text(&client, &url).await
}

#[test]
fn errors_and_responses_can_cross_threads() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    fn assert_send<T: Send + 'static>() {}
    assert_send_sync::<aio_http::Error>();
    assert_send::<aio_http::Response>();
}
