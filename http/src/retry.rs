//! Opt-in retries: when a request is sent again, and how long to wait.
//!
//! The decisions are pure functions of what happened (tested without
//! sockets); the engine (`exchange.rs`) applies them.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime};

use http::{HeaderValue, Method, StatusCode};

use crate::pool::is_idempotent;

/// A retry policy for [`ClientBuilder::retry`](crate::ClientBuilder::retry):
/// off unless set.
///
/// Only idempotent requests (GET, HEAD, PUT, DELETE, OPTIONS, TRACE) are
/// retried, and only when sending them again is likely to help: no
/// connection could be made, or the server answered `429 Too Many Requests`
/// or `503 Service Unavailable`. The wait before each retry is the
/// server's `Retry-After` when it sends one, else an exponential backoff
/// with full jitter (a random wait up to `base * 2^attempt`, at most
/// `max_delay`). Retries stop after `max_retries`, when `Retry-After` asks
/// for more than `max_delay`, or when the wait would pass the request's
/// total [`timeout`](crate::ClientBuilder::timeout): the last response (or
/// error) is then the answer.
///
/// ```
/// # let url = aio::http::doc_support::serve(&["503 Service Unavailable\nretry-after: 0", "200 OK\n\nback"]);
/// use std::time::Duration;
/// use aio::http::{Client, Retry};
///
/// aio::run(async {
///     let client = Client::builder()
///         .retry(Retry::new(3).backoff(Duration::from_millis(100), Duration::from_secs(5)))
///         .build()?;
///     // The server is briefly down (503), and says when to come back.
///     let response = client.get(&url).await?;
///     assert_eq!(response.text().await?, "back");
///     Ok::<_, aio::http::Error>(())
/// })
/// .unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    max_retries: u32,
    base: Duration,
    max_delay: Duration,
}

impl Retry {
    /// Up to `max_retries` retries (so `max_retries + 1` attempts), with a
    /// backoff from 100 ms up to 10 s.
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["503 Service Unavailable\nretry-after: 0", "200 OK"]);
    /// use aio::http::{Client, Retry};
    ///
    /// aio::run(async {
    ///     let client = Client::builder().retry(Retry::new(1)).build()?;
    ///     // A POST may have taken effect though it failed: never retried.
    ///     let response = client.post(&url).body("order=1").await?;
    ///     assert_eq!(response.status(), 503);
    ///     // A GET is.
    ///     assert_eq!(client.get(&url).await?.status(), 200);
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn new(max_retries: u32) -> Retry {
        Retry {
            max_retries,
            base: Duration::from_millis(100),
            max_delay: Duration::from_secs(10),
        }
    }

    /// The backoff: the first retry waits up to `base`, each next one up to
    /// twice as long, never more than `max_delay` (which also bounds a
    /// `Retry-After` the client will honour).
    ///
    /// ```
    /// # let url = aio::http::doc_support::serve(&["503 Service Unavailable", "503 Service Unavailable", "200 OK"]);
    /// use std::time::Duration;
    /// use aio::http::{Client, Retry};
    ///
    /// aio::run(async {
    ///     // Waits of up to 1 ms, then up to 2 ms: for a test server.
    ///     let retry = Retry::new(2).backoff(Duration::from_millis(1), Duration::from_millis(10));
    ///     let client = Client::builder().retry(retry).build()?;
    ///     assert_eq!(client.get(&url).await?.status(), 200, "third time lucky");
    ///     Ok::<_, aio::http::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn backoff(mut self, base: Duration, max_delay: Duration) -> Retry {
        self.base = base;
        self.max_delay = max_delay;
        self
    }

    /// The wait before retry number `attempt` (0 for the first retry) of a
    /// request that got `outcome`, or `None` when it is not to be retried.
    pub(crate) fn delay(
        &self,
        method: &Method,
        attempt: u32,
        outcome: Outcome<'_>,
    ) -> Option<Duration> {
        if attempt >= self.max_retries || !is_idempotent(method) {
            return None;
        }
        let retry_after = match outcome {
            Outcome::ConnectFailed => None,
            Outcome::Status(status, retry_after) => {
                if status != StatusCode::TOO_MANY_REQUESTS
                    && status != StatusCode::SERVICE_UNAVAILABLE
                {
                    return None;
                }
                retry_after.and_then(|v| parse_retry_after(v, SystemTime::now()))
            }
        };
        match retry_after {
            Some(wait) if wait > self.max_delay => None,
            Some(wait) => Some(wait),
            None => Some(jittered(self.ceiling(attempt))),
        }
    }

    /// The longest backoff before retry number `attempt`.
    fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max_delay)
    }
}

