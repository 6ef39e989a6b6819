//! The loop that runs tasks: spawn, block_on, and cancel-all at shutdown.

use crate::context::{self, Core, CurrentGuard, RunError};
use crate::park::{Park, ThreadPark};
use crate::queue::Shared;
use crate::task::raw::{RawTask, RunResult};
use crate::task::{JoinHandle, Runnable};
use slab::Slab;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

/// How many tasks run between two looks at I/O, so that a busy loop still
/// notices sockets and timers (tokio and Go use similar numbers).
const TASKS_PER_IO_CHECK: usize = 61;

/// One event loop's task side. Created on, and bound to, the current thread.
///
/// Most programs use `aio::run` instead; this is the piece it is built from.
pub struct Executor {
    core: Rc<Core>,
    // Cleared last: while it exists, this thread counts as running a loop.
    guard: Option<CurrentGuard>,
}

impl Executor {
    /// Mark this thread as running a loop, or refuse when it already does.
    pub fn enter() -> Result<Executor, RunError> {
        let core = Rc::new(Core {
            shared: Arc::new(Shared::new()),
            local: RefCell::new(VecDeque::new()),
            events: RefCell::new(VecDeque::new()),
            parking: Cell::new(false),
            owned: RefCell::new(Slab::new()),
        });
        let guard = CurrentGuard::install(&core)?;
        Ok(Executor {
            core,
            guard: Some(guard),
        })
    }

    /// Run `future` to completion on this thread, running spawned tasks
    /// whenever it waits, and blocking in `park` when nothing is ready.
    pub fn block_on<F: Future>(&mut self, future: F, park: &mut dyn Park) -> F::Output {
        let shared = &self.core.shared;
        shared.set_unparker(park.unparker());
        let main = Arc::new(MainWake {
            woken: AtomicBool::new(true),
            shared: Arc::clone(shared),
        });
        let waker = Waker::from(Arc::clone(&main));
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        loop {
            if main.woken.swap(false, Ordering::AcqRel) {
                if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                    return output;
                }
            }
            let more_ready = self.run_tasks(TASKS_PER_IO_CHECK);
            // Still busy: look at I/O and timers without blocking.
            let busy = more_ready || main.woken.load(Ordering::Acquire);
            self.core.parking.set(true);
            park.park(if busy { Some(Duration::ZERO) } else { None });
            self.core.parking.set(false);
        }
    }

    /// Run up to `budget` ready tasks, taking turns between the two queues;
    /// true when more are ready.
    fn run_tasks(&self, budget: usize) -> bool {
        let core = &self.core;
        core.shared
            .drain_injected_into(&mut core.events.borrow_mut());
        for turn in 0..budget {
            let Some(runnable) = self.next_runnable(turn % 2 == 0) else {
                return false;
            };
            self.run_one(runnable);
        }
        !core.local.borrow().is_empty() || !core.events.borrow().is_empty()
    }

    /// The next task to run, from the events queue first or the local one
    /// first; other threads' wakes are fetched when both are empty.
    fn next_runnable(&self, events_first: bool) -> Option<Runnable> {
        let core = &self.core;
        let (first, second) = if events_first {
            (&core.events, &core.local)
        } else {
            (&core.local, &core.events)
        };
        let next = first.borrow_mut().pop_front();
        if next.is_some() {
            return next;
        }
        let next = second.borrow_mut().pop_front();
        if next.is_some() {
            return next;
        }
        let mut events = core.events.borrow_mut();
        core.shared.drain_injected_into(&mut events);
        events.pop_front()
    }

    fn run_one(&self, runnable: Runnable) {
        let task = runnable.raw();
        match task.run() {
            // The transition to idle already gave back the runnable's reference.
            RunResult::Pending => std::mem::forget(runnable),
            RunResult::AlreadyComplete => drop(runnable),
            RunResult::Reschedule => self.core.local.borrow_mut().push_back(runnable),
            RunResult::Completed => {
                let owned = self.core.owned.borrow_mut().remove(task.owned_key());
                owned.ref_dec();
                drop(runnable);
            }
        }
    }

    /// How many spawned tasks have not finished yet.
    pub fn live_tasks(&self) -> usize {
        self.core.owned.borrow().len()
    }

    /// Cancel every task still alive (their futures are dropped here, so
    /// destructors run on this thread), refuse further wakes, and stop
    /// counting as the thread's running loop. Called by `Drop` too.
    pub fn shutdown(mut self) {
        self.shutdown_in_place();
    }

    fn shutdown_in_place(&mut self) {
        if self.guard.is_none() {
            return;
        }
        let core = &self.core;
        // Destructors may spawn more tasks or wake others, and freeing a task
        // drops wakers (user code) too: repeat until nothing is left.
        loop {
            // Taking the whole set at once keeps this linear.
            let tasks: Vec<RawTask> = core.owned.borrow_mut().drain().collect();
            let cancelled_any = !tasks.is_empty();
            for task in tasks {
                task.cancel_now();
                task.ref_dec();
            }
            // Queued runnables only hold references now; drop them one by
            // one, outside any borrow (a drop may free a task).
            let mut dropped_any = false;
            let injected = core.shared.close();
            dropped_any |= !injected.is_empty();
            drop(injected);
            for queue in [&core.local, &core.events] {
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
        debug_assert_eq!(core.owned.borrow().len(), 0);
        self.guard = None;
    }
}

impl Drop for Executor {
    fn drop(&mut self) {
        self.shutdown_in_place();
    }
}

/// The waker of the future given to `block_on`: it is not a task, so a flag
/// says when to poll it again.
struct MainWake {
    woken: AtomicBool,
    shared: Arc<Shared>,
}

impl Wake for MainWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.woken.swap(true, Ordering::AcqRel) && !context::is_current(&self.shared) {
            self.shared.unpark();
        }
    }
}

/// Spawn a task on the loop running on this thread.
///
/// The future starts running at the loop's next turn, concurrently with the
/// caller. It need not be `Send`: tasks never leave their loop's thread.
/// Awaiting the returned [`JoinHandle`] gives its output; dropping the handle
/// lets the task run on, detached.
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
    F: Future + 'static,
    F::Output: 'static,
{
    let mut future = Some(future);
    let handle = context::with_core(|core| {
        let task = RawTask::allocate(future.take().expect("taken once"), Arc::clone(&core.shared));
        task.set_owned_key(core.owned.borrow_mut().insert(task));
        core.local.borrow_mut().push_back(Runnable::from_raw(task));
        JoinHandle::new(task)
    });
    match handle {
        Some(handle) => handle,
        None => panic!("aio::spawn() called outside of aio::run()"),
    }
}

/// Run `future` on a fresh loop with no I/O (threads park on a condition
/// variable), then cancel any task still alive. Useful for tests and
/// compute-only programs; `aio::run` is the same with the reactor under it.
///
/// # Panics
/// When a loop already runs on this thread.
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
