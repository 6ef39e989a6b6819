//! asyncio's synchronization primitives for aio, as `aio::sync`.
//!
//! They know nothing about the loop: they park a task by keeping its
//! `Waker` and wake it when it may go on, so they work under any executor.

#![warn(missing_docs, missing_debug_implementations)]
