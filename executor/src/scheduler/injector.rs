//! The injector: the run queue for wakes from other threads (and for tasks
//! they spawn through a `Handle`), and the unparker that interrupts the loop
//! when one arrives.

use crate::cell::{RemoteTask, Runnable};
use crate::park::Unpark;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// The part of a loop that other threads (and every task) can reach.
pub(super) struct Injector {
    queue: Mutex<Queue>,
    /// Set when the queue may be non-empty, so the loop skips the lock on
    /// the common path where nothing came from another thread.
    has_injected: AtomicBool,
}

struct Queue {
    runnables: VecDeque<Runnable>,
    /// Tasks spawned from other threads, for the loop to register.
    spawned: Vec<RemoteTask>,
    /// The loop has shut down: runnables sent now are refused.
    closed: bool,
    /// Interrupts the loop's park; set by each `block_on` (a later one may
    /// park differently). Under the queue's lock, so a wake never reaches
    /// a park that is no longer the loop's.
    unparker: Option<Arc<dyn Unpark>>,
}

impl Injector {
    pub(super) fn new() -> Injector {
        Injector {
            queue: Mutex::new(Queue {
                runnables: VecDeque::new(),
                spawned: Vec::new(),
                closed: false,
                unparker: None,
            }),
            has_injected: AtomicBool::new(false),
        }
    }

    pub(super) fn set_unparker(&self, unparker: Arc<dyn Unpark>) {
        self.lock().unparker = Some(unparker);
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queue from another thread and interrupt the loop's park. A closed
    /// loop hands the runnable back (its caller drops it, outside the lock).
    pub(super) fn inject(&self, runnable: Runnable) -> Result<(), Runnable> {
        let mut queue = self.lock();
        if queue.closed {
            // The loop is gone; its tasks were cancelled.
            return Err(runnable);
        }
        queue.runnables.push_back(runnable);
        self.has_injected.store(true, Ordering::Release);
        if let Some(unparker) = &queue.unparker {
            unparker.unpark();
        }
        Ok(())
    }

    /// Send a task spawned on another thread to the loop and interrupt its
    /// park. A closed loop hands the task back.
    pub(super) fn inject_spawn(&self, task: RemoteTask) -> Result<(), RemoteTask> {
        let mut queue = self.lock();
        if queue.closed {
            return Err(task);
        }
        queue.spawned.push(task);
        self.has_injected.store(true, Ordering::Release);
        if let Some(unparker) = &queue.unparker {
            unparker.unpark();
        }
        Ok(())
    }

    /// True once the loop has shut down (a spawn would be refused).
    pub(super) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Interrupt the loop's park (from any thread).
    pub(super) fn unpark(&self) {
        if let Some(unparker) = &self.lock().unparker {
            unparker.unpark();
        }
    }

    /// Move every injected wake into `local`, and every spawned task into
    /// `spawned`.
    pub(super) fn drain_into(&self, local: &mut VecDeque<Runnable>, spawned: &mut Vec<RemoteTask>) {
        if !self.has_injected.swap(false, Ordering::Acquire) {
            return;
        }
        let mut queue = self.lock();
        local.extend(queue.runnables.drain(..));
        spawned.append(&mut queue.spawned);
    }

    /// Refuse further injections; return what was queued.
    pub(super) fn close(&self) -> (VecDeque<Runnable>, Vec<RemoteTask>) {
        let mut queue = self.lock();
        queue.closed = true;
        (
            std::mem::take(&mut queue.runnables),
            std::mem::take(&mut queue.spawned),
        )
    }
}
