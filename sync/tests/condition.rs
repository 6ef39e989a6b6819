//! Condition: wait/notify with a Mutex, FIFO wake-ups, no lost
//! notification when a waiter is dropped at any point.

mod manual_poll;

use aio_executor::{block_on, spawn, yield_now};
use aio_sync::{Condition, Mutex};
use manual_poll::{assert_send, assert_send_sync, poll_once, yield_until};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::task::Poll;

#[test]
fn wait_for_returns_once_the_predicate_holds() {
    block_on(async {
        let shared = Arc::new((Mutex::new(0), Condition::new()));
        let waiter = {
            let shared = Arc::clone(&shared);
            spawn(async move {
                let (count, condition) = &*shared;
                *condition.wait_for(count.lock().await, |n| *n >= 3).await
            })
        };
        let (count, condition) = &*shared;
        for _ in 0..3 {
            *count.lock().await += 1;
            condition.notify_all();
            yield_now().await;
        }
        assert!(yield_until(|| waiter.is_finished()).await);
        assert_eq!(waiter.await.unwrap(), 3);
    });
}

#[test]
fn wait_releases_the_mutex_and_returns_it_locked() {
    let mutex = Mutex::new(0);
    let condition = Condition::new();
    let mut wait = Box::pin(condition.wait(mutex.try_lock().unwrap()));
    let (poll, waker) = poll_once(wait.as_mut());
    assert!(poll.is_pending());
    *mutex.try_lock().expect("unlocked while waiting") = 7;
    condition.notify_one();
    assert_eq!(waker.wakes(), 1);
    let Poll::Ready(guard) = waker.poll(wait.as_mut()) else {
        panic!("notified, and the mutex is free");
    };
    assert_eq!(*guard, 7);
    assert!(mutex.try_lock().is_err(), "locked again for the waiter");
}

#[test]
fn wait_while_checks_under_the_lock_before_waiting() {
    block_on(async {
        let mutex = Mutex::new(true);
        let condition = Condition::new();
        // Already false: returns without a notification.
        let guard = condition
            .wait_while(mutex.lock().await, |busy| !*busy)
            .await;
        assert!(*guard);
    });
}

#[test]
fn notify_one_wakes_waiters_in_arrival_order() {
    block_on(async {
        let shared = Arc::new((Mutex::new(()), Condition::new()));
        let order = Rc::new(RefCell::new(Vec::new()));
        let queued = Rc::new(Cell::new(0));
        let mut tasks = Vec::new();
        for id in 0..4 {
            let (shared, order, queued_in_task) =
                (Arc::clone(&shared), Rc::clone(&order), Rc::clone(&queued));
            tasks.push(spawn(async move {
                let (mutex, condition) = &*shared;
                let guard = mutex.lock().await;
                queued_in_task.set(queued_in_task.get() + 1);
                let _guard = condition.wait(guard).await;
                order.borrow_mut().push(id);
            }));
            assert!(yield_until(|| queued.get() > id).await);
        }
        let (_, condition) = &*shared;
        for woken in 1..=4 {
            condition.notify_one();
            assert!(yield_until(|| order.borrow().len() >= woken).await);
        }
        assert_eq!(*order.borrow(), [0, 1, 2, 3]);
        assert!(yield_until(|| tasks.iter().all(|task| task.is_finished())).await);
        for task in tasks {
            task.await.unwrap();
        }
    });
}

#[test]
fn notify_n_wakes_at_most_n_and_is_not_remembered() {
    let mutex = Mutex::new(());
    let condition = Condition::new();
    assert_eq!(condition.notify(5), 0, "nobody waits: nothing to remember");
    let mut waits = Vec::new();
    let mut wakers = Vec::new();
    for _ in 0..3 {
        // Each wait unlocks the mutex on its first poll, for the next one.
        let mut wait = Box::pin(condition.wait(mutex.try_lock().unwrap()));
        let (poll, waker) = poll_once(wait.as_mut());
        assert!(poll.is_pending(), "the earlier notify was not kept");
        waits.push(wait);
        wakers.push(waker);
    }
    assert_eq!(condition.notify(2), 2);
    let wakes: Vec<_> = wakers.iter().map(|waker| waker.wakes()).collect();
    assert_eq!(wakes, [1, 1, 0]);
    condition.notify_all();
    assert_eq!(wakers[2].wakes(), 1);
    assert_eq!(condition.notify(1), 0);
}

