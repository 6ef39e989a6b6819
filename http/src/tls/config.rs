//! rustls configurations: the client's trust roots, ALPN and crypto provider.

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

/// The ALPN protocol id both sides offer: this client speaks HTTP/1.1 only.
pub const ALPN_HTTP11: &[u8] = b"http/1.1";

/// The environment variable naming an extra PEM bundle of trusted roots.
pub const SSL_CERT_FILE: &str = "SSL_CERT_FILE";

/// Which root certificates a client trusts.
///
/// The default trusts the Mozilla roots shipped in `webpki-roots` plus the
/// bundle named by `SSL_CERT_FILE`, and nothing else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsOptions {
    /// Trust the Mozilla root certificates bundled by `webpki-roots`.
    pub webpki_roots: bool,
    /// Also trust the PEM bundle named by the `SSL_CERT_FILE` environment
    /// variable (read when the configuration is built).
    pub trust_env: bool,
    /// Extra trusted roots, each entry one PEM document holding one or more
    /// `CERTIFICATE` sections.
    pub extra_roots_pem: Vec<Vec<u8>>,
}

impl Default for TlsOptions {
    fn default() -> Self {
        TlsOptions {
            webpki_roots: true,
            trust_env: true,
            extra_roots_pem: Vec::new(),
        }
    }
}

impl TlsOptions {
    /// Adds a PEM document of root certificates to trust.
    pub fn add_root_pem(&mut self, pem: impl Into<Vec<u8>>) -> &mut Self {
        self.extra_roots_pem.push(pem.into());
        self
    }
}

/// Why a TLS configuration could not be built.
#[derive(Debug)]
#[non_exhaustive]
pub enum TlsConfigError {
    /// The file named by `SSL_CERT_FILE` could not be read.
    CertFileUnreadable {
        /// The path from the environment variable.
        path: PathBuf,
        /// What reading it failed with.
        source: io::Error,
    },
    /// The file named by `SSL_CERT_FILE` holds no usable certificate.
    CertFileEmpty {
        /// The path from the environment variable.
        path: PathBuf,
    },
    /// A PEM document is malformed.
    InvalidPem {
        /// Which document (e.g. "root certificate PEM #1").
        origin: String,
        /// The parser's complaint.
        source: rustls_pki_types::pem::Error,
    },
    /// A PEM document holds no `CERTIFICATE` section.
    NoCertificates {
        /// Which document.
        origin: String,
    },
    /// A certificate cannot be used as a trust anchor.
    InvalidRoot {
        /// Which document.
        origin: String,
        /// rustls's reason.
        source: rustls::Error,
    },
    /// No root certificates at all would be trusted, so no server could be.
    NoRoots,
    /// rustls refused the configuration (e.g. key does not match certificate).
    Rustls(rustls::Error),
}

impl fmt::Display for TlsConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsConfigError::CertFileUnreadable { path, source } => write!(
                f,
                "cannot read the root certificate file {} named by {SSL_CERT_FILE}: {source}",
                path.display()
            ),
            TlsConfigError::CertFileEmpty { path } => write!(
                f,
                "the root certificate file {} named by {SSL_CERT_FILE} contains no usable \
                 PEM certificate",
                path.display()
            ),
            TlsConfigError::InvalidPem { origin, source } => {
                write!(f, "malformed PEM in {origin}: {source}")
            }
            TlsConfigError::NoCertificates { origin } => {
                write!(f, "no certificate found in {origin}")
            }
            TlsConfigError::InvalidRoot { origin, source } => {
                write!(f, "unusable root certificate in {origin}: {source}")
            }
            TlsConfigError::NoRoots => f.write_str(
                "no trusted root certificates: built-in roots are disabled and none were added",
            ),
            TlsConfigError::Rustls(e) => write!(f, "invalid TLS configuration: {e}"),
        }
    }
}

impl std::error::Error for TlsConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TlsConfigError::CertFileUnreadable { source, .. } => Some(source),
            TlsConfigError::InvalidPem { source, .. } => Some(source),
            TlsConfigError::InvalidRoot { source, .. } | TlsConfigError::Rustls(source) => {
                Some(source)
            }
            _ => None,
        }
    }
}

