//! BoundedSemaphore: asyncio's release-above-the-bound error, on top of
//! the Semaphore's FIFO and cancellation behaviour.

mod manual_poll;

use aio_executor::{block_on, spawn};
use aio_sync::BoundedSemaphore;
use manual_poll::{assert_send, assert_send_sync, poll_once, yield_until};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::task::Poll;

#[test]
fn acquire_and_release_by_hand_as_in_asyncio() {
    block_on(async {
        let semaphore = BoundedSemaphore::new(2);
        assert_eq!(semaphore.bound(), 2);
        semaphore.acquire().await.forget();
        semaphore.acquire().await.forget();
        assert_eq!(semaphore.available_permits(), 0);
        semaphore.release().unwrap();
        semaphore.release().unwrap();
        assert_eq!(semaphore.available_permits(), 2);
    });
}

#[test]
fn release_at_the_bound_is_refused_and_names_it() {
    let semaphore = BoundedSemaphore::new(2);
    let refused = semaphore.release().unwrap_err();
    assert_eq!(refused.bound(), 2);
    assert!(refused.to_string().contains("bound of 2"), "{refused}");
    assert_eq!(semaphore.available_permits(), 2, "nothing was added");
}

#[test]
fn release_up_to_exactly_the_bound_is_fine_one_more_is_not() {
    let semaphore = BoundedSemaphore::new(3);
    semaphore.try_acquire_many(3).unwrap().forget();
    for _ in 0..3 {
        semaphore.release().unwrap();
    }
    assert_eq!(semaphore.available_permits(), 3);
    assert!(semaphore.release().is_err());
}

#[test]
fn held_permits_count_toward_the_bound() {
    // asyncio would let a release sneak in here and fail later; with guards
    // the extra release is refused at once, so the guard's drop stays valid.
    let semaphore = BoundedSemaphore::new(2);
    let held = semaphore.try_acquire().unwrap();
    assert!(semaphore.release().is_err());
    drop(held);
    assert_eq!(semaphore.available_permits(), 2);
}

#[test]
fn add_permits_is_all_or_nothing_within_the_bound() {
    let semaphore = BoundedSemaphore::new(4);
    semaphore.try_acquire_many(3).unwrap().forget();
    let refused = semaphore.add_permits(4).unwrap_err();
    assert!(refused.to_string().contains("bound of 4"), "{refused}");
    assert_eq!(semaphore.available_permits(), 1);
    semaphore.add_permits(3).unwrap();
    assert_eq!(semaphore.available_permits(), 4);
    assert!(semaphore.add_permits(1).is_err());
    semaphore.add_permits(0).unwrap();
}

#[test]
fn zero_bound_semaphore_waits_forever_and_refuses_releases() {
    let semaphore = BoundedSemaphore::new(0);
    assert!(semaphore.release().is_err());
    let mut waiter = Box::pin(semaphore.acquire());
    assert!(poll_once(waiter.as_mut()).0.is_pending());
}

#[test]
fn release_wakes_waiters_in_arrival_order() {
    block_on(async {
        let semaphore = Arc::new(BoundedSemaphore::new(1));
        semaphore.try_acquire().unwrap().forget();
        let order = Rc::new(RefCell::new(Vec::new()));
        let mut tasks = Vec::new();
        for id in 0..3 {
            let queued = Rc::new(RefCell::new(false));
            let (semaphore, order, queued_in_task) = (
                Arc::clone(&semaphore),
                Rc::clone(&order),
                Rc::clone(&queued),
            );
            tasks.push(spawn(async move {
                *queued_in_task.borrow_mut() = true;
                let _permit = semaphore.acquire().await;
                order.borrow_mut().push(id);
            }));
            assert!(yield_until(|| *queued.borrow()).await);
        }
        semaphore.release().unwrap();
        assert!(yield_until(|| tasks.iter().all(|task| task.is_finished())).await);
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(*order.borrow(), [0, 1, 2]);
        assert_eq!(semaphore.available_permits(), 1);
    });
}

#[test]
fn granted_waiter_dropped_passes_the_permit_on() {
    let semaphore = BoundedSemaphore::new(1);
    semaphore.try_acquire().unwrap().forget();
    let mut first = Box::pin(semaphore.acquire());
    let mut second = Box::pin(semaphore.acquire());
    assert!(poll_once(first.as_mut()).0.is_pending());
    let (_, second_waker) = poll_once(second.as_mut());
    semaphore.release().unwrap();
    drop(first);
    assert_eq!(second_waker.wakes(), 1);
    let Poll::Ready(permit) = second_waker.poll(second.as_mut()) else {
        panic!("second holds the passed-on permit");
    };
    drop(permit);
    assert_eq!(semaphore.available_permits(), 1);
    assert!(semaphore.release().is_err(), "still exactly the bound");
}

#[test]
fn waiter_dropped_before_its_grant_leaves_no_trace() {
    let semaphore = BoundedSemaphore::new(1);
    semaphore.try_acquire().unwrap().forget();
    let mut waiter = Box::pin(semaphore.acquire_many(1));
    assert!(poll_once(waiter.as_mut()).0.is_pending());
    drop(waiter);
    semaphore.release().unwrap();
    assert_eq!(semaphore.available_permits(), 1);
}

#[test]
fn owned_permit_goes_back_to_the_bounded_semaphore() {
    block_on(async {
        let semaphore = Arc::new(BoundedSemaphore::new(1));
        let permit = Arc::clone(&semaphore).acquire_owned().await;
        spawn(async move { drop(permit) }).await.unwrap();
        assert_eq!(semaphore.available_permits(), 1);
        Arc::clone(&semaphore).acquire_owned().await.forget();
        semaphore.release().unwrap();
        assert!(semaphore.release().is_err());
    });
}

#[test]
fn futures_are_send() {
    let semaphore = Arc::new(BoundedSemaphore::new(1));
    assert_send_sync(&*semaphore);
    assert_send(&semaphore.acquire());
    assert_send(&semaphore.acquire_many(1));
    assert_send(&Arc::clone(&semaphore).acquire_owned());
    assert_send_sync(&semaphore.release());
    assert!(format!("{semaphore:?}").contains("bound: 1"));
}
