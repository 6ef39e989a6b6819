//! Signals as futures: [`ctrl_c`], and [`unix::signal`] for any catchable
//! signal.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use aio_reactor::signal::unix::{signal, SignalKind};
//!
//! let mut hangups = signal(SignalKind::hangup())?;
//! while let Some(()) = hangups.recv().await {
//!     println!("reloading the configuration");
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # How a delivery travels
//!
//! Signals belong to the process, listeners to event loops (possibly several,
//! on several threads). So the state is global, one slot per signal number:
//! - the handler (installed through signal-hook-registry when a signal gets
//!   its first listener) does only async-signal-safe work: it increments the
//!   slot's delivery counter and writes one byte to a non-blocking socket
//!   pair shared by the whole process;
//! - every reactor with a listener has the read end registered with its poll
//!   (a fixed token); whichever reactor wakes first drains the socket and, for
//!   every slot whose counter moved, wakes all its listeners, on every loop
//!   (a waker may be woken from any thread);
//! - each listener remembers the counter value it last reported; `recv` is
//!   ready when the counter differs. Deliveries between two awaits coalesce
//!   into one, and none is lost: a listener stores its waker and compares the
//!   counter under the slot's lock, and the dispatcher reads the counter and
//!   takes the wakers under the same lock after reading the byte the handler
//!   wrote after incrementing it.
//!
//! # Restoring the previous handler
//!
//! signal-hook-registry's `unregister` removes an action but leaves its
//! handler installed (the signal is then ignored, not given its default
//! action back). So when a signal's last listener goes, aio puts back the
//! disposition that was in place before aio installed the registry's handler
//! (`SIG_DFL`, `SIG_IGN`, or the program's own handler), and puts the
//! registry's handler back when a listener comes again. If the registry's
//! handler was already installed before aio's first listener (other code uses
//! signal-hook for that signal), aio only adds and removes its action.
//!
//! Limitation: code that registers the same signal through signal-hook after
//! aio first listened to it shares aio's installation; while aio has no
//! listener for that signal, that code is not called.
//!
//! # Ctrl-C and `aio::run`
//!
//! [`RunInterrupt`] is the piece `aio::run` uses to turn the first Ctrl-C into
//! "cancel everything, then die by SIGINT"; see its documentation.

#[cfg(all(loom, test))]
mod loom_tests;
mod os;
pub mod unix;

use std::future::Future;
use std::io::{self, Read as _, Write as _};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, OnceLock};
use std::task::{Context, Poll, Waker};

use libc::c_int;
use mio::Token;
use slab::Slab;

use crate::context;
use crate::lock::lock;

/// The reactor token of the signal wake-up socket (the top bit is set, so no
/// registration token can equal it; `WAKE_TOKEN` is `usize::MAX`).
pub(crate) const SIGNAL_TOKEN: Token = Token(usize::MAX - 1);

/// Signal numbers 1..SLOTS have a slot (Linux has 64 signals).
const SLOTS: usize = 65;

/// The process-wide signal state. Created once, before any handler that
/// reads it is installed, and never freed.
struct Globals {
    /// The handler writes a byte here (non-blocking: a full buffer means a
    /// wake-up is pending anyway).
    sender: UnixStream,
    /// Registered with every reactor that has a listener; drained by whichever
    /// dispatches first.
    receiver: UnixStream,
    slots: [Slot; SLOTS],
}

// The slot protocol (`Slot`'s methods) is model-checked with loom.
#[cfg(loom)]
use loom::sync::{atomic::AtomicU64, Mutex, MutexGuard};
#[cfg(not(loom))]
use std::sync::{atomic::AtomicU64, Mutex, MutexGuard};

struct Slot {
    /// Deliveries since the process started; the only field the handler writes.
    deliveries: AtomicU64,
    state: Mutex<SlotState>,
}

