//! Polling futures by hand, with a waker that counts its wakes, so a test
//! can stop a waiter at an exact point (parked, granted but not yet polled
//! again) and see whether, and how often, it was woken.

#![allow(dead_code)] // Each test file uses a different part.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

#[derive(Default)]
pub struct WakeCounter {
    wakes: AtomicUsize,
}

impl Wake for WakeCounter {
    fn wake(self: Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
    }
}

/// A future that the test polls itself, with its own counting waker.
pub struct ByHand<F: Future> {
    future: Pin<Box<F>>,
    counter: Arc<WakeCounter>,
    waker: Waker,
}

impl<F: Future> ByHand<F> {
    pub fn new(future: F) -> Self {
        let counter = Arc::new(WakeCounter::default());
        ByHand {
            future: Box::pin(future),
            waker: Waker::from(Arc::clone(&counter)),
            counter,
        }
    }

    pub fn poll(&mut self) -> Poll<F::Output> {
        self.future
            .as_mut()
            .poll(&mut Context::from_waker(&self.waker))
    }

    /// Poll, expecting it to wait.
    #[track_caller]
    pub fn pending(&mut self) {
        assert!(self.poll().is_pending(), "expected the future to wait");
    }

    /// Poll, expecting it to be done.
    #[track_caller]
    pub fn ready(&mut self) -> F::Output {
        match self.poll() {
            Poll::Ready(output) => output,
            Poll::Pending => panic!("expected the future to be done"),
        }
    }

    /// Its counting waker, to poll another future with.
    pub fn waker(&self) -> Waker {
        self.waker.clone()
    }

    /// How many times its waker was woken.
    pub fn wakes(&self) -> usize {
        self.counter.wakes.load(Ordering::SeqCst)
    }
}

/// Counts how many values were dropped, to see that none is lost or leaked.
#[derive(Debug, Clone, Default)]
pub struct DropCount(Arc<AtomicUsize>);

impl DropCount {
    pub fn item(&self, value: u32) -> Tracked {
        Tracked {
            value,
            drops: self.clone(),
        }
    }

    pub fn dropped(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

#[derive(Debug)]
pub struct Tracked {
    pub value: u32,
    drops: DropCount,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops.0.fetch_add(1, Ordering::SeqCst);
    }
}

pub fn assert_send<T: Send>(_: &T) {}