/// Builds the client configuration for `opts`.
///
/// Roots: `webpki-roots` (if `opts.webpki_roots`), the bundle named by
/// `SSL_CERT_FILE` (if `opts.trust_env` and the variable is set and not
/// empty), and `opts.extra_roots_pem`. ALPN offers `http/1.1`. The crypto
/// provider is always rustls's ring provider, whatever the process default.
///
/// For the default options this returns the cached configuration of
/// [`default_client_config`].
pub fn client_config(opts: &TlsOptions) -> Result<Arc<ClientConfig>, TlsConfigError> {
    if *opts == TlsOptions::default() {
        return default_client_config();
    }
    let env_file = if opts.trust_env {
        ssl_cert_file()
    } else {
        None
    };
    build_client_config(opts, env_file.as_deref().map(Path::new))
}

/// The configuration for [`TlsOptions::default()`], built once and shared.
///
/// Building a root store of ~150 webpki roots (and reading `SSL_CERT_FILE`)
/// costs far more than creating an HTTP client should, so the result is
/// cached per process. The cache is keyed by the current value of
/// `SSL_CERT_FILE`: changing the variable rebuilds the configuration, while
/// changing the file's contents under the same path is not noticed. Errors
/// are not cached.
pub fn default_client_config() -> Result<Arc<ClientConfig>, TlsConfigError> {
    type Cached = Option<(Option<OsString>, Arc<ClientConfig>)>;
    static DEFAULT: Mutex<Cached> = Mutex::new(None);

    let env_file = ssl_cert_file();
    // The lock is held while building so concurrent first calls build once.
    let mut cached = DEFAULT.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((key, config)) = cached.as_ref() {
        if *key == env_file {
            return Ok(Arc::clone(config));
        }
    }
    let config = build_client_config(&TlsOptions::default(), env_file.as_deref().map(Path::new))?;
    *cached = Some((env_file, Arc::clone(&config)));
    Ok(config)
}

/// `SSL_CERT_FILE`, with an empty value meaning unset.
fn ssl_cert_file() -> Option<OsString> {
    std::env::var_os(SSL_CERT_FILE).filter(|v| !v.is_empty())
}

fn build_client_config(
    opts: &TlsOptions,
    env_file: Option<&Path>,
) -> Result<Arc<ClientConfig>, TlsConfigError> {
    let mut roots = RootCertStore::empty();
    if opts.webpki_roots {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    if let Some(path) = env_file {
        add_cert_file(&mut roots, path)?;
    }
    for (i, pem) in opts.extra_roots_pem.iter().enumerate() {
        let origin = format!("root certificate PEM #{}", i + 1);
        for cert in parse_pem_certificates(pem, &origin)? {
            roots
                .add(cert)
                .map_err(|source| TlsConfigError::InvalidRoot {
                    origin: origin.clone(),
                    source,
                })?;
        }
    }
    if roots.is_empty() {
        return Err(TlsConfigError::NoRoots);
    }

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsConfigError::Rustls)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![ALPN_HTTP11.to_vec()];
    Ok(Arc::new(config))
}

/// Adds the bundle at `path`. System bundles sometimes carry certificates
/// webpki cannot parse; those are skipped (as other clients do), but a file
/// with none usable is an error, since the user asked for it explicitly.
fn add_cert_file(roots: &mut RootCertStore, path: &Path) -> Result<(), TlsConfigError> {
    let pem = std::fs::read(path).map_err(|source| TlsConfigError::CertFileUnreadable {
        path: path.to_owned(),
        source,
    })?;
    let origin = || format!("{} (named by {SSL_CERT_FILE})", path.display());
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| TlsConfigError::InvalidPem {
            origin: origin(),
            source,
        })?;
    let (added, _ignored) = roots.add_parsable_certificates(certs);
    if added == 0 {
        return Err(TlsConfigError::CertFileEmpty {
            path: path.to_owned(),
        });
    }
    Ok(())
}

/// Parses every `CERTIFICATE` section of a PEM document; `origin` names the
/// document in errors. Zero certificates is an error.
pub fn parse_pem_certificates(
    pem: &[u8],
    origin: &str,
) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| TlsConfigError::InvalidPem {
            origin: origin.to_owned(),
            source,
        })?;
    if certs.is_empty() {
        return Err(TlsConfigError::NoCertificates {
            origin: origin.to_owned(),
        });
    }
    Ok(certs)
}
