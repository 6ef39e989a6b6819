mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aio_reactor::blocking::{self, CANCELLED_MESSAGE};
use aio_reactor::{Reactor, ReactorConfig};
use support::{block_on, block_on_with, boxed, join_all};

/// How long a wait that only fails on a bug may take before it fails.
const HANG: Duration = Duration::from_secs(30);

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
                            // Meet the others: wait for the fact "four ran at
                            // once" rather than hope 20 ms makes them overlap.
                            let start = Instant::now();
                            while peak.load(Ordering::SeqCst) < 4 && start.elapsed() < HANG {
                                std::thread::yield_now();
                            }
                            // The job's own length (for the 80 ms lower bound).
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

/// Sets its flag when dropped: tells a running job that shutdown has begun
/// (shutdown drops the queued jobs first).
struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Spin (yielding) until `flag` is set; false if it never was within `HANG`.
fn wait_for(flag: &AtomicBool) -> bool {
    let start = Instant::now();
    while !flag.load(Ordering::SeqCst) {
        if start.elapsed() > HANG {
            return false;
        }
        std::thread::yield_now();
    }
    true
}

#[test]
#[allow(clippy::async_yields_async)] // the jobs are handed out unawaited on purpose
fn shutdown_waits_for_running_jobs_within_the_bound() {
    let mut reactor = Reactor::with_config(ReactorConfig {
        max_blocking_threads: 1,
        ..ReactorConfig::default()
    })
    .unwrap();
    let started = Arc::new(AtomicBool::new(false));
    let shutting_down = Arc::new(AtomicBool::new(false));
    let finished = Arc::new(AtomicUsize::new(0));
    let (s, d, f) = (started.clone(), shutting_down.clone(), finished.clone());
    let jobs = block_on_with(&mut reactor, async move {
        // Still running when shutdown begins, whatever the load: it only
        // finishes after shutdown dropped the queued job below.
        let running = blocking::run(move || {
            s.store(true, Ordering::SeqCst);
            assert!(wait_for(&d), "shutdown never began");
            std::thread::sleep(Duration::from_millis(100));
            f.fetch_add(1, Ordering::SeqCst);
        });
        let signal = SetOnDrop(shutting_down);
        let queued = blocking::run(move || drop(signal));
        while !started.load(Ordering::SeqCst) {
            aio_reactor::time::sleep(Duration::from_millis(1)).await;
        }
        (running, queued)
    });
    let report = reactor.shutdown(HANG);
    assert_eq!(report.blocking_jobs_abandoned, 0);
    assert_eq!(
        finished.load(Ordering::SeqCst),
        1,
        "shutdown waited for the running job"
    );
    drop(jobs);
}

#[test]
#[allow(clippy::async_yields_async)] // the jobs are handed out unawaited on purpose
fn shutdown_gives_up_after_the_bound_and_cancels_queued_jobs() {
    let mut reactor = Reactor::with_config(ReactorConfig {
        max_blocking_threads: 1,
        ..ReactorConfig::default()
    })
    .unwrap();
    let started = Arc::new(AtomicBool::new(false));
    let release = Arc::new(AtomicBool::new(false));
    let (long, queued) = block_on_with(&mut reactor, {
        let (started, release) = (started.clone(), release.clone());
        async move {
            // Runs until released, which happens only after shutdown returned.
            let long = blocking::run(move || {
                started.store(true, Ordering::SeqCst);
                wait_for(&release)
            });
            let queued = blocking::run(|| "never runs");
            (long, queued)
        }
    });
    // The one thread must be busy with `long` so that `queued` stays queued.
    assert!(wait_for(&started), "the long job never started");
    let start = Instant::now();
    let report = reactor.shutdown(Duration::from_millis(100));
    let waited = start.elapsed();
    assert_eq!(report.blocking_jobs_abandoned, 1);
    // Lower bound: it waited the bound. Upper: it did not wait for the job,
    // which would hold it HANG (30 s) before giving up on its own.
    assert!(
        waited >= Duration::from_millis(100) && waited < HANG / 3,
        "{waited:?}"
    );
    // The queued job was dropped, and its future says so instead of hanging.
    let err = block_on(queued).unwrap_err();
    assert_eq!(err.downcast_ref::<&str>(), Some(&CANCELLED_MESSAGE));
    // The abandoned job still completes on its own thread.
    release.store(true, Ordering::SeqCst);
    assert_eq!(block_on(long).ok(), Some(true));
}

#[test]
fn run_outside_the_loop_panics_with_a_clear_message() {
    let err = std::panic::catch_unwind(|| drop(blocking::run(|| ()))).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert_eq!(msg, "aio::blocking::run() called outside of aio::run()");
}
