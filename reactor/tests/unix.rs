#![cfg(unix)]
mod support;

use std::future::poll_fn;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::time::Duration;

use aio_reactor::net::{UnixDatagram, UnixListener, UnixStream};
use aio_reactor::Reactor;
use futures_io::{AsyncRead, AsyncWrite};
use support::{block_on, block_on_with, boxed, join_all};

/// A unique socket path under the temp dir, removed when dropped (the
/// sockets do not remove their files themselves).
struct TempPath(PathBuf);

impl TempPath {
    fn new(name: &str) -> TempPath {
        let path =
            std::env::temp_dir().join(format!("aio-unix-{}-{name}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        TempPath(path)
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl AsRef<Path> for TempPath {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

async fn read_exactly(s: &mut UnixStream, len: usize) -> Vec<u8> {
    let mut got = vec![0u8; len];
    let mut filled = 0;
    while filled < len {
        let n = s.read(&mut got[filled..]).await.unwrap();
        assert!(n > 0, "peer closed early");
        filled += n;
    }
    got
}

const CLIENTS: usize = 16;
const MESSAGES: usize = 20;

#[test]
fn echo_with_16_concurrent_clients() {
    let path = TempPath::new("echo");
    let target = path.0.clone();
    block_on(async move {
        let listener = UnixListener::bind(&path).unwrap();
        assert_eq!(
            listener.local_addr().unwrap().as_pathname(),
            Some(path.0.as_path())
        );
        let server = boxed(async move {
            let mut handlers = Vec::new();
            for _ in 0..CLIENTS {
                let (mut s, peer) = listener.accept().await.unwrap();
                assert!(peer.is_unnamed(), "clients bind no path");
                handlers.push(boxed(async move {
                    let mut buf = vec![0u8; 4096];
                    let mut total = 0;
                    loop {
                        let n = s.read(&mut buf).await.unwrap();
                        if n == 0 {
                            break total;
                        }
                        total += n;
                        s.write_all(&buf[..n]).await.unwrap();
                    }
                }));
            }
            join_all(handlers).await.into_iter().sum::<usize>()
        });
        let clients = (0..CLIENTS)
            .map(|c| {
                let target = target.clone();
                boxed(async move {
                    let mut s = UnixStream::connect(&target).await.unwrap();
                    assert_eq!(s.peer_addr().unwrap().as_pathname(), Some(target.as_path()));
                    let mut sent = 0;
                    for m in 0..MESSAGES {
                        let msg: Vec<u8> = (0..(50 + c * 301 + m * 997))
                            .map(|i| (i * 7 + c + m) as u8)
                            .collect();
                        s.write_all(&msg).await.unwrap();
                        let got = read_exactly(&mut s, msg.len()).await;
                        assert_eq!(got, msg, "client {c} message {m}");
                        sent += msg.len();
                    }
                    s.shutdown().await.unwrap();
                    let mut rest = [0u8; 16];
                    assert_eq!(
                        s.read(&mut rest).await.unwrap(),
                        0,
                        "server closes after our EOF"
                    );
                    sent
                })
            })
            .collect();
        let totals = join_all(vec![
            server,
            boxed(async move { join_all(clients).await.into_iter().sum::<usize>() }),
        ])
        .await;
        assert!(totals[1] > 0);
        assert_eq!(
            totals[0], totals[1],
            "server echoed every byte the clients sent"
        );
    });
}

#[test]
fn pair_carries_bytes_both_ways_through_the_async_io_traits() {
    block_on(async {
        let (a, b) = UnixStream::pair().unwrap();
        let (mut a_ref, mut b_ref) = (&a, &b);
        let n = poll_fn(|cx| Pin::new(&mut a_ref).poll_write(cx, b"from a"))
            .await
            .unwrap();
        assert_eq!(n, 6);
        let mut buf = [0u8; 16];
        let n = poll_fn(|cx| Pin::new(&mut b_ref).poll_read(cx, &mut buf))
            .await
            .unwrap();
        assert_eq!(&buf[..n], b"from a");
        let n = poll_fn(|cx| Pin::new(&mut b_ref).poll_write(cx, b"from b"))
            .await
            .unwrap();
        assert_eq!(n, 6);
        let n = poll_fn(|cx| Pin::new(&mut a_ref).poll_read(cx, &mut buf))
            .await
            .unwrap();
        assert_eq!(&buf[..n], b"from b");
        assert!(a.local_addr().unwrap().is_unnamed());
        assert!(a.peer_addr().unwrap().is_unnamed());
    });
}

#[test]
fn shutting_the_write_half_gives_the_peer_eof_and_keeps_the_read_half() {
    block_on(async {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        a.write_all(b"last words").await.unwrap();
        // Close through the AsyncWrite trait: the same shutdown of the write half.
        poll_fn(|cx| Pin::new(&mut a).poll_close(cx)).await.unwrap();
        assert_eq!(read_exactly(&mut b, 10).await, b"last words");
        let mut buf = [0u8; 8];
        assert_eq!(b.read(&mut buf).await.unwrap(), 0, "EOF after shutdown");
        // The other direction is still open.
        b.write_all(b"reply").await.unwrap();
        b.shutdown().await.unwrap();
        assert_eq!(read_exactly(&mut a, 5).await, b"reply");
        assert_eq!(a.read(&mut buf).await.unwrap(), 0);
    });
}

#[test]
fn a_message_read_in_two_halves_then_a_later_one_wakes_the_reader() {
    block_on(async {
        let (a, mut b) = UnixStream::pair().unwrap();
        let msg: Vec<u8> = (0..100u8).collect();
        b.writable().await.unwrap();
        assert_eq!(a.try_write(&msg).unwrap(), 100);
        let mut half = [0u8; 50];
        assert_eq!(b.read(&mut half).await.unwrap(), 50);
        assert_eq!(&half[..], &msg[..50]);
        // The other half is still queued: readiness must still say so.
        b.readable().await.unwrap();
        assert_eq!(b.read(&mut half).await.unwrap(), 50);
        assert_eq!(&half[..], &msg[50..]);
        // Drained now: a try_read says so and clears readiness...
        assert_eq!(
            b.try_read(&mut half).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
        // ...and the next message still wakes a waiting reader (join_all
        // polls the reader first, so it is waiting when the writer writes).
        let got = join_all(vec![
            boxed(async move {
                let mut buf = [0u8; 8];
                let n = b.read(&mut buf).await.unwrap();
                buf[..n].to_vec()
            }),
            boxed(async move {
                a.writable().await.unwrap();
                a.try_write(b"more").unwrap();
                Vec::new()
            }),
        ])
        .await;
        assert_eq!(got[0], b"more");
    });
}

#[test]
fn datagrams_by_path_and_connected() {
    let server_path = TempPath::new("dgram-server");
    let client_path = TempPath::new("dgram-client");
    block_on(async move {
        let server = UnixDatagram::bind(&server_path).unwrap();
        let client = UnixDatagram::bind(&client_path).unwrap();
        assert_eq!(
            server.local_addr().unwrap().as_pathname(),
            Some(server_path.0.as_path())
        );

        // send_to / recv_from: boundaries kept, the sender's path reported.
        assert_eq!(client.send_to(b"one", &server_path).await.unwrap(), 3);
        assert_eq!(client.send_to(b"second", &server_path).await.unwrap(), 6);
        let mut buf = [0u8; 64];
        let (n, from) = server.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"one");
        assert_eq!(from.as_pathname(), Some(client_path.0.as_path()));
        let (n, _) = server.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"second");
        let reply_to = from.as_pathname().unwrap();
        server.send_to(b"ack", reply_to).await.unwrap();
        let (n, from) = client.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"ack");
        assert_eq!(from.as_pathname(), Some(server_path.0.as_path()));

        // connect + send / recv from an unbound socket.
        let unbound = UnixDatagram::unbound().unwrap();
        unbound.connect(&server_path).unwrap();
        assert_eq!(
            unbound.peer_addr().unwrap().as_pathname(),
            Some(server_path.0.as_path())
        );
        assert_eq!(unbound.send(b"connected").await.unwrap(), 9);
        let (n, from) = server.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"connected");
        assert!(from.is_unnamed());

        // A pair: send / recv both ways.
        let (a, b) = UnixDatagram::pair().unwrap();
        a.send(b"ping").await.unwrap();
        let n = b.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"ping");
        b.send(b"pong").await.unwrap();
        let n = a.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"pong");

        // Sending to or connecting to a missing path names it.
        let missing = TempPath::new("dgram-missing");
        let err = client.send_to(b"x", &missing).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
        assert!(
            err.to_string().contains(&*missing.0.to_string_lossy()),
            "{err}"
        );
        let err = unbound.connect(&missing).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
        assert!(
            err.to_string().contains(&*missing.0.to_string_lossy()),
            "{err}"
        );
    });
}

