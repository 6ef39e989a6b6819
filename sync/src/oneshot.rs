//! A channel for one value, sent once from one task to another: asyncio's
//! `Future` used as a value handed between tasks (`fut.set_result(v)` /
//! `await fut`), tokio's `oneshot`.
//!
//! ```
//! use aio_sync::oneshot;
//!
//! aio_executor::block_on(async {
//!     let (sender, receiver) = oneshot::channel();
//!     aio_executor::spawn(async move {
//!         sender.send("answer").unwrap();
//!     });
//!     assert_eq!(receiver.await, Ok("answer"));
//! });
//! ```

use crate::std_or_loom::{lock, Mutex};
use std::error::Error;
use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

/// A new channel: the [`Sender`] sends one value, the [`Receiver`] awaits
/// it.
///
/// ```
/// let (sender, receiver) = aio_sync::oneshot::channel();
/// aio_executor::block_on(async {
///     let task = aio_executor::spawn(async move { sender.send(42).unwrap() });
///     assert_eq!(receiver.await, Ok(42));
///     task.await.unwrap();
/// });
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            value: None,
            sender_gone: false,
            receiver_gone: false,
            receiver_waker: None,
            sender_waker: None,
        }),
    });
    (
        Sender {
            shared: Arc::clone(&shared),
        },
        Receiver { shared },
    )
}

struct Shared<T> {
    state: Mutex<State<T>>,
}

struct State<T> {
    value: Option<T>,
    /// The sender sent or was dropped: no value will come after `value`.
    sender_gone: bool,
    /// The receiver was dropped (or took the value): sending is pointless.
    receiver_gone: bool,
    receiver_waker: Option<Waker>,
    sender_waker: Option<Waker>,
}

/// Sends the channel's one value.
///
/// ```
/// let (sender, receiver) = aio_sync::oneshot::channel::<&str>();
/// drop(sender); // never sent: the receiver learns it
/// assert!(aio_executor::block_on(receiver).is_err());
/// ```
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Send `value`, waking the receiver. If the receiver is gone the value
    /// comes back as `Err`.
    ///
    /// ```
    /// let (sender, receiver) = aio_sync::oneshot::channel();
    /// drop(receiver);
    /// assert_eq!(sender.send("lost"), Err("lost"), "the value comes back");
    /// ```
    pub fn send(self, value: T) -> Result<(), T> {
        let mut state = lock(&self.shared.state);
        if state.receiver_gone {
            return Err(value);
        }
        state.value = Some(value);
        state.sender_gone = true;
        let waker = state.receiver_waker.take();
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// The receiver was dropped: a send would fail.
    ///
    /// ```
    /// let (sender, receiver) = aio_sync::oneshot::channel::<u8>();
    /// assert!(!sender.is_closed());
    /// drop(receiver);
    /// assert!(sender.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        lock(&self.shared.state).receiver_gone
    }

    /// Wait until the receiver is dropped (to stop work nobody awaits).
    ///
    /// ```
    /// use aio_sync::oneshot;
    ///
    /// aio_executor::block_on(async {
    ///     let (mut sender, receiver) = oneshot::channel::<u32>();
    ///     drop(receiver);
    ///     sender.closed().await;
    ///     assert!(sender.is_closed());
    /// });
    /// ```
    pub async fn closed(&mut self) {
        poll_fn(|cx| {
            let mut state = lock(&self.shared.state);
            if state.receiver_gone {
                return Poll::Ready(());
            }
            match &mut state.sender_waker {
                Some(old) if old.will_wake(cx.waker()) => {}
                slot => *slot = Some(cx.waker().clone()),
            }
            Poll::Pending
        })
        .await
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut state = lock(&self.shared.state);
        if state.sender_gone {
            return;
        }
        state.sender_gone = true;
        let waker = state.receiver_waker.take();
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// Awaits the channel's one value: a future resolving to `Ok(value)`, or
/// `Err(RecvError)` if the sender was dropped without sending.
///
/// Polling it again after it resolved gives `Err(RecvError)`.
///
/// ```
/// let (sender, receiver) = aio_sync::oneshot::channel();
/// sender.send("ready").unwrap();
/// assert_eq!(aio_executor::block_on(receiver), Ok("ready"));
/// ```
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Receiver<T> {
    /// Take the value if it has been sent, without waiting.
    ///
    /// ```
    /// use aio_sync::oneshot::{self, TryRecvError};
    ///
    /// let (sender, mut receiver) = oneshot::channel();
    /// assert_eq!(receiver.try_recv(), Err(TryRecvError::Empty));
    /// sender.send(7).unwrap();
    /// assert_eq!(receiver.try_recv(), Ok(7));
    /// assert_eq!(receiver.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut state = lock(&self.shared.state);
        match state.value.take() {
            Some(value) => Ok(value),
            None if state.sender_gone => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, RecvError>> {
        let mut state = lock(&self.shared.state);
        if let Some(value) = state.value.take() {
            return Poll::Ready(Ok(value));
        }
        if state.sender_gone {
            return Poll::Ready(Err(RecvError(())));
        }
        match &mut state.receiver_waker {
            Some(old) if old.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut state = lock(&self.shared.state);
        state.receiver_gone = true;
        // A value sent but never received is dropped here, not whenever the
        // sender's handle goes.
        let value = state.value.take();
        let waker = state.sender_waker.take();
        drop(state);
        drop(value);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}

/// The sender was dropped without sending.
///
/// ```
/// let (sender, receiver) = aio_sync::oneshot::channel::<u8>();
/// drop(sender);
/// let error = aio_executor::block_on(receiver).unwrap_err();
/// assert_eq!(error.to_string(), "the sender was dropped without sending a value");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecvError(());

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the sender was dropped without sending a value")
    }
}

impl Error for RecvError {}

/// Why [`Receiver::try_recv`] returned no value.
///
/// ```
/// use aio_sync::oneshot::{self, TryRecvError};
///
/// let (sender, mut receiver) = oneshot::channel::<u8>();
/// assert_eq!(receiver.try_recv(), Err(TryRecvError::Empty));
/// drop(sender);
/// assert_eq!(receiver.try_recv(), Err(TryRecvError::Closed));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecvError {
    /// Nothing sent yet; the sender may still send.
    Empty,
    /// Nothing will come: the sender was dropped, or the value was taken.
    Closed,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("no value sent yet"),
            TryRecvError::Closed => f.write_str("the sender is gone and no value is left"),
        }
    }
}

impl Error for TryRecvError {}
