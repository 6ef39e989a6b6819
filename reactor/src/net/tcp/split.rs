//! The halves of a [`TcpStream`]: borrowed ([`TcpStream::split`]) or owned
//! ([`TcpStream::into_split`]). Each is a view of the one stream: a read
//! half only reads and a write half only writes, and each direction waits
//! on its own waker slot of the socket's registration.

use std::error::Error;
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::Shutdown;
use std::sync::Arc;

use crate::net::evented::{read_exact, stream_async_read_impl, stream_async_write_impl, write_all};
use crate::net::TcpStream;

impl TcpStream {
    /// Split into a read half and a write half that borrow the stream, to
    /// read and write at once within one task (both in one `select!` or
    /// `gather`, say). For two tasks, [`into_split`](TcpStream::into_split).
    ///
    /// ```
    /// use aio::io::copy;
    ///
    /// # aio::run(async {
    /// # let listener = aio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// # let mut stream = aio::net::TcpStream::connect(listener.local_addr()?).await?;
    /// # let (mut peer, _) = listener.accept().await?;
    /// // `stream` and `peer`: the two ends of a connection.
    /// peer.write_all(b"echo me").await?;
    /// peer.shutdown().await?;
    /// // An echo: everything read from one half goes out through the other.
    /// let (mut reader, mut writer) = stream.split();
    /// assert_eq!(copy(&mut reader, &mut writer).await?, 7);
    /// let mut echoed = [0; 7];
    /// peer.read_exact(&mut echoed).await?;
    /// assert_eq!(&echoed, b"echo me");
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        (ReadHalf { stream: self }, WriteHalf { stream: self })
    }

    /// Split into owned halves, to read in one task and write in another
    /// (asyncio's `StreamReader` and `StreamWriter`). Dropping the
    /// [`OwnedWriteHalf`] shuts the write side down, as
    /// [`shutdown`](TcpStream::shutdown) does; the connection closes once
    /// both halves are gone. [`OwnedReadHalf::reunite`] gives the stream
    /// back.
    ///
    /// ```
    /// # aio::run(async {
    /// # let listener = aio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// # let stream = aio::net::TcpStream::connect(listener.local_addr()?).await?;
    /// # let (mut peer, _) = listener.accept().await?;
    /// // `stream` and `peer`: the two ends of a connection.
    /// let (mut reader, mut writer) = stream.into_split();
    /// let sender = aio::spawn(async move {
    ///     writer.write_all(b"from the writer task").await
    ///     // `writer` is dropped here: the peer reads the end of the stream.
    /// });
    /// let receiver = aio::spawn(async move {
    ///     let mut reply = [0; 5];
    ///     reader.read_exact(&mut reply).await.map(|()| reply)
    /// });
    ///
    /// let mut received = Vec::new();
    /// let mut buf = [0; 64];
    /// loop {
    ///     let n = peer.read(&mut buf).await?;
    ///     if n == 0 {
    ///         break;
    ///     }
    ///     received.extend_from_slice(&buf[..n]);
    /// }
    /// assert_eq!(received, b"from the writer task");
    /// sender.await.unwrap()?;
    /// peer.write_all(b"reply").await?;
    /// assert_eq!(&receiver.await.unwrap()?, b"reply");
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        let stream = Arc::new(self);
        let write = OwnedWriteHalf {
            stream: Arc::clone(&stream),
            shutdown_on_drop: true,
        };
        (OwnedReadHalf { stream }, write)
    }
}

/// The read half of a [`TcpStream`], borrowed: from
/// [`TcpStream::split`].
///
/// Reads like the stream (it implements `futures-io`'s `AsyncRead`);
/// everything else `&TcpStream` offers is there through
/// [`as_ref`](AsRef::as_ref).
#[derive(Debug)]
pub struct ReadHalf<'a> {
    stream: &'a TcpStream,
}

/// The write half of a [`TcpStream`], borrowed: from
/// [`TcpStream::split`].
///
/// Writes like the stream (it implements `futures-io`'s `AsyncWrite`);
/// everything else `&TcpStream` offers is there through
/// [`as_ref`](AsRef::as_ref).
#[derive(Debug)]
pub struct WriteHalf<'a> {
    stream: &'a TcpStream,
}

