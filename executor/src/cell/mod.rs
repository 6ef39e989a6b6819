//! The task cell: the executor's lowest layer, one allocation
//! per spawned future, and the handles that share it. It knows how to poll a
//! task, count its references and hand its output to the `JoinHandle`, but
//! not where a woken task goes. That is the scheduler's decision, reached
//! through one seam, `Schedule`: the scheduler gives each task a value of its
//! own type when it spawns it, and a wake hands that value a `Runnable`. The
//! scheduler in turn sees only the handle types below, never the raw
//! allocation, so every `unsafe` block of the crate stays in this module.
//!
//! A task's life, as the scheduler sees it:
//!
//! ```text
//!  OwnedTasks::spawn ──► (Runnable, JoinHandle)     the set keeps an OwnedTask
//!  (RemoteTask::new on another thread, then OwnedTasks::register on the loop)
//!        Runnable ──run──► Idle                       waits for a wake; a wake
//!                    │                                calls Schedule::schedule
//!                    ├───► Reschedule(Runnable)       woken while it ran
//!                    └───► Completed ──► OwnedTasks::remove + OwnedTask::release
//!  shutdown: OwnedTasks::take_all, each OwnedTask dropped = cancelled in place
//! ```
//!
//! Each handle owns one reference; the types carry the hand-offs
//! (`Runnable::run` consumes its runnable and returns what is left), so no
//! caller adjusts a count by hand.
//!
//! The public face of tasks (`Builder`, `current`, `all`, `TaskInfo`) is the
//! crate's `task` module, which re-exports from here and from the layers
//! above, so that this module stays a leaf.

#[cfg(all(test, loom))]
mod loom;

mod error;
mod info;
mod join;
mod owned;
mod raw;
mod remote;
mod state;

pub use error::JoinError;
pub(crate) use info::{IdAllocator, Origin, TaskName};
pub use info::{TaskId, TaskInfo, TaskState};
pub use join::JoinHandle;
pub(crate) use owned::OwnedTasks;
pub(crate) use remote::RemoteTask;

use raw::{RawTask, RunResult};
use std::mem::ManuallyDrop;

/// Where a woken task goes: the seam between a task and its scheduler.
///
/// The scheduler passes a value of this type to [`OwnedTasks::spawn`]; the
/// task stores it and calls it whenever a wake (or an abort) needs a
/// runnable queued. The call is compiled into the task's waker, so a wake
/// reaches the scheduler without another indirect call.
///
/// Contract for implementors: a runnable is run only on the thread that
/// spawned its task (futures need not be `Send`); other threads may only
/// queue it or hand it back.
pub(crate) trait Schedule: Send + Sync + 'static {
    /// Queue `runnable` on the loop that owns its task. Called from any
    /// thread, never with a lock of the task held.
    ///
    /// A loop that shut down refuses by handing the runnable back. The task
    /// then drops it after this call returns, because that may release the
    /// task's last reference, and `self` lives inside the task.
    fn schedule(&self, runnable: Runnable) -> Result<(), Runnable>;
}

/// A task ready to be polled, owning one reference. Lives in a run queue.
pub(crate) struct Runnable(RawTask);

// SAFETY: a Runnable is only *run* by the loop that owns the task (the
// `Schedule` contract); other threads merely move it into a queue or drop
// it, which touches the reference count only. The owned set's reference
// guarantees such a drop never frees a live future.
unsafe impl Send for Runnable {}

/// What is left after running a [`Runnable`].
pub(crate) enum Ran {
    /// Nothing for the scheduler: the task waits for a wake (the runnable's
    /// reference went with the state transition), or it had already been
    /// completed by shutdown.
    Idle,
    /// Woken while it ran: queue the runnable again.
    Reschedule(Runnable),
    /// The future is gone (finished, panicked or cancelled): take the task
    /// out of the owned set with [`OwnedTasks::remove`].
    Completed(Completed),
}

/// Proof that a task completed, owning the reference of the runnable that
/// completed it; `OwnedTask::release` lets both go.
pub(crate) struct Completed(RawTask);

impl Runnable {
    /// Poll the task once (or drop its future if it was aborted).
    pub(crate) fn run(self) -> Ran {
        // From here on the run owns the runnable's reference.
        let task = ManuallyDrop::new(self).0;
        // SAFETY: we own the runnable's reference, and the `Schedule`
        // contract keeps runnables on the thread that spawned their task.
        match unsafe { task.run() } {
            // The transition to idle already gave the reference back.
            RunResult::Pending => Ran::Idle,
            RunResult::Reschedule => Ran::Reschedule(Runnable(task)),
            RunResult::Completed => Ran::Completed(Completed(task)),
            RunResult::AlreadyComplete => {
                task.ref_dec();
                Ran::Idle
            }
        }
    }
}

impl Drop for Runnable {
    fn drop(&mut self) {
        self.0.ref_dec();
    }
}

impl Runnable {
    /// The task's slot in its owned set (which task is running, for
    /// `aio::task::current`).
    pub(crate) fn key(&self) -> usize {
        self.0.key()
    }
}

impl Completed {
    /// The task's key in its owned set.
    pub(crate) fn key(&self) -> usize {
        self.0.key()
    }
}

impl Drop for Completed {
    fn drop(&mut self) {
        self.0.ref_dec();
    }
}

/// What a task costs: the issue allows an unnamed task two pointers more
/// than before identity (id and spawn site) existed; this keeps it so.
#[cfg(all(test, not(loom), target_pointer_width = "64"))]
mod size {
    use super::owned::OwnedTask;
    use super::raw::Header;
    use std::mem::size_of;

    #[test]
    fn identity_costs_an_unnamed_task_two_pointers() {
        // state, vtable, key, join waker (two words): 40 bytes before.
        assert_eq!(size_of::<Header>(), 40 + 16);
        // The name rides in the slab entry's spare word: a task pointer and
        // an optional name, and the vacant variant fits beside them.
        assert_eq!(size_of::<OwnedTask>(), 16);
        // The shape of `slab::Entry` (private to slab).
        #[allow(dead_code)]
        enum SlabEntry<T> {
            Vacant(usize),
            Occupied(T),
        }
        assert_eq!(size_of::<SlabEntry<OwnedTask>>(), 16);
    }
}
