//! `as_completed`: outputs in the order their futures finish, as asyncio's
//! `as_completed`.
//!
//! Each future runs as a task of its own (asyncio does the same), so they
//! make progress whether or not the caller is waiting. A task puts its output
//! in a queue shared with the [`AsCompleted`] (in finishing order) and wakes
//! whoever waits on it; nothing is scanned.

use crate::cell::JoinHandle;
use crate::executor::spawn;
use futures_core::Stream;
use pin_project_lite::pin_project;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::future::{poll_fn, Future, IntoFuture};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// Run every future concurrently, each as a task, and give their outputs in
/// the order they finish, like asyncio's `as_completed`.
///
/// Read them with the async [`next`](AsCompleted::next) or through
/// [`Stream`]. Dropping the [`AsCompleted`] cancels the futures that have not
/// finished (their destructors run on the loop thread), so taking only the
/// first output is a race between homogeneous futures:
///
/// ```
/// use aio_executor::{as_completed, block_on, yield_now};
///
/// block_on(async {
///     let slow_then_fast = [3, 1, 2].map(|turns| async move {
///         for _ in 0..turns {
///             yield_now().await;
///         }
///         turns
///     });
///     let mut finished = as_completed(slow_then_fast);
///     assert_eq!(finished.next().await, Some(1));
///     assert_eq!(finished.next().await, Some(2));
///     assert_eq!(finished.next().await, Some(3));
///     assert_eq!(finished.next().await, None);
/// });
/// ```
///
/// The items may be anything [`IntoFuture`] (a request builder such as
/// `client.get(url)`, say), as for [`spawn`](crate::spawn). Unlike
/// [`gather`](crate::gather), the futures are spawned, so they must be
/// `'static`. They need not be `Send`, and the `AsCompleted` is neither
/// `Send` nor `Sync`: it belongs to its loop's thread.
///
/// A future whose task was cancelled before it finished (the loop shut down
/// while the `AsCompleted` lived on, to be read in another loop) has no
/// output: `next()` gives `None` once every other output was given.
///
/// A future that panics does not take the others down: the panic is resumed
/// in the caller by the `next()` that would have given its output, as if the
/// caller had awaited that future itself.
///
/// # Panics
/// Outside a running loop, like [`spawn`](crate::spawn).
#[track_caller]
pub fn as_completed<I>(futures: I) -> AsCompleted<<I::Item as IntoFuture>::Output>
where
    I: IntoIterator,
    I::Item: IntoFuture,
    <I::Item as IntoFuture>::IntoFuture: 'static,
    <I::Item as IntoFuture>::Output: 'static,
{
    let finished = Rc::new(Finished {
        outputs: RefCell::new(VecDeque::new()),
        cancelled: Cell::new(0),
        waiter: RefCell::new(None),
    });
    let tasks: Vec<JoinHandle<()>> = futures
        .into_iter()
        .map(|future| {
            spawn(Report {
                future: future.into_future(),
                finished: Rc::clone(&finished),
                reported: false,
            })
        })
        .collect();
    AsCompleted {
        remaining: tasks.len(),
        tasks,
        finished,
    }
}

/// Outputs in finishing order; returned by [`as_completed`].
///
/// Dropping it cancels the futures that have not finished yet.
///
/// ```
/// use aio_executor::{as_completed, block_on, yield_now};
///
/// block_on(async {
///     let mut finished = as_completed([2, 0].map(|turns| async move {
///         for _ in 0..turns {
///             yield_now().await;
///         }
///         turns
///     }));
///     assert_eq!(finished.next().await, Some(0));
///     drop(finished); // cancels the future still running
/// });
/// ```
#[must_use = "the futures are cancelled when this is dropped"]
pub struct AsCompleted<T> {
    finished: Rc<Finished<T>>,
    /// Kept to cancel the unfinished ones on drop.
    tasks: Vec<JoinHandle<()>>,
    /// Outputs not handed out yet (finished or not).
    remaining: usize,
}

