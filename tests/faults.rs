//! Runtime faults: panics holding resources, wakers outliving their tasks
//! and loops, shutdown with work still parked or running.

use aio::net::{TcpListener, TcpStream};
use aio::time::{sleep, Duration, Instant};
use std::sync::{Arc, Mutex};
use std::task::Waker;

mod support;
use support::signal::Signal;

#[test]
fn a_task_panicking_with_sockets_and_timers_leaves_no_registration() {
    aio::run(async {
        let before = aio::loop_stats();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let failing = aio::spawn(async move {
            let client = TcpStream::connect(addr).await.unwrap();
            let (server, _) = listener.accept().await.unwrap();
            let mut long_sleep = std::pin::pin!(sleep(Duration::from_secs(3600)));
            // Register the timer, then fail while holding everything.
            let _ = aio::time::timeout(Duration::from_millis(1), long_sleep.as_mut()).await;
            let during = aio::loop_stats();
            assert_eq!(during.sockets, 3, "listener, client, server side");
            assert!(during.timers >= 1);
            drop((client, server));
            panic!("failed while holding sockets and timers");
        });
        assert!(failing.await.unwrap_err().is_panic());
        let after = aio::loop_stats();
        assert_eq!(
            (after.sockets, after.timers, after.tasks),
            (before.sockets, before.timers, 0)
        );
    });
}

#[test]
fn a_panic_unwinding_past_live_sockets_deregisters_them() {
    aio::run(async {
        let failing = aio::spawn(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let _client = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let _timer = Box::pin(sleep(Duration::from_secs(3600)));
            panic!("unwinds through the socket destructors");
        });
        assert!(failing.await.unwrap_err().is_panic());
        let stats = aio::loop_stats();
        assert_eq!((stats.sockets, stats.tasks), (0, 0));
    });
}

#[test]
fn wakers_called_after_their_task_finished_or_their_loop_ended_are_harmless() {
    let stash: Arc<Mutex<Vec<Waker>>> = Arc::new(Mutex::new(Vec::new()));
    let s = stash.clone();
    aio::run(async move {
        let s2 = s.clone();
        aio::spawn(async move {
            std::future::poll_fn(|cx| {
                s2.lock().unwrap().push(cx.waker().clone());
                std::task::Poll::Ready(())
            })
            .await
        })
        .await
        .unwrap();
        // The task finished; wake it from another thread while the loop runs.
        let wakers = s.lock().unwrap().clone();
        std::thread::spawn(move || wakers.into_iter().for_each(Waker::wake))
            .join()
            .unwrap();
        // One pass through the loop's queues with those wakes in them.
        aio::yield_now().await;
        // And stash the main future's waker for after the loop is gone.
        std::future::poll_fn(|cx| {
            s.lock().unwrap().push(cx.waker().clone());
            std::task::Poll::Ready(())
        })
        .await;
    });
    let wakers = std::mem::take(&mut *stash.lock().unwrap());
    assert_eq!(wakers.len(), 2);
    std::thread::spawn(move || {
        for waker in wakers {
            waker.wake_by_ref();
            waker.wake();
        }
    })
    .join()
    .unwrap();
    // The thread can run a new loop as if nothing happened.
    assert_eq!(
        aio::run(async { aio::spawn(async { 1 }).await.unwrap() }),
        1
    );
}

#[test]
fn run_exits_promptly_with_sockets_open_and_tasks_parked_on_them() {
    let start = Instant::now();
    aio::run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // Each task counts itself just before it parks; the last one tells main.
        let started = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let all_parked = Signal::new();
        let count_in = {
            let started = started.clone();
            let all_parked = all_parked.clone();
            move || {
                if started.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 == 201 {
                    all_parked.set();
                }
            }
        };
        for _ in 0..100 {
            let client = TcpStream::connect(addr).await.unwrap();
            let (mut server, _) = listener.accept().await.unwrap();
            let count = count_in.clone();
            aio::spawn(async move {
                let _keep = client;
                let mut buf = [0u8; 8];
                count();
                let _ = server.read(&mut buf).await;
            });
            let count = count_in.clone();
            aio::spawn(async move {
                count();
                sleep(Duration::from_secs(3600)).await
            });
        }
        aio::spawn(async move {
            count_in();
            let _ = listener.accept().await;
        });
        all_parked.wait().await;
        assert_eq!(aio::loop_stats().tasks, 201);
    });
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );
}

/// The child half of `shutdown_waits_for_blocking_jobs_only_up_to_the_bound`.
const CHILD_ENV: &str = "AIO_FAULTS_BLOCKING_CHILD";

#[test]
fn shutdown_waits_for_blocking_jobs_only_up_to_the_bound() {
    if std::env::var_os(CHILD_ENV).is_some() {
        // In the child: a job that outlives a 200 ms bound.
        let start = Instant::now();
        aio::Runner::new()
            .blocking_shutdown_timeout(Duration::from_millis(200))
            .run(async {
                let started = Signal::new();
                let job_started = started.clone();
                drop(aio::spawn_blocking(move || {
                    job_started.set();
                    std::thread::sleep(Duration::from_secs(30))
                }));
                started.wait().await;
            });
        println!("run returned after {} ms", start.elapsed().as_millis());
        return;
    }
    // Re-run this test alone in a child process, to read what run says on stderr.
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "shutdown_waits_for_blocking_jobs_only_up_to_the_bound",
            "--exact",
            "--nocapture",
        ])
        .env(CHILD_ENV, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(
            "aio::run(): 1 blocking job(s) still running after waiting 200ms at shutdown"
        ),
        "{stderr}"
    );
    let ms: u64 = stdout
        .lines()
        .find_map(|l| {
            l.strip_prefix("run returned after ")?
                .strip_suffix(" ms")?
                .parse()
                .ok()
        })
        .expect("the child reports its time");
    assert!((200..5000).contains(&ms), "returned after {ms} ms");
}
