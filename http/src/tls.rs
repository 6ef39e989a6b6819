//! TLS over any AsyncRead + AsyncWrite stream, with rustls.