/// The read half of a [`TcpStream`], owned: from
/// [`TcpStream::into_split`], for a task of its own.
///
/// Reads like the stream (it implements `futures-io`'s `AsyncRead`);
/// everything else `&TcpStream` offers is there through
/// [`as_ref`](AsRef::as_ref).
#[derive(Debug)]
pub struct OwnedReadHalf {
    stream: Arc<TcpStream>,
}

/// The write half of a [`TcpStream`], owned: from
/// [`TcpStream::into_split`], for a task of its own.
///
/// Writes like the stream (it implements `futures-io`'s `AsyncWrite`).
/// Dropping it shuts the write side down: the peer reads the end of the
/// stream, while the read half goes on reading. Everything else
/// `&TcpStream` offers is there through [`as_ref`](AsRef::as_ref).
#[derive(Debug)]
pub struct OwnedWriteHalf {
    stream: Arc<TcpStream>,
    /// Cleared by `reunite`: the stream lives on whole.
    shutdown_on_drop: bool,
}

impl Drop for OwnedWriteHalf {
    fn drop(&mut self) {
        if self.shutdown_on_drop {
            // Straight to the socket, even once the loop has shut down: the
            // peer must see the end of the stream while the read half lives.
            // An error (the peer reset the connection) leaves nothing to do.
            let _ = self.stream.io.io().shutdown(Shutdown::Write);
        }
    }
}

impl OwnedReadHalf {
    /// Put the stream back together from its two halves.
    ///
    /// # Errors
    /// [`ReuniteError`], holding both halves unchanged, when they come from
    /// different streams.
    ///
    /// ```
    /// # aio::run(async {
    /// # let listener = aio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// # let stream = aio::net::TcpStream::connect(listener.local_addr()?).await?;
    /// # let other = aio::net::TcpStream::connect(listener.local_addr()?).await?;
    /// let (reader, writer) = stream.into_split();
    /// let (other_reader, other_writer) = other.into_split();
    /// let mismatch = reader.reunite(other_writer).unwrap_err();
    /// assert_eq!(mismatch.to_string(), "tried to reunite the halves of two different TCP streams");
    ///
    /// let (reader, _other_writer) = (mismatch.0, mismatch.1);
    /// let mut stream = reader.reunite(writer).unwrap();
    /// stream.write_all(b"whole again, write side open").await?;
    /// # drop(other_reader);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn reunite(self, write: OwnedWriteHalf) -> Result<TcpStream, ReuniteError> {
        if !Arc::ptr_eq(&self.stream, &write.stream) {
            return Err(ReuniteError(self, write));
        }
        let mut write = write;
        write.shutdown_on_drop = false;
        drop(write);
        match Arc::try_unwrap(self.stream) {
            Ok(stream) => Ok(stream),
            // The halves are not `Clone` and share with nothing else.
            Err(_) => unreachable!("a TCP stream's two halves are its only owners"),
        }
    }
}

impl OwnedWriteHalf {
    /// Put the stream back together from its two halves; the same as
    /// [`OwnedReadHalf::reunite`] (the write side stays open).
    ///
    /// # Errors
    /// [`ReuniteError`], holding both halves unchanged, when they come from
    /// different streams.
    ///
    /// ```
    /// # aio::run(async {
    /// # let listener = aio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// # let stream = aio::net::TcpStream::connect(listener.local_addr()?).await?;
    /// let (reader, writer) = stream.into_split();
    /// let stream = writer.reunite(reader).unwrap();
    /// assert_eq!(stream.peer_addr()?, listener.local_addr()?);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn reunite(self, read: OwnedReadHalf) -> Result<TcpStream, ReuniteError> {
        read.reunite(self)
    }
}

/// Two halves that [`OwnedReadHalf::reunite`] refused: they come from
/// different streams. Both are given back unchanged.
///
/// ```
/// # aio::run(async {
/// # let listener = aio::net::TcpListener::bind("127.0.0.1:0").await?;
/// # let one = aio::net::TcpStream::connect(listener.local_addr()?).await?;
/// # let two = aio::net::TcpStream::connect(listener.local_addr()?).await?;
/// let (reader, _) = one.into_split();
/// let (_, writer) = two.into_split();
/// let aio::net::tcp::ReuniteError(reader, writer) = reader.reunite(writer).unwrap_err();
/// # drop((reader, writer));
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

