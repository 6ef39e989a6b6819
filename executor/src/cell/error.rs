//! `JoinError`: why a task gave no output.

use std::any::Any;
use std::fmt;

/// Why a task did not produce its output.
///
/// ```
/// use aio_executor::JoinError;
///
/// let error = aio_executor::block_on(async {
///     let task = aio_executor::spawn(std::future::pending::<()>());
///     task.abort();
///     task.await.unwrap_err()
/// });
/// assert!(matches!(error, JoinError::Cancelled));
/// assert_eq!(error.to_string(), "task was cancelled");
/// ```
pub enum JoinError {
    /// The task was aborted (by [`JoinHandle::abort`](super::JoinHandle::abort) or because its loop
    /// shut down) before it finished.
    Cancelled,
    /// The task panicked; the payload is what `panic!` was given.
    Panicked(Box<dyn Any + Send + 'static>),
}

impl JoinError {
    /// True when the task was cancelled.
    ///
    /// ```
    /// let error = aio_executor::block_on(async {
    ///     let task = aio_executor::spawn(std::future::pending::<()>());
    ///     task.abort();
    ///     task.await.unwrap_err()
    /// });
    /// assert!(error.is_cancelled() && !error.is_panic());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self, JoinError::Cancelled)
    }

    /// True when the task panicked.
    ///
    /// ```
    /// let error = aio_executor::block_on(async {
    ///     aio_executor::spawn(async { panic!("boom") }).await.unwrap_err()
    /// });
    /// assert!(error.is_panic() && !error.is_cancelled());
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self, JoinError::Panicked(_))
    }

    /// The panic payload, for `std::panic::resume_unwind`.
    ///
    /// # Panics
    /// When the task was cancelled rather than panicking.
    ///
    /// ```
    /// let error = aio_executor::block_on(async {
    ///     aio_executor::spawn(async { std::panic::panic_any(7_u8) }).await.unwrap_err()
    /// });
    /// // The payload as given to the panic (or hand it to `resume_unwind`).
    /// assert_eq!(error.into_panic().downcast_ref::<u8>(), Some(&7));
    /// ```
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        match self {
            JoinError::Panicked(payload) => payload,
            JoinError::Cancelled => panic!("JoinError::into_panic called on a cancelled task"),
        }
    }

    /// The panic message when the payload is a string.
    ///
    /// ```
    /// let error = aio_executor::block_on(async {
    ///     aio_executor::spawn(async { panic!("bad input: {}", 42) }).await.unwrap_err()
    /// });
    /// assert_eq!(error.panic_message(), Some("bad input: 42"));
    /// ```
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
