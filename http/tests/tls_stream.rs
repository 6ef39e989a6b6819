//! TlsStream over an in-memory pipe: handshake, data both ways, back-pressure,
//! wakeups, ALPN, clean and unclean close.

mod support;

use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::Poll;

use aio_http::tls::{self, ClientTlsStream, UNCLEAN_EOF_MESSAGE};
use futures_io::{AsyncRead, AsyncWrite};
use support::certs::TestCa;
use support::duplex::{duplex, DuplexStream};
use support::exec::{block_on, join2};
use support::io::{close, flush, pattern, read, read_exact, read_to_end, write_all};
use support::tls::{accept, connected};

const MB: usize = 1024 * 1024;

#[test]
fn echo_small_messages_both_ways() {
    let ca = TestCa::new("echo CA");
    let (mut client, mut server) = connected(
        ca.client_config(),
        ca.localhost().server_config(),
        "localhost",
    );
    block_on(async {
        for round in 0..5u8 {
            let msg = format!("ping {round}");
            write_all(&mut client, msg.as_bytes()).await.unwrap();
            flush(&mut client).await.unwrap();
            let got = read_exact(&mut server, msg.len()).await.unwrap();
            assert_eq!(got, msg.as_bytes());
            write_all(&mut server, b"pong").await.unwrap();
            flush(&mut server).await.unwrap();
            assert_eq!(read_exact(&mut client, 4).await.unwrap(), b"pong");
        }
    });
}

/// 1 MB each way through a 64 KiB pipe: both sides must block and be woken
/// many times; the bytes must arrive complete and in order.
#[test]
fn one_megabyte_each_direction() {
    let ca = TestCa::new("bulk CA");
    let (mut client, mut server) = connected(
        ca.client_config(),
        ca.localhost().server_config(),
        "localhost",
    );
    let up = pattern(MB, 1);
    let down = pattern(MB, 2);
    block_on(async {
        let (sent, got) = join2(
            async {
                write_all(&mut client, &up).await?;
                flush(&mut client).await
            },
            read_exact(&mut server, MB),
        )
        .await;
        sent.unwrap();
        assert!(got.unwrap() == up, "client->server data corrupted");

        let (sent, got) = join2(
            async {
                write_all(&mut server, &down).await?;
                close(&mut server).await
            },
            read_to_end(&mut client),
        )
        .await;
        sent.unwrap();
        let (got, end) = got;
        end.expect("clean close_notify ends the stream with Ok(0)");
        assert!(got == down, "server->client data corrupted");
    });
}

/// Writes `data` and reads as many bytes back from the same stream, in one
/// task, interleaving both directions: the stream must register its waker
/// for whichever direction blocks, or the task stalls.
async fn write_and_read_back(
    tls: &mut ClientTlsStream<DuplexStream>,
    data: &[u8],
) -> io::Result<Vec<u8>> {
    let mut sent = 0;
    let mut flushed = false;
    let mut back = Vec::with_capacity(data.len());
    let mut buf = vec![0u8; 16 * 1024];
    poll_fn(|cx| {
        while sent < data.len() {
            let end = data.len().min(sent + 10_000);
            match Pin::new(&mut *tls).poll_write(cx, &data[sent..end]) {
                Poll::Ready(Ok(n)) => sent += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => break,
            }
        }
        if sent == data.len() && !flushed {
            match Pin::new(&mut *tls).poll_flush(cx) {
                Poll::Ready(Ok(())) => flushed = true,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => {}
            }
        }
        while back.len() < data.len() {
            match Pin::new(&mut *tls).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::UnexpectedEof.into())),
                Poll::Ready(Ok(n)) => back.extend_from_slice(&buf[..n]),
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => break,
            }
        }
        if flushed && back.len() == data.len() {
            Poll::Ready(Ok(std::mem::take(&mut back)))
        } else {
            Poll::Pending
        }
    })
    .await
}

