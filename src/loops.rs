//! One loop per thread: what each loop of a run is made of and how it ends
//! ([`LoopConfig`]), the worker threads that run the extra loops of
//! `Runner::loops` ([`Workers`]), and the list of a run's loops that every
//! loop thread can read ([`loops`], [`spawn_anywhere`]).
//!
//! Tasks never move: each loop runs only the tasks spawned on it, on its
//! own thread, so `!Send` futures stay allowed on every loop. Work reaches
//! another loop only through its [`Handle`], as a `Send` future.

use aio_executor::{Executor, Handle, JoinHandle, Park, SpawnError, Unpark};
use aio_reactor::{EnterGuard, Reactor, Unparker};
use aio_sync::oneshot;
use std::any::Any;
use std::cell::RefCell;
use std::future::IntoFuture;
use std::panic::Location;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::{self, JoinHandle as ThreadHandle};
use std::time::Duration;

/// The options every loop of a run is made with.
#[derive(Clone, Debug)]
pub(crate) struct LoopConfig {
    pub(crate) debug: bool,
    pub(crate) slow_callback_duration: Duration,
    pub(crate) blocking_shutdown_timeout: Duration,
}

impl LoopConfig {
    /// The reactor for a loop whose executor is `executor`, set up with
    /// these options.
    pub(crate) fn make(&self, executor: &mut Executor) -> std::io::Result<Reactor> {
        executor.set_debug(self.debug);
        executor.set_slow_callback_duration(self.slow_callback_duration);
        Reactor::new()
    }

    /// Ends a loop as `asyncio.run` does: cancel its tasks while its reactor
    /// is still entered (their destructors may touch timers or sockets),
    /// then shut the blocking pool down and close the reactor.
    pub(crate) fn close(&self, executor: Executor, entered: EnterGuard<'_>, reactor: Reactor) {
        executor.shutdown();
        drop(entered);
        let report = reactor.shutdown(self.blocking_shutdown_timeout);
        if report.blocking_jobs_abandoned > 0 {
            eprintln!(
                "aio::run(): {} blocking job(s) still running after waiting {:?} at shutdown; \
                 returning without them",
                report.blocking_jobs_abandoned, self.blocking_shutdown_timeout
            );
        }
    }
}

/// The loops of one run, in order (the caller's first), and where
/// [`spawn_anywhere`] puts its next task.
#[derive(Debug)]
struct LoopSet {
    handles: Vec<Handle>,
    next: AtomicUsize,
}

thread_local! {
    /// The run this thread's loop belongs to.
    static LOOPS: RefCell<Option<Arc<LoopSet>>> = const { RefCell::new(None) };
}

/// Makes `set` this thread's run until dropped.
#[derive(Debug)]
struct Installed(Option<Arc<LoopSet>>);

impl Installed {
    fn new(set: Arc<LoopSet>) -> Installed {
        Installed(LOOPS.with(|loops| loops.borrow_mut().replace(set)))
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        let previous = self.0.take();
        // `try_with`: during thread teardown the slot may already be gone.
        let _ = LOOPS.try_with(|loops| *loops.borrow_mut() = previous);
    }
}

/// The run's loop set, or a panic naming `what` outside a run.
#[track_caller]
fn current_set(what: &str) -> Arc<LoopSet> {
    match LOOPS.try_with(|loops| loops.borrow().clone()) {
        Ok(Some(set)) => set,
        _ => panic!("{what} called outside of aio::run()"),
    }
}

