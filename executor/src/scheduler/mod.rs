//! The scheduler: where a woken task goes, and which task runs next.
//!
//! A loop's scheduler has two halves. The [`Core`] belongs to the loop
//! thread (installed as the thread's current loop while it runs): the local
//! queue, the events queue, the owned-task set. The [`Handle`] is what other
//! threads and every task hold: the injector for wakes from elsewhere. Tasks
//! reach the scheduler only through [`Schedule`], implemented by `Handle`, so
//! the task module never names a queue; a wake on the loop thread finds the
//! core through the thread-local and queues without a lock.
//!
//! The thread-local lives here rather than in a module of its own because
//! the wake path needs it: the current loop and the queues it feeds are one
//! thing.
//!
//! The core also knows which task it is polling (for `aio::task::current`),
//! the main future given to `block_on` (reported as a task named "main"),
//! and, in debug mode, times every poll (see `debug.rs`).

mod debug;
mod injector;

use crate::cell::{
    IdAllocator, JoinHandle, Origin, OwnedTasks, Ran, RemoteTask, Runnable, Schedule, TaskId,
    TaskInfo, TaskName, TaskState,
};
use crate::park::Unpark;
use debug::Debug;
use injector::Injector;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Poll, Wake};
use std::time::Duration;

/// The loop-thread half of a scheduler.
pub(crate) struct Core {
    handle: Handle,
    /// Tasks woken by other tasks (and new ones), in order.
    local: RefCell<VecDeque<Runnable>>,
    /// Tasks woken by the world outside the loop's tasks: I/O readiness and
    /// timers (during `park`) and other threads. The loop takes turns between
    /// the two queues, so a timer or a socket is answered promptly even
    /// behind a long backlog of spawned work, and neither queue starves.
    events: RefCell<VecDeque<Runnable>>,
    /// True while the loop is in `park`: wakes then come from events.
    parking: Cell<bool>,
    /// Every task not yet completed, so that shutdown can cancel them all
    /// and no future outlives its loop.
    owned: RefCell<OwnedTasks>,
    /// Ids for the tasks spawned on this thread.
    ids: IdAllocator,
    /// What is being polled right now.
    running: Cell<Running>,
    /// The future `block_on` is running, while it runs.
    main: RefCell<Option<MainTask>>,
    /// Debug mode's settings (off: one branch per poll).
    debug: Debug,
}

/// What the loop is polling at the moment: the task in this slot of the
/// owned set, or one of two marks no slot reaches. One word, so marking
/// each poll is a single store.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Running(usize);

impl Running {
    const NOTHING: Running = Running(usize::MAX);
    const MAIN: Running = Running(usize::MAX - 1);
}

/// The future given to `block_on`, seen as a task named "main".
struct MainTask {
    origin: Origin,
    name: TaskName,
    wake: Arc<MainWake>,
}

/// The waker of the future given to `block_on`: it is not a task, so a flag
/// says when to poll it again.
pub(crate) struct MainWake {
    woken: AtomicBool,
    loop_handle: Handle,
}

impl MainWake {
    /// True (once) when the main future was woken since the last call.
    pub(crate) fn take_wake(&self) -> bool {
        self.woken.swap(false, Ordering::AcqRel)
    }

    pub(crate) fn is_woken(&self) -> bool {
        self.woken.load(Ordering::Acquire)
    }
}

impl Wake for MainWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.woken.swap(true, Ordering::AcqRel) {
            self.loop_handle.wake_loop();
        }
    }
}

/// The loop as other threads and its tasks see it: cheap to clone, `Send`.
#[derive(Clone)]
pub(crate) struct Handle(Arc<Injector>);

thread_local! {
    static CURRENT: RefCell<Option<Rc<Core>>> = const { RefCell::new(None) };
}

impl Core {
    pub(crate) fn new() -> Core {
        Core {
            handle: Handle(Arc::new(Injector::new())),
            local: RefCell::new(VecDeque::new()),
            events: RefCell::new(VecDeque::new()),
            parking: Cell::new(false),
            owned: RefCell::new(OwnedTasks::new()),
            ids: IdAllocator::new(),
            running: Cell::new(Running::NOTHING),
            main: RefCell::new(None),
            debug: Debug::new(),
        }
    }

