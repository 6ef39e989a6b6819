//! Tasks spawned from another thread, on their way to their loop.
//!
//! `Handle::spawn` allocates the task on the calling thread, so it can hand
//! the caller a `JoinHandle` at once, and sends the rest to the loop through
//! its injector. Until the loop registers it in its owned set, the
//! [`RemoteTask`] holds the two references the set and the first runnable
//! will own; if the loop refuses it (it shut down) or drops it unregistered
//! (it shut down with the task still queued), dropping the `RemoteTask`
//! cancels the task right there: the handle then reads `Cancelled`, and
//! nothing leaks.

use super::info::{Origin, TaskName};
use super::raw::RawTask;
use super::{JoinHandle, Schedule};
use std::future::Future;
use std::mem::ManuallyDrop;

/// A task allocated off its loop's thread and not yet registered with it.
/// Owns the owned-set reference and the first runnable's reference.
pub(crate) struct RemoteTask {
    raw: RawTask,
    name: Option<TaskName>,
}

// SAFETY: `new` only builds one for a `Send` future with a `Send` output,
// and nothing else can reach the future before the loop registers the task
// (no runnable or waker of it exists yet), so moving the task, and dropping
// its future on whichever thread holds it, is what `Send` allows.
unsafe impl Send for RemoteTask {}

impl RemoteTask {
    /// Allocate a task for `future` on this thread; it starts out scheduled
    /// and runs once its loop registers it.
    pub(crate) fn new<F, S>(
        future: F,
        scheduler: S,
        origin: Origin,
        name: Option<TaskName>,
    ) -> (RemoteTask, JoinHandle<F::Output>)
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
        S: Schedule,
    {
        // The slot is not known yet: `OwnedTasks::register` sets it.
        let raw = RawTask::allocate(future, scheduler, usize::MAX, origin);
        // SAFETY: the handle's output type is the future's, `F::Output`.
        let handle = unsafe { JoinHandle::new(raw) };
        (RemoteTask { raw, name }, handle)
    }

    pub(crate) fn origin(&self) -> Origin {
        self.raw.origin()
    }

    pub(crate) fn name(&self) -> Option<&TaskName> {
        self.name.as_ref()
    }

    /// Give up both references to the owned set (`OwnedTasks::register`).
    pub(super) fn into_parts(self) -> (RawTask, Option<TaskName>) {
        let mut this = ManuallyDrop::new(self);
        (this.raw, this.name.take())
    }
}

impl Drop for RemoteTask {
    fn drop(&mut self) {
        // SAFETY: the future is `Send` (see `new`) and was never registered,
        // so no runnable or waker of it exists and nothing polls it: this
        // thread may drop it in place (the second case of
        // `RawTask::cancel_now`).
        unsafe { self.raw.cancel_now() };
        // The owned set's reference and the first runnable's.
        self.raw.ref_dec();
        self.raw.ref_dec();
    }
}
