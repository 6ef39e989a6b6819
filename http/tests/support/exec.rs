//! `block_on` for tests that need no reactor (TLS over an in-memory pipe):
//! `aio_executor`'s own executor, so it polls exactly as the runtime does
//! (the main future only after a wake), on a parker with a watchdog: a
//! future that is not woken for [`STALL_LIMIT`] (a lost wakeup, a deadlock)
//! fails the test instead of hanging it. `aio_executor::block_on` itself
//! parks without a limit. Plus a two-future `join2`.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use aio_executor::{Executor, Park, ThreadPark, Unpark};

/// How long `block_on` waits for a wakeup before declaring the test stuck.
pub const STALL_LIMIT: Duration = Duration::from_secs(20);

/// Runs `fut` to completion on `aio_executor`'s executor; panics after
/// [`STALL_LIMIT`] without a wakeup.
pub fn block_on<F: Future>(fut: F) -> F::Output {
    block_on_within(STALL_LIMIT, fut)
}

/// [`block_on`] with another stall limit.
pub fn block_on_within<F: Future>(stall_limit: Duration, fut: F) -> F::Output {
    let mut executor = Executor::enter().expect("no loop is running on this thread");
    let output = executor.block_on(fut, &mut Watchdog(ThreadPark::new(), stall_limit));
    executor.shutdown();
    output
}

/// A [`ThreadPark`] that never blocks for good: an unbounded park that
/// lasts the stall limit means nothing will ever wake the future.
struct Watchdog(ThreadPark, Duration);

impl Park for Watchdog {
    fn park(&mut self, timeout: Option<Duration>) {
        let limit = self.1;
        let started = Instant::now();
        self.0.park(Some(timeout.unwrap_or(limit)));
        assert!(
            timeout.is_some() || started.elapsed() < limit,
            "block_on: no wakeup for {limit:?} (lost wakeup or deadlock)"
        );
    }

    fn unparker(&self) -> Arc<dyn Unpark> {
        self.0.unparker()
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
