//! rustls configurations: the client's trust roots, ALPN and crypto provider.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fmt;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

/// The ALPN protocol id of HTTP/1.1. The configurations made here offer it
/// alone; a [`Client`](crate::Client) with HTTP/2 (the `http2` feature,
/// unless `http1_only`) offers `h2` before it.
///
/// ```
/// use aio::http::tls::{self, ALPN_HTTP11};
///
/// let config = tls::default_client_config().unwrap();
/// assert_eq!(config.alpn_protocols, [ALPN_HTTP11]);
/// ```
pub const ALPN_HTTP11: &[u8] = b"http/1.1";

/// The environment variable naming a PEM bundle of trusted roots that
/// replaces the built-in ones.
///
/// ```
/// use aio::http::tls::{self, TlsConfigError, TlsOptions, SSL_CERT_FILE};
///
/// std::env::set_var(SSL_CERT_FILE, "/no/such/roots.pem");
/// let err = tls::client_config(&TlsOptions::default()).unwrap_err();
/// assert!(matches!(err, TlsConfigError::CertFileUnreadable { .. }));
/// assert!(err.to_string().starts_with(
///     "cannot read the root certificate file /no/such/roots.pem named by SSL_CERT_FILE"
/// ), "{err}");
/// ```
pub const SSL_CERT_FILE: &str = "SSL_CERT_FILE";

/// The environment variable naming directories (separated by `:`) of PEM
/// files of trusted roots that replace the built-in ones.
///
/// ```
/// use aio::http::tls::{self, TlsConfigError, TlsOptions, SSL_CERT_DIR, SSL_CERT_FILE};
///
/// let empty = std::env::temp_dir().join(format!("aio-doc-roots-{}", std::process::id()));
/// std::fs::create_dir_all(&empty).unwrap();
/// std::env::remove_var(SSL_CERT_FILE);
/// std::env::set_var(SSL_CERT_DIR, &empty);
/// let err = tls::client_config(&TlsOptions::default()).unwrap_err();
/// assert!(matches!(err, TlsConfigError::CertDirEmpty { .. }), "{err}");
/// # std::fs::remove_dir(&empty).unwrap();
/// ```
pub const SSL_CERT_DIR: &str = "SSL_CERT_DIR";

/// Which root certificates a client trusts.
///
/// The default trusts the Mozilla roots shipped in `webpki-roots`, unless
/// `SSL_CERT_FILE` or `SSL_CERT_DIR` is set: then the roots they name
/// replace the built-in ones, as OpenSSL, curl and httpx read them (a
/// variable set to a company or test CA means "trust this", not "trust
/// this too").
///
/// ```
/// # let cert_pem = rcgen::generate_simple_self_signed(["127.0.0.1".to_owned()]).unwrap().cert.pem();
/// use aio::http::tls::{self, TlsConfigError, TlsOptions};
///
/// // Trust one private CA, and nothing else.
/// let mut options = TlsOptions { webpki_roots: false, trust_env: false, ..TlsOptions::default() };
/// let err = tls::client_config(&options).unwrap_err();
/// assert!(matches!(err, TlsConfigError::NoRoots));
/// options.add_root_pem(cert_pem);
/// assert!(tls::client_config(&options).is_ok());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsOptions {
    /// Trust the Mozilla root certificates bundled by `webpki-roots` (when
    /// the environment names no roots of its own).
    pub webpki_roots: bool,
    /// Trust the roots named by `SSL_CERT_FILE` (a PEM bundle) and
    /// `SSL_CERT_DIR` (directories of PEM files) instead of the built-in
    /// ones, when either is set (read when the configuration is built).
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
    ///
    /// ```
    /// # let cert_pem = rcgen::generate_simple_self_signed(["127.0.0.1".to_owned()]).unwrap().cert.pem();
    /// use aio::http::tls::{self, TlsOptions};
    ///
    /// let mut options = TlsOptions::default();
    /// options.add_root_pem(cert_pem.as_bytes());
    /// assert_eq!(options.extra_roots_pem, [cert_pem.as_bytes()]);
    /// assert!(tls::client_config(&options).is_ok());
    /// ```
    pub fn add_root_pem(&mut self, pem: impl Into<Vec<u8>>) -> &mut Self {
        self.extra_roots_pem.push(pem.into());
        self
    }
}

