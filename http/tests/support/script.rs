//! A hostile server: plays a scripted byte sequence for one request, and
//! answers requests for `/good` like a well-behaved keep-alive server, on
//! the same listener and on the same connections.
//!
//! The script is a list of [`Step`]s (writes, pauses, drips) and an [`End`]:
//! a clean close, a TCP reset (RST), a hang, or an endless stream that only
//! stops when the client goes away.
//!
//! std has no stable `SO_LINGER`, so a reset is made the portable way: the
//! request being answered is only *peeked* at, never read, and closing a
//! socket with unread data in its receive buffer makes the kernel send RST
//! instead of FIN.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// How long a connection thread waits on the client before giving up, so a
/// failing test never leaves threads blocked forever.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// The body of every `/good` response.
pub const GOOD_BODY: &[u8] = b"all good";

/// One step of a script.
#[derive(Debug, Clone)]
pub enum Step {
    /// Write these bytes at once.
    Write(Vec<u8>),
    /// Pause.
    Sleep(Duration),
    /// Write these bytes one at a time, pausing this long before each.
    Drip(Vec<u8>, Duration),
}

/// How a script ends.
#[derive(Debug, Clone)]
pub enum End {
    /// Close the connection (FIN).
    Close,
    /// Reset the connection (RST).
    Reset,
    /// Keep the connection open, silent, this long (then close).
    Hang(Duration),
    /// Write these bytes again and again until the client stops reading
    /// (its socket closed); memory on the client must stay bounded.
    Forever(Vec<u8>),
    /// Go on serving requests on this connection like a good server.
    KeepServing,
}

/// A scripted reply.
#[derive(Debug, Clone)]
pub struct Script {
    pub steps: Vec<Step>,
    pub end: End,
}

impl Script {
    /// Writes `bytes`, then ends with `end`.
    pub fn send(bytes: impl Into<Vec<u8>>, end: End) -> Script {
        Script {
            steps: vec![Step::Write(bytes.into())],
            end,
        }
    }

    /// Writes `bytes` and closes.
    pub fn close(bytes: impl Into<Vec<u8>>) -> Script {
        Script::send(bytes, End::Close)
    }
}

/// What the server saw, for assertions about connection reuse.
#[derive(Debug, Default)]
pub struct Seen {
    /// `(connection index, request target)` in arrival order.
    pub requests: Vec<(usize, String)>,
}