/// What an attempt ended with, as far as retrying cares.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Outcome<'a> {
    /// No connection could be made.
    ConnectFailed,
    /// The server answered with this status and `Retry-After`.
    Status(StatusCode, Option<&'a HeaderValue>),
}

/// `Retry-After` (RFC 9110 10.2.3): delay-seconds, or an HTTP date (a date
/// in the past means now).
pub(crate) fn parse_retry_after(value: &HeaderValue, now: SystemTime) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(text).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A random duration in `0..=ceiling` ("full jitter": clients that failed
/// together do not retry together).
fn jittered(ceiling: Duration) -> Duration {
    // std's RandomState is seeded randomly per process and differs per
    // instance: random enough for spreading retries, without a crate.
    let random = RandomState::new().build_hasher().finish();
    let nanos = ceiling.as_nanos().min(u128::from(u64::MAX)) as u64;
    Duration::from_nanos(random % nanos.saturating_add(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_idempotent_requests_on_connect_failures_429_and_503() {
        let r = Retry::new(2);
        assert!(r.delay(&Method::GET, 0, Outcome::ConnectFailed).is_some());
        assert!(r
            .delay(
                &Method::PUT,
                1,
                Outcome::Status(StatusCode::SERVICE_UNAVAILABLE, None)
            )
            .is_some());
        assert!(r
            .delay(
                &Method::GET,
                0,
                Outcome::Status(StatusCode::TOO_MANY_REQUESTS, None)
            )
            .is_some());
        assert!(r.delay(&Method::POST, 0, Outcome::ConnectFailed).is_none());
        assert!(r
            .delay(
                &Method::GET,
                0,
                Outcome::Status(StatusCode::INTERNAL_SERVER_ERROR, None)
            )
            .is_none());
        assert!(
            r.delay(&Method::GET, 2, Outcome::ConnectFailed).is_none(),
            "count bound"
        );
    }

    #[test]
    fn backoff_grows_and_is_capped_with_jitter_below_it() {
        let r = Retry::new(10).backoff(Duration::from_millis(100), Duration::from_secs(1));
        assert_eq!(r.ceiling(0), Duration::from_millis(100));
        assert_eq!(r.ceiling(2), Duration::from_millis(400));
        assert_eq!(r.ceiling(9), Duration::from_secs(1));
        assert_eq!(r.ceiling(40), Duration::from_secs(1));
        for attempt in 0..10 {
            let d = r
                .delay(&Method::GET, attempt, Outcome::ConnectFailed)
                .unwrap();
            assert!(d <= r.ceiling(attempt), "{d:?}");
        }
    }

    #[test]
    fn retry_after_is_seconds_or_a_date_and_bounded() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        let v = |s: &'static str| HeaderValue::from_static(s);
        assert_eq!(
            parse_retry_after(&v("120"), now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after(&v("Wed, 21 Oct 2015 07:30:00 GMT"), now),
            Some(Duration::from_secs(2 * 60))
        );
        assert_eq!(
            parse_retry_after(&v("Wed, 21 Oct 2015 07:00:00 GMT"), now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after(&v("soon"), now), None);
        let r = Retry::new(3).backoff(Duration::from_millis(10), Duration::from_secs(5));
        let wait = |s| {
            r.delay(
                &Method::GET,
                0,
                Outcome::Status(StatusCode::SERVICE_UNAVAILABLE, Some(&v(s))),
            )
        };
        assert_eq!(wait("2"), Some(Duration::from_secs(2)));
        assert_eq!(
            wait("6"),
            None,
            "more than max_delay: the 503 is the answer"
        );
    }
}
