//! `select!`: wait for the first of several different futures, drop the
//! rest.
//!
//! The macro pins each future on the caller's stack (inside an `Option`, so
//! that it can be dropped in place), polls them in order from one
//! `poll_fn`, parks the first output in a slot of its own, drops every
//! future, and only then runs the winning branch's body. The body runs in
//! the caller's own code, not in a closure, so `.await`, `?`, `return` and
//! `break` in it mean what they mean around the macro.
//!
//! A `macro_rules!` macro cannot count, so it walks the branches once and
//! names each branch's future and slot in a step of its own: names made in
//! different steps of a macro are different variables (hygiene), even though
//! they are spelt alike.

/// Wait for the first of several futures to finish, drop the others, and
/// run that branch, like `tokio::select!` (or asyncio's
/// `wait(..., return_when=FIRST_COMPLETED)` followed by cancelling the
/// rest).
///
/// ```text
/// aio::select! {
///     pattern = future => expression,
///     pattern = future => { block }
///     ...
/// }
/// ```
///
/// Each `future` is anything [`IntoFuture`](std::future::IntoFuture) (an
/// `async` block, a request builder, a `JoinHandle`); they are evaluated in
/// order, then run concurrently within the current task (nothing is
/// spawned, so they may borrow). When one finishes, every future is dropped
/// (their destructors run, losers first cancelled this way) before the
/// winner's output is matched against its `pattern` and its `expression`
/// runs; the macro's value is that expression's. All branches give the same
/// type, as in a `match`.
///
/// - **Order:** the branches are polled in the order written, every time
///   the task is woken, so when several are ready at once the first one
///   written wins (tokio calls this `biased;`). Put the branch that must not
///   starve first, e.g. a shutdown signal before a stream of work.
/// - **Patterns** must be irrefutable (a name, `_`, a tuple...): to treat
///   outputs differently, `match` in the body.
/// - **Cancellation:** a future dropped because another won loses whatever
///   it had not finished; use only futures that are safe to drop midway,
///   or spawn the work and select on its `JoinHandle`.
///
/// ```
/// use aio_executor::{block_on, select, yield_now};
/// use std::cell::Cell;
///
/// /// Records, when dropped, that it was dropped.
/// struct Flag<'a>(&'a Cell<bool>);
/// impl Drop for Flag<'_> {
///     fn drop(&mut self) {
///         self.0.set(true);
///     }
/// }
///
/// let loser_dropped = Cell::new(false);
/// let message = block_on(async {
///     select! {
///         reply = async {
///             yield_now().await;
///             "fast"
///         } => format!("{reply} wins"),
///         reply = async {
///             let _flag = Flag(&loser_dropped);
///             std::future::pending::<&str>().await
///         } => {
///             // never runs: this future never finishes
///             format!("{reply} wins")
///         }
///     }
/// });
/// assert_eq!(message, "fast wins");
/// assert!(loser_dropped.get());
/// ```
///
/// A pattern that may not match is refused at compile time, as in a
/// `let`:
///
/// ```compile_fail,E0004
/// # aio_executor::block_on(async {
/// let n = aio_executor::select! {
///     Some(n) = async { None::<u8> } => n,
/// };
/// # });
/// ```
///
/// For many futures of one type, [`as_completed`](crate::as_completed)
/// (then dropping it) does the same; for a deadline, `aio::time::timeout`.
#[macro_export]
macro_rules! select {
    ($($branches:tt)+) => {
        $crate::__select_branches!([] $($branches)+)
    };
}

/// The step of [`select!`] that walks the branches. Not public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_branches {
    // A branch whose body is a block: the comma after it is optional. Two
    // rules, comma first: `$(,)? $($rest:tt)*` would be ambiguous (the comma
    // could be either), which macro_rules refuses as a hard error.
    ([$($named:tt)*] $pattern:pat = $future:expr => $body:block, $($rest:tt)*) => {
        $crate::__select_branches!(
            [$($named)* (branch_future branch_output ($pattern) ($future) ($body))] $($rest)*
        )
    };
    ([$($named:tt)*] $pattern:pat = $future:expr => $body:block $($rest:tt)*) => {
        $crate::__select_branches!(
            [$($named)* (branch_future branch_output ($pattern) ($future) ($body))] $($rest)*
        )
    };
    // A branch whose body is an expression, followed by more branches.
    ([$($named:tt)*] $pattern:pat = $future:expr => $body:expr, $($rest:tt)+) => {
        $crate::__select_branches!(
            [$($named)* (branch_future branch_output ($pattern) ($future) ($body))] $($rest)+
        )
    };
    // The last branch, its body an expression.
    ([$($named:tt)*] $pattern:pat = $future:expr => $body:expr $(,)?) => {
        $crate::__select_branches!(
            [$($named)* (branch_future branch_output ($pattern) ($future) ($body))]
        )
    };
    // Every branch named: wait, drop all, run the winner.
    ([$(($fut:ident $output:ident ($pattern:pat) ($future:expr) ($body:expr)))+]) => {{
        $(
            let mut $fut = ::core::pin::pin!(::core::option::Option::Some(
                ::core::future::IntoFuture::into_future($future),
            ));
            let mut $output = ::core::option::Option::None;
        )+
        ::core::future::poll_fn(|cx| {
            $(
                if let ::core::option::Option::Some(future) = $fut.as_mut().as_pin_mut() {
                    if let ::core::task::Poll::Ready(output) =
                        ::core::future::Future::poll(future, cx)
                    {
                        $output = ::core::option::Option::Some(output);
                        return ::core::task::Poll::Ready(());
                    }
                }
            )+
            ::core::task::Poll::Pending
        })
        .await;
        // Losers (and the spent winner) go before the winner's body runs.
        $( $fut.set(::core::option::Option::None); )+
        // A `match` per branch, so that a refutable pattern is a compile
        // error rather than a surprise at run time.
        $(
            if $output.is_some() {
                match $output {
                    ::core::option::Option::Some($pattern) => $body,
                    ::core::option::Option::None => ::core::unreachable!(),
                }
            } else
        )+
        {
            ::core::unreachable!("select!: woke with no finished branch")
        }
    }};
}
