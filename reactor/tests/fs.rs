mod support;

use std::io::{ErrorKind, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use aio_reactor::fs::{self, File, OpenOptions, PathError};
use aio_reactor::io::{AsyncSeekExt, BufReader};
use support::block_on;

/// A fresh directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "aio-fs-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn write_then_read_round_trips() {
    let dir = TempDir::new("round-trip");
    let path = dir.path().join("hello.txt");
    block_on(async {
        fs::write(&path, "hello, files").await.unwrap();
        assert_eq!(fs::read(&path).await.unwrap(), b"hello, files");
        assert_eq!(fs::read_to_string(&path).await.unwrap(), "hello, files");
        assert_eq!(fs::metadata(&path).await.unwrap().len(), 12);
        let copy = dir.path().join("copy.txt");
        assert_eq!(fs::copy(&path, &copy).await.unwrap(), 12);
        let moved = dir.path().join("moved.txt");
        fs::rename(&copy, &moved).await.unwrap();
        assert_eq!(fs::read_to_string(&moved).await.unwrap(), "hello, files");
        assert!(!copy.exists());
        assert_eq!(
            fs::canonicalize(&moved).await.unwrap(),
            std::fs::canonicalize(&moved).unwrap()
        );
        fs::remove_file(&moved).await.unwrap();
        assert!(!moved.exists());

        let nested = dir.path().join("a/b/c");
        fs::create_dir_all(&nested).await.unwrap();
        assert!(fs::metadata(&nested).await.unwrap().is_dir());
        fs::create_dir(nested.join("d")).await.unwrap();
        fs::remove_dir(nested.join("d")).await.unwrap();
        fs::write(nested.join("f"), b"x").await.unwrap();
        fs::remove_dir_all(dir.path().join("a")).await.unwrap();
        assert!(!dir.path().join("a").exists());
    });
}

#[test]
fn a_missing_file_is_not_found_and_the_error_names_the_path() {
    let dir = TempDir::new("missing");
    let path = dir.path().join("no-such-file.txt");
    block_on(async {
        let err = fs::read(&path).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let message = err.to_string();
        assert!(
            message.contains(&*path.to_string_lossy()),
            "message names the path: {message}"
        );
        assert!(message.starts_with("read "), "{message}");
        let inner = err.get_ref().unwrap().downcast_ref::<PathError>().unwrap();
        assert_eq!(inner.path(), path);
        assert_eq!(inner.operation(), "read");
        assert_eq!(inner.os_error().raw_os_error(), Some(2)); // ENOENT

        for err in [
            File::open(&path).await.unwrap_err(),
            fs::metadata(&path).await.unwrap_err(),
            fs::remove_file(&path).await.unwrap_err(),
            fs::read_dir(&path).await.unwrap_err(),
            fs::read_to_string(&path).await.unwrap_err(),
        ] {
            assert_eq!(err.kind(), ErrorKind::NotFound);
            assert!(err.to_string().contains(&*path.to_string_lossy()), "{err}");
        }

        let to = dir.path().join("elsewhere");
        let err = fs::rename(&path, &to).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let message = err.to_string();
        assert!(message.contains(&*path.to_string_lossy()), "{message}");
        assert!(message.contains(&*to.to_string_lossy()), "{message}");

        let err = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(dir.path())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    });
}

#[test]
fn file_write_seek_read() {
    let dir = TempDir::new("seek");
    let path = dir.path().join("data.bin");
    block_on(async {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .await
            .unwrap();
        file.write_all(b"0123456789").await.unwrap();
        // A seek lands the buffered write first.
        assert_eq!(file.seek(SeekFrom::Start(2)).await.unwrap(), 2);
        let mut two = [0u8; 2];
        file.read_exact(&mut two).await.unwrap();
        assert_eq!(&two, b"23");
        // The read fetched ahead; the position is still the caller's.
        assert_eq!(file.seek(SeekFrom::Current(0)).await.unwrap(), 4);
        file.read_exact(&mut two).await.unwrap();
        assert_eq!(&two, b"45");
        // A write after a read goes where the reader stopped.
        file.write_all(b"ab").await.unwrap();
        assert_eq!(file.seek(SeekFrom::Current(-3)).await.unwrap(), 5);
        let mut rest = String::new();
        file.read_to_string(&mut rest).await.unwrap();
        assert_eq!(rest, "5ab89");
        assert_eq!(file.seek(SeekFrom::End(-1)).await.unwrap(), 9);
        // Through the trait too (AsyncSeekExt), not only the inherent method.
        assert_eq!(
            AsyncSeekExt::seek(&mut file, SeekFrom::Start(0))
                .await
                .unwrap(),
            0
        );
        let mut all = Vec::new();
        file.read_to_end(&mut all).await.unwrap();
        assert_eq!(all, b"012345ab89");

        file.set_len(4).await.unwrap();
        assert_eq!(file.metadata().await.unwrap().len(), 4);
        file.write_all(b"!").await.unwrap();
        file.sync_all().await.unwrap();
        // Writing at position 10 of a 4-byte file leaves a zero-filled gap.
        assert_eq!(fs::read(&path).await.unwrap(), b"0123\0\0\0\0\0\0!");
    });
}

#[test]
fn append_adds_to_the_end() {
    let dir = TempDir::new("append");
    let path = dir.path().join("log.txt");
    block_on(async {
        fs::write(&path, "one\n").await.unwrap();
        for line in ["two\n", "three\n"] {
            let mut file = OpenOptions::new().append(true).open(&path).await.unwrap();
            file.write_all(line.as_bytes()).await.unwrap();
            file.flush().await.unwrap();
        }
        assert_eq!(
            fs::read_to_string(&path).await.unwrap(),
            "one\ntwo\nthree\n"
        );
    });
}

