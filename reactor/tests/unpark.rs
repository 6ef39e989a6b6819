use std::sync::mpsc;
use std::time::{Duration, Instant};

use aio_reactor::Reactor;

#[test]
fn unpark_from_another_thread_wakes_a_blocked_turn() {
    let (tx, rx) = mpsc::channel();
    let loop_thread = std::thread::spawn(move || {
        let mut reactor = Reactor::new().unwrap();
        tx.send(reactor.unparker()).unwrap();
        let mut took = Vec::new();
        for _ in 0..3 {
            let start = Instant::now();
            reactor.turn(None); // no timers, no sockets: only an unpark ends this
            took.push(start.elapsed());
        }
        took
    });
    let unparker = rx.recv().unwrap();
    let mut sent = Vec::new();
    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(150));
        sent.push(Instant::now());
        unparker.unpark();
        unparker.unpark(); // a pending wake is not doubled into a spurious one later
                           // Wait until this turn finished before the next round.
        std::thread::sleep(Duration::from_millis(30));
    }
    let took = loop_thread.join().unwrap();
    for t in &took {
        assert!(
            *t >= Duration::from_millis(100),
            "turn returned before the unpark: {t:?}"
        );
        assert!(
            *t < Duration::from_millis(150 + 100 + 30),
            "unpark took too long: {t:?}"
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
