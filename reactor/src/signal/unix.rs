//! Any catchable Unix signal as a stream of deliveries: [`signal`].

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use libc::c_int;

use super::Listener;

/// Which signal to listen to: a named constructor, or [`SignalKind::from_raw`].
///
/// ```
/// use aio::signal::unix::SignalKind;
///
/// let kind = SignalKind::terminate();
/// assert_eq!(kind, SignalKind::from_raw(kind.as_raw()));
/// assert_eq!(format!("{kind:?}"), "SignalKind(SIGTERM = 15)");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignalKind(c_int);

impl SignalKind {
    /// Any signal by number (`libc::SIGRTMIN() + 1`, say). Whether it can be
    /// listened to is checked by [`signal`].
    ///
    /// ```
    /// use aio::signal::unix::{signal, SignalKind};
    ///
    /// assert_eq!(SignalKind::from_raw(15), SignalKind::terminate());
    /// aio::run(async {
    ///     let error = signal(SignalKind::from_raw(9)).unwrap_err(); // SIGKILL
    ///     assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    /// });
    /// ```
    pub const fn from_raw(signum: c_int) -> SignalKind {
        SignalKind(signum)
    }

    /// The signal number.
    ///
    /// ```
    /// assert_eq!(aio::signal::unix::SignalKind::interrupt().as_raw(), 2);
    /// ```
    pub const fn as_raw(self) -> c_int {
        self.0
    }

    /// SIGALRM: a timer set with `alarm(2)` ran out.
    ///
    /// ```
    /// use aio::signal::unix::SignalKind;
    ///
    /// assert_eq!(SignalKind::alarm().name(), "SIGALRM");
    /// ```
    pub const fn alarm() -> SignalKind {
        SignalKind(libc::SIGALRM)
    }

    /// SIGCHLD: a child process stopped or ended.
    ///
    /// ```
    /// use aio::signal::unix::SignalKind;
    ///
    /// assert_eq!(SignalKind::child().name(), "SIGCHLD");
    /// ```
    pub const fn child() -> SignalKind {
        SignalKind(libc::SIGCHLD)
    }

    /// SIGHUP: the terminal went away; daemons take it as "reload".
    ///
    /// ```
    /// use aio::signal::unix::SignalKind;
    ///
    /// assert_eq!(SignalKind::hangup().name(), "SIGHUP");
    /// ```
    pub const fn hangup() -> SignalKind {
        SignalKind(libc::SIGHUP)
    }

    /// SIGINT: Ctrl-C (see also [`ctrl_c`](super::ctrl_c)).
    ///
    /// ```
    /// use aio::signal::unix::SignalKind;
    ///
    /// assert_eq!(SignalKind::interrupt().name(), "SIGINT");
    /// ```
    pub const fn interrupt() -> SignalKind {
        SignalKind(libc::SIGINT)
    }

    /// SIGIO: asynchronous I/O is possible.
    ///
    /// ```
    /// use aio::signal::unix::SignalKind;
    ///
    /// assert_eq!(SignalKind::io().name(), "SIGIO");
    /// ```
    pub const fn io() -> SignalKind {
        SignalKind(libc::SIGIO)
    }

    /// SIGPIPE: a write to a pipe with no reader.
    ///
    /// ```
    /// use aio::signal::unix::SignalKind;
    ///
    /// assert_eq!(SignalKind::pipe().name(), "SIGPIPE");
    /// ```
    pub const fn pipe() -> SignalKind {
        SignalKind(libc::SIGPIPE)
    }

    /// SIGQUIT: Ctrl-\.
    ///
    /// ```
    /// use aio::signal::unix::SignalKind;
    ///
    /// assert_eq!(SignalKind::quit().name(), "SIGQUIT");
    /// ```
    pub const fn quit() -> SignalKind {
        SignalKind(libc::SIGQUIT)
    }

    /// SIGTERM: the polite request to end (what `kill` sends by default).
    ///
    /// ```
    /// use aio::signal::unix::SignalKind;
    ///
    /// assert_eq!(SignalKind::terminate().name(), "SIGTERM");
    /// ```
    pub const fn terminate() -> SignalKind {
        SignalKind(libc::SIGTERM)
    }

