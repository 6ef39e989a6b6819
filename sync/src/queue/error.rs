//! The errors of the queues, each with the item it could not take when
//! there was one, so that no item is ever lost to an error.

use std::error::Error;
use std::fmt;

/// The queue was shut down (Python's `QueueShutDown`).
///
/// Returned by `put` with the item that was not put (`QueueShutDown<T>`),
/// and by `get` once the queue is shut down and has no item left
/// (`QueueShutDown<()>`, written `QueueShutDown`).
///
/// ```
/// let queue = aio_sync::Queue::new(0);
/// queue.shutdown();
/// let refused = aio_executor::block_on(queue.put("late")).unwrap_err();
/// assert_eq!(refused.to_string(), "queue is shut down");
/// assert_eq!(refused.into_inner(), "late");
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct QueueShutDown<T = ()>(pub T);

impl<T> QueueShutDown<T> {
    /// The item that could not be put.
    ///
    /// ```
    /// let queue = aio_sync::Queue::new(0);
    /// queue.shutdown();
    /// let refused = aio_executor::block_on(queue.put(String::from("job"))).unwrap_err();
    /// assert_eq!(refused.into_inner(), "job");
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for QueueShutDown<T> {
    // Without `T: Debug`, so that `unwrap()` works for any item type.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("QueueShutDown(..)")
    }
}

impl<T> fmt::Display for QueueShutDown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("queue is shut down")
    }
}

impl<T> Error for QueueShutDown<T> {}

/// Why `try_put` did not put the item; the item comes back in either case.
///
/// ```
/// use aio_sync::{Queue, TryPutError};
///
/// let queue = Queue::new(1);
/// queue.try_put(1).unwrap();
/// let refused = queue.try_put(2).unwrap_err();
/// assert_eq!(refused.to_string(), "queue is full");
/// assert!(matches!(refused, TryPutError::Full(2)));
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TryPutError<T> {
    /// The queue holds `maxsize` items (Python's `QueueFull`).
    Full(T),
    /// The queue was shut down (Python's `QueueShutDown`).
    ShutDown(T),
}

impl<T> TryPutError<T> {
    /// The item that was not put.
    ///
    /// ```
    /// let queue = aio_sync::Queue::new(1);
    /// queue.try_put("first").unwrap();
    /// assert_eq!(queue.try_put("second").unwrap_err().into_inner(), "second");
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            TryPutError::Full(item) | TryPutError::ShutDown(item) => item,
        }
    }

    /// Whether the queue was full (as opposed to shut down).
    ///
    /// ```
    /// let queue = aio_sync::Queue::new(1);
    /// queue.try_put(1).unwrap();
    /// assert!(queue.try_put(2).unwrap_err().is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        matches!(self, TryPutError::Full(_))
    }

    /// Whether the queue was shut down.
    ///
    /// ```
    /// let queue = aio_sync::Queue::new(0);
    /// queue.shutdown();
    /// let refused = queue.try_put(1).unwrap_err();
    /// assert!(refused.is_shut_down() && !refused.is_full());
    /// ```
    pub fn is_shut_down(&self) -> bool {
        matches!(self, TryPutError::ShutDown(_))
    }
}

impl<T> fmt::Debug for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryPutError::Full(_) => f.write_str("Full(..)"),
            TryPutError::ShutDown(_) => f.write_str("ShutDown(..)"),
        }
    }
}

impl<T> fmt::Display for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryPutError::Full(_) => f.write_str("queue is full"),
            TryPutError::ShutDown(_) => f.write_str("queue is shut down"),
        }
    }
}

impl<T> Error for TryPutError<T> {}

/// Why `try_get` returned no item.
///
/// ```
/// use aio_sync::{Queue, TryGetError};
///
/// let queue: Queue<u8> = Queue::new(0);
/// assert_eq!(queue.try_get(), Err(TryGetError::Empty));
/// queue.shutdown();
/// assert_eq!(queue.try_get(), Err(TryGetError::ShutDown));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryGetError {
    /// No item is available now (Python's `QueueEmpty`).
    Empty,
    /// The queue was shut down and has no item left.
    ShutDown,
}

impl fmt::Display for TryGetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryGetError::Empty => f.write_str("queue is empty"),
            TryGetError::ShutDown => f.write_str("queue is shut down"),
        }
    }
}

impl Error for TryGetError {}

/// `task_done` was called more times than items were put (Python raises
/// `ValueError` here).
///
/// ```
/// let queue: aio_sync::Queue<u8> = aio_sync::Queue::new(0);
/// let error = queue.task_done().unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "task_done() called more times than there were items put in the queue"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskDoneError;

impl fmt::Display for TaskDoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task_done() called more times than there were items put in the queue")
    }
}

impl Error for TaskDoneError {}