/// Why a TLS configuration could not be built.
///
/// ```
/// use aio::http::tls::{self, TlsConfigError};
///
/// let err = tls::parse_pem_certificates(b"hello", "upload.pem").unwrap_err();
/// match &err {
///     TlsConfigError::NoCertificates { origin } => assert_eq!(origin, "upload.pem"),
///     other => panic!("unexpected {other}"),
/// }
/// assert_eq!(err.to_string(), "no certificate found in upload.pem");
/// ```
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
    /// A directory named by `SSL_CERT_DIR` could not be read.
    CertDirUnreadable {
        /// The directory.
        path: PathBuf,
        /// What reading it failed with.
        source: io::Error,
    },
    /// The directories named by `SSL_CERT_DIR` hold no usable PEM
    /// certificate (and `SSL_CERT_FILE` gave none either).
    CertDirEmpty {
        /// The variable's value.
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
            TlsConfigError::CertDirUnreadable { path, source } => write!(
                f,
                "cannot read the root certificate directory {} named by {SSL_CERT_DIR}: {source}",
                path.display()
            ),
            TlsConfigError::CertDirEmpty { path } => write!(
                f,
                "the root certificate directories {} named by {SSL_CERT_DIR} contain no usable \
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
            TlsConfigError::CertFileUnreadable { source, .. }
            | TlsConfigError::CertDirUnreadable { source, .. } => Some(source),
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
/// Roots: the bundle named by `SSL_CERT_FILE` and the files in the
/// directories named by `SSL_CERT_DIR` (if `opts.trust_env` and either is
/// set and not empty), or else `webpki-roots` (if `opts.webpki_roots`);
/// then `opts.extra_roots_pem` in both cases. When both variables are set,
/// the directories are only opened here, and read at the first server
/// certificate the file's roots do not vouch for (OpenSSL too looks into
/// them only when it needs an issuer): a system's directory holds the
/// certificates its bundle was made from, and reading ~150 files for
/// nothing would double the start-up of a short program. ALPN offers `http/1.1`. The
/// crypto provider is always rustls's ring provider, whatever the process
/// default.
///
/// For the default options this returns the cached configuration of
/// [`default_client_config`].
///
/// ```
/// use std::sync::Arc;
/// use aio::http::tls::{self, TlsOptions};
///
/// let default = tls::client_config(&TlsOptions::default()).unwrap();
/// assert!(Arc::ptr_eq(&default, &tls::default_client_config().unwrap()));
///
/// let mut options = TlsOptions::default();
/// options.add_root_pem("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n");
/// let err = tls::client_config(&options).unwrap_err();
/// assert!(err.to_string().starts_with("malformed PEM in root certificate PEM #1"), "{err}");
/// ```
pub fn client_config(opts: &TlsOptions) -> Result<Arc<ClientConfig>, TlsConfigError> {
    if *opts == TlsOptions::default() {
        return default_client_config();
    }
    let env = if opts.trust_env {
        EnvRoots::read()
    } else {
        EnvRoots::default()
    };
    build_client_config(opts, &env)
}

/// The configuration for [`TlsOptions::default()`], built once and shared.
///
/// Building a root store of ~150 webpki roots (or reading `SSL_CERT_FILE`)
/// costs far more than creating an HTTP client should, so the result is
/// cached per process. The cache is keyed by the current values of
/// `SSL_CERT_FILE` and `SSL_CERT_DIR`: changing a variable rebuilds the
/// configuration, while changing the files under the same names is not
/// noticed. Errors are not cached.
///
/// ```
/// use std::sync::Arc;
///
/// let first = aio::http::tls::default_client_config().unwrap();
/// let again = aio::http::tls::default_client_config().unwrap();
/// assert!(Arc::ptr_eq(&first, &again), "built once");
/// ```
pub fn default_client_config() -> Result<Arc<ClientConfig>, TlsConfigError> {
    type Cached = Option<(EnvRoots, Arc<ClientConfig>)>;
    static DEFAULT: Mutex<Cached> = Mutex::new(None);

    let env = EnvRoots::read();
    // The lock is held while building so concurrent first calls build once.
    let mut cached = DEFAULT.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((key, config)) = cached.as_ref() {
        if *key == env {
            return Ok(Arc::clone(config));
        }
    }
    let config = build_client_config(&TlsOptions::default(), &env)?;
    *cached = Some((env, Arc::clone(&config)));
    Ok(config)
}

/// The roots the environment names: `SSL_CERT_FILE` and `SSL_CERT_DIR`,
/// an empty value meaning unset.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct EnvRoots {
    file: Option<OsString>,
    dirs: Option<OsString>,
}

impl EnvRoots {
    fn read() -> EnvRoots {
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
        EnvRoots {
            file: var(SSL_CERT_FILE),
            dirs: var(SSL_CERT_DIR),
        }
    }

    fn is_set(&self) -> bool {
        self.file.is_some() || self.dirs.is_some()
    }
}

/// The trust anchors for `opts` with the environment `env` (see
/// [`client_config`] for which).
fn root_store(opts: &TlsOptions, env: &EnvRoots) -> Result<RootCertStore, TlsConfigError> {
    let mut roots = RootCertStore::empty();
    if env.is_set() {
        // A CA in both the file and the directories is parsed once. Ordered
        // sets: certificates differ within their first bytes, so comparing
        // is cheaper than hashing them whole.
        let mut seen = BTreeSet::new();
        let bundle = match &env.file {
            Some(path) => add_cert_file(&mut roots, Path::new(path), &mut seen)?,
            None => Vec::new(),
        };
        if let Some(dirs) = &env.dirs {
            let before = roots.len();
            // The file's certificates as written, so that the directories'
            // copies of them (a system's bundle is made from its directory)
            // are recognised without being decoded again.
            let known: BTreeSet<&[u8]> = pem_cert_blocks(&bundle).collect();
            for dir in std::env::split_paths(dirs) {
                add_cert_dir(&mut roots, &dir, &known, &mut seen)?;
            }
            if roots.len() == before && env.file.is_none() {
                return Err(TlsConfigError::CertDirEmpty { path: dirs.into() });
            }
        }
    } else if opts.webpki_roots {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
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
    Ok(roots)
}

fn build_client_config(
    opts: &TlsOptions,
    env: &EnvRoots,
) -> Result<Arc<ClientConfig>, TlsConfigError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(TlsConfigError::Rustls)?;
    let builder = match (&env.file, &env.dirs) {
        (Some(file), Some(dirs)) => {
            let file_only = EnvRoots {
                file: Some(file.clone()),
                dirs: None,
            };
            let file_only = webpki_verifier(root_store(opts, &file_only)?, &provider)?;
            // An unreadable directory is still an error at once; with a
            // file set, an empty one is not (see `root_store`).
            for dir in std::env::split_paths(dirs) {
                std::fs::read_dir(&dir).map_err(|source| TlsConfigError::CertDirUnreadable {
                    path: dir.clone(),
                    source,
                })?;
            }
            let verifier = DirsWhenNeeded {
                file_only,
                with_dirs: OnceLock::new(),
                opts: opts.clone(),
                env: env.clone(),
                provider,
            };
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verifier))
        }
        _ => builder.with_root_certificates(root_store(opts, env)?),
    };
    let mut config = builder.with_no_client_auth();
    config.alpn_protocols = vec![ALPN_HTTP11.to_vec()];
    Ok(Arc::new(config))
}

