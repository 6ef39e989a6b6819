//! The child's standard streams: non-blocking pipes driven by the reactor.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use mio::unix::pipe::{Receiver, Sender};
use mio::Interest;

use crate::handle::Handle;
use crate::net::evented::{write_all, PollEvented, ShortTransfer};

// Pipes go through `poll_io` (readiness is cleared only on WouldBlock), not
// the short-transfer shortcut sockets use: whether a pipe write queues a new
// epoll edge while the pipe is not empty has changed between Linux versions.

/// How much `read_to_end` asks for per read (a pipe holds 64 KiB by default).
const READ_CHUNK: usize = 64 * 1024;

/// The write end of the child's stdin. Dropping it (or [`shutdown`]) closes
/// the pipe, so the child reads end-of-file.
///
/// [`shutdown`]: ChildStdin::shutdown
///
/// ```
/// use aio::process::{Command, Stdio};
///
/// aio::run(async {
///     let mut child = Command::new("wc").arg("-c").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
///     let mut stdin = child.stdin.take().unwrap();
///     stdin.write_all(b"12345").await?;
///     drop(stdin); // end-of-file for wc
///     let output = child.wait_with_output().await?;
///     assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "5");
///     Ok::<_, std::io::Error>(())
/// })
/// .unwrap();
/// ```
pub struct ChildStdin {
    io: Option<PollEvented<Sender>>,
}

impl fmt::Debug for ChildStdin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildStdin")
            .field("closed", &self.io.is_none())
            .finish()
    }
}

fn closed_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::BrokenPipe,
        "the child's stdin was already closed",
    )
}

impl ChildStdin {
    pub(crate) fn new(handle: &Arc<Handle>, stdin: std::process::ChildStdin) -> io::Result<Self> {
        let sender = Sender::from(stdin);
        sender.set_nonblocking(true)?;
        let io = PollEvented::new(handle.clone(), sender, Interest::WRITABLE)?;
        Ok(ChildStdin { io: Some(io) })
    }

    fn poll_write_priv(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let Some(io) = &self.io else {
            return Poll::Ready(Err(closed_error()));
        };
        io.poll_write_bytes(cx, buf, ShortTransfer::ProvesNothing)
    }

    fn flush_priv(&self) -> io::Result<()> {
        match &self.io {
            Some(io) => io.check_open(),
            None => Err(closed_error()),
        }
    }

    /// Write some of `buf`, returning how much was written. Fails with
    /// `BrokenPipe` once the child has closed its stdin (or exited).
    ///
    /// ```
    /// use aio::process::{Command, Stdio};
    ///
    /// aio::run(async {
    ///     let mut child = Command::new("true").stdin(Stdio::piped()).spawn()?;
    ///     let mut stdin = child.stdin.take().unwrap();
    ///     child.wait().await?; // the child exited without reading
    ///     let error = stdin.write(b"late").await.unwrap_err();
    ///     assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe);
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_write_priv(cx, buf)).await
    }

    /// Write all of `buf`.
    ///
    /// ```
    /// use aio::process::{Command, Stdio};
    ///
    /// aio::run(async {
    ///     let mut child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
    ///     let mut stdin = child.stdin.take().unwrap();
    ///     let mut stdout = child.stdout.take().unwrap();
    ///     // More than a pipe holds: read concurrently so cat can keep going.
    ///     let reader = aio::spawn(async move {
    ///         let mut echoed = Vec::new();
    ///         stdout.read_to_end(&mut echoed).await.map(|_| echoed.len())
    ///     });
    ///     stdin.write_all(&vec![b'x'; 256 * 1024]).await?;
    ///     drop(stdin);
    ///     assert_eq!(reader.await.unwrap()?, 256 * 1024);
    ///     child.wait().await?;
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        write_all(buf, |cx, rest| self.poll_write_priv(cx, rest)).await
    }

    /// Nothing is buffered here, so this only reports a closed pipe or a
    /// shut-down loop.
    ///
    /// ```
    /// use aio::process::{Command, Stdio};
    ///
    /// aio::run(async {
    ///     let mut child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::null()).spawn()?;
    ///     let mut stdin = child.stdin.take().unwrap();
    ///     stdin.write_all(b"x").await?;
    ///     stdin.flush().await?; // nothing buffered: a no-op while the pipe is open
    ///     stdin.shutdown().await?;
    ///     assert!(stdin.flush().await.is_err(), "closed");
    ///     child.wait().await?;
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn flush(&mut self) -> io::Result<()> {
        self.flush_priv()
    }

    /// Close the pipe: the child reads end-of-file. Later writes fail.
    ///
    /// ```
    /// use aio::process::{Command, Stdio};
    ///
    /// aio::run(async {
    ///     let mut child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::null()).spawn()?;
    ///     let mut stdin = child.stdin.take().unwrap();
    ///     stdin.shutdown().await?; // cat reads end-of-file and exits
    ///     assert!(child.wait().await?.success());
    ///     assert!(stdin.write(b"x").await.is_err());
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn shutdown(&mut self) -> io::Result<()> {
        self.io = None;
        Ok(())
    }
}