impl fmt::Display for ReuniteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tried to reunite the halves of two different TCP streams")
    }
}

impl Error for ReuniteError {}

/// `read`, `read_exact`, `AsRef<TcpStream>` and `AsyncRead` for a read
/// half, whose `stream` field leads to the stream; `$split` is the call
/// that makes it, for the examples.
macro_rules! read_half {
    ($half:ty, $split:literal) => {
        impl $half {
            /// Read into `buf`, as [`TcpStream::read`]: any number of
            /// bytes up to `buf.len()`; `Ok(0)` at the end of the stream.
            ///
            /// ```
            /// # aio::run(async {
            /// # let listener = aio::net::TcpListener::bind("127.0.0.1:0").await?;
            /// # let mut stream = aio::net::TcpStream::connect(listener.local_addr()?).await?;
            /// # let (mut peer, _) = listener.accept().await?;
            /// // `stream` and `peer`: the two ends of a connection.
            #[doc = concat!("let (mut reader, _writer) = ", $split, ";")]
            /// peer.write_all(b"hello").await?;
            /// let mut buf = [0; 64];
            /// let n = reader.read(&mut buf).await?;
            /// assert!(n > 0);
            /// assert_eq!(&buf[..n], &b"hello"[..n]);
            /// # std::io::Result::Ok(())
            /// # }).unwrap();
            /// ```
            pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                poll_fn(|cx| self.stream.poll_read_priv(cx, buf)).await
            }

            /// Fill all of `buf`, as [`TcpStream::read_exact`] (asyncio's
            /// `readexactly`). Not cancel-safe.
            ///
            /// # Errors
            /// [`io::ErrorKind::UnexpectedEof`] when the stream ends first,
            /// naming how many bytes were wanted and how many came.
            ///
            /// ```
            /// # aio::run(async {
            /// # let listener = aio::net::TcpListener::bind("127.0.0.1:0").await?;
            /// # let mut stream = aio::net::TcpStream::connect(listener.local_addr()?).await?;
            /// # let (mut peer, _) = listener.accept().await?;
            /// // `stream` and `peer`: the two ends of a connection.
            #[doc = concat!("let (mut reader, _writer) = ", $split, ";")]
            /// peer.write_all(b"4 bytes, then the end").await?;
            /// drop(peer);
            /// let mut head = [0; 7];
            /// reader.read_exact(&mut head).await?;
            /// assert_eq!(&head, b"4 bytes");
            /// let error = reader.read_exact(&mut [0; 100]).await.unwrap_err();
            /// assert_eq!(
            ///     error.to_string(),
            ///     "read_exact: the stream ended after 14 of the 100 bytes wanted"
            /// );
            /// # std::io::Result::Ok(())
            /// # }).unwrap();
            /// ```
            pub async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
                read_exact(buf, |cx, rest| self.stream.poll_read_priv(cx, rest)).await
            }
        }

        impl AsRef<TcpStream> for $half {
            /// The whole stream, for what a half does not offer itself
            /// (`peer_addr`, `peek`, `readable`...).
            ///
            /// ```
            /// # aio::run(async {
            /// # let listener = aio::net::TcpListener::bind("127.0.0.1:0").await?;
            /// # let mut stream = aio::net::TcpStream::connect(listener.local_addr()?).await?;
            #[doc = concat!("let (reader, _writer) = ", $split, ";")]
            /// assert_eq!(reader.as_ref().peer_addr()?, listener.local_addr()?);
            /// # std::io::Result::Ok(())
            /// # }).unwrap();
            /// ```
            fn as_ref(&self) -> &TcpStream {
                &self.stream
            }
        }

        stream_async_read_impl!($half, this => this.stream);
    };
}

