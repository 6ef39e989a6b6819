//! asyncio's synchronization primitives for aio, as `aio::sync`.
//!
//! They know nothing about the loop: they park a task by keeping its
//! `Waker` and wake it when it may go on, so they work under any executor.
//!
//! Common to all of them:
//! - fair: waiters are served in the order they started waiting;
//! - cancel-safe: a waiting future dropped at any point loses nothing; if
//!   it had just been granted (a permit, the lock, a notification) and not
//!   yet polled, the grant goes to the next waiter;
//! - their futures are `Send` when the guarded data is, so they work in
//!   tasks that move between threads;
//! - uncontended, they do not allocate: one compare-and-swap to take a
//!   [`Semaphore`] permit or a [`Mutex`], one to give it back; one lock
//!   for a queue's put or get.
//!
//! | asyncio | here |
//! |---|---|
//! | `asyncio.Lock` | [`Mutex<T>`] (guards data, as Rust locks do) |
//! | `asyncio.Semaphore` | [`Semaphore`] |
//! | `asyncio.BoundedSemaphore` | [`BoundedSemaphore`] |
//! | `asyncio.Condition` | [`Condition`] with a [`Mutex`] |
//! | `asyncio.Future` handed between tasks | [`oneshot::channel`] |
//! | `asyncio.Event` | [`Event`] |
//! | `asyncio.Barrier` | [`Barrier`] |
//! | `asyncio.Queue`, `PriorityQueue`, `LifoQueue` | [`Queue`], [`PriorityQueue`], [`LifoQueue`] (cheap-to-clone handles) |
//! | (none) | [`RwLock<T>`] |

#![warn(missing_docs, missing_debug_implementations)]
#![warn(clippy::undocumented_unsafe_blocks, unsafe_op_in_unsafe_fn)]
// The one module handing out guarded data (`lock`) may use `unsafe`.
#![deny(unsafe_code)]

mod barrier;
mod condition;
mod event;
#[allow(unsafe_code)]
mod lock;
pub mod oneshot;
mod queue;
mod semaphore;
mod std_or_loom;
mod waiters;

// Loom models, run by `make loom`.
#[cfg(all(test, loom))]
#[allow(unsafe_code)]
mod loom;

pub use barrier::{Barrier, BarrierWaitResult};
pub use condition::Condition;
pub use event::Event;
pub use lock::{
    Mutex, MutexGuard, OwnedMutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard, TryLockError,
};
pub use queue::{
    LifoQueue, PriorityQueue, Queue, QueueShutDown, TaskDoneError, TryGetError, TryPutError,
};
pub use semaphore::{
    BoundedSemaphore, BoundedSemaphoreError, OwnedSemaphorePermit, Semaphore, SemaphorePermit,
    TryAcquireError, MAX_PERMITS,
};
