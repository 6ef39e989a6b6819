//! Test certificates made with rcgen: a CA, leaves it signs (valid, expired,
//! for another name) and leaves from outside it (self-signed, other CA), as
//! PEM strings plus ready rustls configurations (ring provider).

use std::sync::Arc;

use aio_http::tls::{self, TlsOptions};
use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, CertifiedIssuer, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::{ClientConfig, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::PrivateKeyDer;

/// The names in every "localhost" leaf.
pub const LOCALHOST_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// A certificate with its private key, as PEM.
#[derive(Clone, Debug)]
pub struct Leaf {
    /// The leaf certificate (the whole chain a server sends: the root is
    /// known to clients and not sent).
    pub cert_pem: String,
    /// Its private key (PKCS#8).
    pub key_pem: String,
}

impl Leaf {
    /// A server configuration presenting this leaf, ALPN `http/1.1`.
    pub fn server_config(&self) -> Arc<ServerConfig> {
        self.server_config_with(rustls::DEFAULT_VERSIONS)
    }

    /// Like [`Leaf::server_config`] but TLS 1.2 only.
    pub fn server_config_tls12(&self) -> Arc<ServerConfig> {
        self.server_config_with(&[&rustls::version::TLS12])
    }

    fn server_config_with(
        &self,
        versions: &[&'static rustls::SupportedProtocolVersion],
    ) -> Arc<ServerConfig> {
        let chain = tls::parse_pem_certificates(self.cert_pem.as_bytes(), "leaf").unwrap();
        let key = PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        config.alpn_protocols = vec![tls::ALPN_HTTP11.to_vec()];
        Arc::new(config)
    }
}

/// A test certificate authority.
pub struct TestCa {
    /// The CA certificate, to add as a trusted root.
    pub cert_pem: String,
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl TestCa {
    /// A fresh CA named `name`.
    pub fn new(name: &str) -> TestCa {
        let mut params = CertificateParams::default();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().expect("generate CA key");
        let issuer = CertifiedIssuer::self_signed(params, key).expect("self-sign CA");
        TestCa {
            cert_pem: issuer.pem(),
            issuer,
        }
    }

    /// A leaf for `names` (DNS names or IP addresses), valid from 1975 to
    /// 4096.
    pub fn leaf(&self, names: &[&str]) -> Leaf {
        self.leaf_with(leaf_params(names))
    }

    /// A leaf for localhost, 127.0.0.1 and ::1.
    pub fn localhost(&self) -> Leaf {
        self.leaf(&LOCALHOST_NAMES)
    }

    /// A localhost leaf that expired on 2001-01-01.
    pub fn expired_localhost(&self) -> Leaf {
        let mut params = leaf_params(&LOCALHOST_NAMES);
        params.not_before = date_time_ymd(2000, 1, 1);
        params.not_after = date_time_ymd(2001, 1, 1);
        self.leaf_with(params)
    }

    /// A leaf for `other.example` only.
    pub fn other_name(&self) -> Leaf {
        self.leaf(&["other.example"])
    }

    /// A client configuration trusting this CA only (no webpki roots, no
    /// environment).
    pub fn client_config(&self) -> Arc<ClientConfig> {
        let opts = TlsOptions {
            webpki_roots: false,
            trust_env: false,
            extra_roots_pem: vec![self.cert_pem.clone().into_bytes()],
        };
        tls::client_config(&opts).expect("client config trusting the test CA")
    }

    fn leaf_with(&self, params: CertificateParams) -> Leaf {
        let key = KeyPair::generate().expect("generate leaf key");
        let cert = params.signed_by(&key, &self.issuer).expect("sign leaf");
        Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }
}

/// A self-signed localhost leaf: no CA anyone trusts issued it.
pub fn self_signed_localhost() -> Leaf {
    let key = KeyPair::generate().expect("generate key");
    let cert = leaf_params(&LOCALHOST_NAMES)
        .self_signed(&key)
        .expect("self-sign leaf");
    Leaf {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}

fn leaf_params(names: &[&str]) -> CertificateParams {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut params = CertificateParams::new(names).expect("valid SAN list");
    params
        .distinguished_name
        .push(DnType::CommonName, "aio test server");
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params
}
