//! `select!`: the winner's branch runs, the losers are dropped before it
//! does, branches are polled in written order, and the body is the
//! caller's own code (`.await`, `?`, `break`).

use aio_executor::{block_on, select, spawn, yield_now};
use std::cell::Cell;
use std::future::{pending, Future, IntoFuture, Ready};
use std::rc::Rc;

mod support;

use support::{DropFlag, Signal};

/// Gives `value` once `signal` is set, holding a drop flag meanwhile.
async fn after(signal: Signal, dropped: Rc<Cell<bool>>, value: &'static str) -> &'static str {
    let _guard = DropFlag(dropped);
    signal.wait().await;
    value
}

#[test]
fn the_first_to_finish_wins_and_the_loser_is_dropped_before_the_body_runs() {
    block_on(async {
        let (slow, fast) = (Signal::default(), Signal::default());
        let (slow_dropped, fast_dropped) = (Rc::new(Cell::new(false)), Rc::new(Cell::new(false)));
        let setter = spawn({
            let fast = fast.clone();
            async move { fast.set() }
        });
        let seen_in_body = select! {
            reply = after(slow.clone(), slow_dropped.clone(), "slow") => (reply, slow_dropped.get()),
            reply = after(fast.clone(), fast_dropped.clone(), "fast") => (reply, slow_dropped.get()),
        };
        assert_eq!(
            seen_in_body,
            ("fast", true),
            "the loser was dropped before the body ran"
        );
        assert!(fast_dropped.get());
        setter.await.unwrap();
        // Setting the loser's signal now wakes nobody: its future is gone.
        slow.set();
    });
}

#[test]
fn branches_ready_together_resolve_in_the_order_written() {
    block_on(async {
        let first_written = select! {
            n = async { 1 } => n,
            n = async { 2 } => n,
        };
        assert_eq!(first_written, 1);
        let first_written = select! {
            n = async { 2 } => n,
            n = async { 1 } => n,
        };
        assert_eq!(first_written, 2);
        // Polled in order on every wake, not just the first: both become
        // ready in the same turn, the first written wins.
        let go = Signal::default();
        let setter = spawn({
            let go = go.clone();
            async move { go.set() }
        });
        let winner = select! {
            _ = go.wait() => "first",
            _ = go.wait() => "second",
        };
        assert_eq!(winner, "first");
        setter.await.unwrap();
    });
}

#[test]
fn a_later_branch_wins_when_the_earlier_never_finishes() {
    block_on(async {
        let dropped = Rc::new(Cell::new(false));
        let guard = DropFlag(dropped.clone());
        let winner = select! {
            never = async move {
                let _guard = guard;
                pending::<u8>().await
            } => {
                u32::from(never)
            }
            n = async {
                yield_now().await;
                7u32
            } => n * 6
        };
        assert_eq!(winner, 42);
        assert!(dropped.get());
    });
}

#[test]
fn the_body_is_the_callers_code_await_question_mark_and_break_work() {
    async fn fails_through_question_mark() -> Result<u8, String> {
        let value = select! {
            result = async { Err::<u8, String>("refused".into()) } => result?,
            _ = pending::<()>() => 0,
        };
        Ok(value)
    }
    block_on(async {
        assert_eq!(
            fails_through_question_mark().await,
            Err("refused".to_string())
        );
        let mut rounds = 0;
        loop {
            rounds += 1;
            select! {
                _ = yield_now() => {
                    if rounds == 3 {
                        break;
                    }
                }
                _ = pending::<()>() => continue,
            }
        }
        assert_eq!(rounds, 3);
        let awaited_in_body = select! {
            n = async { 20 } => spawn(async move { n }).await.unwrap() + 1,
        };
        assert_eq!(awaited_in_body, 21);
    });
}

#[test]
fn branches_take_into_future_values_and_patterns() {
    /// A builder that becomes a future only when awaited, as a request does.
    struct Request(u8);
    impl IntoFuture for Request {
        type Output = (u8, &'static str);
        type IntoFuture = Ready<(u8, &'static str)>;
        fn into_future(self) -> Self::IntoFuture {
            std::future::ready((self.0, "ok"))
        }
    }
    block_on(async {
        let (status, text) = select! {
            (status, text) = Request(200) => (status, text),
            _ = pending::<()>() => (0, ""),
        };
        assert_eq!((status, text), (200, "ok"));
        let joined = select! {
            output = spawn(async { "from a task" }) => output.unwrap(),
        };
        assert_eq!(joined, "from a task");
    });
}

#[test]
fn branches_may_borrow_from_the_caller() {
    block_on(async {
        let words = ["borrowed".to_string()];
        let len = select! {
            n = async { words[0].len() } => n,
            _ = pending::<()>() => 0,
        };
        assert_eq!(len, 8);
        assert_eq!(words.len(), 1);
    });
}

#[test]
fn a_select_of_send_futures_is_send() {
    fn assert_send<F: Future + Send>(future: F) -> F {
        future
    }
    let answer = block_on(assert_send(async {
        select! {
            n = async { 41 } => n + 1,
            _ = std::future::pending::<()>() => 0,
        }
    }));
    assert_eq!(answer, 42);
}

#[test]
fn block_bodies_may_be_followed_by_a_comma_or_not() {
    let (a, b, c) = block_on(async {
        let a = select! {
            n = async { 1 } => { n },
            _ = pending::<()>() => { 0 },
        };
        let b = select! {
            _ = pending::<()>() => { 0 }
            n = async { 2 } => { n }
        };
        let c = select! {
            n = async { 3 } => { n },
            _ = pending::<()>() => 0,
        };
        (a, b, c)
    });
    assert_eq!((a, b, c), (1, 2, 3));
}
