//! SSL_CERT_FILE through the client. The environment is process-wide, so
//! this binary holds a single test that changes it step by step.

mod support;

use std::path::PathBuf;

use aio::run;
use aio_http::{Client, Kind};
use support::certs::TestCa;
use support::server::{response, TestServer};

struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

async fn fetch(client: &Client, url: &str) -> Result<String, aio_http::Error> {
    client.get(url).await?.text().await
}

#[test]
fn ssl_cert_file_is_honoured_when_trusting_the_environment_only() {
    let ca = TestCa::new("env client CA");
    let server = TestServer::https(ca.localhost().server_config(), |peer| {
        peer.serve(|_| response("200 OK", &[], b"trusted"))
    });
    let url = server.url("/");
    let bundle =
        TempFile(std::env::temp_dir().join(format!("aio-client-env-{}.pem", std::process::id())));
    std::fs::write(&bundle.0, &ca.cert_pem).unwrap();
    std::env::set_var("SSL_CERT_FILE", &bundle.0);

    run(async {
        // The default trusts the environment, through new() and build().
        assert_eq!(fetch(&Client::new(), &url).await.unwrap(), "trusted");
        let built = Client::builder().build().unwrap();
        assert_eq!(fetch(&built, &url).await.unwrap(), "trusted");

        let ignoring = Client::builder().trust_env(false).build().unwrap();
        let err = fetch(&ignoring, &url).await.unwrap_err();
        assert_eq!(err.kind(), Kind::Tls);
        assert!(format!("{err:#}").contains("unknown issuer"), "{err:#}");
    });

    // Without the variable the CA is unknown again.
    std::env::remove_var("SSL_CERT_FILE");
    let err = run(async { fetch(&Client::new(), &url).await.unwrap_err() });
    assert!(format!("{err:#}").contains("unknown issuer"), "{err:#}");

    // An unreadable bundle: build() reports it, new() would panic.
    std::env::set_var("SSL_CERT_FILE", "/nonexistent/aio-bundle.pem");
    let err = Client::builder().build().unwrap_err();
    assert_eq!(err.kind(), Kind::Tls);
    assert!(
        format!("{err:#}").contains("/nonexistent/aio-bundle.pem"),
        "{err:#}"
    );
    assert!(Client::builder().trust_env(false).build().is_ok());
    let panic = std::panic::catch_unwind(Client::new).unwrap_err();
    let text = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(text.contains("Client::builder().build()"), "{text}");
    std::env::remove_var("SSL_CERT_FILE");
}