    /// Debug mode on or off (see `Executor::set_debug`).
    pub(crate) fn set_debug(&self, on: bool) {
        self.debug.set_enabled(on);
    }

    /// The poll duration above which debug mode warns.
    pub(crate) fn set_slow_callback_duration(&self, threshold: Duration) {
        self.debug.set_threshold(threshold);
    }

    pub(crate) fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Wakes from other threads interrupt `unparker` from now on.
    pub(crate) fn set_unparker(&self, unparker: Arc<dyn Unpark>) {
        self.handle.0.set_unparker(unparker);
    }

    /// While set, wakes on the loop thread count as events (see `events`).
    pub(crate) fn set_parking(&self, parking: bool) {
        self.parking.set(parking);
    }

    /// A new task, queued to run at the loop's next turn.
    #[inline]
    pub(crate) fn spawn<F>(
        &self,
        future: F,
        location: &'static Location<'static>,
        name: Option<TaskName>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let origin = Origin {
            id: self.ids.next(),
            location,
        };
        let (runnable, handle) =
            self.owned
                .borrow_mut()
                .spawn(future, self.handle.clone(), origin, name);
        self.local.borrow_mut().push_back(runnable);
        handle
    }

    /// `block_on` starts polling a main future spawned at `location`; it
    /// counts as a task named "main" until [`Core::end_main`].
    pub(crate) fn begin_main(&self, location: &'static Location<'static>) -> Arc<MainWake> {
        let wake = Arc::new(MainWake {
            // Polled once to begin with.
            woken: AtomicBool::new(true),
            loop_handle: self.handle.clone(),
        });
        let origin = Origin {
            id: self.ids.next(),
            location,
        };
        *self.main.borrow_mut() = Some(MainTask {
            origin,
            name: Arc::new(String::from("main")),
            wake: Arc::clone(&wake),
        });
        wake
    }

    /// The main future is done (or unwinding): forget it.
    pub(crate) fn end_main(&self) {
        self.running.set(Running::NOTHING);
        let main = self.main.borrow_mut().take();
        drop(main);
    }

    /// Poll the main future through `poll`, as the running task.
    pub(crate) fn poll_main<R>(&self, poll: impl FnOnce() -> Poll<R>) -> Poll<R> {
        self.running.set(Running::MAIN);
        let polled = if self.debug.enabled() {
            self.debug.time(poll, || self.main_info())
        } else {
            poll()
        };
        self.running.set(Running::NOTHING);
        polled
    }

    fn main_info(&self) -> Option<TaskInfo> {
        let main = self.main.borrow();
        let main = main.as_ref()?;
        let state = if self.running.get() == Running::MAIN {
            TaskState::Running
        } else if main.wake.is_woken() {
            TaskState::Ready
        } else {
            TaskState::Waiting
        };
        Some(TaskInfo::new(
            main.origin,
            Some(Arc::clone(&main.name)),
            state,
        ))
    }

    /// The task (or main future) being polled, if any.
    pub(crate) fn current_task(&self) -> Option<TaskInfo> {
        match self.running.get() {
            Running::NOTHING => None,
            Running::MAIN => self.main_info(),
            Running(key) => self.owned.borrow().info(key),
        }
    }

    /// Cancel the spawned task being polled; false when none is (nothing
    /// runs, or the main future does).
    fn abort_running_task(&self) -> bool {
        match self.running.get() {
            Running::NOTHING | Running::MAIN => false,
            Running(key) => {
                self.owned.borrow().abort(key);
                true
            }
        }
    }

    /// The main future and every task not finished, by id.
    pub(crate) fn all_tasks(&self) -> Vec<TaskInfo> {
        let mut tasks: Vec<TaskInfo> = self.main_info().into_iter().collect();
        tasks.extend(self.owned.borrow().infos());
        tasks.sort_by_key(TaskInfo::id);
        tasks
    }

    pub(crate) fn live_tasks(&self) -> usize {
        self.owned.borrow().len()
    }