/// A listening scripted server; stops accepting when dropped.
pub struct ScriptServer {
    addr: SocketAddr,
    accepts: Arc<AtomicUsize>,
    /// Bytes written by `End::Forever` loops, all connections together.
    forever_bytes: Arc<AtomicUsize>,
    /// Endless writers that stopped (the client went away).
    forever_done: Arc<AtomicUsize>,
    /// Scripts whose steps were all written.
    played: Arc<AtomicUsize>,
    seen: Arc<Mutex<Seen>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ScriptServer {
    /// Plays `script` for every request whose target is not `/good`.
    pub fn start(script: Script) -> ScriptServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let accepts = Arc::new(AtomicUsize::new(0));
        let forever_bytes = Arc::new(AtomicUsize::new(0));
        let forever_done = Arc::new(AtomicUsize::new(0));
        let played = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(Mutex::new(Seen::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let script = Arc::new(script);
        let thread = {
            let (accepts, stop) = (Arc::clone(&accepts), Arc::clone(&stop));
            let (seen, forever_bytes) = (Arc::clone(&seen), Arc::clone(&forever_bytes));
            let forever_done = Arc::clone(&forever_done);
            let played = Arc::clone(&played);
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    let index = accepts.fetch_add(1, Ordering::SeqCst);
                    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
                    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
                    let _ = stream.set_nodelay(true);
                    let conn = Connection {
                        stream,
                        index,
                        script: Arc::clone(&script),
                        seen: Arc::clone(&seen),
                        forever_bytes: Arc::clone(&forever_bytes),
                        forever_done: Arc::clone(&forever_done),
                        played: Arc::clone(&played),
                    };
                    thread::spawn(move || conn.run());
                }
            })
        };
        ScriptServer {
            addr,
            accepts,
            forever_bytes,
            forever_done,
            played,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Connections accepted so far.
    pub fn accepts(&self) -> usize {
        self.accepts.load(Ordering::SeqCst)
    }

    /// Bytes the endless writers managed to send.
    pub fn forever_bytes(&self) -> usize {
        self.forever_bytes.load(Ordering::SeqCst)
    }

    /// Waits (up to `limit`) until an endless writer has stopped because
    /// the client closed its connection; false if none did.
    pub fn wait_forever_stopped(&self, limit: Duration) -> bool {
        let until = std::time::Instant::now() + limit;
        while std::time::Instant::now() < until {
            if self.forever_done.load(Ordering::SeqCst) > 0 {
                return true;
            }
            thread::sleep(Duration::from_millis(5));
        }
        false
    }

    /// Scripts played to their last step so far (all connections).
    pub fn scripts_played(&self) -> usize {
        self.played.load(Ordering::SeqCst)
    }

    /// `(connection index, target)` of every request so far.
    pub fn requests(&self) -> Vec<(usize, String)> {
        self.seen.lock().unwrap().requests.clone()
    }
}

impl Drop for ScriptServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so the thread sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Connection {
    stream: TcpStream,
    index: usize,
    script: Arc<Script>,
    seen: Arc<Mutex<Seen>>,
    forever_bytes: Arc<AtomicUsize>,
    forever_done: Arc<AtomicUsize>,
    played: Arc<AtomicUsize>,
}

impl Connection {
    fn run(mut self) {
        loop {
            // Peek only: the request stays unread until we decide, so a
            // reset can be made by closing with it still in the buffer.
            let Some((head_len, target)) = self.peek_request() else {
                return;
            };
            self.seen
                .lock()
                .unwrap()
                .requests
                .push((self.index, target.clone()));
            if target == "/good" {
                if self.consume(head_len).is_err() {
                    return;
                }
                let reply = good_response();
                if self.stream.write_all(&reply).is_err() {
                    return;
                }
                continue;
            }
            let reset = matches!(self.script.end, End::Reset);
            if !reset && self.consume(head_len).is_err() {
                return;
            }
            if self.play().is_err() {
                return;
            }
            self.played.fetch_add(1, Ordering::SeqCst);
            match self.script.end.clone() {
                End::Close => {
                    let _ = self.stream.shutdown(Shutdown::Both);
                    return;
                }
                // Unread request bytes: dropping the socket sends RST.
                End::Reset => return,
                End::Hang(d) => {
                    thread::sleep(d);
                    return;
                }
                End::Forever(bytes) => {
                    while self.stream.write_all(&bytes).is_ok() {
                        self.forever_bytes.fetch_add(bytes.len(), Ordering::SeqCst);
                    }
                    self.forever_done.fetch_add(1, Ordering::SeqCst);
                    return;
                }
                End::KeepServing => continue,
            }
        }
    }

    fn play(&mut self) -> io::Result<()> {
        for step in &self.script.steps {
            match step {
                Step::Write(bytes) => self.stream.write_all(bytes)?,
                Step::Sleep(d) => thread::sleep(*d),
                Step::Drip(bytes, every) => {
                    for b in bytes {
                        thread::sleep(*every);
                        self.stream.write_all(std::slice::from_ref(b))?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Waits until a whole request head is in the receive buffer; returns
    /// its length and target. Requests in these tests have no body.
    fn peek_request(&mut self) -> Option<(usize, String)> {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match self.stream.peek(&mut buf) {
                Ok(0) | Err(_) => return None,
                Ok(n) => n,
            };
            if let Some(i) = buf[..n].windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..i]).into_owned();
                let target = head.split(' ').nth(1)?.to_owned();
                return Some((i + 4, target));
            }
            if n == buf.len() {
                return None;
            }
            // Not complete yet: wait a little for the rest.
            thread::sleep(Duration::from_millis(1));
        }
    }

    fn consume(&mut self, n: usize) -> io::Result<()> {
        let mut sink = vec![0u8; n];
        self.stream.read_exact(&mut sink)
    }
}

/// The well-behaved answer to `/good`.
pub fn good_response() -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n",
        GOOD_BODY.len()
    )
    .into_bytes();
    out.extend_from_slice(GOOD_BODY);
    out
}
