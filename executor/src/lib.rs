//! The aio executor: tasks, wakers, run queues and `JoinHandle`.
//!
//! It knows nothing about I/O. It runs tasks until none is ready, then asks
//! whatever sits under it to block through the [`Park`] seam: the facade
//! plugs in the reactor; [`block_on`] plugs in plain thread parking.
//!
//! Inside, dependencies point one way, `executor -> scheduler -> cell`:
//! - `cell`: the task allocation, its state word and handles, and every
//!   `unsafe` block of the crate (model-checked with loom). It does not know
//!   where a woken task goes; it asks the `Schedule` value it was spawned
//!   with, so its unsafe code can be checked without the scheduler.
//! - `scheduler`: the per-thread core, its run queues and the order in which
//!   they are popped, and the injector that other threads wake through.
//! - `executor`: [`Executor`], which drives the scheduler and parks, and
//!   [`Handle`], the loop as other threads see it.
//!
//! The public [`task`] module (names, ids, `current`, `all`) sits on top of
//! all three and only re-exports: nothing inside the crate imports it, so
//! `cell` stays a leaf. Beside `executor`, on top of the same layers:
//! [`TaskGroup`], [`as_completed`] and [`select!`].
//!
//! ```
//! let sum = aio_executor::block_on(async {
//!     let handles: Vec<_> = (1..=4).map(|i| aio_executor::spawn(async move { i * 10 })).collect();
//!     let mut sum = 0;
//!     for handle in handles {
//!         sum += handle.await.unwrap();
//!     }
//!     sum
//! });
//! assert_eq!(sum, 100);
//! ```

#![warn(
    missing_docs,
    missing_debug_implementations,
    unsafe_op_in_unsafe_fn,
    clippy::undocumented_unsafe_blocks
)]

mod as_completed;
mod cell;
mod executor;
mod gather;
mod group;
mod handle;
mod park;
mod scheduler;
mod select;
pub mod task;
mod yield_now;

pub use as_completed::{as_completed, AsCompleted};
pub use cell::{JoinError, JoinHandle};
pub use executor::{block_on, spawn, Executor};
pub use gather::{gather, Gather};
pub use group::{ChildFailure, ChildPanic, TaskGroup, TaskGroupError, TaskGroupJoin};
pub use handle::Handle;
pub use park::{Park, ThreadPark, Unpark};
pub use scheduler::{in_running_loop, live_tasks, RunError, SpawnError};
pub use yield_now::{yield_now, YieldNow};
