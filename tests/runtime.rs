//! `aio::run` end to end: asyncio.run's semantics, tasks over the reactor,
//! timers and sockets.

use aio::net::{TcpListener, TcpStream};
use aio::time::{sleep, sleep_until, timeout, Duration, Instant};
use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

mod support;
use support::signal::Signal;

const REFUSAL: &str = "aio::run() cannot be called from a running event loop; use .await";

struct DropCounter(Arc<AtomicUsize>);
impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn nested_run_is_refused_in_both_forms_and_run_works_again() {
    let (panicked, refused) = aio::run(async {
        let panicked = std::panic::catch_unwind(|| aio::run(async { 1 })).unwrap_err();
        let refused = aio::try_run(async { 2 }).unwrap_err();
        // The outer loop is intact after the refusals.
        assert_eq!(aio::spawn(async { 3 }).await.unwrap(), 3);
        (panic_text(&*panicked), refused)
    });
    assert_eq!(panicked, REFUSAL);
    assert_eq!(refused.to_string(), REFUSAL);
    // Twice in a row on the same thread: each call makes a fresh loop.
    assert_eq!(aio::run(async { 4 }), 4);
    assert_eq!(aio::try_run(async { 5 }), Ok(5));
}

#[test]
fn nested_run_from_inside_a_task_is_refused() {
    let text = aio::run(async {
        aio::spawn(async { std::panic::catch_unwind(|| aio::run(async {})).unwrap_err() })
            .await
            .map(|payload| panic_text(&*payload))
            .unwrap()
    });
    assert_eq!(text, REFUSAL);
}

#[test]
fn another_thread_may_run_its_own_loop_meanwhile() {
    let out = aio::run(async {
        let inner_ran = Signal::new();
        let signal = inner_ran.clone();
        let other = std::thread::spawn(move || {
            aio::run(async move {
                let out = aio::spawn(async { 7 }).await.unwrap();
                // Our loop is still running: it is awaiting this very signal.
                signal.set();
                out
            })
        });
        inner_ran.wait().await;
        other.join().unwrap()
    });
    assert_eq!(out, 7);
}

#[test]
fn leftover_tasks_are_cancelled_at_exit_even_one_parked_on_a_socket_read() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    aio::run(async move {
        let guard = DropCounter(d.clone());
        let connected = Signal::new();
        let reader_connected = connected.clone();
        let reader = aio::spawn(async move {
            let _guard = guard;
            let mut stream = TcpStream::connect(addr).await.unwrap();
            // Main runs again only after this task has parked in the read.
            reader_connected.set();
            let mut buf = [0u8; 16];
            // Parks here forever: the server never writes.
            let _ = stream.read(&mut buf).await;
            unreachable!("the server never writes");
        });
        drop(reader);
        let sleeper = DropCounter(d);
        aio::spawn(async move {
            let _guard = sleeper;
            sleep(Duration::from_secs(3600)).await;
        });
        connected.wait().await;
    });
    assert_eq!(
        drops.load(Ordering::SeqCst),
        2,
        "both destructors ran at exit"
    );
    // The cancelled task's socket was closed: the server side sees EOF.
    let (mut server_side, _) = listener.accept().unwrap();
    server_side
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 1];
    assert_eq!(server_side.read(&mut buf).unwrap(), 0);
}

#[test]
fn panic_in_main_propagates_after_cleanup() {
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    let payload = std::panic::catch_unwind(move || {
        aio::run(async move {
            let guard = DropCounter(d);
            aio::spawn(async move {
                let _guard = guard;
                sleep(Duration::from_secs(3600)).await;
            });
            aio::yield_now().await;
            panic!("main failed");
        })
    })
    .unwrap_err();
    assert_eq!(panic_text(&*payload), "main failed");
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "leftover task cancelled first"
    );
    // And the thread is free for a new loop.
    assert_eq!(aio::run(async { 1 }), 1);
}