impl futures_io::AsyncWrite for ChildStdin {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_priv(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.flush_priv())
    }

    /// Closes the pipe (the child reads end-of-file); closing twice is fine.
    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().io = None;
        Poll::Ready(Ok(()))
    }
}

impl AsFd for ChildStdin {
    /// # Panics
    /// If the pipe was closed with `shutdown` / `poll_close`.
    fn as_fd(&self) -> BorrowedFd<'_> {
        match &self.io {
            Some(io) => io.io().as_fd(),
            None => panic!("ChildStdin::as_fd called after the pipe was closed"),
        }
    }
}

impl AsRawFd for ChildStdin {
    /// # Panics
    /// If the pipe was closed with `shutdown` / `poll_close`.
    fn as_raw_fd(&self) -> RawFd {
        self.as_fd().as_raw_fd()
    }
}

/// A pipe's read end registered with the reactor.
struct PipeReader {
    io: PollEvented<Receiver>,
}

impl PipeReader {
    fn new(handle: &Arc<Handle>, receiver: Receiver) -> io::Result<Self> {
        receiver.set_nonblocking(true)?;
        let io = PollEvented::new(handle.clone(), receiver, Interest::READABLE)?;
        Ok(PipeReader { io })
    }

    fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io
            .poll_read_bytes(cx, buf, ShortTransfer::ProvesNothing)
    }

    /// Append everything up to end-of-file to `buf`. Resumable: a call that
    /// returned Pending keeps what it read in `buf`.
    fn poll_read_to_end(&self, cx: &mut Context<'_>, buf: &mut Vec<u8>) -> Poll<io::Result<()>> {
        loop {
            let len = buf.len();
            buf.resize(len + READ_CHUNK, 0);
            let r = self.poll_read(cx, &mut buf[len..]);
            let n = match &r {
                Poll::Ready(Ok(n)) => *n,
                _ => 0,
            };
            buf.truncate(len + n);
            match r {
                Poll::Ready(Ok(0)) => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

/// Read both pipes to end-of-file at once, so a child that fills one pipe
/// while the other is being read cannot deadlock.
pub(crate) async fn read_both(
    out: Option<&ChildStdout>,
    err: Option<&ChildStderr>,
) -> io::Result<(Vec<u8>, Vec<u8>)> {
    let (mut out_buf, mut err_buf) = (Vec::new(), Vec::new());
    let (mut out_done, mut err_done) = (out.is_none(), err.is_none());
    poll_fn(|cx| {
        if let Some(o) = out.filter(|_| !out_done) {
            if o.inner.poll_read_to_end(cx, &mut out_buf)?.is_ready() {
                out_done = true;
            }
        }
        if let Some(e) = err.filter(|_| !err_done) {
            if e.inner.poll_read_to_end(cx, &mut err_buf)?.is_ready() {
                err_done = true;
            }
        }
        if out_done && err_done {
            Poll::Ready(Ok::<(), io::Error>(()))
        } else {
            Poll::Pending
        }
    })
    .await?;
    Ok((out_buf, err_buf))
}

macro_rules! reader {
    ($(#[$doc:meta])* $name:ident, $field:ident, $std:ty) => {
        $(#[$doc])*
        ///
        /// ```
        /// use aio::process::{Command, Stdio};
        ///
        /// aio::run(async {
        ///     let mut child = Command::new("sh")
        ///         .args(["-c", "printf stdout; printf stderr >&2"])
        ///         .stdout(Stdio::piped())
        ///         .stderr(Stdio::piped())
        ///         .spawn()?;
        #[doc = concat!("    let mut pipe = child.", stringify!($field), ".take().unwrap();")]
        ///     let mut text = String::new();
        ///     pipe.read_to_string(&mut text).await?;
        #[doc = concat!("    assert_eq!(text, \"", stringify!($field), "\");")]
        ///     child.wait().await?;
        ///     Ok::<_, std::io::Error>(())
        /// })
        /// .unwrap();
        /// ```
        pub struct $name {
            inner: PipeReader,
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("fd", &self.inner.io.io().as_raw_fd())
                    .finish()
            }
        }

        impl $name {
            pub(crate) fn new(handle: &Arc<Handle>, pipe: $std) -> io::Result<Self> {
                Ok($name {
                    inner: PipeReader::new(handle, Receiver::from(pipe))?,
                })
            }

            /// Read into `buf`; `Ok(0)` means end-of-file (the child closed
            /// the stream, typically by exiting) or an empty `buf`.
            ///
            /// ```
            /// use aio::process::{Command, Stdio};
            ///
            /// aio::run(async {
            ///     let mut child = Command::new("sh")
            ///         .args(["-c", "printf stdout; printf stderr >&2"])
            ///         .stdout(Stdio::piped())
            ///         .stderr(Stdio::piped())
            ///         .spawn()?;
            #[doc = concat!("    let mut pipe = child.", stringify!($field), ".take().unwrap();")]
            ///     let mut buf = [0; 16];
            ///     let n = pipe.read(&mut buf).await?; // one write of 6 bytes: one read
            #[doc = concat!("    assert_eq!(&buf[..n], b\"", stringify!($field), "\");")]
            ///     assert_eq!(pipe.read(&mut buf).await?, 0, "end-of-file");
            ///     child.wait().await?;
            ///     Ok::<_, std::io::Error>(())
            /// })
            /// .unwrap();
            /// ```
            pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                poll_fn(|cx| self.inner.poll_read(cx, buf)).await
            }

            /// Read to end-of-file, appending to `buf`; returns how many bytes
            /// were appended. If the future is dropped midway, what it read
            /// so far stays in `buf`.
            ///
            /// ```
            /// use aio::process::{Command, Stdio};
            ///
            /// aio::run(async {
            ///     let mut child = Command::new("sh")
            ///         .args(["-c", "printf stdout; printf stderr >&2"])
            ///         .stdout(Stdio::piped())
            ///         .stderr(Stdio::piped())
            ///         .spawn()?;
            #[doc = concat!("    let mut pipe = child.", stringify!($field), ".take().unwrap();")]
            ///     let mut bytes = b"got: ".to_vec();
            ///     assert_eq!(pipe.read_to_end(&mut bytes).await?, 6); // appended
            #[doc = concat!("    assert_eq!(bytes, b\"got: ", stringify!($field), "\");")]
            ///     child.wait().await?;
            ///     Ok::<_, std::io::Error>(())
            /// })
            /// .unwrap();
            /// ```
            pub async fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
                let start = buf.len();
                poll_fn(|cx| self.inner.poll_read_to_end(cx, buf)).await?;
                Ok(buf.len() - start)
            }

            /// Read to end-of-file as UTF-8, appending to `buf`. On invalid
            /// UTF-8 the error is `InvalidData` and `buf` is left unchanged;
            /// so is it if the future is dropped midway (what was read is lost).
            ///
            /// ```
            /// use aio::process::{Command, Stdio};
            ///
            /// aio::run(async {
            ///     let mut child = Command::new("sh")
            ///         .args(["-c", "printf stdout; printf stderr >&2"])
            ///         .stdout(Stdio::piped())
            ///         .stderr(Stdio::piped())
            ///         .spawn()?;
            #[doc = concat!("    let mut pipe = child.", stringify!($field), ".take().unwrap();")]
            ///     let mut text = String::new();
            ///     pipe.read_to_string(&mut text).await?;
            #[doc = concat!("    assert_eq!(text, \"", stringify!($field), "\");")]
            ///     child.wait().await?;
            ///     Ok::<_, std::io::Error>(())
            /// })
            /// .unwrap();
            /// ```
            pub async fn read_to_string(&mut self, buf: &mut String) -> io::Result<usize> {
                let mut bytes = Vec::new();
                self.read_to_end(&mut bytes).await?;
                let text = String::from_utf8(bytes)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                buf.push_str(&text);
                Ok(text.len())
            }
        }

        impl futures_io::AsyncRead for $name {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                self.inner.poll_read(cx, buf)
            }
        }

        impl AsFd for $name {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.inner.io.io().as_fd()
            }
        }

        impl AsRawFd for $name {
            fn as_raw_fd(&self) -> RawFd {
                self.inner.io.io().as_raw_fd()
            }
        }
    };
}

reader!(
    /// The read end of the child's stdout (when piped).
    ChildStdout,
    stdout,
    std::process::ChildStdout
);
reader!(
    /// The read end of the child's stderr (when piped).
    ChildStderr,
    stderr,
    std::process::ChildStderr
);
