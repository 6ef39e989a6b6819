//! Semaphore: permits, FIFO order, cancellation at every point, limits.

mod manual_poll;

use aio_executor::{block_on, spawn, yield_now};
use aio_sync::{Semaphore, MAX_PERMITS};
use manual_poll::{assert_send, assert_send_sync, poll_once, yield_until, CountingWaker};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::task::Poll;

#[test]
fn acquire_takes_a_permit_and_dropping_gives_it_back() {
    block_on(async {
        let semaphore = Semaphore::new(2);
        let first = semaphore.acquire().await;
        let second = semaphore.acquire().await;
        assert_eq!(semaphore.available_permits(), 0);
        assert!(semaphore.try_acquire().is_err());
        drop(first);
        assert_eq!(semaphore.available_permits(), 1);
        let third = semaphore.try_acquire().unwrap();
        assert_eq!(third.num_permits(), 1);
        drop((second, third));
        assert_eq!(semaphore.available_permits(), 2);
        let many = semaphore.acquire_many(2).await;
        assert_eq!(many.num_permits(), 2);
        assert!(semaphore.try_acquire_many(1).is_err());
        drop(many);
        semaphore.add_permits(3);
        assert_eq!(semaphore.available_permits(), 5);
    });
}

#[test]
fn at_most_n_tasks_hold_a_permit_at_once() {
    block_on(async {
        let semaphore = Arc::new(Semaphore::new(3));
        let inside = Rc::new(Cell::new(0));
        let most_inside = Rc::new(Cell::new(0));
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let (semaphore, inside, most_inside) = (
                    Arc::clone(&semaphore),
                    Rc::clone(&inside),
                    Rc::clone(&most_inside),
                );
                spawn(async move {
                    let _permit = semaphore.acquire().await;
                    inside.set(inside.get() + 1);
                    most_inside.set(most_inside.get().max(inside.get()));
                    yield_now().await;
                    inside.set(inside.get() - 1);
                })
            })
            .collect();
        assert!(yield_until(|| tasks.iter().all(|task| task.is_finished())).await);
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(most_inside.get(), 3);
        assert_eq!(semaphore.available_permits(), 3);
    });
}

#[test]
fn waiting_tasks_get_permits_in_arrival_order() {
    block_on(async {
        let semaphore = Arc::new(Semaphore::new(0));
        let order = Rc::new(RefCell::new(Vec::new()));
        let mut tasks = Vec::new();
        for id in 0..5 {
            let started = Rc::new(Cell::new(false));
            let (semaphore, order, started_in_task) = (
                Arc::clone(&semaphore),
                Rc::clone(&order),
                Rc::clone(&started),
            );
            tasks.push(spawn(async move {
                started_in_task.set(true); // queued in this same poll
                let _permit = semaphore.acquire().await;
                order.borrow_mut().push(id);
            }));
            // Wait for the fact that this task is queued before the next.
            assert!(yield_until(|| started.get()).await);
        }
        semaphore.add_permits(1);
        assert!(yield_until(|| tasks.iter().all(|task| task.is_finished())).await);
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(*order.borrow(), [0, 1, 2, 3, 4]);
    });
}

#[test]
fn release_wakes_only_the_head_waiter() {
    let semaphore = Semaphore::new(1);
    let held = semaphore.try_acquire().unwrap();
    let mut first = Box::pin(semaphore.acquire());
    let mut second = Box::pin(semaphore.acquire());
    let (poll, first_waker) = poll_once(first.as_mut());
    assert!(poll.is_pending());
    let (poll, second_waker) = poll_once(second.as_mut());
    assert!(poll.is_pending());
    drop(held);
    assert_eq!((first_waker.wakes(), second_waker.wakes()), (1, 0));
    let Poll::Ready(permit) = first_waker.poll(first.as_mut()) else {
        panic!("the woken head waiter must hold the permit");
    };
    assert!(second_waker.poll(second.as_mut()).is_pending());
    drop(permit);
    assert_eq!(second_waker.wakes(), 1);
    assert!(second_waker.poll(second.as_mut()).is_ready());
}

#[test]
fn a_large_request_holds_back_later_small_ones() {
    let semaphore = Semaphore::new(1);
    let mut big = Box::pin(semaphore.acquire_many(3));
    let mut small = Box::pin(semaphore.acquire());
    let (poll, big_waker) = poll_once(big.as_mut());
    assert!(poll.is_pending(), "1 of 3 permits is not enough");
    assert_eq!(
        semaphore.available_permits(),
        0,
        "the head keeps what it got"
    );
    let (poll, small_waker) = poll_once(small.as_mut());
    assert!(poll.is_pending(), "no overtaking the waiting large request");
    semaphore.add_permits(1);
    assert_eq!((big_waker.wakes(), small_waker.wakes()), (0, 0));
    semaphore.add_permits(2); // big gets 1, small gets 1
    assert_eq!((big_waker.wakes(), small_waker.wakes()), (1, 1));
    let Poll::Ready(big_permit) = big_waker.poll(big.as_mut()) else {
        panic!("big was granted");
    };
    assert_eq!(big_permit.num_permits(), 3);
    assert!(small_waker.poll(small.as_mut()).is_ready());
}

