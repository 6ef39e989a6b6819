//! Buffered streams with asyncio's reader vocabulary.
//!
//! Everything here is [`futures-lite`](https://docs.rs/futures-lite)'s I/O
//! toolkit, re-exported under names an asyncio user can find, over the
//! [`futures-io`](https://docs.rs/futures-io) traits that aio's own streams
//! ([`TcpStream`](crate::net::TcpStream), [`File`](crate::fs::File), ...)
//! implement. Bring the extension traits into scope with
//! `use aio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};`.
//!
//! | asyncio (`StreamReader` / `StreamWriter`) | aio |
//! |---|---|
//! | `reader.readline()` | [`BufReader`] + [`AsyncBufReadExt::read_line`] (keeps the `\n`; `Ok(0)` at EOF) |
//! | `async for line in reader` | [`AsyncBufReadExt::lines`] (a [`Stream`] of lines without the `\n`) |
//! | `reader.readuntil(sep)` | [`AsyncBufReadExt::read_until`] (one-byte separator; EOF before it returns what was read) |
//! | `reader.readexactly(n)` | [`AsyncReadExt::read_exact`] (early EOF: [`ErrorKind::UnexpectedEof`]) |
//! | `reader.read(n)` | [`AsyncReadExt::read`] |
//! | `reader.read()` (to EOF) | [`AsyncReadExt::read_to_end`] / [`AsyncReadExt::read_to_string`] |
//! | `reader.at_eof()` | [`AsyncBufReadExt::fill_buf`] returns an empty slice |
//! | `writer.write(data)` + `await writer.drain()` | [`AsyncWriteExt::write_all`] |
//! | `writer.close()` | [`AsyncWriteExt::close`] |
//! | copying a reader into a writer | [`copy`] |
//! | one reader task, one writer task on one connection | [`split`] ([`ReadHalf`], [`WriteHalf`]) |
//!
//! An asyncio-style handler (`while line := await reader.readline()`) and a
//! client, over a TCP pair (with `aio`, `aio::run` drives this; this crate's
//! own doctest drives the reactor by hand, hidden):
//!
//! ```
//! use aio_reactor::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, StreamExt};
//! use aio_reactor::net::{TcpListener, TcpStream};
//!
//! /// Answers every line a client sends with its length.
//! async fn line_lengths(stream: TcpStream) -> std::io::Result<()> {
//!     let (reader, mut writer) = aio_reactor::io::split(stream);
//!     let mut lines = BufReader::new(reader).lines();
//!     while let Some(line) = lines.next().await {
//!         let reply = format!("{}\n", line?.len());
//!         writer.write_all(reply.as_bytes()).await?;
//!     }
//!     writer.close().await
//! }
//!
//! # fn block_on<F: std::future::Future>(fut: F) -> F::Output {
//! #     use std::sync::{atomic::{AtomicBool, Ordering}, Arc};
//! #     use std::task::{Context, Poll, Wake, Waker};
//! #     struct Flag(AtomicBool, aio_reactor::Unparker);
//! #     impl Wake for Flag {
//! #         fn wake(self: Arc<Self>) { self.0.store(true, Ordering::SeqCst); self.1.unpark(); }
//! #     }
//! #     let mut reactor = aio_reactor::Reactor::new().unwrap();
//! #     let out = {
//! #         let _enter = reactor.enter();
//! #         let flag = Arc::new(Flag(AtomicBool::new(true), reactor.unparker()));
//! #         let waker = Waker::from(flag.clone());
//! #         let mut fut = std::pin::pin!(fut);
//! #         loop {
//! #             if flag.0.swap(false, Ordering::SeqCst) {
//! #                 if let Poll::Ready(v) = fut.as_mut().poll(&mut Context::from_waker(&waker)) { break v; }
//! #             } else { reactor.turn(None); }
//! #         }
//! #     };
//! #     reactor.shutdown(std::time::Duration::from_secs(5));
//! #     out
//! # }
//! # block_on(async {
//! let listener = TcpListener::bind("127.0.0.1:0").await?;
//! let mut client = TcpStream::connect(listener.local_addr()?).await?;
//! let (server, _) = listener.accept().await?;
//!
//! // The client writes everything first (small enough for the socket
//! // buffers), then the server answers it all.
//! client.write_all(b"hello\nasyncio\n").await?;
//! client.close().await?;
//! line_lengths(server).await?;
//!
//! let mut replies = String::new();
//! client.read_to_string(&mut replies).await?;
//! assert_eq!(replies, "5\n7\n");
//! # std::io::Result::Ok(())
//! # }).unwrap();
//! ```

pub use futures_io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite};
pub use futures_lite::io::{
    copy, empty, repeat, sink, split, AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, AsyncWriteExt,
    BufReader, BufWriter, Bytes, Chain, Cursor, Empty, Lines, ReadHalf, Repeat, Sink, Split, Take,
    WriteHalf,
};
/// The stream trait [`Lines`] and [`Split`] implement, with its `next()`
/// combinator, so `while let Some(line) = lines.next().await` needs no other
/// crate.
pub use futures_lite::stream::{Stream, StreamExt};
pub use std::io::{Error, ErrorKind, Result, SeekFrom};
