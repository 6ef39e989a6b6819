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
pub struct TokioIo<T>(T);

impl<T> TokioIo<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> TokioIo<T> {
        TokioIo(inner)
    }

    /// The wrapped stream.
    pub fn get_ref(&self) -> &T {
        &self.0
    }
}

impl<T: AsyncRead + Unpin> tokio::io::AsyncRead for TokioIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        // The futures_io traits read into initialized memory only.
        let n = ready!(Pin::new(&mut self.0).poll_read(cx, buf.initialize_unfilled()))?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> tokio::io::AsyncWrite for TokioIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_close(cx)
    }
}
