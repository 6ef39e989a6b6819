//! Subprocesses, like asyncio's `create_subprocess_exec`: [`Command`] has
//! std's builder shape, and a spawned [`Child`] is waited for on the loop.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use aio_reactor::process::Command;
//!
//! let output = Command::new("echo").arg("hello").output().await?;
//! assert!(output.status.success());
//! assert_eq!(output.stdout, b"hello\n");
//! # Ok(()) }
//! ```
//!
//! # Reaping
//!
//! No thread per child. On Linux (5.3+) each child gets a pidfd registered
//! with the reactor, readable when the child exits, which is then reaped
//! with `waitpid(WNOHANG)`. Where `pidfd_open` is missing (other Unixes, an
//! old kernel, a sandbox that refuses it) the loop re-checks the child on a
//! timer, every 1 ms at first, backing off to every 100 ms.
//!
//! A [`Child`] dropped before it was waited for keeps running (unless
//! [`Command::kill_on_drop`] asked for SIGKILL) and is still reaped: by the
//! loop, on the turn that sees it exit, or at the loop's shutdown if it has
//! exited by then. One still running when its loop shuts down is left
//! running, as tokio does (with `kill_on_drop` it was killed, and is waited
//! for then); it is reaped by a later `spawn` on any loop if it has exited
//! by that time. So no child that exited before `aio::run` returned is left
//! a zombie.

mod pipe;
mod reap;

use std::ffi::OsStr;
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::path::Path;
use std::sync::Arc;

pub use pipe::{ChildStderr, ChildStdin, ChildStdout};
pub use std::process::{ExitStatus, Output, Stdio};

use crate::context;
use crate::handle::Handle;
use reap::{ExitWatch, Orphan};

/// A process builder with std's [`std::process::Command`] shape, whose
/// [`spawn`](Command::spawn)ed child is awaited on the loop.
///
/// As with std: [`spawn`](Command::spawn) and [`status`](Command::status)
/// inherit stdin, stdout and stderr unless told otherwise;
/// [`output`](Command::output) pipes stdout and stderr and gives the child
/// an empty stdin.
///
/// ```
/// use aio::process::Command;
///
/// aio::run(async {
///     let output = Command::new("sh").args(["-c", "echo out; echo err >&2; exit 3"]).output().await?;
///     assert_eq!(output.status.code(), Some(3));
///     assert_eq!((&output.stdout[..], &output.stderr[..]), (&b"out\n"[..], &b"err\n"[..]));
///     Ok::<_, std::io::Error>(())
/// })
/// .unwrap();
/// ```
pub struct Command {
    std: std::process::Command,
    /// Which streams the caller configured; the others get each method's default.
    stdin_set: bool,
    stdout_set: bool,
    stderr_set: bool,
    kill_on_drop: bool,
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Command")
            .field("command", &self.std)
            .field("kill_on_drop", &self.kill_on_drop)
            .finish()
    }
}

/// Default streams for one kind of launch.
#[derive(Clone, Copy)]
enum Defaults {
    /// `spawn` and `status`: everything inherited.
    Inherit,
    /// `output`: empty stdin, captured stdout and stderr.
    Capture,
}

impl Defaults {
    fn stdin(self) -> Stdio {
        match self {
            Defaults::Inherit => Stdio::inherit(),
            Defaults::Capture => Stdio::null(),
        }
    }

    /// For stdout and stderr.
    fn output(self) -> Stdio {
        match self {
            Defaults::Inherit => Stdio::inherit(),
            Defaults::Capture => Stdio::piped(),
        }
    }
}

impl Command {
    /// A command to run `program` (looked up in `PATH` if it has no `/`).
    ///
    /// ```
    /// aio::run(async {
    ///     let status = aio::process::Command::new("true").status().await?;
    ///     assert!(status.success());
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn new<S: AsRef<OsStr>>(program: S) -> Command {
        Command {
            std: std::process::Command::new(program),
            stdin_set: false,
            stdout_set: false,
            stderr_set: false,
            kill_on_drop: false,
        }
    }

    /// Add one argument.
    ///
    /// ```
    /// aio::run(async {
    ///     let output = aio::process::Command::new("echo").arg("one two").output().await?;
    ///     assert_eq!(output.stdout, b"one two\n"); // one argument, spaces and all
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn arg<S: AsRef<OsStr>>(&mut self, arg: S) -> &mut Command {
        self.std.arg(arg);
        self
    }

