//! Splitting a TcpStream: owned halves in tasks of their own, borrowed
//! halves within one task, the write half's drop, `reunite`, and
//! `read_exact`'s early-end error. Run on `aio::run`, as a program does.

mod support;

use std::future::Future;
use std::io::{self, ErrorKind};
use std::pin::Pin;
use std::time::Duration;

use aio::io::AsyncReadExt;
use aio::net::tcp::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
use aio::sync::Queue;
use support::tcp_pair;

/// Enough to fill the socket buffers both ways many times over, so every
/// half waits (and must be woken) again and again.
const LARGE: usize = 8 << 20;

/// A transfer that stalls (a lost wake-up) fails the test instead of
/// hanging it.
const STALL: Duration = Duration::from_secs(60);

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn halves_can_go_to_other_threads() {
    fn send_and_sync<T: Send + Sync>() {}
    send_and_sync::<OwnedReadHalf>();
    send_and_sync::<OwnedWriteHalf>();
    send_and_sync::<ReadHalf<'static>>();
    send_and_sync::<WriteHalf<'static>>();
}

/// Four tasks at once, each with one half: the client's writer sends a
/// large pattern while its reader takes the echo back; the server's reader
/// hands chunks through a bounded queue to the server's writer. Each half
/// keeps waiting on a full or empty buffer while the other half of the same
/// socket runs in another task, so each must get its own wake-ups.
#[test]
fn owned_halves_in_four_tasks_echo_a_large_transfer() {
    aio::run(async {
        let (client, server) = tcp_pair().await;
        let sent = pattern(LARGE, 7);

        let (mut server_reader, mut server_writer) = server.into_split();
        let chunks: Queue<Vec<u8>> = Queue::new(4);
        let forward = chunks.clone();
        let server_read = aio::spawn(async move {
            let mut buf = vec![0; 64 << 10];
            loop {
                let n = server_reader.read(&mut buf).await?;
                if n == 0 {
                    forward.shutdown(); // the writer drains the queue, then stops
                    return io::Result::Ok(());
                }
                forward
                    .put(buf[..n].to_vec())
                    .await
                    .expect("only this task shuts the queue down");
            }
        });
        let server_write = aio::spawn(async move {
            while let Ok(chunk) = chunks.get().await {
                server_writer.write_all(&chunk).await?;
            }
            io::Result::Ok(()) // dropping the half ends the client's reading
        });

        let (mut client_reader, mut client_writer) = client.into_split();
        let outgoing = sent.clone();
        let client_write = aio::spawn(async move {
            for piece in outgoing.chunks(100_003) {
                client_writer.write_all(piece).await?;
            }
            io::Result::Ok(())
        });
        let client_read = aio::spawn(async move {
            let mut echoed = Vec::with_capacity(LARGE);
            client_reader.read_to_end(&mut echoed).await?;
            io::Result::Ok(echoed)
        });

        let echoed = aio::time::timeout(STALL, client_read)
            .await
            .expect("the echo stalled: a half missed a wake-up")
            .unwrap()
            .unwrap();
        assert_eq!(echoed.len(), sent.len());
        assert!(echoed == sent, "the echo differs from what was sent");
        client_write.await.unwrap().unwrap();
        server_read.await.unwrap().unwrap();
        server_write.await.unwrap().unwrap();
    });
}

/// Borrowed halves, both directions at once within one task: a large write
/// and a read of its echo, polled together.
#[test]
fn borrowed_halves_write_and_read_at_once_in_one_task() {
    aio::run(async {
        let (mut client, mut server) = tcp_pair().await;
        let echo = aio::spawn(async move {
            let (mut reader, mut writer) = server.split();
            aio::io::copy(&mut reader, &mut writer).await
        });
        let sent = pattern(LARGE, 3);
        let (mut reader, mut writer) = client.split();
        // One type for both, so that `gather` polls them together.
        type Direction<'a> = Pin<Box<dyn Future<Output = io::Result<Vec<u8>>> + 'a>>;
        let write: Direction<'_> = Box::pin(async {
            writer.write_all(&sent).await?;
            writer.shutdown().await?;
            Ok(Vec::new())
        });
        let read: Direction<'_> = Box::pin(async {
            let mut echoed = Vec::with_capacity(LARGE);
            reader.read_to_end(&mut echoed).await?;
            Ok(echoed)
        });
        let outputs = aio::time::timeout(STALL, aio::gather([write, read]))
            .await
            .expect("the echo stalled: a half missed a wake-up");
        let [written, echoed] = <[_; 2]>::try_from(outputs).unwrap();
        assert!(written.unwrap().is_empty());
        let echoed = echoed.unwrap();
        assert!(echoed == sent, "the echo differs from what was sent");
        assert_eq!(echo.await.unwrap().unwrap(), LARGE as u64);
    });
}

