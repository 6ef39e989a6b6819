//! Event: set/clear/is_set/wait, every waiter released by set, cancelled
//! waiters, and Send futures.

mod poll_by_hand;

use aio_sync::Event;
use poll_by_hand::{assert_send, ByHand};
use std::sync::Arc;

#[test]
fn set_clear_and_is_set() {
    let event = Event::new();
    assert!(!event.is_set());
    event.set();
    assert!(event.is_set());
    event.set(); // setting twice is harmless
    assert!(event.is_set());
    event.clear();
    assert!(!event.is_set());
    assert!(!Event::default().is_set());
}

#[test]
fn wait_returns_at_once_when_set() {
    let event = Event::new();
    event.set();
    ByHand::new(event.wait()).ready();
    ByHand::new(event.wait()).ready();
}

#[test]
fn set_wakes_every_waiter() {
    let event = Event::new();
    let mut waiters: Vec<_> = (0..5).map(|_| ByHand::new(event.wait())).collect();
    for waiter in &mut waiters {
        waiter.pending();
        waiter.pending();
    }
    assert!(waiters.iter().all(|waiter| waiter.wakes() == 0));
    event.set();
    assert!(waiters.iter().all(|waiter| waiter.wakes() == 1));
    for waiter in &mut waiters {
        waiter.ready();
    }
}

#[test]
fn a_waiter_released_by_set_returns_even_if_cleared_before_it_runs() {
    let event = Event::new();
    let mut waiter = ByHand::new(event.wait());
    waiter.pending();
    event.set();
    event.clear();
    waiter.ready();
    // A new wait after the clear waits again.
    let mut later = ByHand::new(event.wait());
    later.pending();
    event.set();
    later.ready();
}

#[test]
fn a_cancelled_waiter_is_forgotten_and_the_others_still_wake() {
    let event = Event::new();
    let mut cancelled = ByHand::new(event.wait());
    let mut kept = ByHand::new(event.wait());
    cancelled.pending();
    kept.pending();
    drop(cancelled);
    assert!(format!("{event:?}").contains("waiters: 1"), "{event:?}");
    event.set();
    assert_eq!(kept.wakes(), 1);
    kept.ready();

    // Dropped after being released, before running: nothing to undo.
    let event = Event::new();
    let mut released = ByHand::new(event.wait());
    released.pending();
    event.set();
    drop(released);
    assert!(event.is_set());
    ByHand::new(event.wait()).ready();
}

#[test]
fn tasks_wait_for_the_event_on_the_executor() {
    aio_executor::block_on(async {
        let event = Arc::new(Event::new());
        let went_on = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let tasks: Vec<_> = (0..3)
            .map(|_| {
                let (event, went_on) = (Arc::clone(&event), Arc::clone(&went_on));
                aio_executor::spawn(async move {
                    event.wait().await;
                    went_on.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                })
            })
            .collect();
        aio_executor::yield_now().await;
        assert_eq!(went_on.load(std::sync::atomic::Ordering::SeqCst), 0);
        event.set();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(went_on.load(std::sync::atomic::Ordering::SeqCst), 3);
    });
}

#[test]
fn set_from_another_thread_wakes_the_loop() {
    let event = Arc::new(Event::new());
    let setter = {
        let event = Arc::clone(&event);
        std::thread::spawn(move || event.set())
    };
    aio_executor::block_on(event.wait());
    setter.join().unwrap();
}

#[test]
fn event_and_its_wait_future_are_send_and_sync() {
    fn assert_sync<T: Send + Sync>(_: &T) {}
    let event = Event::new();
    assert_sync(&event);
    assert_send(&event.wait());
}
