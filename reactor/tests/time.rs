mod support;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Wake, Waker};
use std::time::{Duration, Instant};

use aio_reactor::time::{interval, sleep, sleep_until, timeout, Elapsed};
use aio_reactor::Reactor;
use support::{block_on, boxed, join_all};

/// xorshift: deterministic "random" deadlines without a dependency.
fn rng(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

struct Record {
    index: usize,
    log: Arc<Mutex<Vec<(usize, Instant)>>>,
}

impl Wake for Record {
    fn wake(self: Arc<Self>) {
        self.log.lock().unwrap().push((self.index, Instant::now()));
    }
}

#[test]
fn timers_fire_in_deadline_order_and_never_early() {
    let mut reactor = Reactor::new().unwrap();
    let _enter = reactor.enter();
    let log = Arc::new(Mutex::new(Vec::new()));
    let start = Instant::now();
    let mut seed = 0x9e37_79b9_7f4a_7c15;
    let mut sleeps = Vec::new();
    for index in 0..200 {
        let deadline = start + Duration::from_micros(rng(&mut seed) % 150_000);
        let mut s = sleep_until(deadline);
        let waker = Waker::from(Arc::new(Record {
            index,
            log: log.clone(),
        }));
        assert!(Pin::new(&mut s)
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        sleeps.push(s);
    }
    while log.lock().unwrap().len() < sleeps.len() {
        reactor.turn(None);
    }
    let log = log.lock().unwrap();
    let mut last = start;
    for &(index, woke_at) in log.iter() {
        let deadline = sleeps[index].deadline();
        assert!(
            woke_at >= deadline,
            "timer {index} fired {:?} early",
            deadline - woke_at
        );
        assert!(
            deadline >= last,
            "timer {index} fired out of deadline order"
        );
        last = deadline;
    }
}

#[test]
fn ten_thousand_random_timers_complete() {
    let start = Instant::now();
    let mut seed = 42;
    let futs = (0..10_000)
        .map(|_| {
            let d = Duration::from_millis(rng(&mut seed) % 300);
            boxed(async move {
                let deadline = Instant::now() + d;
                sleep(d).await;
                assert!(Instant::now() >= deadline, "woke early");
            })
        })
        .collect();
    block_on(join_all(futs));
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(250),
        "longest timers cannot be done yet: {took:?}"
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn timeout_elapses_and_passes_ready_values_through() {
    block_on(async {
        let start = Instant::now();
        let r = timeout(Duration::from_millis(30), sleep(Duration::from_secs(10))).await;
        assert_eq!(r, Err(Elapsed));
        assert!(start.elapsed() >= Duration::from_millis(30));
        assert!(start.elapsed() < Duration::from_secs(5));
        assert_eq!(Elapsed.to_string(), "deadline has elapsed");

        assert_eq!(timeout(Duration::from_secs(10), async { 7 }).await, Ok(7));
        // A future ready before the deadline wins even with a zero timeout.
        assert_eq!(
            timeout(Duration::ZERO, std::future::ready("x")).await,
            Ok("x")
        );
        let r = timeout(Duration::from_secs(5), async {
            sleep(Duration::from_millis(10)).await;
            1
        })
        .await;
        assert_eq!(r, Ok(1));
    });
}

#[test]
fn interval_ticks_about_a_period_apart() {
    block_on(async {
        let period = Duration::from_millis(20);
        let mut iv = interval(period);
        let start = Instant::now();
        // The first tick is immediate: ready on its first poll, scheduled at
        // creation. (Facts, not a wall-clock bound a loaded machine could break.)
        let first = std::future::poll_fn(|cx| std::task::Poll::Ready(iv.poll_tick(cx))).await;
        let std::task::Poll::Ready(first) = first else {
            panic!("first tick is immediate")
        };
        assert!(first <= start, "first tick is scheduled at creation");
        let mut prev = first;
        for _ in 0..5 {
            let t = iv.tick().await;
            assert_eq!(t - prev, period, "ticks are scheduled a period apart");
            assert!(Instant::now() >= t, "tick never early");
            prev = t;
        }
        let elapsed = start.elapsed();
        assert!(elapsed >= period * 5, "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    });
}

#[test]
fn dropping_a_pending_sleep_cancels_it() {
    block_on(async {
        for _ in 0..1000 {
            let r = timeout(Duration::from_millis(1), sleep(Duration::from_secs(3600))).await;
            assert!(r.is_err());
        }
    });
}

#[test]
fn sleep_outside_the_loop_panics_with_a_clear_message() {
    let err = std::panic::catch_unwind(|| sleep(Duration::from_millis(1))).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert_eq!(msg, "aio::time::sleep() called outside of aio::run()");
}

#[test]
fn timer_polled_from_another_thread_interrupts_a_parked_turn() {
    // A far timer makes the loop park for long; a sleep registered from another
    // thread with a nearer deadline must cut that short.
    let log = Arc::new(Mutex::new(Vec::new()));
    let (sleeps_tx, sleeps) = std::sync::mpsc::channel();
    let loop_thread = std::thread::Builder::new()
        .name("timer-loop".into())
        .spawn({
            let log = log.clone();
            move || {
                let mut reactor = Reactor::new().unwrap();
                let enter = reactor.enter();
                let mut far = sleep(Duration::from_secs(60));
                let noop = Waker::from(Arc::new(Record {
                    index: 0,
                    log: Arc::new(Mutex::new(Vec::new())),
                }));
                assert!(Pin::new(&mut far)
                    .poll(&mut Context::from_waker(&noop))
                    .is_pending());
                // Created here (it needs the entered reactor), registered there.
                let near = sleep(Duration::from_secs(30));
                drop(enter);
                sleeps_tx.send((near, far.deadline())).unwrap();
                while log.lock().unwrap().is_empty() {
                    reactor.turn(None);
                }
            }
        })
        .unwrap();
    let (mut near, far_deadline) = sleeps.recv().unwrap();
    // The fact the test needs: the loop is parked on the far deadline. Had
    // `near` been registered before the loop parked, the loop would simply
    // have waited for it, and the unpark path would go untested.
    support::wait_until_asleep("timer-loop");
    let waker = Waker::from(Arc::new(Record {
        index: 1,
        log: log.clone(),
    }));
    // Registering from this thread is what must interrupt the parked turn.
    // (Retried if this thread was preempted past the new deadline between
    // the reset and the poll: a ready sleep registers nothing.)
    loop {
        near.reset(Instant::now() + Duration::from_millis(50));
        if Pin::new(&mut near)
            .poll(&mut Context::from_waker(&waker))
            .is_pending()
        {
            break;
        }
    }
    loop_thread.join().unwrap();
    let (_, fired_at) = log.lock().unwrap()[0];
    // Not a latency bound: an uninterrupted loop sleeps until the far
    // deadline, so firing before it is exactly the fact to prove.
    assert!(
        fired_at < far_deadline,
        "near timer fired only with the far one: the parked loop was not interrupted"
    );
}
