//! Loom models of the primitives: run by `make loom` (`--cfg loom`,
//! `cargo test --lib loom`). Each explores every interleaving of its
//! threads; a lost wake-up shows up as a deadlock (a parked `block_on` is
//! never woken), a broken exclusion as a causality error on a loom cell.
//! First the semaphore word protocol and what is built on it, then the
//! queue, `Event` and `Barrier`, which share the waiter list: no item and
//! no wake-up is lost to a put, a get, a cancellation or a shutdown.

use crate::{Barrier, BoundedSemaphore, Condition, Event, Mutex, Queue, RwLock, Semaphore};
use loom::cell::UnsafeCell;
use loom::future::block_on;
use loom::sync::Arc;
use loom::thread;
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Wake, Waker};

struct NoopWake;

impl Wake for NoopWake {
    fn wake(self: StdArc<Self>) {}
}

fn noop_waker() -> Waker {
    Waker::from(StdArc::new(NoopWake))
}

fn add_one(cell: &UnsafeCell<usize>) {
    // SAFETY: called only with the lock that guards the cell held; loom
    // checks that claim across every interleaving.
    cell.with_mut(|value| unsafe { *value += 1 });
}

fn read(cell: &UnsafeCell<usize>) -> usize {
    // SAFETY: as in `add_one`, with shared access.
    cell.with(|value| unsafe { *value })
}

#[test]
fn loom_mutex_excludes_and_hands_over() {
    loom::model(|| {
        let mutex = Arc::new(Mutex::new(UnsafeCell::new(0)));
        let other = {
            let mutex = mutex.clone();
            thread::spawn(move || block_on(async { add_one(&*mutex.lock().await) }))
        };
        block_on(async { add_one(&*mutex.lock().await) });
        other.join().unwrap();
        assert_eq!(read(&mutex.try_lock().unwrap()), 2);
    });
}

#[test]
fn loom_semaphore_dropped_waiter_loses_no_permit() {
    loom::model(|| {
        let semaphore = Arc::new(Semaphore::new(1));
        let held = semaphore.try_acquire().unwrap();
        let canceller = {
            let semaphore = semaphore.clone();
            thread::spawn(move || {
                // Queue (or take the permit, if the release came first),
                // then give up: before, while, or after being granted.
                let waker = noop_waker();
                let mut acquire = pin!(semaphore.acquire());
                let got = acquire
                    .as_mut()
                    .poll(&mut Context::from_waker(&waker))
                    .is_ready();
                drop(acquire);
                got
            })
        };
        drop(held);
        canceller.join().unwrap();
        assert_eq!(semaphore.available_permits(), 1);
        assert!(semaphore.try_acquire().is_ok());
    });
}

#[test]
fn loom_semaphore_dropped_partial_waiter_returns_its_permits() {
    loom::model(|| {
        let semaphore = Arc::new(Semaphore::new(1));
        let canceller = {
            let semaphore = semaphore.clone();
            thread::spawn(move || {
                // Takes the 1 available permit and queues for a second one,
                // unless the added permit came first; then gives up.
                let waker = noop_waker();
                let mut acquire = pin!(semaphore.acquire_many(2));
                let _ = acquire.as_mut().poll(&mut Context::from_waker(&waker));
            })
        };
        semaphore.add_permits(1);
        canceller.join().unwrap();
        assert_eq!(semaphore.available_permits(), 2);
    });
}

#[test]
fn loom_semaphore_waiter_collects_permits_released_one_by_one() {
    loom::model(|| {
        let semaphore = Arc::new(Semaphore::new(0));
        let adder = {
            let semaphore = semaphore.clone();
            thread::spawn(move || {
                semaphore.add_permits(1);
                semaphore.add_permits(1);
            })
        };
        let permit = block_on(semaphore.acquire_many(2));
        assert_eq!(semaphore.available_permits(), 0);
        drop(permit);
        adder.join().unwrap();
        assert_eq!(semaphore.available_permits(), 2);
    });
}

#[test]
fn loom_rwlock_writer_excludes_reader() {
    loom::model(|| {
        let lock = Arc::new(RwLock::new(UnsafeCell::new(0)));
        let writer = {
            let lock = lock.clone();
            thread::spawn(move || block_on(async { add_one(&*lock.write().await) }))
        };
        let seen = block_on(async { read(&*lock.read().await) });
        assert!(seen <= 1);
        writer.join().unwrap();
        assert_eq!(read(&lock.try_read().unwrap()), 1);
    });
}

#[test]
fn loom_condition_wakeup_is_not_lost() {
    loom::model(|| {
        let shared = Arc::new((Mutex::new(false), Condition::new()));
        let waiter = {
            let shared = shared.clone();
            thread::spawn(move || {
                let (flag, condition) = &*shared;
                block_on(async {
                    let guard = condition.wait_for(flag.lock().await, |set| *set).await;
                    assert!(*guard);
                });
            })
        };
        let (flag, condition) = &*shared;
        block_on(async { *flag.lock().await = true });
        condition.notify_one();
        waiter.join().unwrap();
    });
}

#[test]
fn loom_bounded_semaphore_concurrent_releases_respect_the_bound() {
    loom::model(|| {
        let semaphore = Arc::new(BoundedSemaphore::new(1));
        semaphore.try_acquire().unwrap().forget();
        let other = {
            let semaphore = semaphore.clone();
            thread::spawn(move || semaphore.release().is_ok())
        };
        let here = semaphore.release().is_ok();
        let there = other.join().unwrap();
        assert!(here != there, "exactly one release fits under the bound");
        assert_eq!(semaphore.available_permits(), 1);
    });
}

#[test]
fn loom_oneshot_send_races_receiver() {
    loom::model(|| {
        let (sender, receiver) = crate::oneshot::channel::<usize>();
        let sending = thread::spawn(move || sender.send(7).is_ok());
        assert_eq!(block_on(receiver), Ok(7));
        assert!(sending.join().unwrap());
    });
}

/// Poll a future exactly once (with `block_on`'s real waker).
fn poll_once<F: Future>(future: Pin<&mut F>) -> Poll<F::Output> {
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
