//! `#[aio::main]` and `#[aio::test]`: an `async fn` as a program's or a
//! test's entry point, run on `aio`'s event loop.
//!
//! Use them through the `aio` crate, as `aio::main` and `aio::test`; the
//! code they generate calls `::aio::run`, so the crate must be a dependency
//! named `aio` (or say where it is with `crate = "path"`).

#![warn(missing_docs, missing_debug_implementations)]

use proc_macro::TokenStream;

mod expand;

use expand::Entry;

/// Run `async fn main()` on a new event loop, like `asyncio.run(main())`.
///
/// ```
/// use std::time::Duration;
///
/// #[aio::main]
/// async fn main() {
///     let worker = aio::spawn(async {
///         aio::time::sleep(Duration::from_millis(10)).await;
///         6 * 7
///     });
///     assert_eq!(worker.await.unwrap(), 42);
/// }
/// ```
///
/// The function keeps its attributes, visibility and return type, so `main`
/// may return a `Result` and use `?`:
///
/// ```
/// #[aio::main]
/// async fn main() -> Result<(), std::num::ParseIntError> {
///     let n: u32 = aio::spawn(async { "42".parse() }).await.unwrap()?;
///     assert_eq!(n, 42);
///     Ok(())
/// }
/// ```
///
/// # What it expands to
///
/// `#[aio::main] async fn main() -> R { body }` becomes
///
/// ```text
/// fn main() -> R {
///     ::aio::run(async move { body })
/// }
/// ```
///
/// so everything `aio::run` promises holds: tasks still alive when `body`
/// ends are cancelled, the blocking pool is shut down, and a panic in `body`
/// continues out of `main` after that clean-up. Nothing requires the name
/// `main`: on any `async fn f() -> T` the attribute makes a blocking
/// `fn f() -> T`.
///
/// # Arguments
///
/// - `blocking_shutdown_timeout = <expression of type Duration>`: run with
///   `aio::Runner::new().blocking_shutdown_timeout(..)` instead of
///   `aio::run`, for example
///   `#[aio::main(blocking_shutdown_timeout = std::time::Duration::from_secs(5))]`.
/// - `crate = "path"`: where `aio` is when it is not the dependency `::aio`
///   (renamed in Cargo.toml, or re-exported by another crate), for example
///   `#[aio::main(crate = "my_runtime::aio")]`.
///
/// Any other argument is a compile error, and so is a function that is not
/// `async`, takes arguments or is generic: the error points at the part to
/// change (`the #[aio::main] function must be async`).
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Entry::Main, args.into(), item.into()).into()
}

/// Run an `async fn` test on its own event loop: `#[test]` plus `aio::run`.
///
/// ```
/// use std::time::Duration;
///
/// #[aio::test]
/// async fn a_spawned_task_sees_the_timer_fire() {
///     let task = aio::spawn(aio::time::sleep(Duration::from_millis(5)));
///     task.await.unwrap();
/// }
///
/// // A test may return a `Result`, as with `#[test]`; an `Err` fails it.
/// #[aio::test]
/// async fn parsing_works() -> Result<(), std::num::ParseIntError> {
///     assert_eq!("7".parse::<u8>()?, 7);
///     Ok(())
/// }
///
/// // Other attributes (`#[should_panic]`, `#[ignore]`, ...) stay.
/// #[aio::test]
/// #[should_panic(expected = "refused")]
/// async fn a_panic_fails_the_test() {
///     aio::yield_now().await;
///     panic!("refused");
/// }
/// # fn main() {}
/// ```
///
/// `#[aio::test] async fn name() -> R { body }` becomes
///
/// ```text
/// #[test]
/// fn name() -> R {
///     ::aio::run(async move { body })
/// }
/// ```
///
/// Each test gets a fresh loop on the test harness's thread, and whatever
/// tasks it leaves behind are cancelled when it ends. The arguments and the
/// refusals are those of [`main`](macro@main); a `#[test]` written next to
/// `#[aio::test]` is refused too, since `#[aio::test]` adds it.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Entry::Test, args.into(), item.into()).into()
}