#[test]
fn panicking_task_gives_panicked_while_others_finish() {
    let (err, sum) = aio::run(async {
        let bad = aio::spawn(async {
            sleep(Duration::from_millis(1)).await;
            panic!("task exploded")
        });
        let good: Vec<_> = (1..=5)
            .map(|i| {
                aio::spawn(async move {
                    sleep(Duration::from_millis(2)).await;
                    i
                })
            })
            .collect();
        let err = bad.await.unwrap_err();
        let mut sum = 0;
        for handle in good {
            sum += handle.await.unwrap();
        }
        (err, sum)
    });
    assert!(err.is_panic());
    assert_eq!(err.panic_message(), Some("task exploded"));
    assert_eq!(sum, 15);
}

#[test]
fn abort_gives_cancelled_and_runs_the_destructor() {
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    let err = aio::run(async move {
        let guard = DropCounter(d);
        let started = Signal::new();
        let task_started = started.clone();
        let handle = aio::spawn(async move {
            let _guard = guard;
            task_started.set();
            sleep(Duration::from_secs(3600)).await;
        });
        // Abort a task parked on its timer, not one that never ran.
        started.wait().await;
        handle.abort();
        handle.await.unwrap_err()
    });
    assert!(err.is_cancelled());
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn cross_thread_wake_reaches_a_loop_blocked_in_the_reactor() {
    // A one-shot slot completed by a plain thread while the loop sits in epoll.
    struct Slot {
        sent_at: Option<Instant>,
        waker: Option<std::task::Waker>,
    }
    let slot = Arc::new(Mutex::new(Slot {
        sent_at: None,
        waker: None,
    }));
    let registered = Signal::new();
    let latency = aio::run({
        let slot = slot.clone();
        let registered = registered.clone();
        async move {
            let thread_slot = slot.clone();
            let thread_registered = registered.clone();
            let thread = std::thread::spawn(move || {
                // Once the waker is stored the loop has nothing left to do
                // but block in the reactor (no timers are armed), so only
                // the cross-thread wake can bring it back.
                thread_registered.wait_blocking();
                let mut s = thread_slot.lock().unwrap();
                s.sent_at = Some(Instant::now());
                if let Some(w) = s.waker.take() {
                    w.wake();
                }
            });
            let sent_at = std::future::poll_fn(|cx| {
                let mut s = slot.lock().unwrap();
                match s.sent_at {
                    Some(at) => std::task::Poll::Ready(at),
                    None => {
                        s.waker = Some(cx.waker().clone());
                        registered.set();
                        std::task::Poll::Pending
                    }
                }
            })
            .await;
            let latency = sent_at.elapsed();
            thread.join().unwrap();
            latency
        }
    });
    // A lost wake would block the loop in epoll for ever; a slow machine
    // delays a delivered one by milliseconds, never by seconds.
    assert!(latency < Duration::from_secs(5), "wake took {latency:?}");
}

#[test]
fn hundred_thousand_tasks_spawned_and_joined() {
    let total = aio::run(async {
        let handles: Vec<_> = (0..100_000u64)
            .map(|i| aio::spawn(async move { i * 2 }))
            .collect();
        let mut total = 0;
        for handle in handles {
            total += handle.await.unwrap();
        }
        total
    });
    assert_eq!(total, (0..100_000u64).map(|i| i * 2).sum::<u64>());
}

#[test]
fn timers_fire_in_deadline_order_and_never_early() {
    let fired = aio::run(async {
        let start = Instant::now();
        let order = Arc::new(Mutex::new(Vec::new()));
        // Spawned in scrambled order.
        let delays = [30u64, 5, 20, 1, 15, 25, 10];
        let handles: Vec<_> = delays
            .iter()
            .map(|&ms| {
                let order = order.clone();
                aio::spawn(async move {
                    let deadline = start + Duration::from_millis(ms);
                    sleep_until(deadline).await;
                    let now = Instant::now();
                    assert!(now >= deadline, "timer for {ms} ms fired early");
                    order.lock().unwrap().push(ms);
                })
            })
            .collect();
        for handle in handles {
            handle.await.unwrap();
        }
        let fired = order.lock().unwrap().clone();
        fired
    });
    let mut sorted = fired.clone();
    sorted.sort();
    assert_eq!(fired, sorted);
}

#[test]
fn timeout_elapses_and_passes_through() {
    aio::run(async {
        let start = Instant::now();
        let elapsed = timeout(Duration::from_millis(20), sleep(Duration::from_secs(10))).await;
        assert!(elapsed.is_err());
        assert_eq!(elapsed.unwrap_err().to_string(), "deadline has elapsed");
        assert!(start.elapsed() >= Duration::from_millis(20));
        assert!(start.elapsed() < Duration::from_secs(5));
        let passed = timeout(Duration::from_secs(10), async { 9 }).await;
        assert_eq!(passed, Ok(9));
    });
}

#[test]
fn tcp_echo_with_64_concurrent_connections() {
    let total = aio::run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = aio::spawn(async move {
            let mut conns = Vec::new();
            for _ in 0..64 {
                let (mut stream, _) = listener.accept().await.unwrap();
                conns.push(aio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    loop {
                        let n = stream.read(&mut buf).await.unwrap();
                        if n == 0 {
                            break;
                        }
                        stream.write_all(&buf[..n]).await.unwrap();
                    }
                }));
            }
            for conn in conns {
                conn.await.unwrap();
            }
        });
        let clients: Vec<_> = (0..64u32)
            .map(|id| {
                aio::spawn(async move {
                    let mut stream = TcpStream::connect(addr).await.unwrap();
                    let mut echoed = 0;
                    for round in 0..20u32 {
                        let msg = format!("client {id} round {round} {}", "x".repeat(100));
                        stream.write_all(msg.as_bytes()).await.unwrap();
                        let mut got = vec![0u8; msg.len()];
                        let mut filled = 0;
                        while filled < got.len() {
                            let n = stream.read(&mut got[filled..]).await.unwrap();
                            assert!(n > 0, "server closed early");
                            filled += n;
                        }
                        assert_eq!(got, msg.as_bytes());
                        echoed += msg.len();
                    }
                    stream.shutdown().await.unwrap();
                    echoed
                })
            })
            .collect();
        let mut total = 0;
        for client in clients {
            total += client.await.unwrap();
        }
        server.await.unwrap();
        total
    });
    assert!(total > 64 * 20 * 100);
}

