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

mod injector;

use crate::park::Unpark;
use crate::task::{JoinHandle, OwnedTasks, Ran, Runnable, Schedule};
use injector::Injector;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::rc::Rc;
use std::sync::Arc;

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
        }
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
    pub(crate) fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let (runnable, handle) = self.owned.borrow_mut().spawn(future, self.handle.clone());
        self.local.borrow_mut().push_back(runnable);
        handle
    }

    pub(crate) fn live_tasks(&self) -> usize {
        self.owned.borrow().len()
    }

    /// Run up to `budget` ready tasks, taking turns between the two queues;
    /// true when more are ready.
    pub(crate) fn run_tasks(&self, budget: usize) -> bool {
        self.handle.0.drain_into(&mut self.events.borrow_mut());
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
        let mut events = self.events.borrow_mut();
        self.handle.0.drain_into(&mut events);
        events.pop_front()
    }

    fn run(&self, runnable: Runnable) {
        match runnable.run() {
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
        // Destructors may spawn more tasks or wake others, and freeing a task
        // drops wakers (user code) too: repeat until nothing is left.
        loop {
            // Taking the whole set at once keeps this linear.
            let tasks = self.owned.borrow_mut().take_all();
            let cancelled_any = !tasks.is_empty();
            // Dropping an owned task cancels it, outside the borrow.
            for task in tasks {
                drop(task);
            }
            // Queued runnables only hold references now; drop them one by
            // one, outside any borrow (a drop may free a task).
            let mut dropped_any = false;
            let injected = self.handle.0.close();
            dropped_any |= !injected.is_empty();
            drop(injected);
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunError(());

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("aio::run() cannot be called from a running event loop; use .await")
    }
}

impl std::error::Error for RunError {}

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
    // borrow again shared; only install/clear borrow mutably.
    CURRENT.with(|current| current.borrow().as_deref().map(f))
}

/// True when a loop is running on this thread.
pub fn in_running_loop() -> bool {
    CURRENT.with(|current| current.borrow().is_some())
}

/// How many spawned tasks of this thread's loop have not finished yet;
/// `None` when no loop runs here.
pub fn live_tasks() -> Option<usize> {
    with_current(Core::live_tasks)
}
