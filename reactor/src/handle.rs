//! State shared between the loop-owned [`Reactor`](crate::Reactor) and every
//! socket, timer and job created on it (sockets are `Send + Sync`, so this is too).

use std::sync::Mutex;

use crate::blocking::pool::BlockingPool;
use crate::registration::IoState;
use crate::timer::TimerQueue;
use crate::unpark::Unparker;

pub(crate) struct Handle {
    /// The registration slab and a clone of the mio registry; locked only on
    /// register/deregister and once per `turn` to dispatch a batch of events.
    pub(crate) io: Mutex<IoState>,
    pub(crate) timers: Mutex<TimerQueue>,
    pub(crate) blocking: BlockingPool,
    pub(crate) unparker: Unparker,
}