    /// Run up to `budget` ready tasks, taking turns between the two queues;
    /// true when more are ready.
    pub(crate) fn run_tasks(&self, budget: usize) -> bool {
        self.drain_injected();
        for turn in 0..budget {
            let Some(runnable) = self.next_runnable(turn % 2 == 0) else {
                return false;
            };
            self.run(runnable);
        }
        !self.local.borrow().is_empty() || !self.events.borrow().is_empty()
    }

    /// The next task to run, from the events queue first or the local one
    /// first; other threads' wakes are fetched when both are empty.
    fn next_runnable(&self, events_first: bool) -> Option<Runnable> {
        let (first, second) = if events_first {
            (&self.events, &self.local)
        } else {
            (&self.local, &self.events)
        };
        let next = first.borrow_mut().pop_front();
        if next.is_some() {
            return next;
        }
        let next = second.borrow_mut().pop_front();
        if next.is_some() {
            return next;
        }
        self.drain_injected();
        self.events.borrow_mut().pop_front()
    }

    /// Move what other threads sent into the events queue: wakes, and
    /// tasks spawned through a `Handle`, which join the owned set here.
    fn drain_injected(&self) {
        let mut spawned = Vec::new();
        self.handle
            .0
            .drain_into(&mut self.events.borrow_mut(), &mut spawned);
        if spawned.is_empty() {
            return;
        }
        let mut owned = self.owned.borrow_mut();
        let mut events = self.events.borrow_mut();
        for remote in spawned {
            events.push_back(owned.register(remote));
        }
    }

    fn run(&self, runnable: Runnable) {
        self.running.set(Running(runnable.key()));
        // Debug mode is the rare case: one predictable branch when it is off.
        let ran = if self.debug.enabled() {
            let key = runnable.key();
            self.debug
                .time(|| runnable.run(), || self.owned.borrow().info(key))
        } else {
            runnable.run()
        };
        self.running.set(Running::NOTHING);
        match ran {
            Ran::Idle => {}
            Ran::Reschedule(runnable) => self.local.borrow_mut().push_back(runnable),
            Ran::Completed(done) => {
                let owned = self.owned.borrow_mut().remove(&done);
                // Outside the borrow: freeing the task drops its join waker,
                // which is user code and may spawn.
                owned.release(done);
            }
        }
    }

    /// Cancel every task still alive (their futures are dropped here, on
    /// the loop thread) and refuse further wakes from other threads.
    pub(crate) fn shutdown(&self) {
        // In debug mode, the tasks cancelled here are listed at the end.
        let mut cancelled = Vec::new();
        // Destructors may spawn more tasks or wake others, and freeing a task
        // drops wakers (user code) too: repeat until nothing is left.
        loop {
            if self.debug.enabled() {
                cancelled.extend(self.owned.borrow().infos());
            }
            // Taking the whole set at once keeps this linear.
            let tasks = self.owned.borrow_mut().take_all();
            let cancelled_any = !tasks.is_empty();
            // Dropping an owned task cancels it, outside the borrow.
            for task in tasks {
                drop(task);
            }
            // Queued runnables only hold references now; drop them one by
            // one, outside any borrow (a drop may free a task). Tasks sent
            // by other threads and not registered yet are cancelled too.
            let mut dropped_any = false;
            let (injected, spawned) = self.handle.0.close();
            dropped_any |= !injected.is_empty() || !spawned.is_empty();
            if self.debug.enabled() {
                cancelled.extend(spawned.iter().map(|remote| {
                    TaskInfo::new(remote.origin(), remote.name().cloned(), TaskState::Ready)
                }));
            }
            drop(injected);
            drop(spawned);
            for queue in [&self.local, &self.events] {
                loop {
                    let next = queue.borrow_mut().pop_front();
                    match next {
                        Some(runnable) => {
                            dropped_any = true;
                            drop(runnable);
                        }
                        None => break,
                    }
                }
            }
            if !cancelled_any && !dropped_any {
                break;
            }
        }
        debug_assert!(self.owned.borrow().is_empty());
        if self.debug.enabled() {
            debug::report_cancelled(&cancelled);
        }
    }
}

impl Handle {
    /// Interrupt the loop's park, unless called on the loop thread itself
    /// (which is not parked, and will look at its queues before it does).
    pub(crate) fn wake_loop(&self) {
        let on_loop_thread = with_current(|core| Arc::ptr_eq(&core.handle.0, &self.0));
        if on_loop_thread != Some(true) {
            self.0.unpark();
        }
    }

