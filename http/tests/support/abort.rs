//! Cancelling a future after a given number of polls: how the tests abort
//! a request at every await point.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Polls the inner future at most `budget` times; on the poll after that
/// it drops the future (the abort) and returns `None`.
pub struct AbortAfter<F> {
    fut: Option<Pin<Box<F>>>,
    budget: usize,
}

impl<F> AbortAfter<F> {
    /// `fut`, dropped unfinished on its poll number `budget + 1`.
    pub fn new(fut: F, budget: usize) -> AbortAfter<F> {
        AbortAfter {
            fut: Some(Box::pin(fut)),
            budget,
        }
    }
}

impl<F: Future> Future for AbortAfter<F> {
    type Output = Option<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.budget == 0 {
            self.fut = None;
            return Poll::Ready(None);
        }
        self.budget -= 1;
        let fut = self.fut.as_mut().expect("polled after completion");
        match fut.as_mut().poll(cx) {
            Poll::Ready(out) => {
                self.fut = None;
                Poll::Ready(Some(out))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}
