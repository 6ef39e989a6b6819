//! The seam between the executor and whatever it blocks on.

use std::fmt;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// What the executor needs from the layer under it: a way to block until
/// woken or until a deadline, doing that layer's work (I/O, timers) meanwhile.
pub trait Park {
    /// Block until unparked, until `timeout` passes (`None`: no limit), or
    /// until the layer's own events (I/O, timers) woke something.
    /// `Some(Duration::ZERO)` means: poll for events, do not block.
    fn park(&mut self, timeout: Option<Duration>);

    /// A handle other threads use to interrupt [`Park::park`].
    fn unparker(&self) -> Arc<dyn Unpark>;
}

/// Interrupts a [`Park::park`] from any thread.
pub trait Unpark: Send + Sync + 'static {
    /// Make the current or next `park` return promptly.
    fn unpark(&self);
}

/// A [`Park`] without I/O: blocks the thread on a condition variable.
pub struct ThreadPark {
    inner: Arc<ThreadUnpark>,
}

struct ThreadUnpark {
    notified: Mutex<bool>,
    condvar: Condvar,
}

impl ThreadPark {
    /// A parker for the current thread.
    pub fn new() -> ThreadPark {
        ThreadPark {
            inner: Arc::new(ThreadUnpark {
                notified: Mutex::new(false),
                condvar: Condvar::new(),
            }),
        }
    }
}

impl fmt::Debug for ThreadPark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let notified = *self
            .inner
            .notified
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        f.debug_struct("ThreadPark")
            .field("notified", &notified)
            .finish()
    }
}

impl Default for ThreadPark {
    fn default() -> Self {
        ThreadPark::new()
    }
}

impl Park for ThreadPark {
    fn park(&mut self, timeout: Option<Duration>) {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut notified = self
            .inner
            .notified
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        while !*notified {
            match deadline {
                None => {
                    notified = self
                        .inner
                        .condvar
                        .wait(notified)
                        .unwrap_or_else(|e| e.into_inner())
                }
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        break;
                    }
                    notified = self
                        .inner
                        .condvar
                        .wait_timeout(notified, deadline - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
        }
        *notified = false;
    }

    fn unparker(&self) -> Arc<dyn Unpark> {
        self.inner.clone()
    }
}

impl Unpark for ThreadUnpark {
    fn unpark(&self) {
        *self.notified.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.condvar.notify_one();
    }
}