#[test]
fn try_acquire_does_not_overtake_a_granted_waiter() {
    let semaphore = Semaphore::new(0);
    let mut waiter = Box::pin(semaphore.acquire());
    let (poll, waker) = poll_once(waiter.as_mut());
    assert!(poll.is_pending());
    semaphore.add_permits(1);
    assert!(
        semaphore.try_acquire().is_err(),
        "the permit is the waiter's"
    );
    assert!(waker.poll(waiter.as_mut()).is_ready());
}

#[test]
fn waiter_dropped_before_its_grant_just_leaves_the_queue() {
    let semaphore = Semaphore::new(0);
    let mut first = Box::pin(semaphore.acquire());
    let mut second = Box::pin(semaphore.acquire());
    assert!(poll_once(first.as_mut()).0.is_pending());
    let (poll, second_waker) = poll_once(second.as_mut());
    assert!(poll.is_pending());
    drop(first);
    semaphore.add_permits(1);
    assert_eq!(second_waker.wakes(), 1);
    assert!(second_waker.poll(second.as_mut()).is_ready());
}

#[test]
fn last_waiter_dropped_leaves_the_semaphore_usable() {
    let semaphore = Semaphore::new(0);
    let mut waiter = Box::pin(semaphore.acquire());
    assert!(poll_once(waiter.as_mut()).0.is_pending());
    drop(waiter);
    semaphore.add_permits(1);
    assert_eq!(semaphore.available_permits(), 1);
    assert!(semaphore.try_acquire().is_ok());
}

#[test]
fn waiter_dropped_after_its_grant_passes_the_permit_on() {
    let semaphore = Semaphore::new(0);
    let mut first = Box::pin(semaphore.acquire());
    let mut second = Box::pin(semaphore.acquire());
    let (_, first_waker) = poll_once(first.as_mut());
    let (_, second_waker) = poll_once(second.as_mut());
    semaphore.add_permits(1);
    assert_eq!(first_waker.wakes(), 1);
    drop(first); // granted, never polled again
    assert_eq!(second_waker.wakes(), 1, "the grant moved on");
    let Poll::Ready(permit) = second_waker.poll(second.as_mut()) else {
        panic!("second holds the passed-on permit");
    };
    drop(permit);
    assert_eq!(semaphore.available_permits(), 1, "no permit lost or made");
}

#[test]
fn granted_waiter_dropped_with_nobody_behind_returns_the_permit() {
    let semaphore = Semaphore::new(0);
    let mut waiter = Box::pin(semaphore.acquire_many(2));
    assert!(poll_once(waiter.as_mut()).0.is_pending());
    semaphore.add_permits(2);
    drop(waiter);
    assert_eq!(semaphore.available_permits(), 2);
}

#[test]
fn waiter_dropped_with_part_of_its_permits_returns_them() {
    let semaphore = Semaphore::new(2);
    let mut big = Box::pin(semaphore.acquire_many(3));
    let mut small = Box::pin(semaphore.acquire());
    assert!(poll_once(big.as_mut()).0.is_pending());
    let (_, small_waker) = poll_once(small.as_mut());
    assert_eq!(semaphore.available_permits(), 0);
    drop(big); // its 2 permits go to the queue: small takes 1
    assert_eq!(small_waker.wakes(), 1);
    let Poll::Ready(_permit) = small_waker.poll(small.as_mut()) else {
        panic!("small was granted");
    };
    assert_eq!(semaphore.available_permits(), 1);
}

#[test]
fn waiter_dropped_while_spawned_tasks_wait_loses_nothing() {
    block_on(async {
        let semaphore = Arc::new(Semaphore::new(1));
        let held = Arc::clone(&semaphore).acquire_owned().await;
        let queued = Rc::new(Cell::new(0));
        let cancelled = {
            let (semaphore, queued) = (Arc::clone(&semaphore), Rc::clone(&queued));
            spawn(async move {
                queued.set(queued.get() + 1); // queues in this same poll
                let _permit = semaphore.acquire().await;
            })
        };
        assert!(yield_until(|| queued.get() >= 1).await);
        let done = Rc::new(Cell::new(false));
        let survivor = {
            let (semaphore, done, queued) =
                (Arc::clone(&semaphore), Rc::clone(&done), Rc::clone(&queued));
            spawn(async move {
                queued.set(queued.get() + 1);
                let _permit = semaphore.acquire().await;
                done.set(true);
            })
        };
        assert!(yield_until(|| queued.get() >= 2).await);
        drop(held); // granted to `cancelled` ...
        cancelled.abort(); // ... which is cancelled before it runs again
        assert!(cancelled.await.unwrap_err().is_cancelled());
        assert!(
            yield_until(|| survivor.is_finished()).await,
            "survivor got no grant"
        );
        survivor.await.unwrap();
        assert!(done.get());
        assert_eq!(semaphore.available_permits(), 1);
    });
}

