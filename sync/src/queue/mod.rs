//! asyncio's queues: `Queue` (first in, first out), `LifoQueue` and
//! `PriorityQueue`, three faces of one engine that differ only in where
//! they keep their items.

mod engine;
mod error;
mod storage;

pub use error::{QueueShutDown, TaskDoneError, TryGetError, TryPutError};

use engine::Engine;
use std::fmt;
use std::future::Future;

/// Writes one queue type over `Engine`: the same API and docs for each,
/// with the storage (and its bound on `T`) as the only difference.
macro_rules! queue_type {
    (
        $(#[$attr:meta])*
        $name:ident<T $(: $bound:path)?>, $storage:ident
    ) => {
        $(#[$attr])*
        pub struct $name<T $(: $bound)?> {
            engine: Engine<T, storage::$storage<T>>,
        }

        impl<T $(: $bound)?> Clone for $name<T> {
            /// Another handle to the same queue.
            fn clone(&self) -> Self {
                $name {
                    engine: self.engine.clone(),
                }
            }
        }

        impl<T $(: $bound)?> fmt::Debug for $name<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.engine.debug_as(stringify!($name), f)
            }
        }

        impl<T $(: $bound)?> $name<T> {
            /// A queue that holds at most `maxsize` items; `0` means
            /// unbounded, as in asyncio.
            ///
            /// ```
            #[doc = concat!("let queue = aio_sync::", stringify!($name), "::<u8>::new(2);")]
            /// assert_eq!((queue.maxsize(), queue.len()), (2, 0));
            /// ```
            pub fn new(maxsize: usize) -> Self {
                $name {
                    engine: Engine::new(maxsize),
                }
            }

            /// Put an item, waiting while the queue is full.
            ///
            /// Putters that wait get their items in in the order they came.
            /// Cancel-safe: once the queue has taken the item (this happens
            /// under the queue's lock, before this task runs again), the put
            /// has happened even if the future is then dropped; if it is
            /// dropped before that, the item is dropped with it.
            ///
            /// # Errors
            /// [`QueueShutDown`] with the item, when the queue was shut down
            /// before it took the item (a waiting put fails at shutdown).
            ///
            /// ```
            #[doc = concat!("let queue = aio_sync::", stringify!($name), "::new(1);")]
            /// aio_executor::block_on(async {
            ///     queue.put("job").await.unwrap();
            ///     assert_eq!(queue.get().await.unwrap(), "job");
            /// });
            /// ```
            pub fn put(&self, item: T) -> impl Future<Output = Result<(), QueueShutDown<T>>> + '_ {
                self.engine.put(item)
            }

            /// Remove and return an item, waiting while the queue is empty.
            ///
            /// Getters that wait are served in the order they came: an item
            /// put while getters wait goes straight to the oldest one.
            /// Cancel-safe: a getter dropped after an item was handed to it,
            /// but before it ran, passes the item to the next waiting getter,
            /// or puts it back where the next `get` finds it first.
            ///
            /// # Errors
            /// [`QueueShutDown`] once the queue is shut down and holds no
            /// more items (after [`shutdown`](Self::shutdown) the remaining
            /// items are still returned first).
            ///
            /// ```
            #[doc = concat!("let queue = aio_sync::", stringify!($name), "::new(0);")]
            /// aio_executor::block_on(async {
            ///     let producer = queue.clone();
            ///     aio_executor::spawn(async move { producer.put(7).await.unwrap() });
            ///     // Waits until the producer task has run.
            ///     assert_eq!(queue.get().await.unwrap(), 7);
            /// });
            /// ```
            pub fn get(&self) -> impl Future<Output = Result<T, QueueShutDown>> + '_ {
                self.engine.get()
            }

            /// Put an item if there is room now (Python's `put_nowait`).
            ///
            /// # Errors
            /// [`TryPutError::Full`] or [`TryPutError::ShutDown`], each with
            /// the item: it is never lost.
            ///
            /// ```
            /// use aio_sync::TryPutError;
            ///
            #[doc = concat!("let queue = aio_sync::", stringify!($name), "::new(1);")]
            /// assert_eq!(queue.try_put(1), Ok(()));
            /// assert_eq!(queue.try_put(2), Err(TryPutError::Full(2)));
            /// ```
            pub fn try_put(&self, item: T) -> Result<(), TryPutError<T>> {
                self.engine.try_put(item)
            }

            /// Remove and return an item if one is available now (Python's
            /// `get_nowait`). An item already handed to a waiting getter is
            /// not available.
            ///
            /// # Errors
            /// [`TryGetError::Empty`], or [`TryGetError::ShutDown`] once the
            /// queue is shut down and drained.
            ///
            /// ```
            /// use aio_sync::TryGetError;
            ///
            #[doc = concat!("let queue = aio_sync::", stringify!($name), "::new(0);")]
            /// queue.try_put('x').unwrap();
            /// assert_eq!(queue.try_get(), Ok('x'));
            /// assert_eq!(queue.try_get(), Err(TryGetError::Empty));
            /// ```
            pub fn try_get(&self) -> Result<T, TryGetError> {
                self.engine.try_get()
            }

            /// Mark one item that was got as processed; when every item
            /// ever put has been marked, [`join`](Self::join) returns.
            ///
            /// # Errors
            /// [`TaskDoneError`] when called more times than items were put
            /// (Python raises `ValueError`); the count is left unchanged.
            ///
            /// ```
            #[doc = concat!("let queue = aio_sync::", stringify!($name), "::new(0);")]
            /// queue.try_put(1).unwrap();
            /// queue.try_get().unwrap();
            /// assert!(queue.task_done().is_ok());
            /// assert!(queue.task_done().is_err());
            /// ```
            pub fn task_done(&self) -> Result<(), crate::TaskDoneError> {
                self.engine.task_done()
            }

            /// Wait until every item put has been marked done with
            /// [`task_done`](Self::task_done) (items discarded by
            /// [`shutdown_immediate`](Self::shutdown_immediate) count as
            /// done). Returns at once when nothing is outstanding.
            ///
            /// ```
            #[doc = concat!("let queue = aio_sync::", stringify!($name), "::new(0);")]
            /// aio_executor::block_on(async {
            ///     let worker = queue.clone();
            ///     aio_executor::spawn(async move {
            ///         while let Ok(_job) = worker.get().await {
            ///             worker.task_done().unwrap();
            ///         }
            ///     });
            ///     for job in 0..3 {
            ///         queue.put(job).await.unwrap();
            ///     }
            ///     queue.join().await;
            ///     assert_eq!(queue.unfinished_tasks(), 0);
            /// });
            /// ```
            pub fn join(&self) -> impl Future<Output = ()> + '_ {
                self.engine.join()
            }

            /// How many items are in the queue, counting an item handed to
            /// a waiting getter that has not run yet (Python's `qsize`).
            ///
            /// ```
            #[doc = concat!("let queue = aio_sync::", stringify!($name), "::<u8>::new(0);")]
            /// queue.try_put(1).unwrap();
            /// queue.try_put(2).unwrap();
            /// assert_eq!(queue.len(), 2);
            /// ```
            pub fn len(&self) -> usize {
                self.engine.len()
            }

            /// Whether [`len`](Self::len) is 0.
            ///
            /// ```
            #[doc = concat!("let queue = aio_sync::", stringify!($name), "::<u8>::new(0);")]
            /// assert!(queue.is_empty());
            /// queue.try_put(1).unwrap();
            /// assert!(!queue.is_empty());
            /// ```
            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }

            /// Whether the queue holds `maxsize` items (never, when
            /// unbounded), so that a put would wait.
            ///
            /// ```
            #[doc = concat!("let queue = aio_sync::", stringify!($name), "::<u8>::new(1);")]
            /// queue.try_put(1).unwrap();
            /// assert!(queue.is_full());
            /// queue.try_get().unwrap();
            /// assert!(!queue.is_full());
            /// ```
            pub fn is_full(&self) -> bool {
                self.engine.is_full()
            }

            /// The bound given to `new` (0: unbounded).
            ///
            /// ```
            #[doc = concat!("let queue = aio_sync::", stringify!($name), "::<u8>::new(8);")]
            /// assert_eq!(queue.maxsize(), 8);
            /// ```
            pub fn maxsize(&self) -> usize {
                self.engine.maxsize()
            }

            /// How many items were put and not yet marked done with
            /// [`task_done`](Self::task_done).
            ///
            /// ```
            #[doc = concat!("let queue = aio_sync::", stringify!($name), "::<u8>::new(0);")]
            /// queue.try_put(1).unwrap();
            /// queue.try_get().unwrap();
            /// assert_eq!(queue.unfinished_tasks(), 1, "got, not yet done");
            /// queue.task_done().unwrap();
            /// assert_eq!(queue.unfinished_tasks(), 0);
            /// ```
            pub fn unfinished_tasks(&self) -> usize {
                self.engine.unfinished_tasks()
            }

            /// Whether [`shutdown`](Self::shutdown) or
            /// [`shutdown_immediate`](Self::shutdown_immediate) was called.
            ///
            /// ```
            #[doc = concat!("let queue = aio_sync::", stringify!($name), "::<u8>::new(0);")]
            /// assert!(!queue.is_shut_down());
            /// queue.shutdown();
            /// assert!(queue.is_shut_down());
            /// ```
            pub fn is_shut_down(&self) -> bool {
                self.engine.is_shut_down()
            }

            /// Shut the queue down, as Python 3.13's `shutdown()`: later
            /// puts fail (with their item), waiting putters are woken and
            /// fail, gets return the remaining items and then fail, waiting
            /// getters are woken and fail. Items a waiting putter had not
            /// got in are not in the queue. Calling it again does nothing.
            ///
            /// ```
            #[doc = concat!("let queue = aio_sync::", stringify!($name), "::new(0);")]
            /// queue.try_put(1).unwrap();
            /// queue.shutdown();
            /// assert!(queue.try_put(2).unwrap_err().is_shut_down());
            /// aio_executor::block_on(async {
            ///     assert_eq!(queue.get().await, Ok(1));
            ///     assert!(queue.get().await.is_err());
            /// });
            /// ```
            pub fn shutdown(&self) {
                self.engine.shutdown()
            }

            /// Shut the queue down at once, as Python 3.13's
            /// `shutdown(immediate=True)`: the items are discarded
            /// (including one handed to a getter that has not run yet) and
            /// count as done for [`join`](Self::join); every get and put
            /// fails from now on, and waiting getters and putters are woken
            /// and fail. As in Python, `join` then returns once the items
            /// already got are marked done too (at once if there are none:
            /// Python's docs before 3.14 said "regardless of the number of
            /// unfinished tasks", which its code never did).
            ///
            /// ```
            #[doc = concat!("let queue = aio_sync::", stringify!($name), "::new(0);")]
            /// queue.try_put(1).unwrap();
            /// queue.shutdown_immediate();
            /// assert!(queue.is_empty());
            /// aio_executor::block_on(async {
            ///     assert!(queue.get().await.is_err());
            ///     queue.join().await;
            /// });
            /// ```
            pub fn shutdown_immediate(&self) {
                self.engine.shutdown_immediate()
            }
        }
    };
}

