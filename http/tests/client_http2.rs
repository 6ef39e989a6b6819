//! HTTP/2: negotiation, multiplexing, and every client feature on h2.

use aio::run;
use aio_http::doc_support::serve_h2c;
use aio_http::{Client, Version};

#[test]
fn h2c_prior_knowledge_get() {
    run(async {
        let url = serve_h2c(&["200 OK\ncontent-type: text/plain\n\n{request}"]).await;
        let client = Client::builder().http2_prior_knowledge().build().unwrap();
        for _ in 0..3 {
            let response = client.get(format!("{url}/a?b=c")).await.unwrap();
            assert_eq!(response.version(), Version::HTTP_2);
            let echo = response.text().await.unwrap();
            assert!(echo.starts_with("GET /a\n"), "{echo}");
        }
    });
}
