//! oneshot: one value from one task to another; every way either end can
//! go away.

mod manual_poll;

use aio_executor::{block_on, spawn, yield_now};
use aio_sync::oneshot::{self, TryRecvError};
use manual_poll::{assert_send, assert_send_sync, poll_once, yield_until};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Poll;

#[test]
fn value_sent_before_the_await_arrives() {
    block_on(async {
        let (sender, receiver) = oneshot::channel();
        sender.send(String::from("hello")).unwrap();
        assert_eq!(receiver.await.unwrap(), "hello");
    });
}

#[test]
fn waiting_receiver_is_woken_by_the_send() {
    block_on(async {
        let (sender, receiver) = oneshot::channel();
        let task = spawn(receiver);
        yield_now().await;
        assert!(!task.is_finished());
        sender.send(42).unwrap();
        assert!(yield_until(|| task.is_finished()).await);
        assert_eq!(task.await.unwrap(), Ok(42));
    });
}

#[test]
fn send_wakes_the_receiver_exactly_once() {
    let (sender, receiver) = oneshot::channel();
    let mut receiver = Box::pin(receiver);
    let (poll, waker) = poll_once(receiver.as_mut());
    assert!(poll.is_pending());
    sender.send(1).unwrap();
    assert_eq!(waker.wakes(), 1);
    assert_eq!(waker.poll(receiver.as_mut()), Poll::Ready(Ok(1)));
    assert!(
        waker.poll(receiver.as_mut()).is_ready(),
        "polled again: an error, not a hang"
    );
}

#[test]
fn sender_dropped_without_sending_is_an_error() {
    let (sender, receiver) = oneshot::channel::<u8>();
    let mut receiver = Box::pin(receiver);
    let (poll, waker) = poll_once(receiver.as_mut());
    assert!(poll.is_pending());
    drop(sender);
    assert_eq!(waker.wakes(), 1);
    let Poll::Ready(Err(error)) = waker.poll(receiver.as_mut()) else {
        panic!("the sender is gone");
    };
    assert!(error.to_string().contains("dropped without sending"));
}

#[test]
fn send_to_a_dropped_receiver_gives_the_value_back() {
    let (sender, receiver) = oneshot::channel();
    assert!(!sender.is_closed());
    drop(receiver);
    assert!(sender.is_closed());
    assert_eq!(sender.send(vec![1, 2]), Err(vec![1, 2]));
}

#[test]
fn closed_resolves_when_the_receiver_goes() {
    block_on(async {
        let (mut sender, receiver) = oneshot::channel::<()>();
        let watcher = spawn(async move {
            sender.closed().await;
            sender.is_closed()
        });
        yield_now().await;
        assert!(!watcher.is_finished());
        drop(receiver);
        assert!(yield_until(|| watcher.is_finished()).await);
        assert!(watcher.await.unwrap());
    });
}

#[test]
fn try_recv_reports_empty_then_the_value_then_closed() {
    let (sender, mut receiver) = oneshot::channel();
    assert_eq!(receiver.try_recv(), Err(TryRecvError::Empty));
    sender.send('x').unwrap();
    assert_eq!(receiver.try_recv(), Ok('x'));
    assert_eq!(receiver.try_recv(), Err(TryRecvError::Closed));
    let (sender, mut receiver) = oneshot::channel::<char>();
    drop(sender);
    assert_eq!(receiver.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn a_value_nobody_receives_is_dropped_with_the_receiver() {
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let (sender, receiver) = oneshot::channel();
    assert!(sender.send(Counted(Arc::clone(&drops))).is_ok());
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    drop(receiver);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn receiver_dropped_while_waiting_loses_nothing_for_the_sender() {
    let (sender, receiver) = oneshot::channel();
    let mut receiver = Box::pin(receiver);
    assert!(poll_once(receiver.as_mut()).0.is_pending());
    drop(receiver); // a cancelled await
    assert_eq!(sender.send(5), Err(5), "the value comes back");
}

#[test]
fn ends_and_futures_are_send() {
    let (mut sender, receiver) = oneshot::channel::<String>();
    assert_send_sync(&sender);
    assert_send_sync(&receiver);
    assert_send(&sender.closed());
    let task = async move { receiver.await.map(|text| text.len()) };
    assert_send(&task);
}