    /// Spawn a `Send` future on this loop from any thread. On the loop's
    /// own thread it is an ordinary spawn; elsewhere the task is allocated
    /// here and sent through the injector, which wakes the loop. Refused,
    /// with the future dropped on this thread, once the loop shut down.
    pub(crate) fn spawn<F>(
        &self,
        future: F,
        location: &'static Location<'static>,
        name: Option<TaskName>,
    ) -> Result<JoinHandle<F::Output>, SpawnError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let mut future = Some(future);
        let mut name = Some(name);
        let local = with_current(|core| {
            if !Arc::ptr_eq(&core.handle.0, &self.0) {
                return None;
            }
            let future = future.take()?;
            Some(core.spawn(future, location, name.take().flatten()))
        });
        if let Some(Some(handle)) = local {
            return Ok(handle);
        }
        // Not this loop's thread: the closure above left the future alone.
        let future = future
            .take()
            .expect("only a spawn on the loop's own thread takes the future");
        if self.0.is_closed() {
            // Refuse before allocating anything.
            drop(future);
            return Err(SpawnError(()));
        }
        let origin = Origin {
            id: TaskId::next_global(),
            location,
        };
        let (remote, handle) = RemoteTask::new(future, self.clone(), origin, name.flatten());
        match self.0.inject_spawn(remote) {
            Ok(()) => Ok(handle),
            Err(remote) => {
                // Closed meanwhile: the task is cancelled right here (its
                // future dropped on this thread, which `Send` allows).
                drop(remote);
                drop(handle);
                Err(SpawnError(()))
            }
        }
    }
}

impl Schedule for Handle {
    fn schedule(&self, runnable: Runnable) -> Result<(), Runnable> {
        // On the loop thread: the local queue, no lock, no syscall.
        let mut runnable = Some(runnable);
        with_current(|core| {
            if Arc::ptr_eq(&core.handle.0, &self.0) {
                if let Some(runnable) = runnable.take() {
                    let queue = if core.parking.get() {
                        &core.events
                    } else {
                        &core.local
                    };
                    queue.borrow_mut().push_back(runnable);
                }
            }
        });
        match runnable {
            None => Ok(()),
            Some(runnable) => self.0.inject(runnable),
        }
    }
}

/// The refusal to start a loop on a thread that already runs one.
///
/// Its Display is asyncio's advice: the caller is already inside a loop and
/// should `.await` the future instead.
///
/// ```
/// use aio_executor::Executor;
///
/// let _running = Executor::enter().unwrap();
/// let refused = Executor::enter().unwrap_err();
/// assert_eq!(
///     refused.to_string(),
///     "aio::run() cannot be called from a running event loop; use .await"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunError(());

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("aio::run() cannot be called from a running event loop; use .await")
    }
}

impl std::error::Error for RunError {}

/// The refusal of [`Handle::spawn`](crate::Handle::spawn) once its loop has
/// shut down (`run` returned, or the executor was shut down or dropped).
///
/// The future was dropped, on the calling thread, without being polled.
/// Its Display: `the event loop has shut down`.
///
/// ```
/// let handle = aio_executor::block_on(async { aio_executor::Handle::current() });
/// // `block_on` returned: that loop is gone.
/// let refused = handle.spawn(async {}).unwrap_err();
/// assert_eq!(refused.to_string(), "the event loop has shut down");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpawnError(());

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the event loop has shut down")
    }
}

impl std::error::Error for SpawnError {}

/// Marks a core as this thread's running loop until dropped (also when a
/// panic unwinds through the owner).
#[derive(Debug)]
pub(crate) struct CurrentGuard(());

impl CurrentGuard {
    /// Refuses when a loop already runs on this thread.
    pub(crate) fn install(core: &Rc<Core>) -> Result<CurrentGuard, RunError> {
        CURRENT.with(|current| {
            let mut current = current.borrow_mut();
            if current.is_some() {
                return Err(RunError(()));
            }
            *current = Some(Rc::clone(core));
            Ok(CurrentGuard(()))
        })
    }
}

