//! The thread's running loop: the one place that knows whether a loop runs
//! here, used to refuse nested loops, to find the loop for `spawn`, and to
//! queue wakes from the loop thread without a lock.

use crate::queue::Shared;
use crate::task::raw::RawTask;
use crate::task::Runnable;
use slab::Slab;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

/// The loop-thread half of an executor.
pub(crate) struct Core {
    pub(crate) shared: Arc<Shared>,
    /// Tasks woken by other tasks (and new ones), in order.
    pub(crate) local: RefCell<VecDeque<Runnable>>,
    /// Tasks woken by the world outside the loop's tasks: I/O readiness and
    /// timers (during `park`) and other threads. The loop takes turns between
    /// the two queues, so a timer or a socket is answered promptly even
    /// behind a long backlog of spawned work, and neither queue starves.
    pub(crate) events: RefCell<VecDeque<Runnable>>,
    /// True while the loop is in `park`: wakes then come from events.
    pub(crate) parking: Cell<bool>,
    /// Every task not yet completed, holding one reference each, so that
    /// shutdown can cancel them all and no future outlives its loop.
    pub(crate) owned: RefCell<Slab<RawTask>>,
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<Core>>> = const { RefCell::new(None) };
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

/// Marks `core` as this thread's running loop until dropped (also when a
/// panic unwinds through the owner).
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

/// True when a loop is running on this thread.
pub fn in_running_loop() -> bool {
    CURRENT.with(|current| current.borrow().is_some())
}

/// Run `f` with this thread's loop, if any.
pub(crate) fn with_core<R>(f: impl FnOnce(&Core) -> R) -> Option<R> {
    // A shared borrow for the duration of `f`: `f` may spawn or wake, which
    // borrow again shared; only install/clear borrow mutably.
    CURRENT.with(|current| current.borrow().as_deref().map(f))
}

/// Queue on the local queue when `shared` is this thread's loop; otherwise
/// hand the runnable back.
pub(crate) fn push_local(shared: &Arc<Shared>, runnable: Runnable) -> Result<(), Runnable> {
    let mut runnable = Some(runnable);
    with_core(|core| {
        if Arc::ptr_eq(&core.shared, shared) {
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
    runnable.map_or(Ok(()), Err)
}

/// True when `shared` is the loop running on this thread.
pub(crate) fn is_current(shared: &Arc<Shared>) -> bool {
    with_core(|core| Arc::ptr_eq(&core.shared, shared)).unwrap_or(false)
}

/// How many spawned tasks of this thread's loop have not finished yet;
/// `None` when no loop runs here.
pub fn live_tasks() -> Option<usize> {
    with_core(|core| core.owned.borrow().len())
}
