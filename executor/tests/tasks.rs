//! Task lifecycle: spawn, join, panic, abort, wakes, shutdown.

use aio_executor::{
    block_on, gather, spawn, yield_now, Executor, JoinError, Park, ThreadPark, Unpark,
};
use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// Counts its drops, so tests can tell a future's destructor ran.
struct DropCounter(Arc<AtomicUsize>);
impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A `ThreadPark` that raises a flag when the loop is about to block in it
/// with nothing to do, so a test can wake a loop that is parked rather than
/// one that is still running.
struct ParkSpy {
    inner: ThreadPark,
    blocking: Arc<AtomicBool>,
}

impl ParkSpy {
    fn new() -> (ParkSpy, Arc<AtomicBool>) {
        let blocking = Arc::new(AtomicBool::new(false));
        let spy = ParkSpy {
            inner: ThreadPark::new(),
            blocking: blocking.clone(),
        };
        (spy, blocking)
    }
}

impl Park for ParkSpy {
    fn park(&mut self, timeout: Option<Duration>) {
        if timeout.is_none() {
            self.blocking.store(true, Ordering::SeqCst);
        }
        self.inner.park(timeout);
    }

    fn unparker(&self) -> Arc<dyn Unpark> {
        self.inner.unparker()
    }
}

/// Spins until the loop has said it is about to block.
fn wait_for_flag(flag: &AtomicBool) {
    let start = Instant::now();
    while !flag.load(Ordering::SeqCst) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the loop never parked"
        );
        std::thread::yield_now();
    }
}

/// Pending until someone calls the stored waker.
fn pending_forever() -> impl Future<Output = ()> {
    poll_fn(|_| Poll::Pending)
}

#[test]
fn spawned_task_output_reaches_join_handle() {
    let out = block_on(async { spawn(async { 40 + 2 }).await });
    assert_eq!(out.unwrap(), 42);
}

#[test]
fn hundred_thousand_tasks_spawned_and_joined() {
    let total = block_on(async {
        let handles: Vec<_> = (0..100_000u64).map(|i| spawn(async move { i })).collect();
        let mut total = 0;
        for handle in handles {
            total += handle.await.unwrap();
        }
        total
    });
    assert_eq!(total, (0..100_000u64).sum::<u64>());
}

#[test]
fn non_send_futures_can_be_spawned() {
    let shared = Rc::new(Cell::new(0));
    let seen = shared.clone();
    block_on(async move {
        spawn(async move { seen.set(7) }).await.unwrap();
    });
    assert_eq!(shared.get(), 7);
}

#[test]
fn panicking_task_gives_panicked_and_others_finish() {
    let (failed, finished) = block_on(async {
        let bad = spawn(async {
            yield_now().await;
            panic!("boom in task");
        });
        let good: Vec<_> = (0..10)
            .map(|i| {
                spawn(async move {
                    yield_now().await;
                    i
                })
            })
            .collect();
        let failed = bad.await;
        let mut finished = 0;
        for handle in good {
            finished += handle.await.unwrap();
        }
        (failed, finished)
    });
    let err = failed.unwrap_err();
    assert!(err.is_panic());
    assert_eq!(err.panic_message(), Some("boom in task"));
    assert_eq!(err.to_string(), "task panicked: boom in task");
    assert_eq!(
        *err.into_panic().downcast::<&str>().unwrap(),
        "boom in task"
    );
    assert_eq!(finished, 45);
}

