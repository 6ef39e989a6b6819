//! Files and directories, like `tokio::fs` and `async-fs`: every call runs
//! the blocking `std::fs` call on the loop's blocking pool
//! ([`blocking::run`]), so the loop keeps running while
//! the disk works.
//!
//! Every error names what it was doing and the path: its message reads
//! `"open /tmp/x: No such file or directory (os error 2)"`, its
//! [`kind`](io::Error::kind) is the original one, and its
//! [`get_ref`](io::Error::get_ref) is a [`PathError`] that keeps the original
//! error (with its OS code) as its source.
//!
//! [`File`] implements [`AsyncRead`], [`AsyncWrite`] and [`AsyncSeek`]
//! (use it with the extension traits and `BufReader` of `aio::io`) and buffers
//! both ways: reads fetch up to 64 KiB per pool job, writes collect up to
//! 64 KiB before a pool job writes them. At most one job per file is in
//! flight.
//!
//! # Panics
//! Every function here panics when called outside of `aio::run()` (there is
//! no blocking pool to run on).

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt;
use std::future::{poll_fn, Future};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncRead, AsyncSeek, AsyncWrite};

use crate::blocking::{self, BlockingJob, JobResult};

/// How many bytes a read job fetches at least, and how many written bytes
/// collect before a job writes them.
const CHUNK: usize = 64 * 1024;

/// The most one read job fetches, however large the caller's buffer.
const MAX_READ: usize = 2 * 1024 * 1024;

/// How many directory entries one [`ReadDir`] job fetches.
const DIR_BATCH: usize = 128;

/// The error inside every `aio::fs` error: which operation failed, on which
/// path, and the original error as its [`source`](std::error::Error::source).
///
/// Reach it with [`io::Error::get_ref`] and `downcast_ref::<PathError>()`.
///
/// ```
/// use aio::fs::PathError;
///
/// aio::run(async {
///     let error = aio::fs::read("/no/such/dir/file").await.unwrap_err();
///     assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
///     assert!(error.to_string().starts_with("read /no/such/dir/file: "));
///     let inner = error.get_ref().unwrap().downcast_ref::<PathError>().unwrap();
///     assert_eq!(inner.operation(), "read");
/// });
/// ```
#[derive(Debug)]
pub struct PathError {
    operation: &'static str,
    path: PathBuf,
    to: Option<PathBuf>,
    source: io::Error,
}

impl PathError {
    /// What was being done: `"open"`, `"read"`, `"rename"`, ...
    ///
    /// ```
    /// use aio::fs::PathError;
    ///
    /// aio::run(async {
    ///     let error = aio::fs::remove_file("/no/such/file").await.unwrap_err();
    ///     let inner = error.get_ref().unwrap().downcast_ref::<PathError>().unwrap();
    ///     assert_eq!(inner.operation(), "remove file");
    /// });
    /// ```
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// The path it was done to (for `rename` and `copy`, the source path).
    ///
    /// ```
    /// use aio::fs::PathError;
    /// use std::path::Path;
    ///
    /// aio::run(async {
    ///     let error = aio::fs::metadata("/no/such/file").await.unwrap_err();
    ///     let inner = error.get_ref().unwrap().downcast_ref::<PathError>().unwrap();
    ///     assert_eq!(inner.path(), Path::new("/no/such/file"));
    /// });
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// For `rename` and `copy`, the destination path.
    ///
    /// ```
    /// use aio::fs::PathError;
    /// use std::path::Path;
    ///
    /// aio::run(async {
    ///     let error = aio::fs::rename("/no/such/file", "/tmp/renamed").await.unwrap_err();
    ///     let inner = error.get_ref().unwrap().downcast_ref::<PathError>().unwrap();
    ///     assert_eq!(inner.destination(), Some(Path::new("/tmp/renamed")));
    ///     assert!(error.to_string().starts_with("rename /no/such/file to /tmp/renamed: "));
    /// });
    /// ```
    pub fn destination(&self) -> Option<&Path> {
        self.to.as_deref()
    }

    /// The error the operating system gave.
    ///
    /// ```
    /// use aio::fs::PathError;
    ///
    /// aio::run(async {
    ///     let error = aio::fs::read("/no/such/file").await.unwrap_err();
    ///     let inner = error.get_ref().unwrap().downcast_ref::<PathError>().unwrap();
    ///     assert_eq!(inner.os_error().raw_os_error(), Some(2)); // ENOENT
    /// });
    /// ```
    pub fn os_error(&self) -> &io::Error {
        &self.source
    }
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.operation, self.path.display())?;
        if let Some(to) = &self.to {
            write!(f, " to {}", to.display())?;
        }
        write!(f, ": {}", self.source)
    }
}

impl std::error::Error for PathError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Wrap `source` so it names `operation` and `path`, keeping its kind.
fn path_error(operation: &'static str, path: &Path, source: io::Error) -> io::Error {
    io::Error::new(
        source.kind(),
        PathError {
            operation,
            path: path.to_owned(),
            to: None,
            source,
        },
    )
}

/// A pool job's outcome as an `io::Result`: a job that never ran (the loop
/// shut down first) or panicked becomes an error naming `operation` and
/// `path` instead of a panic here.
fn job_output<T>(
    result: JobResult<io::Result<T>>,
    operation: &'static str,
    path: &Path,
) -> io::Result<T> {
    result.unwrap_or_else(|payload| Err(job_lost(&payload, operation, path)))
}

/// The error for a job that never ran or panicked.
fn job_lost(
    payload: &Box<dyn std::any::Any + Send>,
    operation: &'static str,
    path: &Path,
) -> io::Error {
    path_error(operation, path, io::Error::other(panic_message(payload)))
}

fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "blocking file job panicked".to_owned()
    }
}

/// Run `f(path)` on the pool; its error names `operation` and the path.
async fn on_pool<T, F>(operation: &'static str, path: PathBuf, f: F) -> io::Result<T>
where
    T: Send + 'static,
    F: FnOnce(&Path) -> io::Result<T> + Send + 'static,
{
    let named = path.clone();
    job_output(
        blocking::run(move || f(&path).map_err(|e| path_error(operation, &path, e))).await,
        operation,
        &named,
    )
}

/// Run `f(from, to)` on the pool; its error names `operation` and both paths.
async fn on_pool_two<T, F>(
    operation: &'static str,
    from: PathBuf,
    to: PathBuf,
    f: F,
) -> io::Result<T>
where
    T: Send + 'static,
    F: FnOnce(&Path, &Path) -> io::Result<T> + Send + 'static,
{
    let named = from.clone();
    job_output(
        blocking::run(move || {
            f(&from, &to).map_err(|source| {
                io::Error::new(
                    source.kind(),
                    PathError {
                        operation,
                        path: from,
                        to: Some(to),
                        source,
                    },
                )
            })
        })
        .await,
        operation,
        &named,
    )
}

/// The whole contents of a file, like [`std::fs::read`].
///
/// ```
/// let path = std::env::temp_dir().join(format!("aio-doc-read-{}", std::process::id()));
/// aio::run(async {
///     aio::fs::write(&path, [1, 2, 3]).await?;
///     assert_eq!(aio::fs::read(&path).await?, [1, 2, 3]);
///     aio::fs::remove_file(&path).await
/// })
/// .unwrap();
/// ```
pub async fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    on_pool("read", path.as_ref().to_owned(), |p| std::fs::read(p)).await
}

