//! [`PollEvented`]: a socket's hold on its registration, and the readiness
//! loop every socket operation runs through.

use std::io::{self, IoSlice, Read, Write};
use std::sync::Arc;
use std::task::{Context, Poll};

use mio::event::Source;
use mio::Interest;

use crate::handle::Handle;
use crate::lock::lock;
use crate::registration::{shutdown_error, Direction, ReadyEvent, ScheduledIo};

/// A mio source registered with a reactor; deregisters and closes on drop.
pub(crate) struct PollEvented<S: Source> {
    io: S,
    key: usize,
    sio: Arc<ScheduledIo>,
    handle: Arc<Handle>,
}

impl<S: Source> PollEvented<S> {
    /// Register `io`; on failure (e.g. the reactor shut down) `io` is closed.
    pub(crate) fn new(handle: Arc<Handle>, mut io: S, interest: Interest) -> io::Result<Self> {
        let (key, sio) = lock(&handle.io).register(&mut io, interest)?;
        Ok(PollEvented {
            io,
            key,
            sio,
            handle,
        })
    }

    pub(crate) fn io(&self) -> &S {
        &self.io
    }

    pub(crate) fn handle(&self) -> &Arc<Handle> {
        &self.handle
    }

    pub(crate) fn sio(&self) -> &ScheduledIo {
        &self.sio
    }

    /// Error if the owning reactor has shut down.
    pub(crate) fn check_open(&self) -> io::Result<()> {
        if self.sio.is_shutdown() {
            Err(shutdown_error())
        } else {
            Ok(())
        }
    }

    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
    ) -> Poll<io::Result<ReadyEvent>> {
        self.sio.poll_ready(cx, dir)
    }

    /// Wait for readiness in `dir`, run `op`; on WouldBlock clear the observed
    /// readiness and wait again.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        op: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_io_until_drained(cx, dir, op, |_| false)
    }

    /// `poll_io` for a stream transfer of up to `len` bytes. A short transfer
    /// means the kernel buffer was drained (read) or filled (write), so the
    /// readiness is cleared right away: the next call waits for an event
    /// instead of spending a system call that would only say WouldBlock. A
    /// newer event is never lost: clearing checks the event's turn, as ever.
    ///
    /// This relies on how the OS backend re-arms, not only on mio's contract:
    /// see the platform note in `poll_io_until_drained`.
    pub(crate) fn poll_transfer(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        len: usize,
        op: impl FnMut(&S) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        self.poll_io_until_drained(cx, dir, op, |&n| n > 0 && n < len)
    }

    /// The loop behind both: `drained` says whether a successful result
    /// proves the readiness used up, as WouldBlock does.
    fn poll_io_until_drained<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        mut op: impl FnMut(&S) -> io::Result<R>,
        drained: impl Fn(&R) -> bool,
    ) -> Poll<io::Result<R>> {
        loop {
            let event = match self.sio.poll_ready(cx, dir) {
                Poll::Ready(Ok(ev)) => ev,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            };
            match op(&self.io) {
                Ok(r) => {
                    // Platform note. Clearing readiness on a short transfer,
                    // without having seen WouldBlock, goes beyond mio's
                    // portable contract (its Poll docs: drain until
                    // WouldBlock, or no further event is guaranteed even if
                    // more data arrives). It holds where the backend queues a
                    // new event for every later arrival of data (or freeing
                    // of send space), whether or not the buffer was drained:
                    // - Linux, edge-triggered epoll (mio registers EPOLLET):
                    //   each arrival wakes the socket's wait queue, and epoll
                    //   queues a fresh edge, so bytes that come after the
                    //   short read bring the next event. This is the platform
                    //   aio runs and tests on.
                    // - kqueue (macOS, BSDs): mio registers EV_CLEAR, and
                    //   EVFILT_READ / EVFILT_WRITE trigger again on each new
                    //   arrival / each freeing of space past SO_SNDLOWAT, so
                    //   the shortcut should hold there too. Not tested here.
                    // - Windows: mio re-arms its AFD poll only when an
                    //   operation returns WouldBlock (IoSourceState::do_io),
                    //   so a short read there would leave the socket unarmed
                    //   and its task asleep for good; a Windows port must make
                    //   `poll_transfer` use `|_| false`, like `poll_io`.
                    // On every backend "short" must mean "drained at that
                    // instant". For TCP it does, except at an urgent (OOB)
                    // mark, where a read stops short with data behind it;
                    // that data then waits for the next arrival. Nothing in
                    // aio sends or expects TCP urgent data.
                    if drained(&r) {
                        self.sio.clear_readiness(event);
                    }
                    return Poll::Ready(Ok(r));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.sio.clear_readiness(event),
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    /// Run `op` once without waiting; WouldBlock clears the readiness seen before.
    pub(crate) fn try_io<R>(
        &self,
        dir: Direction,
        op: impl FnOnce(&S) -> io::Result<R>,
    ) -> io::Result<R> {
        self.check_open()?;
        let event = self.sio.snapshot(dir);
        let r = op(&self.io);
        if matches!(&r, Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
            self.sio.clear_readiness(event);
        }
        r
    }
}

/// What a short read or write on a byte stream proves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ShortTransfer {
    /// The kernel buffer was drained (read) or filled (write), so readiness
    /// is cleared at once (TCP: see `poll_transfer`).
    Drains,
    /// Nothing: only WouldBlock clears readiness (Unix streams, where a read
    /// stops short at a message carrying file descriptors; pipes).
    ProvesNothing,
}

/// The byte-stream operations every stream type (TCP, Unix, a child's
/// pipes) shares: an empty buffer costs no system call, and a short
/// transfer clears readiness only where it proves something.
impl<S: Source> PollEvented<S>
where
    for<'a> &'a S: Read,
{
    pub(crate) fn poll_read_bytes(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
        short: ShortTransfer,
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(self.check_open().map(|()| 0));
        }
        let len = buf.len();
        let read = |mut s: &S| s.read(buf);
        match short {
            ShortTransfer::Drains => self.poll_transfer(cx, Direction::Read, len, read),
            ShortTransfer::ProvesNothing => self.poll_io(cx, Direction::Read, read),
        }
    }
}

impl<S: Source> PollEvented<S>
where
    for<'a> &'a S: Write,
{
    pub(crate) fn poll_write_bytes(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        short: ShortTransfer,
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(self.check_open().map(|()| 0));
        }
        let write = |mut s: &S| s.write(buf);
        match short {
            ShortTransfer::Drains => self.poll_transfer(cx, Direction::Write, buf.len(), write),
            ShortTransfer::ProvesNothing => self.poll_io(cx, Direction::Write, write),
        }
    }

    /// Not `poll_transfer`, whatever the stream: writev takes at most
    /// IOV_MAX slices, so a short vectored write does not prove the send
    /// buffer full, and clearing readiness then would wait for an edge that
    /// never comes.
    pub(crate) fn poll_write_vectored_bytes(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_io(cx, Direction::Write, |mut s| s.write_vectored(bufs))
    }
}

