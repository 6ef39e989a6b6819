//! A line-based TCP chat: every line a client sends goes to every other
//! client, as in the chat server of asyncio's streams tutorial.
//!
//! ```text
//! cargo run --example chat -- server 127.0.0.1:8888
//! cargo run --example chat -- client 127.0.0.1:8888    (in two terminals or more)
//! ```
//!
//! The server prints `chat server listening on ADDR` (with the port it got,
//! when asked for port 0), then `ADDR joined` and `ADDR left` as clients
//! come and go (`ADDR left: REASON` when a connection failed or a client
//! sent a line over 4 KiB or fell 256 lines behind).
//!
//! A client sends each line typed on its input and prints each line the
//! server sends: first `* welcome, ADDR; N others here` (ADDR is its own
//! address; `1 other here` when there is one), then `* ADDR joined`,
//! `ADDR: TEXT` for every line another client sends, and `* ADDR left`. At
//! the end of its input the client leaves (the server then closes the
//! connection); when the connection closes it prints `* disconnected` and
//! exits.
//!
//! Each connection is a task with the stream split in two
//! ([`TcpStream::into_split`]): the task reads the client's lines from the
//! read half, and a second task sends the client's outbox (an
//! [`aio::sync::Queue`]) down the write half, so a client that is slow to
//! read holds up no one else. A client that stops reading altogether is cut
//! off once its outbox is full.
//!
//! The Python it mirrors:
//! ```python
//! clients = {}  # peer -> StreamWriter
//!
//! def broadcast(text, sender=None):
//!     for peer, writer in clients.items():
//!         if peer != sender:
//!             writer.write(text.encode())
//!
//! async def handle(reader, writer):
//!     peer = "%s:%d" % writer.get_extra_info("peername")
//!     writer.write(f"* welcome, {peer}; {len(clients)} others here\n".encode())
//!     broadcast(f"* {peer} joined\n")
//!     clients[peer] = writer
//!     print(f"{peer} joined")
//!     try:
//!         while line := await reader.readline():
//!             broadcast(f"{peer}: {line.decode().strip()}\n", sender=peer)
//!     finally:
//!         del clients[peer]
//!         broadcast(f"* {peer} left\n")
//!         print(f"{peer} left")
//!         writer.close()
//!
//! async def main():
//!     server = await asyncio.start_server(handle, "127.0.0.1", 8888)
//!     print("chat server listening on 127.0.0.1:8888")
//!     async with server:
//!         await server.serve_forever()
//! ```
//!
//! [`TcpStream::into_split`]: aio::net::TcpStream::into_split

use std::cell::RefCell;
use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;

use aio::io::{AsyncBufReadExt, AsyncReadExt, BufReader, StreamExt};
use aio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use aio::net::{TcpListener, TcpStream};
use aio::sync::{Event, Queue, TryPutError};

/// Lines waiting to be sent to one client. A client that falls this far
/// behind has stopped reading; it is disconnected rather than buffered for.
const OUTBOX_LINES: usize = 256;

/// The longest line a client may send, newline included: without a limit,
/// a client that never sends a newline would make the server buffer
/// without end.
const MAX_LINE: usize = 4096;