#[test]
fn connecting_to_a_closed_port_fails_with_a_clear_error() {
    // Bind then drop to find a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = aio::run(async move { TcpStream::connect(("127.0.0.1", port)).await.unwrap_err() });
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    let text = err.to_string();
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
}

#[test]
fn localhost_port_resolves_and_connects() {
    aio::run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accept = aio::spawn(async move { listener.accept().await.map(|(_, peer)| peer) });
        let stream = TcpStream::connect(format!("localhost:{port}"))
            .await
            .unwrap();
        assert_eq!(stream.peer_addr().unwrap().port(), port);
        let peer = accept.await.unwrap().unwrap();
        assert_eq!(peer, stream.local_addr().unwrap());
    });
}

#[test]
fn udp_round_trip() {
    aio::run(async {
        let a = aio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = aio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        a.send_to(b"ping", b.local_addr().unwrap()).await.unwrap();
        let mut buf = [0u8; 8];
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"ping");
        assert_eq!(from, a.local_addr().unwrap());
    });
}

#[test]
fn spawn_blocking_runs_off_the_loop_and_reports_panics() {
    let (value, err, loop_thread, job_thread) = aio::run(async {
        let loop_thread = std::thread::current().id();
        let (value, job_thread) = aio::spawn_blocking(|| (21 * 2, std::thread::current().id()))
            .await
            .unwrap();
        let err = aio::spawn_blocking(|| panic!("blocking job failed"))
            .await
            .map(|_: ()| ())
            .unwrap_err();
        (value, err, loop_thread, job_thread)
    });
    assert_eq!(value, 42);
    assert_ne!(loop_thread, job_thread);
    assert_eq!(err.panic_message(), Some("blocking job failed"));
}

#[test]
fn spawn_and_spawn_blocking_outside_run_panic_clearly() {
    let spawn = std::panic::catch_unwind(|| aio::spawn(async {})).unwrap_err();
    assert_eq!(
        panic_text(&*spawn),
        "aio::spawn() called outside of aio::run()"
    );
    let blocking = std::panic::catch_unwind(|| aio::spawn_blocking(|| ())).unwrap_err();
    assert_eq!(
        panic_text(&*blocking),
        "aio::spawn_blocking() called outside of aio::run()"
    );
}

