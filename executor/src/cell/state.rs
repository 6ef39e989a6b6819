//! The task state word: lifecycle flags and a reference count in one atomic.
//!
//! Every transition is a single compare-and-swap (or fetch-op) so that a
//! waker on another thread, the loop thread polling the task, and a
//! `JoinHandle` being aborted or dropped can race without a lock. Each
//! transition returns a typed answer telling the caller what it now owns.
//!
//! Bits and their invariants:
//! - `SCHEDULED`: a wake has been recorded and not yet consumed by a poll.
//!   While the task is idle this means exactly one `Runnable` exists for it;
//!   while it is running it means "poll again": the runner re-queues itself.
//! - `RUNNING`: the loop thread is polling (or cancelling) the future. Only
//!   the holder of the `Runnable` sets it, so at most one poll is in flight.
//! - `COMPLETE`: the future is gone (finished, panicked or cancelled) and the
//!   stage holds the output or nothing. Never cleared.
//! - `CANCELLED`: abort was requested; the next run drops the future instead
//!   of polling it.
//! - `JOIN_INTEREST`: a `JoinHandle` exists and will take the output. Whoever
//!   clears it, or completes the task without it, drops the output.
//! - `JOIN_WAKER`: the join waker slot holds a waker. While clear, only the
//!   `JoinHandle` touches the slot; while set and not `COMPLETE`, nobody
//!   writes it; once `COMPLETE`, only the completer reads it.
//! - The bits above `REF_ONE` count references: the owned-task set, each
//!   queued `Runnable`, each `Waker`, and the `JoinHandle`. The last one
//!   out frees the allocation.

#[cfg(loom)]
use loom::sync::atomic::AtomicUsize;
#[cfg(not(loom))]
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};

pub(crate) const SCHEDULED: usize = 1 << 0;
pub(crate) const RUNNING: usize = 1 << 1;
pub(crate) const COMPLETE: usize = 1 << 2;
pub(crate) const CANCELLED: usize = 1 << 3;
pub(crate) const JOIN_INTEREST: usize = 1 << 4;
pub(crate) const JOIN_WAKER: usize = 1 << 5;
pub(crate) const REF_ONE: usize = 1 << 6;
const REF_MASK: usize = !(REF_ONE - 1);

/// What the runner must do after trying to start a poll.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum StartRun {
    /// Poll the future.
    Poll,
    /// Drop the future: the task was aborted.
    Cancel,
    /// The task already finished; just release the runnable's reference.
    Done,
}

/// What the runner must do after a poll returned `Pending`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum AfterPending {
    /// Nothing woke it meanwhile: release the runnable's reference.
    Idle,
    /// It was woken (or aborted) while running: queue the runnable again.
    Reschedule,
}

/// What a waker must do.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum WakeAction {
    /// Submit a new `Runnable` (a reference was already taken for it).
    Submit,
    /// Nothing: already scheduled, running (it will re-queue), or finished.
    Nothing,
}

/// The atomic state of one task.
pub(crate) struct State {
    word: AtomicUsize,
}

/// A snapshot of the state word.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Snapshot(pub(crate) usize);

impl Snapshot {
    pub(crate) fn has(self, bit: usize) -> bool {
        self.0 & bit != 0
    }
    pub(crate) fn refs(self) -> usize {
        (self.0 & REF_MASK) / REF_ONE
    }
}

impl State {
    /// A new task: scheduled (its first `Runnable` is about to be queued),
    /// with a `JoinHandle`, and three references: owned set, runnable, handle.
    pub(crate) fn new() -> State {
        State {
            word: AtomicUsize::new(SCHEDULED | JOIN_INTEREST | (3 * REF_ONE)),
        }
    }

    pub(crate) fn load(&self) -> Snapshot {
        Snapshot(self.word.load(Acquire))
    }

    /// Apply `f` until the CAS succeeds; `f` returns the new word (or None to
    /// leave it) and a value for the caller.
    fn update<R>(&self, mut f: impl FnMut(usize) -> (Option<usize>, R)) -> R {
        let mut current = self.word.load(Acquire);
        loop {
            let (next, result) = f(current);
            let Some(next) = next else { return result };
            match self
                .word
                .compare_exchange_weak(current, next, AcqRel, Acquire)
            {
                Ok(_) => return result,
                Err(actual) => current = actual,
            }
        }
    }

    /// The runner (holding a `Runnable`) consumes the wake and claims the task.
    pub(crate) fn start_run(&self) -> StartRun {
        self.update(|s| {
            debug_assert!(s & RUNNING == 0, "a task is never run twice at once");
            if s & COMPLETE != 0 {
                return (None, StartRun::Done);
            }
            let next = (s & !SCHEDULED) | RUNNING;
            let action = if s & CANCELLED != 0 {
                StartRun::Cancel
            } else {
                StartRun::Poll
            };
            (Some(next), action)
        })
    }

    /// The future returned `Pending`. On `Idle` the runnable's reference is
    /// released in the same atomic step (the owned set still holds one, so
    /// this never frees the task); on `Reschedule` it is kept for the
    /// re-queued runnable.
    pub(crate) fn finish_pending(&self) -> AfterPending {
        self.update(|s| {
            debug_assert!(s & RUNNING != 0);
            if s & (SCHEDULED | CANCELLED) != 0 {
                // Make sure the flag that means "a runnable exists" is set.
                (Some((s & !RUNNING) | SCHEDULED), AfterPending::Reschedule)
            } else {
                debug_assert!(Snapshot(s).refs() >= 2, "the owned set holds a reference");
                (Some((s & !RUNNING) - REF_ONE), AfterPending::Idle)
            }
        })
    }

