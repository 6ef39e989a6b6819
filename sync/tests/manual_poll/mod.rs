//! Shared by the primitives' tests: poll a future by hand, with a waker
//! that counts its wakes, to stop a waiter at an exact point (queued,
//! granted but not yet polled, ...).

#![allow(dead_code)] // each test file uses a different part

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// A waker that counts how often it was woken.
#[derive(Clone, Default)]
pub struct CountingWaker {
    wakes: Arc<Counter>,
}

#[derive(Default)]
struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl CountingWaker {
    pub fn new() -> CountingWaker {
        CountingWaker::default()
    }

    pub fn wakes(&self) -> usize {
        self.wakes.0.load(Ordering::SeqCst)
    }

    pub fn waker(&self) -> Waker {
        Waker::from(Arc::clone(&self.wakes))
    }

    /// Poll `future` once with this waker.
    pub fn poll<F: Future + ?Sized>(&self, future: Pin<&mut F>) -> Poll<F::Output> {
        let waker = self.waker();
        future.poll(&mut Context::from_waker(&waker))
    }
}

/// Poll once with a fresh counting waker; returns the waker to check wakes.
pub fn poll_once<F: Future + ?Sized>(future: Pin<&mut F>) -> (Poll<F::Output>, CountingWaker) {
    let waker = CountingWaker::new();
    let poll = waker.poll(future);
    (poll, waker)
}

/// Compile-time check: the argument is `Send`.
pub fn assert_send<T: Send>(_: &T) {}

/// Compile-time check: the argument is `Send` and `Sync`.
pub fn assert_send_sync<T: Send + Sync>(_: &T) {}

/// Let other tasks run until `fact` holds; false if it still does not after
/// many turns of the loop (so a broken primitive fails the test instead of
/// hanging it). Counts loop turns, never time.
pub async fn yield_until(mut fact: impl FnMut() -> bool) -> bool {
    for _ in 0..10_000 {
        if fact() {
            return true;
        }
        aio_executor::yield_now().await;
    }
    fact()
}
