//! The bridge from the reactor's byte streams (`futures_io` traits) to the
//! tokio I/O traits the h2 crate reads and writes through. Only the traits
//! are tokio's: the stream stays registered with aio's reactor, and the
//! h2 connection is driven by an aio task.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use tokio::io::ReadBuf;

/// A `futures_io` stream seen through tokio's `AsyncRead`/`AsyncWrite`.
///
/// ```
/// # aio::run(async {
/// use aio::http::doc_support::TokioIo;
/// use aio::net::{TcpListener, TcpStream};
///
/// let listener = TcpListener::bind("127.0.0.1:0").await?;
/// let client = TcpStream::connect(listener.local_addr()?).await?;
/// let (server, _) = listener.accept().await?;
/// // Now usable wherever tokio's I/O traits are asked for (the h2 crate).
/// let (_client, _server) = (TokioIo::new(client), TokioIo::new(server));
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct TokioIo<T> {
    inner: T,
    /// Reads land here, then are copied into the caller's buffer: tokio
    /// hands out uninitialized memory, which a `futures_io` read cannot
    /// take, and zeroing the whole of it on every read (h2 offers all its
    /// spare capacity, often 8-16 KiB) costs more than copying the bytes
    /// that arrived. Zeroed once, when the first read comes.
    staging: Vec<u8>,
}

/// Size of the staging buffer: one TLS record of plaintext.
const STAGING: usize = 16 * 1024;

impl<T> TokioIo<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> TokioIo<T> {
        TokioIo {
            inner,
            staging: Vec::new(),
        }
    }
}

impl<T: AsyncRead + Unpin> tokio::io::AsyncRead for TokioIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.staging.is_empty() {
            this.staging = vec![0; STAGING];
        }
        // Never more than fits: nothing is left over between calls.
        let room = buf.remaining().min(STAGING);
        let n = ready!(Pin::new(&mut this.inner).poll_read(cx, &mut this.staging[..room]))?;
        buf.put_slice(&this.staging[..n]);
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> tokio::io::AsyncWrite for TokioIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}
