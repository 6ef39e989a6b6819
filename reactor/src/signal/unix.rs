//! Any catchable Unix signal as a stream of deliveries: [`signal`].

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use libc::c_int;

use super::Listener;

/// Which signal to listen to: a named constructor, or [`SignalKind::from_raw`].
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignalKind(c_int);

impl SignalKind {
    /// Any signal by number (`libc::SIGRTMIN() + 1`, say). Whether it can be
    /// listened to is checked by [`signal`].
    pub const fn from_raw(signum: c_int) -> SignalKind {
        SignalKind(signum)
    }

    /// The signal number.
    pub const fn as_raw(self) -> c_int {
        self.0
    }

    /// SIGALRM: a timer set with `alarm(2)` ran out.
    pub const fn alarm() -> SignalKind {
        SignalKind(libc::SIGALRM)
    }

    /// SIGCHLD: a child process stopped or ended.
    pub const fn child() -> SignalKind {
        SignalKind(libc::SIGCHLD)
    }

    /// SIGHUP: the terminal went away; daemons take it as "reload".
    pub const fn hangup() -> SignalKind {
        SignalKind(libc::SIGHUP)
    }

    /// SIGINT: Ctrl-C (see also [`ctrl_c`](super::ctrl_c)).
    pub const fn interrupt() -> SignalKind {
        SignalKind(libc::SIGINT)
    }

    /// SIGIO: asynchronous I/O is possible.
    pub const fn io() -> SignalKind {
        SignalKind(libc::SIGIO)
    }

    /// SIGPIPE: a write to a pipe with no reader.
    pub const fn pipe() -> SignalKind {
        SignalKind(libc::SIGPIPE)
    }

    /// SIGQUIT: Ctrl-\.
    pub const fn quit() -> SignalKind {
        SignalKind(libc::SIGQUIT)
    }

    /// SIGTERM: the polite request to end (what `kill` sends by default).
    pub const fn terminate() -> SignalKind {
        SignalKind(libc::SIGTERM)
    }

    /// SIGUSR1: meaning is up to the program.
    pub const fn user_defined1() -> SignalKind {
        SignalKind(libc::SIGUSR1)
    }

    /// SIGUSR2: meaning is up to the program.
    pub const fn user_defined2() -> SignalKind {
        SignalKind(libc::SIGUSR2)
    }

    /// SIGWINCH: the terminal changed size.
    pub const fn window_change() -> SignalKind {
        SignalKind(libc::SIGWINCH)
    }

    /// The usual name (`"SIGTERM"`), or `"signal N"` for the others.
    pub fn name(self) -> String {
        let known = [
            (libc::SIGHUP, "SIGHUP"),
            (libc::SIGINT, "SIGINT"),
            (libc::SIGQUIT, "SIGQUIT"),
            (libc::SIGILL, "SIGILL"),
            (libc::SIGTRAP, "SIGTRAP"),
            (libc::SIGABRT, "SIGABRT"),
            (libc::SIGBUS, "SIGBUS"),
            (libc::SIGFPE, "SIGFPE"),
            (libc::SIGKILL, "SIGKILL"),
            (libc::SIGUSR1, "SIGUSR1"),
            (libc::SIGSEGV, "SIGSEGV"),
            (libc::SIGUSR2, "SIGUSR2"),
            (libc::SIGPIPE, "SIGPIPE"),
            (libc::SIGALRM, "SIGALRM"),
            (libc::SIGTERM, "SIGTERM"),
            (libc::SIGCHLD, "SIGCHLD"),
            (libc::SIGCONT, "SIGCONT"),
            (libc::SIGSTOP, "SIGSTOP"),
            (libc::SIGTSTP, "SIGTSTP"),
            (libc::SIGTTIN, "SIGTTIN"),
            (libc::SIGTTOU, "SIGTTOU"),
            (libc::SIGURG, "SIGURG"),
            (libc::SIGXCPU, "SIGXCPU"),
            (libc::SIGXFSZ, "SIGXFSZ"),
            (libc::SIGVTALRM, "SIGVTALRM"),
            (libc::SIGPROF, "SIGPROF"),
            (libc::SIGWINCH, "SIGWINCH"),
            (libc::SIGIO, "SIGIO"),
            (libc::SIGSYS, "SIGSYS"),
        ];
        match known.iter().find(|(n, _)| *n == self.0) {
            Some((_, name)) => (*name).to_string(),
            None => format!("signal {}", self.0),
        }
    }
}

impl fmt::Debug for SignalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SignalKind({} = {})", self.name(), self.0)
    }
}

/// Start listening to `kind`: every delivery from now on is reported by
/// [`Signal::recv`].
///
/// The first listener of a signal installs its handler; when the last one is
/// dropped, the signal gets back the disposition it had before (see the
/// [module documentation](super#restoring-the-previous-handler)). Several
/// listeners of one signal (on one loop or several) each get every delivery.
///
/// # Errors
/// - `InvalidInput` for a number that is not a signal, and for SIGKILL,
///   SIGSTOP (which cannot be caught), SIGILL, SIGFPE and SIGSEGV (faults a
///   handler cannot resume from);
/// - what `sigaction` says (glibc reserves two real-time signals, for one).
///
/// # Panics
/// Outside `aio::run()`, with `aio::signal::unix::signal() called outside of aio::run()`.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use aio_reactor::signal::unix::{signal, SignalKind};
///
/// let mut terminate = signal(SignalKind::terminate())?;
/// terminate.recv().await;
/// println!("SIGTERM: shutting down");
/// # Ok(())
/// # }
/// ```
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    Ok(Signal {
        kind,
        listener: Listener::new(kind.0, "aio::signal::unix::signal()")?,
    })
}

/// A listener of one signal, from [`signal`]. Deliveries between two
/// [`recv`](Signal::recv)s coalesce into one; none is lost.
#[derive(Debug)]
pub struct Signal {
    kind: SignalKind,
    listener: Listener,
}

impl Signal {
    /// Wait for a delivery after the one last reported (or after
    /// [`signal`] was called). Always `Some(())`: the stream does not end;
    /// the `Option` lets `while let Some(()) = sig.recv().await` read as a
    /// stream loop. Cancel-safe: dropping the future loses nothing.
    pub fn recv(&mut self) -> Recv<'_> {
        Recv { signal: self }
    }

    /// [`recv`](Signal::recv) as a poll function, for hand-written futures.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.listener.poll_delivery(cx).map(Some)
    }

    /// The signal this listens to.
    pub fn kind(&self) -> SignalKind {
        self.kind
    }
}

/// The future [`Signal::recv`] returns.
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Recv<'a> {
    signal: &'a mut Signal,
}

impl Future for Recv<'_> {
    type Output = Option<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.signal.poll_recv(cx)
    }
}