impl Slot {
    fn new() -> Slot {
        Slot {
            deliveries: AtomicU64::new(0),
            state: Mutex::new(SlotState::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, SlotState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The handler's part (then it writes the wake-up byte).
    fn deliver(&self) {
        self.deliveries.fetch_add(1, Ordering::SeqCst);
    }

    /// The dispatcher's part, after draining the wake-up socket: wake every
    /// listener if the count moved since the last dispatch.
    fn dispatch_into(&self, out: &mut Vec<Waker>) {
        let mut state = self.lock();
        let now = self.deliveries.load(Ordering::SeqCst);
        if now != state.dispatched {
            state.dispatched = now;
            out.extend(state.wakers.iter_mut().filter_map(|(_, w)| w.take()));
        }
    }

    /// A listener's poll: ready if the count moved since `seen`, else its
    /// waker is stored, both under the lock the dispatcher takes.
    fn poll_listener(&self, key: usize, seen: &mut u64, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.lock();
        let now = self.deliveries.load(Ordering::SeqCst);
        if now != *seen {
            *seen = now;
            state.wakers[key] = None;
            return Poll::Ready(());
        }
        match &mut state.wakers[key] {
            Some(stored) if stored.will_wake(cx.waker()) => {}
            entry => *entry = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

#[derive(Default)]
struct SlotState {
    /// Listeners (and, for SIGINT, runs) that want the handler installed.
    interest: usize,
    /// The waker of each pending listener, by listener key.
    wakers: Slab<Option<Waker>>,
    /// The delivery count the last dispatch woke listeners for.
    dispatched: u64,
    hook: Option<Hook>,
}

/// How aio installed its action for one signal.
struct Hook {
    id: signal_hook_registry::SigId,
    /// The disposition before the registry's handler went in; put back when
    /// the last listener goes.
    before: os::Disposition,
    /// The registry's handler, put back when a listener comes again.
    ours: os::Disposition,
    /// The registry's handler was already installed by other code: only add
    /// and remove our action, never touch the disposition.
    shared: bool,
    /// Our action is in effect (there is interest).
    active: bool,
}

static GLOBALS: OnceLock<Globals> = OnceLock::new();

// SIGINT's extra state for `aio::run`, read by the handler.
/// SIGINT listeners of the program's own (`ctrl_c`, `signal(interrupt)`).
static SIGINT_LISTENERS: AtomicUsize = AtomicUsize::new(0);
/// Runs (`RunInterrupt`s) that turn Ctrl-C into cancellation.
static RUNS: AtomicUsize = AtomicUsize::new(0);
/// A Ctrl-C was taken by the runs: they cancel; a second one kills.
static RUN_INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// Signalled (under `RUNS_LOCK`) when `RUNS` drops, for interrupted runs
/// waiting for the others.
static RUNS_ENDED: Condvar = Condvar::new();
static RUNS_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn globals() -> io::Result<&'static Globals> {
    if let Some(globals) = GLOBALS.get() {
        return Ok(globals);
    }
    let (sender, receiver) = UnixStream::pair()?;
    sender.set_nonblocking(true)?;
    receiver.set_nonblocking(true)?;
    let globals = Globals {
        sender,
        receiver,
        slots: std::array::from_fn(|_| Slot::new()),
    };
    // A racing thread may have won; its pair is used and ours is dropped.
    Ok(GLOBALS.get_or_init(|| globals))
}

/// The action run inside the signal handler, on whatever thread the signal
/// interrupted. Async-signal-safe: atomics and one `write(2)`; no lock, no
/// allocation, no panic (`signum` was range-checked at registration).
fn on_signal(signum: c_int) {
    let Some(globals) = GLOBALS.get() else {
        return;
    };
    if signum == libc::SIGINT
        && SIGINT_LISTENERS.load(Ordering::SeqCst) == 0
        && RUNS.load(Ordering::SeqCst) > 0
        && RUN_INTERRUPTED.swap(true, Ordering::SeqCst)
    {
        // The second Ctrl-C while the runs clean up: end the process now.
        os::reset_and_raise(signum);
        return;
    }
    // After RUN_INTERRUPTED: a dispatch that sees the new count sees the flag.
    globals.slots[signum as usize].deliver();
    let _ = (&globals.sender).write(&[1]);
}

/// Called by a reactor's `turn` when the wake-up socket is readable: drain
/// it, then wake every listener (on any loop) of every signal delivered since
/// the last dispatch.
pub(crate) fn dispatch(out: &mut Vec<Waker>) {
    let Some(globals) = GLOBALS.get() else {
        return;
    };
    let mut buf = [0u8; 128];
    // Until WouldBlock (or EOF, which cannot happen: the sender lives forever).
    while matches!((&globals.receiver).read(&mut buf), Ok(n) if n > 0) {}
    for slot in &globals.slots {
        slot.dispatch_into(out);
    }
}

/// Register the wake-up socket with the current reactor, once per reactor.
fn register_with_current_reactor(what: &str, globals: &Globals) -> io::Result<()> {
    let handle = context::current(what);
    let io = lock(&handle.io);
    if handle.signal_source.load(Ordering::Acquire) {
        return Ok(());
    }
    let Some(registry) = io.registry() else {
        return Err(crate::registration::shutdown_error());
    };
    let fd = globals.receiver.as_raw_fd();
    registry.register(
        &mut mio::unix::SourceFd(&fd),
        SIGNAL_TOKEN,
        mio::Interest::READABLE,
    )?;
    handle.signal_source.store(true, Ordering::Release);
    Ok(())
}

/// Refuse what cannot or must not be caught, with a clear message.
fn check_signal(signum: c_int) -> io::Result<()> {
    if signum <= 0 || signum as usize >= SLOTS {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{signum} is not a signal number"),
        ));
    }
    if signal_hook_registry::FORBIDDEN.contains(&signum) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "signal {} cannot be listened to: SIGKILL and SIGSTOP cannot be caught, and \
                 SIGILL, SIGFPE and SIGSEGV report faults the program cannot resume from",
                unix::SignalKind::from_raw(signum).name()
            ),
        ));
    }
    Ok(())
}