/// `write_all` for the stream types: `poll_write` until all of `buf` went,
/// `WriteZero` if a write takes nothing.
pub(crate) async fn write_all(
    mut buf: &[u8],
    mut poll_write: impl FnMut(&mut Context<'_>, &[u8]) -> Poll<io::Result<usize>>,
) -> io::Result<()> {
    while !buf.is_empty() {
        let n = std::future::poll_fn(|cx| poll_write(cx, buf)).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        buf = &buf[n..];
    }
    Ok(())
}

/// `read_exact` for the stream types, as asyncio's `readexactly`: fill all
/// of `buf`, or fail with [`io::ErrorKind::UnexpectedEof`] naming how many
/// bytes were wanted and how many came before the end of the stream.
pub(crate) async fn read_exact(
    buf: &mut [u8],
    mut poll_read: impl FnMut(&mut Context<'_>, &mut [u8]) -> Poll<io::Result<usize>>,
) -> io::Result<()> {
    let mut got = 0;
    while got < buf.len() {
        let n = std::future::poll_fn(|cx| poll_read(cx, &mut buf[got..])).await?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "read_exact: the stream ended after {got} of the {} bytes wanted",
                    buf.len()
                ),
            ));
        }
        got += n;
    }
    Ok(())
}

/// `futures_io::AsyncRead` for a type, from the `poll_read_priv` of the
/// stream that `$stream` names (with `$this` bound to `&Self`).
macro_rules! stream_async_read_impl {
    ($t:ty, $this:ident => $stream:expr) => {
        impl futures_io::AsyncRead for $t {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $this = &*self;
                $stream.poll_read_priv(cx, buf)
            }
        }
    };
}
pub(crate) use stream_async_read_impl;

/// `futures_io::AsyncWrite` for a type, from the `poll_write_priv`,
/// `poll_write_vectored_priv`, `io.check_open` and `shutdown_write` of the
/// stream that `$stream` names (with `$this` bound to `&Self`).
macro_rules! stream_async_write_impl {
    ($t:ty, $this:ident => $stream:expr) => {
        impl futures_io::AsyncWrite for $t {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $this = &*self;
                $stream.poll_write_priv(cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let $this = &*self;
                $stream.poll_write_vectored_priv(cx, bufs)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let $this = &*self;
                std::task::Poll::Ready($stream.io.check_open())
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let $this = &*self;
                std::task::Poll::Ready($stream.shutdown_write())
            }
        }
    };
}
pub(crate) use stream_async_write_impl;

/// `futures_io::AsyncRead` / `AsyncWrite` for a stream type and for a
/// shared reference to it (see the two macros above).
macro_rules! stream_async_io_impls {
    ($t:ty) => {
        crate::net::evented::stream_async_read_impl!($t, this => this);
        crate::net::evented::stream_async_write_impl!($t, this => this);
        crate::net::evented::stream_async_read_impl!(&$t, this => this);
        crate::net::evented::stream_async_write_impl!(&$t, this => this);
    };
}
pub(crate) use stream_async_io_impls;

impl<S: Source> Drop for PollEvented<S> {
    fn drop(&mut self) {
        lock(&self.handle.io).deregister(&mut self.io, self.key, &self.sio);
    }
}

impl<S: Source + std::fmt::Debug> std::fmt::Debug for PollEvented<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.io.fmt(f)
    }
}