#[test]
fn waiter_dropped_before_notification_just_leaves_the_queue() {
    let mutex = Mutex::new(());
    let condition = Condition::new();
    let mut first = Box::pin(condition.wait(mutex.try_lock().unwrap()));
    assert!(poll_once(first.as_mut()).0.is_pending());
    let mut second = Box::pin(condition.wait(mutex.try_lock().unwrap()));
    let (_, second_waker) = poll_once(second.as_mut());
    drop(first);
    assert_eq!(condition.notify(1), 1, "the notification reaches second");
    assert_eq!(second_waker.wakes(), 1);
    assert!(second_waker.poll(second.as_mut()).is_ready());
}

#[test]
fn waiter_dropped_after_notification_passes_it_on() {
    let mutex = Mutex::new(());
    let condition = Condition::new();
    let mut first = Box::pin(condition.wait(mutex.try_lock().unwrap()));
    let (_, first_waker) = poll_once(first.as_mut());
    let mut second = Box::pin(condition.wait(mutex.try_lock().unwrap()));
    let (_, second_waker) = poll_once(second.as_mut());
    condition.notify_one();
    assert_eq!((first_waker.wakes(), second_waker.wakes()), (1, 0));
    drop(first); // notified, never polled again
    assert_eq!(second_waker.wakes(), 1, "the notification moved on");
    assert!(second_waker.poll(second.as_mut()).is_ready());
}

#[test]
fn waiter_dropped_while_relocking_passes_the_notification_on() {
    let mutex = Mutex::new(());
    let condition = Condition::new();
    let mut first = Box::pin(condition.wait(mutex.try_lock().unwrap()));
    let (_, first_waker) = poll_once(first.as_mut());
    let mut second = Box::pin(condition.wait(mutex.try_lock().unwrap()));
    let (_, second_waker) = poll_once(second.as_mut());
    let holder = mutex.try_lock().unwrap();
    condition.notify_one();
    assert!(
        first_waker.poll(first.as_mut()).is_pending(),
        "notified, now waiting for the mutex"
    );
    drop(first);
    assert_eq!(second_waker.wakes(), 1);
    drop(holder);
    let Poll::Ready(_guard) = second_waker.poll(second.as_mut()) else {
        panic!("second was notified and the mutex is free");
    };
    assert!(mutex.try_lock().is_err(), "second holds the mutex");
}

#[test]
fn aborted_waiter_task_loses_no_notification() {
    block_on(async {
        let shared = Arc::new((Mutex::new(false), Condition::new()));
        let queued = Rc::new(Cell::new(0));
        let spawn_waiter = || {
            let (shared, queued) = (Arc::clone(&shared), Rc::clone(&queued));
            spawn(async move {
                let (flag, condition) = &*shared;
                let guard = flag.lock().await;
                queued.set(queued.get() + 1);
                *condition.wait(guard).await
            })
        };
        let cancelled = spawn_waiter();
        assert!(yield_until(|| queued.get() >= 1).await);
        let survivor = spawn_waiter();
        assert!(yield_until(|| queued.get() >= 2).await);
        let (flag, condition) = &*shared;
        *flag.lock().await = true;
        condition.notify_one(); // to `cancelled` ...
        cancelled.abort(); // ... which never runs again
        assert!(cancelled.await.unwrap_err().is_cancelled());
        assert!(
            yield_until(|| survivor.is_finished()).await,
            "survivor got no grant"
        );
        assert!(survivor.await.unwrap());
    });
}

#[test]
fn futures_are_send() {
    let shared = Arc::new((Mutex::new(0u32), Condition::new()));
    assert_send_sync(&shared.1);
    let task = {
        let shared = Arc::clone(&shared);
        async move {
            let (mutex, condition) = &*shared;
            let guard = condition.wait(mutex.lock().await).await;
            let guard = condition.wait_while(guard, |n| *n == 0).await;
            let _guard = condition.wait_for(guard, |n| *n > 0).await;
        }
    };
    assert_send(&task);
    assert!(format!("{:?}", shared.1).contains("waiters: 0"));
}
