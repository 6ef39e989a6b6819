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
//! Tasks can be seen and named ([`task`]: `Builder`, `current`, `all`),
//! other threads hand work to a loop through a [`Handle`], a run can have a
//! loop per core ([`Runner::loops`], with [`loops`] and [`spawn_anywhere`]
//! to place work on them), and debug mode
//! ([`Runner::debug`], or `AIO_DEBUG=1`) reports polls that hold the loop
//! too long.
//!
//! Under it: [`aio_executor`] (tasks, wakers, queues) and [`aio_reactor`]
//! (mio, timers, sockets, the blocking pool); on top: [`http`], an HTTPS
//! client for JSON APIs.
//!
//! # Cargo features
//!
//! Those of the HTTP client, passed through to `aio-http`:
//! - `gzip`, `brotli`, `zstd` (default): response bodies with these
//!   content codings are decoded (`gzip` covers `deflate` too); a build
//!   without them neither asks for nor decodes them.
//! - `cookies`: `http::ClientBuilder::cookie_store`, a cookie jar (RFC
//!   6265, public suffixes refused). Off by default, as in reqwest: it
//!   brings 13 more crates to build (cookie_store, the `time` crates, psl).

#![warn(missing_docs, missing_debug_implementations)]

// The README's program is compiled (not run: it talks to the real API) as a
// doctest, so it cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeProgram;

use aio_executor::Executor;
use aio_reactor::signal::RunInterrupt;
use loops::{LoopConfig, ReactorPark, Workers};
use std::future::{poll_fn, Future};
use std::num::NonZeroUsize;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe, Location};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

mod loops;

pub use loops::{loops, spawn_anywhere};

pub use aio_executor::task;
pub use aio_executor::{
    as_completed, select, AsCompleted, ChildFailure, ChildPanic, TaskGroup, TaskGroupError,
    TaskGroupJoin,
};
pub use aio_executor::{
    gather, spawn, yield_now, Gather, Handle, JoinError, JoinHandle, RunError, SpawnError, YieldNow,
};
pub use aio_http as http;
pub use aio_macros::{main, test};
#[cfg(unix)]
pub use aio_reactor::process;
pub use aio_reactor::{fs, io};
pub use aio_reactor::{net, time};

/// Signals: [`signal::ctrl_c`], and [`signal::unix::signal`] for any
/// catchable signal (see [`run`] for what Ctrl-C does otherwise).
///
/// ```no_run
/// aio::run(async {
///     let server = aio::spawn(std::future::pending::<()>()); // serve...
///     aio::signal::ctrl_c().await.unwrap();
///     println!("Ctrl-C: stopping the server");
///     server.abort();
/// });
/// ```
pub mod signal {
    pub use aio_reactor::signal::{ctrl_c, unix, CtrlC};
}
pub use aio_sync as sync;

/// How long [`run`] waits, at shutdown, for blocking jobs that are still
/// running (asyncio waits 300 s for its default executor too). Jobs that
/// never started are dropped without waiting. [`Runner`] sets another bound.
pub const BLOCKING_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(300);

/// How long one poll may hold the loop before debug mode warns, unless
/// [`Runner::slow_callback_duration`] says otherwise (asyncio's default).
pub const SLOW_CALLBACK_DURATION: Duration = Duration::from_millis(100);

/// The environment variable that turns debug mode on for [`run`] and
/// [`Runner`] (set to anything but empty or `0`), like asyncio's
/// `PYTHONASYNCIODEBUG`. [`Runner::debug`] overrides it.
pub const DEBUG_ENV: &str = "AIO_DEBUG";

