//! Tasks: the handle types around the raw allocation.

#[cfg(all(test, loom))]
mod loom;
pub(crate) mod raw;
pub(crate) mod state;

use raw::RawTask;
use std::any::Any;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A task ready to be polled, owning one reference. Lives in a run queue.
pub(crate) struct Runnable(RawTask);

// SAFETY: a Runnable is only *run* by the loop that owns the task (it is
// queued on that loop's queues alone); other threads merely move it into the
// injector or drop it, which touches the reference count only. The owned
// set's reference guarantees such a drop never frees a live future.
unsafe impl Send for Runnable {}

impl Runnable {
    /// Wrap a reference the caller already took.
    pub(crate) fn from_raw(task: RawTask) -> Runnable {
        Runnable(task)
    }

    pub(crate) fn raw(&self) -> RawTask {
        self.0
    }
}

impl Drop for Runnable {
    fn drop(&mut self) {
        self.0.ref_dec();
    }
}

/// Why a task did not produce its output.
pub enum JoinError {
    /// The task was aborted (by [`JoinHandle::abort`] or because its loop
    /// shut down) before it finished.
    Cancelled,
    /// The task panicked; the payload is what `panic!` was given.
    Panicked(Box<dyn Any + Send + 'static>),
}

impl JoinError {
    /// True when the task was cancelled.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, JoinError::Cancelled)
    }

    /// True when the task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self, JoinError::Panicked(_))
    }

    /// The panic payload, for `std::panic::resume_unwind`.
    ///
    /// # Panics
    /// When the task was cancelled rather than panicking.
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        match self {
            JoinError::Panicked(payload) => payload,
            JoinError::Cancelled => panic!("JoinError::into_panic called on a cancelled task"),
        }
    }

    /// The panic message when the payload is a string.
    pub fn panic_message(&self) -> Option<&str> {
        match self {
            JoinError::Panicked(payload) => payload
                .downcast_ref::<&'static str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str)),
            JoinError::Cancelled => None,
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Cancelled => f.write_str("JoinError::Cancelled"),
            JoinError::Panicked(_) => match self.panic_message() {
                Some(msg) => write!(f, "JoinError::Panicked({msg:?})"),
                None => f.write_str("JoinError::Panicked(..)"),
            },
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Cancelled => f.write_str("task was cancelled"),
            JoinError::Panicked(_) => match self.panic_message() {
                Some(msg) => write!(f, "task panicked: {msg}"),
                None => f.write_str("task panicked"),
            },
        }
    }
}

impl std::error::Error for JoinError {}

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
// across only when `T: Send`), request an abort (state word + scheduler
// queue, both thread-safe) and drop its reference; the future itself is
// never touched off the loop thread.
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: `&JoinHandle` only allows `abort` and `is_finished`, which touch
// the atomic state word alone.
unsafe impl<T> Sync for JoinHandle<T> {}

impl<T> Unpin for JoinHandle<T> {}

impl<T> JoinHandle<T> {
    pub(crate) fn new(raw: RawTask) -> JoinHandle<T> {
        JoinHandle {
            raw,
            _output: PhantomData,
        }
    }

    /// Cancel the task: its future is dropped (destructors run) the next
    /// time the loop gets to it, and awaiting this handle then gives
    /// [`JoinError::Cancelled`]. A task that already finished keeps its
    /// output. Safe to call from any thread, any number of times.
    pub fn abort(&self) {
        self.raw.abort();
    }

    /// True once the task finished, panicked or was cancelled.
    pub fn is_finished(&self) -> bool {
        self.raw.header().state.load().has(state::COMPLETE)
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut out = Poll::Pending;
        // SAFETY: a JoinHandle<T> is only created by `spawn` for a future
        // whose output is `T`.
        unsafe { self.raw.read_output(&mut out, cx.waker()) };
        out
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if self.raw.header().state.drop_join_interest() {
            self.raw.drop_output();
        }
        self.raw.ref_dec();
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}
