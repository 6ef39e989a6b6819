//! aio-reactor