/// The whole contents of a file as a `String`, like
/// [`std::fs::read_to_string`]; invalid UTF-8 is an
/// [`InvalidData`](io::ErrorKind::InvalidData) error.
///
/// ```
/// let path = std::env::temp_dir().join(format!("aio-doc-read-to-string-{}", std::process::id()));
/// aio::run(async {
///     aio::fs::write(&path, "héllo").await?;
///     assert_eq!(aio::fs::read_to_string(&path).await?, "héllo");
///     aio::fs::write(&path, [0xff]).await?;
///     let error = aio::fs::read_to_string(&path).await.unwrap_err();
///     assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
///     aio::fs::remove_file(&path).await
/// })
/// .unwrap();
/// ```
pub async fn read_to_string(path: impl AsRef<Path>) -> io::Result<String> {
    on_pool("read", path.as_ref().to_owned(), |p| {
        std::fs::read_to_string(p)
    })
    .await
}

/// Create or truncate a file and write `contents` to it, like
/// [`std::fs::write`].
///
/// ```
/// let path = std::env::temp_dir().join(format!("aio-doc-write-{}", std::process::id()));
/// aio::run(async {
///     aio::fs::write(&path, "first, longer").await?;
///     aio::fs::write(&path, "second").await?; // truncates
///     assert_eq!(aio::fs::read_to_string(&path).await?, "second");
///     aio::fs::remove_file(&path).await
/// })
/// .unwrap();
/// ```
pub async fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let contents = contents.as_ref().to_owned();
    on_pool("write", path.as_ref().to_owned(), move |p| {
        std::fs::write(p, contents)
    })
    .await
}

/// Create a directory (its parent must exist), like [`std::fs::create_dir`].
///
/// ```
/// let dir = std::env::temp_dir().join(format!("aio-doc-create-dir-{}", std::process::id()));
/// aio::run(async {
///     aio::fs::create_dir(&dir).await?;
///     let again = aio::fs::create_dir(&dir).await.unwrap_err();
///     assert_eq!(again.kind(), std::io::ErrorKind::AlreadyExists);
///     aio::fs::remove_dir(&dir).await
/// })
/// .unwrap();
/// ```
pub async fn create_dir(path: impl AsRef<Path>) -> io::Result<()> {
    on_pool("create directory", path.as_ref().to_owned(), |p| {
        std::fs::create_dir(p)
    })
    .await
}

/// Create a directory and every missing parent, like
/// [`std::fs::create_dir_all`].
///
/// ```
/// let top = std::env::temp_dir().join(format!("aio-doc-create-dir-all-{}", std::process::id()));
/// aio::run(async {
///     aio::fs::create_dir_all(top.join("a/b/c")).await?;
///     assert!(aio::fs::metadata(top.join("a/b/c")).await?.is_dir());
///     aio::fs::remove_dir_all(&top).await
/// })
/// .unwrap();
/// ```
pub async fn create_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    on_pool("create directory", path.as_ref().to_owned(), |p| {
        std::fs::create_dir_all(p)
    })
    .await
}

/// Remove a file, like [`std::fs::remove_file`].
///
/// ```
/// let path = std::env::temp_dir().join(format!("aio-doc-remove-file-{}", std::process::id()));
/// aio::run(async {
///     aio::fs::write(&path, "").await?;
///     aio::fs::remove_file(&path).await?;
///     assert!(aio::fs::metadata(&path).await.is_err());
///     Ok::<_, std::io::Error>(())
/// })
/// .unwrap();
/// ```
pub async fn remove_file(path: impl AsRef<Path>) -> io::Result<()> {
    on_pool("remove file", path.as_ref().to_owned(), |p| {
        std::fs::remove_file(p)
    })
    .await
}

/// Remove an empty directory, like [`std::fs::remove_dir`].
///
/// ```
/// let dir = std::env::temp_dir().join(format!("aio-doc-remove-dir-{}", std::process::id()));
/// aio::run(async {
///     aio::fs::create_dir(&dir).await?;
///     aio::fs::write(dir.join("file"), "").await?;
///     assert!(aio::fs::remove_dir(&dir).await.is_err(), "not empty");
///     aio::fs::remove_file(dir.join("file")).await?;
///     aio::fs::remove_dir(&dir).await
/// })
/// .unwrap();
/// ```
pub async fn remove_dir(path: impl AsRef<Path>) -> io::Result<()> {
    on_pool("remove directory", path.as_ref().to_owned(), |p| {
        std::fs::remove_dir(p)
    })
    .await
}

/// Remove a directory and everything in it, like
/// [`std::fs::remove_dir_all`].
///
/// ```
/// let dir = std::env::temp_dir().join(format!("aio-doc-remove-dir-all-{}", std::process::id()));
/// aio::run(async {
///     aio::fs::create_dir_all(dir.join("sub")).await?;
///     aio::fs::write(dir.join("sub/file"), "x").await?;
///     aio::fs::remove_dir_all(&dir).await?;
///     assert!(aio::fs::metadata(&dir).await.is_err());
///     Ok::<_, std::io::Error>(())
/// })
/// .unwrap();
/// ```
pub async fn remove_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    on_pool("remove directory", path.as_ref().to_owned(), |p| {
        std::fs::remove_dir_all(p)
    })
    .await
}

/// Rename a file or directory, replacing `to` if it is a file, like
/// [`std::fs::rename`].
///
/// ```
/// let dir = std::env::temp_dir().join(format!("aio-doc-rename-{}", std::process::id()));
/// aio::run(async {
///     aio::fs::create_dir(&dir).await?;
///     aio::fs::write(dir.join("old"), "data").await?;
///     aio::fs::rename(dir.join("old"), dir.join("new")).await?;
///     assert_eq!(aio::fs::read_to_string(dir.join("new")).await?, "data");
///     aio::fs::remove_dir_all(&dir).await
/// })
/// .unwrap();
/// ```
pub async fn rename(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    let (from, to) = (from.as_ref().to_owned(), to.as_ref().to_owned());
    on_pool_two("rename", from, to, |f, t| std::fs::rename(f, t)).await
}

/// Copy a file's contents and permissions, like [`std::fs::copy`]; returns
/// the number of bytes copied.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("aio-doc-copy-{}", std::process::id()));
/// aio::run(async {
///     aio::fs::create_dir(&dir).await?;
///     aio::fs::write(dir.join("a"), "12345").await?;
///     assert_eq!(aio::fs::copy(dir.join("a"), dir.join("b")).await?, 5);
///     assert_eq!(aio::fs::read(dir.join("b")).await?, b"12345");
///     aio::fs::remove_dir_all(&dir).await
/// })
/// .unwrap();
/// ```
pub async fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<u64> {
    let (from, to) = (from.as_ref().to_owned(), to.as_ref().to_owned());
    on_pool_two("copy", from, to, |f, t| std::fs::copy(f, t)).await
}

