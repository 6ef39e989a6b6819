//! The loop that runs tasks: `Executor` (spawn, block_on, cancel-all at
//! shutdown) and the free functions built on it. Which task runs next, and
//! where a wake goes, is the scheduler's business; this module drives it and
//! parks when it has nothing to do.

use crate::cell::JoinHandle;
use crate::handle::Handle;
use crate::park::{Park, ThreadPark};
use crate::scheduler::{self, Core, CurrentGuard, RunError, SpawnError};
use std::fmt;
use std::future::{Future, IntoFuture};
use std::panic::Location;
use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Waker};
use std::time::Duration;

/// How many tasks run between two looks at I/O, so that a busy loop still
/// notices sockets and timers (tokio and Go use similar numbers).
const TASKS_PER_IO_CHECK: usize = 61;

/// One event loop's task side. Created on, and bound to, the current thread.
///
/// Most programs use `aio::run` instead; this is the piece it is built from.
///
/// ```
/// use aio_executor::{Executor, ThreadPark};
///
/// let mut executor = Executor::enter().unwrap();
/// let task = aio_executor::spawn(async { 20 });
/// let answer = executor.block_on(async { task.await.unwrap() + 22 }, &mut ThreadPark::new());
/// assert_eq!(answer, 42);
/// executor.shutdown();
/// ```
pub struct Executor {
    core: Rc<Core>,
    // Cleared last: while it exists, this thread counts as running a loop.
    guard: Option<CurrentGuard>,
}

impl Executor {
    /// Mark this thread as running a loop, or refuse when it already does.
    ///
    /// ```
    /// use aio_executor::Executor;
    ///
    /// let executor = Executor::enter().unwrap();
    /// assert!(aio_executor::in_running_loop());
    /// // One loop per thread: a second one is refused.
    /// assert!(Executor::enter().is_err());
    /// drop(executor);
    /// assert!(!aio_executor::in_running_loop());
    /// ```
    pub fn enter() -> Result<Executor, RunError> {
        let core = Rc::new(Core::new());
        let guard = CurrentGuard::install(&core)?;
        Ok(Executor {
            core,
            guard: Some(guard),
        })
    }

    /// Debug mode, as asyncio's (off by default): warn on stderr about
    /// every poll that holds the loop longer than the
    /// [slow callback duration](Executor::set_slow_callback_duration),
    /// naming the task and where it was spawned, and list the tasks that
    /// [`shutdown`](Executor::shutdown) cancels. Off, it costs one branch
    /// per poll. (`aio::run` turns it on from `AIO_DEBUG`; the executor
    /// itself reads no environment.)
    ///
    /// ```
    /// use aio_executor::{Executor, ThreadPark};
    ///
    /// let mut executor = Executor::enter().unwrap();
    /// executor.set_debug(true); // polls slower than the threshold now warn on stderr
    /// assert_eq!(executor.block_on(async { 1 }, &mut ThreadPark::new()), 1);
    /// ```
    pub fn set_debug(&mut self, on: bool) {
        self.core.set_debug(on);
    }

    /// How long a poll may hold the loop before debug mode warns
    /// (default 100 ms, asyncio's `slow_callback_duration`).
    ///
    /// ```
    /// use aio_executor::{Executor, ThreadPark};
    /// use std::time::Duration;
    ///
    /// let mut executor = Executor::enter().unwrap();
    /// executor.set_debug(true);
    /// executor.set_slow_callback_duration(Duration::from_secs(1));
    /// assert_eq!(executor.block_on(async { 2 }, &mut ThreadPark::new()), 2);
    /// ```
    pub fn set_slow_callback_duration(&mut self, threshold: Duration) {
        self.core.set_slow_callback_duration(threshold);
    }

