//! Registrations: one slab slot per socket, holding its readiness and wakers.
//!
//! The mio `Token` packs the slot key with a generation, so an event that was
//! queued for a socket that has since been dropped (and whose slot was reused)
//! is recognised as stale and ignored.

use std::io;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use mio::event::Source;
use mio::{Interest, Registry, Token};
use slab::Slab;

use crate::lock::lock;

// Readiness bits, kept in the low 16 bits of the readiness word.
pub(crate) const READABLE: usize = 1;
pub(crate) const WRITABLE: usize = 1 << 1;
pub(crate) const READ_CLOSED: usize = 1 << 2;
pub(crate) const WRITE_CLOSED: usize = 1 << 3;
pub(crate) const ERROR: usize = 1 << 4;
/// Set once the reactor shut down: every operation fails from then on.
pub(crate) const SHUTDOWN: usize = 1 << 5;
const READY_MASK: usize = 0xffff;
// The turn counter ("tick") of the last event lives in the next 16 bits, so
// clearing readiness on WouldBlock never erases readiness set by a newer turn.
const TICK_SHIFT: u32 = 16;
pub(crate) const TICK_MASK: usize = 0xffff;

// Token layout: low half = slab key, upper half minus the top bit = generation.
// The top bit stays clear so no registration token equals the waker token.
const KEY_BITS: u32 = usize::BITS / 2;
const KEY_MASK: usize = (1 << KEY_BITS) - 1;
const GEN_MASK: usize = (1 << (usize::BITS - KEY_BITS - 1)) - 1;

/// The error every I/O operation returns once the owning reactor is gone.
pub(crate) fn shutdown_error() -> io::Error {
    io::Error::other("the aio event loop that owns this socket has shut down")
}

/// Token reserved for the cross-thread `mio::Waker`.
pub(crate) const WAKE_TOKEN: Token = Token(usize::MAX);

pub(crate) fn pack_token(key: usize, generation: usize) -> Token {
    Token((key & KEY_MASK) | ((generation & GEN_MASK) << KEY_BITS))
}

pub(crate) fn unpack_token(token: Token) -> (usize, usize) {
    (token.0 & KEY_MASK, (token.0 >> KEY_BITS) & GEN_MASK)
}

/// Which half of a socket an operation waits on; each has its own waker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

impl Direction {
    /// Readiness bits that let an operation in this direction make progress.
    fn mask(self) -> usize {
        match self {
            Direction::Read => READABLE | READ_CLOSED | ERROR,
            Direction::Write => WRITABLE | WRITE_CLOSED | ERROR,
        }
    }
}

/// The readiness an operation observed; handed back to `clear_readiness`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadyEvent {
    tick: usize,
    ready: usize,
}

#[derive(Default)]
struct Wakers {
    reader: Option<Waker>,
    writer: Option<Waker>,
}

/// The per-socket state the loop and the socket's users share.
pub(crate) struct ScheduledIo {
    generation: usize,
    readiness: AtomicUsize,
    /// Read-side events (data, close, error) delivered so far; lets a pool
    /// tell without a system call whether anything arrived on an idle socket.
    read_events: AtomicU32,
    /// Lock order: after `Handle::io` when both are held (dispatch, shutdown);
    /// nothing is locked while this is (see `Handle`).
    wakers: Mutex<Wakers>,
}

impl ScheduledIo {
    fn new(generation: usize) -> ScheduledIo {
        ScheduledIo {
            generation,
            readiness: AtomicUsize::new(0),
            read_events: AtomicU32::new(0),
            wakers: Mutex::new(Wakers::default()),
        }
    }

