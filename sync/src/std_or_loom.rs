//! The few synchronization types the primitives are built from: std's, or
//! loom's when the crate is model-checked (`--cfg loom`), so the loom models
//! exercise the very code the primitives run.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::AtomicUsize;
#[cfg(loom)]
pub(crate) use loom::sync::{Arc, Mutex, MutexGuard};

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::AtomicUsize;
#[cfg(not(loom))]
pub(crate) use std::sync::{Arc, Mutex, MutexGuard};

/// Lock `mutex`, ignoring poisoning: the states guarded here stay usable
/// between statements, so a panic elsewhere (a waker, a user's `Ord` in a
/// priority queue) must not turn every later call into a panic.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}