/// Every loop of the running `aio::run`, as [`Handle`]s: the loop of the
/// thread that called `run` first, then those that
/// [`Runner::loops`](crate::Runner::loops) added, in the same order on every
/// loop. With one loop (plain [`run`](crate::run)), just this one.
///
/// A `Send` future spawned through one of these handles runs on that loop's
/// thread, and stays there.
///
/// # Panics
/// Outside a running loop, with `aio::loops() called outside of aio::run()`.
///
/// ```
/// let threads = aio::Runner::new().loops(3).run(async {
///     let mut threads = Vec::new();
///     for handle in aio::loops() {
///         let task = handle.spawn(async { std::thread::current().id() }).unwrap();
///         threads.push(task.await.unwrap());
///     }
///     threads
/// });
/// assert_eq!(threads.len(), 3);
/// assert_eq!(threads[0], std::thread::current().id(), "the first loop is the caller's");
/// assert!(threads[1] != threads[0] && threads[2] != threads[1] && threads[2] != threads[0]);
/// ```
#[track_caller]
pub fn loops() -> Vec<Handle> {
    current_set("aio::loops()").handles.clone()
}

/// Spawn a `Send` future on the next loop of the run, round-robin over
/// [`loops`] (shared by all loops, so spawns from anywhere spread evenly);
/// with one loop, on this one. The task then stays on that loop, like any
/// task. The usual way to spread independent work over the loops of
/// [`Runner::loops`](crate::Runner::loops), like handing it to tokio's
/// multi-threaded runtime, minus the work stealing.
///
/// # Errors
/// [`SpawnError`] when the chosen loop has shut down, which can only happen
/// while the run is ending (say, from a destructor run by the shutdown);
/// the future is dropped unpolled.
///
/// # Panics
/// Outside a running loop, with
/// `aio::spawn_anywhere() called outside of aio::run()`.
///
/// ```
/// use std::collections::HashSet;
///
/// let threads = aio::Runner::new().loops(2).run(async {
///     let tasks: Vec<_> = (0..4)
///         .map(|_| aio::spawn_anywhere(async { std::thread::current().id() }).unwrap())
///         .collect();
///     let mut threads = HashSet::new();
///     for task in tasks {
///         threads.insert(task.await.unwrap());
///     }
///     threads
/// });
/// assert_eq!(threads.len(), 2, "both loops got work");
/// ```
#[track_caller]
pub fn spawn_anywhere<F>(future: F) -> Result<JoinHandle<F::Output>, SpawnError>
where
    F: IntoFuture,
    F::IntoFuture: Send + 'static,
    F::Output: Send + 'static,
{
    let set = current_set("aio::spawn_anywhere()");
    // Relaxed: the counter only spreads the load; no data hangs on it.
    let index = set.next.fetch_add(1, Ordering::Relaxed) % set.handles.len();
    set.handles[index].spawn(future)
}

/// The loops a run adds to the caller's, one thread each. Started before the
/// main future runs; stopped (and their tasks cancelled) once it has ended.
#[derive(Debug)]
pub(crate) struct Workers {
    /// Dropping a sender ends its loop's wait, and so the loop.
    stops: Vec<oneshot::Sender<()>>,
    threads: Vec<ThreadHandle<()>>,
    _installed: Installed,
}

