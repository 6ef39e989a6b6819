//! The seam between the executor and whatever it blocks on.

use std::fmt;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// What the executor needs from the layer under it: a way to block until
/// woken or until a deadline, doing that layer's work (I/O, timers) meanwhile.
///
/// ```
/// use aio_executor::{Executor, Park, ThreadPark, Unpark};
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// /// A parker that counts how often the loop blocked.
/// struct Counting(ThreadPark, usize);
/// impl Park for Counting {
///     fn park(&mut self, timeout: Option<Duration>) {
///         self.1 += 1;
///         self.0.park(timeout);
///     }
///     fn unparker(&self) -> Arc<dyn Unpark> {
///         self.0.unparker()
///     }
/// }
///
/// let mut park = Counting(ThreadPark::new(), 0);
/// let mut executor = Executor::enter().unwrap();
/// executor.block_on(aio_executor::yield_now(), &mut park);
/// assert!(park.1 >= 1, "the loop parked between the two polls");
/// ```
pub trait Park {
    /// Block until unparked, until `timeout` passes (`None`: no limit), or
    /// until the layer's own events (I/O, timers) woke something.
    /// `Some(Duration::ZERO)` means: poll for events, do not block.
    ///
    /// ```
    /// use aio_executor::{Park, ThreadPark};
    /// use std::time::Duration;
    ///
    /// let mut park = ThreadPark::new();
    /// park.unparker().unpark();
    /// park.park(None); // returns at once: the unpark came first
    /// park.park(Some(Duration::from_millis(1))); // returns when the timeout passes
    /// ```
    fn park(&mut self, timeout: Option<Duration>);

    /// A handle other threads use to interrupt [`Park::park`].
    ///
    /// ```
    /// use aio_executor::{Park, ThreadPark};
    ///
    /// let mut park = ThreadPark::new();
    /// let unparker = park.unparker();
    /// let other = std::thread::spawn(move || unparker.unpark());
    /// park.park(None); // returns once the other thread unparked
    /// other.join().unwrap();
    /// ```
    fn unparker(&self) -> Arc<dyn Unpark>;
}

/// Interrupts a [`Park::park`] from any thread.
///
/// ```
/// use aio_executor::{Park, ThreadPark, Unpark};
/// use std::sync::Arc;
///
/// let mut park = ThreadPark::new();
/// let unparker: Arc<dyn Unpark> = park.unparker();
/// unparker.unpark();
/// park.park(None);
/// ```
pub trait Unpark: Send + Sync + 'static {
    /// Make the current or next `park` return promptly.
    ///
    /// ```
    /// use aio_executor::{Park, ThreadPark};
    ///
    /// let mut park = ThreadPark::new();
    /// park.unparker().unpark(); // remembered until the next park
    /// park.park(None);
    /// ```
    fn unpark(&self);
}

/// A [`Park`] without I/O: blocks the thread on a condition variable.
///
/// ```
/// use aio_executor::{Executor, ThreadPark};
///
/// let mut executor = Executor::enter().unwrap();
/// assert_eq!(executor.block_on(async { 1 }, &mut ThreadPark::new()), 1);
/// ```
pub struct ThreadPark {
    inner: Arc<ThreadUnpark>,
}

struct ThreadUnpark {
    notified: Mutex<bool>,
    condvar: Condvar,
}

impl ThreadPark {
    /// A parker for the current thread.
    ///
    /// ```
    /// use aio_executor::{Park, ThreadPark};
    /// use std::time::Duration;
    ///
    /// let mut park = ThreadPark::new();
    /// park.park(Some(Duration::ZERO)); // nothing to wait for: returns at once
    /// ```
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