    /// Add several arguments.
    ///
    /// ```
    /// aio::run(async {
    ///     let output = aio::process::Command::new("echo").args(["a", "b"]).output().await?;
    ///     assert_eq!(output.stdout, b"a b\n");
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }

    /// Set an environment variable for the child.
    ///
    /// ```
    /// aio::run(async {
    ///     let output = aio::process::Command::new("sh")
    ///         .args(["-c", "printf %s \"$GREETING\""])
    ///         .env("GREETING", "hi")
    ///         .output()
    ///         .await?;
    ///     assert_eq!(output.stdout, b"hi");
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn env<K: AsRef<OsStr>, V: AsRef<OsStr>>(&mut self, key: K, val: V) -> &mut Command {
        self.std.env(key, val);
        self
    }

    /// Set several environment variables for the child.
    ///
    /// ```
    /// aio::run(async {
    ///     let output = aio::process::Command::new("sh")
    ///         .args(["-c", "printf %s-%s \"$A\" \"$B\""])
    ///         .envs([("A", "1"), ("B", "2")])
    ///         .output()
    ///         .await?;
    ///     assert_eq!(output.stdout, b"1-2");
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.envs(vars);
        self
    }

    /// Remove an environment variable from the child's environment.
    ///
    /// ```
    /// aio::run(async {
    ///     let output = aio::process::Command::new("sh")
    ///         .args(["-c", "printf %s \"${HOME-unset}\""])
    ///         .env_remove("HOME")
    ///         .output()
    ///         .await?;
    ///     assert_eq!(output.stdout, b"unset");
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn env_remove<K: AsRef<OsStr>>(&mut self, key: K) -> &mut Command {
        self.std.env_remove(key);
        self
    }

    /// Start the child with an empty environment (plus what `env` adds).
    ///
    /// ```
    /// aio::run(async {
    ///     // `env` with no arguments prints the environment: only what we set.
    ///     let output = aio::process::Command::new("/usr/bin/env").env_clear().env("ONLY", "1").output().await?;
    ///     assert_eq!(output.stdout, b"ONLY=1\n");
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn env_clear(&mut self) -> &mut Command {
        self.std.env_clear();
        self
    }

    /// The child's working directory.
    ///
    /// ```
    /// aio::run(async {
    ///     let output = aio::process::Command::new("pwd").current_dir("/").output().await?;
    ///     assert_eq!(output.stdout, b"/\n");
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn current_dir<P: AsRef<Path>>(&mut self, dir: P) -> &mut Command {
        self.std.current_dir(dir);
        self
    }

    /// The child's stdin: [`Stdio::piped`] gives [`Child::stdin`].
    ///
    /// ```
    /// use aio::process::{Command, Stdio};
    ///
    /// aio::run(async {
    ///     let mut child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
    ///     child.stdin.take().unwrap().write_all(b"fed in").await?; // dropped: cat sees EOF
    ///     let output = child.wait_with_output().await?;
    ///     assert_eq!(output.stdout, b"fed in");
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn stdin<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.std.stdin(cfg);
        self.stdin_set = true;
        self
    }

    /// The child's stdout: [`Stdio::piped`] gives [`Child::stdout`].
    ///
    /// ```
    /// use aio::process::{Command, Stdio};
    ///
    /// aio::run(async {
    ///     let mut child = Command::new("echo").arg("hi").stdout(Stdio::piped()).spawn()?;
    ///     let mut text = String::new();
    ///     child.stdout.take().unwrap().read_to_string(&mut text).await?;
    ///     assert_eq!(text, "hi\n");
    ///     child.wait().await?;
    ///     // Or discard it: `output()` then captures nothing.
    ///     let output = Command::new("echo").arg("hi").stdout(Stdio::null()).output().await?;
    ///     assert!(output.stdout.is_empty());
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn stdout<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.std.stdout(cfg);
        self.stdout_set = true;
        self
    }

    /// The child's stderr: [`Stdio::piped`] gives [`Child::stderr`].
    ///
    /// ```
    /// use aio::process::{Command, Stdio};
    ///
    /// aio::run(async {
    ///     let output = Command::new("sh").args(["-c", "echo oops >&2"]).stderr(Stdio::null()).output().await?;
    ///     assert!(output.stderr.is_empty(), "discarded, not captured");
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn stderr<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.std.stderr(cfg);
        self.stderr_set = true;
        self
    }

    /// Send SIGKILL to the child when its [`Child`] is dropped before the
    /// child was reaped (default `false`: it keeps running, and is reaped
    /// when it exits). This also covers a dropped `output()` / `status()`
    /// future, e.g. one cut short by a timeout.
    ///
    /// ```
    /// use aio::process::Command;
    /// use aio::time::{timeout, Duration};
    ///
    /// aio::run(async {
    ///     let mut sleeper = Command::new("sleep");
    ///     sleeper.arg("60").kill_on_drop(true);
    ///     // The timeout drops the status() future, which kills the child.
    ///     assert!(timeout(Duration::from_millis(10), sleeper.status()).await.is_err());
    /// });
    /// ```
    pub fn kill_on_drop(&mut self, kill_on_drop: bool) -> &mut Command {
        self.kill_on_drop = kill_on_drop;
        self
    }

    /// The program this command runs.
    ///
    /// ```
    /// let mut command = aio::process::Command::new("ls");
    /// command.arg("-l");
    /// assert_eq!(command.get_program(), "ls");
    /// ```
    pub fn get_program(&self) -> &OsStr {
        self.std.get_program()
    }

    /// The std builder underneath, to read its settings.
    ///
    /// ```
    /// let mut command = aio::process::Command::new("ls");
    /// command.args(["-l", "/"]);
    /// let args: Vec<_> = command.as_std().get_args().collect();
    /// assert_eq!(args, ["-l", "/"]);
    /// ```
    pub fn as_std(&self) -> &std::process::Command {
        &self.std
    }

    /// Start the child. A program that cannot be started (missing, not
    /// executable, ...) gives an error naming it, with the `ErrorKind` of
    /// the cause (`NotFound` for a missing program).
    ///
    /// # Panics
    /// When called outside of `aio::run()`.
    ///
    /// ```
    /// use aio::process::Command;
    ///
    /// aio::run(async {
    ///     let mut child = Command::new("true").spawn()?;
    ///     assert!(child.wait().await?.success());
    ///     let missing = Command::new("no-such-program-here").spawn().unwrap_err();
    ///     assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
    ///     assert!(missing.to_string().contains("no-such-program-here"));
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn spawn(&mut self) -> io::Result<Child> {
        let handle = context::current("aio::process::Command::spawn()");
        self.spawn_on(handle, Defaults::Inherit)
    }

    /// Run the child to completion with stdout and stderr captured (read
    /// concurrently, so neither pipe can fill up and stall the child) and
    /// an empty stdin, unless the streams were configured.
    ///
    /// # Panics
    /// When called outside of `aio::run()`.
    ///
    /// ```
    /// aio::run(async {
    ///     let output = aio::process::Command::new("echo").arg("captured").output().await?;
    ///     assert!(output.status.success());
    ///     assert_eq!(output.stdout, b"captured\n");
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn output(&mut self) -> io::Result<Output> {
        let handle = context::current("aio::process::Command::output()");
        self.spawn_on(handle, Defaults::Capture)?
            .wait_with_output()
            .await
    }

    /// Run the child to completion (streams inherited unless configured)
    /// and return its exit status.
    ///
    /// # Panics
    /// When called outside of `aio::run()`.
    ///
    /// ```
    /// aio::run(async {
    ///     let status = aio::process::Command::new("sh").args(["-c", "exit 7"]).status().await?;
    ///     assert_eq!(status.code(), Some(7));
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn status(&mut self) -> io::Result<ExitStatus> {
        let handle = context::current("aio::process::Command::status()");
        let mut child = self.spawn_on(handle, Defaults::Inherit)?;
        // Like `wait`, which closes a piped stdin first.
        child.wait().await
    }

    fn spawn_on(&mut self, handle: Arc<Handle>, defaults: Defaults) -> io::Result<Child> {
        reap::reap_detached();
        // Set every stream the caller left alone, each time: a default set
        // by an earlier `output()` must not stick to a later `spawn()`.
        if !self.stdin_set {
            self.std.stdin(defaults.stdin());
        }
        if !self.stdout_set {
            self.std.stdout(defaults.output());
        }
        if !self.stderr_set {
            self.std.stderr(defaults.output());
        }
        let child = self.std.spawn().map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("failed to spawn {:?}: {e}", self.std.get_program()),
            )
        })?;
        Child::new(handle, child, self.kill_on_drop)
    }
}