#[test]
fn connecting_to_a_missing_path_names_it() {
    let path = TempPath::new("missing");
    block_on(async move {
        let err = UnixStream::connect(&path).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!("could not connect to {}: ", path.0.display())),
            "{msg}"
        );
    });
}

#[test]
fn a_stale_socket_file_makes_bind_fail_with_addr_in_use() {
    let path = TempPath::new("stale");
    block_on(async move {
        let listener = UnixListener::bind(&path).unwrap();
        drop(listener);
        // Documented: dropping the listener leaves its socket file behind.
        assert!(path.0.exists(), "the listener left its socket file");

        let err = UnixListener::bind(&path).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!("could not bind to {}: ", path.0.display())),
            "{msg}"
        );
        let err = UnixDatagram::bind(&path).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");

        // Nobody listens on the stale file.
        let err = UnixStream::connect(&path).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
        assert!(
            err.to_string().contains(&*path.0.to_string_lossy()),
            "{err}"
        );

        // Removing it lets a new server bind.
        std::fs::remove_file(&path).unwrap();
        let listener = UnixListener::bind(&path).unwrap();
        let (accepted, client) = {
            let results = join_all(vec![
                boxed(async move { Ok::<_, ()>(listener.accept().await.unwrap().0) }),
                boxed({
                    let p = path.0.clone();
                    async move { Ok(UnixStream::connect(&p).await.unwrap()) }
                }),
            ])
            .await;
            let mut it = results.into_iter().map(Result::unwrap);
            (it.next().unwrap(), it.next().unwrap())
        };
        assert_eq!(
            accepted.local_addr().unwrap().as_pathname(),
            client.peer_addr().unwrap().as_pathname()
        );
    });
}

