//! Mutex: exclusive access, FIFO hand-over, cancellation at every point.

mod manual_poll;

use aio_executor::{block_on, spawn, yield_now};
use aio_sync::{Mutex, MutexGuard};
use manual_poll::{assert_send, assert_send_sync, poll_once, yield_until};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::task::Poll;

#[test]
fn lock_gives_exclusive_access_to_the_data() {
    block_on(async {
        let mutex = Mutex::new(vec![1]);
        {
            let mut guard = mutex.lock().await;
            guard.push(2);
            assert!(mutex.try_lock().is_err());
        }
        assert_eq!(*mutex.try_lock().unwrap(), [1, 2]);
        let mut mutex = mutex;
        mutex.get_mut().push(3);
        assert_eq!(mutex.into_inner(), [1, 2, 3]);
    });
}

#[test]
fn guard_held_across_awaits_keeps_others_out() {
    block_on(async {
        let counter = Arc::new(Mutex::new(0));
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let counter = Arc::clone(&counter);
                spawn(async move {
                    let mut guard = counter.lock().await;
                    let seen = *guard;
                    yield_now().await;
                    *guard = seen + 1; // a lost update if anyone got in
                })
            })
            .collect();
        assert!(yield_until(|| tasks.iter().all(|task| task.is_finished())).await);
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(*counter.lock().await, 10);
    });
}

#[test]
fn waiters_get_the_lock_in_arrival_order() {
    block_on(async {
        let mutex = Arc::new(Mutex::new(Vec::new()));
        let guard = mutex.lock().await;
        let mut tasks = Vec::new();
        for id in 0..5 {
            let queued = Rc::new(Cell::new(false));
            let (mutex, queued_in_task) = (Arc::clone(&mutex), Rc::clone(&queued));
            tasks.push(spawn(async move {
                queued_in_task.set(true);
                mutex.lock().await.push(id);
            }));
            assert!(yield_until(|| queued.get()).await);
        }
        drop(guard);
        assert!(yield_until(|| tasks.iter().all(|task| task.is_finished())).await);
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(*mutex.lock().await, [0, 1, 2, 3, 4]);
    });
}

#[test]
fn try_lock_does_not_overtake_the_waiter_it_was_handed_to() {
    let mutex = Mutex::new(());
    let guard = mutex.try_lock().unwrap();
    let mut waiter = Box::pin(mutex.lock());
    let (poll, waker) = poll_once(waiter.as_mut());
    assert!(poll.is_pending());
    drop(guard);
    assert_eq!(waker.wakes(), 1);
    assert!(mutex.try_lock().is_err(), "the lock is the waiter's");
    assert!(waker.poll(waiter.as_mut()).is_ready());
}

#[test]
fn waiter_dropped_before_its_turn_just_leaves_the_queue() {
    let mutex = Mutex::new(0);
    let guard = mutex.try_lock().unwrap();
    let mut first = Box::pin(mutex.lock());
    let mut second = Box::pin(mutex.lock());
    assert!(poll_once(first.as_mut()).0.is_pending());
    let (_, second_waker) = poll_once(second.as_mut());
    drop(first);
    assert_eq!(second_waker.wakes(), 0);
    drop(guard);
    assert_eq!(second_waker.wakes(), 1);
    assert!(second_waker.poll(second.as_mut()).is_ready());
}

#[test]
fn waiter_dropped_after_the_hand_over_passes_the_lock_on() {
    let mutex = Mutex::new(0);
    let guard = mutex.try_lock().unwrap();
    let mut first = Box::pin(mutex.lock());
    let mut second = Box::pin(mutex.lock());
    let (_, first_waker) = poll_once(first.as_mut());
    let (_, second_waker) = poll_once(second.as_mut());
    drop(guard);
    assert_eq!(first_waker.wakes(), 1);
    drop(first); // handed the lock, never polled again
    assert_eq!(second_waker.wakes(), 1);
    let Poll::Ready(mut guard) = second_waker.poll(second.as_mut()) else {
        panic!("second holds the passed-on lock");
    };
    *guard += 1;
    drop(guard);
    assert_eq!(*mutex.try_lock().unwrap(), 1, "and the mutex is free again");
}

#[test]
fn last_waiter_dropped_after_the_hand_over_unlocks() {
    let mutex = Mutex::new(());
    let guard = mutex.try_lock().unwrap();
    let mut waiter = Box::pin(mutex.lock());
    assert!(poll_once(waiter.as_mut()).0.is_pending());
    drop(guard);
    drop(waiter);
    assert!(mutex.try_lock().is_ok());
}

#[test]
fn aborted_task_handed_the_lock_passes_it_on() {
    block_on(async {
        let mutex = Arc::new(Mutex::new(Vec::new()));
        let guard = mutex.lock().await;
        let queued = Rc::new(Cell::new(0));
        let spawn_locker = |id| {
            let (mutex, queued) = (Arc::clone(&mutex), Rc::clone(&queued));
            spawn(async move {
                queued.set(queued.get() + 1);
                mutex.lock().await.push(id);
            })
        };
        let cancelled = spawn_locker(0);
        assert!(yield_until(|| queued.get() >= 1).await);
        let survivor = spawn_locker(1);
        assert!(yield_until(|| queued.get() >= 2).await);
        drop(guard); // handed to `cancelled` ...
        cancelled.abort(); // ... cancelled before it runs again
        assert!(cancelled.await.unwrap_err().is_cancelled());
        assert!(
            yield_until(|| survivor.is_finished()).await,
            "survivor got no grant"
        );
        survivor.await.unwrap();
        assert_eq!(*mutex.lock().await, [1]);
    });
}

#[test]
fn owned_guard_moves_into_a_task() {
    block_on(async {
        let mutex = Arc::new(Mutex::new(String::new()));
        let mut guard = Arc::clone(&mutex).lock_owned().await;
        assert!(Arc::clone(&mutex).try_lock_owned().is_err());
        spawn(async move { guard.push_str("from a task") })
            .await
            .unwrap();
        let guard = Arc::clone(&mutex).try_lock_owned().unwrap();
        assert_eq!(*guard, "from a task");
        assert!(Arc::ptr_eq(
            aio_sync::OwnedMutexGuard::mutex(&guard),
            &mutex
        ));
    });
}

#[test]
fn guard_knows_its_mutex_and_formats_its_value() {
    let mutex = Mutex::new(5);
    let guard = mutex.try_lock().unwrap();
    assert!(std::ptr::eq(MutexGuard::mutex(&guard), &mutex));
    assert_eq!(format!("{guard:?} {guard}"), "5 5");
    assert!(format!("{mutex:?}").contains("<locked>"));
    drop(guard);
    assert!(format!("{mutex:?}").contains('5'));
}

#[test]
fn futures_and_guards_are_send() {
    let mutex = Arc::new(Mutex::new(RefCell::new(0))); // Send, not Sync data
    assert_send_sync(&*mutex);
    assert_send(&mutex.lock());
    assert_send(&Arc::clone(&mutex).lock_owned());
    assert_send(&mutex.try_lock().unwrap());
    let task = {
        let mutex = Arc::clone(&mutex);
        async move {
            let guard = mutex.lock().await;
            yield_now().await;
            *guard.borrow_mut() += 1;
        }
    };
    assert_send(&task);
    let plain = Mutex::new(0);
    assert_send_sync(&plain.try_lock().unwrap());
}
