mod support;

use std::io::ErrorKind;
use std::pin::Pin;
use std::task::{Context, Poll};

use aio_reactor::io::{
    self, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader, StreamExt,
};
use support::{block_on, boxed, join_all, tcp_pair};

/// Gives one byte per read, and says Pending (waking itself at once) between
/// any two bytes: every read of the layer above sees the stream split at
/// every byte boundary until the end.
struct OneByteAtATime {
    data: Vec<u8>,
    at: usize,
    pending_next: bool,
    pendings: usize,
}

impl OneByteAtATime {
    fn new(data: &[u8]) -> Self {
        OneByteAtATime {
            data: data.to_vec(),
            at: 0,
            pending_next: true,
            pendings: 0,
        }
    }
}

impl AsyncRead for OneByteAtATime {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        // At the end, say so every time, as a socket does (futures-lite's
        // `fill_buf` polls twice and expects the second to be ready too).
        if self.at == self.data.len() {
            return Poll::Ready(Ok(0));
        }
        if self.pending_next {
            self.pending_next = false;
            self.pendings += 1;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.pending_next = true;
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        buf[0] = self.data[self.at];
        self.at += 1;
        Poll::Ready(Ok(1))
    }
}

const TEXT: &[u8] = "first line\nsecond, with ünïcödé\n\nlast without newline".as_bytes();

#[test]
fn read_line_over_a_stream_split_at_every_byte() {
    block_on(async {
        let mut reader = BufReader::new(OneByteAtATime::new(TEXT));
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            let n = reader.read_line(&mut line).await.unwrap();
            if n == 0 {
                break;
            }
            assert_eq!(n, line.len());
            lines.push(line);
        }
        assert_eq!(
            lines,
            [
                "first line\n",
                "second, with ünïcödé\n",
                "\n",
                "last without newline"
            ]
        );
        // Every byte came in a read of its own (a multi-byte character too).
        assert_eq!(reader.get_ref().pendings, TEXT.len());
    });
}

#[test]
fn read_line_over_tcp_written_one_byte_at_a_time() {
    block_on(async {
        let (client, server) = tcp_pair().await;
        client.set_nodelay(true).unwrap();
        let writer = boxed(async move {
            let mut client = client;
            for byte in TEXT {
                client.write_all(std::slice::from_ref(byte)).await.unwrap();
                client.flush().await.unwrap();
            }
            client.close().await.unwrap();
            Vec::new()
        });
        let reader = boxed(async move {
            let mut reader = BufReader::new(server);
            let mut lines = Vec::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).await.unwrap() == 0 {
                    break lines;
                }
                lines.push(line);
            }
        });
        let results = join_all(vec![writer, reader]).await;
        assert_eq!(
            results[1],
            [
                "first line\n",
                "second, with ünïcödé\n",
                "\n",
                "last without newline"
            ]
        );
    });
}

#[test]
fn lines_and_read_until() {
    block_on(async {
        let lines: Vec<String> = BufReader::new(OneByteAtATime::new(b"a\r\nbb\n\nccc"))
            .lines()
            .map(Result::unwrap)
            .collect()
            .await;
        // Like asyncio's line splitting: "\r\n" ends a line too.
        assert_eq!(lines, ["a", "bb", "", "ccc"]);

        let mut reader = BufReader::new(OneByteAtATime::new(b"key=value;next=1;tail"));
        let mut field = Vec::new();
        assert_eq!(reader.read_until(b';', &mut field).await.unwrap(), 10);
        assert_eq!(field, b"key=value;");
        field.clear();
        reader.read_until(b';', &mut field).await.unwrap();
        assert_eq!(field, b"next=1;");
        field.clear();
        // EOF before the separator: what was there, without it.
        assert_eq!(reader.read_until(b';', &mut field).await.unwrap(), 4);
        assert_eq!(field, b"tail");
        field.clear();
        assert_eq!(reader.read_until(b';', &mut field).await.unwrap(), 0);
        // at_eof(): fill_buf gives an empty slice.
        assert!(reader.fill_buf().await.unwrap().is_empty());
    });
}

#[test]
fn read_exact_reads_exactly_and_fails_on_early_eof() {
    block_on(async {
        let mut reader = OneByteAtATime::new(b"0123456789");
        let mut four = [0u8; 4];
        reader.read_exact(&mut four).await.unwrap();
        assert_eq!(&four, b"0123");
        let mut ten = [0u8; 10];
        let err = reader.read_exact(&mut ten).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedEof);

        // Over TCP: the peer closes after 3 of the 5 bytes asked for.
        let (mut client, server) = tcp_pair().await;
        client.write_all(b"abc").await.unwrap();
        client.close().await.unwrap();
        let mut reader = BufReader::new(server);
        let mut five = [0u8; 5];
        let err = reader.read_exact(&mut five).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
    });
}

#[test]
fn copy_between_tcp_streams() {
    const SIZE: usize = 1024 * 1024;
    block_on(async {
        let (mut source, source_server) = tcp_pair().await;
        let (sink_client, mut sink) = tcp_pair().await;
        let data: Vec<u8> = (0..SIZE).map(|i| (i % 253) as u8).collect();
        let expected = data.clone();
        let results = join_all(vec![
            boxed(async move {
                source.write_all(&data).await.unwrap();
                source.close().await.unwrap();
                0
            }),
            boxed(async move {
                let mut sink_client = sink_client;
                let copied = io::copy(source_server, &mut sink_client).await.unwrap();
                sink_client.close().await.unwrap();
                copied as usize
            }),
            boxed(async move {
                let mut got = Vec::new();
                sink.read_to_end(&mut got).await.unwrap();
                assert!(got == expected, "the bytes arrived unchanged and in order");
                got.len()
            }),
        ])
        .await;
        assert_eq!(results[1], SIZE);
        assert_eq!(results[2], SIZE);
    });
}

#[test]
fn split_halves_are_used_by_two_tasks_at_once() {
    const LINES: usize = 1000;
    block_on(async {
        let (client, server) = tcp_pair().await;
        let (reader, mut writer) = io::split(client);
        let (echo_in, mut echo_out) = io::split(server);
        let results = join_all(vec![
            // The peer echoes everything back, through its own halves.
            boxed(async move {
                let n = io::copy(echo_in, &mut echo_out).await.unwrap();
                echo_out.close().await.unwrap();
                n as usize
            }),
            // One task writes while...
            boxed(async move {
                for i in 0..LINES {
                    writer
                        .write_all(format!("line {i}\n").as_bytes())
                        .await
                        .unwrap();
                }
                writer.close().await.unwrap();
                LINES
            }),
            // ...another reads the echoes as they come.
            boxed(async move {
                let mut lines = BufReader::new(reader).lines();
                let mut count = 0;
                while let Some(line) = lines.next().await {
                    assert_eq!(line.unwrap(), format!("line {count}"));
                    count += 1;
                }
                count
            }),
        ])
        .await;
        assert_eq!(results[2], LINES);
        assert!(results[0] > 0);
    });
}