impl Drop for CurrentGuard {
    fn drop(&mut self) {
        // `try_with`: during thread teardown the slot may be gone already.
        let core = CURRENT.try_with(|current| current.borrow_mut().take());
        // Dropped outside the borrow: the Core's destructor may run task code.
        drop(core);
    }
}

/// Run `f` with this thread's loop, if any.
pub(crate) fn with_current<R>(f: impl FnOnce(&Core) -> R) -> Option<R> {
    // A shared borrow for the duration of `f`: `f` may spawn or wake, which
    // borrow again shared; only install/clear borrow mutably. `try_with`: a
    // wake or a `Handle::spawn` from a thread-local destructor, after
    // CURRENT is gone, means "not on a loop thread" (it takes the remote
    // path) instead of a panic that would abort the process.
    CURRENT
        .try_with(|current| current.borrow().as_deref().map(f))
        .ok()
        .flatten()
}

/// Cancel the task that is being polled on this thread, from inside its own
/// poll: it should then return `Pending`, and the loop drops its future
/// right after, as for `JoinHandle::abort`. False when no spawned task is
/// being polled. (How a `TaskGroup` child ends as cancelled.)
pub(crate) fn abort_current_task() -> bool {
    with_current(Core::abort_running_task).unwrap_or(false)
}

/// True when a loop is running on this thread.
///
/// ```
/// assert!(!aio_executor::in_running_loop());
/// aio_executor::block_on(async { assert!(aio_executor::in_running_loop()) });
/// ```
pub fn in_running_loop() -> bool {
    CURRENT
        .try_with(|current| current.borrow().is_some())
        .unwrap_or(false)
}

/// How many spawned tasks of this thread's loop have not finished yet;
/// `None` when no loop runs here.
///
/// ```
/// assert_eq!(aio_executor::live_tasks(), None);
/// aio_executor::block_on(async {
///     let task = aio_executor::spawn(std::future::pending::<()>());
///     assert_eq!(aio_executor::live_tasks(), Some(1));
///     task.abort();
/// });
/// ```
pub fn live_tasks() -> Option<usize> {
    with_current(Core::live_tasks)
}

/// The task being polled right now, like asyncio's `current_task()`.
///
/// Inside the future given to `run` (or `block_on`) it is a task named
/// `"main"`. `None` outside a running loop, and on the loop thread outside
/// any poll (in a destructor run by shutdown, say). Its state is always
/// [`TaskState::Running`].
///
/// ```
/// aio_executor::block_on(async {
///     let main = aio_executor::task::current().unwrap();
///     assert_eq!(main.name(), Some("main"));
///     let child = aio_executor::spawn(async { aio_executor::task::current().unwrap().id() });
///     let id = child.id();
///     assert_eq!(child.await.unwrap(), id);
/// });
/// assert!(aio_executor::task::current().is_none());
/// ```
pub fn current() -> Option<TaskInfo> {
    with_current(Core::current_task).flatten()
}

/// Every task of the running loop that has not finished, like asyncio's
/// `all_tasks()`: the main future (named `"main"`) and the spawned tasks,
/// ordered by id (which is spawn order for the tasks spawned on the loop's
/// thread). Tasks that another thread spawned through a `Handle` show up
/// once the loop has picked them up.
///
/// # Panics
/// Outside a running loop, with
/// `aio::task::all() called outside of aio::run()`.
///
/// ```
/// use aio_executor::task::{self, TaskState};
///
/// aio_executor::block_on(async {
///     let _sleeper = task::Builder::new().name("sleeper").spawn(std::future::pending::<()>());
///     aio_executor::yield_now().await; // let it run once and park
///     let all = task::all();
///     assert_eq!(all.len(), 2);
///     assert_eq!((all[0].name(), all[0].state()), (Some("main"), TaskState::Running));
///     assert_eq!((all[1].name(), all[1].state()), (Some("sleeper"), TaskState::Waiting));
/// });
/// ```
#[track_caller]
pub fn all() -> Vec<TaskInfo> {
    match with_current(Core::all_tasks) {
        Some(tasks) => tasks,
        None => panic!("aio::task::all() called outside of aio::run()"),
    }
}