/// rustls's verifier of server certificates against `roots`.
fn webpki_verifier(
    roots: RootCertStore,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, TlsConfigError> {
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(provider))
        .build()
        .map_err(|e| TlsConfigError::Rustls(rustls::Error::General(e.to_string())))
}

/// Verifies a server's certificate against the roots of `SSL_CERT_FILE`
/// (and the added ones) first; only if they do not vouch for it are the
/// `SSL_CERT_DIR` directories read, once, and the certificate verified
/// again against all the roots. The outcome is the one verifying against
/// all of them at once would have: more roots only add ways to succeed.
#[derive(Debug)]
struct DirsWhenNeeded {
    file_only: Arc<WebPkiServerVerifier>,
    /// Built at the first certificate `file_only` refuses; `None` if the
    /// directories could no longer be read then (the refusal stands).
    with_dirs: OnceLock<Option<Arc<WebPkiServerVerifier>>>,
    opts: TlsOptions,
    env: EnvRoots,
    provider: Arc<CryptoProvider>,
}

impl DirsWhenNeeded {
    fn with_dirs(&self) -> Option<&Arc<WebPkiServerVerifier>> {
        self.with_dirs
            .get_or_init(|| {
                let roots = root_store(&self.opts, &self.env).ok()?;
                webpki_verifier(roots, &self.provider).ok()
            })
            .as_ref()
    }
}

