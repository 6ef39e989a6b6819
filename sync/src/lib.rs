//! asyncio's synchronization primitives for aio, as `aio::sync`.
//!
//! They know nothing about the loop: they park a task by keeping its
//! `Waker` and wake it when it may go on, so they work under any executor.

#![warn(missing_docs, missing_debug_implementations)]

mod barrier;
mod event;
mod queue;
mod slab_waiters;

pub use barrier::{Barrier, BarrierWaitResult};
pub use event::Event;
pub use queue::{
    LifoQueue, PriorityQueue, Queue, QueueShutDown, TaskDoneError, TryGetError, TryPutError,
};
