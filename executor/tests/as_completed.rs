//! `as_completed`: finishing order (driven by signals set in a chosen order),
//! the `Stream` impl, cancellation on drop, panics, cancel-safe `next`.

use aio_executor::{as_completed, block_on, live_tasks, yield_now, AsCompleted};
use futures_core::Stream;
use std::cell::Cell;
use std::future::{pending, poll_fn, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::Poll;

mod support;

use support::{DropFlag, Signal};

/// Three futures, each giving its index once its signal is set.
fn signalled(signals: &[Signal]) -> AsCompleted<usize> {
    as_completed(
        signals
            .iter()
            .cloned()
            .enumerate()
            .map(|(index, signal)| async move {
                signal.wait().await;
                index
            }),
    )
}

/// Polls the stream once through its `Stream` impl.
fn poll_stream<S: Stream + Unpin>(stream: &mut S) -> impl Future<Output = Option<S::Item>> + '_ {
    poll_fn(move |cx| Pin::new(&mut *stream).poll_next(cx))
}

/// Gives the loop up to `turns` turns to finish every task; true once none
/// is left (a fact, not a sleep; bounded so that a broken build fails rather
/// than hangs).
async fn no_tasks_left_within_turns(turns: usize) -> bool {
    for _ in 0..turns {
        if live_tasks() == Some(0) {
            return true;
        }
        yield_now().await;
    }
    live_tasks() == Some(0)
}

#[test]
fn outputs_come_in_the_order_their_futures_finish() {
    block_on(async {
        let signals = [Signal::default(), Signal::default(), Signal::default()];
        let mut finished = signalled(&signals);
        signals[2].set();
        assert_eq!(finished.next().await, Some(2));
        signals[0].set();
        assert_eq!(finished.next().await, Some(0));
        signals[1].set();
        assert_eq!(finished.next().await, Some(1));
        assert_eq!(finished.next().await, None);
        assert_eq!(finished.next().await, None, "stays done");
    });
}

#[test]
fn outputs_that_finished_before_anyone_asked_keep_their_finishing_order() {
    block_on(async {
        let started = [Signal::default(), Signal::default(), Signal::default()];
        let signals = [Signal::default(), Signal::default(), Signal::default()];
        let futures = (0..3).map(|index| {
            let (started, signal) = (started[index].clone(), signals[index].clone());
            async move {
                started.set();
                signal.wait().await;
                index
            }
        });
        let mut finished = as_completed(futures);
        for signal in &started {
            signal.wait().await;
        }
        for index in [1, 2, 0] {
            signals[index].set();
        }
        // Every task has finished before the first `next`.
        assert!(no_tasks_left_within_turns(10).await);
        let mut order = Vec::new();
        while let Some(index) = finished.next().await {
            order.push(index);
        }
        assert_eq!(order, [1, 2, 0]);
    });
}

#[test]
fn the_stream_impl_gives_the_same_outputs_and_an_exact_size_hint() {
    block_on(async {
        let signals = [Signal::default(), Signal::default()];
        let mut finished = signalled(&signals);
        assert_eq!(finished.size_hint(), (2, Some(2)));
        signals[1].set();
        assert_eq!(poll_stream(&mut finished).await, Some(1));
        assert_eq!(finished.size_hint(), (1, Some(1)));
        assert_eq!(finished.remaining(), 1);
        signals[0].set();
        assert_eq!(poll_stream(&mut finished).await, Some(0));
        assert_eq!(poll_stream(&mut finished).await, None);
        assert_eq!(finished.size_hint(), (0, Some(0)));
    });
}

#[test]
fn no_futures_means_none_at_once() {
    block_on(async {
        let mut finished = as_completed(Vec::<std::future::Ready<u8>>::new());
        let mut next = pin!(finished.next());
        let polled = poll_fn(|cx| Poll::Ready(next.as_mut().poll(cx))).await;
        assert_eq!(polled, Poll::Ready(None));
    });
}

#[test]
fn dropping_it_cancels_the_futures_that_have_not_finished() {
    block_on(async {
        let flags: Vec<Rc<Cell<bool>>> = (0..3).map(|_| Rc::new(Cell::new(false))).collect();
        let go = Signal::default();
        let futures = flags.iter().enumerate().map(|(index, dropped)| {
            let guard = DropFlag(Rc::clone(dropped));
            let go = go.clone();
            async move {
                let _guard = guard;
                if index == 0 {
                    go.wait().await;
                } else {
                    pending::<()>().await;
                }
                index
            }
        });
        let mut finished = as_completed(futures);
        go.set();
        // The first to finish is the one homogeneous race winner.
        assert_eq!(finished.next().await, Some(0));
        assert!(flags[0].get());
        assert!(!flags[1].get() && !flags[2].get());
        drop(finished);
        // The aborted tasks drop their futures at the loop's next turn.
        assert!(no_tasks_left_within_turns(10).await);
        assert!(flags[1].get() && flags[2].get());
    });
}

#[test]
fn a_panic_is_resumed_by_the_next_that_reaches_it_and_the_rest_still_come() {
    block_on(async {
        let signals = [Signal::default(), Signal::default()];
        let futures = signals
            .iter()
            .cloned()
            .enumerate()
            .map(|(index, signal)| async move {
                signal.wait().await;
                if index == 0 {
                    panic!("future 0 failed");
                }
                index
            });
        let mut finished = as_completed(futures);
        signals[0].set();
        let caught = poll_fn(|cx| {
            match catch_unwind(AssertUnwindSafe(|| Pin::new(&mut finished).poll_next(cx))) {
                Ok(Poll::Pending) => Poll::Pending,
                Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
                Err(payload) => Poll::Ready(Err(payload)),
            }
        })
        .await;
        let payload = caught.unwrap_err();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"future 0 failed"));
        signals[1].set();
        assert_eq!(finished.next().await, Some(1));
        assert_eq!(finished.next().await, None);
    });
}

#[test]
fn a_next_dropped_while_waiting_loses_no_output() {
    block_on(async {
        let signals = [Signal::default()];
        let mut finished = signalled(&signals);
        {
            let mut next = pin!(finished.next());
            let polled = poll_fn(|cx| Poll::Ready(next.as_mut().poll(cx))).await;
            assert_eq!(polled, Poll::Pending);
        }
        signals[0].set();
        assert_eq!(finished.next().await, Some(0));
    });
}

#[test]
fn outputs_cancelled_by_loop_shutdown_end_the_stream() {
    // Read in a second loop: the first one shut down with one future
    // finished and one cancelled. On a thread, so that a regression (a
    // next() that waits forever) fails the test instead of hanging it.
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut finished = block_on(async {
            let finished = as_completed([
                Box::pin(async { 1u8 }) as Pin<Box<dyn Future<Output = u8>>>,
                Box::pin(pending()),
            ]);
            yield_now().await; // the first one finishes
            finished
        });
        let outputs = block_on(async { (finished.next().await, finished.next().await) });
        sender.send(outputs).unwrap();
    });
    let outputs = receiver
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("next() returned");
    assert_eq!(outputs, (Some(1), None));
}