/// The state that outlives a dropped [`Child`] (as an orphan to reap).
struct Process {
    child: std::process::Child,
    /// Dropped once the child is reaped, releasing the pidfd or timer.
    watch: Option<ExitWatch>,
    status: Option<ExitStatus>,
}

impl Process {
    fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if self.status.is_none() {
            if let Some(status) = self.child.try_wait()? {
                self.reaped(status);
            }
        }
        Ok(self.status)
    }

    fn reaped(&mut self, status: ExitStatus) {
        self.status = Some(status);
        self.watch = None;
    }
}

/// A running (or finished) child process, from [`Command::spawn`].
///
/// Dropping it does not kill the child unless [`Command::kill_on_drop`] was
/// set; either way the child is reaped (see the [module docs](self)).
///
/// ```
/// use aio::process::{Command, Stdio};
///
/// aio::run(async {
///     let mut child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
///     let mut stdin = child.stdin.take().unwrap();
///     stdin.write_all(b"echo").await?;
///     drop(stdin);
///     let mut echoed = String::new();
///     child.stdout.take().unwrap().read_to_string(&mut echoed).await?;
///     assert_eq!(echoed, "echo");
///     assert!(child.wait().await?.success());
///     Ok::<_, std::io::Error>(())
/// })
/// .unwrap();
/// ```
pub struct Child {
    /// The child's stdin, if it was [`Stdio::piped`]; take it to write.
    pub stdin: Option<ChildStdin>,
    /// The child's stdout, if it was [`Stdio::piped`]; take it to read.
    pub stdout: Option<ChildStdout>,
    /// The child's stderr, if it was [`Stdio::piped`]; take it to read.
    pub stderr: Option<ChildStderr>,
    /// `None` only inside `drop`, which hands it to the reaper.
    process: Option<Process>,
    kill_on_drop: bool,
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("pid", &self.process.as_ref().map(|p| p.child.id()))
            .field("status", &self.process.as_ref().and_then(|p| p.status))
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .finish()
    }
}

