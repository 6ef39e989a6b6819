//! TCP: [`TcpListener`](crate::net::TcpListener) and
//! [`TcpStream`](crate::net::TcpStream) (both re-exported by `aio::net`),
//! and the halves a stream splits into so that one task reads while another
//! writes, as asyncio's `open_connection` hands out a `StreamReader` and a
//! `StreamWriter`:
//!
//! | split with | halves | for |
//! |---|---|---|
//! | [`TcpStream::split`](crate::net::TcpStream::split) (`&mut self`) | [`ReadHalf`], [`WriteHalf`] | both directions at once within one task (`select!`, `gather`) |
//! | [`TcpStream::into_split`](crate::net::TcpStream::into_split) | [`OwnedReadHalf`], [`OwnedWriteHalf`] | a reader task and a writer task; dropping the write half shuts the write side down; [`OwnedReadHalf::reunite`] gives the stream back |
//!
//! A read half and a write half each get their own wake-ups: the event
//! loop keeps one reader waker and one writer waker per socket. That is
//! also why a half cannot be cloned: two readers would take turns at the
//! one reader slot, each waking only when the other last waited.

mod split;
pub(super) mod stream;

pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf};
