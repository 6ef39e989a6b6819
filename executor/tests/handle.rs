//! Entering the loop from other threads: `Handle::spawn`, `JoinHandle::wait`.

use aio_executor::task::{self, Builder};
use aio_executor::{block_on, spawn, Executor, Handle, JoinHandle, SpawnError, ThreadPark};
use std::future::poll_fn;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier, Mutex};
use std::task::{Poll, Waker};
use std::thread;

/// A fact one thread sets and a task awaits (wakes the task from any thread).
#[derive(Clone, Default)]
struct Signal(Arc<Mutex<(bool, Option<Waker>)>>);

impl Signal {
    fn set(&self) {
        let waker = {
            let mut state = self.0.lock().unwrap();
            state.0 = true;
            state.1.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    async fn wait(&self) {
        poll_fn(|cx| {
            let mut state = self.0.lock().unwrap();
            if state.0 {
                return Poll::Ready(());
            }
            state.1 = Some(cx.waker().clone());
            Poll::Pending
        })
        .await
    }
}

/// Counts its drops and whether it was ever polled.
struct Tracked {
    drops: Arc<AtomicUsize>,
    polls: Arc<AtomicUsize>,
}

impl std::future::Future for Tracked {
    type Output = u32;
    fn poll(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> Poll<u32> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        Poll::Ready(1)
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

fn tracked() -> (Tracked, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let drops = Arc::new(AtomicUsize::new(0));
    let polls = Arc::new(AtomicUsize::new(0));
    let future = Tracked {
        drops: drops.clone(),
        polls: polls.clone(),
    };
    (future, drops, polls)
}

/// A loop on its own thread, parked on `stop` until the test is done.
fn loop_on_a_thread() -> (Handle, Signal, thread::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel();
    let stop = Signal::default();
    let loop_stop = stop.clone();
    let thread = thread::spawn(move || {
        block_on(async move {
            tx.send(Handle::current()).unwrap();
            loop_stop.wait().await;
        })
    });
    (rx.recv().unwrap(), stop, thread)
}

#[test]
fn handle_and_remote_join_handles_cross_threads() {
    fn send_sync<T: Send + Sync + Clone>() {}
    fn send<T: Send>() {}
    send_sync::<Handle>();
    send::<JoinHandle<String>>();
}

#[test]
fn spawn_from_eight_threads_at_once_runs_everything() {
    const THREADS: usize = 8;
    const PER_THREAD: usize = 100;
    let (handle, stop, loop_thread) = loop_on_a_thread();
    let start = Arc::new(Barrier::new(THREADS));
    let spawners: Vec<_> = (0..THREADS)
        .map(|t| {
            let (handle, start) = (handle.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                // Spawn everything at once, then wait for every output.
                let tasks: Vec<_> = (0..PER_THREAD)
                    .map(|i| handle.spawn(async move { t * PER_THREAD + i }).unwrap())
                    .collect();
                tasks
                    .into_iter()
                    .map(|task| task.wait().unwrap())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut outputs: Vec<usize> = spawners
        .into_iter()
        .flat_map(|spawner| spawner.join().unwrap())
        .collect();
    outputs.sort_unstable();
    assert_eq!(outputs, (0..THREADS * PER_THREAD).collect::<Vec<_>>());
    stop.set();
    loop_thread.join().unwrap();
}

#[test]
fn blocking_wait_from_a_plain_thread_wakes_the_parked_loop() {
    let (handle, stop, loop_thread) = loop_on_a_thread();
    // The loop is parked on `stop`; the spawn must wake it.
    let line = line!() + 2; // where `.spawn(` is
    let task = handle
        .spawn(async { task::current().unwrap().location().line() })
        .unwrap();
    assert_eq!(task.wait().unwrap(), line, "the spawn site is the caller's");
    // A named one, through the builder.
    let task = Builder::new()
        .name("remote")
        .spawn_on(&handle, async {
            task::current().unwrap().name().map(String::from)
        })
        .unwrap();
    assert_eq!(task.wait().unwrap().as_deref(), Some("remote"));
    stop.set();
    loop_thread.join().unwrap();
}

#[test]
fn remote_join_handle_can_be_awaited_in_another_loop() {
    let (handle, stop, loop_thread) = loop_on_a_thread();
    let output = block_on(async move { handle.spawn(async { "from over there" }).unwrap().await });
    assert_eq!(output.unwrap(), "from over there");
    stop.set();
    loop_thread.join().unwrap();
}

#[test]
fn spawn_after_the_loop_ended_is_refused_and_drops_the_future() {
    let handle = block_on(async { Handle::current() });
    let (future, drops, polls) = tracked();
    let refused: SpawnError = handle.spawn(future).unwrap_err();
    assert_eq!(refused.to_string(), "the event loop has shut down");
    assert_eq!(drops.load(Ordering::SeqCst), 1, "the future was dropped");
    assert_eq!(polls.load(Ordering::SeqCst), 0, "and never polled");
    // From another thread too.
    let refused = thread::spawn(move || handle.spawn(async {}).is_err());
    assert!(refused.join().unwrap());
}

#[test]
fn spawn_accepted_just_before_shutdown_is_cancelled_not_leaked() {
    let executor = Executor::enter().unwrap();
    let handle = Handle::current();
    let (future, drops, polls) = tracked();
    // Accepted from another thread while the loop is not running: it waits
    // in the injector.
    let task = thread::spawn(move || handle.spawn(future).unwrap())
        .join()
        .unwrap();
    executor.shutdown();
    let waiter = thread::spawn(move || task.wait());
    assert!(waiter.join().unwrap().unwrap_err().is_cancelled());
    assert_eq!(polls.load(Ordering::SeqCst), 0, "never polled");
    assert_eq!(drops.load(Ordering::SeqCst), 1, "dropped once, at shutdown");
}

#[test]
fn remote_task_still_pending_at_shutdown_is_cancelled() {
    let mut executor = Executor::enter().unwrap();
    let handle = Handle::current();
    let (guard, drops, polls) = tracked();
    let task = thread::spawn(move || {
        handle
            .spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await
            })
            .unwrap()
    })
    .join()
    .unwrap();
    let started = Signal::default();
    let main_started = started.clone();
    // The loop registers and polls it once; it stays pending.
    let watcher = spawn(async move {
        while task::all().len() < 3 {
            aio_executor::yield_now().await;
        }
        main_started.set();
    });
    executor.block_on(started.wait(), &mut ThreadPark::new());
    drop(watcher);
    executor.shutdown();
    assert!(task.wait().unwrap_err().is_cancelled());
    assert_eq!(polls.load(Ordering::SeqCst), 0, "the guard is never polled");
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "the task's future was dropped"
    );
}

#[test]
fn handle_spawn_on_the_loop_thread_is_an_ordinary_spawn() {
    block_on(async {
        let handle = Handle::current();
        let task = handle.spawn(async { 5 }).unwrap();
        assert_eq!(task.await.unwrap(), 5);
        // Same loop, either way.
        let local = spawn(async { Handle::try_current().is_some() });
        assert!(local.await.unwrap());
    });
}

#[test]
fn wait_inside_a_loop_refuses_clearly() {
    block_on(async {
        let task = spawn(async { 1 });
        let refused = catch_unwind(AssertUnwindSafe(|| task.wait())).unwrap_err();
        assert_eq!(
            refused.downcast_ref::<&str>().copied(),
            Some("JoinHandle::wait() would block the running event loop; use .await")
        );
    });
}

#[test]
fn handle_current_outside_a_loop_panics_clearly() {
    assert!(Handle::try_current().is_none());
    let refused = catch_unwind(Handle::current).unwrap_err();
    assert_eq!(
        refused.downcast_ref::<&str>().copied(),
        Some("aio::Handle::current() called outside of aio::run()")
    );
}

#[test]
// The loop hands the handle out on purpose, to be waited for outside it.
#[allow(clippy::async_yields_async)]
fn wait_after_the_loop_returned_gives_the_output() {
    let task = block_on(async {
        let task = spawn(async { 6 * 7 });
        while !task.is_finished() {
            aio_executor::yield_now().await;
        }
        task
    });
    assert_eq!(task.wait().unwrap(), 42);
}

/// Spawns onto a loop from a thread-local destructor, when the thread ends.
struct SpawnAtThreadExit {
    handle: Option<Handle>,
    spawned: Arc<Mutex<Option<JoinHandle<u32>>>>,
}

impl Drop for SpawnAtThreadExit {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            let spawned = handle.spawn(async { 7 }).expect("the loop is running");
            *self.spawned.lock().unwrap() = Some(spawned);
        }
    }
}

thread_local! {
    static AT_THREAD_EXIT: std::cell::RefCell<Option<SpawnAtThreadExit>> =
        const { std::cell::RefCell::new(None) };
}

#[test]
fn handle_spawn_from_a_thread_local_destructor_reaches_the_loop() {
    // The destructor runs after the executor's own thread-local is gone
    // (that one is touched after ours, so it is destroyed first): the spawn
    // must take the remote path, not abort the process.
    let spawned = Arc::new(Mutex::new(None));
    let output = aio_executor::block_on({
        let spawned = spawned.clone();
        async move {
            let handle = Handle::current();
            let slot_for_thread = spawned.clone();
            std::thread::spawn(move || {
                AT_THREAD_EXIT.with(|slot| {
                    *slot.borrow_mut() = Some(SpawnAtThreadExit {
                        handle: Some(handle),
                        spawned: slot_for_thread,
                    })
                });
                // Touches the executor's thread-local after ours.
                assert!(!aio_executor::in_running_loop());
            })
            .join()
            .expect("the thread ended without aborting");
            let task = spawned.lock().unwrap().take().expect("spawned at exit");
            task.await
        }
    });
    assert_eq!(output.unwrap(), 7);
}
