//! The loop that runs tasks: `Executor` (spawn, block_on, cancel-all at
//! shutdown) and the free functions built on it. Which task runs next, and
//! where a wake goes, is the scheduler's business; this module drives it and
//! parks when it has nothing to do.

use crate::park::{Park, ThreadPark};
use crate::scheduler::{self, Core, CurrentGuard, Handle, RunError};
use crate::task::JoinHandle;
use std::fmt;
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
        let core = Rc::new(Core::new());
        let guard = CurrentGuard::install(&core)?;
        Ok(Executor {
            core,
            guard: Some(guard),
        })
    }

    /// Run `future` to completion on this thread, running spawned tasks
    /// whenever it waits, and blocking in `park` when nothing is ready.
    pub fn block_on<F: Future>(&mut self, future: F, park: &mut dyn Park) -> F::Output {
        self.core.set_unparker(park.unparker());
        let main = Arc::new(MainWake {
            woken: AtomicBool::new(true),
            loop_handle: self.core.handle().clone(),
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
            let more_ready = self.core.run_tasks(TASKS_PER_IO_CHECK);
            // Still busy: look at I/O and timers without blocking.
            let busy = more_ready || main.woken.load(Ordering::Acquire);
            self.core.set_parking(true);
            park.park(if busy { Some(Duration::ZERO) } else { None });
            self.core.set_parking(false);
        }
    }

    /// How many spawned tasks have not finished yet.
    pub fn live_tasks(&self) -> usize {
        self.core.live_tasks()
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

/// The waker of the future given to `block_on`: it is not a task, so a flag
/// says when to poll it again.
struct MainWake {
    woken: AtomicBool,
    loop_handle: Handle,
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
    let handle = scheduler::with_current(move |core| core.spawn(future));
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