    /// The future is gone and the output (if any) is stored. Returns the
    /// snapshot before the transition, which says whether a `JoinHandle`
    /// still wants the output and whether a join waker is registered.
    pub(crate) fn complete(&self) -> Snapshot {
        let prev = self.word.fetch_xor(RUNNING | COMPLETE, AcqRel);
        debug_assert!(prev & RUNNING != 0 && prev & COMPLETE == 0);
        Snapshot(prev)
    }

    /// A waker fired by value: its reference either moves into the new
    /// `Runnable` or is released, in the same atomic step as the wake.
    /// Returns what to do, and whether that was the last reference.
    pub(crate) fn wake_by_val(&self) -> (WakeAction, bool) {
        self.update(|s| {
            if s & (COMPLETE | SCHEDULED | RUNNING) == 0 {
                // Idle: the waker's reference becomes the runnable's.
                return (Some(s | SCHEDULED), (WakeAction::Submit, false));
            }
            // Nothing to queue (finished, already queued, or running and
            // re-queued by its runner); always write, for the reason given
            // in `wake`, and give the waker's reference back.
            let mut next = s - REF_ONE;
            if s & (COMPLETE | SCHEDULED) == 0 {
                next |= SCHEDULED;
            }
            let last = next & REF_MASK == 0;
            (Some(next), (WakeAction::Nothing, last))
        })
    }

    /// A waker fired. Consumes nothing; takes a reference when it asks for a
    /// new `Runnable`.
    pub(crate) fn wake(&self) -> WakeAction {
        self.update(|s| {
            if s & COMPLETE != 0 {
                (None, WakeAction::Nothing)
            } else if s & SCHEDULED != 0 {
                // Already queued, but still write (the same value): a plain
                // load could read a stale word, and only a read-modify-write
                // that the runner's `start_run` then reads from publishes what
                // the waker did before waking (loom found this store-buffering
                // lost wakeup).
                (Some(s), WakeAction::Nothing)
            } else if s & RUNNING != 0 {
                // The runner sees SCHEDULED when it finishes and re-queues.
                (Some(s | SCHEDULED), WakeAction::Nothing)
            } else {
                (Some((s | SCHEDULED) + REF_ONE), WakeAction::Submit)
            }
        })
    }

    /// Abort requested (from the handle, or at shutdown).
    pub(crate) fn cancel(&self) -> WakeAction {
        self.update(|s| {
            if s & COMPLETE != 0 || (s & CANCELLED != 0 && s & SCHEDULED != 0) {
                (None, WakeAction::Nothing)
            } else if s & (RUNNING | SCHEDULED) != 0 {
                (Some(s | CANCELLED | SCHEDULED), WakeAction::Nothing)
            } else {
                (
                    Some((s | CANCELLED | SCHEDULED) + REF_ONE),
                    WakeAction::Submit,
                )
            }
        })
    }

    /// Shutdown takes an idle task's future directly on the loop thread,
    /// without a `Runnable`. Returns false when the task already completed.
    pub(crate) fn claim_for_shutdown(&self) -> bool {
        self.update(|s| {
            debug_assert!(s & RUNNING == 0, "nothing runs during shutdown");
            if s & COMPLETE != 0 {
                (None, false)
            } else {
                (Some(s | RUNNING | CANCELLED), true)
            }
        })
    }

    /// The `JoinHandle` is dropped. Returns true when the task had completed,
    /// so the handle must drop the output itself.
    pub(crate) fn drop_join_interest(&self) -> bool {
        let prev = self.word.fetch_and(!JOIN_INTEREST, AcqRel);
        prev & COMPLETE != 0
    }

    /// The handle stored a waker in the slot and publishes it. Fails (returns
    /// the snapshot) when the task completed first; the slot is then the
    /// handle's again.
    pub(crate) fn set_join_waker(&self) -> Result<(), Snapshot> {
        self.update(|s| {
            debug_assert!(s & JOIN_WAKER == 0);
            if s & COMPLETE != 0 {
                (None, Err(Snapshot(s)))
            } else {
                (Some(s | JOIN_WAKER), Ok(()))
            }
        })
    }

    /// The handle wants to replace its waker: take the slot back. Fails when
    /// the task completed (the completer may be reading the slot).
    pub(crate) fn unset_join_waker(&self) -> Result<(), Snapshot> {
        self.update(|s| {
            debug_assert!(s & JOIN_WAKER != 0);
            if s & COMPLETE != 0 {
                (None, Err(Snapshot(s)))
            } else {
                (Some(s & !JOIN_WAKER), Ok(()))
            }
        })
    }

    pub(crate) fn ref_inc(&self) {
        let prev = self.word.fetch_add(REF_ONE, Relaxed);
        // A count this large means references are leaking in a loop; abort
        // rather than overflow into the flag bits.
        if prev > usize::MAX / 2 {
            std::process::abort();
        }
    }

    /// Drop one reference; true when it was the last.
    pub(crate) fn ref_dec(&self) -> bool {
        let prev = self.word.fetch_sub(REF_ONE, AcqRel);
        debug_assert!(Snapshot(prev).refs() >= 1);
        prev & REF_MASK == REF_ONE
    }
}
