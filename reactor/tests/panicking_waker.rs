//! A waker is foreign code: one that panics when woken must not unwind out of
//! the reactor, nor cost the other wakers of the same batch their wake-up.

mod support;

use std::future::Future;
use std::pin::Pin;
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::task::{Context, Wake, Waker};
use std::time::{Duration, Instant};

use aio_reactor::time::sleep_until;
use aio_reactor::{blocking, Reactor};

/// Records its name in a shared log when woken; panics afterwards if asked.
struct Logged {
    name: &'static str,
    panics: bool,
    log: Arc<(Mutex<Vec<&'static str>>, Condvar)>,
}

impl Wake for Logged {
    fn wake(self: Arc<Self>) {
        let (list, changed) = &*self.log;
        list.lock().unwrap().push(self.name);
        changed.notify_all();
        if self.panics {
            panic!("waker {} panics on purpose", self.name);
        }
    }
}

fn waker(
    name: &'static str,
    panics: bool,
    log: &Arc<(Mutex<Vec<&'static str>>, Condvar)>,
) -> Waker {
    Waker::from(Arc::new(Logged {
        name,
        panics,
        log: log.clone(),
    }))
}

#[test]
fn a_panicking_waker_in_turn_is_contained_and_the_rest_of_the_batch_is_woken() {
    let mut reactor = Reactor::new().unwrap();
    let enter = reactor.enter();
    let log = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
    // Equal deadlines fire in registration order, in one turn: the panicking
    // waker comes first in the batch, the well-behaved one after it.
    let deadline = Instant::now() + Duration::from_millis(5);
    let mut first = sleep_until(deadline);
    let mut second = sleep_until(deadline);
    let bad = waker("panicking", true, &log);
    let good = waker("other", false, &log);
    assert!(Pin::new(&mut first)
        .poll(&mut Context::from_waker(&bad))
        .is_pending());
    assert!(Pin::new(&mut second)
        .poll(&mut Context::from_waker(&good))
        .is_pending());
    drop(enter);

    while log.0.lock().unwrap().is_empty() {
        // Would unwind out of here before the fix.
        reactor.turn(None);
    }
    assert_eq!(
        *log.0.lock().unwrap(),
        ["panicking", "other"],
        "the waker after the panicking one in the same turn was woken too"
    );

    // The reactor still works: a later timer fires on a later turn...
    let enter = reactor.enter();
    let mut third = sleep_until(Instant::now() + Duration::from_millis(1));
    assert!(Pin::new(&mut third)
        .poll(&mut Context::from_waker(&waker("later", false, &log)))
        .is_pending());
    drop(enter);
    while log.0.lock().unwrap().len() < 3 {
        reactor.turn(None);
    }
    assert_eq!(log.0.lock().unwrap()[2], "later");
    // ...and an unpark still ends a turn (None: it would block forever otherwise).
    reactor.unparker().unpark();
    reactor.turn(None);
    let report = reactor.shutdown(Duration::from_secs(5));
    assert_eq!(report.timers_pending, 0);
}

#[test]
fn a_panicking_waker_at_shutdown_does_not_stop_the_other_wakes() {
    let reactor = Reactor::new().unwrap();
    let enter = reactor.enter();
    let log = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
    let far = Instant::now() + Duration::from_secs(3600);
    let mut first = sleep_until(far);
    let mut second = sleep_until(far);
    assert!(Pin::new(&mut first)
        .poll(&mut Context::from_waker(&waker("panicking", true, &log)))
        .is_pending());
    assert!(Pin::new(&mut second)
        .poll(&mut Context::from_waker(&waker("other", false, &log)))
        .is_pending());
    drop(enter);
    let report = reactor.shutdown(Duration::from_secs(1));
    assert_eq!(report.timers_pending, 2);
    let mut woken = log.0.lock().unwrap().clone();
    woken.sort_unstable();
    assert_eq!(woken, ["other", "panicking"]);
}

#[test]
fn a_panicking_waker_on_a_pool_thread_leaves_the_pool_consistent() {
    let mut reactor = Reactor::new().unwrap();
    let log = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
    let enter = reactor.enter();
    // The job waits until its waker is stored, so it cannot finish first.
    let (stored, wait_stored) = mpsc::channel::<()>();
    let mut job = blocking::run(move || {
        wait_stored.recv().unwrap();
        1
    });
    assert!(Pin::new(&mut job)
        .poll(&mut Context::from_waker(&waker("job", true, &log)))
        .is_pending());
    stored.send(()).unwrap();
    drop(enter);
    // Wait for the fact: the pool thread completed the job and woke (the
    // panicking waker logs before it panics).
    {
        let (list, changed) = &*log;
        let mut list = list.lock().unwrap();
        let start = Instant::now();
        while list.is_empty() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "job never completed"
            );
            list = changed
                .wait_timeout(list, Duration::from_secs(1))
                .unwrap()
                .0;
        }
    }
    // The result was stored before the wake panicked.
    assert_eq!(support::block_on_with(&mut reactor, job).unwrap(), 1);
    // The pool still runs jobs, and its running count came back to zero:
    // shutdown has nothing to wait for (an unwound worker would leave it
    // counted as running, and shutdown would give up on it after the bound).
    assert_eq!(
        support::block_on_with(&mut reactor, async { blocking::run(|| 2).await }).unwrap(),
        2
    );
    let report = reactor.shutdown(Duration::from_secs(5));
    assert_eq!(report.blocking_jobs_abandoned, 0);
}