/// A path's metadata, following symlinks, like [`std::fs::metadata`].
///
/// ```
/// let path = std::env::temp_dir().join(format!("aio-doc-metadata-{}", std::process::id()));
/// aio::run(async {
///     aio::fs::write(&path, "four").await?;
///     let metadata = aio::fs::metadata(&path).await?;
///     assert!(metadata.is_file());
///     assert_eq!(metadata.len(), 4);
///     aio::fs::remove_file(&path).await
/// })
/// .unwrap();
/// ```
pub async fn metadata(path: impl AsRef<Path>) -> io::Result<std::fs::Metadata> {
    on_pool("metadata of", path.as_ref().to_owned(), |p| {
        std::fs::metadata(p)
    })
    .await
}

/// The absolute path with every symlink resolved, like
/// [`std::fs::canonicalize`].
///
/// ```
/// use std::path::Path;
///
/// aio::run(async {
///     assert_eq!(aio::fs::canonicalize("/usr/../usr/./bin").await?, Path::new("/usr/bin"));
///     Ok::<_, std::io::Error>(())
/// })
/// .unwrap();
/// ```
pub async fn canonicalize(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    on_pool("canonicalize", path.as_ref().to_owned(), |p| {
        std::fs::canonicalize(p)
    })
    .await
}

/// The entries of a directory, like [`std::fs::read_dir`]: call
/// [`ReadDir::next_entry`] until it gives `None`.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("aio-doc-read-dir-{}", std::process::id()));
/// aio::run(async {
///     aio::fs::create_dir(&dir).await?;
///     for name in ["a", "b"] {
///         aio::fs::write(dir.join(name), "").await?;
///     }
///     let mut names = Vec::new();
///     let mut entries = aio::fs::read_dir(&dir).await?;
///     while let Some(entry) = entries.next_entry().await? {
///         names.push(entry.file_name());
///     }
///     names.sort();
///     assert_eq!(names, ["a", "b"]);
///     aio::fs::remove_dir_all(&dir).await
/// })
/// .unwrap();
/// ```
pub async fn read_dir(path: impl AsRef<Path>) -> io::Result<ReadDir> {
    let path: Arc<Path> = Arc::from(path.as_ref());
    let dir = path.clone();
    // Open and fetch the first batch in one job.
    let batch = job_output(
        blocking::run(move || {
            let entries =
                std::fs::read_dir(&dir).map_err(|e| path_error("read directory", &dir, e))?;
            Ok(Batch::fetch(entries, &dir))
        })
        .await,
        "read directory",
        &path,
    )?;
    Ok(ReadDir {
        path,
        state: DirState::Idle(Some(batch)),
    })
}

/// One job's worth of directory entries, and the iterator to fetch more
/// from (`None` once it is exhausted or failed).
struct Batch {
    entries: VecDeque<DirEntry>,
    error: Option<io::Error>,
    rest: Option<std::fs::ReadDir>,
}

impl Batch {
    fn fetch(mut iter: std::fs::ReadDir, dir: &Path) -> Batch {
        let mut entries = VecDeque::with_capacity(DIR_BATCH);
        while entries.len() < DIR_BATCH {
            match iter.next() {
                Some(Ok(entry)) => entries.push_back(DirEntry(Arc::new(entry))),
                Some(Err(e)) => {
                    return Batch {
                        entries,
                        error: Some(path_error("read directory", dir, e)),
                        rest: None,
                    }
                }
                None => {
                    return Batch {
                        entries,
                        error: None,
                        rest: None,
                    }
                }
            }
        }
        Batch {
            entries,
            error: None,
            rest: Some(iter),
        }
    }
}

enum DirState {
    Idle(Option<Batch>),
    Busy(BlockingJob<Batch>),
}

/// The entries of a directory, fetched from the pool in batches of 128; made
/// by [`read_dir`].
///
/// Dropping a [`next_entry`](ReadDir::next_entry) future part-way loses no
/// entry: the batch being fetched is kept for the next call.
///
/// ```
/// use aio::io::StreamExt;
///
/// let dir = std::env::temp_dir().join(format!("aio-doc-readdir-stream-{}", std::process::id()));
/// aio::run(async {
///     aio::fs::create_dir(&dir).await?;
///     aio::fs::write(dir.join("only"), "").await?;
///     // Also a Stream of entries.
///     let entries: Vec<_> = aio::fs::read_dir(&dir).await?.collect().await;
///     assert_eq!(entries.len(), 1);
///     assert_eq!(entries[0].as_ref().unwrap().file_name(), "only");
///     aio::fs::remove_dir_all(&dir).await
/// })
/// .unwrap();
/// ```
pub struct ReadDir {
    path: Arc<Path>,
    state: DirState,
}

impl fmt::Debug for ReadDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadDir")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl ReadDir {
    /// The next entry (`.` and `..` are never given), or `None` when the
    /// directory has no more.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("aio-doc-next-entry-{}", std::process::id()));
    /// aio::run(async {
    ///     aio::fs::create_dir(&dir).await?;
    ///     let mut entries = aio::fs::read_dir(&dir).await?;
    ///     assert!(entries.next_entry().await?.is_none(), "empty: no . or ..");
    ///     aio::fs::remove_dir(&dir).await
    /// })
    /// .unwrap();
    /// ```
    pub async fn next_entry(&mut self) -> io::Result<Option<DirEntry>> {
        poll_fn(|cx| self.poll_next_entry(cx)).await
    }

    /// Poll for the next entry: the poll form of
    /// [`next_entry`](ReadDir::next_entry).
    ///
    /// ```
    /// use std::future::poll_fn;
    ///
    /// let dir = std::env::temp_dir().join(format!("aio-doc-poll-next-entry-{}", std::process::id()));
    /// aio::run(async {
    ///     aio::fs::create_dir(&dir).await?;
    ///     aio::fs::write(dir.join("x"), "").await?;
    ///     let mut entries = aio::fs::read_dir(&dir).await?;
    ///     let first = poll_fn(|cx| entries.poll_next_entry(cx)).await?;
    ///     assert_eq!(first.unwrap().file_name(), "x");
    ///     aio::fs::remove_dir_all(&dir).await
    /// })
    /// .unwrap();
    /// ```
    pub fn poll_next_entry(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<DirEntry>>> {
        loop {
            match &mut self.state {
                DirState::Idle(slot) => {
                    let Some(batch) = slot.as_mut() else {
                        return Poll::Ready(Ok(None));
                    };
                    if let Some(entry) = batch.entries.pop_front() {
                        return Poll::Ready(Ok(Some(entry)));
                    }
                    if let Some(e) = batch.error.take() {
                        return Poll::Ready(Err(e));
                    }
                    let Some(rest) = batch.rest.take() else {
                        *slot = None;
                        return Poll::Ready(Ok(None));
                    };
                    let dir = self.path.clone();
                    self.state = DirState::Busy(blocking::run(move || Batch::fetch(rest, &dir)));
                }
                DirState::Busy(job) => {
                    let result = ready!(Pin::new(job).poll(cx));
                    match result {
                        Ok(batch) => self.state = DirState::Idle(Some(batch)),
                        Err(payload) => {
                            self.state = DirState::Idle(None);
                            let e = job_lost(&payload, "read directory", &self.path);
                            return Poll::Ready(Err(e));
                        }
                    }
                }
            }
        }
    }
}

