//! The one way this crate takes its mutexes.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Lock, ignoring poisoning.
///
/// No waker is woken or dropped under any of this crate's locks (the only
/// foreign code run under one is `Waker::clone` / `will_wake` when a waker is
/// stored), so a poisoned lock means a bug elsewhere, and panicking again on
/// every later lock would only bury the first panic under a cascade.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
