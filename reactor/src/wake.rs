//! Waking foreign wakers without letting their panics unwind into the reactor.
//!
//! A waker is code from another crate (the executor's, or a hand-written one
//! a future was polled with). The reactor wakes whole batches of them at the
//! end of `turn`, at shutdown, and on blocking-pool threads; one that panics
//! must neither unwind out of `turn` (taking the loop and every task on it
//! down for one waker's bug) nor cost the wakers after it in the batch their
//! wake-up (their tasks would hang).
//!
//! What becomes of the panic: the panic hook has already reported it (with
//! its location) by the time it is caught; this module adds one line on
//! stderr saying the reactor contained it, then drops the payload. It is not
//! resumed after the batch: resuming would unwind out of `turn` all the same,
//! and the reactor's bookkeeping gains nothing from it. The task whose waker
//! panicked may never be woken again; that is the panicking waker's bug, and
//! the stderr line names it as the likely cause of such a hang.

use std::any::Any;
use std::io::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::task::Waker;

/// Wake `waker`, containing a panic from it (see the module doc).
#[inline]
pub(crate) fn wake(waker: Waker) {
    // AssertUnwindSafe: the closure owns the waker, which is consumed either
    // way, and no state of ours is borrowed or locked while it runs.
    if let Err(payload) = catch_unwind(AssertUnwindSafe(|| waker.wake())) {
        contained(payload);
    }
}

/// Wake every waker in `wakers`, leaving it empty (its capacity kept for the
/// next batch). A panicking waker does not stop the ones after it.
pub(crate) fn wake_all(wakers: &mut Vec<Waker>) {
    for waker in wakers.drain(..) {
        wake(waker);
    }
}

#[cold]
#[inline(never)]
fn contained(payload: Box<dyn Any + Send>) {
    let msg = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("<non-string panic payload>");
    // Not eprintln!: it panics if stderr is closed, which would unwind anyway.
    let _ = writeln!(
        std::io::stderr(),
        "aio reactor: a waker panicked while being woken ({msg}); the panic was \
         contained and the event loop goes on, but that waker's task may never \
         be woken again"
    );
    // Dropping the payload runs foreign code too; a payload whose Drop panics
    // is leaked rather than let unwind.
    if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        std::mem::forget(again);
    }
}
