mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aio_reactor::blocking::{self, CANCELLED_MESSAGE};
use aio_reactor::{Reactor, ReactorConfig};
use support::{block_on, block_on_with, boxed, join_all};

#[test]
fn jobs_run_on_named_pool_threads() {
    block_on(async {
        let (value, name) =
            blocking::run(|| (6 * 7, std::thread::current().name().map(str::to_owned)))
                .await
                .unwrap();
        assert_eq!(value, 42);
        assert!(name.unwrap().starts_with("aio-blocking-"));
    });
}

#[test]
fn many_jobs_run_concurrently_up_to_the_bound() {
    let mut reactor = Reactor::with_config(ReactorConfig {
        max_blocking_threads: 4,
        ..ReactorConfig::default()
    })
    .unwrap();
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let results = block_on_with(&mut reactor, {
        let (running, peak) = (running.clone(), peak.clone());
        join_all(
            (0..16)
                .map(|i| {
                    let (running, peak) = (running.clone(), peak.clone());
                    boxed(async move {
                        blocking::run(move || {
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            peak.fetch_max(now, Ordering::SeqCst);
                            std::thread::sleep(Duration::from_millis(20));
                            running.fetch_sub(1, Ordering::SeqCst);
                            i
                        })
                        .await
                        .unwrap()
                    })
                })
                .collect(),
        )
    });
    assert_eq!(results, (0..16).collect::<Vec<_>>());
    assert_eq!(
        peak.load(Ordering::SeqCst),
        4,
        "bounded at 4 threads, and they were used"
    );
    assert!(
        start.elapsed() >= Duration::from_millis(80),
        "16 jobs of 20 ms on 4 threads"
    );
    assert_eq!(
        reactor
            .shutdown(Duration::from_secs(1))
            .blocking_jobs_abandoned,
        0
    );
}

#[test]
fn a_panicking_job_comes_back_as_err() {
    block_on(async {
        let err = blocking::run(|| -> u32 { panic!("boom in job") })
            .await
            .unwrap_err();
        assert_eq!(err.downcast_ref::<&str>(), Some(&"boom in job"));
        // The pool survives the panic.
        assert_eq!(blocking::run(|| 1).await.unwrap(), 1);
    });
}

#[test]
#[allow(clippy::async_yields_async)] // the job is handed out unawaited on purpose
fn shutdown_waits_for_running_jobs_within_the_bound() {
    let mut reactor = Reactor::new().unwrap();
    let started = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicUsize::new(0));
    let (s, f) = (started.clone(), finished.clone());
    let job = block_on_with(&mut reactor, async move {
        let job = blocking::run(move || {
            s.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(100));
            f.fetch_add(1, Ordering::SeqCst);
        });
        while started.load(Ordering::SeqCst) == 0 {
            aio_reactor::time::sleep(Duration::from_millis(1)).await;
        }
        job
    });
    let report = reactor.shutdown(Duration::from_secs(5));
    assert_eq!(report.blocking_jobs_abandoned, 0);
    assert_eq!(
        finished.load(Ordering::SeqCst),
        1,
        "shutdown waited for the running job"
    );
    drop(job);
}

#[test]
#[allow(clippy::async_yields_async)] // the jobs are handed out unawaited on purpose
fn shutdown_gives_up_after_the_bound_and_cancels_queued_jobs() {
    let mut reactor = Reactor::with_config(ReactorConfig {
        max_blocking_threads: 1,
        ..ReactorConfig::default()
    })
    .unwrap();
    let started = Arc::new(AtomicUsize::new(0));
    let (long, queued) = block_on_with(&mut reactor, {
        let started = started.clone();
        async move {
            let long = blocking::run(move || {
                started.store(1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(600))
            });
            let queued = blocking::run(|| "never runs");
            (long, queued)
        }
    });
    // The one thread must be busy with `long` so that `queued` stays queued.
    while started.load(Ordering::SeqCst) == 0 {
        std::thread::sleep(Duration::from_millis(1));
    }
    let start = Instant::now();
    let report = reactor.shutdown(Duration::from_millis(100));
    let waited = start.elapsed();
    assert_eq!(report.blocking_jobs_abandoned, 1);
    assert!(
        waited >= Duration::from_millis(100) && waited < Duration::from_millis(500),
        "{waited:?}"
    );
    // The queued job was dropped, and its future says so instead of hanging.
    let err = block_on(queued).unwrap_err();
    assert_eq!(err.downcast_ref::<&str>(), Some(&CANCELLED_MESSAGE));
    // The abandoned job still completes on its own thread.
    assert!(block_on(long).is_ok());
}

#[test]
fn run_outside_the_loop_panics_with_a_clear_message() {
    let err = std::panic::catch_unwind(|| drop(blocking::run(|| ()))).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert_eq!(msg, "aio::blocking::run() called outside of aio::run()");
}