/// Run `future` on a new event loop and return its output, like
/// `asyncio.run`.
///
/// In order: refuse if a loop already runs on this thread; make the loop;
/// run `future` to completion; cancel every task still alive (their futures
/// are dropped on this thread, so destructors run and sockets close); shut the
/// blocking pool down, waiting for jobs already running (at most
/// [`BLOCKING_SHUTDOWN_TIMEOUT`], then a line on stderr says how many were
/// left behind); close the reactor. Each call makes a fresh loop, so `run`
/// may be called again afterwards, and other threads may run loops of their
/// own.
///
/// # Ctrl-C
///
/// As in `asyncio.run`: while `run` runs, the first Ctrl-C (SIGINT) cancels
/// the main future and every task (their destructors run, the blocking pool
/// shuts down as above), and then the process ends as an interrupted process
/// does: by SIGINT re-raised with its default action (status 130 in a shell).
/// A second Ctrl-C during that clean-up ends the process at once. A program
/// that listens for Ctrl-C itself ([`signal::ctrl_c`], or
/// [`signal::unix::signal`] for SIGINT) gets it instead, and nothing is
/// cancelled. Outside `run`, Ctrl-C does what it did before (`run` installs
/// its handling at start and removes it at the end), and a program that had
/// SIGINT ignored or handled before `run` keeps it so. Loops running on
/// several threads at once are all cancelled; the process dies once the last
/// of them has cleaned up.
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
    Runner::new().run(future)
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
#[track_caller]
pub fn try_run<F: Future>(future: F) -> Result<F::Output, RunError> {
    Runner::new().try_run(future)
}

/// [`run`] with options, like Python's `asyncio.Runner`.
///
/// ```
/// use std::time::Duration;
///
/// let runner = aio::Runner::new()
///     .blocking_shutdown_timeout(Duration::from_secs(5))
///     .debug(true)
///     .slow_callback_duration(Duration::from_millis(50));
/// assert_eq!(runner.run(async { 1 }), 1);
/// ```
///
/// # Debug mode
///
/// As asyncio's: with [`Runner::debug`]`(true)`, or [`DEBUG_ENV`]
/// (`AIO_DEBUG=1`) in the environment, the loop
/// - warns on stderr about every poll that held the loop longer than
///   [`Runner::slow_callback_duration`] (default 100 ms), naming the task
///   and where it was spawned (the main future included, as task `"main"`):
///   `aio: task "fetcher" (id 7, spawned at src/main.rs:12:5) held the loop
///   for 201ms; slow_callback_duration is 100ms`;
/// - lists at exit the tasks `run` had to cancel, with where each was
///   spawned.
///
/// Off, it costs one predictable branch per poll (no clock is read).
#[derive(Clone, Debug)]
pub struct Runner {
    blocking_shutdown_timeout: Duration,
    /// `None`: ask the environment when the loop starts.
    debug: Option<bool>,
    slow_callback_duration: Duration,
    /// How many loops, each on a thread of its own; at least 1.
    loops: usize,
}

impl Default for Runner {
    fn default() -> Self {
        Runner::new()
    }
}

impl Runner {
    /// The options [`run`] uses.
    ///
    /// ```
    /// let runner = aio::Runner::new();
    /// assert_eq!(runner.run(async { "done" }), "done");
    /// ```
    pub fn new() -> Runner {
        Runner {
            blocking_shutdown_timeout: BLOCKING_SHUTDOWN_TIMEOUT,
            debug: None,
            slow_callback_duration: SLOW_CALLBACK_DURATION,
            loops: 1,
        }
    }

    /// Run `count` event loops, one per thread (default 1; 0 counts as 1):
    /// the main future runs on the first, on the calling thread, and
    /// `count - 1` threads each run a loop of their own, with its own
    /// reactor and blocking pool, until the main future ends. Then every
    /// loop cancels its tasks and closes, on its own thread, as [`run`]
    /// does for one, and `run` returns once all of them have.
    ///
    /// Tasks never move between loops, so [`spawn`] still takes `!Send`
    /// futures and runs them on the loop it is called on. Work reaches the
    /// other loops as `Send` futures: [`spawn_anywhere`] (round-robin), or
    /// one of the [`loops`]' [`Handle`]s. A server can accept on every loop
    /// with one [`net::TcpListener::bind_reuse_port`] listener per loop.
    ///
    /// A panic in a task, on any loop, goes to its `JoinHandle` as on one
    /// loop. Ctrl-C cancels the main future as [`run`] says, and the other
    /// loops close after it.
    ///
    /// ```
    /// let runner = aio::Runner::new().loops(2);
    /// let (main_thread, other) = runner.run(async {
    ///     let other = aio::loops()[1].spawn(async { std::thread::current().id() }).unwrap();
    ///     (std::thread::current().id(), other.await.unwrap())
    /// });
    /// assert_eq!(main_thread, std::thread::current().id(), "main runs on the caller's thread");
    /// assert_ne!(other, main_thread, "the second loop has a thread of its own");
    /// ```
    pub fn loops(mut self, count: usize) -> Runner {
        self.loops = count.max(1);
        self
    }