#[test]
fn dropping_the_owned_write_half_shuts_down_writes_only() {
    aio::run(async {
        let (client, mut server) = tcp_pair().await;
        let (mut reader, mut writer) = client.into_split();
        writer.write_all(b"last words").await.unwrap();
        drop(writer);

        let mut received = Vec::new();
        server.read_to_end(&mut received).await.unwrap();
        assert_eq!(received, b"last words", "then the end of the stream");

        // The read side is still open.
        server.write_all(b"reply").await.unwrap();
        let mut reply = [0; 5];
        reader.read_exact(&mut reply).await.unwrap();
        assert_eq!(&reply, b"reply");
    });
}

#[test]
fn write_half_drop_shuts_down_even_when_the_read_half_lives_in_another_task() {
    aio::run(async {
        let (client, mut server) = tcp_pair().await;
        let (mut reader, writer) = client.into_split();
        let reading = aio::spawn(async move {
            let mut buf = [0; 16];
            let n = reader.read(&mut buf).await?;
            io::Result::Ok(buf[..n].to_vec())
        });
        aio::spawn(async move { drop(writer) }).await.unwrap();
        assert_eq!(server.read(&mut [0; 8]).await.unwrap(), 0);
        server.write_all(b"still here").await.unwrap();
        assert_eq!(reading.await.unwrap().unwrap(), b"still here");
    });
}

#[test]
fn reunite_gives_the_stream_back_with_its_write_side_open() {
    aio::run(async {
        let (client, mut server) = tcp_pair().await;
        let (reader, writer) = client.into_split();
        let mut client = reader.reunite(writer).unwrap();
        client.write_all(b"whole").await.unwrap();
        client.shutdown().await.unwrap();
        let mut received = Vec::new();
        server.read_to_end(&mut received).await.unwrap();
        assert_eq!(received, b"whole", "no end of stream before the data");
    });
}

#[test]
fn reunite_refuses_halves_of_different_streams_and_gives_both_back() {
    aio::run(async {
        let (one, mut one_peer) = tcp_pair().await;
        let (two, _two_peer) = tcp_pair().await;
        let (one_reader, one_writer) = one.into_split();
        let (_two_reader, two_writer) = two.into_split();

        let refused = one_reader.reunite(two_writer).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "tried to reunite the halves of two different TCP streams"
        );
        let aio::net::tcp::ReuniteError(one_reader, _two_writer) = refused;
        let mut one = one_writer.reunite(one_reader).unwrap();
        one.write_all(b"one").await.unwrap();
        let mut got = [0; 3];
        one_peer.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"one");
    });
}

/// The error every `read_exact` gives when 3 of 10 bytes came.
fn assert_early_end(error: io::Error) {
    assert_eq!(error.kind(), ErrorKind::UnexpectedEof);
    assert_eq!(
        error.to_string(),
        "read_exact: the stream ended after 3 of the 10 bytes wanted"
    );
}

#[test]
fn read_exact_names_bytes_wanted_and_got_on_an_early_end() {
    aio::run(async {
        let (mut stream, mut peer) = tcp_pair().await;
        peer.write_all(b"abc").await.unwrap();
        drop(peer);
        let mut buf = [0; 10];
        assert_early_end(stream.read_exact(&mut buf).await.unwrap_err());
        assert_eq!(&buf[..3], b"abc", "what came is kept");

        let (mut stream, mut peer) = tcp_pair().await;
        peer.write_all(b"abc").await.unwrap();
        peer.shutdown().await.unwrap();
        let (mut reader, _writer) = stream.split();
        assert_early_end(reader.read_exact(&mut [0; 10]).await.unwrap_err());

        let (stream, mut peer) = tcp_pair().await;
        peer.write_all(b"abc").await.unwrap();
        peer.shutdown().await.unwrap();
        let (mut reader, _writer) = stream.into_split();
        assert_early_end(reader.read_exact(&mut [0; 10]).await.unwrap_err());
    });
}

#[test]
fn read_exact_waits_for_every_byte() {
    aio::run(async {
        let (stream, mut peer) = tcp_pair().await;
        let (mut reader, _writer) = stream.into_split();
        let reading = aio::spawn(async move {
            let mut buf = [0; 6];
            reader.read_exact(&mut buf).await.map(|()| buf)
        });
        peer.write_all(b"abc").await.unwrap();
        // Let the reader take the first part and wait for more.
        aio::yield_now().await;
        peer.write_all(b"def").await.unwrap();
        assert_eq!(&reading.await.unwrap().unwrap(), b"abcdef");

        // An empty buffer is filled at once, even at the end of the stream.
        let (mut stream, peer) = tcp_pair().await;
        drop(peer);
        stream.read_exact(&mut []).await.unwrap();
    });
}
