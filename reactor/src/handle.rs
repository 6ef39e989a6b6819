//! State shared between the loop-owned [`Reactor`](crate::Reactor) and every
//! socket, timer and job created on it (sockets are `Send + Sync`, so this is too).

use std::io;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::blocking::BlockingPool;
use crate::reactor::Unparker;
use crate::registration::IoState;
use crate::timer::TimerQueue;

pub(crate) struct Handle {
    /// The registration slab and a clone of the mio registry; locked only on
    /// register/deregister and once per `turn` to dispatch a batch of events.
    pub(crate) io: Mutex<IoState>,
    pub(crate) timers: Mutex<TimerQueue>,
    pub(crate) blocking: BlockingPool,
    pub(crate) unparker: Unparker,
}

/// Lock, ignoring poisoning: no waker is ever called under these locks, so a
/// poisoned lock means a bug elsewhere, and cascading panics would hide it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The error every I/O operation returns once the owning reactor is gone.
pub(crate) fn shutdown_error() -> io::Error {
    io::Error::other("the aio event loop that owns this socket has shut down")
}
