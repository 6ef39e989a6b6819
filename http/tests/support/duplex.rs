//! An in-memory, bounded, full-duplex byte pipe implementing
//! `futures_io::{AsyncRead, AsyncWrite}`: a stand-in for a TCP connection.
//!
//! Wakers are stored only when an operation would block and woken only when
//! that operation can make progress, never spuriously, so a stream layered on
//! top that loses a wakeup stalls (and `exec::block_on` reports it).

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use futures_io::{AsyncRead, AsyncWrite};

/// One direction of the pipe.
#[derive(Default)]
struct Pipe {
    buf: VecDeque<u8>,
    capacity: usize,
    /// The writer closed (or dropped) its end: the reader sees EOF when drained.
    write_closed: bool,
    /// The reader dropped its end: writes fail with BrokenPipe.
    read_closed: bool,
    read_waker: Option<Waker>,
    write_waker: Option<Waker>,
}

fn store(slot: &mut Option<Waker>, waker: &Waker) {
    match slot {
        Some(w) if w.will_wake(waker) => {}
        _ => *slot = Some(waker.clone()),
    }
}

fn wake(slot: &mut Option<Waker>) {
    if let Some(w) = slot.take() {
        w.wake();
    }
}

/// One end of an in-memory connection made by [`duplex`].
pub struct DuplexStream {
    incoming: Arc<Mutex<Pipe>>,
    outgoing: Arc<Mutex<Pipe>>,
}

/// Two connected ends; each direction buffers at most `capacity` bytes.
pub fn duplex(capacity: usize) -> (DuplexStream, DuplexStream) {
    assert!(capacity > 0, "a zero-capacity pipe can never make progress");
    let new_pipe = || {
        Arc::new(Mutex::new(Pipe {
            capacity,
            ..Pipe::default()
        }))
    };
    let (a_to_b, b_to_a) = (new_pipe(), new_pipe());
    (
        DuplexStream {
            incoming: Arc::clone(&b_to_a),
            outgoing: Arc::clone(&a_to_b),
        },
        DuplexStream {
            incoming: a_to_b,
            outgoing: b_to_a,
        },
    )
}

fn lock(pipe: &Mutex<Pipe>) -> MutexGuard<'_, Pipe> {
    pipe.lock().unwrap_or_else(|e| e.into_inner())
}

impl AsyncRead for DuplexStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut pipe = lock(&self.incoming);
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if pipe.buf.is_empty() {
            if pipe.write_closed {
                return Poll::Ready(Ok(0));
            }
            store(&mut pipe.read_waker, cx.waker());
            return Poll::Pending;
        }
        let n = buf.len().min(pipe.buf.len());
        for (dst, src) in buf.iter_mut().zip(pipe.buf.drain(..n)) {
            *dst = src;
        }
        wake(&mut pipe.write_waker);
        Poll::Ready(Ok(n))
    }
}

impl AsyncWrite for DuplexStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let mut pipe = lock(&self.outgoing);
        if pipe.read_closed {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        if pipe.write_closed {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "write after close",
            )));
        }
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let room = pipe.capacity - pipe.buf.len();
        if room == 0 {
            store(&mut pipe.write_waker, cx.waker());
            return Poll::Pending;
        }
        let n = room.min(buf.len());
        pipe.buf.extend(&buf[..n]);
        wake(&mut pipe.read_waker);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Half-closes: the peer reads EOF once it has drained what was sent.
    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut pipe = lock(&self.outgoing);
        pipe.write_closed = true;
        wake(&mut pipe.read_waker);
        Poll::Ready(Ok(()))
    }
}

impl Drop for DuplexStream {
    /// Like closing a socket: the peer reads EOF and its writes fail.
    fn drop(&mut self) {
        let mut out = lock(&self.outgoing);
        out.write_closed = true;
        wake(&mut out.read_waker);
        drop(out);
        let mut inc = lock(&self.incoming);
        inc.read_closed = true;
        wake(&mut inc.write_waker);
    }
}
