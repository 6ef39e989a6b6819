mod support;

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::Duration;

use aio_reactor::net::{lookup_host, TcpListener, TcpStream};
use aio_reactor::Reactor;
use support::{block_on, block_on_with, boxed, join_all, tcp_pair};

const CLIENTS: usize = 64;
const MESSAGES: usize = 8;

#[test]
fn echo_with_64_concurrent_clients() {
    block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = boxed(async move {
            let mut handlers = Vec::new();
            for _ in 0..CLIENTS {
                let (mut s, peer) = listener.accept().await.unwrap();
                assert_eq!(s.peer_addr().unwrap(), peer);
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
                boxed(async move {
                    let mut s = TcpStream::connect(addr).await.unwrap();
                    s.set_nodelay(true).unwrap();
                    assert!(s.nodelay().unwrap());
                    let mut sent = 0;
                    for m in 0..MESSAGES {
                        let msg: Vec<u8> = (0..(100 + c * 37 + m * 1013))
                            .map(|i| (i * 7 + c + m) as u8)
                            .collect();
                        s.write_all(&msg).await.unwrap();
                        let mut got = vec![0u8; msg.len()];
                        let mut filled = 0;
                        while filled < got.len() {
                            let n = s.read(&mut got[filled..]).await.unwrap();
                            assert!(n > 0, "server closed early");
                            filled += n;
                        }
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
        let mut all = vec![server];
        all.push(boxed(async move {
            join_all(clients).await.into_iter().sum::<usize>()
        }));
        let totals = join_all(all).await;
        assert_eq!(
            totals[0], totals[1],
            "server echoed every byte the clients sent"
        );
        assert!(totals[0] > 0);
    });
}

#[test]
fn futures_io_traits_work_on_stream_and_ref() {
    use futures_io::{AsyncRead, AsyncWrite};
    use std::future::poll_fn;
    use std::pin::Pin;
    block_on(async {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut client = TcpStream::connect(addr.to_string()).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        poll_fn(|cx| Pin::new(&mut client).poll_write(cx, b"ping"))
            .await
            .unwrap();
        poll_fn(|cx| Pin::new(&mut client).poll_flush(cx))
            .await
            .unwrap();
        poll_fn(|cx| Pin::new(&mut client).poll_close(cx))
            .await
            .unwrap();
        let mut buf = [0u8; 8];
        let mut n = 0;
        loop {
            let got = poll_fn(|cx| Pin::new(&mut &server).poll_read(cx, &mut buf[n..]))
                .await
                .unwrap();
            if got == 0 {
                break;
            }
            n += got;
        }
        assert_eq!(&buf[..n], b"ping");
    });
}

#[test]
fn connecting_to_a_closed_port_is_refused_and_names_the_address() {
    block_on(async {
        // Bind then drop to find a port nobody listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let err = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
        let msg = err.to_string();
        assert!(msg.contains(&format!("127.0.0.1:{port}")), "{msg}");
        assert!(msg.starts_with("could not connect to"), "{msg}");

        let err = TcpStream::connect(format!("localhost:{port}"))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!("could not connect to localhost:{port}: ")),
            "{msg}"
        );
        assert!(msg.contains(&format!("127.0.0.1:{port}: ")), "{msg}");
    });
}

#[test]
fn connect_by_name_resolves_and_connects() {
    block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let addrs = lookup_host(&format!("localhost:{port}")).await.unwrap();
        assert!(addrs.iter().any(|a| a.ip().is_loopback()), "{addrs:?}");
        let mut client = TcpStream::connect(format!("localhost:{port}"))
            .await
            .unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        client.write_all(b"hello").await.unwrap();
        let mut buf = [0u8; 5];
        let mut n = 0;
        while n < 5 {
            n += server.read(&mut buf[n..]).await.unwrap();
        }
        assert_eq!(&buf, b"hello");

        let err = lookup_host("no-such-host.invalid:80").await.unwrap_err();
        assert!(err.to_string().contains("no-such-host.invalid:80"), "{err}");
    });
}

#[test]
fn io_after_shutdown_fails_instead_of_hanging() {
    let mut reactor = Reactor::new().unwrap();
    let (mut client, server) = block_on_with(&mut reactor, tcp_pair());
    let report = reactor.shutdown(Duration::from_secs(1));
    assert_eq!(report.sockets_open, 2);
    let mut other = Reactor::new().unwrap();
    let err = block_on_with(&mut other, async { client.read(&mut [0u8; 4]).await }).unwrap_err();
    assert!(err.to_string().contains("has shut down"), "{err}");
    let err = block_on_with(&mut other, async { client.write_all(b"x").await }).unwrap_err();
    assert!(err.to_string().contains("has shut down"), "{err}");
    drop(server);
}

#[test]
fn a_read_pending_at_shutdown_is_woken_with_an_error() {
    use std::future::Future;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::task::{Context, Wake, Waker};
    struct Flag(AtomicBool);
    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let mut reactor = Reactor::new().unwrap();
    let (mut client, _server) = block_on_with(&mut reactor, tcp_pair());
    let flag = Arc::new(Flag(AtomicBool::new(false)));
    let waker = Waker::from(flag.clone());
    let mut buf = [0u8; 4];
    let mut read = Box::pin(client.read(&mut buf));
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
        std::task::Poll::Ready(Err(e)) => assert!(e.to_string().contains("shut down")),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn connect_outside_the_loop_panics_with_a_clear_message() {
    let err = std::panic::catch_unwind(|| drop(TcpStream::connect("127.0.0.1:1"))).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert_eq!(
        msg,
        "aio::net::TcpStream::connect() called outside of aio::run()"
    );
}

#[test]
fn sockets_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<TcpStream>();
    check::<TcpListener>();
    check::<aio_reactor::net::UdpSocket>();
    check::<aio_reactor::time::Sleep>();
    check::<aio_reactor::Unparker>();
}
