//! [`Unparker`]: interrupts the loop's [`Reactor::turn`](crate::Reactor::turn) from any thread.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

struct UnparkInner {
    /// A wake is pending: set by `unpark`, cleared by `turn` after polling.
    pending: AtomicBool,
    /// `None` after shutdown, which closes the eventfd even if handles live on.
    /// A leaf lock: nothing else is locked while it is held.
    waker: RwLock<Option<mio::Waker>>,
}

/// Interrupts a blocked (or the next) [`Reactor::turn`](crate::Reactor::turn) from any thread.
///
/// ```
/// let mut reactor = aio_reactor::Reactor::new()?;
/// let unparker = reactor.unparker();
/// let clone = unparker.clone(); // cheap; Send + Sync
/// std::thread::spawn(move || clone.unpark()).join().unwrap();
/// reactor.turn(None); // returns: the unpark is pending
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct Unparker {
    inner: Arc<UnparkInner>,
}

impl std::fmt::Debug for Unparker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unparker")
            .field("pending", &self.inner.pending.load(Ordering::Relaxed))
            .finish()
    }
}

impl Unparker {
    /// An unparker that signals the loop through `waker` (registered with its `Poll`).
    pub(crate) fn new(waker: mio::Waker) -> Unparker {
        Unparker {
            inner: Arc::new(UnparkInner {
                pending: AtomicBool::new(false),
                waker: RwLock::new(Some(waker)),
            }),
        }
    }

    /// Make the current or next `turn` return promptly. Costs no syscall when
    /// a wake is already pending; a no-op after the reactor shut down.
    ///
    /// ```
    /// let mut reactor = aio_reactor::Reactor::new()?;
    /// let unparker = reactor.unparker();
    /// unparker.unpark();
    /// unparker.unpark(); // already pending: no syscall
    /// reactor.turn(None);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn unpark(&self) {
        if self.inner.pending.swap(true, Ordering::AcqRel) {
            return;
        }
        let guard = self.inner.waker.read().unwrap_or_else(|e| e.into_inner());
        if let Some(waker) = guard.as_ref() {
            // Fails only if the eventfd counter is saturated, i.e. a wake is pending anyway.
            let _ = waker.wake();
        }
    }

    /// Whether a wake is pending (checked by `turn` before its precise sleep).
    pub(crate) fn is_pending(&self) -> bool {
        self.inner.pending.load(Ordering::Acquire)
    }

    /// Consume the pending wake, if any; called by `turn` after polling.
    ///
    /// An RMW, so that whoever set the flag before this point has its
    /// preceding writes visible to the caller once `turn` returns.
    pub(crate) fn clear_pending(&self) {
        self.inner.pending.swap(false, Ordering::AcqRel);
    }

    /// Close the eventfd; later `unpark`s do nothing.
    pub(crate) fn close(&self) {
        let mut guard = self.inner.waker.write().unwrap_or_else(|e| e.into_inner());
        *guard = None;
    }
}
