//! The blocking thread pool: bounded threads, spawned lazily, that exit after
//! idling. A job completes by storing its result and waking the waker its
//! [`BlockingJob`] left, so the pool needs no task system.

pub(crate) mod pool;

pub use pool::{BlockingJob, JobResult, CANCELLED_MESSAGE};

use crate::context;

/// Run `f` on the current reactor's bounded thread pool; the returned future
/// resolves to its result. A panic in `f` is caught and returned as
/// `Err(payload)`. Dropping the future does not stop `f`; its result is dropped.
///
/// # Panics
/// When called outside of `aio::run()` (no [`Reactor::enter`](crate::Reactor::enter) on this thread).
///
/// ```
/// aio::run(async {
///     let sum = aio_reactor::blocking::run(|| (1..=100).sum::<u32>()).await;
///     assert_eq!(sum.unwrap(), 5050);
///     let panicked = aio_reactor::blocking::run(|| panic!("in the pool")).await;
///     assert_eq!(panicked.unwrap_err().downcast_ref::<&str>(), Some(&"in the pool"));
/// });
/// ```
pub fn run<F, T>(f: F) -> BlockingJob<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    context::current("aio::blocking::run()").blocking.run(f)
}
