//! What the structured-concurrency tests (task groups, as_completed,
//! select) share: a fact futures can wait for, and a flag a destructor sets.

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::rc::Rc;
use std::task::{Poll, Waker};

/// A fact futures can wait for: set once, then every wait returns.
#[derive(Clone, Default)]
pub struct Signal(Rc<RefCell<(bool, Vec<Waker>)>>);

impl Signal {
    pub fn set(&self) {
        let waiters = {
            let mut state = self.0.borrow_mut();
            state.0 = true;
            std::mem::take(&mut state.1)
        };
        for waiter in waiters {
            waiter.wake();
        }
    }

    #[allow(dead_code)] // Not every test file asks.
    pub fn is_set(&self) -> bool {
        self.0.borrow().0
    }

    pub fn wait(&self) -> impl Future<Output = ()> {
        let signal = self.clone();
        poll_fn(move |cx| {
            let mut state = signal.0.borrow_mut();
            if state.0 {
                Poll::Ready(())
            } else {
                state.1.push(cx.waker().clone());
                Poll::Pending
            }
        })
    }
}

/// Sets its flag when dropped: the destructor of the future holding it ran.
pub struct DropFlag(pub Rc<Cell<bool>>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

/// A fresh, unset flag for a [`DropFlag`].
#[allow(dead_code)] // Not every test file needs one.
pub fn flag() -> Rc<Cell<bool>> {
    Rc::new(Cell::new(false))
}
