//! Load and soak: long runs kept out of `make test` (`#[ignore]`); `make soak`
//! runs them in release mode and prints their figures.

mod support;

use aio::net::TcpStream;
use aio::time::{Duration, Instant};
use std::cell::Cell;
use std::rc::Rc;
use support::Server;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Resident set size in KiB, from /proc/self/status.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn within_ten_percent(early: f64, late: f64) -> bool {
    late <= early * 1.1 && late >= early * 0.9
}

#[test]
#[ignore = "soak: run with `make soak`"]
fn hundred_thousand_keep_alive_requests_64_in_flight() {
    const TOTAL: usize = 100_000;
    const IN_FLIGHT: usize = 64;
    const WARM_UP: usize = 1_000;
    let server = Server::start(true);
    let url = format!("http://127.0.0.1:{}/posts/1", server.port);
    let start = Instant::now();
    let (early, late, done) = aio::run(async move {
        let client = aio::http::Client::builder()
            .pool_max_idle_per_host(IN_FLIGHT)
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let issued = Rc::new(Cell::new(0usize));
        let completed = Rc::new(Cell::new(0usize));
        let early = Rc::new(Cell::new(None));
        let workers: Vec<_> = (0..IN_FLIGHT)
            .map(|_| {
                let (client, url) = (client.clone(), url.clone());
                let (issued, completed, early) = (issued.clone(), completed.clone(), early.clone());
                aio::spawn(async move {
                    while issued.get() < TOTAL {
                        issued.set(issued.get() + 1);
                        let body = client.get(&url).await?.error_for_status()?.bytes().await?;
                        assert!(body.starts_with(b"{"), "a post, not {body:?}");
                        completed.set(completed.get() + 1);
                        if completed.get() == WARM_UP {
                            early.set(Some((open_fds(), rss_kib())));
                        }
                    }
                    Ok::<(), aio::http::Error>(())
                })
            })
            .collect();
        for worker in workers {
            worker.await.unwrap().unwrap();
        }
        (
            early.get().unwrap(),
            (open_fds(), rss_kib()),
            completed.get(),
        )
    });
    let elapsed = start.elapsed();
    println!(
        "{done} requests in {:.1} s ({:.0}/s); after {WARM_UP}: {} fds, {} KiB RSS; at the end: {} fds, {} KiB RSS",
        elapsed.as_secs_f64(),
        done as f64 / elapsed.as_secs_f64(),
        early.0,
        early.1,
        late.0,
        late.1
    );
    assert_eq!(done, TOTAL);
    assert!(
        within_ten_percent(early.0 as f64, late.0 as f64),
        "fds {early:?} -> {late:?}"
    );
    assert!(
        within_ten_percent(early.1 as f64, late.1 as f64),
        "RSS {early:?} -> {late:?}"
    );
}

/// Make sure this process may open `wanted` fds, raising the soft limit.
fn allow_open_files(wanted: u64) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        if limit.rlim_cur < wanted {
            assert!(
                limit.rlim_max >= wanted,
                "hard fd limit {} < {wanted}",
                limit.rlim_max
            );
            limit.rlim_cur = wanted;
            assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
        }
    }
}

#[test]
#[ignore = "soak: run with `make soak`"]
fn ten_thousand_idle_connections_held_by_one_loop() {
    const CONNECTIONS: usize = 10_000;
    allow_open_files(CONNECTIONS as u64 + 500);
    // The server (its own process, so its fds do not count against ours)
    // parks one task per connection too.
    let server = Server::start(true);
    let addr = format!("127.0.0.1:{}", server.port);
    let start = Instant::now();
    let (held, answered, rss) = aio::run(async move {
        let mut streams = Vec::with_capacity(CONNECTIONS);
        // In batches, so the server's accept backlog is never the limit.
        for _ in 0..CONNECTIONS / 500 {
            let batch = aio::gather((0..500).map(|_| TcpStream::connect(addr.as_str()))).await;
            for stream in batch {
                streams.push(stream.expect("connect"));
            }
        }
        aio::time::sleep(Duration::from_millis(200)).await;
        let held = aio::loop_stats().sockets;
        // Every 100th connection still works after sitting idle.
        let mut answered = 0;
        for stream in streams.iter_mut().step_by(100) {
            stream
                .write_all(b"GET /posts/1 HTTP/1.1\r\nHost: x\r\n\r\n")
                .await
                .unwrap();
            let mut buf = [0u8; 1024];
            let n = stream.read(&mut buf).await.unwrap();
            assert!(
                buf[..n].starts_with(b"HTTP/1.1 200"),
                "{:?}",
                String::from_utf8_lossy(&buf[..n])
            );
            answered += 1;
        }
        (held, answered, rss_kib())
    });
    println!(
        "{held} connections held by one loop, {answered} checked, in {:.1} s; RSS {rss} KiB",
        start.elapsed().as_secs_f64()
    );
    assert_eq!(held, CONNECTIONS);
    assert_eq!(answered, CONNECTIONS / 100);
}