    /// Run `future` to completion on this thread, running spawned tasks
    /// whenever it waits, and blocking in `park` when nothing is ready.
    ///
    /// While it runs, `future` counts as a task named `"main"` spawned
    /// where this was called (see `task::current`).
    ///
    /// ```
    /// use aio_executor::{Executor, ThreadPark};
    ///
    /// let mut executor = Executor::enter().unwrap();
    /// let mut park = ThreadPark::new();
    /// let name = executor.block_on(
    ///     async { aio_executor::task::current().unwrap().name().map(String::from) },
    ///     &mut park,
    /// );
    /// assert_eq!(name.as_deref(), Some("main"));
    /// // The executor can run another future afterwards.
    /// assert_eq!(executor.block_on(async { 3 }, &mut park), 3);
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&mut self, future: F, park: &mut dyn Park) -> F::Output {
        self.block_on_at(future, park, Location::caller())
    }

    /// [`block_on`](Executor::block_on), with the main future reported as
    /// spawned at `location`: for wrappers that cannot pass their caller's
    /// location through `#[track_caller]` (a closure in between, say).
    ///
    /// ```
    /// use aio_executor::{Executor, ThreadPark};
    /// use std::panic::Location;
    ///
    /// let mut executor = Executor::enter().unwrap();
    /// let here = Location::caller();
    /// let line = executor.block_on_at(
    ///     async { aio_executor::task::current().unwrap().location().line() },
    ///     &mut ThreadPark::new(),
    ///     here,
    /// );
    /// assert_eq!(line, here.line());
    /// ```
    pub fn block_on_at<F: Future>(
        &mut self,
        future: F,
        park: &mut dyn Park,
        location: &'static Location<'static>,
    ) -> F::Output {
        self.core.set_unparker(park.unparker());
        let main = self.core.begin_main(location);
        // Forget the main future however this returns (a panic included).
        let _main_ends = EndMain(&self.core);
        let waker = Waker::from(Arc::clone(&main));
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        loop {
            if main.take_wake() {
                let polled = self.core.poll_main(|| future.as_mut().poll(&mut cx));
                if let std::task::Poll::Ready(output) = polled {
                    return output;
                }
            }
            let more_ready = self.core.run_tasks(TASKS_PER_IO_CHECK);
            // Still busy: look at I/O and timers without blocking.
            let busy = more_ready || main.is_woken();
            self.core.set_parking(true);
            park.park(if busy { Some(Duration::ZERO) } else { None });
            self.core.set_parking(false);
        }
    }

    /// How many spawned tasks have not finished yet.
    ///
    /// ```
    /// use aio_executor::{Executor, ThreadPark};
    ///
    /// let mut executor = Executor::enter().unwrap();
    /// let task = aio_executor::spawn(async {});
    /// assert_eq!(executor.live_tasks(), 1);
    /// executor.block_on(task, &mut ThreadPark::new()).unwrap();
    /// assert_eq!(executor.live_tasks(), 0);
    /// ```
    pub fn live_tasks(&self) -> usize {
        self.core.live_tasks()
    }

    /// Cancel every task still alive (their futures are dropped here, so
    /// destructors run on this thread), refuse further wakes, and stop
    /// counting as the thread's running loop. Called by `Drop` too.
    ///
    /// ```
    /// use aio_executor::Executor;
    ///
    /// let executor = Executor::enter().unwrap();
    /// let task = aio_executor::spawn(std::future::pending::<()>());
    /// executor.shutdown(); // the pending task is cancelled
    /// assert!(task.is_finished());
    /// assert!(!aio_executor::in_running_loop());
    /// ```
    pub fn shutdown(mut self) {
        self.shutdown_in_place();
    }

    fn shutdown_in_place(&mut self) {
        if self.guard.is_none() {
            return;
        }
        self.core.shutdown();
        self.guard = None;
    }
}

impl fmt::Debug for Executor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Executor")
            .field("live_tasks", &self.live_tasks())
            .field("running", &self.guard.is_some())
            .finish()
    }
}

impl Drop for Executor {
    fn drop(&mut self) {
        self.shutdown_in_place();
    }
}

/// Clears the core's main future when `block_on` returns or unwinds.
struct EndMain<'a>(&'a Core);

impl Drop for EndMain<'_> {
    fn drop(&mut self) {
        self.0.end_main();
    }
}

/// Spawn a task on the loop running on this thread.
///
/// The future starts running at the loop's next turn, concurrently with the
/// caller. It need not be `Send`: tasks never leave their loop's thread.
/// Awaiting the returned [`JoinHandle`] gives its output; dropping the handle
/// lets the task run on, detached.
///
/// Anything [`IntoFuture`] is accepted (an `async` block, a request
/// builder such as `client.get(url)`), as `.await` accepts it; it is
/// turned into its future here, on the caller's thread.
///
/// # Panics
/// Outside a running loop, with `aio::spawn() called outside of aio::run()`.
///
/// ```
/// aio_executor::block_on(async {
///     let task = aio_executor::spawn(async { "done" });
///     assert_eq!(task.await.unwrap(), "done");
/// });
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: IntoFuture,
    F::IntoFuture: 'static,
    F::Output: 'static,
{
    let location = Location::caller();
    let future = future.into_future();
    let handle = scheduler::with_current(move |core| core.spawn(future, location, None));
    match handle {
        Some(handle) => handle,
        None => panic!("aio::spawn() called outside of aio::run()"),
    }
}