queue_type! {
    /// asyncio's `Queue`: first in, first out, optionally bounded, shared
    /// between tasks by cloning the handle (clones are the same queue).
    ///
    /// Waiting getters and putters are served in the order they came, and
    /// any of their futures can be dropped at any point without losing an
    /// item. The handle and its futures are `Send` when `T` is, so a queue
    /// also connects tasks on different threads or loops.
    ///
    /// A producer and a consumer, with `task_done`/`join` (asyncio's
    /// `producer_consumer`):
    ///
    /// ```
    /// use aio_sync::Queue;
    ///
    /// aio_executor::block_on(async {
    ///     let queue = Queue::new(2);
    ///     let worker = queue.clone();
    ///     let consumer = aio_executor::spawn(async move {
    ///         let mut seen = Vec::new();
    ///         while let Ok(job) = worker.get().await {
    ///             seen.push(job);
    ///             worker.task_done().unwrap();
    ///         }
    ///         seen
    ///     });
    ///     for job in 1..=5 {
    ///         queue.put(job).await.unwrap(); // waits while 2 are queued
    ///     }
    ///     queue.join().await; // every job was processed
    ///     queue.shutdown(); // the consumer's next get fails
    ///     assert_eq!(consumer.await.unwrap(), [1, 2, 3, 4, 5]);
    /// });
    /// ```
    Queue<T>, Fifo
}

queue_type! {
    /// asyncio's `LifoQueue`: [`Queue`]'s API, but `get` returns the item
    /// put last.
    ///
    /// ```
    /// let stack = aio_sync::LifoQueue::new(0);
    /// for item in [1, 2, 3] {
    ///     stack.try_put(item).unwrap();
    /// }
    /// assert_eq!(stack.try_get(), Ok(3));
    /// assert_eq!(stack.try_get(), Ok(2));
    /// ```
    LifoQueue<T>, Lifo
}

queue_type! {
    /// asyncio's `PriorityQueue`: [`Queue`]'s API, but `get` returns the
    /// smallest item first (as Python's heapq; items that compare equal
    /// come out in no particular order). Put `(priority, value)` tuples to
    /// order by priority.
    ///
    /// ```
    /// let queue = aio_sync::PriorityQueue::new(0);
    /// queue.try_put((2, "later")).unwrap();
    /// queue.try_put((1, "first")).unwrap();
    /// queue.try_put((3, "last")).unwrap();
    /// assert_eq!(queue.try_get(), Ok((1, "first")));
    /// assert_eq!(queue.try_get(), Ok((2, "later")));
    /// ```
    PriorityQueue<T: Ord>, Smallest
}