/// A [`ReadDir`] is also a stream of entries (`aio::io::StreamExt` gives it
/// `next()`, `collect()`, ...).
impl futures_lite::Stream for ReadDir {
    type Item = io::Result<DirEntry>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_next_entry(cx).map(Result::transpose)
    }
}

/// One entry of a directory, given by [`ReadDir::next_entry`].
///
/// ```
/// let dir = std::env::temp_dir().join(format!("aio-doc-dir-entry-{}", std::process::id()));
/// aio::run(async {
///     aio::fs::create_dir(&dir).await?;
///     aio::fs::write(dir.join("file"), "abc").await?;
///     let entry = aio::fs::read_dir(&dir).await?.next_entry().await?.unwrap();
///     assert_eq!(entry.path(), dir.join("file"));
///     assert_eq!(entry.metadata().await?.len(), 3);
///     aio::fs::remove_dir_all(&dir).await
/// })
/// .unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct DirEntry(Arc<std::fs::DirEntry>);

impl DirEntry {
    /// The entry's full path (the directory's path joined with its name).
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("aio-doc-entry-path-{}", std::process::id()));
    /// aio::run(async {
    ///     aio::fs::create_dir(&dir).await?;
    ///     aio::fs::write(dir.join("f"), "").await?;
    ///     let entry = aio::fs::read_dir(&dir).await?.next_entry().await?.unwrap();
    ///     assert_eq!(entry.path(), dir.join("f"));
    ///     aio::fs::remove_dir_all(&dir).await
    /// })
    /// .unwrap();
    /// ```
    pub fn path(&self) -> PathBuf {
        self.0.path()
    }

    /// The entry's bare name.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("aio-doc-entry-name-{}", std::process::id()));
    /// aio::run(async {
    ///     aio::fs::create_dir(&dir).await?;
    ///     aio::fs::write(dir.join("name.txt"), "").await?;
    ///     let entry = aio::fs::read_dir(&dir).await?.next_entry().await?.unwrap();
    ///     assert_eq!(entry.file_name(), "name.txt");
    ///     aio::fs::remove_dir_all(&dir).await
    /// })
    /// .unwrap();
    /// ```
    pub fn file_name(&self) -> OsString {
        self.0.file_name()
    }

    /// The entry's metadata, not following a symlink, like
    /// [`std::fs::DirEntry::metadata`].
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("aio-doc-entry-metadata-{}", std::process::id()));
    /// aio::run(async {
    ///     aio::fs::create_dir_all(dir.join("sub")).await?;
    ///     let entry = aio::fs::read_dir(&dir).await?.next_entry().await?.unwrap();
    ///     assert!(entry.metadata().await?.is_dir());
    ///     aio::fs::remove_dir_all(&dir).await
    /// })
    /// .unwrap();
    /// ```
    pub async fn metadata(&self) -> io::Result<std::fs::Metadata> {
        let entry = self.0.clone();
        job_output(
            blocking::run(move || {
                entry
                    .metadata()
                    .map_err(|e| path_error("metadata of", &entry.path(), e))
            })
            .await,
            "metadata of",
            &self.0.path(),
        )
    }

    /// The entry's file type, not following a symlink (usually known without
    /// another system call, but some file systems need one).
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("aio-doc-entry-type-{}", std::process::id()));
    /// aio::run(async {
    ///     aio::fs::create_dir(&dir).await?;
    ///     std::os::unix::fs::symlink("/nowhere", dir.join("link"))?;
    ///     let entry = aio::fs::read_dir(&dir).await?.next_entry().await?.unwrap();
    ///     assert!(entry.file_type().await?.is_symlink(), "not followed");
    ///     aio::fs::remove_dir_all(&dir).await
    /// })
    /// .unwrap();
    /// ```
    pub async fn file_type(&self) -> io::Result<std::fs::FileType> {
        let entry = self.0.clone();
        job_output(
            blocking::run(move || {
                entry
                    .file_type()
                    .map_err(|e| path_error("file type of", &entry.path(), e))
            })
            .await,
            "file type of",
            &self.0.path(),
        )
    }
}

/// How to open a file, the shape of [`std::fs::OpenOptions`]; finish with
/// [`open`](OpenOptions::open).
///
/// ```no_run
/// # async fn example() -> std::io::Result<()> {
/// use aio_reactor::fs::OpenOptions;
/// let log = OpenOptions::new().append(true).create(true).open("app.log").await?;
/// # drop(log); Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct OpenOptions(std::fs::OpenOptions);

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions::new()
    }
}

impl OpenOptions {
    /// No access at all yet: set at least one of read, write or append.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("aio-doc-options-new-{}", std::process::id()));
    /// aio::run(async {
    ///     let mut file = aio::fs::OpenOptions::new().write(true).create(true).open(&path).await?;
    ///     file.write_all(b"made").await?;
    ///     file.flush().await?;
    ///     assert_eq!(aio::fs::read(&path).await?, b"made");
    ///     aio::fs::remove_file(&path).await
    /// })
    /// .unwrap();
    /// ```
    pub fn new() -> OpenOptions {
        OpenOptions(std::fs::OpenOptions::new())
    }

    /// Open for reading.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("aio-doc-options-read-{}", std::process::id()));
    /// aio::run(async {
    ///     aio::fs::write(&path, "text").await?;
    ///     let mut file = aio::fs::OpenOptions::new().read(true).open(&path).await?;
    ///     let mut text = String::new();
    ///     file.read_to_string(&mut text).await?;
    ///     assert_eq!(text, "text");
    ///     aio::fs::remove_file(&path).await
    /// })
    /// .unwrap();
    /// ```
    pub fn read(&mut self, read: bool) -> &mut OpenOptions {
        self.0.read(read);
        self
    }

    /// Open for writing.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("aio-doc-options-write-{}", std::process::id()));
    /// aio::run(async {
    ///     aio::fs::write(&path, "abcdef").await?;
    ///     // Write without truncating: overwrite the start.
    ///     let mut file = aio::fs::OpenOptions::new().write(true).open(&path).await?;
    ///     file.write_all(b"XY").await?;
    ///     file.flush().await?;
    ///     assert_eq!(aio::fs::read(&path).await?, b"XYcdef");
    ///     aio::fs::remove_file(&path).await
    /// })
    /// .unwrap();
    /// ```
    pub fn write(&mut self, write: bool) -> &mut OpenOptions {
        self.0.write(write);
        self
    }

