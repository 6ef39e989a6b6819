use std::sync::mpsc;
use std::time::{Duration, Instant};

use aio_reactor::Reactor;

#[test]
fn unpark_from_another_thread_wakes_a_blocked_turn() {
    let (tx, rx) = mpsc::channel();
    let loop_thread = std::thread::spawn(move || {
        let mut reactor = Reactor::new().unwrap();
        tx.send(reactor.unparker()).unwrap();
        let mut returned = Vec::new();
        for _ in 0..3 {
            reactor.turn(None); // no timers, no sockets: only an unpark ends this
            returned.push(Instant::now());
        }
        returned
    });
    let unparker = rx.recv().unwrap();
    let mut sent = Vec::new();
    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(150));
        sent.push(Instant::now());
        // One unpark per turn: a second one may land after the turn
        // consumed the first and (rightly) end the next turn early.
        unparker.unpark();
    }
    let returned = loop_thread.join().unwrap();
    for (sent, returned) in sent.iter().zip(&returned) {
        assert!(returned >= sent, "turn returned before it was unparked");
        let latency = *returned - *sent;
        assert!(
            latency < Duration::from_millis(100),
            "unpark took {latency:?}"
        );
    }
}

#[test]
fn unpark_before_turn_makes_the_next_turn_return() {
    let mut reactor = Reactor::new().unwrap();
    reactor.unparker().unpark();
    let start = Instant::now();
    reactor.turn(Some(Duration::from_secs(5)));
    assert!(start.elapsed() < Duration::from_secs(1));
    // The wake was consumed: the next turn waits for its timeout.
    let start = Instant::now();
    reactor.turn(Some(Duration::from_millis(50)));
    assert!(start.elapsed() >= Duration::from_millis(50));
}
