//! Barrier: rounds of `parties` waiters with one leader each, reuse, and
//! the documented cancellation rule (a waiter cancelled before its round
//! completes takes its arrival back).

mod poll_by_hand;

use aio_sync::Barrier;
use poll_by_hand::{assert_send, ByHand};
use std::sync::Arc;

#[test]
fn the_last_arrival_releases_the_round_and_leads() {
    let barrier = Barrier::new(3);
    assert_eq!(barrier.parties(), 3);
    let mut first = ByHand::new(barrier.wait());
    let mut second = ByHand::new(barrier.wait());
    first.pending();
    first.pending(); // polling again does not arrive twice
    assert_eq!(barrier.n_waiting(), 1);
    second.pending();
    assert_eq!(barrier.n_waiting(), 2);
    let mut last = ByHand::new(barrier.wait());
    assert!(last.ready().is_leader());
    assert_eq!(barrier.n_waiting(), 0);
    assert_eq!((first.wakes(), second.wakes()), (1, 1));
    assert!(!first.ready().is_leader());
    assert!(!second.ready().is_leader());
}

#[test]
fn one_party_never_waits() {
    let barrier = Barrier::new(1);
    for _ in 0..3 {
        assert!(ByHand::new(barrier.wait()).ready().is_leader());
    }
}

#[test]
#[should_panic(expected = "parties must be at least 1")]
fn zero_parties_is_refused() {
    let _ = Barrier::new(0);
}

#[test]
fn the_barrier_is_reused_round_after_round_on_the_executor() {
    aio_executor::block_on(async {
        let barrier = Arc::new(Barrier::new(4));
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let barrier = Arc::clone(&barrier);
                aio_executor::spawn(async move {
                    let mut leads = 0;
                    for _ in 0..5 {
                        leads += usize::from(barrier.wait().await.is_leader());
                        aio_executor::yield_now().await;
                    }
                    leads
                })
            })
            .collect();
        let mut leaders = 0;
        for task in tasks {
            leaders += task.await.unwrap();
        }
        assert_eq!(leaders, 5, "exactly one leader per round");
    });
}

#[test]
fn a_waiter_cancelled_before_the_round_completes_takes_its_arrival_back() {
    let barrier = Barrier::new(2);
    let mut cancelled = ByHand::new(barrier.wait());
    cancelled.pending();
    assert_eq!(barrier.n_waiting(), 1);
    drop(cancelled);
    assert_eq!(barrier.n_waiting(), 0);
    // The round now needs two live waiters again.
    let mut first = ByHand::new(barrier.wait());
    first.pending();
    assert_eq!(first.wakes(), 0);
    let mut second = ByHand::new(barrier.wait());
    assert!(second.ready().is_leader());
    assert_eq!(first.wakes(), 1);
    assert!(!first.ready().is_leader());
}

#[test]
fn a_waiter_cancelled_after_its_round_completed_changes_nothing() {
    let barrier = Barrier::new(2);
    let mut released = ByHand::new(barrier.wait());
    released.pending();
    assert!(ByHand::new(barrier.wait()).ready().is_leader());
    assert_eq!(released.wakes(), 1);
    drop(released); // released, never polled again
    assert_eq!(barrier.n_waiting(), 0, "the next round starts empty");
    let mut next = ByHand::new(barrier.wait());
    next.pending();
    assert_eq!(barrier.n_waiting(), 1);
    assert!(ByHand::new(barrier.wait()).ready().is_leader());
    assert!(!next.ready().is_leader());
}

#[test]
fn a_future_never_polled_does_not_arrive() {
    let barrier = Barrier::new(2);
    let unpolled = barrier.wait();
    assert_eq!(barrier.n_waiting(), 0);
    drop(unpolled);
    assert_eq!(barrier.n_waiting(), 0);
}

#[test]
fn barrier_and_its_wait_future_are_send_and_sync() {
    fn assert_sync<T: Send + Sync>(_: &T) {}
    let barrier = Barrier::new(2);
    assert_sync(&barrier);
    assert_send(&barrier.wait());
    assert!(format!("{barrier:?}").contains("parties: 2"));
}
