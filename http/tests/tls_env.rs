//! SSL_CERT_FILE (and SSL_CERT_DIR beside it) handling. Environment variables are process-wide, so this
//! binary holds a single test that changes them step by step.

mod support;

use std::path::PathBuf;

use aio_http::tls::{client_config, default_client_config, TlsConfigError, TlsOptions};
use rustls::CertificateError;
use support::certs::TestCa;
use support::tls::{client_rejects, handshake};

struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, contents: &str) -> TempFile {
        let path = std::env::temp_dir().join(format!("aio-tls-env-{}-{name}", std::process::id()));
        std::fs::write(&path, contents).unwrap();
        TempFile(path)
    }
}

impl TempFile {
    /// An empty directory instead, removed with what it holds.
    fn dir(name: &str) -> TempFile {
        let path = std::env::temp_dir().join(format!("aio-tls-env-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn ssl_cert_file_is_honoured_only_when_trusting_the_environment() {
    let ca = TestCa::new("env CA");
    let server = ca.localhost().server_config();
    // The bundle holds an unrelated CA first: every certificate must count.
    let bundle = TempFile::new(
        "bundle.pem",
        &format!("{}{}", TestCa::new("unrelated").cert_pem, ca.cert_pem),
    );
    let no_env = TlsOptions {
        trust_env: false,
        ..TlsOptions::default()
    };

    std::env::remove_var("SSL_CERT_FILE");
    let plain_default = default_client_config().unwrap();
    client_rejects(plain_default.clone(), server.clone(), "localhost");

    std::env::set_var("SSL_CERT_FILE", &bundle.0);
    // trust_env (the default): the bundle's CA is trusted, and the cached
    // default config is rebuilt for the new variable value.
    let env_default = default_client_config().unwrap();
    assert!(!std::sync::Arc::ptr_eq(&plain_default, &env_default));
    assert!(std::sync::Arc::ptr_eq(
        &env_default,
        &default_client_config().unwrap()
    ));
    let (c, s) = handshake(env_default, server.clone(), "localhost");
    c.expect("SSL_CERT_FILE root trusted");
    s.unwrap();
    let custom = TlsOptions {
        webpki_roots: false,
        ..TlsOptions::default()
    };
    let (c, s) = handshake(client_config(&custom).unwrap(), server.clone(), "localhost");
    c.expect("SSL_CERT_FILE root trusted without webpki roots");
    s.unwrap();

    // Not trusting the environment: ignored.
    let err = client_rejects(client_config(&no_env).unwrap(), server.clone(), "localhost");
    assert!(matches!(
        aio_http::tls::rustls_error(&err),
        Some(rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer
        ))
    ));

    // A missing file is an error naming the path...
    let missing = std::env::temp_dir().join("aio-tls-env-does-not-exist.pem");
    std::env::set_var("SSL_CERT_FILE", &missing);
    let err = default_client_config().unwrap_err();
    assert!(
        matches!(err, TlsConfigError::CertFileUnreadable { .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains(&missing.display().to_string()), "{msg}");
    assert!(msg.contains("SSL_CERT_FILE"), "{msg}");
    // ...unless the environment is not trusted.
    client_config(&no_env).unwrap();

    // So is a file without certificates.
    let empty = TempFile::new("empty.pem", "not a certificate\n");
    std::env::set_var("SSL_CERT_FILE", &empty.0);
    let err = client_config(&TlsOptions::default()).unwrap_err();
    assert!(
        matches!(err, TlsConfigError::CertFileEmpty { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains(&empty.0.display().to_string()),
        "{err}"
    );

    // An empty value means unset.
    std::env::set_var("SSL_CERT_FILE", "");
    let cleared = default_client_config().unwrap();
    client_rejects(cleared, server.clone(), "localhost");

    // Both variables: the file names an unrelated CA, the directory the
    // server's. The directory is read only once the file's roots refuse the
    // server, and then vouches for it.
    let other = TempFile::new("other.pem", &TestCa::new("other").cert_pem);
    let dir = TempFile::dir("dir");
    std::fs::write(dir.0.join("env-ca.pem"), &ca.cert_pem).unwrap();
    std::env::set_var("SSL_CERT_FILE", &other.0);
    std::env::set_var("SSL_CERT_DIR", &dir.0);
    let both = default_client_config().unwrap();
    let (c, s) = handshake(both.clone(), server.clone(), "localhost");
    c.expect("SSL_CERT_DIR root trusted beside SSL_CERT_FILE");
    s.unwrap();
    let (c, s) = handshake(both, server.clone(), "localhost");
    c.expect("and again, with the directories already read");
    s.unwrap();
    // Without the directory's CA the refusal stands.
    std::fs::remove_file(dir.0.join("env-ca.pem")).unwrap();
    let err = client_rejects(client_config(&custom).unwrap(), server, "localhost");
    assert!(matches!(
        aio_http::tls::rustls_error(&err),
        Some(rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer
        ))
    ));
    // A directory that cannot be opened is an error at once, naming it.
    let missing_dir = dir.0.join("missing");
    std::env::set_var("SSL_CERT_DIR", &missing_dir);
    let err = default_client_config().unwrap_err();
    assert!(
        matches!(err, TlsConfigError::CertDirUnreadable { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains(&missing_dir.display().to_string()),
        "{err}"
    );
    std::env::remove_var("SSL_CERT_DIR");
    std::env::remove_var("SSL_CERT_FILE");
}
