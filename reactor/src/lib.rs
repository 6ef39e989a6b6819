//! aio-reactor: everything the `aio` event loop waits on outside itself.
//!
//! A [`Reactor`] owns the mio `Poll`, the socket registrations, the timers and a
//! bounded blocking thread pool (which also runs DNS lookups). It knows nothing
//! about tasks: it stores and wakes [`std::task::Waker`]s, and an executor drives
//! it by calling [`Reactor::turn`] whenever it has nothing left to run.
//!
//! The public futures ([`time::sleep`], [`net::TcpStream::connect`],
//! [`blocking::run`], ...) find their reactor through a thread-local that
//! [`Reactor::enter`] sets; called on a thread that has not entered a reactor they
//! panic with "... called outside of aio::run()".
// Unsafe code only in `signal::os` (signal handlers and sigaction).
#![deny(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]

pub mod blocking;
mod context;
mod dns;
pub mod fs;
mod handle;
pub mod io;
mod lock;
pub mod net;
#[cfg(unix)]
pub mod process;
mod reactor;
mod registration;
pub mod signal;
pub mod time;
mod timer;
mod unpark;
mod wake;

pub use context::{current_loop_id, current_stats, is_entered, EnterGuard, ReactorStats};
pub use reactor::{Reactor, ReactorConfig, ShutdownReport, DEFAULT_MAX_BLOCKING_THREADS};
pub use unpark::Unparker;