    /// Open for appending: every write goes to the end of the file.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("aio-doc-options-append-{}", std::process::id()));
    /// aio::run(async {
    ///     aio::fs::write(&path, "one\n").await?;
    ///     let mut log = aio::fs::OpenOptions::new().append(true).open(&path).await?;
    ///     log.write_all(b"two\n").await?;
    ///     log.flush().await?;
    ///     assert_eq!(aio::fs::read_to_string(&path).await?, "one\ntwo\n");
    ///     aio::fs::remove_file(&path).await
    /// })
    /// .unwrap();
    /// ```
    pub fn append(&mut self, append: bool) -> &mut OpenOptions {
        self.0.append(append);
        self
    }

    /// Truncate the file to 0 bytes on opening (needs write access).
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("aio-doc-options-truncate-{}", std::process::id()));
    /// aio::run(async {
    ///     aio::fs::write(&path, "old contents").await?;
    ///     let file = aio::fs::OpenOptions::new().write(true).truncate(true).open(&path).await?;
    ///     drop(file);
    ///     assert_eq!(aio::fs::metadata(&path).await?.len(), 0);
    ///     aio::fs::remove_file(&path).await
    /// })
    /// .unwrap();
    /// ```
    pub fn truncate(&mut self, truncate: bool) -> &mut OpenOptions {
        self.0.truncate(truncate);
        self
    }

    /// Create the file if it does not exist (needs write or append access).
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("aio-doc-options-create-{}", std::process::id()));
    /// aio::run(async {
    ///     let missing = aio::fs::OpenOptions::new().write(true).open(&path).await.unwrap_err();
    ///     assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
    ///     aio::fs::OpenOptions::new().write(true).create(true).open(&path).await?;
    ///     aio::fs::remove_file(&path).await
    /// })
    /// .unwrap();
    /// ```
    pub fn create(&mut self, create: bool) -> &mut OpenOptions {
        self.0.create(create);
        self
    }

    /// Create the file, failing with
    /// [`AlreadyExists`](io::ErrorKind::AlreadyExists) if it exists.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("aio-doc-options-create-new-{}", std::process::id()));
    /// aio::run(async {
    ///     let mut options = aio::fs::OpenOptions::new();
    ///     options.write(true).create_new(true);
    ///     options.open(&path).await?;
    ///     let again = options.open(&path).await.unwrap_err();
    ///     assert_eq!(again.kind(), std::io::ErrorKind::AlreadyExists);
    ///     aio::fs::remove_file(&path).await
    /// })
    /// .unwrap();
    /// ```
    pub fn create_new(&mut self, create_new: bool) -> &mut OpenOptions {
        self.0.create_new(create_new);
        self
    }

    /// The Unix permission bits a created file gets (before the umask).
    ///
    /// ```
    /// use std::os::unix::fs::PermissionsExt;
    ///
    /// let path = std::env::temp_dir().join(format!("aio-doc-options-mode-{}", std::process::id()));
    /// aio::run(async {
    ///     aio::fs::OpenOptions::new().write(true).create(true).mode(0o600).open(&path).await?;
    ///     let mode = aio::fs::metadata(&path).await?.permissions().mode();
    ///     assert_eq!(mode & 0o777, 0o600);
    ///     aio::fs::remove_file(&path).await
    /// })
    /// .unwrap();
    /// ```
    #[cfg(unix)]
    pub fn mode(&mut self, mode: u32) -> &mut OpenOptions {
        std::os::unix::fs::OpenOptionsExt::mode(&mut self.0, mode);
        self
    }

    /// Open `path` with these options.
    ///
    /// ```
    /// aio::run(async {
    ///     let error = aio::fs::OpenOptions::new().read(true).open("/no/such/file").await.unwrap_err();
    ///     assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
    ///     assert!(error.to_string().starts_with("open /no/such/file: "));
    /// });
    /// ```
    pub async fn open(&self, path: impl AsRef<Path>) -> io::Result<File> {
        let options = self.0.clone();
        let path: Arc<Path> = Arc::from(path.as_ref());
        let file = on_pool("open", path.to_path_buf(), move |p| options.open(p)).await?;
        Ok(File::from_std(file, path))
    }
}

/// What a [`File`]'s buffer holds between jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Nothing: the OS position is the caller's position.
    Empty,
    /// Read-ahead: `data[pos..]` is unread, so the caller's position is
    /// `data.len() - pos` bytes behind the OS position.
    Reading,
    /// Written bytes not yet given to the OS.
    Writing,
}

struct Buf {
    data: Vec<u8>,
    pos: usize,
    mode: Mode,
}

impl Buf {
    fn new() -> Buf {
        Buf {
            data: Vec::new(),
            pos: 0,
            mode: Mode::Empty,
        }
    }

    fn clear(&mut self) {
        self.data.clear();
        self.pos = 0;
        self.mode = Mode::Empty;
    }

    fn unread(&self) -> usize {
        self.data.len() - self.pos
    }
}

/// What a finished job did.
enum Done {
    Read(io::Result<usize>),
    Write(io::Result<()>),
    Seek(SeekFrom, io::Result<u64>),
}

enum FileState {
    /// No job in flight; the buffer is here (`None` only transiently).
    Idle(Option<Buf>),
    /// A job owns the buffer and gives it back with what it did.
    Busy(BlockingJob<(Done, Buf)>),
}

/// An open file whose reads, writes and seeks run on the blocking pool, like
/// `tokio::fs::File`: it implements [`AsyncRead`], [`AsyncWrite`] and
/// [`AsyncSeek`], and has async `read`, `write_all`, `read_to_end`, ...
/// methods of its own.
///
/// Reads fetch at least 64 KiB per job and serve later reads from that;
/// writes collect in a 64 KiB buffer that a job writes when it is full, or on
/// [`flush`](File::flush), a seek, a read, [`sync_all`](File::sync_all),
/// [`set_len`](File::set_len) or [`metadata`](File::metadata). A seek
/// accounts for both (read-ahead bytes are given back, pending writes land
/// first), so positions are what a plain `std::fs::File` would have.
///
/// **Flush before dropping** to see write errors. A `File` dropped with
/// written bytes still buffered hands them to a pool job that writes them in
/// the background (as `tokio::fs::File` does); its error, if any, is lost.
/// File writes are never cancelled: a write job still queued when
/// `aio::run` shuts the pool down is done by the shutting-down thread, and a
/// `File` dropped outside a loop writes its bytes at once.
///
/// ```
/// use aio::io::{AsyncBufReadExt, BufReader, StreamExt};
///
/// let path = std::env::temp_dir().join(format!("aio-doc-file-{}", std::process::id()));
/// aio::run(async {
///     let mut file = aio::fs::File::create(&path).await?;
///     file.write_all(b"one\ntwo\n").await?;
///     file.flush().await?; // see the write errors here, not never
///     // With aio::io's BufReader and its line iterator.
///     let lines: Vec<String> = BufReader::new(aio::fs::File::open(&path).await?)
///         .lines()
///         .map(|line| line.unwrap())
///         .collect()
///         .await;
///     assert_eq!(lines, ["one", "two"]);
///     aio::fs::remove_file(&path).await
/// })
/// .unwrap();
/// ```
pub struct File {
    std: Arc<std::fs::File>,
    path: Arc<Path>,
    state: FileState,
    /// A background write's error, reported by the next write or flush.
    write_error: Option<io::Error>,
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("File")
            .field("path", &self.path)
            .field("busy", &matches!(self.state, FileState::Busy(_)))
            .finish_non_exhaustive()
    }
}