impl SlotState {
    /// One more party wants the handler: install it (or put it back) on the first.
    fn acquire(&mut self, signum: c_int) -> io::Result<()> {
        if self.interest == 0 {
            self.install(signum)?;
        }
        self.interest += 1;
        Ok(())
    }

    /// One party less: on the last, give the signal its previous disposition.
    fn release(&mut self, signum: c_int) {
        self.interest -= 1;
        if self.interest > 0 {
            return;
        }
        let Some(hook) = self.hook.as_mut() else {
            return;
        };
        hook.active = false;
        if hook.shared {
            signal_hook_registry::unregister(hook.id);
            return;
        }
        // Only if ours is still the installed handler: code that replaced it
        // since keeps its own.
        if let Ok(now) = os::disposition(signum) {
            if now.same_handler(&hook.ours) {
                let _ = os::set_disposition(signum, &hook.before);
            }
        }
    }

    fn install(&mut self, signum: c_int) -> io::Result<()> {
        match self.hook.as_mut() {
            None => {
                let before = os::disposition(signum)?;
                let id = os::register(signum, on_signal)?;
                let ours = os::disposition(signum)?;
                self.hook = Some(Hook {
                    id,
                    shared: before.same_handler(&ours),
                    before,
                    ours,
                    active: true,
                });
            }
            Some(hook) => {
                if hook.shared {
                    hook.id = os::register(signum, on_signal)?;
                } else {
                    let now = os::disposition(signum)?;
                    if now.same_handler(&hook.ours) {
                        // Put back by someone else: nothing to do.
                    } else if now.is_function() {
                        // The registry would chain to the handler it saw
                        // first, not this one: refuse rather than lose it.
                        return Err(io::Error::other(format!(
                            "the handler of {} was replaced by other code since aio last \
                             listened to it; aio cannot install its own on top of it",
                            unix::SignalKind::from_raw(signum).name()
                        )));
                    } else {
                        hook.before = now;
                        os::set_disposition(signum, &hook.ours)?;
                    }
                }
                hook.active = true;
            }
        }
        Ok(())
    }
}

/// One registered listener of one signal: its waker slot and the count it
/// last reported. Shared by [`unix::Signal`] and [`CtrlC`].
#[derive(Debug)]
struct Listener {
    signum: c_int,
    key: usize,
    seen: u64,
}

impl Listener {
    fn new(signum: c_int, what: &str) -> io::Result<Listener> {
        check_signal(signum)?;
        let globals = globals()?;
        register_with_current_reactor(what, globals)?;
        let slot = &globals.slots[signum as usize];
        let mut state = slot.lock();
        state.acquire(signum)?;
        if signum == libc::SIGINT {
            SIGINT_LISTENERS.fetch_add(1, Ordering::SeqCst);
        }
        let key = state.wakers.insert(None);
        Ok(Listener {
            signum,
            key,
            seen: slot.deliveries.load(Ordering::SeqCst),
        })
    }

    fn slot(&self) -> &'static Slot {
        // A listener exists only once the globals do.
        let globals = GLOBALS
            .get()
            .expect("signal globals exist while a listener does");
        &globals.slots[self.signum as usize]
    }

    fn poll_delivery(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.slot().poll_listener(self.key, &mut self.seen, cx)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let slot = self.slot();
        let waker = {
            let mut state = slot.lock();
            let waker = state.wakers.remove(self.key);
            if self.signum == libc::SIGINT {
                SIGINT_LISTENERS.fetch_sub(1, Ordering::SeqCst);
            }
            state.release(self.signum);
            waker
        };
        // Dropped outside the lock: dropping a waker may run foreign code.
        drop(waker);
    }
}