    /// OR in `bits` and stamp the word with `tick`; called by `turn`.
    fn set_readiness(&self, tick: usize, bits: usize) {
        let _ = self
            .readiness
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |cur| {
                Some(((cur | bits) & READY_MASK) | ((tick & TICK_MASK) << TICK_SHIFT))
            });
        if bits & Direction::Read.mask() != 0 {
            self.read_events.fetch_add(1, Ordering::Release);
        }
    }

    /// How many read-side events `turn` has delivered for this socket.
    pub(crate) fn read_events(&self) -> u32 {
        self.read_events.load(Ordering::Acquire)
    }

    /// Take the wakers interested in `bits` (pushed onto `out`, woken later
    /// without any lock held).
    fn take_wakers(&self, bits: usize, out: &mut Vec<Waker>) {
        let mut w = lock(&self.wakers);
        if bits & Direction::Read.mask() != 0 {
            out.extend(w.reader.take());
        }
        if bits & Direction::Write.mask() != 0 {
            out.extend(w.writer.take());
        }
    }

    fn current(&self, dir: Direction) -> Option<io::Result<ReadyEvent>> {
        let cur = self.readiness.load(Ordering::Acquire);
        if cur & SHUTDOWN != 0 {
            return Some(Err(shutdown_error()));
        }
        let ready = cur & dir.mask();
        let tick = (cur >> TICK_SHIFT) & TICK_MASK;
        (ready != 0).then_some(Ok(ReadyEvent { tick, ready }))
    }

    /// Ready (or failed, after shutdown) in `dir`, else store the waker.
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
    ) -> Poll<io::Result<ReadyEvent>> {
        if let Some(r) = self.current(dir) {
            return Poll::Ready(r);
        }
        let replaced = {
            let mut w = lock(&self.wakers);
            let slot = match dir {
                Direction::Read => &mut w.reader,
                Direction::Write => &mut w.writer,
            };
            match slot {
                Some(old) if old.will_wake(cx.waker()) => None,
                _ => slot.replace(cx.waker().clone()),
            }
        };
        // Dropped unlocked: dropping a waker may drop a task and its sockets.
        drop(replaced);
        // Re-check: `turn` sets readiness before it takes the wakers, so an
        // event that raced with storing our waker is seen here.
        match self.current(dir) {
            Some(r) => Poll::Ready(r),
            None => Poll::Pending,
        }
    }

    /// Non-blocking snapshot of the readiness in `dir` (for `try_*` operations).
    pub(crate) fn snapshot(&self, dir: Direction) -> ReadyEvent {
        let cur = self.readiness.load(Ordering::Acquire);
        ReadyEvent {
            tick: (cur >> TICK_SHIFT) & TICK_MASK,
            ready: cur & dir.mask(),
        }
    }

    /// An operation hit WouldBlock: forget the readiness it observed, unless a
    /// newer turn has delivered a fresh event meanwhile.
    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        // Closed bits stay: a closed half never blocks again.
        let clear = event.ready & !(READ_CLOSED | WRITE_CLOSED);
        let _ = self
            .readiness
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |cur| {
                if (cur >> TICK_SHIFT) & TICK_MASK != event.tick {
                    return None;
                }
                Some(cur & !clear)
            });
    }

    fn shutdown(&self, out: &mut Vec<Waker>) {
        self.readiness.fetch_or(SHUTDOWN, Ordering::AcqRel);
        // Counts as a read-side event: a pool comparing counts then looks
        // closer and finds the socket dead.
        self.read_events.fetch_add(1, Ordering::Release);
        self.take_wakers(Direction::Read.mask() | Direction::Write.mask(), out);
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        self.readiness.load(Ordering::Acquire) & SHUTDOWN != 0
    }
}

/// The registration table. `registry` is `None` after shutdown, which closes
/// the duplicated epoll fd and makes new registrations fail.
pub(crate) struct IoState {
    slab: Slab<Arc<ScheduledIo>>,
    registry: Option<Registry>,
    next_generation: usize,
    shut_down: bool,
}

impl IoState {
    pub(crate) fn new(registry: Option<Registry>) -> IoState {
        IoState {
            slab: Slab::new(),
            registry,
            next_generation: 0,
            shut_down: false,
        }
    }

    /// The mio registry, `None` after shutdown (for the signal wake-up source,
    /// which has a fixed token rather than a slot).
    pub(crate) fn registry(&self) -> Option<&Registry> {
        self.registry.as_ref()
    }

    /// Sockets currently registered.
    pub(crate) fn live_count(&self) -> usize {
        self.slab.len()
    }

    /// Allocate a slot (key + fresh generation) and register `source` with mio.
    pub(crate) fn register(
        &mut self,
        source: &mut impl Source,
        interest: Interest,
    ) -> io::Result<(usize, Arc<ScheduledIo>)> {
        let (key, generation, sio) = self.insert()?;
        let result = match &self.registry {
            Some(registry) => registry.register(source, pack_token(key, generation), interest),
            None => Err(shutdown_error()),
        };
        if let Err(e) = result {
            self.slab.remove(key);
            return Err(e);
        }
        Ok((key, sio))
    }

    /// The slab half of `register`, separate so tests can exercise it without mio.
    fn insert(&mut self) -> io::Result<(usize, usize, Arc<ScheduledIo>)> {
        if self.shut_down {
            return Err(shutdown_error());
        }
        let entry = self.slab.vacant_entry();
        let key = entry.key();
        if key > KEY_MASK {
            return Err(io::Error::other(
                "too many sockets registered with the aio event loop",
            ));
        }
        let generation = self.next_generation;
        self.next_generation = (generation + 1) & GEN_MASK;
        let sio = Arc::new(ScheduledIo::new(generation));
        entry.insert(sio.clone());
        Ok((key, generation, sio))
    }

    /// Deregister `source` from mio and free its slot (unless shutdown already
    /// emptied the table).
    pub(crate) fn deregister(
        &mut self,
        source: &mut impl Source,
        key: usize,
        sio: &Arc<ScheduledIo>,
    ) {
        if let Some(registry) = &self.registry {
            // Ignore errors: the fd is closed right after, which also removes it from epoll.
            let _ = registry.deregister(source);
        }
        self.remove(key, sio);
    }