    /// [`loops`](Runner::loops) with one loop per core: as many as
    /// [`std::thread::available_parallelism`] says (1 when it cannot tell).
    ///
    /// ```
    /// let count = aio::Runner::new().loops_per_core().run(async { aio::loops().len() });
    /// assert_eq!(count, std::thread::available_parallelism().map_or(1, |n| n.get()));
    /// ```
    pub fn loops_per_core(self) -> Runner {
        let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        self.loops(cores)
    }

    /// Debug mode on or off (see [Debug mode](Runner#debug-mode)),
    /// whatever [`DEBUG_ENV`] says. Without this call, `AIO_DEBUG` decides.
    ///
    /// ```
    /// // A poll slower than the threshold is reported on stderr, naming the task.
    /// let runner = aio::Runner::new().debug(true);
    /// runner.run(async { std::thread::sleep(std::time::Duration::from_millis(150)) });
    /// ```
    pub fn debug(mut self, on: bool) -> Runner {
        self.debug = Some(on);
        self
    }

    /// How long one poll may hold the loop before debug mode warns
    /// (default [`SLOW_CALLBACK_DURATION`], 100 ms). Has no effect unless
    /// debug mode is on.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let runner = aio::Runner::new().debug(true).slow_callback_duration(Duration::from_secs(1));
    /// runner.run(async { std::thread::sleep(Duration::from_millis(10)) }); // under it: silent
    /// ```
    pub fn slow_callback_duration(mut self, threshold: Duration) -> Runner {
        self.slow_callback_duration = threshold;
        self
    }

    /// Debug mode as set, or as the environment asks.
    fn debug_enabled(&self) -> bool {
        self.debug.unwrap_or_else(|| {
            std::env::var_os(DEBUG_ENV).is_some_and(|value| !value.is_empty() && value != "0")
        })
    }

    /// How long shutdown waits for blocking jobs that are still running
    /// (default [`BLOCKING_SHUTDOWN_TIMEOUT`]). Past it, `run` returns
    /// without them and says so on stderr; they finish on their own threads.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let runner = aio::Runner::new().blocking_shutdown_timeout(Duration::from_millis(10));
    /// runner.run(async {
    ///     // Still running at shutdown: `run` returns after 10 ms and says so on stderr.
    ///     drop(aio::spawn_blocking(|| std::thread::sleep(Duration::from_millis(200))));
    /// });
    /// ```
    pub fn blocking_shutdown_timeout(mut self, timeout: Duration) -> Runner {
        self.blocking_shutdown_timeout = timeout;
        self
    }

    /// [`run`] with these options.
    ///
    /// ```
    /// let runner = aio::Runner::new();
    /// assert_eq!(runner.run(async { 1 }), 1);
    /// assert_eq!(runner.run(async { 2 }), 2, "a runner can run again, each time a fresh loop");
    /// ```
    #[track_caller]
    pub fn run<F: Future>(&self, future: F) -> F::Output {
        match self.try_run(future) {
            Ok(output) => output,
            Err(refusal) => panic!("{refusal}"),
        }
    }