#[test]
fn adopted_std_sockets_work() {
    block_on(async {
        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        let (mut a, mut b) = (
            UnixStream::from_std(a).unwrap(),
            UnixStream::from_std(b).unwrap(),
        );
        a.write_all(b"adopted").await.unwrap();
        assert_eq!(read_exactly(&mut b, 7).await, b"adopted");

        let (x, y) = std::os::unix::net::UnixDatagram::pair().unwrap();
        let (x, y) = (
            UnixDatagram::from_std(x).unwrap(),
            UnixDatagram::from_std(y).unwrap(),
        );
        x.send(b"d").await.unwrap();
        let mut buf = [0u8; 4];
        assert_eq!(y.recv(&mut buf).await.unwrap(), 1);

        let path = TempPath::new("adopted-listener");
        let std_listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let listener = UnixListener::from_std(std_listener).unwrap();
        let _client = std::os::unix::net::UnixStream::connect(&path).unwrap();
        let (mut s, _) = listener.accept().await.unwrap();
        drop(_client);
        assert_eq!(s.read(&mut buf).await.unwrap(), 0);
    });
}

#[test]
fn io_after_the_loop_shut_down_fails_instead_of_hanging() {
    let mut reactor = Reactor::new().unwrap();
    let (mut a, b, d) = block_on_with(&mut reactor, async {
        let (a, b) = UnixStream::pair().unwrap();
        let (d, _) = UnixDatagram::pair().unwrap();
        (a, b, d)
    });
    let report = reactor.shutdown(Duration::from_secs(1));
    assert_eq!(report.sockets_open, 3);
    let mut other = Reactor::new().unwrap();
    let err = block_on_with(&mut other, async { a.read(&mut [0u8; 4]).await }).unwrap_err();
    assert!(err.to_string().contains("has shut down"), "{err}");
    let err = block_on_with(&mut other, async { a.write_all(b"x").await }).unwrap_err();
    assert!(err.to_string().contains("has shut down"), "{err}");
    let err = block_on_with(&mut other, async { d.send(b"x").await }).unwrap_err();
    assert!(err.to_string().contains("has shut down"), "{err}");
    drop(b);
}

#[test]
fn a_read_pending_at_shutdown_is_woken_with_an_error() {
    use std::future::Future;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};
    struct Flag(AtomicBool);
    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let reactor = Reactor::new().unwrap();
    let (mut a, _b) = {
        let _enter = reactor.enter();
        UnixStream::pair().unwrap()
    };
    let flag = Arc::new(Flag(AtomicBool::new(false)));
    let waker = Waker::from(flag.clone());
    let mut buf = [0u8; 4];
    let mut read = Box::pin(a.read(&mut buf));
    assert!(read
        .as_mut()
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    reactor.shutdown(Duration::ZERO);
    assert!(
        flag.0.load(Ordering::SeqCst),
        "pending reader woken by shutdown"
    );
    match read.as_mut().poll(&mut Context::from_waker(&waker)) {
        Poll::Ready(Err(e)) => assert!(e.to_string().contains("shut down")),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn unix_sockets_outside_the_loop_panic_with_a_clear_message() {
    let err = std::panic::catch_unwind(|| drop(UnixStream::connect("/nonexistent"))).unwrap_err();
    assert_eq!(
        err.downcast_ref::<String>().unwrap(),
        "aio::net::UnixStream::connect() called outside of aio::run()"
    );
    let err = std::panic::catch_unwind(|| drop(UnixListener::bind("/nonexistent"))).unwrap_err();
    assert_eq!(
        err.downcast_ref::<String>().unwrap(),
        "aio::net::UnixListener::bind() called outside of aio::run()"
    );
}

#[test]
fn unix_sockets_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<UnixStream>();
    check::<UnixListener>();
    check::<UnixDatagram>();
}
