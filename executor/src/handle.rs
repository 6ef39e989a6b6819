//! Entering a loop from other threads: [`Handle`] spawns onto it from
//! anywhere (asyncio's `run_coroutine_threadsafe`), and
//! [`JoinHandle::wait`] waits for a task from a thread that runs no loop.

use crate::cell::{JoinError, JoinHandle, TaskName};
use crate::scheduler::{self, SpawnError};
use std::fmt;
use std::future::{Future, IntoFuture};
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

/// A loop, as other threads see it: spawn tasks onto it from anywhere.
///
/// Get one with [`Handle::current`] inside the loop and hand it to other
/// threads (it is `Clone + Send + Sync`). Like asyncio's
/// `run_coroutine_threadsafe`, [`Handle::spawn`] wakes the loop if it is
/// parked, and the returned [`JoinHandle`] can be awaited in any loop or
/// waited for with [`JoinHandle::wait`] from a plain thread. Once the loop
/// has shut down, `spawn` returns [`SpawnError`].
///
/// ```
/// let answer = aio_executor::block_on(async {
///     let handle = aio_executor::Handle::current();
///     // Another thread hands the loop some work...
///     let spawner = std::thread::spawn(move || handle.spawn(async { 21 * 2 }).unwrap());
///     let task = spawner.join().unwrap();
///     // ...and its handle can be awaited here (or waited for there).
///     task.await.unwrap()
/// });
/// assert_eq!(answer, 42);
///
/// // Once the loop has shut down, spawning is refused.
/// let handle = aio_executor::block_on(async { aio_executor::Handle::current() });
/// let refused = handle.spawn(async {}).unwrap_err();
/// assert_eq!(refused.to_string(), "the event loop has shut down");
/// ```
#[derive(Clone)]
pub struct Handle {
    inner: scheduler::Handle,
}

impl Handle {
    /// The loop running on this thread.
    ///
    /// # Panics
    /// Outside a running loop, with
    /// `aio::Handle::current() called outside of aio::run()`.
    ///
    /// ```
    /// aio_executor::block_on(async {
    ///     let handle = aio_executor::Handle::current();
    ///     let task = handle.spawn(async { 1 }).unwrap();
    ///     assert_eq!(task.await.unwrap(), 1);
    /// });
    /// ```
    #[track_caller]
    pub fn current() -> Handle {
        match Handle::try_current() {
            Some(handle) => handle,
            None => panic!("aio::Handle::current() called outside of aio::run()"),
        }
    }

    /// The loop running on this thread, or `None` outside one.
    ///
    /// ```
    /// use aio_executor::Handle;
    ///
    /// assert!(Handle::try_current().is_none());
    /// aio_executor::block_on(async { assert!(Handle::try_current().is_some()) });
    /// ```
    pub fn try_current() -> Option<Handle> {
        scheduler::with_current(|core| Handle {
            inner: core.handle().clone(),
        })
    }

    /// Spawn `future` on this loop, from any thread; like asyncio's
    /// `run_coroutine_threadsafe`. It starts at the loop's next turn (the
    /// loop is woken if it is parked). Anything [`IntoFuture`] whose future
    /// is `Send` is accepted; it is turned into its future on the calling
    /// thread.
    ///
    /// # Errors
    /// [`SpawnError`] when the loop has shut down; the future is dropped
    /// here, unpolled. A task accepted just before the loop shut down is
    /// cancelled with the loop's other tasks: its handle gives
    /// [`JoinError::Cancelled`].
    ///
    /// ```
    /// let answer = aio_executor::block_on(async {
    ///     let handle = aio_executor::Handle::current();
    ///     // From another thread: the task runs on this loop.
    ///     let task = std::thread::spawn(move || handle.spawn(async { 6 * 7 }).unwrap())
    ///         .join()
    ///         .unwrap();
    ///     task.await.unwrap()
    /// });
    /// assert_eq!(answer, 42);
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> Result<JoinHandle<F::Output>, SpawnError>
    where
        F: IntoFuture,
        F::IntoFuture: Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawn_named(future.into_future(), Location::caller(), None)
    }

    pub(crate) fn spawn_named<F>(
        &self,
        future: F,
        location: &'static Location<'static>,
        name: Option<TaskName>,
    ) -> Result<JoinHandle<F::Output>, SpawnError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.inner.spawn(future, location, name)
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle").finish_non_exhaustive()
    }
}

impl<T> JoinHandle<T> {
    /// Block this thread until the task ends, and give its output; for
    /// threads that run no loop (inside one, `.await` the handle).
    ///
    /// A task whose loop shut down before it finished gives
    /// [`JoinError::Cancelled`].
    ///
    /// # Panics
    /// On a thread that runs a loop, with `JoinHandle::wait() would block
    /// the running event loop; use .await`: blocking there could wait for a
    /// task that only this thread can run.
    ///
    /// ```
    /// let task = aio_executor::block_on(async {
    ///     let task = aio_executor::spawn(async { 6 * 7 });
    ///     aio_executor::yield_now().await; // it runs meanwhile
    ///     task
    /// });
    /// // No loop runs on this thread any more: waiting is fine.
    /// assert_eq!(task.wait().unwrap(), 42);
    /// ```
    #[track_caller]
    pub fn wait(mut self) -> Result<T, JoinError> {
        if scheduler::in_running_loop() {
            panic!("JoinHandle::wait() would block the running event loop; use .await");
        }
        let waker = Waker::from(Arc::new(ThreadWake(thread::current())));
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(output) = Pin::new(&mut self).poll(&mut cx) {
                return output;
            }
            // A wake before this park makes it return at once; a spurious
            // return just polls again.
            thread::park();
        }
    }
}

/// Wakes a thread blocked in [`JoinHandle::wait`].
struct ThreadWake(Thread);

impl Wake for ThreadWake {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}
