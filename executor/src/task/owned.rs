//! The set of a loop's live tasks.
//!
//! Each task gets a slot here at spawn and keeps it, with one reference,
//! until the loop completes or cancels it. That reference is why a future
//! never outlives its loop and is never dropped on another thread: whatever
//! other threads hold (wakers, a `JoinHandle`), the last reference to a task
//! whose future still lives is always this one, released on the loop thread.

use super::raw::RawTask;
use super::{Completed, JoinHandle, Runnable, Schedule};
use slab::Slab;
use std::future::Future;
use std::mem::ManuallyDrop;

/// A loop's live tasks. Lives on the loop thread (it is not `Send`).
pub(crate) struct OwnedTasks {
    tasks: Slab<OwnedTask>,
}

/// The owned set's reference to one task. Dropping it cancels the task if
/// it is still alive (its future is dropped right here), then lets go.
pub(crate) struct OwnedTask(RawTask);

impl OwnedTasks {
    pub(crate) fn new() -> OwnedTasks {
        OwnedTasks { tasks: Slab::new() }
    }

    /// Allocate a task for `future` that wakes through `scheduler`. The
    /// caller queues the returned runnable: the task starts out scheduled.
    pub(crate) fn spawn<F, S>(
        &mut self,
        future: F,
        scheduler: S,
    ) -> (Runnable, JoinHandle<F::Output>)
    where
        F: Future + 'static,
        F::Output: 'static,
        S: Schedule,
    {
        let slot = self.tasks.vacant_entry();
        // Three references: the set's, the first runnable's, the handle's.
        let task = RawTask::allocate(future, scheduler, slot.key());
        slot.insert(OwnedTask(task));
        // SAFETY: the handle's output type is the future's, `F::Output`.
        let handle = unsafe { JoinHandle::new(task) };
        (Runnable(task), handle)
    }

    /// Take a completed task out of the set. Release the result with
    /// [`OwnedTask::release`] once no borrow of the set is held: freeing a
    /// task drops its join waker, which is user code and may spawn.
    ///
    /// # Panics
    /// When `done` is not a task of this set.
    pub(crate) fn remove(&mut self, done: &Completed) -> OwnedTask {
        let owned = self.tasks.try_remove(done.key());
        match owned {
            Some(owned) if owned.0 == done.0 => owned,
            _ => panic!("a completed task released to a set it does not belong to"),
        }
    }

    /// Every task still in the set, emptying it (shutdown cancels them by
    /// dropping them, outside any borrow of the set).
    pub(crate) fn take_all(&mut self) -> Vec<OwnedTask> {
        self.tasks.drain().collect()
    }

    pub(crate) fn len(&self) -> usize {
        self.tasks.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }
}

impl OwnedTask {
    /// Let go of a completed task: the set's reference and the runnable's.
    pub(crate) fn release(self, done: Completed) {
        assert!(self.0 == done.0, "released with another task's completion");
        // Completed: nothing to cancel, so skip `Drop` and its state check.
        let task = ManuallyDrop::new(self).0;
        task.ref_dec();
        drop(done);
    }
}

impl Drop for OwnedTask {
    fn drop(&mut self) {
        // SAFETY: an OwnedTask is not `Send`, so this runs on the thread of
        // its set, which is the loop thread that runs the task; and it is
        // never dropped during that task's poll: only `remove` (after the
        // run returned) and `take_all` (shutdown, which needs the loop by
        // value, so no task of it is being polled) take one out of the set.
        unsafe { self.0.cancel_now() };
        self.0.ref_dec();
    }
}