/// What the tasks share with their `AsCompleted`.
struct Finished<T> {
    outputs: RefCell<VecDeque<std::thread::Result<T>>>,
    /// Tasks cancelled before they finished (the loop shut down under
    /// them): their outputs will never come.
    cancelled: Cell<usize>,
    waiter: RefCell<Option<Waker>>,
}

impl<T> Finished<T> {
    fn wake_waiter(&self) {
        let waiter = self.waiter.borrow_mut().take();
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    }
}

pin_project! {
    /// A task's future: the caller's future, its output (or panic) queued.
    /// Written by hand: an `async fn` would hold the future twice.
    struct Report<F: Future> {
        #[pin]
        future: F,
        finished: Rc<Finished<F::Output>>,
        reported: bool,
    }

    impl<F: Future> PinnedDrop for Report<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if !*this.reported {
                // Cancelled before it finished: say so, or a waiting
                // `next()` would wait for an output that never comes.
                this.finished.cancelled.set(this.finished.cancelled.get() + 1);
                this.finished.wake_waiter();
            }
        }
    }
}

impl<F: Future> Future for Report<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        let future = this.future;
        // A panic is caught here rather than by the task so that it can take
        // its place in the finishing order.
        let output = match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(output)) => Ok(output),
            Err(payload) => Err(payload),
        };
        *this.reported = true;
        this.finished.outputs.borrow_mut().push_back(output);
        this.finished.wake_waiter();
        Poll::Ready(())
    }
}

impl<T> AsCompleted<T> {
    /// The next output to finish; `None` once every output was given.
    ///
    /// Cancel-safe: dropping the returned future loses no output (an output
    /// that finishes meanwhile waits for the next call).
    ///
    /// # Panics
    /// Resumes the panic of a future that panicked, when its turn comes.
    ///
    /// ```
    /// aio_executor::block_on(async {
    ///     let mut outputs = aio_executor::as_completed([async { 1 }]);
    ///     assert_eq!(outputs.next().await, Some(1));
    ///     assert_eq!(outputs.next().await, None);
    /// });
    /// ```
    pub async fn next(&mut self) -> Option<T> {
        poll_fn(|cx| self.poll_next_output(cx)).await
    }

    /// How many outputs are still to come.
    ///
    /// ```
    /// aio_executor::block_on(async {
    ///     let mut outputs = aio_executor::as_completed([1, 2].map(|n| async move { n }));
    ///     assert_eq!(outputs.remaining(), 2);
    ///     outputs.next().await;
    ///     assert_eq!(outputs.remaining(), 1);
    /// });
    /// ```
    pub fn remaining(&self) -> usize {
        self.remaining
    }

    fn poll_next_output(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        let next = self.finished.outputs.borrow_mut().pop_front();
        match next {
            Some(Ok(output)) => {
                self.remaining -= 1;
                Poll::Ready(Some(output))
            }
            Some(Err(payload)) => {
                self.remaining -= 1;
                resume_unwind(payload)
            }
            None => {
                self.remaining -= self.finished.cancelled.replace(0);
                if self.remaining == 0 {
                    return Poll::Ready(None);
                }
                let mut waiter = self.finished.waiter.borrow_mut();
                if !waiter
                    .as_ref()
                    .is_some_and(|known| known.will_wake(cx.waker()))
                {
                    let old = waiter.replace(cx.waker().clone());
                    drop(waiter);
                    drop(old);
                }
                Poll::Pending
            }
        }
    }
}

impl<T> Stream for AsCompleted<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().poll_next_output(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<T> Drop for AsCompleted<T> {
    fn drop(&mut self) {
        for task in &self.tasks {
            // A no-op for the tasks that finished.
            task.abort();
        }
    }
}

impl<T> fmt::Debug for AsCompleted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("futures", &self.tasks.len())
            .field("remaining", &self.remaining)
            .field("ready", &self.finished.outputs.borrow().len())
            .finish()
    }
}
