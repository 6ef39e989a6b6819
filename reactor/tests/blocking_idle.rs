mod support;

use std::collections::BTreeSet;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use aio_reactor::{blocking, Reactor, ReactorConfig};
use support::{block_on_with, boxed, join_all};

/// Names of this process's threads that belong to a blocking pool.
fn pool_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .filter(|name| name.starts_with("aio-blocking-"))
        .count()
}

fn thread_name() -> String {
    std::thread::current().name().unwrap().to_owned()
}

// That sequential jobs reuse one idle thread is tested beside the pool
// (blocking::pool's unit tests), where "the worker is idle again" is a fact
// the test can wait on instead of sleeping for it.
#[test]
fn threads_are_spawned_lazily_grow_to_the_bound_and_exit_when_idle() {
    const BOUND: usize = 8;
    let keep_alive = Duration::from_millis(200);
    let mut reactor = Reactor::with_config(ReactorConfig {
        max_blocking_threads: BOUND,
        blocking_keep_alive: keep_alive,
        ..ReactorConfig::default()
    })
    .unwrap();
    assert_eq!(pool_threads(), 0, "no thread before the first job");
    let first = block_on_with(&mut reactor, async { blocking::run(thread_name).await }).unwrap();
    assert_eq!(
        first, "aio-blocking-0",
        "the first job spawned the first thread"
    );
    assert!(pool_threads() <= 1);

    // Concurrent jobs grow the pool up to the bound. Each job waits until all
    // of them are running at once (a fact, not a sleep that hopes they
    // overlap), so the pool must have had BOUND threads at the same time.
    let arrived = Arc::new((Mutex::new(0), Condvar::new()));
    let jobs = async {
        let jobs = (0..BOUND).map(|_| {
            let arrived = arrived.clone();
            boxed(blocking::run(move || {
                let (count, all_here) = &*arrived;
                let mut count = count.lock().unwrap();
                *count += 1;
                all_here.notify_all();
                let start = Instant::now();
                while *count < BOUND {
                    assert!(
                        start.elapsed() < Duration::from_secs(30),
                        "only {count} jobs ever ran at once"
                    );
                    count = all_here
                        .wait_timeout(count, Duration::from_secs(1))
                        .unwrap()
                        .0;
                }
                drop(count);
                // The thread goes idle after this instant.
                (thread_name(), Instant::now())
            }))
        });
        join_all(jobs.collect()).await
    };
    let results: Vec<_> = block_on_with(&mut reactor, jobs)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let names: BTreeSet<_> = results.iter().map(|(name, _)| name.clone()).collect();
    assert_eq!(names.len(), BOUND, "{names:?}");
    assert!(pool_threads() <= BOUND, "never more threads than the bound");
    let last_job_end = results.iter().map(|&(_, end)| end).max().unwrap();

    // Idle threads exit, but not before the keep-alive (measured from when the
    // last job ended, so a slow test thread cannot make this fail).
    let start = Instant::now();
    while pool_threads() > 0 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "idle threads did not exit"
        );
        std::thread::sleep(Duration::from_millis(20)); // poll interval, not a wait for an event
    }
    assert!(
        last_job_end.elapsed() >= keep_alive,
        "threads exited before the keep-alive"
    );
    assert_eq!(
        reactor
            .shutdown(Duration::from_secs(1))
            .blocking_jobs_abandoned,
        0
    );
}