#[test]
fn a_semaphore_with_no_permits_waits_for_add_permits() {
    block_on(async {
        let semaphore = Arc::new(Semaphore::new(0));
        let waiter = spawn({
            let semaphore = Arc::clone(&semaphore);
            async move { semaphore.acquire().await.num_permits() }
        });
        yield_now().await;
        assert!(!waiter.is_finished());
        semaphore.add_permits(1);
        assert!(yield_until(|| waiter.is_finished()).await);
        assert_eq!(waiter.await.unwrap(), 1);
    });
}

#[test]
fn zero_permits_are_granted_at_once_even_with_waiters() {
    let semaphore = Semaphore::new(0);
    let mut waiter = Box::pin(semaphore.acquire());
    assert!(poll_once(waiter.as_mut()).0.is_pending());
    let mut none = Box::pin(semaphore.acquire_many(0));
    assert!(poll_once(none.as_mut()).0.is_ready());
    assert_eq!(semaphore.try_acquire_many(0).unwrap().num_permits(), 0);
}

#[test]
fn forget_removes_permits_for_good() {
    let semaphore = Semaphore::new(3);
    semaphore.try_acquire_many(2).unwrap().forget();
    assert_eq!(semaphore.available_permits(), 1);
    let owned = Arc::new(Semaphore::new(1)).try_acquire_owned().unwrap();
    owned.forget();
}

#[test]
fn owned_permit_moves_into_a_task_and_comes_back() {
    block_on(async {
        let semaphore = Arc::new(Semaphore::new(2));
        let permit = Arc::clone(&semaphore).acquire_many_owned(2).await;
        assert_eq!(semaphore.available_permits(), 0);
        spawn(async move { assert_eq!(permit.num_permits(), 2) })
            .await
            .unwrap();
        assert_eq!(semaphore.available_permits(), 2);
    });
}

#[test]
fn permits_up_to_max_permits_are_fine() {
    let semaphore = Semaphore::new(MAX_PERMITS - 1);
    semaphore.add_permits(1);
    assert_eq!(semaphore.available_permits(), MAX_PERMITS);
    let all = semaphore.try_acquire_many(MAX_PERMITS).unwrap();
    drop(all);
    assert_eq!(semaphore.available_permits(), MAX_PERMITS);
}

#[test]
fn try_acquire_many_above_max_permits_is_refused() {
    let semaphore = Semaphore::new(MAX_PERMITS);
    for too_many in [MAX_PERMITS + 1, 1 << (usize::BITS - 1), usize::MAX] {
        assert!(semaphore.try_acquire_many(too_many).is_err());
    }
    assert_eq!(semaphore.available_permits(), MAX_PERMITS);
}

#[test]
#[should_panic(expected = "more than MAX_PERMITS")]
fn add_permits_above_max_permits_panics() {
    let semaphore = Semaphore::new(MAX_PERMITS);
    semaphore.add_permits(1);
}

#[test]
fn add_permits_counts_held_permits_toward_the_maximum() {
    let semaphore = Semaphore::new(MAX_PERMITS);
    let held = semaphore.try_acquire_many(MAX_PERMITS).unwrap();
    let refused = std::panic::catch_unwind(|| semaphore.add_permits(1));
    assert!(refused.is_err(), "held permits still exist");
    held.forget();
    semaphore.add_permits(1); // room once they are forgotten
    assert_eq!(semaphore.available_permits(), 1);
}

#[test]
#[should_panic(expected = "more than MAX_PERMITS")]
fn new_above_max_permits_panics() {
    let _ = Semaphore::new(MAX_PERMITS + 1);
}

#[test]
#[should_panic(expected = "can never exist")]
fn acquire_many_above_max_permits_panics() {
    block_on(async {
        let semaphore = Semaphore::new(0);
        let _ = semaphore.acquire_many(MAX_PERMITS + 1).await;
    });
}

#[test]
fn futures_and_permits_are_send() {
    let semaphore = Arc::new(Semaphore::new(1));
    assert_send_sync(&*semaphore);
    assert_send(&semaphore.acquire());
    assert_send(&semaphore.acquire_many(1));
    assert_send(&Arc::clone(&semaphore).acquire_owned());
    assert_send(&Arc::clone(&semaphore).acquire_many_owned(1));
    assert_send_sync(&semaphore.try_acquire().unwrap());
    assert_send_sync(&Arc::clone(&semaphore).try_acquire_owned().unwrap());
    // A whole task holding a permit across an await is Send too.
    let task = {
        let semaphore = Arc::clone(&semaphore);
        async move {
            let _permit = semaphore.acquire().await;
            yield_now().await;
        }
    };
    assert_send(&task);
    let _ = CountingWaker::new();
}

#[test]
fn debug_shows_available_permits() {
    let semaphore = Semaphore::new(4);
    assert!(format!("{semaphore:?}").contains("available_permits: 4"));
    let permit = semaphore.try_acquire().unwrap();
    assert!(format!("{permit:?}").contains("permits: 1"));
}
