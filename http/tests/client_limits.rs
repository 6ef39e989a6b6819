//! Connection limits (requests over them wait for a free connection) and
//! opt-in retries (Retry-After, backoff, their bounds).

mod support;

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use aio::run;
use aio_http::{Client, ClientBuilder, Kind, Retry, StatusCode};
use support::server::{response, TestServer};

fn builder() -> ClientBuilder {
    Client::builder().trust_env(false)
}

/// A keep-alive server answering `ok` to everything.
fn ok_server() -> TestServer {
    TestServer::http(|peer| peer.serve(|_| response("200 OK", &[], b"ok")))
}

#[test]
fn a_thousand_concurrent_requests_open_at_most_the_per_host_limit() {
    let server = ok_server();
    let client = builder().pool_max_connections_per_host(8).build().unwrap();
    let url = server.url("/");
    let bodies = run(async {
        let requests = (0..1000).map(|_| {
            let request = client.get(&url).send();
            async move { request.await?.text().await }
        });
        aio::gather(requests).await
    });
    assert_eq!(bodies.len(), 1000);
    assert!(bodies.iter().all(|b| b.as_deref().ok() == Some("ok")));
    let opened = server.accepts();
    assert!((1..=8).contains(&opened), "{opened} connections");
    assert_eq!(server.requests().iter().sum::<usize>(), 1000);
}

#[test]
fn the_total_limit_holds_and_idle_connections_to_other_hosts_give_way() {
    let (a, b) = (ok_server(), ok_server());
    let client = builder().pool_max_connections(3).build().unwrap();
    run(async {
        // One host: never more than 3, all kept for reuse.
        let bodies = aio::gather((0..300).map(|_| {
            let request = client.get(a.url("/")).send();
            async move { request.await?.bytes().await }
        }))
        .await;
        assert!(bodies.iter().all(Result::is_ok));
        assert!((1..=3).contains(&a.accepts()), "{}", a.accepts());
        // Another host: the idle connections to the first are closed to
        // make room, instead of waiting for them to expire.
        let resp = client
            .get(b.url("/"))
            .timeout(Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(resp.text().await.unwrap(), "ok");
    });
    assert_eq!(b.accepts(), 1);
}

#[test]
fn waiting_for_a_free_connection_is_bounded_by_the_total_timeout() {
    // The first response never ends: its connection stays taken.
    let server = TestServer::http(|mut peer| {
        if let Some(req) = peer.read_request() {
            if req.target == "/stuck" {
                peer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc");
                thread::sleep(Duration::from_secs(5));
                return;
            }
            peer.write(&response("200 OK", &[], b"ok"));
            peer.serve(|_| response("200 OK", &[], b"ok"));
        }
    });
    let client = builder().pool_max_connections_per_host(1).build().unwrap();
    run(async {
        let stuck = client.get(server.url("/stuck")).await.unwrap();
        let err = client
            .get(server.url("/next"))
            .timeout(Duration::from_millis(300))
            .await
            .unwrap_err();
        let text = format!("{err:#}");
        assert_eq!(err.kind(), Kind::Timeout, "{text}");
        assert!(text.contains("waiting for a free connection"), "{text}");
        // A waiter given up on leaves no trace: once the stuck response is
        // dropped (its connection closed), the next request gets through.
        let waiting =
            aio::time::timeout(Duration::from_millis(50), client.get(server.url("/x"))).await;
        assert!(
            waiting.is_err(),
            "it got a connection while the only one was taken"
        );
        drop(stuck);
        let body = client
            .get(server.url("/next"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(body, "ok");
    });
    assert_eq!(server.accepts(), 2);
}

/// A server answering each request with the next of `replies` (the last
/// one again once they run out), counting requests.
fn scripted(replies: Vec<Vec<u8>>) -> (TestServer, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    let server = TestServer::http(move |peer| {
        let (replies, seen) = (replies.clone(), Arc::clone(&seen));
        peer.serve(move |_| {
            let n = seen.fetch_add(1, Ordering::SeqCst);
            replies[n.min(replies.len() - 1)].clone()
        })
    });
    (server, count)
}

fn unavailable(retry_after: &str) -> Vec<u8> {
    response(
        "503 Service Unavailable",
        &[("retry-after", retry_after)],
        b"busy",
    )
}

#[test]
fn retries_honour_retry_after_and_stop_at_the_count() {
    let fast = Retry::new(2).backoff(Duration::from_millis(1), Duration::from_secs(2));
    let client = builder().retry(fast).build().unwrap();
    run(async {
        let (server, count) = scripted(vec![
            unavailable("0"),
            response("429 Too Many Requests", &[], b""),
            response("200 OK", &[], b"finally"),
        ]);
        let resp = client.get(server.url("/")).await.unwrap();
        assert_eq!(resp.text().await.unwrap(), "finally");
        assert_eq!(count.load(Ordering::SeqCst), 3);
        assert_eq!(server.accepts(), 1, "retries reuse the connection");

        // Always busy: two retries, then the last answer is the answer.
        let (server, count) = scripted(vec![unavailable("0")]);
        let resp = client.get(server.url("/")).await.unwrap();
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(count.load(Ordering::SeqCst), 3);

        // Not idempotent: never sent twice.
        let (server, count) = scripted(vec![unavailable("0")]);
        let resp = client.post(server.url("/")).body("x").await.unwrap();
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(count.load(Ordering::SeqCst), 1);

        // Asked to wait longer than max_delay: no retry.
        let (server, count) = scripted(vec![unavailable("60")]);
        let resp = client.get(server.url("/")).await.unwrap();
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(count.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn a_retry_that_would_pass_the_total_timeout_is_not_made() {
    let slow = Retry::new(5).backoff(Duration::from_secs(30), Duration::from_secs(60));
    let client = builder()
        .retry(slow)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let (server, count) = scripted(vec![unavailable("20")]);
    run(async {
        let resp = client.get(server.url("/")).await.unwrap();
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    });
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[test]
fn a_connect_failure_is_retried_until_the_server_is_there() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/");
    let client = builder()
        .retry(Retry::new(50).backoff(Duration::from_millis(20), Duration::from_millis(100)))
        .build()
        .unwrap();
    let no_retry = builder().build().unwrap();
    let three = builder()
        .retry(Retry::new(3).backoff(Duration::from_millis(1), Duration::from_millis(5)))
        .build()
        .unwrap();
    run(async {
        let err = no_retry.get(&url).await.unwrap_err();
        assert_eq!(err.kind(), Kind::Connect);
        assert!(!err.to_string().contains("retries"), "{err}");
        let err = three.get(&url).await.unwrap_err();
        assert_eq!(err.kind(), Kind::Connect);
        assert!(
            err.to_string().ends_with("(gave up after 3 retries)"),
            "{err}"
        );
        // The server comes up once the first attempt has been refused.
        let (up_tx, up_rx) = std::sync::mpsc::channel();
        let server = thread::spawn(move || {
            let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
            up_tx.send(()).unwrap();
            let (mut stream, _) = listener.accept().unwrap();
            let mut buf = [0u8; 1024];
            let _ = std::io::Read::read(&mut stream, &mut buf);
            std::io::Write::write_all(&mut stream, &response("200 OK", &[], b"up")).unwrap();
        });
        let request = client.get(&url).send();
        let started = aio::spawn(async move { request.await?.text().await });
        up_rx.recv().unwrap();
        assert_eq!(started.await.unwrap().unwrap(), "up");
        server.join().unwrap();
    });
}
