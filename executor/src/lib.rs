//! The aio executor: tasks, wakers, run queues and `JoinHandle`.
//!
//! It knows nothing about I/O. It runs tasks until none is ready, then asks
//! whatever sits under it to block through the [`Park`] seam: the facade
//! plugs in the reactor; [`block_on`] plugs in plain thread parking.
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

mod executor;
mod gather;
mod park;
mod scheduler;
mod task;
mod yield_now;

pub use executor::{block_on, spawn, Executor};
pub use gather::{gather, Gather};
pub use park::{Park, ThreadPark, Unpark};
pub use scheduler::{in_running_loop, live_tasks, RunError};
pub use task::{JoinError, JoinHandle};
pub use yield_now::{yield_now, YieldNow};
