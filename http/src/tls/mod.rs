//! TLS over any `AsyncRead + AsyncWrite` stream, with rustls.
//!
//! - [`TlsStream`] (alias [`ClientTlsStream`]) runs a rustls connection over
//!   a `futures_io` transport as a poll-based state machine; [`connect`]
//!   performs the client handshake. Nothing here serves TLS: test and demo
//!   servers build their own `rustls::ServerConfig` and run
//!   [`TlsStream::handshake`] on a `rustls::ServerConnection`.
//! - [`client_config`] builds the client configuration: webpki roots, the PEM
//!   bundle named by `SSL_CERT_FILE` (when the client trusts the
//!   environment), and roots added by the user; ALPN `http/1.1`; always the
//!   ring crypto provider. The default configuration is cached.
//! - [`server_name`] / [`server_name_for_host`] turn a URL host into the name
//!   the certificate is verified against (DNS name or IP address).
//! - [`describe_tls_error`] turns a failed handshake into a message that says
//!   what was wrong with the certificate.
//!
//! A handshake failure surfaces as an `io::Error` of kind `InvalidData` whose
//! inner error is the [`rustls::Error`]; [`rustls_error`] digs it out.

mod config;
mod describe;
mod name;
mod stream;

pub use config::{
    client_config, default_client_config, parse_pem_certificates, TlsConfigError, TlsOptions,
    ALPN_HTTP11, SSL_CERT_DIR, SSL_CERT_FILE,
};
pub use describe::{describe_io_error, describe_tls_error, rustls_error};
pub use name::{server_name, server_name_for_host, InvalidServerName};
pub use stream::{connect, ClientTlsStream, TlsStream, UNCLEAN_EOF_MESSAGE};