#[test]
fn ten_megabytes_through_small_writes_and_reads() {
    const SIZE: usize = 10 * 1024 * 1024;
    let dir = TempDir::new("big");
    let path = dir.path().join("big.bin");
    let byte = |i: usize| (i % 251) as u8;
    block_on(async {
        let mut file = File::create(&path).await.unwrap();
        let mut written = 0;
        while written < SIZE {
            let len = (1000 + written % 77).min(SIZE - written);
            let chunk: Vec<u8> = (written..written + len).map(byte).collect();
            file.write_all(&chunk).await.unwrap();
            written += len;
        }
        file.flush().await.unwrap();
        drop(file);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), SIZE as u64);

        let mut file = File::open(&path).await.unwrap();
        let mut read = 0;
        let mut buf = [0u8; 1500];
        loop {
            let want = 700 + read % 800;
            let n = file.read(&mut buf[..want]).await.unwrap();
            if n == 0 {
                break;
            }
            for (k, b) in buf[..n].iter().enumerate() {
                assert_eq!(*b, byte(read + k), "byte {}", read + k);
            }
            read += n;
        }
        assert_eq!(read, SIZE);
    });
}

#[test]
fn a_dropped_file_still_writes_its_buffer() {
    let dir = TempDir::new("drop");
    let path = dir.path().join("dropped.txt");
    block_on(async {
        let mut file = File::create(&path).await.unwrap();
        file.write_all(b"written on drop").await.unwrap();
        drop(file);
    });
    // block_on's reactor shutdown waits for the running job.
    assert_eq!(std::fs::read(&path).unwrap(), b"written on drop");
}

#[test]
fn read_dir_lists_a_thousand_files() {
    let dir = TempDir::new("dir");
    for i in 0..1000 {
        std::fs::write(dir.path().join(format!("f{i:04}")), b"").unwrap();
    }
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    block_on(async {
        let mut entries = fs::read_dir(dir.path()).await.unwrap();
        let mut names = Vec::new();
        let mut dirs = 0;
        while let Some(entry) = entries.next_entry().await.unwrap() {
            assert_eq!(entry.path(), dir.path().join(entry.file_name()));
            if entry.file_type().await.unwrap().is_dir() {
                dirs += 1;
                assert!(entry.metadata().await.unwrap().is_dir());
                continue;
            }
            names.push(entry.file_name().into_string().unwrap());
        }
        // Exhausted stays exhausted.
        assert!(entries.next_entry().await.unwrap().is_none());
        assert_eq!(dirs, 1);
        names.sort();
        let expected: Vec<String> = (0..1000).map(|i| format!("f{i:04}")).collect();
        assert_eq!(names, expected);

        // As a stream, too.
        use aio_reactor::io::StreamExt;
        let count = fs::read_dir(dir.path()).await.unwrap().count().await;
        assert_eq!(count, 1001);
    });
}

#[test]
fn a_file_reads_lines_through_bufreader() {
    use aio_reactor::io::{AsyncBufReadExt, StreamExt};
    let dir = TempDir::new("lines");
    let path = dir.path().join("lines.txt");
    block_on(async {
        fs::write(&path, "alpha\nbeta\ngamma").await.unwrap();
        let file = File::open(&path).await.unwrap();
        let lines: Vec<String> = BufReader::new(file)
            .lines()
            .map(|l| l.unwrap())
            .collect()
            .await;
        assert_eq!(lines, ["alpha", "beta", "gamma"]);
    });
}

#[test]
fn a_read_given_up_part_way_loses_no_position() {
    use aio_reactor::io::AsyncRead;
    use aio_reactor::{Reactor, ReactorConfig};
    use std::pin::Pin;
    use std::task::Poll;
    let dir = TempDir::new("cancel");
    let path = dir.path().join("cancel.txt");
    std::fs::write(&path, "abcdef").unwrap();
    // One pool thread, held by a job until the read has been given up: the
    // read's job is surely still queued when its future goes.
    let mut reactor = Reactor::with_config(ReactorConfig {
        max_blocking_threads: 1,
        ..ReactorConfig::default()
    })
    .unwrap();
    support::block_on_with(&mut reactor, async {
        let mut file = File::open(&path).await.unwrap();
        let (release, held) = std::sync::mpsc::channel::<()>();
        let blocker = aio_reactor::blocking::run(move || held.recv());
        let mut buf = [0u8; 3];
        let first = std::future::poll_fn(|cx| {
            Poll::Ready(Pin::new(&mut file).poll_read(cx, &mut buf).is_pending())
        })
        .await;
        assert!(first, "the read waits behind the held pool thread");
        release.send(()).unwrap();
        blocker.await.unwrap().unwrap();
        // The abandoned job's bytes are kept as read-ahead: the position is
        // still 0.
        assert_eq!(file.seek(SeekFrom::Current(0)).await.unwrap(), 0);
        file.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"abc");
    });
    reactor.shutdown(std::time::Duration::from_secs(5));
}

#[test]
fn a_buffered_write_that_fails_is_reported_by_flush_naming_the_path() {
    let dir = TempDir::new("write-error");
    let path = dir.path().join("read-only-handle.txt");
    block_on(async {
        fs::write(&path, "x").await.unwrap();
        // Opened for reading only: the OS refuses the write when it lands.
        let mut file = File::open(&path).await.unwrap();
        file.write_all(b"buffered").await.unwrap();
        let err = file.flush().await.unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with("write "), "{message}");
        assert!(message.contains(&*path.to_string_lossy()), "{message}");
        // Reported once; the file is usable again.
        file.flush().await.unwrap();
        assert_eq!(fs::read(&path).await.unwrap(), b"x");
    });
}