impl ServerCertVerifier for DirsWhenNeeded {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verify = |v: &WebPkiServerVerifier| {
            v.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        };
        verify(&self.file_only).or_else(|refused| match self.with_dirs() {
            Some(all) => verify(all),
            None => Err(refused),
        })
    }

    // Signatures do not depend on the roots.
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.file_only.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.file_only.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.file_only.supported_verify_schemes()
    }
}

/// Adds the certificates of the PEM files in `dir` not already `seen`.
///
/// OpenSSL looks a CA up in such a directory by its subject hash, in files
/// named `<8 hex digits>.<n>` (c_rehash's links): when there are such
/// files only they are read, as OpenSSL would (a system directory also
/// holds each certificate under its own name, and often a bundle of them
/// all: reading those too would only cost start-up time). A directory
/// without hashed names is taken as a plain directory of PEM files. Files
/// that are not PEM certificates are skipped, as OpenSSL skips them.
fn add_cert_dir(
    roots: &mut RootCertStore,
    dir: &Path,
    known: &BTreeSet<&[u8]>,
    seen: &mut BTreeSet<Vec<u8>>,
) -> Result<(), TlsConfigError> {
    let unreadable = |source| TlsConfigError::CertDirUnreadable {
        path: dir.to_owned(),
        source,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(unreadable)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    if paths.iter().any(|p| is_hashed_name(p)) {
        paths.retain(|p| is_hashed_name(p));
    }
    // Sorted, so the store is the same from run to run.
    paths.sort();
    // One buffer for every file; opened and read without asking its size.
    let mut pem = Vec::new();
    for path in paths {
        pem.clear();
        // Sub-directories and unreadable entries are not certificates.
        let read = std::fs::File::open(&path).and_then(|mut f| f.read_to_end(&mut pem));
        if read.is_err() {
            continue;
        }
        // Every certificate in it is one of the file's, byte for byte: it
        // decodes to nothing new.
        let mut blocks = pem_cert_blocks(&pem).peekable();
        if blocks.peek().is_some() && blocks.all(|block| known.contains(block)) {
            continue;
        }
        let certs = CertificateDer::pem_slice_iter(&pem)
            .filter_map(Result::ok)
            .filter(|cert| seen.insert(cert.as_ref().to_vec()));
        roots.add_parsable_certificates(certs);
    }
    Ok(())
}

/// Whether `path` is named as c_rehash names a CA: `1a2b3c4d.0`.
fn is_hashed_name(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let Some((hash, n)) = name.split_once('.') else {
        return false;
    };
    hash.len() == 8
        && hash.bytes().all(|b| b.is_ascii_hexdigit())
        && !n.is_empty()
        && n.bytes().all(|b| b.is_ascii_digit())
}

/// The certificate blocks of a PEM text as written, each from its BEGIN
/// marker to the end of its END marker (to the end of the text if it has
/// none): two equal blocks hold the same certificate, found without
/// decoding either. Whatever lies around the blocks is left out.
fn pem_cert_blocks(pem: &[u8]) -> impl Iterator<Item = &[u8]> {
    const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
    const END: &[u8] = b"-----END CERTIFICATE-----";
    let mut rest = pem;
    std::iter::from_fn(move || {
        let block = &rest[find_marker(rest, BEGIN)?..];
        let len = find_marker(block, END).map_or(block.len(), |at| at + END.len());
        rest = &block[len..];
        Some(&block[..len])
    })
}

/// Where `marker` (which starts with `-`) first occurs in `text`. Base64
/// has no `-`, so the search jumps from one `-` to the next.
fn find_marker(text: &[u8], marker: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = memchr::memchr(b'-', &text[from..]) {
        let at = from + i;
        if text[at..].starts_with(marker) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Adds the bundle at `path`. System bundles sometimes carry certificates
/// webpki cannot parse; those are skipped (as other clients do), but a file
/// with none usable is an error, since the user asked for it explicitly.
/// Returns the file's text, which the directories are compared with.
fn add_cert_file(
    roots: &mut RootCertStore,
    path: &Path,
    seen: &mut BTreeSet<Vec<u8>>,
) -> Result<Vec<u8>, TlsConfigError> {
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
    for cert in &certs {
        seen.insert(cert.as_ref().to_vec());
    }
    let (added, _ignored) = roots.add_parsable_certificates(certs);
    if added == 0 {
        return Err(TlsConfigError::CertFileEmpty {
            path: path.to_owned(),
        });
    }
    Ok(pem)
}

/// Parses every `CERTIFICATE` section of a PEM document; `origin` names the
/// document in errors. Zero certificates is an error.
///
/// ```
/// # let cert_pem = rcgen::generate_simple_self_signed(["127.0.0.1".to_owned()]).unwrap().cert.pem();
/// # let other = rcgen::generate_simple_self_signed(["localhost".to_owned()]).unwrap().cert.pem();
/// use aio::http::tls;
///
/// // Two certificates in one bundle:
/// let bundle = format!("{cert_pem}{other}");
/// let certs = tls::parse_pem_certificates(bundle.as_bytes(), "bundle.pem").unwrap();
/// assert_eq!(certs.len(), 2);
/// ```
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory under the system's temporary one, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            let path =
                std::env::temp_dir().join(format!("aio-tls-roots-{}-{name}", std::process::id()));
            let _ = std::fs::remove_dir_all(&path);
            std::fs::create_dir_all(&path).unwrap();
            TempDir(path)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn ca_pem(name: &str) -> String {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let key = rcgen::KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().pem()
    }

    fn env(file: Option<&Path>, dirs: Option<&Path>) -> EnvRoots {
        EnvRoots {
            file: file.map(|p| p.as_os_str().to_owned()),
            dirs: dirs.map(|p| p.as_os_str().to_owned()),
        }
    }

    #[test]
    fn environment_roots_replace_the_built_in_ones() {
        let builtin = root_store(&TlsOptions::default(), &EnvRoots::default()).unwrap();
        assert_eq!(builtin.len(), webpki_roots::TLS_SERVER_ROOTS.len());

        let dir = TempDir::new("file");
        let bundle = dir.0.join("bundle.pem");
        std::fs::write(&bundle, ca_pem("one") + &ca_pem("two")).unwrap();
        let roots = root_store(&TlsOptions::default(), &env(Some(&bundle), None)).unwrap();
        assert_eq!(roots.len(), 2, "SSL_CERT_FILE's two CAs and nothing else");

        // Added roots still count, beside the environment's.
        let mut opts = TlsOptions::default();
        opts.add_root_pem(ca_pem("three"));
        let roots = root_store(&opts, &env(Some(&bundle), None)).unwrap();
        assert_eq!(roots.len(), 3);
    }

    #[test]
    fn a_cert_dir_file_is_passed_over_only_if_the_file_holds_all_its_certificates() {
        let (one, two) = (ca_pem("one"), ca_pem("two"));
        let text = format!("# one\n{one}\n{two}tail");
        let blocks: Vec<&[u8]> = pem_cert_blocks(text.as_bytes()).collect();
        assert_eq!(blocks, [one.trim().as_bytes(), two.trim().as_bytes()]);

        let file = TempDir::new("known-file");
        let bundle = file.0.join("bundle.pem");
        std::fs::write(&bundle, &one).unwrap();
        let dir = TempDir::new("known-dir");
        // The bundle's certificate as written, and beside it one more.
        std::fs::write(dir.0.join("a.pem"), &one).unwrap();
        std::fs::write(dir.0.join("b.pem"), format!("{one}{two}")).unwrap();
        let roots = root_store(&TlsOptions::default(), &env(Some(&bundle), Some(&dir.0))).unwrap();
        assert_eq!(roots.len(), 2, "b.pem's second certificate counts");
    }

    #[test]
    fn a_cert_dir_counts_each_certificate_once_and_skips_other_files() {
        let dir = TempDir::new("dir");
        let (one, two) = (ca_pem("one"), ca_pem("two"));
        std::fs::write(dir.0.join("one.pem"), &one).unwrap();
        // The same certificate under its hash name, as c_rehash leaves it.
        std::fs::write(dir.0.join("1a2b3c4d.0"), &one).unwrap();
        std::fs::write(dir.0.join("two.pem"), &two).unwrap();
        std::fs::write(dir.0.join("README"), "not a certificate").unwrap();
        std::fs::create_dir(dir.0.join("sub")).unwrap();
        // Hashed names present: only they count (two.pem has none).
        let roots = root_store(&TlsOptions::default(), &env(None, Some(&dir.0))).unwrap();
        assert_eq!(roots.len(), 1);
        std::fs::write(dir.0.join("5e6f7a8b.0"), &two).unwrap();
        std::fs::write(dir.0.join("5e6f7a8b.1"), &one).unwrap();
        let roots = root_store(&TlsOptions::default(), &env(None, Some(&dir.0))).unwrap();
        assert_eq!(roots.len(), 2);
        // No hashed names: every PEM file.
        let plain = TempDir::new("plain");
        std::fs::write(plain.0.join("one.pem"), &one).unwrap();
        std::fs::write(plain.0.join("two.crt"), &two).unwrap();
        let roots = root_store(&TlsOptions::default(), &env(None, Some(&plain.0))).unwrap();
        assert_eq!(roots.len(), 2);
        // The file's CAs are not added again from the directories.
        let bundle = plain.0.join("bundle.txt");
        std::fs::write(&bundle, format!("{one}{two}")).unwrap();
        let roots = root_store(&TlsOptions::default(), &env(Some(&bundle), Some(&dir.0))).unwrap();
        assert_eq!(roots.len(), 2);

        let empty = TempDir::new("empty");
        let err = root_store(&TlsOptions::default(), &env(None, Some(&empty.0))).unwrap_err();
        assert!(matches!(err, TlsConfigError::CertDirEmpty { .. }), "{err}");
        assert!(err.to_string().contains("SSL_CERT_DIR"), "{err}");

        let missing = dir.0.join("missing");
        let err = root_store(&TlsOptions::default(), &env(None, Some(&missing))).unwrap_err();
        let text = err.to_string();
        assert!(
            matches!(err, TlsConfigError::CertDirUnreadable { .. }),
            "{text}"
        );
        assert!(
            text.contains(&*missing.to_string_lossy()) && text.contains("SSL_CERT_DIR"),
            "{text}"
        );
    }
}