/// Wait for the next Ctrl-C (SIGINT), like tokio's `ctrl_c` or asyncio's
/// `loop.add_signal_handler(SIGINT, ...)`.
///
/// The listener starts when `ctrl_c()` is called: a Ctrl-C that comes after
/// the call and before the first poll counts. While it exists, Ctrl-C is the
/// program's: `aio::run` does not cancel anything for it. Dropped, the
/// previous handling comes back.
///
/// # Errors
/// When the handler cannot be installed (resolved by the first poll).
///
/// # Panics
/// Outside `aio::run()`, with `aio::signal::ctrl_c() called outside of aio::run()`.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// aio_reactor::signal::ctrl_c().await?;
/// println!("Ctrl-C: saving and leaving");
/// # Ok(())
/// # }
/// ```
pub fn ctrl_c() -> CtrlC {
    CtrlC {
        listener: Some(Listener::new(libc::SIGINT, "aio::signal::ctrl_c()")),
    }
}

/// The future [`ctrl_c`] returns.
///
/// # Panics
/// When polled again after it returned `Ready` (a misuse of any future).
///
/// ```
/// use aio::process::Command;
///
/// aio::run(async {
///     let ctrl_c = aio::signal::ctrl_c(); // listening from here on
///     // What pressing Ctrl-C does: SIGINT to this process.
///     Command::new("kill").args(["-INT", &std::process::id().to_string()]).status().await?;
///     ctrl_c.await?; // the program got it; `aio::run` cancelled nothing
///     Ok::<_, std::io::Error>(())
/// })
/// .unwrap();
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct CtrlC {
    /// `None` once the result was given.
    listener: Option<io::Result<Listener>>,
}

impl Future for CtrlC {
    type Output = io::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let ready = match self.listener.as_mut() {
            None => panic!("aio::signal::CtrlC polled after completion"),
            Some(Err(_)) => true,
            Some(Ok(listener)) => listener.poll_delivery(cx).is_ready(),
        };
        if !ready {
            return Poll::Pending;
        }
        // Dropping the listener here hands Ctrl-C back at once.
        match self.listener.take() {
            Some(Err(e)) => Poll::Ready(Err(e)),
            _ => Poll::Ready(Ok(())),
        }
    }
}

/// `aio::run`'s Ctrl-C handling, as asyncio.Runner's: while at least one
/// `RunInterrupt` exists and the program has no SIGINT listener of its own,
/// the first SIGINT marks every run interrupted (each sees
/// [`poll_interrupted`](RunInterrupt::poll_interrupted) ready, cancels its
/// main future and tasks, cleans up and calls
/// [`end_interrupted`](RunInterrupt::end_interrupted)), and a second SIGINT
/// before the process is gone kills it at once.
///
/// Several runs at once (on several threads): all are interrupted; each
/// waits, after its own clean-up, until every run has finished its own, and
/// then the process dies by SIGINT. A run that starts while others are being
/// interrupted is interrupted at once.
///
/// Only installed when SIGINT had its default disposition before aio: a
/// program (or parent shell) that ignores or handles SIGINT itself keeps
/// doing so.
///
/// ```
/// use aio_reactor::signal::RunInterrupt;
/// use std::future::poll_fn;
/// use std::task::Poll;
///
/// aio::run(async {
///     // `None` when SIGINT was already ignored or handled (a background job).
///     if let Some(mut interrupt) = RunInterrupt::install()? {
///         // A loop polls it beside its main future; no Ctrl-C came, so: pending.
///         let interrupted = poll_fn(|cx| Poll::Ready(interrupt.poll_interrupted(cx).is_ready())).await;
///         assert!(!interrupted && !interrupt.is_interrupted());
///     }
///     Ok::<_, std::io::Error>(())
/// })
/// .unwrap();
/// ```
#[derive(Debug)]
pub struct RunInterrupt {
    listener_key: usize,
    ended: bool,
}

