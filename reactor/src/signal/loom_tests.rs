//! Loom model of the signal slot protocol: a delivery (the handler's count,
//! then its wake-up byte), a dispatcher (drains the byte, then wakes the
//! slot's listeners), and a listener polling concurrently. Whatever the
//! interleaving, the listener sees the delivery at its poll or is woken.

use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Wake, Waker};

use loom::sync::{mpsc, Arc};
use loom::thread;

use super::Slot;

struct Flag(std::sync::atomic::AtomicBool);

impl Wake for Flag {
    fn wake(self: StdArc<Self>) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn loom_a_delivery_is_seen_at_the_poll_or_wakes_the_listener() {
    loom::model(|| {
        let slot = Arc::new(Slot::new());
        let key = slot.lock().wakers.insert(None);
        // The wake-up socket: a write happens before the read that sees it.
        let (byte_tx, byte_rx) = mpsc::channel::<()>();

        let handler = {
            let slot = slot.clone();
            thread::spawn(move || {
                slot.deliver();
                byte_tx.send(()).unwrap();
            })
        };
        let dispatcher = {
            let slot = slot.clone();
            thread::spawn(move || {
                // The reactor wakes when the byte is there (epoll).
                byte_rx.recv().unwrap();
                let mut wakers = Vec::new();
                slot.dispatch_into(&mut wakers);
                wakers.into_iter().for_each(Waker::wake);
            })
        };

        let flag = StdArc::new(Flag(std::sync::atomic::AtomicBool::new(false)));
        let waker = Waker::from(flag.clone());
        let mut seen = 0;
        let polled = slot.poll_listener(key, &mut seen, &mut Context::from_waker(&waker));
        handler.join().unwrap();
        dispatcher.join().unwrap();
        match polled {
            Poll::Ready(()) => assert_eq!(seen, 1),
            Poll::Pending => {
                assert!(
                    flag.0.load(std::sync::atomic::Ordering::SeqCst),
                    "wake-up lost"
                );
                // And the woken listener now sees it.
                let again = slot.poll_listener(key, &mut seen, &mut Context::from_waker(&waker));
                assert_eq!(again, Poll::Ready(()));
            }
        }
    });
}
