//! A thread-parking `block_on` and a two-future `join2`, so tests need no
//! runtime. `block_on` panics if the future is not woken for
//! [`STALL_LIMIT`]: a lost wakeup or a deadlock fails the test instead of
//! hanging it.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

/// How long `block_on` waits for a wakeup before declaring the test stuck.
pub const STALL_LIMIT: Duration = Duration::from_secs(20);

struct ThreadWaker {
    thread: Thread,
    woken: AtomicBool,
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // Set the flag before unparking so the parked thread cannot miss it.
        self.woken.store(true, Ordering::Release);
        self.thread.unpark();
    }
}

/// Runs `fut` to completion on this thread, parking while it is pending.
/// Polls again only after a wake, so a future that forgets to arrange its
/// wakeup stalls and panics.
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let state = Arc::new(ThreadWaker {
        thread: thread::current(),
        woken: AtomicBool::new(false),
    });
    let waker = Waker::from(Arc::clone(&state));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
        let deadline = Instant::now() + STALL_LIMIT;
        // park() may return spuriously: wait for the flag itself.
        while !state.woken.swap(false, Ordering::Acquire) {
            let now = Instant::now();
            assert!(
                now < deadline,
                "block_on: no wakeup for {STALL_LIMIT:?} (lost wakeup or deadlock)"
            );
            thread::park_timeout(deadline - now);
        }
    }
}

/// Polls both futures (on every wake) until both are done.
pub async fn join2<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let mut a = pin!(a);
    let mut b = pin!(b);
    let mut out_a = None;
    let mut out_b = None;
    poll_fn(move |cx| {
        if out_a.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(cx) {
                out_a = Some(v);
            }
        }
        if out_b.is_none() {
            if let Poll::Ready(v) = b.as_mut().poll(cx) {
                out_b = Some(v);
            }
        }
        match (out_a.is_some(), out_b.is_some()) {
            (true, true) => Poll::Ready((out_a.take().unwrap(), out_b.take().unwrap())),
            _ => Poll::Pending,
        }
    })
    .await
}