impl RunInterrupt {
    /// Start Ctrl-C handling for the run on this thread's reactor. `Ok(None)`
    /// when SIGINT is not at its default disposition (see above).
    ///
    /// # Panics
    /// Outside an entered reactor.
    ///
    /// ```
    /// use aio_reactor::signal::RunInterrupt;
    ///
    /// aio::run(async {
    ///     // `None` when SIGINT was ignored or handled before (a background job).
    ///     if let Some(interrupt) = RunInterrupt::install()? {
    ///         assert!(!interrupt.is_interrupted());
    ///     } // dropped: this run no longer counts
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn install() -> io::Result<Option<RunInterrupt>> {
        let globals = globals()?;
        register_with_current_reactor("aio_reactor::signal::RunInterrupt::install()", globals)?;
        let slot = &globals.slots[libc::SIGINT as usize];
        let mut state = slot.lock();
        let before_aio = match &state.hook {
            Some(hook) if hook.active => {
                if hook.shared {
                    return Ok(None);
                }
                hook.before
            }
            _ => os::disposition(libc::SIGINT)?,
        };
        if !before_aio.is_default() {
            return Ok(None);
        }
        state.acquire(libc::SIGINT)?;
        RUNS.fetch_add(1, Ordering::SeqCst);
        let listener_key = state.wakers.insert(None);
        Ok(Some(RunInterrupt {
            listener_key,
            ended: false,
        }))
    }

    /// Ready once Ctrl-C interrupted the runs (stays ready).
    ///
    /// ```
    /// use aio_reactor::signal::RunInterrupt;
    /// use std::future::poll_fn;
    /// use std::task::Poll;
    ///
    /// aio::run(async {
    ///     if let Some(mut interrupt) = RunInterrupt::install()? {
    ///         let polled = poll_fn(|cx| Poll::Ready(interrupt.poll_interrupted(cx))).await;
    ///         assert_eq!(polled, Poll::Pending, "no Ctrl-C yet");
    ///     }
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn poll_interrupted(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let slot = sigint_slot();
        let mut state = slot.lock();
        if RUN_INTERRUPTED.load(Ordering::SeqCst) {
            state.wakers[self.listener_key] = None;
            return Poll::Ready(());
        }
        state.wakers[self.listener_key] = Some(cx.waker().clone());
        Poll::Pending
    }

    /// Whether Ctrl-C interrupted the runs.
    ///
    /// ```
    /// aio::run(async {
    ///     if let Some(interrupt) = aio_reactor::signal::RunInterrupt::install()? {
    ///         assert!(!interrupt.is_interrupted());
    ///     }
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn is_interrupted(&self) -> bool {
        RUN_INTERRUPTED.load(Ordering::SeqCst)
    }

    /// For an interrupted run, after its clean-up: wait until every other
    /// run has finished its own, then end the process by SIGINT (default
    /// disposition, re-raised), as an interrupted process ends: status 130
    /// in a shell.
    ///
    /// ```no_run
    /// use aio_reactor::signal::RunInterrupt;
    /// use std::future::poll_fn;
    ///
    /// aio::run(async {
    ///     let Some(mut interrupt) = RunInterrupt::install()? else { return Ok::<_, std::io::Error>(()) };
    ///     poll_fn(|cx| interrupt.poll_interrupted(cx)).await; // waits for Ctrl-C
    ///     // ...cancel and clean up, then die as an interrupted process does:
    ///     interrupt.end_interrupted()
    /// })
    /// .unwrap();
    /// ```
    pub fn end_interrupted(mut self) -> ! {
        let slot = sigint_slot();
        drop(self.leave(slot.lock()));
        let mut runs_lock = RUNS_LOCK
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while RUNS.load(Ordering::SeqCst) > 0 {
            runs_lock = RUNS_ENDED
                .wait(runs_lock)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        drop(runs_lock);
        os::die_by(libc::SIGINT)
    }

    /// Stop counting as a run; on the last party, SIGINT's previous
    /// disposition comes back.
    fn leave<'a>(&mut self, mut state: MutexGuard<'a, SlotState>) -> MutexGuard<'a, SlotState> {
        if !self.ended {
            self.ended = true;
            let _ = state.wakers.remove(self.listener_key);
            RUNS.fetch_sub(1, Ordering::SeqCst);
            // An interrupted process is about to die by SIGINT: keep the
            // handler so that a second Ctrl-C still kills at once.
            if !RUN_INTERRUPTED.load(Ordering::SeqCst) {
                state.release(libc::SIGINT);
            }
            // Under RUNS_LOCK: a waiter checks RUNS under it, so it either
            // sees the decrement or is waiting when the notification comes.
            drop(
                RUNS_LOCK
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            );
            RUNS_ENDED.notify_all();
        }
        state
    }
}

impl Drop for RunInterrupt {
    fn drop(&mut self) {
        let slot = sigint_slot();
        drop(self.leave(slot.lock()));
    }
}

fn sigint_slot() -> &'static Slot {
    let globals = GLOBALS
        .get()
        .expect("signal globals exist while a run does");
    &globals.slots[libc::SIGINT as usize]
}