impl File {
    /// Open a file for reading, like [`std::fs::File::open`].
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("aio-doc-file-open-{}", std::process::id()));
    /// aio::run(async {
    ///     aio::fs::write(&path, "contents").await?;
    ///     let mut file = aio::fs::File::open(&path).await?;
    ///     let mut text = String::new();
    ///     file.read_to_string(&mut text).await?;
    ///     assert_eq!(text, "contents");
    ///     assert!(file.write_all(b"x").await.and(file.flush().await).is_err(), "read-only");
    ///     aio::fs::remove_file(&path).await
    /// })
    /// .unwrap();
    /// ```
    pub async fn open(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).open(path).await
    }

    /// Create a file for writing, truncating it if it exists, like
    /// [`std::fs::File::create`].
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("aio-doc-file-create-{}", std::process::id()));
    /// aio::run(async {
    ///     aio::fs::write(&path, "old").await?;
    ///     let mut file = aio::fs::File::create(&path).await?; // truncated
    ///     file.write_all(b"new").await?;
    ///     file.flush().await?;
    ///     assert_eq!(aio::fs::read(&path).await?, b"new");
    ///     aio::fs::remove_file(&path).await
    /// })
    /// .unwrap();
    /// ```
    pub async fn create(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .await
    }

    /// A new [`OpenOptions`].
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("aio-doc-file-options-{}", std::process::id()));
    /// aio::run(async {
    ///     let mut file = aio::fs::File::options().write(true).create_new(true).open(&path).await?;
    ///     file.write_all(b"x").await?;
    ///     file.flush().await?;
    ///     aio::fs::remove_file(&path).await
    /// })
    /// .unwrap();
    /// ```
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// Wrap an open `std::fs::File`; `path` is what errors name.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("aio-doc-file-from-std-{}", std::process::id()));
    /// aio::run(async {
    ///     let std_file = std::fs::File::create(&path)?;
    ///     let mut file = aio::fs::File::from_std(std_file, &path);
    ///     file.write_all(b"via std").await?;
    ///     file.flush().await?;
    ///     assert_eq!(file.path(), path);
    ///     aio::fs::remove_file(&path).await
    /// })
    /// .unwrap();
    /// ```
    pub fn from_std(file: std::fs::File, path: impl AsRef<Path>) -> File {
        File {
            std: Arc::new(file),
            path: Arc::from(path.as_ref()),
            state: FileState::Idle(Some(Buf::new())),
            write_error: None,
        }
    }

    /// The path this file was opened with (what its errors name).
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("aio-doc-file-path-{}", std::process::id()));
    /// aio::run(async {
    ///     let file = aio::fs::File::create(&path).await?;
    ///     assert_eq!(file.path(), path);
    ///     aio::fs::remove_file(&path).await
    /// })
    /// .unwrap();
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Read some bytes into `buf`; `Ok(0)` at the end of the file.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("aio-doc-file-read-{}", std::process::id()));
    /// aio::run(async {
    ///     aio::fs::write(&path, "abc").await?;
    ///     let mut file = aio::fs::File::open(&path).await?;
    ///     let mut buf = [0; 8];
    ///     assert_eq!(file.read(&mut buf).await?, 3);
    ///     assert_eq!(file.read(&mut buf).await?, 0, "end of file");
    ///     aio::fs::remove_file(&path).await
    /// })
    /// .unwrap();
    /// ```
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        futures_lite::AsyncReadExt::read(self, buf).await
    }

    /// Fill `buf` exactly; [`UnexpectedEof`](io::ErrorKind::UnexpectedEof)
    /// if the file ends first.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("aio-doc-file-read-exact-{}", std::process::id()));
    /// aio::run(async {
    ///     aio::fs::write(&path, "abcdef").await?;
    ///     let mut file = aio::fs::File::open(&path).await?;
    ///     let mut four = [0; 4];
    ///     file.read_exact(&mut four).await?;
    ///     assert_eq!(&four, b"abcd");
    ///     let error = file.read_exact(&mut four).await.unwrap_err(); // 2 bytes left
    ///     assert_eq!(error.kind(), std::io::ErrorKind::UnexpectedEof);
    ///     aio::fs::remove_file(&path).await
    /// })
    /// .unwrap();
    /// ```
    pub async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        futures_lite::AsyncReadExt::read_exact(self, buf).await
    }

    /// Append the rest of the file to `buf`; returns how many bytes.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("aio-doc-file-read-to-end-{}", std::process::id()));
    /// aio::run(async {
    ///     aio::fs::write(&path, "rest").await?;
    ///     let mut file = aio::fs::File::open(&path).await?;
    ///     let mut bytes = b"the ".to_vec();
    ///     assert_eq!(file.read_to_end(&mut bytes).await?, 4);
    ///     assert_eq!(bytes, b"the rest");
    ///     aio::fs::remove_file(&path).await
    /// })
    /// .unwrap();
    /// ```
    pub async fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        futures_lite::AsyncReadExt::read_to_end(self, buf).await
    }

    /// Append the rest of the file, as UTF-8, to `buf`; returns how many
    /// bytes.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("aio-doc-file-read-to-string-{}", std::process::id()));
    /// aio::run(async {
    ///     aio::fs::write(&path, "text").await?;
    ///     let mut text = String::new();
    ///     aio::fs::File::open(&path).await?.read_to_string(&mut text).await?;
    ///     assert_eq!(text, "text");
    ///     aio::fs::remove_file(&path).await
    /// })
    /// .unwrap();
    /// ```
    pub async fn read_to_string(&mut self, buf: &mut String) -> io::Result<usize> {
        futures_lite::AsyncReadExt::read_to_string(self, buf).await
    }

    /// Write all of `buf` (into the write buffer; see the type's docs).
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("aio-doc-file-write-all-{}", std::process::id()));
    /// aio::run(async {
    ///     let mut file = aio::fs::File::create(&path).await?;
    ///     file.write_all(b"buffered").await?;
    ///     assert_eq!(aio::fs::read(&path).await?, b"", "still in the buffer");
    ///     file.flush().await?;
    ///     assert_eq!(aio::fs::read(&path).await?, b"buffered");
    ///     aio::fs::remove_file(&path).await
    /// })
    /// .unwrap();
    /// ```
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        futures_lite::AsyncWriteExt::write_all(self, buf).await
    }

    /// Hand every buffered write to the OS and wait until it took them.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("aio-doc-file-flush-{}", std::process::id()));
    /// aio::run(async {
    ///     let mut file = aio::fs::File::create(&path).await?;
    ///     file.write_all(b"x").await?;
    ///     file.flush().await?; // a write error would show here
    ///     assert_eq!(aio::fs::metadata(&path).await?.len(), 1);
    ///     aio::fs::remove_file(&path).await
    /// })
    /// .unwrap();
    /// ```
    pub async fn flush(&mut self) -> io::Result<()> {
        poll_fn(|cx| self.poll_flush_buf(cx)).await
    }

    /// Move to `pos`; returns the new position from the start.
    ///
    /// ```
    /// use aio::io::SeekFrom;
    ///
    /// let path = std::env::temp_dir().join(format!("aio-doc-file-seek-{}", std::process::id()));
    /// aio::run(async {
    ///     aio::fs::write(&path, "0123456789").await?;
    ///     let mut file = aio::fs::File::open(&path).await?;
    ///     assert_eq!(file.seek(SeekFrom::End(-3)).await?, 7);
    ///     let mut tail = String::new();
    ///     file.read_to_string(&mut tail).await?;
    ///     assert_eq!(tail, "789");
    ///     aio::fs::remove_file(&path).await
    /// })
    /// .unwrap();
    /// ```
    pub async fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        poll_fn(|cx| self.poll_seek_to(cx, pos)).await
    }

    /// Flush, then make the OS write data and metadata to the disk, like
    /// [`std::fs::File::sync_all`].
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("aio-doc-file-sync-all-{}", std::process::id()));
    /// aio::run(async {
    ///     let mut file = aio::fs::File::create(&path).await?;
    ///     file.write_all(b"durable").await?;
    ///     file.sync_all().await?; // flushed, and on the disk
    ///     assert_eq!(aio::fs::read(&path).await?, b"durable");
    ///     aio::fs::remove_file(&path).await
    /// })
    /// .unwrap();
    /// ```
    pub async fn sync_all(&mut self) -> io::Result<()> {
        self.flush().await?;
        self.on_pool("sync", |f| f.sync_all()).await
    }

    /// Flush, then make the OS write the data to the disk, like
    /// [`std::fs::File::sync_data`].
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("aio-doc-file-sync-data-{}", std::process::id()));
    /// aio::run(async {
    ///     let mut file = aio::fs::File::create(&path).await?;
    ///     file.write_all(b"data").await?;
    ///     file.sync_data().await?;
    ///     assert_eq!(aio::fs::metadata(&path).await?.len(), 4);
    ///     aio::fs::remove_file(&path).await
    /// })
    /// .unwrap();
    /// ```
    pub async fn sync_data(&mut self) -> io::Result<()> {
        self.flush().await?;
        self.on_pool("sync", |f| f.sync_data()).await
    }

    /// Truncate or extend the file to `size` bytes, like
    /// [`std::fs::File::set_len`]; the position is not moved.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("aio-doc-file-set-len-{}", std::process::id()));
    /// aio::run(async {
    ///     let mut file = aio::fs::File::create(&path).await?;
    ///     file.write_all(b"0123456789").await?;
    ///     file.set_len(4).await?;
    ///     assert_eq!(aio::fs::read(&path).await?, b"0123");
    ///     aio::fs::remove_file(&path).await
    /// })
    /// .unwrap();
    /// ```
    pub async fn set_len(&mut self, size: u64) -> io::Result<()> {
        // Pending writes land first, and read-ahead is given back (it may
        // be cut off by the new length).
        self.seek(SeekFrom::Current(0)).await?;
        self.on_pool("set length of", move |f| f.set_len(size))
            .await
    }

    /// The file's metadata (after pending writes land), like
    /// [`std::fs::File::metadata`].
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("aio-doc-file-metadata-{}", std::process::id()));
    /// aio::run(async {
    ///     let mut file = aio::fs::File::create(&path).await?;
    ///     file.write_all(b"abc").await?;
    ///     assert_eq!(file.metadata().await?.len(), 3, "pending writes land first");
    ///     aio::fs::remove_file(&path).await
    /// })
    /// .unwrap();
    /// ```
    pub async fn metadata(&mut self) -> io::Result<std::fs::Metadata> {
        self.flush().await?;
        self.on_pool("metadata of", |f| f.metadata()).await
    }

    /// Run `f` on the pool with the file, while no job of the state machine
    /// is in flight (callers flushed or seeked first, with `&mut self` held).
    async fn on_pool<T, F>(&self, operation: &'static str, f: F) -> io::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&std::fs::File) -> io::Result<T> + Send + 'static,
    {
        let (file, path) = (self.std.clone(), self.path.clone());
        job_output(
            blocking::run(move || f(&file).map_err(|e| path_error(operation, &path, e))).await,
            operation,
            &self.path,
        )
    }

    /// Wait for the job in flight, if any, and take the buffer back. Read
    /// results are not the caller's concern here; a write error is kept for
    /// the next write or flush; a seek result is returned for `poll_seek`.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<(Buf, Option<Done>)> {
        match &mut self.state {
            FileState::Idle(buf) => Poll::Ready((buf.take().unwrap_or_else(Buf::new), None)),
            FileState::Busy(job) => {
                let result = ready!(Pin::new(job).poll(cx));
                self.state = FileState::Idle(None);
                match result {
                    Ok((done, buf)) => Poll::Ready((buf, Some(done))),
                    // The buffer went with the job: only a loop shutdown
                    // (or a bug) gets here; report it as a write error.
                    Err(payload) => {
                        self.write_error = Some(job_lost(&payload, "read or write", &self.path));
                        Poll::Ready((Buf::new(), None))
                    }
                }
            }
        }
    }

    fn start(
        &mut self,
        job: impl FnOnce(&std::fs::File, &mut Buf) -> Done + Send + 'static,
        buf: Buf,
    ) {
        let unwritten = Unwritten {
            file: self.std.clone(),
            buf: Some(buf),
        };
        self.state = FileState::Busy(blocking::run(move || {
            let mut unwritten = unwritten;
            let mut buf = unwritten.buf.take().unwrap_or_else(Buf::new);
            let done = job(&unwritten.file, &mut buf);
            (done, buf)
        }));
    }

    /// Start a job writing the buffered bytes (mode `Writing`).
    fn start_write(&mut self, buf: Buf) {
        let path = self.path.clone();
        self.start(
            move |mut file, buf| {
                let result = file
                    .write_all(&buf.data)
                    .map_err(|e| path_error("write", &path, e));
                buf.clear();
                Done::Write(result)
            },
            buf,
        );
    }

    fn poll_flush_buf(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            let (buf, done) = ready!(self.poll_idle(cx));
            if let Some(Done::Write(Err(e))) = done {
                self.write_error = Some(e);
            }
            if let Some(e) = self.write_error.take() {
                self.state = FileState::Idle(Some(buf));
                return Poll::Ready(Err(e));
            }
            if buf.mode == Mode::Writing {
                self.start_write(buf);
                continue;
            }
            self.state = FileState::Idle(Some(buf));
            return Poll::Ready(Ok(()));
        }
    }

    fn poll_seek_to(&mut self, cx: &mut Context<'_>, pos: SeekFrom) -> Poll<io::Result<u64>> {
        loop {
            let (buf, done) = ready!(self.poll_idle(cx));
            match done {
                // The seek this call started (or an identical one whose
                // caller gave up: its result is the same position).
                Some(Done::Seek(asked, result)) if asked == pos => {
                    self.state = FileState::Idle(Some(buf));
                    return Poll::Ready(result);
                }
                Some(Done::Write(Err(e))) => self.write_error = Some(e),
                _ => {}
            }
            if let Some(e) = self.write_error.take() {
                self.state = FileState::Idle(Some(buf));
                return Poll::Ready(Err(e));
            }
            // Where the OS must go: a relative seek counts from the caller's
            // position, which is behind the OS's by the unread read-ahead.
            let os_pos = match (pos, buf.mode) {
                (SeekFrom::Current(n), Mode::Reading) => {
                    let Some(n) = n.checked_sub(buf.unread() as i64) else {
                        self.state = FileState::Idle(Some(buf));
                        return Poll::Ready(Err(path_error(
                            "seek",
                            &self.path,
                            io::Error::new(io::ErrorKind::InvalidInput, "seek offset overflows"),
                        )));
                    };
                    SeekFrom::Current(n)
                }
                _ => pos,
            };
            let path = self.path.clone();
            self.start(
                move |mut file, buf| {
                    let result = (|| {
                        if buf.mode == Mode::Writing {
                            file.write_all(&buf.data)
                                .map_err(|e| path_error("write", &path, e))?;
                        }
                        file.seek(os_pos).map_err(|e| path_error("seek", &path, e))
                    })();
                    buf.clear();
                    Done::Seek(pos, result)
                },
                buf,
            );
        }
    }
}

