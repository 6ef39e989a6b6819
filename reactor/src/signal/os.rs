//! The operating-system side of signals, and the crate's only `unsafe` code:
//! reading and setting a signal's disposition (`sigaction`), installing our
//! action through signal-hook-registry, and dying by a signal.
//!
//! Nothing here is a speed trick: these calls are unsafe because they are
//! FFI, and there is no safe wrapper for them in the dependency tree.
#![allow(unsafe_code)]

use std::io;
use std::mem::MaybeUninit;

use libc::c_int;

/// A signal's disposition as `sigaction` reports it (handler, flags, mask).
#[derive(Clone, Copy)]
pub(super) struct Disposition(libc::sigaction);

impl Disposition {
    /// The handler address, or `SIG_DFL` / `SIG_IGN`.
    fn handler(&self) -> libc::sighandler_t {
        self.0.sa_sigaction
    }

    /// `SIG_DFL`: the signal does what the system does by default.
    pub(super) fn is_default(&self) -> bool {
        self.handler() == libc::SIG_DFL
    }

    /// A function is installed (neither `SIG_DFL` nor `SIG_IGN`).
    pub(super) fn is_function(&self) -> bool {
        self.handler() != libc::SIG_DFL && self.handler() != libc::SIG_IGN
    }

    /// Both run the same handler function (or are the same SIG_DFL/SIG_IGN).
    pub(super) fn same_handler(&self, other: &Disposition) -> bool {
        self.handler() == other.handler()
    }
}

/// The current disposition of `signum`.
pub(super) fn disposition(signum: c_int) -> io::Result<Disposition> {
    let mut old = MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: a null `act` only reads the disposition; `old` is a valid,
    // writable sigaction, fully written by the call on success.
    let rc = unsafe { libc::sigaction(signum, std::ptr::null(), old.as_mut_ptr()) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: zero-initialised, then filled in by a successful sigaction.
    Ok(Disposition(unsafe { old.assume_init() }))
}

/// Install `disposition` for `signum` (one that `disposition()` returned).
pub(super) fn set_disposition(signum: c_int, disposition: &Disposition) -> io::Result<()> {
    // SAFETY: `disposition` was read from the kernel by `disposition()`, so its
    // handler is SIG_DFL, SIG_IGN, or a handler function that was installed in
    // this process (signal-hook-registry's, whose code is never unloaded, or
    // the program's own that was in place before aio).
    let rc = unsafe { libc::sigaction(signum, &disposition.0, std::ptr::null_mut()) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Add `action` to the actions signal-hook-registry runs for `signum`
/// (installing its handler if it has none for `signum` yet).
///
/// `action` runs inside a signal handler: it must be async-signal-safe (only
/// atomics and `write(2)`), and must not panic. The one caller passes
/// `super::on_signal`, which is written to that rule.
pub(super) fn register(
    signum: c_int,
    action: fn(c_int),
) -> io::Result<signal_hook_registry::SigId> {
    // SAFETY: `action` (`on_signal`) only touches atomics and a non-blocking
    // socket write, all async-signal-safe, allocates nothing and cannot panic;
    // forbidden signals were refused by the caller (`register` asserts it).
    unsafe { signal_hook_registry::register(signum, move || action(signum)) }
}

/// End the process by `signum` as if it had not been caught: default
/// disposition, the signal unblocked in this thread, then raised. Falls back
/// to exiting with the shell's 128 + signum if the signal somehow does not
/// kill the process.
pub(super) fn die_by(signum: c_int) -> ! {
    reset_and_raise(signum);
    // SAFETY: an unblocking mask built with sigemptyset/sigaddset; the old
    // mask is not wanted.
    unsafe {
        let mut set = MaybeUninit::<libc::sigset_t>::zeroed();
        libc::sigemptyset(set.as_mut_ptr());
        libc::sigaddset(set.as_mut_ptr(), signum);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, set.as_ptr(), std::ptr::null_mut());
    }
    std::process::exit(128 + signum)
}

/// Inside a signal handler: default disposition, and the signal raised again
/// on this thread. It is blocked while its handler runs, so it is delivered,
/// and kills the process, as soon as the handler returns.
/// Both calls are async-signal-safe.
pub(super) fn reset_and_raise(signum: c_int) {
    // SAFETY: `signal` with SIG_DFL and `raise` are async-signal-safe and take
    // no pointers.
    unsafe {
        libc::signal(signum, libc::SIG_DFL);
        libc::raise(signum);
    }
}
