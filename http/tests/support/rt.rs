//! `run(fut)`: the facade's `aio::run` rebuilt from its parts (the http crate
//! cannot depend on the facade, which depends on it): executor + reactor,
//! joined through the park seam, torn down in the same order.

use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use aio_executor::{Executor, Park, Unpark};
use aio_reactor::{Reactor, Unparker};

/// Runs `future` on a fresh event loop, like `aio::run`.
pub fn run<F: Future>(future: F) -> F::Output {
    let mut executor = Executor::enter().expect("no loop is running on this thread");
    let mut reactor = Reactor::new().expect("create the reactor");
    let entered = reactor.enter();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        executor.block_on(future, &mut ReactorPark(&mut reactor))
    }));
    executor.shutdown();
    drop(entered);
    reactor.shutdown(Duration::from_secs(5));
    outcome.unwrap_or_else(|panic| resume_unwind(panic))
}

struct ReactorPark<'a>(&'a mut Reactor);

impl Park for ReactorPark<'_> {
    fn park(&mut self, timeout: Option<Duration>) {
        self.0.turn(timeout);
    }

    fn unparker(&self) -> Arc<dyn Unpark> {
        Arc::new(ReactorUnpark(self.0.unparker()))
    }
}

struct ReactorUnpark(Unparker);

impl Unpark for ReactorUnpark {
    fn unpark(&self) {
        self.0.unpark();
    }
}
