//! Run queues: a local queue for wakes on the loop thread, an injector for
//! wakes from other threads.

use crate::context;
use crate::task::Runnable;
use crate::Unpark;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// The part of a loop that other threads (and every task header) can reach.
pub(crate) struct Shared {
    injector: Mutex<Injector>,
    /// Set when the injector may be non-empty, so the loop skips the lock
    /// on the common path where nothing came from another thread.
    has_injected: AtomicBool,
}

struct Injector {
    queue: VecDeque<Runnable>,
    /// The loop has shut down: runnables sent now are dropped.
    closed: bool,
    /// Interrupts the loop's park; set by each `block_on` (a later one may
    /// park differently). Under the injector's lock, so a wake never reaches
    /// a park that is no longer the loop's.
    unparker: Option<Arc<dyn Unpark>>,
}

impl Shared {
    pub(crate) fn new() -> Shared {
        Shared {
            injector: Mutex::new(Injector {
                queue: VecDeque::new(),
                closed: false,
                unparker: None,
            }),
            has_injected: AtomicBool::new(false),
        }
    }

    pub(crate) fn set_unparker(&self, unparker: Arc<dyn Unpark>) {
        self.lock().unparker = Some(unparker);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Injector> {
        self.injector.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queue a runnable of a task of this loop.
    pub(crate) fn schedule(self: &Arc<Self>, runnable: Runnable) {
        // On the loop thread: the local queue, no lock, no syscall.
        let runnable = match context::push_local(self, runnable) {
            Ok(()) => return,
            Err(runnable) => runnable,
        };
        self.inject(runnable);
    }

    /// Queue from another thread and interrupt the loop's park.
    fn inject(&self, runnable: Runnable) {
        let mut injector = self.lock();
        if injector.closed {
            // The loop is gone; its tasks were cancelled. Dropping the
            // runnable just gives back its reference (outside the lock).
            drop(injector);
            drop(runnable);
            return;
        }
        injector.queue.push_back(runnable);
        self.has_injected.store(true, Ordering::Release);
        if let Some(unparker) = &injector.unparker {
            unparker.unpark();
        }
    }

    /// Interrupt the loop's park (from any thread).
    pub(crate) fn unpark(&self) {
        if let Some(unparker) = &self.lock().unparker {
            unparker.unpark();
        }
    }

    /// Move everything injected into `local`.
    pub(crate) fn drain_injected_into(&self, local: &mut VecDeque<Runnable>) {
        if !self.has_injected.swap(false, Ordering::Acquire) {
            return;
        }
        local.extend(self.lock().queue.drain(..));
    }

    /// Refuse further injections; return what was queued.
    pub(crate) fn close(&self) -> VecDeque<Runnable> {
        let mut injector = self.lock();
        injector.closed = true;
        std::mem::take(&mut injector.queue)
    }
}
