mod support;

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

#[test]
fn threads_are_spawned_lazily_and_exit_when_idle() {
    let mut reactor = Reactor::with_config(ReactorConfig {
        max_blocking_threads: 8,
        blocking_keep_alive: Duration::from_millis(200),
        ..ReactorConfig::default()
    })
    .unwrap();
    assert_eq!(pool_threads(), 0, "no thread before the first job");
    // Sequential jobs reuse one idle thread instead of spawning more.
    for _ in 0..5 {
        block_on_with(&mut reactor, async { blocking::run(|| ()).await }).unwrap();
        // Give the worker time to go back to idle (it wakes us before it gets there).
        std::thread::sleep(Duration::from_millis(30));
    }
    assert_eq!(pool_threads(), 1);
    // Concurrent jobs grow the pool up to the bound.
    block_on_with(&mut reactor, async {
        let jobs = (0..8)
            .map(|_| {
                boxed(blocking::run(|| {
                    std::thread::sleep(Duration::from_millis(50))
                }))
            })
            .collect();
        join_all(jobs).await
    });
    assert_eq!(pool_threads(), 8);
    // Idle threads exit after the keep-alive.
    let start = Instant::now();
    while pool_threads() > 0 {
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "idle threads did not exit"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        start.elapsed() >= Duration::from_millis(100),
        "threads exited before the keep-alive"
    );
    assert_eq!(
        reactor
            .shutdown(Duration::from_secs(1))
            .blocking_jobs_abandoned,
        0
    );
}