/// Echoes until the peer's close_notify, then closes.
async fn echo<S: AsyncRead + AsyncWrite + Unpin>(s: &mut S) -> io::Result<u64> {
    let mut buf = vec![0u8; 8 * 1024];
    let mut total = 0u64;
    loop {
        let n = read(s, &mut buf).await?;
        if n == 0 {
            close(s).await?;
            return Ok(total);
        }
        write_all(s, &buf[..n]).await?;
        flush(s).await?;
        total += n as u64;
    }
}

#[test]
fn full_duplex_echo_one_megabyte() {
    let ca = TestCa::new("duplex CA");
    let leaf = ca.localhost();
    for server_config in [leaf.server_config(), leaf.server_config_tls12()] {
        let (mut client, mut server) = connected(ca.client_config(), server_config, "localhost");
        let data = pattern(MB, 3);
        block_on(async {
            let (back, echoed) = join2(
                async {
                    let back = write_and_read_back(&mut client, &data).await?;
                    close(&mut client).await?;
                    // The server answers our close_notify with its own.
                    let (rest, end) = read_to_end(&mut client).await;
                    end?;
                    assert!(rest.is_empty());
                    Ok::<_, io::Error>(back)
                },
                echo(&mut server),
            )
            .await;
            assert!(back.unwrap() == data, "echoed data differs");
            assert_eq!(echoed.unwrap(), MB as u64);
        });
    }
}

/// A 7-byte pipe forces every TLS record through many Pending/wake cycles,
/// in the handshake and after it. Handshake and transfer run in the same two
/// futures: with so little buffering, a handshake that waited for its last
/// records (the server's session tickets) to be read before returning would
/// deadlock, as the client is not reading.
#[test]
fn tiny_pipe_handshake_and_transfer() {
    let ca = TestCa::new("tiny CA");
    let client_config = ca.client_config();
    let server_config = ca.localhost().server_config();
    let data = pattern(20_000, 4);
    let (c, s) = duplex(7);
    let (sent, got) = block_on(join2(
        async {
            let name = tls::server_name("localhost").unwrap();
            let mut client = tls::connect(client_config, name, c).await?;
            write_all(&mut client, &data).await?;
            close(&mut client).await
        },
        async {
            let mut server = accept(server_config, s).await?;
            let (got, end) = read_to_end(&mut server).await;
            end.map(|()| got)
        },
    ));
    sent.unwrap();
    assert!(got.unwrap() == data);
}

#[test]
fn alpn_negotiates_http11() {
    let ca = TestCa::new("alpn CA");
    let (client, server) = connected(
        ca.client_config(),
        ca.localhost().server_config(),
        "localhost",
    );
    assert_eq!(client.alpn_protocol(), Some(&b"http/1.1"[..]));
    assert_eq!(server.alpn_protocol(), Some(&b"http/1.1"[..]));
    assert_eq!(
        ca.client_config().alpn_protocols,
        vec![b"http/1.1".to_vec()]
    );
}

/// The peer sends data then drops the transport without close_notify: the
/// data is delivered, then UnexpectedEof with our message, never Ok(0).
#[test]
fn eof_without_close_notify_is_an_error() {
    let ca = TestCa::new("eof CA");
    let (mut client, mut server) = connected(
        ca.client_config(),
        ca.localhost().server_config(),
        "localhost",
    );
    block_on(async {
        write_all(&mut server, b"partial body").await.unwrap();
        flush(&mut server).await.unwrap();
        // Drop the TLS state and the transport: like a server that dies.
        drop(server.into_inner());
        let (got, end) = read_to_end(&mut client).await;
        assert_eq!(got, b"partial body");
        let err = end.expect_err("truncation must not look like a clean end");
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(err.to_string(), UNCLEAN_EOF_MESSAGE);
        assert!(err.to_string().contains("without close_notify"));
    });
}

