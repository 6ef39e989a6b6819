//! aio-executor
