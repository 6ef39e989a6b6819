//! The `JoinHandle`: a task's output, seen from outside the loop.

use super::error::JoinError;
use super::info::TaskId;
use super::raw::RawTask;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

/// An owned permission to wait for a spawned task's output.
///
/// Awaiting it gives `Ok(output)`, or a [`JoinError`] when the task panicked
/// or was aborted. Dropping it detaches the task: it keeps running.
///
/// ```
/// aio_executor::block_on(async {
///     let handle = aio_executor::spawn(async { 6 * 7 });
///     assert_eq!(handle.await.unwrap(), 42);
/// });
/// ```
pub struct JoinHandle<T> {
    raw: RawTask,
    _output: PhantomData<T>,
}

// SAFETY: through the handle another thread can only read the output (sent
// across only when `T: Send`), request an abort (state word + the task's
// `Schedule`, which is `Send + Sync`) and drop its reference; the future
// itself is never touched off the loop thread.
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: `&JoinHandle` only allows `abort` and `is_finished`, which touch
// the atomic state word and the task's `Schedule` (`Sync`) alone.
unsafe impl<T> Sync for JoinHandle<T> {}

impl<T> Unpin for JoinHandle<T> {}

impl<T> JoinHandle<T> {
    /// Wrap the handle's reference to a freshly allocated task.
    ///
    /// # Safety
    /// `T` is the output type of the task's future: `poll` reads the output
    /// slot as a `T`.
    pub(super) unsafe fn new(raw: RawTask) -> JoinHandle<T> {
        JoinHandle {
            raw,
            _output: PhantomData,
        }
    }

    /// Cancel the task: its future is dropped (destructors run) the next
    /// time the loop gets to it, and awaiting this handle then gives
    /// [`JoinError::Cancelled`]. A task that already finished keeps its
    /// output. Safe to call from any thread, any number of times.
    ///
    /// ```
    /// aio_executor::block_on(async {
    ///     let task = aio_executor::spawn(std::future::pending::<()>());
    ///     task.abort();
    ///     assert!(task.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort(&self) {
        self.raw.abort();
    }

    /// True once the task finished, panicked or was cancelled.
    ///
    /// ```
    /// aio_executor::block_on(async {
    ///     let task = aio_executor::spawn(async { 1 });
    ///     assert!(!task.is_finished(), "spawned, not run yet");
    ///     aio_executor::yield_now().await; // the loop runs it
    ///     assert!(task.is_finished());
    ///     assert_eq!(task.await.unwrap(), 1);
    /// });
    /// ```
    pub fn is_finished(&self) -> bool {
        self.raw.is_complete()
    }

    /// The task's id, the same as its [`TaskInfo::id`](super::TaskInfo::id).
    ///
    /// ```
    /// aio_executor::block_on(async {
    ///     let task = aio_executor::spawn(async { aio_executor::task::current().unwrap().id() });
    ///     let id = task.id();
    ///     assert_eq!(task.await.unwrap(), id);
    /// });
    /// ```
    pub fn id(&self) -> TaskId {
        self.raw.id()
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut out = Poll::Pending;
        // SAFETY: `new`'s caller promised that `T` is the future's output.
        unsafe { self.raw.read_output(&mut out, cx.waker()) };
        out
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        self.raw.drop_join_handle();
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id())
            .field("finished", &self.is_finished())
            .finish()
    }
}
