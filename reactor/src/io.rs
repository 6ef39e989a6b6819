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
//! | `reader.readexactly(n)` | [`AsyncReadExt::read_exact`] (early EOF: [`ErrorKind::UnexpectedEof`]); on a TCP stream, [`TcpStream::read_exact`](crate::net::TcpStream::read_exact) also names the bytes wanted and got |
//! | `reader.read(n)` | [`AsyncReadExt::read`] |
//! | `reader.read()` (to EOF) | [`AsyncReadExt::read_to_end`] / [`AsyncReadExt::read_to_string`] |
//! | `reader.at_eof()` | [`AsyncBufReadExt::fill_buf`] returns an empty slice |
//! | `writer.write(data)` + `await writer.drain()` | [`AsyncWriteExt::write_all`] |
//! | `writer.close()` | [`AsyncWriteExt::close`] |
//! | copying a reader into a writer | [`copy`] |
//! | one reader task, one writer task on one connection | [`TcpStream::into_split`](crate::net::TcpStream::into_split); [`split`] ([`ReadHalf`], [`WriteHalf`]) for any stream |
//!
//! An asyncio-style handler (`while line := await reader.readline()`) and a
//! client, over a TCP pair:
//!
//! ```
//! use aio_reactor::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, StreamExt};
//! use aio_reactor::net::{TcpListener, TcpStream};
//!
//! /// Answers every line a client sends with its length.
//! async fn line_lengths(stream: TcpStream) -> std::io::Result<()> {
//!     let (reader, mut writer) = stream.into_split();
//!     let mut lines = BufReader::new(reader).lines();
//!     while let Some(line) = lines.next().await {
//!         let reply = format!("{}\n", line?.len());
//!         writer.write_all(reply.as_bytes()).await?;
//!     }
//!     writer.close().await
//! }
//!
//! # aio::run(async {
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
