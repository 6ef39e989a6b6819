//! Loom models of the semaphore word protocol and what is built on it: run
//! by `make loom` (`--cfg loom`, `cargo test --lib loom`). Each explores
//! every interleaving of its threads; a lost wake-up shows up as a
//! deadlock, a broken exclusion as a causality error on a loom cell.

use crate::{BoundedSemaphore, Condition, Mutex, RwLock, Semaphore};
use loom::cell::UnsafeCell;
use loom::future::block_on;
use loom::sync::Arc;
use loom::thread;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc as StdArc;
use std::task::{Context, Wake, Waker};

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