/// `write`, `write_all`, `shutdown`, `AsRef<TcpStream>` and `AsyncWrite`
/// for a write half, whose `stream` field leads to the stream; `$split` is
/// the call that makes it, for the examples.
macro_rules! write_half {
    ($half:ty, $split:literal) => {
        impl $half {
            /// Write some of `buf`, as [`TcpStream::write`]; gives how much
            /// was written.
            ///
            /// ```
            /// # aio::run(async {
            /// # let listener = aio::net::TcpListener::bind("127.0.0.1:0").await?;
            /// # let mut stream = aio::net::TcpStream::connect(listener.local_addr()?).await?;
            /// # let (mut peer, _) = listener.accept().await?;
            /// // `stream` and `peer`: the two ends of a connection.
            #[doc = concat!("let (_reader, mut writer) = ", $split, ";")]
            /// let n = writer.write(b"hello").await?;
            /// let mut buf = vec![0; n];
            /// peer.read_exact(&mut buf).await?;
            /// assert_eq!(buf, &b"hello"[..n]);
            /// # std::io::Result::Ok(())
            /// # }).unwrap();
            /// ```
            pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                poll_fn(|cx| self.stream.poll_write_priv(cx, buf)).await
            }

            /// Write all of `buf`, as [`TcpStream::write_all`].
            ///
            /// ```
            /// # aio::run(async {
            /// # let listener = aio::net::TcpListener::bind("127.0.0.1:0").await?;
            /// # let mut stream = aio::net::TcpStream::connect(listener.local_addr()?).await?;
            /// # let (mut peer, _) = listener.accept().await?;
            /// // `stream` and `peer`: the two ends of a connection.
            #[doc = concat!("let (_reader, mut writer) = ", $split, ";")]
            /// writer.write_all(b"all of it").await?;
            /// let mut buf = [0; 9];
            /// peer.read_exact(&mut buf).await?;
            /// assert_eq!(&buf, b"all of it");
            /// # std::io::Result::Ok(())
            /// # }).unwrap();
            /// ```
            pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
                write_all(buf, |cx, rest| self.stream.poll_write_priv(cx, rest)).await
            }

            /// Shut the write side down, as [`TcpStream::shutdown`]: the
            /// peer reads the end of the stream; the read half reads on.
            ///
            /// ```
            /// # aio::run(async {
            /// # let listener = aio::net::TcpListener::bind("127.0.0.1:0").await?;
            /// # let mut stream = aio::net::TcpStream::connect(listener.local_addr()?).await?;
            /// # let (mut peer, _) = listener.accept().await?;
            /// // `stream` and `peer`: the two ends of a connection.
            #[doc = concat!("let (mut reader, mut writer) = ", $split, ";")]
            /// writer.shutdown().await?;
            /// assert_eq!(peer.read(&mut [0; 8]).await?, 0);
            /// peer.write_all(b"bye").await?;
            /// let mut bye = [0; 3];
            /// reader.read_exact(&mut bye).await?;
            /// assert_eq!(&bye, b"bye");
            /// # std::io::Result::Ok(())
            /// # }).unwrap();
            /// ```
            pub async fn shutdown(&mut self) -> io::Result<()> {
                self.stream.shutdown_write()
            }
        }

        impl AsRef<TcpStream> for $half {
            /// The whole stream, for what a half does not offer itself
            /// (`local_addr`, `set_nodelay`, `writable`...).
            ///
            /// ```
            /// # aio::run(async {
            /// # let listener = aio::net::TcpListener::bind("127.0.0.1:0").await?;
            /// # let mut stream = aio::net::TcpStream::connect(listener.local_addr()?).await?;
            #[doc = concat!("let (_reader, writer) = ", $split, ";")]
            /// writer.as_ref().set_nodelay(true)?;
            /// # std::io::Result::Ok(())
            /// # }).unwrap();
            /// ```
            fn as_ref(&self) -> &TcpStream {
                &self.stream
            }
        }

        stream_async_write_impl!($half, this => this.stream);
    };
}

read_half!(ReadHalf<'_>, "stream.split()");
read_half!(OwnedReadHalf, "stream.into_split()");
write_half!(WriteHalf<'_>, "stream.split()");
write_half!(OwnedWriteHalf, "stream.into_split()");
