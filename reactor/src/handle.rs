//! State shared between the loop-owned [`Reactor`](crate::Reactor) and every
//! socket, timer and job created on it (sockets are `Send + Sync`, so this is too).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use crate::blocking::pool::BlockingPool;
use crate::registration::IoState;
use crate::timer::TimerQueue;
use crate::unpark::Unparker;

/// The reactor's shared state, and the home of its lock order.
///
/// # Lock order
///
/// `io` before a socket's wakers (`ScheduledIo::wakers`, in registration):
/// `turn` dispatches a batch of events, and shutdown marks every socket dead,
/// under `io`, taking each socket's wakers as it goes. Never the other way
/// round: `ScheduledIo::poll_ready` locks a socket's wakers with nothing else
/// held, and nothing is locked while a socket's wakers are.
///
/// That is the only nesting. Every other lock is a leaf, taken with no other
/// lock held and taking none itself: `timers` (`turn` locks it before and
/// after `io`, never inside), the blocking pool's state, a blocking job's
/// result slot, and the unparker's eventfd.
///
/// Under none of them is a waker woken or dropped: wakers are moved out and
/// woken (or dropped) after unlocking, because a waker may re-enter the
/// reactor, and dropping one may drop a task whose sockets lock `io` in their
/// `Drop`. (Storing a waker does clone it under a socket's wakers or under
/// `timers`; `Waker::clone` is the one piece of foreign code run under a lock.)
pub(crate) struct Handle {
    /// The registration slab and a clone of the mio registry; locked only on
    /// register/deregister and once per `turn` to dispatch a batch of events.
    /// Lock order: before a socket's wakers, see above.
    pub(crate) io: Mutex<IoState>,
    /// Pending timers. A leaf lock.
    pub(crate) timers: Mutex<TimerQueue>,
    pub(crate) blocking: BlockingPool,
    pub(crate) unparker: Unparker,
    /// Whether the process-wide signal wake-up socket is registered with this
    /// reactor's poll (set once, under `io`, by the first signal listener).
    pub(crate) signal_source: AtomicBool,
    /// This reactor's number, unique in the process (see
    /// [`current_loop_id`](crate::current_loop_id)).
    pub(crate) loop_id: u64,
}

/// Numbers the reactors of the process; 0 is never given out.
static NEXT_LOOP_ID: AtomicU64 = AtomicU64::new(1);

/// A number no other reactor of this process has or will have.
pub(crate) fn next_loop_id() -> u64 {
    // Relaxed: only uniqueness matters, and fetch_add gives it.
    NEXT_LOOP_ID.fetch_add(1, Ordering::Relaxed)
}