    /// [`try_run`] with these options.
    ///
    /// ```
    /// let runner = aio::Runner::new();
    /// let outer = runner.run(async { aio::Runner::new().try_run(async {}).is_err() });
    /// assert!(outer, "refused inside a running loop");
    /// assert_eq!(runner.try_run(async { 3 }).unwrap(), 3);
    /// ```
    #[track_caller]
    pub fn try_run<F: Future>(&self, future: F) -> Result<F::Output, RunError> {
        // Refuse before doing anything else: no reactor, no threads, no fds.
        let mut executor = Executor::enter()?;
        let config = LoopConfig {
            debug: self.debug_enabled(),
            slow_callback_duration: self.slow_callback_duration,
            blocking_shutdown_timeout: self.blocking_shutdown_timeout,
        };
        let mut reactor = match config.make(&mut executor) {
            Ok(reactor) => reactor,
            Err(e) => panic!("aio::run() could not create the event loop: {e}"),
        };
        let entered = reactor.enter();
        // The main future is reported as spawned where `run` was called (and
        // so are the other loops' waits for the end of the run).
        let location = Location::caller();
        let workers = Workers::start(&config, self.loops - 1, location);
        let mut interrupt = match RunInterrupt::install() {
            Ok(interrupt) => interrupt,
            Err(e) => {
                eprintln!("aio::run(): Ctrl-C will not cancel the loop: {e}");
                None
            }
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let interruptible = until_interrupted(future, interrupt.as_mut());
            executor.block_on_at(interruptible, &mut ReactorPark(&mut reactor), location)
        }));
        // The other loops close on their threads while this one does.
        let workers = workers.stop();
        config.close(executor, entered, reactor);
        let escaped = workers.join();
        if let Some(interrupt) = interrupt {
            if interrupt.is_interrupted() {
                interrupt.end_interrupted();
            }
        }
        match (outcome, escaped) {
            (Ok(Some(output)), None) => Ok(output),
            (Ok(None), _) => unreachable!("an interrupted run ends the process above"),
            (Err(panic), _) | (Ok(Some(_)), Some(panic)) => resume_unwind(panic),
        }
    }
}

/// What the running loop holds right now: a leak check for tests, and a
/// first look when a loop will not go idle.
///
/// ```
/// aio::run(async {
///     let before = aio::loop_stats();
///     let socket = aio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
///     assert_eq!(aio::loop_stats().sockets, before.sockets + 1);
///     drop(socket);
///     assert_eq!(aio::loop_stats(), before, "nothing leaked");
/// });
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoopStats {
    /// Spawned tasks not finished yet.
    pub tasks: usize,
    /// Sockets registered with the reactor.
    pub sockets: usize,
    /// Timers pending.
    pub timers: usize,
}

/// A snapshot of the running loop's tasks, sockets and timers.
///
/// # Panics
/// Outside a running loop, with `aio::loop_stats() called outside of aio::run()`.
///
/// ```
/// aio::run(async {
///     let task = aio::spawn(aio::time::sleep(std::time::Duration::from_secs(60)));
///     aio::yield_now().await; // let it register its timer
///     let stats = aio::loop_stats();
///     assert_eq!((stats.tasks, stats.timers), (1, 1));
///     task.abort();
/// });
/// ```
#[track_caller]
pub fn loop_stats() -> LoopStats {
    match (aio_executor::live_tasks(), aio_reactor::current_stats()) {
        (Some(tasks), Some(reactor)) => LoopStats {
            tasks,
            sockets: reactor.sockets,
            timers: reactor.timers,
        },
        _ => panic!("aio::loop_stats() called outside of aio::run()"),
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

/// `future`, or `None` as soon as Ctrl-C interrupts the run (the future is
/// then dropped by `block_on` returning, before the tasks are cancelled).
async fn until_interrupted<F: Future>(
    future: F,
    mut interrupt: Option<&mut RunInterrupt>,
) -> Option<F::Output> {
    let mut future = pin!(future);
    poll_fn(|cx| {
        if let Some(interrupt) = interrupt.as_deref_mut() {
            if interrupt.poll_interrupted(cx).is_ready() {
                return Poll::Ready(None);
            }
        }
        future.as_mut().poll(cx).map(Some)
    })
    .await
}
