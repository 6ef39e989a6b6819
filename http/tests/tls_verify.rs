//! Certificate verification: each failure rejected with its own message, IP
//! SANs, custom roots.

mod support;

use std::io;

use aio_http::tls::{
    self, describe_io_error, describe_tls_error, rustls_error, server_name, server_name_for_host,
    TlsOptions,
};
use rustls::{CertificateError, Error as TlsError};
use rustls_pki_types::ServerName;
use support::certs::{self_signed_localhost, TestCa};
use support::tls::{client_rejects, connected, handshake};

/// The rustls error inside a handshake failure, which must be `InvalidData`.
fn cert_error(e: &io::Error) -> &CertificateError {
    assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{e}");
    match rustls_error(e) {
        Some(TlsError::InvalidCertificate(c)) => c,
        other => panic!("expected a certificate error, got {other:?} ({e})"),
    }
}

#[test]
fn expired_certificate_is_rejected_as_expired() {
    let ca = TestCa::new("expiry CA");
    let err = client_rejects(
        ca.client_config(),
        ca.expired_localhost().server_config(),
        "localhost",
    );
    assert!(
        matches!(
            cert_error(&err),
            CertificateError::Expired | CertificateError::ExpiredContext { .. }
        ),
        "{err}"
    );
    let msg = describe_io_error(&err);
    assert!(msg.starts_with("certificate has expired"), "{msg}");
    assert!(msg.contains("valid until 2001-01-01 00:00:00 UTC"), "{msg}");
}

#[test]
fn wrong_host_name_is_rejected_naming_the_host() {
    let ca = TestCa::new("name CA");
    let err = client_rejects(
        ca.client_config(),
        ca.other_name().server_config(),
        "localhost",
    );
    assert!(
        matches!(
            cert_error(&err),
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
        ),
        "{err}"
    );
    let msg = describe_io_error(&err);
    assert!(
        msg.starts_with("certificate is not valid for name localhost"),
        "{msg}"
    );
    assert!(msg.contains("other.example"), "{msg}");
}

#[test]
fn unknown_ca_is_rejected_as_unknown_issuer() {
    let trusted = TestCa::new("trusted CA");
    let stranger = TestCa::new("stranger CA");
    for leaf in [stranger.localhost(), self_signed_localhost()] {
        let err = client_rejects(trusted.client_config(), leaf.server_config(), "localhost");
        assert_eq!(cert_error(&err), &CertificateError::UnknownIssuer, "{err}");
        assert_eq!(
            describe_io_error(&err),
            "certificate signed by unknown issuer (not in the trusted roots)"
        );
    }
}

#[test]
fn the_three_failures_have_distinct_messages() {
    let ca = TestCa::new("distinct CA");
    let messages: Vec<String> = [
        ca.expired_localhost(),
        ca.other_name(),
        TestCa::new("other").localhost(),
    ]
    .iter()
    .map(|leaf| {
        describe_io_error(&client_rejects(
            ca.client_config(),
            leaf.server_config(),
            "localhost",
        ))
    })
    .collect();
    assert!(messages[0].contains("expired"));
    assert!(messages[1].contains("not valid for name"));
    assert!(messages[2].contains("unknown issuer"));
}

#[test]
fn other_errors_keep_the_rustls_message() {
    let e = TlsError::General("something odd".into());
    assert_eq!(describe_tls_error(&e), e.to_string());
    let e = TlsError::InvalidCertificate(CertificateError::BadSignature);
    assert_eq!(describe_tls_error(&e), e.to_string());
    let plain = io::Error::new(io::ErrorKind::ConnectionReset, "reset by peer");
    assert_eq!(describe_io_error(&plain), "reset by peer");
    assert!(rustls_error(&plain).is_none());
}

#[test]
fn ip_address_is_verified_against_ip_san() {
    let ca = TestCa::new("ip CA");
    let leaf = ca.localhost();
    connected(ca.client_config(), leaf.server_config(), "127.0.0.1");
    connected(ca.client_config(), leaf.server_config(), "[::1]");

    let err = client_rejects(ca.client_config(), leaf.server_config(), "127.0.0.2");
    assert!(
        matches!(
            cert_error(&err),
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
        ),
        "{err}"
    );
    let msg = describe_io_error(&err);
    assert!(
        msg.starts_with("certificate is not valid for name 127.0.0.2"),
        "{msg}"
    );

    // A certificate naming only "localhost" does not cover 127.0.0.1.
    let dns_only = ca.leaf(&["localhost"]);
    client_rejects(ca.client_config(), dns_only.server_config(), "127.0.0.1");
}

#[test]
fn server_names_from_url_hosts() {
    let ip = |s: &str| ServerName::from(s.parse::<std::net::IpAddr>().unwrap());
    assert_eq!(server_name("127.0.0.1").unwrap(), ip("127.0.0.1"));
    assert_eq!(server_name("[::1]").unwrap(), ip("::1"));
    assert_eq!(server_name("::1").unwrap(), ip("::1"));
    assert_eq!(
        server_name("example.com.").unwrap(),
        ServerName::try_from("example.com").unwrap()
    );
    assert!(matches!(
        server_name("Example.COM").unwrap(),
        ServerName::DnsName(_)
    ));
    for bad in ["", "[::1", "[nope]", "a b.com", "exa_mple..com"] {
        let err = server_name(bad).unwrap_err();
        assert_eq!(err.host(), bad);
        assert!(err.to_string().contains("not a valid TLS server name"));
    }

    let url = url::Url::parse("https://[::1]:8443/x").unwrap();
    assert_eq!(
        server_name_for_host(&url.host().unwrap()).unwrap(),
        ip("::1")
    );
    let url = url::Url::parse("https://127.0.0.1/").unwrap();
    assert_eq!(
        server_name_for_host(&url.host().unwrap()).unwrap(),
        ip("127.0.0.1")
    );
    let url = url::Url::parse("https://LocalHost/").unwrap();
    assert_eq!(
        server_name_for_host(&url.host().unwrap()).unwrap(),
        ServerName::try_from("localhost").unwrap()
    );
}

#[test]
fn custom_root_pem_is_trusted_only_when_added() {
    let ca = TestCa::new("custom root CA");
    let server = ca.localhost().server_config();

    // webpki roots only (environment ignored): the test CA is unknown.
    let without = TlsOptions {
        trust_env: false,
        ..TlsOptions::default()
    };
    let err = client_rejects(
        tls::client_config(&without).unwrap(),
        server.clone(),
        "localhost",
    );
    assert_eq!(cert_error(&err), &CertificateError::UnknownIssuer);

    let mut with = without.clone();
    with.add_root_pem(ca.cert_pem.clone());
    let (c, s) = handshake(tls::client_config(&with).unwrap(), server, "localhost");
    c.expect("client trusts the added root");
    s.expect("server handshake");
}
