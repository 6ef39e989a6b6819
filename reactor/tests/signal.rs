//! `signal::unix::signal`: listeners woken, deliveries coalesced but never
//! lost between awaits, forbidden signals refused, and the previous
//! disposition back once the last listener goes.
//!
//! Signals belong to the whole test process and the tests run in parallel,
//! so each test uses a signal of its own.

mod support;

use std::future::Future;
use std::pin::pin;
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use aio_reactor::signal::unix::{signal, SignalKind};
use aio_reactor::time::timeout;
use support::{block_on, join_all};

/// Bound on waits that must succeed: a hang fails instead of stalling the suite.
const PATIENCE: Duration = Duration::from_secs(20);

/// Raise `signum` on the calling thread: its handler has run when this returns.
fn raise(signum: i32) {
    // SAFETY: raise takes no pointers; every signal raised here has a
    // listener, so the process survives it.
    assert_eq!(unsafe { libc::raise(signum) }, 0);
}

/// The handler address currently installed for `signum`.
fn handler_of(signum: i32) -> libc::sighandler_t {
    // SAFETY: a null `act` only reads; `old` is written on success.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        assert_eq!(libc::sigaction(signum, std::ptr::null(), &mut old), 0);
        old.sa_sigaction
    }
}

/// A waker that does nothing (`Waker::noop` needs a newer Rust than the MSRV).
struct Noop;

impl Wake for Noop {
    fn wake(self: Arc<Self>) {}
}

/// Poll `future` once with a waker that does nothing.
fn poll_once<F: Future>(future: F) -> Poll<F::Output> {
    let waker = Waker::from(Arc::new(Noop));
    let mut cx = Context::from_waker(&waker);
    pin!(future).poll(&mut cx)
}

#[test]
fn two_listeners_are_both_woken_by_a_signal_from_another_thread() {
    let signum = libc::SIGUSR1;
    block_on(async move {
        let mut first = signal(SignalKind::user_defined1()).unwrap();
        let mut second = signal(SignalKind::from_raw(signum)).unwrap();
        assert_eq!(first.kind(), second.kind());
        let raiser = std::thread::spawn(move || raise(signum));
        let both = join_all(vec![
            Box::pin(async move { first.recv().await }),
            Box::pin(async move { second.recv().await }),
        ]);
        let got = timeout(PATIENCE, both).await.expect("both listeners woken");
        assert_eq!(got, vec![Some(()), Some(())]);
        raiser.join().unwrap();
    });
}

#[test]
fn a_burst_of_1000_coalesces_into_one_delivery_and_none_is_lost() {
    let signum = libc::SIGUSR2;
    block_on(async move {
        let mut listener = signal(SignalKind::user_defined2()).unwrap();
        let burst = std::thread::spawn(move || (0..1000).for_each(|_| raise(signum)));
        burst.join().unwrap();
        // Every raise had run its handler: the listener has something...
        timeout(PATIENCE, listener.recv())
            .await
            .expect("the burst is seen");
        // ...once: the burst coalesced into that one delivery.
        assert!(poll_once(listener.recv()).is_pending());
    });
}

#[test]
fn a_listener_awaiting_after_each_raise_counts_all_1000() {
    let signum = libc::SIGHUP;
    block_on(async move {
        let mut listener = signal(SignalKind::hangup()).unwrap();
        // Same thread: each raise has run its handler before the await.
        for _ in 0..1000 {
            raise(signum);
            assert_eq!(poll_once(listener.recv()), Poll::Ready(Some(())));
        }
        // Another thread raises only once the listener has taken the last
        // delivery, so the listener is usually parked and woken through the
        // reactor; 1000 round trips, each must arrive.
        let (ready_tx, ready_rx) = mpsc::channel::<()>();
        let raiser = std::thread::spawn(move || {
            while ready_rx.recv().is_ok() {
                raise(signum);
            }
        });
        let mut received = 0;
        for _ in 0..1000 {
            ready_tx.send(()).unwrap();
            timeout(PATIENCE, listener.recv())
                .await
                .expect("each raise is delivered");
            received += 1;
        }
        drop(ready_tx);
        raiser.join().unwrap();
        assert_eq!(received, 1000);
    });
}

#[test]
fn a_dropped_recv_loses_nothing() {
    let signum = libc::SIGWINCH;
    block_on(async move {
        let mut listener = signal(SignalKind::window_change()).unwrap();
        // A recv polled (waker stored), then dropped, then the signal.
        assert!(poll_once(listener.recv()).is_pending());
        raise(signum);
        timeout(PATIENCE, listener.recv())
            .await
            .expect("the delivery waits for the next recv");
    });
}

#[test]
fn the_previous_disposition_comes_back_with_the_last_listener() {
    let signum = libc::SIGRTMIN() + 3;
    assert_eq!(handler_of(signum), libc::SIG_DFL);
    block_on(async move {
        for _ in 0..2 {
            let first = signal(SignalKind::from_raw(signum)).unwrap();
            let mut second = signal(SignalKind::from_raw(signum)).unwrap();
            let installed = handler_of(signum);
            assert_ne!(installed, libc::SIG_DFL);
            drop(first);
            assert_eq!(handler_of(signum), installed, "one listener is left");
            // Still delivered, including the second time round.
            raise(signum);
            assert_eq!(poll_once(second.recv()), Poll::Ready(Some(())));
            drop(second);
            // Back to the default action (here: it would end the process).
            assert_eq!(handler_of(signum), libc::SIG_DFL);
        }
    });

    // An ignored signal is ignored again afterwards.
    let ignored = libc::SIGRTMIN() + 4;
    // SAFETY: SIG_IGN for a real-time signal nothing else here uses.
    unsafe { libc::signal(ignored, libc::SIG_IGN) };
    block_on(async move {
        let mut listener = signal(SignalKind::from_raw(ignored)).unwrap();
        raise(ignored);
        assert_eq!(poll_once(listener.recv()), Poll::Ready(Some(())));
    });
    assert_eq!(handler_of(ignored), libc::SIG_IGN);
}

#[test]
fn uncatchable_and_fault_signals_are_refused_clearly() {
    block_on(async {
        for (signum, name) in [
            (libc::SIGKILL, "SIGKILL"),
            (libc::SIGSTOP, "SIGSTOP"),
            (libc::SIGSEGV, "SIGSEGV"),
            (libc::SIGFPE, "SIGFPE"),
            (libc::SIGILL, "SIGILL"),
        ] {
            let err = signal(SignalKind::from_raw(signum)).unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
            assert!(err.to_string().contains(name), "{err}");
            assert!(err.to_string().contains("cannot be listened to"), "{err}");
        }
        for not_a_signal in [0, -1, 65, 1000] {
            let err = signal(SignalKind::from_raw(not_a_signal)).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("{not_a_signal} is not a signal number")
            );
        }
    });
    assert_eq!(
        format!("{:?}", SignalKind::terminate()),
        "SignalKind(SIGTERM = 15)"
    );
}

#[test]
#[should_panic(expected = "aio::signal::unix::signal() called outside of aio::run()")]
fn signal_outside_a_reactor_panics() {
    let _ = signal(SignalKind::alarm());
}