/// Spawns a task with options, like asyncio's `create_task(coro, name=...)`.
///
/// The name shows in `task::current`,
/// `task::all` and debug-mode messages. Where the task
/// was spawned is recorded either way (the call to [`Builder::spawn`], or to
/// [`spawn`]).
///
/// ```
/// aio_executor::block_on(async {
///     let fetcher = aio_executor::task::Builder::new()
///         .name("fetcher")
///         .spawn(async { aio_executor::task::current().unwrap().name().map(String::from) });
///     assert_eq!(fetcher.await.unwrap().as_deref(), Some("fetcher"));
/// });
/// ```
#[derive(Clone, Debug, Default)]
pub struct Builder {
    name: Option<String>,
}

impl Builder {
    /// A builder with no name set.
    ///
    /// ```
    /// aio_executor::block_on(async {
    ///     let task = aio_executor::task::Builder::new().spawn(async { 5 });
    ///     assert_eq!(task.await.unwrap(), 5);
    /// });
    /// ```
    pub fn new() -> Builder {
        Builder::default()
    }

    /// The task's name.
    ///
    /// ```
    /// use aio_executor::task::{self, Builder};
    ///
    /// aio_executor::block_on(async {
    ///     let _worker = Builder::new().name(format!("worker-{}", 1)).spawn(std::future::pending::<()>());
    ///     aio_executor::yield_now().await;
    ///     assert_eq!(task::all()[1].name(), Some("worker-1"));
    /// });
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Builder {
        self.name = Some(name.into());
        self
    }

    /// [`spawn`] with these options, on the loop running on this thread
    /// (anything [`IntoFuture`], like `spawn`).
    ///
    /// # Panics
    /// Outside a running loop, with
    /// `aio::task::Builder::spawn() called outside of aio::run()`.
    ///
    /// ```
    /// aio_executor::block_on(async {
    ///     let task = aio_executor::task::Builder::new().name("adder").spawn(async { 2 + 2 });
    ///     assert_eq!(task.await.unwrap(), 4);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> JoinHandle<F::Output>
    where
        F: IntoFuture,
        F::IntoFuture: 'static,
        F::Output: 'static,
    {
        let location = Location::caller();
        let future = future.into_future();
        let name = self.name.map(Arc::new);
        let handle = scheduler::with_current(move |core| core.spawn(future, location, name));
        match handle {
            Some(handle) => handle,
            None => panic!("aio::task::Builder::spawn() called outside of aio::run()"),
        }
    }

    /// [`Handle::spawn`] with these options: from any thread, onto the
    /// loop of `handle` (anything [`IntoFuture`] whose future is `Send`).
    ///
    /// # Errors
    /// [`SpawnError`] once that loop has shut down (the future is dropped).
    ///
    /// ```
    /// use aio_executor::{task::Builder, Handle};
    ///
    /// aio_executor::block_on(async {
    ///     let handle = Handle::current();
    ///     let task = std::thread::spawn(move || {
    ///         Builder::new()
    ///             .name("from-thread")
    ///             .spawn_on(&handle, async { aio_executor::task::current().unwrap().name().map(String::from) })
    ///             .unwrap()
    ///     })
    ///     .join()
    ///     .unwrap();
    ///     assert_eq!(task.await.unwrap().as_deref(), Some("from-thread"));
    /// });
    /// ```
    #[track_caller]
    pub fn spawn_on<F>(
        self,
        handle: &Handle,
        future: F,
    ) -> Result<JoinHandle<F::Output>, SpawnError>
    where
        F: IntoFuture,
        F::IntoFuture: Send + 'static,
        F::Output: Send + 'static,
    {
        handle.spawn_named(
            future.into_future(),
            Location::caller(),
            self.name.map(Arc::new),
        )
    }
}

/// Run `future` on a fresh loop with no I/O (threads park on a condition
/// variable), then cancel any task still alive. Useful for tests and
/// compute-only programs; `aio::run` is the same with the reactor under it.
///
/// # Panics
/// When a loop already runs on this thread.
///
/// ```
/// let output = aio_executor::block_on(async {
///     let task = aio_executor::spawn(async { 21 });
///     task.await.unwrap() * 2
/// });
/// assert_eq!(output, 42);
/// ```
#[track_caller]
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut executor = match Executor::enter() {
        Ok(executor) => executor,
        Err(refusal) => panic!("{refusal}"),
    };
    let output = executor.block_on(future, &mut ThreadPark::new());
    executor.shutdown();
    output
}
