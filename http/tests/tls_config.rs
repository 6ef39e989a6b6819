//! Building client and server configurations: errors, ALPN, provider, cache.
//! (SSL_CERT_FILE is tested alone in tls_env.rs: env vars are process-wide.)

mod support;

use std::sync::Arc;

use aio_http::tls::{
    self, client_config, default_client_config, parse_pem_certificates, TlsConfigError, TlsOptions,
};
use support::certs::TestCa;

#[test]
fn default_config_is_cached_and_offers_http11() {
    let a = default_client_config().unwrap();
    let b = client_config(&TlsOptions::default()).unwrap();
    assert!(Arc::ptr_eq(&a, &b), "the default config must be built once");
    assert_eq!(a.alpn_protocols, vec![b"http/1.1".to_vec()]);
    assert_eq!(tls::ALPN_HTTP11, b"http/1.1");
}

#[test]
fn custom_configs_use_the_ring_provider_and_alpn() {
    let ca = TestCa::new("provider CA");
    let config = ca.client_config();
    assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
    let ring = rustls::crypto::ring::default_provider();
    let names = |p: &rustls::crypto::CryptoProvider| {
        p.cipher_suites
            .iter()
            .map(|s| s.suite())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(config.crypto_provider()), names(&ring));
}

#[test]
fn malformed_root_pem_is_a_clear_error() {
    let mut opts = TlsOptions::default();
    opts.add_root_pem("-----BEGIN CERTIFICATE-----\n!!!not base64!!!\n-----END CERTIFICATE-----\n");
    let err = client_config(&opts).unwrap_err();
    assert!(matches!(err, TlsConfigError::InvalidPem { .. }), "{err:?}");
    assert!(err.to_string().contains("root certificate PEM #1"), "{err}");
}

#[test]
fn root_pem_without_certificates_is_an_error() {
    let mut opts = TlsOptions::default();
    opts.add_root_pem(TestCa::new("x").cert_pem);
    opts.add_root_pem("just some text\n");
    let err = client_config(&opts).unwrap_err();
    assert!(
        matches!(err, TlsConfigError::NoCertificates { .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "no certificate found in root certificate PEM #2"
    );
}

#[test]
fn a_garbage_certificate_is_rejected_as_root() {
    // Valid PEM framing around bytes that are no certificate.
    let pem = "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n";
    let mut opts = TlsOptions::default();
    opts.add_root_pem(pem);
    let err = client_config(&opts).unwrap_err();
    assert!(matches!(err, TlsConfigError::InvalidRoot { .. }), "{err:?}");
}

#[test]
fn no_roots_at_all_is_an_error() {
    let opts = TlsOptions {
        webpki_roots: false,
        trust_env: false,
        extra_roots_pem: Vec::new(),
    };
    let err = client_config(&opts).unwrap_err();
    assert!(matches!(err, TlsConfigError::NoRoots), "{err:?}");
}

#[test]
fn parse_pem_certificates_reads_every_certificate() {
    let bundle = format!(
        "{}{}",
        TestCa::new("one").cert_pem,
        TestCa::new("two").cert_pem
    );
    assert_eq!(
        parse_pem_certificates(bundle.as_bytes(), "bundle")
            .unwrap()
            .len(),
        2
    );
}