impl Child {
    fn new(
        handle: Arc<Handle>,
        mut child: std::process::Child,
        kill_on_drop: bool,
    ) -> io::Result<Child> {
        let (stdin, stdout, stderr) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take());
        let watch = match ExitWatch::new(&handle, &child) {
            Ok(w) => w,
            Err(e) => {
                // The loop is gone: do not leave a child nobody will wait for.
                let _ = child.kill();
                let _ = child.wait();
                return Err(e);
            }
        };
        let mut this = Child {
            stdin: None,
            stdout: None,
            stderr: None,
            process: Some(Process {
                child,
                watch: Some(watch),
                status: None,
            }),
            // Until set up: a failure below kills the child as it drops it.
            kill_on_drop: true,
        };
        this.stdin = stdin.map(|s| ChildStdin::new(&handle, s)).transpose()?;
        this.stdout = stdout.map(|s| ChildStdout::new(&handle, s)).transpose()?;
        this.stderr = stderr.map(|s| ChildStderr::new(&handle, s)).transpose()?;
        this.kill_on_drop = kill_on_drop;
        Ok(this)
    }

    fn process(&mut self) -> &mut Process {
        self.process
            .as_mut()
            .expect("aio::process::Child: process state is only taken by drop")
    }

    fn process_ref(&self) -> &Process {
        self.process
            .as_ref()
            .expect("aio::process::Child: process state is only taken by drop")
    }

    /// The child's process id, or `None` once it has been reaped (the id may
    /// then belong to another process).
    ///
    /// ```
    /// aio::run(async {
    ///     let mut child = aio::process::Command::new("true").spawn()?;
    ///     assert!(child.id().is_some());
    ///     child.wait().await?;
    ///     assert_eq!(child.id(), None, "reaped: the pid may be reused");
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn id(&self) -> Option<u32> {
        let p = self.process_ref();
        p.status.is_none().then(|| p.child.id())
    }

    /// Wait for the child to exit and return its status. Closes the child's
    /// stdin first (if piped and still held), so a child reading it to
    /// end-of-file can finish. Cancel-safe: dropping the future loses
    /// nothing, and waiting again after the child was reaped returns the
    /// same status at once.
    ///
    /// ```
    /// aio::run(async {
    ///     let mut child = aio::process::Command::new("sh").args(["-c", "exit 2"]).spawn()?;
    ///     assert_eq!(child.wait().await?.code(), Some(2));
    ///     assert_eq!(child.wait().await?.code(), Some(2), "again: the same status");
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take());
        let process = self.process();
        if let Some(status) = process.status {
            return Ok(status);
        }
        let status = poll_fn(|cx| match process.watch.as_mut() {
            Some(watch) => watch.poll_wait(&mut process.child, cx),
            None => std::task::Poll::Ready(Err(reap::loop_gone())),
        })
        .await?;
        process.reaped(status);
        Ok(status)
    }

    /// The child's status if it has exited (reaping it), else `None`;
    /// never waits.
    ///
    /// ```
    /// aio::run(async {
    ///     let mut child = aio::process::Command::new("sleep").arg("60").spawn()?;
    ///     assert!(child.try_wait()?.is_none(), "still running");
    ///     child.kill().await?;
    ///     assert!(child.try_wait()?.is_some());
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        self.process().try_wait()
    }

    /// Send SIGKILL to the child without waiting for it to go (a later
    /// [`wait`](Child::wait) reaps it). `Ok` if it was already reaped.
    ///
    /// ```
    /// use std::os::unix::process::ExitStatusExt;
    ///
    /// aio::run(async {
    ///     let mut child = aio::process::Command::new("sleep").arg("60").spawn()?;
    ///     child.start_kill()?;
    ///     assert_eq!(child.wait().await?.signal(), Some(9));
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn start_kill(&mut self) -> io::Result<()> {
        let process = self.process();
        if process.try_wait()?.is_some() {
            return Ok(());
        }
        process.child.kill()
    }

    /// Send SIGKILL to the child and wait until it is reaped (as tokio's
    /// `kill`). `Ok` if it had already exited; its status, from
    /// [`wait`](Child::wait) or [`try_wait`](Child::try_wait), then says
    /// how it ended (signal 9 if the kill ended it).
    ///
    /// ```
    /// use std::os::unix::process::ExitStatusExt;
    ///
    /// aio::run(async {
    ///     let mut child = aio::process::Command::new("sleep").arg("60").spawn()?;
    ///     child.kill().await?; // reaped when this returns
    ///     assert_eq!(child.try_wait()?.and_then(|status| status.signal()), Some(9));
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn kill(&mut self) -> io::Result<()> {
        self.start_kill()?;
        self.wait().await.map(drop)
    }

    /// Close stdin, read stdout and stderr (if piped) to end-of-file
    /// concurrently (a child filling one while the other is read cannot
    /// deadlock), then wait for the child.
    ///
    /// ```
    /// use aio::process::{Command, Stdio};
    ///
    /// aio::run(async {
    ///     let child = Command::new("sh")
    ///         .args(["-c", "echo out; echo err >&2"])
    ///         .stdout(Stdio::piped())
    ///         .stderr(Stdio::piped())
    ///         .spawn()?;
    ///     let output = child.wait_with_output().await?;
    ///     assert_eq!((output.stdout, output.stderr), (b"out\n".to_vec(), b"err\n".to_vec()));
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn wait_with_output(mut self) -> io::Result<Output> {
        drop(self.stdin.take());
        let stdout = self.stdout.take();
        let stderr = self.stderr.take();
        let (out, err) = pipe::read_both(stdout.as_ref(), stderr.as_ref()).await?;
        drop((stdout, stderr));
        let status = self.wait().await?;
        Ok(Output {
            status,
            stdout: out,
            stderr: err,
        })
    }

    #[cfg(test)]
    fn watches_pidfd(&self) -> bool {
        self.process_ref()
            .watch
            .as_ref()
            .is_some_and(ExitWatch::is_pidfd)
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let Some(mut process) = self.process.take() else {
            return;
        };
        if !matches!(process.try_wait(), Ok(None)) {
            return;
        }
        let killed = self.kill_on_drop && process.child.kill().is_ok();
        if let Some(watch) = process.watch.take() {
            Orphan::adopt(process.child, watch, killed);
        }
    }
}

#[cfg(test)]
mod tests;