    /// SIGUSR1: meaning is up to the program.
    ///
    /// ```
    /// use aio::signal::unix::SignalKind;
    ///
    /// assert_eq!(SignalKind::user_defined1().name(), "SIGUSR1");
    /// ```
    pub const fn user_defined1() -> SignalKind {
        SignalKind(libc::SIGUSR1)
    }

    /// SIGUSR2: meaning is up to the program.
    ///
    /// ```
    /// use aio::signal::unix::SignalKind;
    ///
    /// assert_eq!(SignalKind::user_defined2().name(), "SIGUSR2");
    /// ```
    pub const fn user_defined2() -> SignalKind {
        SignalKind(libc::SIGUSR2)
    }

    /// SIGWINCH: the terminal changed size.
    ///
    /// ```
    /// use aio::signal::unix::SignalKind;
    ///
    /// assert_eq!(SignalKind::window_change().name(), "SIGWINCH");
    /// ```
    pub const fn window_change() -> SignalKind {
        SignalKind(libc::SIGWINCH)
    }

    /// The usual name (`"SIGTERM"`), or `"signal N"` for the others.
    ///
    /// ```
    /// use aio::signal::unix::SignalKind;
    ///
    /// assert_eq!(SignalKind::hangup().name(), "SIGHUP");
    /// assert_eq!(SignalKind::from_raw(40).name(), "signal 40");
    /// ```
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
///
/// ```
/// use aio::process::Command;
/// use aio::signal::unix::{signal, SignalKind};
///
/// aio::run(async {
///     let mut usr1 = signal(SignalKind::user_defined1())?;
///     let pid = std::process::id().to_string();
///     // Two deliveries before the next recv coalesce into one.
///     Command::new("kill").args(["-USR1", &pid]).status().await?;
///     Command::new("kill").args(["-USR1", &pid]).status().await?;
///     assert_eq!(usr1.recv().await, Some(()));
///     Ok::<_, std::io::Error>(())
/// })
/// .unwrap();
/// ```
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
    ///
    /// ```
    /// use aio::signal::unix::{signal, SignalKind};
    ///
    /// aio::run(async {
    ///     let mut usr2 = signal(SignalKind::user_defined2())?;
    ///     let pid = std::process::id().to_string();
    ///     aio::process::Command::new("kill").args(["-USR2", &pid]).status().await?;
    ///     usr2.recv().await; // the delivery above
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn recv(&mut self) -> Recv<'_> {
        Recv { signal: self }
    }

    /// [`recv`](Signal::recv) as a poll function, for hand-written futures.
    ///
    /// ```
    /// use aio::signal::unix::{signal, SignalKind};
    /// use std::future::poll_fn;
    ///
    /// aio::run(async {
    ///     let mut usr1 = signal(SignalKind::user_defined1())?;
    ///     let pid = std::process::id().to_string();
    ///     aio::process::Command::new("kill").args(["-USR1", &pid]).status().await?;
    ///     assert_eq!(poll_fn(|cx| usr1.poll_recv(cx)).await, Some(()));
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.listener.poll_delivery(cx).map(Some)
    }

    /// The signal this listens to.
    ///
    /// ```
    /// use aio::signal::unix::{signal, SignalKind};
    ///
    /// aio::run(async {
    ///     let hangups = signal(SignalKind::hangup())?;
    ///     assert_eq!(hangups.kind(), SignalKind::hangup());
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn kind(&self) -> SignalKind {
        self.kind
    }
}

/// The future [`Signal::recv`] returns.
///
/// ```
/// use aio::signal::unix::{signal, SignalKind};
/// use aio::time::{timeout, Duration};
///
/// aio::run(async {
///     let mut usr2 = signal(SignalKind::user_defined2())?;
///     // Nothing was sent: the wait is cut short, and dropping it loses nothing.
///     assert!(timeout(Duration::from_millis(5), usr2.recv()).await.is_err());
///     Ok::<_, std::io::Error>(())
/// })
/// .unwrap();
/// ```
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
