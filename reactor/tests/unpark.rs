mod support;

use std::sync::mpsc::{self, TryRecvError};
use std::time::{Duration, Instant};

use aio_reactor::Reactor;

/// How long a test waits for something that should take microseconds before
/// calling it broken. Only ever reached when the code is wrong.
const HANG: Duration = Duration::from_secs(30);

#[test]
fn unpark_from_another_thread_wakes_a_blocked_turn() {
    let (unparker_tx, unparker_rx) = mpsc::channel();
    let (turning_tx, turning) = mpsc::channel();
    let (returned_tx, returned) = mpsc::channel();
    let loop_thread = std::thread::Builder::new()
        .name("unpark-loop".into())
        .spawn(move || {
            let mut reactor = Reactor::new().unwrap();
            unparker_tx.send(reactor.unparker()).unwrap();
            for i in 0..3 {
                turning_tx.send(i).unwrap();
                reactor.turn(None); // no timers, no sockets: only an unpark ends this
                returned_tx.send(i).unwrap();
            }
        })
        .unwrap();
    let unparker = unparker_rx.recv().unwrap();
    for i in 0..3 {
        assert_eq!(turning.recv_timeout(HANG), Ok(i));
        // The facts this test needs: the loop is blocked in epoll_wait (not
        // merely about to call it, which the pending flag would cover), and
        // its turn has not returned on its own.
        support::wait_until_asleep("unpark-loop");
        assert_eq!(
            returned.try_recv(),
            Err(TryRecvError::Empty),
            "turn {i} returned before it was unparked"
        );
        // One unpark per turn: a second one may land after the turn
        // consumed the first and (rightly) end the next turn early.
        unparker.unpark();
        assert_eq!(
            returned.recv_timeout(HANG),
            Ok(i),
            "unpark did not wake blocked turn {i}"
        );
    }
    loop_thread.join().unwrap();
}

#[test]
fn unpark_before_turn_makes_the_next_turn_return() {
    let mut reactor = Reactor::new().unwrap();
    reactor.unparker().unpark();
    let start = Instant::now();
    reactor.turn(Some(HANG));
    // Not a latency bound: a turn that ignored the pending unpark would have
    // waited for its whole timeout, and a turn never returns before it.
    assert!(start.elapsed() < HANG, "the pending unpark was lost");
    // The wake was consumed: the next turn waits for its timeout.
    let start = Instant::now();
    reactor.turn(Some(Duration::from_millis(50)));
    assert!(start.elapsed() >= Duration::from_millis(50));
}