const USAGE: &str =
    "usage: chat server ADDR | chat client ADDR   (e.g. chat server 127.0.0.1:8888)";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let outcome = match args[..] {
        ["server", addr] => aio::run(server(addr)),
        ["client", addr] => aio::run(client(addr)),
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    if let Err(e) = outcome {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

// ---- The server ----

async fn server(addr: &str) -> io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    println!("chat server listening on {}", listener.local_addr()?);
    let room = Room::default();
    loop {
        let (stream, peer) = listener.accept().await?;
        aio::spawn(serve(stream, peer, room.clone()));
    }
}

/// Who is connected. Every connection's task runs on the loop's one
/// thread, so an `Rc<RefCell<...>>` is all they share.
#[derive(Clone, Default)]
struct Room(Rc<RefCell<HashMap<SocketAddr, Member>>>);

/// What the room keeps of a client: its outbox, and a flag raised when it
/// falls too far behind.
#[derive(Clone)]
struct Member {
    outbox: Queue<String>,
    cut_off: Rc<Event>,
}

impl Room {
    /// Let `peer` in; gives how many others were here.
    fn join(&self, peer: SocketAddr, member: Member) -> usize {
        let mut members = self.0.borrow_mut();
        members.insert(peer, member);
        members.len() - 1
    }

    fn leave(&self, peer: SocketAddr) {
        self.0.borrow_mut().remove(&peer);
    }

    /// Queue `line` for everyone but `sender`.
    fn broadcast(&self, line: &str, sender: Option<SocketAddr>) {
        for (peer, member) in self.0.borrow().iter() {
            if Some(*peer) == sender {
                continue;
            }
            if let Err(TryPutError::Full(_)) = member.outbox.try_put(line.to_string()) {
                // It stopped reading: its backlog goes, and its task cuts
                // it off.
                member.outbox.shutdown_immediate();
                member.cut_off.set();
            }
        }
    }
}

/// One connection, from joining to leaving.
async fn serve(stream: TcpStream, peer: SocketAddr, room: Room) {
    let (reader, writer) = stream.into_split();
    let member = Member {
        outbox: Queue::new(OUTBOX_LINES),
        cut_off: Rc::new(Event::new()),
    };
    let others = match room.join(peer, member.clone()) {
        1 => "1 other".to_string(),
        n => format!("{n} others"),
    };
    // The first line in a fresh outbox: it has room.
    let _ = member
        .outbox
        .try_put(format!("* welcome, {peer}; {others} here\n"));
    room.broadcast(&format!("* {peer} joined\n"), Some(peer));
    println!("{peer} joined");

    let mut sending = aio::spawn(send_outbox(member.outbox.clone(), writer));
    let ended = aio::select! {
        // First: once cut off, a client's lines are relayed no more.
        () = member.cut_off.wait() => Err(io::Error::other(format!(
            "fell {OUTBOX_LINES} lines behind"
        ))),
        read = relay_lines(reader, peer, &room) => read,
        sent = &mut sending => match sent {
            Ok(sent) => sent,
            Err(e) => Err(io::Error::other(e.to_string())),
        },
    };
    // Lines not sent yet go too: a client that stopped reading must not
    // hold its connection open. Dropping both halves closes it.
    sending.abort();

    room.leave(peer);
    room.broadcast(&format!("* {peer} left\n"), None);
    match ended {
        Ok(()) => println!("{peer} left"),
        Err(e) => println!("{peer} left: {e}"),
    }
}

/// Pass each line `peer` sends to the others, until it ends its stream.
async fn relay_lines(reader: OwnedReadHalf, peer: SocketAddr, room: &Room) -> io::Result<()> {
    let mut reader = BufReader::new(reader);
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut reader)
            .take(MAX_LINE as u64)
            .read_until(b'\n', &mut line)
            .await?;
        if n == 0 {
            return Ok(());
        }
        if n == MAX_LINE && !line.ends_with(b"\n") {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("sent a line over {MAX_LINE} bytes"),
            ));
        }
        // Bytes that are not UTF-8 show as U+FFFD rather than end the chat.
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end();
        if !text.is_empty() {
            room.broadcast(&format!("{peer}: {text}\n"), Some(peer));
        }
    }
}

/// Send the outbox down the write half, until the client is cut off or
/// leaves (this task is then aborted).
async fn send_outbox(outbox: Queue<String>, mut writer: OwnedWriteHalf) -> io::Result<()> {
    while let Ok(line) = outbox.get().await {
        writer.write_all(line.as_bytes()).await?;
    }
    Ok(())
}

// ---- The client ----

async fn client(addr: &str) -> io::Result<()> {
    let stream = TcpStream::connect(addr).await?;
    let (reader, writer) = stream.into_split();
    aio::spawn(send_typed_lines(stdin_lines(), writer));
    let mut lines = BufReader::new(reader).lines();
    while let Some(line) = lines.next().await {
        println!("{}", line?);
    }
    println!("* disconnected");
    Ok(())
}

/// The lines typed on stdin, read on a thread of their own (reading stdin
/// blocks); the queue is shut down at the end of the input.
fn stdin_lines() -> Queue<String> {
    let typed = Queue::new(0);
    let feed = typed.clone();
    std::thread::spawn(move || {
        for line in io::stdin().lines() {
            let Ok(line) = line else { break };
            // Unbounded, so it fails only once shut down: never here.
            if feed.try_put(line).is_err() {
                break;
            }
        }
        feed.shutdown();
    });
    typed
}

/// Send each typed line; at the end of the input, dropping `writer` tells
/// the server this client left.
async fn send_typed_lines(typed: Queue<String>, mut writer: OwnedWriteHalf) -> io::Result<()> {
    while let Ok(line) = typed.get().await {
        writer.write_all(format!("{line}\n").as_bytes()).await?;
    }
    Ok(())
}