#[test]
fn abort_gives_cancelled_and_runs_destructor() {
    let drops = Arc::new(AtomicUsize::new(0));
    let counter = DropCounter(drops.clone());
    let result = block_on(async move {
        let handle = spawn(async move {
            let _guard = counter;
            pending_forever().await;
        });
        yield_now().await; // let it start and park
        assert!(!handle.is_finished());
        handle.abort();
        handle.abort(); // twice is harmless
        let result = handle.await;
        result.map(|_| ())
    });
    let err = result.unwrap_err();
    assert!(err.is_cancelled());
    assert_eq!(err.to_string(), "task was cancelled");
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn abort_before_first_poll_never_polls() {
    let polled = Arc::new(AtomicUsize::new(0));
    let seen = polled.clone();
    let result = block_on(async move {
        let handle = spawn(async move {
            seen.fetch_add(1, Ordering::SeqCst);
        });
        handle.abort();
        handle.await
    });
    assert!(result.unwrap_err().is_cancelled());
    assert_eq!(polled.load(Ordering::SeqCst), 0);
}

#[test]
fn abort_after_completion_keeps_output() {
    let out = block_on(async {
        let handle = spawn(async { 5 });
        while !handle.is_finished() {
            yield_now().await;
        }
        handle.abort();
        handle.await
    });
    assert_eq!(out.unwrap(), 5);
}

#[test]
fn abort_from_inside_the_running_task_cancels_at_next_run() {
    let result = block_on(async {
        let slot: Rc<Cell<Option<Rc<aio_executor::JoinHandle<()>>>>> = Rc::new(Cell::new(None));
        let inner = slot.clone();
        let handle = Rc::new(spawn(async move {
            yield_now().await;
            let me = inner.take().unwrap();
            me.abort();
            yield_now().await;
            unreachable!("aborted task polled again");
        }));
        slot.set(Some(handle.clone()));
        while !handle.is_finished() {
            yield_now().await;
        }
        drop(slot);
        let handle = Rc::try_unwrap(handle).unwrap();
        handle.await
    });
    assert!(result.unwrap_err().is_cancelled());
}

/// A future that counts its polls and parks its waker in a shared slot.
struct CountPolls {
    polls: Arc<AtomicUsize>,
    waker: Arc<Mutex<Option<Waker>>>,
    ready_after: usize,
}
impl Future for CountPolls {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let n = self.polls.fetch_add(1, Ordering::SeqCst) + 1;
        *self.waker.lock().unwrap() = Some(cx.waker().clone());
        if n >= self.ready_after {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

#[test]
fn woken_twice_before_running_is_polled_once() {
    let polls = Arc::new(AtomicUsize::new(0));
    let waker = Arc::new(Mutex::new(None));
    let (p, w) = (polls.clone(), waker.clone());
    block_on(async move {
        let handle = spawn(CountPolls {
            polls: p,
            waker: w.clone(),
            ready_after: 3,
        });
        yield_now().await; // first poll happens
        assert_eq!(polls.load(Ordering::SeqCst), 1);
        let stored = w.lock().unwrap().clone().unwrap();
        stored.wake_by_ref();
        stored.wake_by_ref();
        let by_value = stored.clone();
        by_value.wake();
        yield_now().await;
        yield_now().await;
        assert_eq!(polls.load(Ordering::SeqCst), 2, "three wakes, one poll");
        stored.wake();
        handle.await.unwrap();
        assert_eq!(polls.load(Ordering::SeqCst), 3);
    });
}

/// A join waker that only lets itself be counted: while a task holds it in
/// its join waker slot, its strong count is 2, so the count says whether the
/// task's memory was freed.
struct Counted;
impl std::task::Wake for Counted {
    fn wake(self: Arc<Self>) {}
}

#[test]
fn waking_finished_task_and_after_loop_is_gone_is_harmless() {
    let polls = Arc::new(AtomicUsize::new(0));
    let waker: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
    let join_waker = Arc::new(Counted);
    let (p, w, jw) = (polls.clone(), waker.clone(), join_waker.clone());
    block_on(async move {
        let mut handle = spawn(CountPolls {
            polls: p,
            waker: w.clone(),
            ready_after: 1,
        });
        let jw = Waker::from(jw);
        let mut cx = Context::from_waker(&jw);
        assert!(Pin::new(&mut handle).poll(&mut cx).is_pending());
        while !handle.is_finished() {
            yield_now().await;
        }
        let Poll::Ready(output) = Pin::new(&mut handle).poll(&mut cx) else {
            panic!("a finished task's handle is ready");
        };
        output.unwrap();
        drop(handle);
        // Finished, but its stored waker keeps the task's memory alive.
        let stored = w.lock().unwrap().clone().unwrap();
        stored.wake_by_ref();
        stored.wake();
        for _ in 0..3 {
            yield_now().await;
        }
        assert_eq!(
            polls.load(Ordering::SeqCst),
            1,
            "a finished task is never polled again"
        );
        assert_eq!(aio_executor::live_tasks(), Some(0));
    });
    assert_eq!(
        Arc::strong_count(&join_waker),
        2,
        "the stored waker keeps the task"
    );
    // The last reference, fired from another thread after the loop is gone,
    // frees the task there: nothing was queued on the dead loop, nothing leaks.
    let stored = waker.lock().unwrap().take().unwrap();
    std::thread::spawn(move || stored.wake()).join().unwrap();
    assert_eq!(Arc::strong_count(&join_waker), 1, "the task was freed");
}

#[test]
fn cross_thread_wake_reaches_blocked_loop() {
    let mut executor = Executor::enter().unwrap();
    let (mut park, parked) = ParkSpy::new();
    let (elapsed, polls) = executor.block_on(
        async {
            let polls = Arc::new(AtomicUsize::new(0));
            let waker = Arc::new(Mutex::new(None));
            let handle = spawn(CountPolls {
                polls: polls.clone(),
                waker: waker.clone(),
                ready_after: 2,
            });
            yield_now().await;
            let stored = waker.lock().unwrap().clone().unwrap();
            let start = Instant::now();
            let thread = std::thread::spawn(move || {
                wait_for_flag(&parked);
                stored.wake();
            });
            handle.await.unwrap();
            thread.join().unwrap();
            (start.elapsed(), polls.load(Ordering::SeqCst))
        },
        &mut park,
    );
    executor.shutdown();
    assert_eq!(polls, 2);
    assert!(elapsed < Duration::from_secs(2), "woken after {elapsed:?}");
}

#[test]
fn join_handle_awaited_on_another_threads_loop() {
    let (tx, rx) = std::sync::mpsc::channel();
    let waker: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
    let w = waker.clone();
    let loop_a = std::thread::spawn(move || {
        block_on(async move {
            let polls = Arc::new(AtomicUsize::new(0));
            let handle = spawn(async move {
                CountPolls {
                    polls,
                    waker: w,
                    ready_after: 2,
                }
                .await;
                "from loop a"
            });
            tx.send(handle).unwrap();
            // Wake the task once it parked, then keep loop A alive until the
            // task dropped its future (and with it the waker slot's clone).
            loop {
                let stored = waker.lock().unwrap().take();
                if let Some(stored) = stored {
                    stored.wake();
                }
                if Arc::strong_count(&waker) == 1 {
                    break;
                }
                yield_now().await;
            }
        })
    });
    let handle = rx.recv().unwrap();
    let out = std::thread::spawn(move || block_on(handle)).join().unwrap();
    assert_eq!(out.unwrap(), "from loop a");
    loop_a.join().unwrap();
}

#[test]
fn nested_block_on_is_refused_and_the_loop_survives() {
    let message = block_on(async {
        let inner = std::panic::catch_unwind(|| block_on(async { 1 })).unwrap_err();
        let msg = inner.downcast_ref::<String>().cloned().unwrap();
        // The guard is intact: spawning still works in the outer loop.
        assert_eq!(spawn(async { 2 }).await.unwrap(), 2);
        msg
    });
    assert_eq!(
        message,
        "aio::run() cannot be called from a running event loop; use .await"
    );
    assert_eq!(
        Executor::enter().err().map(|e| e.to_string()),
        None,
        "the thread is free again"
    );
}

#[test]
fn executor_enter_refuses_inside_a_loop() {
    block_on(async {
        let refusal = Executor::enter().expect_err("refused");
        assert_eq!(
            refusal.to_string(),
            "aio::run() cannot be called from a running event loop; use .await"
        );
    });
}

#[test]
fn spawn_outside_a_loop_panics_with_clear_message() {
    let err = std::panic::catch_unwind(|| spawn(async {})).unwrap_err();
    assert_eq!(
        err.downcast_ref::<String>()
            .map(String::as_str)
            .or(err.downcast_ref::<&str>().copied()),
        Some("aio::spawn() called outside of aio::run()")
    );
}

#[test]
fn leftover_tasks_are_cancelled_at_shutdown_with_destructors_run() {
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    let handles = block_on(async move {
        let mut handles = Vec::new();
        for _ in 0..100 {
            let guard = DropCounter(d.clone());
            handles.push(spawn(async move {
                let _g = guard;
                pending_forever().await;
            }));
        }
        // Never polled at all: cancelled too.
        let guard = DropCounter(d.clone());
        handles.push(spawn(async move {
            let _g = guard;
        }));
        handles
    });
    assert_eq!(drops.load(Ordering::SeqCst), 101);
    // Handles outlive the loop and report cancellation.
    for handle in handles {
        assert!(handle.is_finished());
        assert!(block_on(handle).unwrap_err().is_cancelled());
    }
}

#[test]
fn destructor_that_spawns_during_shutdown_is_handled() {
    struct SpawnOnDrop(Arc<AtomicUsize>);
    impl Drop for SpawnOnDrop {
        fn drop(&mut self) {
            let d = DropCounter(self.0.clone());
            // Spawning while the loop shuts down must not panic or leak.
            drop(spawn(async move {
                let _d = d;
                pending_forever().await
            }));
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    block_on(async move {
        let guard = SpawnOnDrop(d);
        drop(spawn(async move {
            let _g = guard;
            pending_forever().await
        }));
    });
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn detached_task_keeps_running() {
    let done = Arc::new(AtomicUsize::new(0));
    let d = done.clone();
    block_on(async move {
        drop(spawn(async move {
            yield_now().await;
            d.fetch_add(1, Ordering::SeqCst);
        }));
        for _ in 0..3 {
            yield_now().await;
        }
    });
    assert_eq!(done.load(Ordering::SeqCst), 1);
}

#[test]
fn yield_now_lets_other_tasks_run_in_turn() {
    let log = Rc::new(std::cell::RefCell::new(Vec::new()));
    let l = log.clone();
    block_on(async move {
        let a = {
            let l = l.clone();
            spawn(async move {
                for i in 0..3 {
                    l.borrow_mut().push(("a", i));
                    yield_now().await;
                }
            })
        };
        let b = spawn(async move {
            for i in 0..3 {
                l.borrow_mut().push(("b", i));
                yield_now().await;
            }
        });
        a.await.unwrap();
        b.await.unwrap();
    });
    assert_eq!(
        *log.borrow(),
        vec![("a", 0), ("b", 0), ("a", 1), ("b", 1), ("a", 2), ("b", 2)]
    );
}

#[test]
fn gather_runs_concurrently_and_keeps_input_order() {
    let log = Rc::new(std::cell::RefCell::new(Vec::new()));
    let out = block_on(gather((0..3).map(|i| {
        let log = log.clone();
        async move {
            // Later inputs finish first.
            for _ in 0..(3 - i) {
                yield_now().await;
            }
            log.borrow_mut().push(i);
            i * 10
        }
    })));
    assert_eq!(out, vec![0, 10, 20]);
    assert_eq!(*log.borrow(), vec![2, 1, 0], "they ran concurrently");
    assert_eq!(
        block_on(gather(Vec::<std::future::Ready<u8>>::new())),
        Vec::<u8>::new()
    );
}

#[test]
fn gather_with_borrowed_state() {
    let names = ["a".to_string(), "b".to_string()];
    let lens = block_on(gather(names.iter().map(|n| async move { n.len() })));
    assert_eq!(lens, vec![1, 1]);
}

#[test]
fn executor_counts_live_tasks_and_shutdown_releases_the_thread() {
    let mut executor = Executor::enter().unwrap();
    executor.block_on(
        async {
            drop(spawn(pending_forever()));
            spawn(async {}).await.unwrap();
        },
        &mut ThreadPark::new(),
    );
    assert_eq!(executor.live_tasks(), 1, "the parked task is still alive");
    assert!(aio_executor::in_running_loop());
    executor.shutdown();
    assert!(!aio_executor::in_running_loop());
}

#[test]
fn thread_park_waits_for_unpark_or_timeout() {
    use aio_executor::Park;
    let mut park = ThreadPark::new();
    let unparker = park.unparker();
    let start = Instant::now();
    park.park(Some(Duration::from_millis(30)));
    assert!(
        start.elapsed() >= Duration::from_millis(30),
        "returned before its timeout"
    );
    // A lower bound on how long park(None) blocked: the unpark comes 20 ms
    // after the thread starts, so a park that returns early is caught, and
    // a loaded machine only makes the wait longer.
    let thread = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        unparker.unpark();
    });
    let start = Instant::now();
    park.park(None);
    assert!(start.elapsed() >= Duration::from_millis(15));
    thread.join().unwrap();
}

#[test]
fn join_error_debug_names_the_case() {
    assert_eq!(
        format!("{:?}", JoinError::Cancelled),
        "JoinError::Cancelled"
    );
}

#[test]
fn a_second_block_on_with_another_park_gets_remote_wakes() {
    let mut executor = Executor::enter().unwrap();
    executor.block_on(async {}, &mut ThreadPark::new());
    // The second park is a different one: a wake from another thread must
    // reach it, not the first.
    let polls = Arc::new(AtomicUsize::new(0));
    let waker = Arc::new(Mutex::new(None));
    let (p, w) = (polls.clone(), waker.clone());
    let (mut park, parked) = ParkSpy::new();
    let done = executor.block_on(
        async move {
            let handle = spawn(CountPolls {
                polls: p,
                waker: w.clone(),
                ready_after: 2,
            });
            yield_now().await;
            let stored = w.lock().unwrap().clone().unwrap();
            std::thread::spawn(move || {
                wait_for_flag(&parked);
                stored.wake();
            });
            handle.await.is_ok()
        },
        &mut park,
    );
    assert!(done);
    assert_eq!(polls.load(Ordering::SeqCst), 2);
    drop(waker);
    executor.shutdown();
}

#[test]
fn a_panicking_join_waker_does_not_stop_shutdown_from_cancelling_tasks() {
    struct PanicOnWake;
    impl std::task::Wake for PanicOnWake {
        fn wake(self: Arc<Self>) {
            panic!("a join waker that panics");
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let d = drops.clone();
    block_on(async move {
        let mut handles = Vec::new();
        for _ in 0..10 {
            let guard = DropCounter(d.clone());
            let mut handle = spawn(async move {
                let _g = guard;
                pending_forever().await
            });
            // Register a join waker that panics when the task completes.
            let waker = Waker::from(Arc::new(PanicOnWake));
            let mut cx = Context::from_waker(&waker);
            assert!(Pin::new(&mut handle).poll(&mut cx).is_pending());
            handles.push(handle);
        }
        // Leave them all to shutdown, handles alive.
        std::mem::forget(handles);
    });
    assert_eq!(drops.load(Ordering::SeqCst), 10, "every task was cancelled");
}

#[test]
fn public_types_debug_print_their_state() {
    let park = ThreadPark::new();
    assert_eq!(format!("{park:?}"), "ThreadPark { notified: false }");
    let mut executor = Executor::enter().unwrap();
    executor.block_on(
        async {
            drop(spawn(pending_forever()));
        },
        &mut ThreadPark::new(),
    );
    assert_eq!(
        format!("{executor:?}"),
        "Executor { live_tasks: 1, running: true }"
    );
    executor.shutdown();
    let gathered = gather([std::future::ready(1), std::future::ready(2)]);
    assert_eq!(
        format!("{gathered:?}"),
        "Gather { futures: 2, remaining: 2 }"
    );
}