impl AsyncRead for File {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        dst: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if dst.is_empty() {
            return Poll::Ready(Ok(0));
        }
        loop {
            let (mut buf, done) = ready!(this.poll_idle(cx));
            match done {
                Some(Done::Read(Ok(0))) => {
                    this.state = FileState::Idle(Some(buf));
                    return Poll::Ready(Ok(0));
                }
                Some(Done::Read(Err(e))) => {
                    this.state = FileState::Idle(Some(buf));
                    return Poll::Ready(Err(e));
                }
                Some(Done::Write(Err(e))) => this.write_error = Some(e),
                _ => {}
            }
            match buf.mode {
                Mode::Reading if buf.unread() > 0 => {
                    let n = buf.unread().min(dst.len());
                    dst[..n].copy_from_slice(&buf.data[buf.pos..buf.pos + n]);
                    buf.pos += n;
                    if buf.unread() == 0 {
                        buf.clear();
                    }
                    this.state = FileState::Idle(Some(buf));
                    return Poll::Ready(Ok(n));
                }
                // Written bytes land before reading after them.
                Mode::Writing => this.start_write(buf),
                _ => {
                    let want = dst.len().clamp(CHUNK, MAX_READ);
                    let path = this.path.clone();
                    this.start(
                        move |mut file, buf| {
                            buf.data.resize(want, 0);
                            let result = loop {
                                match file.read(&mut buf.data) {
                                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                                    other => break other,
                                }
                            };
                            let n = *result.as_ref().unwrap_or(&0);
                            buf.data.truncate(n);
                            buf.pos = 0;
                            buf.mode = if n > 0 { Mode::Reading } else { Mode::Empty };
                            Done::Read(result.map_err(|e| path_error("read", &path, e)))
                        },
                        buf,
                    );
                }
            }
        }
    }
}

