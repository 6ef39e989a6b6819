//! No file descriptor is left behind: across 100 `aio::run` calls, and by a
//! task that panics holding sockets. Its own test binary, and one test at a
//! time: the fd count is process-wide.

use aio::net::{TcpListener, TcpStream};
use aio::time::{sleep, Duration};

mod support;
use support::signal::Signal;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Tests in one binary run on parallel threads; counting needs them serial.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn a_task_panicking_with_open_sockets_closes_them() {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    aio::run(async {
        let before = open_fds();
        let failing = aio::spawn(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let _client = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let _server = listener.accept().await.unwrap();
            assert_eq!(open_fds(), before + 3);
            panic!("panics holding three sockets");
        });
        assert!(failing.await.unwrap_err().is_panic());
        assert_eq!(open_fds(), before);
    });
}

#[test]
fn no_fd_leak_across_100_runs() {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // One warm-up run so lazily created process-wide state is not counted.
    aio::run(async {});
    let before = open_fds();
    for _ in 0..100 {
        aio::run(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let client = TcpStream::connect(addr).await.unwrap();
            let (server, _) = listener.accept().await.unwrap();
            // A task left parked on the socket, a timer, and a blocking job.
            let reading = Signal::new();
            let reader_reading = reading.clone();
            aio::spawn(async move {
                let mut server = server;
                let mut buf = [0u8; 1];
                reader_reading.set();
                let _ = server.read(&mut buf).await;
            });
            aio::spawn(sleep(Duration::from_secs(60)));
            aio::spawn_blocking(|| 1).await.unwrap();
            reading.wait().await;
            drop(client);
        });
    }
    let after = open_fds();
    assert_eq!(before, after, "fds before {before}, after 100 runs {after}");
}