#[test]
fn run_waits_for_a_running_blocking_job() {
    let finished = Arc::new(AtomicUsize::new(0));
    let f = finished.clone();
    aio::run(async move {
        let started = Signal::new();
        let job_started = started.clone();
        drop(aio::spawn_blocking(move || {
            job_started.set();
            // The job's work: still going when main returns.
            std::thread::sleep(Duration::from_millis(100));
            f.fetch_add(1, Ordering::SeqCst);
        }));
        started.wait().await;
    });
    assert_eq!(
        finished.load(Ordering::SeqCst),
        1,
        "run returned before the job finished"
    );
}

#[test]
fn gather_runs_futures_concurrently_in_input_order() {
    let (out, elapsed) = aio::run(async {
        let start = Instant::now();
        // Long enough that a loaded machine cannot blur concurrent (300 ms)
        // with one after another (600 ms).
        let out = aio::gather([300u64, 100, 200].map(|ms| async move {
            sleep(Duration::from_millis(ms)).await;
            ms
        }))
        .await;
        (out, start.elapsed())
    });
    assert_eq!(out, vec![300, 100, 200]);
    assert!(
        elapsed < Duration::from_millis(550),
        "ran one after another: {elapsed:?}"
    );
}

#[test]
fn a_burst_of_connections_waits_in_the_backlog_without_stalling() {
    // 500 clients connect before the server accepts any: with a backlog of
    // 128 (mio's and std's) most SYNs would be dropped and retried after 1 s.
    let connected = aio::run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let burst = aio::gather(
            (0..500).map(|_| timeout(Duration::from_millis(800), TcpStream::connect(addr))),
        );
        let results = burst.await;
        results
            .into_iter()
            .filter(|r| matches!(r, Ok(Ok(_))))
            .count()
    });
    assert_eq!(connected, 500);
}

#[test]
fn read_event_count_moves_only_when_something_arrives() {
    aio::run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        server.write_all(b"hi").await.unwrap();
        let mut buf = [0u8; 4];
        client.read(&mut buf).await.unwrap();
        let idle = client.read_event_count();
        // Writing from our side is not a read event: once the peer has
        // read the bytes, and the loop has polled the reactor again (a
        // timer), every event the write caused has been delivered.
        client.write_all(b"ping").await.unwrap();
        let mut got = 0;
        while got < 4 {
            got += server.read(&mut buf[got..]).await.unwrap();
        }
        sleep(Duration::from_millis(1)).await;
        assert_eq!(client.read_event_count(), idle);
        // The peer closing is: the read that sees EOF was woken by it.
        drop(server);
        assert_eq!(client.read(&mut buf).await.unwrap(), 0);
        assert!(client.read_event_count() > idle);
    });
}

#[test]
fn a_socket_that_outlives_its_loop_reports_a_read_event_and_errors() {
    let (stream, before) = aio::run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let stream = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let count = stream.read_event_count();
        (stream, count)
    });
    // The loop's shutdown counts as an event, so a pool notices the socket.
    assert!(stream.read_event_count() > before);
    let mut buf = [0u8; 1];
    let err = stream.try_read(&mut buf).unwrap_err();
    assert!(err.to_string().contains("has shut down"), "{err}");
}

#[test]
fn a_vectored_write_of_more_slices_than_writev_takes_completes() {
    use futures_io::AsyncWrite;
    let received = aio::run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        let reader = aio::spawn(async move {
            let mut total = 0;
            let mut buf = [0u8; 4096];
            loop {
                match server.read(&mut buf).await.unwrap() {
                    0 => return total,
                    n => total += n,
                }
            }
        });
        // 3,000 one-byte slices: writev takes at most 1,024 per call.
        let bytes = vec![7u8; 3000];
        let mut offset = 0;
        while offset < bytes.len() {
            let slices: Vec<std::io::IoSlice<'_>> = bytes[offset..]
                .chunks(1)
                .map(std::io::IoSlice::new)
                .collect();
            let written = timeout(
                Duration::from_secs(5),
                std::future::poll_fn(|cx| {
                    std::pin::Pin::new(&mut client).poll_write_vectored(cx, &slices)
                }),
            )
            .await
            .expect("a vectored write must not hang")
            .unwrap();
            offset += written;
        }
        client.shutdown().await.unwrap();
        reader.await.unwrap()
    });
    assert_eq!(received, 3000);
}
