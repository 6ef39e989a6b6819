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
//! ```no_run
//! use aio_reactor::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, StreamExt};
//! use aio_reactor::net::TcpStream;
//!
//! /// Answers every line a client sends with its length, like an asyncio
//! /// handler looping on `await reader.readline()`.
//! async fn line_lengths(stream: TcpStream) -> std::io::Result<()> {
//!     let (reader, mut writer) = aio_reactor::io::split(stream);
//!     let mut lines = BufReader::new(reader).lines();
//!     while let Some(line) = lines.next().await {
//!         let reply = format!("{}\n", line?.len());
//!         writer.write_all(reply.as_bytes()).await?;
//!     }
//!     writer.close().await
//! }
//! # fn main() { let _ = line_lengths; }
//! ```
//!
//! (The example is compiled but not run here: this crate's doctests have no
//! event loop. `tests/io.rs` runs the same pattern over a real TCP pair.)

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