impl Workers {
    /// Start `count` loops on threads of their own, and make the run's loop
    /// set (the current loop first) readable on every loop thread. Call on
    /// the caller's loop thread, with its executor and reactor entered.
    ///
    /// # Panics
    /// When a thread or a loop cannot be created; the loops already started
    /// are stopped first.
    pub(crate) fn start(
        config: &LoopConfig,
        count: usize,
        location: &'static Location<'static>,
    ) -> Workers {
        let (ready_tx, ready_rx) = mpsc::channel();
        let mut stops = Vec::with_capacity(count);
        let mut starts = Vec::with_capacity(count);
        let mut threads = Vec::with_capacity(count);
        let mut failure = None;
        for number in 1..=count {
            let (stop_tx, stop_rx) = oneshot::channel();
            let (start_tx, start_rx) = mpsc::channel();
            let config = config.clone();
            let ready = ready_tx.clone();
            let spawned = thread::Builder::new()
                .name(format!("aio-loop-{number}"))
                .spawn(move || worker(&config, number, ready, start_rx, stop_rx, location));
            match spawned {
                Ok(thread) => {
                    stops.push(stop_tx);
                    starts.push(start_tx);
                    threads.push(thread);
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        drop(ready_tx);
        // Each started thread answers once, with its handle or its error.
        let mut answers: Vec<Option<Handle>> = vec![None; threads.len()];
        for _ in 0..threads.len() {
            match ready_rx.recv() {
                Ok((number, Ok(handle))) => answers[number - 1] = Some(handle),
                Ok((_, Err(e))) => failure = failure.or(Some(e)),
                // A thread died before answering: its join says why.
                Err(_) => break,
            }
        }
        let handles: Option<Vec<Handle>> = std::iter::once(Some(Handle::current()))
            .chain(answers)
            .collect();
        let handles = match handles {
            Some(handles) => handles,
            None => {
                failure = failure.or_else(|| {
                    Some(std::io::Error::other(
                        "a loop thread ended before its loop started",
                    ))
                });
                vec![Handle::current()]
            }
        };
        let set = Arc::new(LoopSet {
            handles,
            next: AtomicUsize::new(0),
        });
        if failure.is_none() {
            for start in &starts {
                // A worker gone already is found when it is joined.
                let _ = start.send(Arc::clone(&set));
            }
        }
        let workers = Workers {
            stops,
            threads,
            _installed: Installed::new(set),
        };
        if let Some(e) = failure {
            // Unstarted workers see `starts` dropped and close their loops.
            drop(starts);
            if let Some(panic) = workers.stop().join() {
                std::panic::resume_unwind(panic);
            }
            panic!("aio::run() could not create the event loop: {e}");
        }
        workers
    }

    /// Tell every worker loop to end: each cancels its tasks and closes, on
    /// its own thread, while the caller closes its own loop.
    pub(crate) fn stop(mut self) -> Workers {
        self.stops.clear();
        self
    }

    /// Wait for the worker threads; the first panic that escaped one of
    /// them (a bug: task panics stay in their `JoinHandle`s), if any.
    pub(crate) fn join(mut self) -> Option<Box<dyn Any + Send>> {
        self.stops.clear();
        let mut escaped = None;
        for thread in self.threads.drain(..) {
            if let Err(panic) = thread.join() {
                escaped = escaped.or(Some(panic));
            }
        }
        escaped
    }
}

/// One worker thread: make a loop, report its handle (or why it could not),
/// wait for the run's loop set, run until told to stop, and close the loop.
fn worker(
    config: &LoopConfig,
    number: usize,
    ready: mpsc::Sender<(usize, std::io::Result<Handle>)>,
    start: mpsc::Receiver<Arc<LoopSet>>,
    stop: oneshot::Receiver<()>,
    location: &'static Location<'static>,
) {
    let Ok(mut executor) = Executor::enter() else {
        unreachable!("a new thread runs no loop yet");
    };
    let mut reactor = match config.make(&mut executor) {
        Ok(reactor) => reactor,
        Err(e) => {
            let _ = ready.send((number, Err(e)));
            return;
        }
    };
    let entered = reactor.enter();
    let _ = ready.send((number, Ok(Handle::current())));
    drop(ready);
    // No set: the run failed to start; close without running anything.
    let set = start.recv();
    // Kept through `close`: destructors run there may look at the loops.
    let _installed = set.as_ref().ok().map(|set| Installed::new(Arc::clone(set)));
    if set.is_ok() {
        executor.block_on_at(
            async {
                // Sent or dropped: either way the run is over.
                let _ = stop.await;
            },
            &mut ReactorPark(&mut reactor),
            location,
        );
    }
    config.close(executor, entered, reactor);
}

/// The seam: the executor parks by turning the reactor.
#[derive(Debug)]
pub(crate) struct ReactorPark<'a>(pub(crate) &'a mut Reactor);

impl Park for ReactorPark<'_> {
    fn park(&mut self, timeout: Option<Duration>) {
        self.0.turn(timeout);
    }

    fn unparker(&self) -> Arc<dyn Unpark> {
        Arc::new(ReactorUnpark(self.0.unparker()))
    }
}

#[derive(Debug)]
struct ReactorUnpark(Unparker);

impl Unpark for ReactorUnpark {
    fn unpark(&self) {
        self.0.unpark();
    }
}
