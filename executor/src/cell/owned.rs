//! The set of a loop's live tasks.
//!
//! Each task gets a slot here at spawn and keeps it, with one reference,
//! until the loop completes or cancels it. That reference is why a future
//! never outlives its loop and is never dropped on another thread: whatever
//! other threads hold (wakers, a `JoinHandle`), the last reference to a task
//! whose future still lives is always this one, released on the loop thread.

use super::info::{Origin, TaskInfo, TaskName, TaskState};
use super::raw::RawTask;
use super::remote::RemoteTask;
use super::state::{COMPLETE, RUNNING, SCHEDULED};
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
///
/// The name lives here rather than in the task's header: the slab entry has
/// room for one more pointer at no cost (its vacant variant fits beside the
/// task pointer), so unnamed tasks pay nothing for it.
pub(crate) struct OwnedTask {
    raw: RawTask,
    name: Option<TaskName>,
}

impl OwnedTasks {
    pub(crate) fn new() -> OwnedTasks {
        OwnedTasks { tasks: Slab::new() }
    }

    /// Allocate a task for `future` that wakes through `scheduler`. The
    /// caller queues the returned runnable: the task starts out scheduled.
    #[inline]
    pub(crate) fn spawn<F, S>(
        &mut self,
        future: F,
        scheduler: S,
        origin: Origin,
        name: Option<TaskName>,
    ) -> (Runnable, JoinHandle<F::Output>)
    where
        F: Future + 'static,
        F::Output: 'static,
        S: Schedule,
    {
        let slot = self.tasks.vacant_entry();
        // Three references: the set's, the first runnable's, the handle's.
        let raw = RawTask::allocate(future, scheduler, slot.key(), origin);
        slot.insert(OwnedTask { raw, name });
        // SAFETY: the handle's output type is the future's, `F::Output`.
        let handle = unsafe { JoinHandle::new(raw) };
        (Runnable(raw), handle)
    }

    /// Adopt a task spawned from another thread: it gets its slot now, and
    /// the returned runnable (already scheduled) is the caller's to queue.
    pub(crate) fn register(&mut self, remote: RemoteTask) -> Runnable {
        let (raw, name) = remote.into_parts();
        let slot = self.tasks.vacant_entry();
        raw.set_key(slot.key());
        slot.insert(OwnedTask { raw, name });
        Runnable(raw)
    }

    /// A snapshot of the task in slot `key`, unless it completed (a task
    /// is taken out of the set right after it completes).
    pub(crate) fn info(&self, key: usize) -> Option<TaskInfo> {
        self.tasks.get(key).and_then(OwnedTask::info)
    }

    /// Snapshots of every task not completed yet, in slot order.
    pub(crate) fn infos(&self) -> impl Iterator<Item = TaskInfo> + '_ {
        self.tasks.iter().filter_map(|(_, task)| task.info())
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
            Some(owned) if owned.raw == done.0 => owned,
            _ => panic!("a completed task released to a set it does not belong to"),
        }
    }

    /// Every task still in the set, emptying it (shutdown cancels them by
    /// dropping them, outside any borrow of the set).
    pub(crate) fn take_all(&mut self) -> Vec<OwnedTask> {
        self.tasks.drain().collect()
    }

    /// Cancel the task in slot `key` as its handle's `abort` would: its
    /// future is dropped the next time the loop gets to it, and its handle
    /// gives `JoinError::Cancelled`. Safe from inside the task's own poll.
    pub(crate) fn abort(&self, key: usize) {
        if let Some(task) = self.tasks.get(key) {
            task.raw.abort();
        }
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
    #[inline]
    pub(crate) fn release(self, done: Completed) {
        assert!(
            self.raw == done.0,
            "released with another task's completion"
        );
        // Completed: nothing to cancel, so skip `Drop` and its state check.
        let mut this = ManuallyDrop::new(self);
        // The name is dropped by hand, since `Drop` is skipped.
        drop(this.name.take());
        this.raw.ref_dec();
        drop(done);
    }

    /// A snapshot, or `None` once the task completed.
    pub(crate) fn info(&self) -> Option<TaskInfo> {
        let snapshot = self.raw.snapshot();
        let state = if snapshot.has(COMPLETE) {
            return None;
        } else if snapshot.has(RUNNING) {
            TaskState::Running
        } else if snapshot.has(SCHEDULED) {
            TaskState::Ready
        } else {
            TaskState::Waiting
        };
        Some(TaskInfo::new(self.raw.origin(), self.name.clone(), state))
    }
}

impl Drop for OwnedTask {
    fn drop(&mut self) {
        // SAFETY: an OwnedTask is not `Send`, so this runs on the thread of
        // its set, which is the loop thread that runs the task; and it is
        // never dropped during that task's poll: only `remove` (after the
        // run returned) and `take_all` (shutdown, which needs the loop by
        // value, so no task of it is being polled) take one out of the set.
        unsafe { self.raw.cancel_now() };
        self.raw.ref_dec();
    }
}
