//! `aio`: Python asyncio's programming model for Rust.
//!
//! One call, [`run`], makes an event loop, runs your top-level future to
//! completion, cancels whatever tasks are left, shuts the blocking pool down
//! and closes the loop, just as `asyncio.run(main())` does.
//!
//! ```
//! use std::time::Duration;
//!
//! async fn work(id: u32) -> u32 {
//!     aio::time::sleep(Duration::from_millis(10)).await;
//!     id * 10
//! }
//!
//! let results = aio::run(async {
//!     let background = aio::spawn(work(7));
//!     let gathered = aio::gather([work(1), work(2), work(3)]).await;
//!     (gathered, background.await.unwrap())
//! });
//! assert_eq!(results, (vec![10, 20, 30], 70));
//! ```
//!
//! Under it: [`aio_executor`] (tasks, wakers, queues) and [`aio_reactor`]
//! (mio, timers, sockets, the blocking pool); on top: [`http`], an HTTPS
//! client for JSON APIs.

use aio_executor::{Executor, Park, Unpark};
use aio_reactor::{Reactor, Unparker};
use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

pub use aio_executor::{
    gather, spawn, yield_now, Gather, JoinError, JoinHandle, RunError, YieldNow,
};
pub use aio_http as http;
pub use aio_reactor::{net, time};

/// How long [`run`] waits, at shutdown, for blocking jobs that are still
/// running (asyncio waits 300 s for its default executor too). Jobs that
/// never started are dropped without waiting.
pub const BLOCKING_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(300);

/// Run `future` on a new event loop and return its output, like
/// `asyncio.run`.
///
/// In order: refuse if a loop already runs on this thread; make the loop;
/// run `future` to completion; cancel every task still alive (their futures
/// are dropped on this thread, so destructors run and sockets close); shut the
/// blocking pool down, waiting for jobs already running (at most
/// [`BLOCKING_SHUTDOWN_TIMEOUT`]); close the reactor. Each call makes a fresh
/// loop, so `run` may be called again afterwards, and other threads may run
/// loops of their own.
///
/// # Panics
/// - Inside a running loop, with
///   `aio::run() cannot be called from a running event loop; use .await`
///   (see [`try_run`] for the same refusal as a value);
/// - when `future` panics: the panic continues out of `run` after the
///   clean-up above;
/// - when the operating system refuses to create the loop (no fds left).
///
/// ```
/// let answer = aio::run(async { 6 * 7 });
/// assert_eq!(answer, 42);
/// ```
#[track_caller]
pub fn run<F: Future>(future: F) -> F::Output {
    match try_run(future) {
        Ok(output) => output,
        Err(refusal) => panic!("{refusal}"),
    }
}

/// [`run`], but a call from inside a running loop returns `Err(RunError)`
/// instead of panicking.
///
/// ```
/// aio::run(async {
///     let refused = aio::try_run(async {}).unwrap_err();
///     assert_eq!(
///         refused.to_string(),
///         "aio::run() cannot be called from a running event loop; use .await"
///     );
/// });
/// ```
pub fn try_run<F: Future>(future: F) -> Result<F::Output, RunError> {
    // Refuse before doing anything else: no reactor, no threads, no fds.
    let mut executor = Executor::enter()?;
    let mut reactor = match Reactor::new() {
        Ok(reactor) => reactor,
        Err(e) => panic!("aio::run() could not create the event loop: {e}"),
    };
    let entered = reactor.enter();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        executor.block_on(future, &mut ReactorPark(&mut reactor))
    }));
    // Cancel leftover tasks while the reactor is still entered: their
    // destructors may touch timers or sockets.
    executor.shutdown();
    drop(entered);
    let report = reactor.shutdown(BLOCKING_SHUTDOWN_TIMEOUT);
    if report.blocking_jobs_abandoned > 0 {
        eprintln!(
            "aio::run(): {} blocking job(s) still running after {} s at shutdown; \
             returning without them",
            report.blocking_jobs_abandoned,
            BLOCKING_SHUTDOWN_TIMEOUT.as_secs()
        );
    }
    match outcome {
        Ok(output) => Ok(output),
        Err(panic) => resume_unwind(panic),
    }
}

/// Run a blocking function on the loop's thread pool, so it does not stall
/// other tasks (like `loop.run_in_executor(None, f)`).
///
/// A panic in `f` surfaces as [`JoinError::Panicked`] from the handle. The
/// pool is bounded (64 threads) and idle threads exit after a while.
///
/// # Panics
/// Outside a running loop, with `aio::spawn_blocking() called outside of aio::run()`.
///
/// ```
/// let n = aio::run(async {
///     aio::spawn_blocking(|| (1..=10).sum::<u32>()).await.unwrap()
/// });
/// assert_eq!(n, 55);
/// ```
#[track_caller]
pub fn spawn_blocking<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    if !aio_executor::in_running_loop() || !aio_reactor::is_entered() {
        panic!("aio::spawn_blocking() called outside of aio::run()");
    }
    let job = aio_reactor::blocking::run(f);
    spawn(async move {
        match job.await {
            Ok(output) => output,
            // Re-raised inside the task, which turns it into JoinError::Panicked.
            Err(payload) => resume_unwind(payload),
        }
    })
}

/// The seam: the executor parks by turning the reactor.
struct ReactorPark<'a>(&'a mut Reactor);

impl Park for ReactorPark<'_> {
    fn park(&mut self, timeout: Option<Duration>) {
        self.0.turn(timeout);
    }

    fn unparker(&self) -> Arc<dyn Unpark> {
        Arc::new(ReactorUnpark(self.0.unparker()))
    }
}

struct ReactorUnpark(Unparker);

impl Unpark for ReactorUnpark {
    fn unpark(&self) {
        self.0.unpark();
    }
}
