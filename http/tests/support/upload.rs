//! Request bodies for the upload tests: streams of given chunks, data made
//! on the fly to a known pattern (so a server can check every byte without
//! holding any), and temporary files.

use std::collections::VecDeque;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use aio_http::Bytes;
use futures_core::Stream;
use futures_io::AsyncRead;

/// A stream of the given items, each ready at once.
pub struct Chunks(pub VecDeque<Result<Bytes, io::Error>>);

impl Chunks {
    pub fn of(items: &[&'static [u8]]) -> Chunks {
        Chunks(items.iter().map(|b| Ok(Bytes::from_static(b))).collect())
    }
}

impl Stream for Chunks {
    type Item = Result<Bytes, io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(self.0.pop_front())
    }
}

/// A stream that never yields (nor wakes anyone).
pub struct Stalled;

impl Stream for Stalled {
    type Item = Result<Bytes, io::Error>;

    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Pending
    }
}

/// The pattern byte at offset `i` of a generated body is `i % 251` (a prime,
/// so it never lines up with power-of-two piece sizes). `table()[k..]` is
/// the pattern from any offset `k` with `k % 251 == k`, for at least 64 KiB.
fn table() -> &'static [u8] {
    static TABLE: OnceLock<Vec<u8>> = OnceLock::new();
    TABLE.get_or_init(|| (0..64 * 1024 + 251).map(|i| (i % 251) as u8).collect())
}

/// The pattern from `offset`, `len` bytes (at most 64 KiB).
fn pattern(offset: u64, len: usize) -> &'static [u8] {
    let start = (offset % 251) as usize;
    &table()[start..start + len]
}

/// `total` pattern bytes, as a stream of 64 KiB chunks made as they are
/// asked for.
pub struct PatternStream {
    offset: u64,
    total: u64,
}

impl PatternStream {
    pub fn new(total: u64) -> PatternStream {
        PatternStream { offset: 0, total }
    }
}

impl Stream for PatternStream {
    type Item = Result<Vec<u8>, io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let n = (self.total - self.offset).min(64 * 1024) as usize;
        if n == 0 {
            return Poll::Ready(None);
        }
        let chunk = pattern(self.offset, n).to_vec();
        self.offset += n as u64;
        Poll::Ready(Some(Ok(chunk)))
    }
}

/// `total` pattern bytes, as a reader.
pub struct PatternReader {
    offset: u64,
    total: u64,
}

impl PatternReader {
    pub fn new(total: u64) -> PatternReader {
        PatternReader { offset: 0, total }
    }
}

impl AsyncRead for PatternReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let n = ((self.total - self.offset) as usize)
            .min(buf.len())
            .min(64 * 1024);
        buf[..n].copy_from_slice(pattern(self.offset, n));
        self.offset += n as u64;
        Poll::Ready(Ok(n))
    }
}

/// Checks that bytes fed to it, in order, are the pattern.
#[derive(Debug, Default)]
pub struct PatternCheck {
    pub len: u64,
    pub mismatch_at: Option<u64>,
}

impl PatternCheck {
    pub fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let n = data.len().min(64 * 1024);
            if self.mismatch_at.is_none() && data[..n] != *pattern(self.len, n) {
                self.mismatch_at = Some(self.len);
            }
            self.len += n as u64;
            data = &data[n..];
        }
    }
}

/// A file under the system's temporary directory, removed when dropped.
pub struct TempFile(pub PathBuf);

impl TempFile {
    pub fn new(name: &str, contents: &[u8]) -> TempFile {
        let path = std::env::temp_dir().join(format!("aio-http-{}-{name}", std::process::id()));
        std::fs::write(&path, contents).unwrap();
        TempFile(path)
    }

    /// A file of `total` pattern bytes, written a piece at a time.
    pub fn with_pattern(name: &str, total: u64) -> TempFile {
        use std::io::Write;
        let file = TempFile::new(name, b"");
        let mut out = std::io::BufWriter::new(std::fs::File::create(&file.0).unwrap());
        let mut offset = 0;
        while offset < total {
            let n = (total - offset).min(64 * 1024) as usize;
            out.write_all(pattern(offset, n)).unwrap();
            offset += n as u64;
        }
        out.flush().unwrap();
        file
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
