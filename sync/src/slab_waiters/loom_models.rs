//! loom models of the primitives built on the waiter list: every
//! interleaving of a put, a get, a cancellation or a shutdown on two
//! threads loses no item and no wake-up (loom reports a deadlock when a
//! parked `block_on` is never woken).

use crate::{Barrier, Event, Queue};
use loom::future::block_on;
use loom::sync::Arc;
use loom::thread;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll};

/// Poll a future exactly once (with `block_on`'s real waker).
fn poll_once<F: Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    let mut future = Some(future);
    block_on(std::future::poll_fn(|cx: &mut Context<'_>| {
        let polled = future.take().map(|future| future.poll(cx));
        Poll::Ready(polled.unwrap_or(Poll::Pending))
    }))
}

#[test]
fn loom_bounded_queue_between_two_threads_keeps_order() {
    loom::model(|| {
        let queue = Queue::new(1);
        let producer = {
            let queue = queue.clone();
            thread::spawn(move || {
                block_on(queue.put(1)).unwrap();
                block_on(queue.put(2)).unwrap();
            })
        };
        assert_eq!(block_on(queue.get()), Ok(1));
        assert_eq!(block_on(queue.get()), Ok(2));
        producer.join().unwrap();
    });
}

#[test]
fn loom_a_cancelled_getter_loses_no_item() {
    loom::model(|| {
        let queue = Queue::new(0);
        let producer = {
            let queue = queue.clone();
            thread::spawn(move || queue.try_put(7).unwrap())
        };
        let mut received = 0;
        {
            let mut get = pin!(queue.get());
            if let Poll::Ready(item) = poll_once(get.as_mut()) {
                assert_eq!(item, Ok(7));
                received += 1;
            }
            // Dropped here: parked, granted but not polled, or done.
        }
        producer.join().unwrap();
        received += queue.try_get().into_iter().count();
        assert_eq!(received, 1, "the item is received exactly once");
    });
}

#[test]
fn loom_shutdown_against_a_waiting_putter_loses_no_item() {
    loom::model(|| {
        let queue = Queue::new(1);
        queue.try_put(1).unwrap();
        let putter = {
            let queue = queue.clone();
            thread::spawn(move || block_on(queue.put(2)))
        };
        let getter = {
            let queue = queue.clone();
            thread::spawn(move || queue.try_get().ok())
        };
        queue.shutdown();
        let put = putter.join().unwrap();
        let mut items: Vec<i32> = getter.join().unwrap().into_iter().collect();
        items.extend(std::iter::from_fn(|| queue.try_get().ok()));
        match put {
            Ok(()) => assert!(items.contains(&2)),
            Err(refused) => assert_eq!(refused.into_inner(), 2),
        }
        assert!(items.contains(&1));
    });
}

#[test]
fn loom_event_set_from_another_thread_wakes_the_waiter() {
    loom::model(|| {
        let event = Arc::new(Event::new());
        let setter = {
            let event = Arc::clone(&event);
            thread::spawn(move || event.set())
        };
        block_on(event.wait());
        assert!(event.is_set());
        setter.join().unwrap();
    });
}

#[test]
fn loom_barrier_releases_both_with_one_leader() {
    loom::model(|| {
        let barrier = Arc::new(Barrier::new(2));
        let other = {
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || block_on(barrier.wait()).is_leader())
        };
        let here = block_on(barrier.wait()).is_leader();
        assert!(here ^ other.join().unwrap());
    });
}