impl AsyncWrite for File {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        src: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if src.is_empty() {
            return Poll::Ready(Ok(0));
        }
        loop {
            let (mut buf, done) = ready!(this.poll_idle(cx));
            if let Some(Done::Write(Err(e))) = done {
                this.write_error = Some(e);
            }
            if let Some(e) = this.write_error.take() {
                this.state = FileState::Idle(Some(buf));
                return Poll::Ready(Err(e));
            }
            match buf.mode {
                // Give the read-ahead back first: the write goes where the
                // caller is, not where the OS is.
                Mode::Reading => {
                    let back = -(buf.unread() as i64);
                    let path = this.path.clone();
                    this.start(
                        move |mut file, buf| {
                            let result = file.seek(SeekFrom::Current(back));
                            buf.clear();
                            Done::Write(result.map(drop).map_err(|e| path_error("seek", &path, e)))
                        },
                        buf,
                    );
                }
                Mode::Writing if buf.data.len() >= CHUNK => this.start_write(buf),
                Mode::Empty | Mode::Writing => {
                    if buf.mode == Mode::Empty {
                        buf.data.clear();
                        buf.data.reserve(CHUNK);
                        buf.mode = Mode::Writing;
                    }
                    let n = src.len().min(CHUNK - buf.data.len());
                    buf.data.extend_from_slice(&src[..n]);
                    if buf.data.len() >= CHUNK {
                        // Full: start writing now, so the disk works while
                        // the caller prepares the next bytes.
                        this.start_write(buf);
                    } else {
                        this.state = FileState::Idle(Some(buf));
                    }
                    return Poll::Ready(Ok(n));
                }
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_flush_buf(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_flush_buf(cx)
    }
}

impl AsyncSeek for File {
    fn poll_seek(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        self.get_mut().poll_seek_to(cx, pos)
    }
}

impl Drop for File {
    fn drop(&mut self) {
        // A job in flight owns its buffer and finishes on its own. Bytes
        // still in an idle buffer go to a job of their own.
        let FileState::Idle(Some(buf)) = &mut self.state else {
            return;
        };
        if buf.mode != Mode::Writing || buf.data.is_empty() {
            return;
        }
        let unwritten = Unwritten {
            file: self.std.clone(),
            buf: Some(std::mem::replace(buf, Buf::new())),
        };
        if crate::is_entered() {
            // Dropped unrun, `unwritten` writes on the dropping thread.
            drop(blocking::run(move || drop(unwritten)));
        } else {
            drop(unwritten);
        }
    }
}

/// A file job's buffer while the job is queued. If the pool drops the job
/// without running it (the loop shut down first), buffered written bytes are
/// written here, on the dropping thread, rather than lost: file writes are
/// never cancelled, as in `tokio::fs`.
struct Unwritten {
    file: Arc<std::fs::File>,
    buf: Option<Buf>,
}

impl Drop for Unwritten {
    fn drop(&mut self) {
        if let Some(buf) = self.buf.take() {
            if buf.mode == Mode::Writing && !buf.data.is_empty() {
                // Nobody is left to see an error (the File is gone or its
                // loop shut down).
                let _ = (&*self.file).write_all(&buf.data);
            }
        }
    }
}
