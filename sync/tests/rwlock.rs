//! RwLock: shared readers, exclusive writers, FIFO (no writer starvation),
//! cancellation at every point.

mod manual_poll;

use aio_executor::{block_on, spawn, yield_now};
use aio_sync::RwLock;
use manual_poll::{assert_send, assert_send_sync, poll_once, yield_until};
use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::task::Poll;

#[test]
fn readers_share_and_a_writer_excludes_everyone() {
    block_on(async {
        let lock = RwLock::new(1);
        {
            let first = lock.read().await;
            let second = lock.read().await;
            assert_eq!(*first + *second, 2);
            assert!(lock.try_write().is_err());
            assert!(lock.try_read().is_ok());
        }
        {
            let mut writer = lock.write().await;
            *writer = 5;
            assert!(lock.try_read().is_err());
            assert!(lock.try_write().is_err());
        }
        assert_eq!(*lock.try_write().unwrap(), 5);
        let mut lock = lock;
        *lock.get_mut() += 1;
        assert_eq!(lock.into_inner(), 6);
    });
}

#[test]
fn a_waiting_writer_holds_back_later_readers() {
    let lock = RwLock::new(0);
    let reader = lock.try_read().unwrap();
    let mut writer = Box::pin(lock.write());
    let (poll, writer_waker) = poll_once(writer.as_mut());
    assert!(poll.is_pending());
    assert!(lock.try_read().is_err(), "no reader overtakes the writer");
    let mut late_reader = Box::pin(lock.read());
    let (poll, reader_waker) = poll_once(late_reader.as_mut());
    assert!(poll.is_pending());
    drop(reader);
    assert_eq!((writer_waker.wakes(), reader_waker.wakes()), (1, 0));
    let Poll::Ready(mut guard) = writer_waker.poll(writer.as_mut()) else {
        panic!("the writer was granted");
    };
    *guard = 1;
    drop(guard);
    assert_eq!(reader_waker.wakes(), 1);
    let Poll::Ready(guard) = reader_waker.poll(late_reader.as_mut()) else {
        panic!("the reader was granted");
    };
    assert_eq!(*guard, 1);
}

#[test]
fn readers_queued_behind_a_writer_enter_together() {
    let lock = RwLock::new(());
    let writer = lock.try_write().unwrap();
    let mut readers: Vec<_> = (0..3).map(|_| Box::pin(lock.read())).collect();
    let mut second_writer = Box::pin(lock.write());
    let wakers: Vec<_> = readers
        .iter_mut()
        .map(|reader| {
            let (poll, waker) = poll_once(reader.as_mut());
            assert!(poll.is_pending());
            waker
        })
        .collect();
    let (_, writer_waker) = poll_once(second_writer.as_mut());
    drop(writer);
    assert!(wakers.iter().all(|waker| waker.wakes() == 1));
    assert_eq!(writer_waker.wakes(), 0);
    let guards: Vec<_> = readers
        .iter_mut()
        .zip(&wakers)
        .map(|(reader, waker)| match waker.poll(reader.as_mut()) {
            Poll::Ready(guard) => guard,
            Poll::Pending => panic!("every queued reader was granted"),
        })
        .collect();
    drop(guards);
    assert_eq!(writer_waker.wakes(), 1);
    assert!(writer_waker.poll(second_writer.as_mut()).is_ready());
}

#[test]
fn requests_are_served_in_arrival_order() {
    block_on(async {
        let lock = Arc::new(RwLock::new(Vec::new()));
        let held = lock.write().await;
        let queued = Rc::new(Cell::new(0));
        let mut tasks = Vec::new();
        for (id, writes) in [(0, true), (1, false), (2, true), (3, false)] {
            let (lock, queued_in_task) = (Arc::clone(&lock), Rc::clone(&queued));
            tasks.push(spawn(async move {
                queued_in_task.set(queued_in_task.get() + 1);
                if writes {
                    lock.write().await.push(id);
                } else {
                    let _reader = lock.read().await;
                }
                id
            }));
            assert!(yield_until(|| queued.get() > id).await);
        }
        drop(held);
        assert!(yield_until(|| tasks.iter().all(|task| task.is_finished())).await);
        for (expected, task) in tasks.into_iter().enumerate() {
            assert!(yield_until(|| task.is_finished()).await);
            assert_eq!(task.await.unwrap(), expected);
        }
        assert_eq!(*lock.read().await, [0, 2]);
    });
}

#[test]
fn queued_writer_dropped_lets_later_readers_in() {
    let lock = RwLock::new(());
    let reader = lock.try_read().unwrap();
    let mut writer = Box::pin(lock.write());
    let mut late_reader = Box::pin(lock.read());
    assert!(poll_once(writer.as_mut()).0.is_pending());
    let (poll, reader_waker) = poll_once(late_reader.as_mut());
    assert!(poll.is_pending());
    drop(writer); // never granted: the readers behind it may go now
    assert_eq!(reader_waker.wakes(), 1);
    assert!(reader_waker.poll(late_reader.as_mut()).is_ready());
    drop(reader);
    assert!(lock.try_write().is_ok());
}

#[test]
fn granted_writer_dropped_passes_the_lock_on() {
    let lock = RwLock::new(0);
    let reader = lock.try_read().unwrap();
    let mut writer = Box::pin(lock.write());
    let mut next_writer = Box::pin(lock.write());
    let (_, writer_waker) = poll_once(writer.as_mut());
    let (_, next_waker) = poll_once(next_writer.as_mut());
    drop(reader);
    assert_eq!(writer_waker.wakes(), 1);
    drop(writer); // granted, never polled again
    assert_eq!(next_waker.wakes(), 1);
    let Poll::Ready(guard) = next_waker.poll(next_writer.as_mut()) else {
        panic!("the next writer holds the passed-on lock");
    };
    drop(guard);
    assert!(lock.try_write().is_ok(), "nothing lost");
}

#[test]
fn granted_reader_dropped_releases_its_share() {
    let lock = RwLock::new(0);
    let writer = lock.try_write().unwrap();
    let mut reader = Box::pin(lock.read());
    let mut next_writer = Box::pin(lock.write());
    assert!(poll_once(reader.as_mut()).0.is_pending());
    let (_, next_waker) = poll_once(next_writer.as_mut());
    drop(writer);
    assert_eq!(next_waker.wakes(), 0, "the reader holds a share");
    drop(reader);
    assert_eq!(next_waker.wakes(), 1);
    assert!(next_waker.poll(next_writer.as_mut()).is_ready());
}

#[test]
fn futures_and_guards_are_send() {
    let lock = Arc::new(RwLock::new(String::new()));
    assert_send_sync(&*lock);
    assert_send(&lock.read());
    assert_send(&lock.write());
    assert_send_sync(&lock.try_read().unwrap());
    assert_send_sync(&lock.try_write().unwrap());
    let task = {
        let lock = Arc::clone(&lock);
        async move {
            let mut guard = lock.write().await;
            yield_now().await;
            guard.push('x');
        }
    };
    assert_send(&task);
    assert!(format!("{lock:?}").contains("value"));
}
