//! `async fn` wrappers over `futures_io` poll methods (the tests have no
//! futures-util): read, read to end, write all, flush, close.

use std::future::poll_fn;
use std::io;
use std::pin::Pin;

use futures_io::{AsyncRead, AsyncWrite};

/// One `poll_read`.
pub async fn read<S: AsyncRead + Unpin>(s: &mut S, buf: &mut [u8]) -> io::Result<usize> {
    poll_fn(|cx| Pin::new(&mut *s).poll_read(cx, buf)).await
}

/// Reads until `Ok(0)`; an error is returned with what was read before it.
pub async fn read_to_end<S: AsyncRead + Unpin>(s: &mut S) -> (Vec<u8>, io::Result<()>) {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match read(s, &mut buf).await {
            Ok(0) => return (out, Ok(())),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) => return (out, Err(e)),
        }
    }
}

/// Reads exactly `len` bytes.
pub async fn read_exact<S: AsyncRead + Unpin>(s: &mut S, len: usize) -> io::Result<Vec<u8>> {
    let mut out = vec![0u8; len];
    let mut filled = 0;
    while filled < len {
        match read(s, &mut out[filled..]).await? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => filled += n,
        }
    }
    Ok(out)
}

/// Writes all of `data` (in `poll_write` calls of whatever size the stream
/// accepts).
pub async fn write_all<S: AsyncWrite + Unpin>(s: &mut S, mut data: &[u8]) -> io::Result<()> {
    while !data.is_empty() {
        let n = poll_fn(|cx| Pin::new(&mut *s).poll_write(cx, data)).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        data = &data[n..];
    }
    Ok(())
}

/// `poll_flush` to completion.
pub async fn flush<S: AsyncWrite + Unpin>(s: &mut S) -> io::Result<()> {
    poll_fn(|cx| Pin::new(&mut *s).poll_flush(cx)).await
}

/// `poll_close` to completion.
pub async fn close<S: AsyncWrite + Unpin>(s: &mut S) -> io::Result<()> {
    poll_fn(|cx| Pin::new(&mut *s).poll_close(cx)).await
}

/// `len` bytes of a non-repeating-looking pattern, so misordered or lost
/// chunks are caught by comparison.
pub fn pattern(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            // xorshift32
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}