    fn remove(&mut self, key: usize, sio: &Arc<ScheduledIo>) {
        if self.slab.get(key).is_some_and(|s| Arc::ptr_eq(s, sio)) {
            self.slab.remove(key);
        }
    }

    /// Record one event; a token whose generation does not match the slot's
    /// current occupant is stale (its socket is gone) and is ignored.
    pub(crate) fn dispatch(&self, token: Token, bits: usize, tick: usize, out: &mut Vec<Waker>) {
        let (key, generation) = unpack_token(token);
        let Some(sio) = self.slab.get(key) else {
            return;
        };
        if sio.generation != generation {
            return;
        }
        sio.set_readiness(tick, bits);
        sio.take_wakers(bits, out);
    }

    /// Mark every registration shut down, collect their wakers and close the
    /// registry. Returns how many registrations were still alive.
    pub(crate) fn shutdown(&mut self, out: &mut Vec<Waker>) -> usize {
        self.registry = None;
        self.shut_down = true;
        let open = self.slab.len();
        for (_, sio) in self.slab.iter() {
            sio.shutdown(out);
        }
        self.slab.clear();
        open
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::task::Wake;

    struct Flag(AtomicBool);
    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    #[test]
    fn token_round_trips_key_and_generation() {
        for (key, generation) in [(0, 0), (1, 7), (KEY_MASK, GEN_MASK), (12345, GEN_MASK - 1)] {
            let t = pack_token(key, generation);
            assert_ne!(t, WAKE_TOKEN);
            assert_eq!(unpack_token(t), (key, generation));
        }
    }

    #[test]
    fn stale_event_for_reused_slot_is_ignored() {
        let mut state = IoState::new(None);
        let (key_a, gen_a, sio_a) = state.insert().unwrap();
        let stale = pack_token(key_a, gen_a);
        state.remove(key_a, &sio_a);
        let (key_b, gen_b, sio_b) = state.insert().unwrap();
        assert_eq!(key_a, key_b, "slab reuses the freed slot");
        assert_ne!(gen_a, gen_b);

        let flag = Arc::new(Flag(AtomicBool::new(false)));
        let waker = Waker::from(flag.clone());
        let mut cx = Context::from_waker(&waker);
        assert!(sio_b.poll_ready(&mut cx, Direction::Read).is_pending());

        let mut out = Vec::new();
        state.dispatch(stale, READABLE, 1, &mut out);
        assert!(
            out.is_empty(),
            "stale event must not wake the new registration"
        );
        assert!(sio_b.poll_ready(&mut cx, Direction::Read).is_pending());

        state.dispatch(pack_token(key_b, gen_b), READABLE, 2, &mut out);
        assert_eq!(out.len(), 1);
        assert!(sio_b.poll_ready(&mut cx, Direction::Read).is_ready());
    }

    #[test]
    fn clear_on_wouldblock_keeps_newer_readiness() {
        let mut state = IoState::new(None);
        let (key, generation, sio) = state.insert().unwrap();
        let token = pack_token(key, generation);
        let waker = Waker::from(Arc::new(Flag(AtomicBool::new(false))));
        let mut cx = Context::from_waker(&waker);
        let mut out = Vec::new();

        state.dispatch(token, READABLE, 1, &mut out);
        let Poll::Ready(Ok(seen)) = sio.poll_ready(&mut cx, Direction::Read) else {
            panic!("readable")
        };
        // A newer turn delivers another edge before the operation reports WouldBlock.
        state.dispatch(token, READABLE, 2, &mut out);
        sio.clear_readiness(seen);
        assert!(
            sio.poll_ready(&mut cx, Direction::Read).is_ready(),
            "newer event kept"
        );

        let Poll::Ready(Ok(seen)) = sio.poll_ready(&mut cx, Direction::Read) else {
            panic!("readable")
        };
        sio.clear_readiness(seen);
        assert!(
            sio.poll_ready(&mut cx, Direction::Read).is_pending(),
            "cleared"
        );
        // Writes are unaffected by read readiness.
        assert!(sio.poll_ready(&mut cx, Direction::Write).is_pending());
    }

    #[test]
    fn shutdown_wakes_and_fails_operations() {
        let mut state = IoState::new(None);
        let (_, _, sio) = state.insert().unwrap();
        let flag = Arc::new(Flag(AtomicBool::new(false)));
        let waker = Waker::from(flag.clone());
        let mut cx = Context::from_waker(&waker);
        assert!(sio.poll_ready(&mut cx, Direction::Write).is_pending());
        let mut out = Vec::new();
        assert_eq!(state.shutdown(&mut out), 1);
        out.drain(..).for_each(Waker::wake);
        assert!(flag.0.load(Ordering::SeqCst));
        assert!(matches!(
            sio.poll_ready(&mut cx, Direction::Write),
            Poll::Ready(Err(_))
        ));
    }
}
