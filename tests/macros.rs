//! `#[aio::main]` and `#[aio::test]` as users write them.
//!
//! The harness alone would not notice a macro that dropped a test's body, so
//! the plain tests at the bottom call the generated functions directly and
//! check that their bodies ran, on a loop, with the arguments honoured.

use aio::time::{sleep, Instant};
use std::cell::Cell;
use std::future::Future;
use std::num::ParseIntError;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::time::Duration;

thread_local! {
    /// Bodies of the `#[aio::test]`s below that ran to the end on this thread.
    static BODIES_COMPLETED: Cell<u32> = const { Cell::new(0) };
}

fn body_completed() {
    BODIES_COMPLETED.with(|count| count.set(count.get() + 1));
}

fn bodies_completed() -> u32 {
    BODIES_COMPLETED.with(Cell::get)
}

#[aio::test]
async fn a_test_awaits_a_timer_and_a_spawned_task() {
    let start = Instant::now();
    let task = aio::spawn(async {
        sleep(Duration::from_millis(20)).await;
        6 * 7
    });
    assert_eq!(task.await.unwrap(), 42);
    assert!(start.elapsed() >= Duration::from_millis(20));
    body_completed();
}

#[aio::test]
async fn a_test_may_return_a_result() -> Result<(), ParseIntError> {
    let n: u32 = aio::spawn(async { "42".parse::<u32>() }).await.unwrap()?;
    assert_eq!(n, 42);
    Ok(())
}

// Had #[ignore] been dropped, the harness would run this and fail.
#[aio::test]
#[ignore = "fails on purpose: an_err_from_an_aio_test_is_what_it_returns calls it"]
async fn a_test_that_returns_err() -> Result<(), ParseIntError> {
    aio::yield_now().await;
    "not a number".parse::<u32>()?;
    Ok(())
}

#[aio::test]
#[should_panic(expected = "from inside the loop")]
async fn a_panic_in_a_test_fails_it() {
    aio::yield_now().await;
    panic!("from inside the loop");
}

#[test]
fn an_aio_test_runs_its_whole_body_when_called() {
    let before = bodies_completed();
    a_test_awaits_a_timer_and_a_spawned_task();
    assert_eq!(bodies_completed(), before + 1);
}

#[test]
fn an_err_from_an_aio_test_is_what_it_returns() {
    let outcome = a_test_that_returns_err();
    assert_eq!(
        outcome.unwrap_err().to_string(),
        "invalid digit found in string"
    );
}

/// Sets its flag when dropped: proof that a task's future was dropped.
struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

// Not named `main`: the attribute works on any argument-less async fn.
#[aio::main]
async fn leave_a_task_running() -> Arc<AtomicBool> {
    let dropped = Arc::new(AtomicBool::new(false));
    let guard = SetOnDrop(dropped.clone());
    aio::spawn(async move {
        let _guard = guard;
        std::future::pending::<()>().await
    });
    aio::yield_now().await; // the task starts and parks
    assert!(!dropped.load(Ordering::SeqCst));
    dropped
}

#[test]
fn aio_main_returns_the_output_after_cancelling_what_is_left() {
    let dropped = leave_a_task_running();
    assert!(dropped.load(Ordering::SeqCst));
}

/// Stands in for a renamed `aio`: its `run` counts calls.
mod counting_aio {
    use super::*;

    thread_local! {
        pub static RUNS: Cell<u32> = const { Cell::new(0) };
    }

    pub fn run<F: Future>(future: F) -> F::Output {
        RUNS.with(|runs| runs.set(runs.get() + 1));
        aio::run(future)
    }
}

#[aio::main(crate = "crate::counting_aio")]
async fn through_another_path() -> &'static str {
    aio::yield_now().await;
    "done"
}

#[test]
fn the_crate_argument_says_where_aio_is() {
    let before = counting_aio::RUNS.with(Cell::get);
    assert_eq!(through_another_path(), "done");
    assert_eq!(counting_aio::RUNS.with(Cell::get), before + 1);
}

static RELEASED: Mutex<bool> = Mutex::new(false);
static RELEASE: Condvar = Condvar::new();

/// Blocks until `release` or `limit`, whichever comes first.
fn wait_for_release(limit: Duration) {
    let released = RELEASED.lock().unwrap();
    let _unused = RELEASE
        .wait_timeout_while(released, limit, |released| !*released)
        .unwrap();
}

fn release() {
    *RELEASED.lock().unwrap() = true;
    RELEASE.notify_all();
}

#[aio::main(blocking_shutdown_timeout = Duration::from_millis(50))]
async fn leave_a_blocking_job_running() {
    let (started_tx, started_rx) = mpsc::channel();
    let _job = aio::spawn_blocking(move || {
        started_tx.send(()).unwrap();
        wait_for_release(Duration::from_secs(30));
    });
    // A job that never started would be dropped at shutdown, not waited for.
    aio::spawn_blocking(move || started_rx.recv().unwrap())
        .await
        .unwrap();
}

#[test]
fn the_blocking_shutdown_timeout_argument_reaches_the_runner() {
    let start = std::time::Instant::now();
    leave_a_blocking_job_running();
    let waited = start.elapsed();
    release();
    // Without the argument, shutdown would wait for the job: 30 s.
    assert!(
        waited < Duration::from_secs(10),
        "shutdown waited {waited:?} for a running blocking job"
    );
}
