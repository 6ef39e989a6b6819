//! A one-shot fact that one side sets and the other awaits: how a test waits
//! for another task or thread to reach a point, instead of sleeping and
//! hoping it got there.

use std::future::poll_fn;
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};

/// Cheap to clone; every clone sees the same fact.
#[derive(Clone, Default)]
pub struct Signal(Arc<Mutex<State>>);

#[derive(Default)]
struct State {
    set: bool,
    waiters: Vec<Waker>,
}

impl Signal {
    pub fn new() -> Signal {
        Signal::default()
    }

    /// Records the fact and wakes every waiter (from any thread).
    pub fn set(&self) {
        let waiters = {
            let mut state = self.0.lock().unwrap();
            state.set = true;
            std::mem::take(&mut state.waiters)
        };
        waiters.into_iter().for_each(Waker::wake);
    }

    pub fn is_set(&self) -> bool {
        self.0.lock().unwrap().set
    }

    /// Completes once `set` has been called.
    pub async fn wait(&self) {
        poll_fn(|cx| {
            let mut state = self.0.lock().unwrap();
            if state.set {
                return Poll::Ready(());
            }
            if !state.waiters.iter().any(|w| w.will_wake(cx.waker())) {
                state.waiters.push(cx.waker().clone());
            }
            Poll::Pending
        })
        .await
    }

    /// Blocks a plain thread until `set` has been called.
    pub fn wait_blocking(&self) {
        let thread = std::thread::current();
        let waker = Waker::from(Arc::new(ThreadWaker(thread)));
        loop {
            {
                let mut state = self.0.lock().unwrap();
                if state.set {
                    return;
                }
                state.waiters.push(waker.clone());
            }
            std::thread::park();
        }
    }
}

struct ThreadWaker(std::thread::Thread);

impl std::task::Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}
