//! Giving other tasks a turn.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Let every other ready task run once before this one continues, like
/// `await asyncio.sleep(0)`.
///
/// ```
/// aio_executor::block_on(async {
///     aio_executor::yield_now().await;
/// });
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future returned by [`yield_now`].
///
/// ```
/// use std::rc::Rc;
/// use std::cell::Cell;
///
/// aio_executor::block_on(async {
///     let ran = Rc::new(Cell::new(false));
///     let other = aio_executor::spawn({
///         let ran = Rc::clone(&ran);
///         async move { ran.set(true) }
///     });
///     aio_executor::yield_now().await; // the other task runs meanwhile
///     assert!(ran.get());
///     other.await.unwrap();
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        // Waking while running puts the task at the back of the run queue.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