/// Same, but the transport is closed in the middle of a TLS record.
#[test]
fn eof_inside_a_record_is_an_error() {
    let ca = TestCa::new("eof record CA");
    let (mut client, server) = connected(
        ca.client_config(),
        ca.localhost().server_config(),
        "localhost",
    );
    block_on(async {
        let (mut raw, mut conn) = server.into_inner();
        // Encrypt a record with the server's rustls state and send only half.
        std::io::Write::write_all(&mut conn.writer(), &[b'x'; 1000]).unwrap();
        let mut record = Vec::new();
        conn.write_tls(&mut record).unwrap();
        write_all(&mut raw, &record[..record.len() / 2])
            .await
            .unwrap();
        close(&mut raw).await.unwrap();
        let (got, end) = read_to_end(&mut client).await;
        assert!(got.is_empty());
        assert_eq!(end.unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
    });
}

#[test]
fn close_notify_ends_the_stream_cleanly() {
    let ca = TestCa::new("close CA");
    let (mut client, mut server) = connected(
        ca.client_config(),
        ca.localhost().server_config(),
        "localhost",
    );
    block_on(async {
        write_all(&mut server, b"whole body").await.unwrap();
        close(&mut server).await.unwrap();
        let (got, end) = read_to_end(&mut client).await;
        assert_eq!(got, b"whole body");
        end.expect("close_notify gives Ok(0)");
        // And it stays at EOF.
        assert_eq!(read(&mut client, &mut [0u8; 8]).await.unwrap(), 0);
        // Writing after our own close is refused rather than silently lost.
        close(&mut client).await.unwrap();
        let err = write_all(&mut client, b"late").await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    });
}

/// After a key update the connection keeps working both ways (rustls sends
/// the requested reply with our next record).
#[test]
fn key_update_keeps_the_connection_working() {
    let ca = TestCa::new("key update CA");
    let (mut client, mut server) = connected(
        ca.client_config(),
        ca.localhost().server_config(),
        "localhost",
    );
    block_on(async {
        for round in 0..3 {
            server.get_mut().1.refresh_traffic_keys().unwrap();
            write_all(&mut server, b"after update").await.unwrap();
            flush(&mut server).await.unwrap();
            assert_eq!(read_exact(&mut client, 12).await.unwrap(), b"after update");
            if round == 1 {
                client.get_mut().1.refresh_traffic_keys().unwrap();
            }
            write_all(&mut client, b"reply").await.unwrap();
            flush(&mut client).await.unwrap();
            assert_eq!(read_exact(&mut server, 5).await.unwrap(), b"reply");
        }
    });
}

/// TLS records queued outside a write must be sent by a task that only
/// reads. Through a 7-byte pipe the client's handshake completes with its
/// Finished message still queued; the server cannot finish accepting (and
/// so cannot speak first) until it arrives, so the client's poll_read has
/// to send it or both stall.
#[test]
fn a_reading_task_sends_queued_records() {
    let ca = TestCa::new("server speaks first CA");
    let client_config = ca.client_config();
    let server_config = ca.localhost().server_config();
    let (c, s) = duplex(7);
    let (greeting, served) = block_on(join2(
        async {
            let name = tls::server_name("localhost").unwrap();
            let mut client = tls::connect(client_config, name, c).await?;
            let (got, end) = read_to_end(&mut client).await;
            end.map(|()| got)
        },
        async {
            let mut server = accept(server_config, s).await?;
            write_all(&mut server, b"220 hello").await?;
            close(&mut server).await
        },
    ));
    served.unwrap();
    assert_eq!(greeting.unwrap(), b"220 hello");
}

/// The HTTP client runs connections inside spawned tasks: the handshake
/// futures and streams must be `Send`.
#[test]
fn handshake_futures_and_streams_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let ca = TestCa::new("send CA");
    let (c, s) = duplex(1024);
    let connect = tls::connect(
        ca.client_config(),
        tls::server_name("localhost").unwrap(),
        c,
    );
    let accept = accept(ca.localhost().server_config(), s);
    assert_send(&connect);
    assert_send(&accept);
    let (client, server) = block_on(join2(connect, accept));
    assert_send(&client.unwrap());
    assert_send(&server.unwrap());
}

/// The test executor's watchdog: a future that is never woken fails the
/// test (here after 100 ms) instead of hanging it.
#[test]
#[should_panic(expected = "no wakeup for 100ms (lost wakeup or deadlock)")]
fn a_lost_wakeup_fails_the_test_instead_of_hanging_it() {
    support::exec::block_on_within(
        std::time::Duration::from_millis(100),
        poll_fn(|_| Poll::<()>::Pending),
    );
}
