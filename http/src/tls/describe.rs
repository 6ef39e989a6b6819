//! Turning handshake failures into messages a user can act on.

use std::io;
use std::net::IpAddr;

use rustls::{CertificateError, Error};
use rustls_pki_types::{ServerName, UnixTime};

/// The [`rustls::Error`] inside an `io::Error` returned by this module's
/// streams (handshake and record errors carry it as their inner error).
///
/// ```
/// # let cert = rcgen::generate_simple_self_signed(["127.0.0.1".to_owned()]).unwrap();
/// # let (cert_pem, key_pem) = (cert.cert.pem(), cert.signing_key.serialize_pem());
/// # let url = aio::http::doc_support::serve_tls(&cert_pem, &key_pem, &["200 OK"]);
/// # let addr = url.trim_start_matches("https://").to_owned();
/// use aio::http::tls;
/// use rustls::{CertificateError, Error};
///
/// aio::run(async {
///     // The server at `addr` presents a certificate no trusted root signed.
///     let tcp = aio::net::TcpStream::connect(&addr).await?;
///     let config = tls::default_client_config().unwrap();
///     let name = tls::server_name("127.0.0.1").unwrap();
///     let err = tls::connect(config, name, tcp).await.unwrap_err();
///     let unknown_issuer = Error::InvalidCertificate(CertificateError::UnknownIssuer);
///     assert_eq!(tls::rustls_error(&err), Some(&unknown_issuer));
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub fn rustls_error(e: &io::Error) -> Option<&Error> {
    e.get_ref()?.downcast_ref::<Error>()
}

/// [`describe_tls_error`] for the rustls error inside `e`, else `e`'s own
/// message.
///
/// ```
/// # let cert = rcgen::generate_simple_self_signed(["127.0.0.1".to_owned()]).unwrap();
/// # let (cert_pem, key_pem) = (cert.cert.pem(), cert.signing_key.serialize_pem());
/// # let url = aio::http::doc_support::serve_tls(&cert_pem, &key_pem, &["200 OK"]);
/// # let addr = url.trim_start_matches("https://").to_owned();
/// use aio::http::tls::{self, TlsOptions};
///
/// aio::run(async {
///     // The server at `addr` presents a trusted certificate for 127.0.0.1,
///     // and the client asks for another name.
///     let mut options = TlsOptions::default();
///     options.add_root_pem(cert_pem.as_bytes());
///     let config = tls::client_config(&options).unwrap();
///     let tcp = aio::net::TcpStream::connect(&addr).await?;
///     let name = tls::server_name("localhost").unwrap();
///     let err = tls::connect(config, name, tcp).await.unwrap_err();
///     assert_eq!(
///         tls::describe_io_error(&err),
///         "certificate is not valid for name localhost (it is valid for 127.0.0.1)"
///     );
///     let other = std::io::Error::other("connection reset");
///     assert_eq!(tls::describe_io_error(&other), "connection reset");
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub fn describe_io_error(e: &io::Error) -> String {
    match rustls_error(e) {
        Some(tls) => describe_tls_error(tls),
        None => e.to_string(),
    }
}

/// Says what was wrong with a failed TLS handshake, in words:
///
/// - `certificate has expired (...)`
/// - `certificate is not valid for name X (...)`
/// - `certificate signed by unknown issuer (not in the trusted roots)`
/// - `certificate is not valid yet (...)`
///
/// and rustls's own message for anything else.
///
/// ```
/// use aio::http::tls::describe_tls_error;
/// use rustls::{CertificateError, Error};
///
/// let e = Error::InvalidCertificate(CertificateError::UnknownIssuer);
/// assert_eq!(
///     describe_tls_error(&e),
///     "certificate signed by unknown issuer (not in the trusted roots)"
/// );
/// ```
pub fn describe_tls_error(e: &Error) -> String {
    match e {
        Error::InvalidCertificate(cert) => {
            describe_certificate_error(cert).unwrap_or_else(|| e.to_string())
        }
        _ => e.to_string(),
    }
}

fn describe_certificate_error(e: &CertificateError) -> Option<String> {
    let text = match e {
        CertificateError::Expired => "certificate has expired".to_owned(),
        CertificateError::ExpiredContext { time, not_after } => format!(
            "certificate has expired (valid until {}, current time {})",
            format_utc(*not_after),
            format_utc(*time)
        ),
        CertificateError::NotValidYet => "certificate is not valid yet".to_owned(),
        CertificateError::NotValidYetContext { time, not_before } => format!(
            "certificate is not valid yet (valid from {}, current time {})",
            format_utc(*not_before),
            format_utc(*time)
        ),
        CertificateError::NotValidForName => {
            "certificate is not valid for the requested name".to_owned()
        }
        CertificateError::NotValidForNameContext {
            expected,
            presented,
        } => {
            let names = if presented.is_empty() {
                "it names no hosts".to_owned()
            } else {
                let names: Vec<&str> = presented.iter().map(|n| presented_name(n)).collect();
                format!("it is valid for {}", names.join(", "))
            };
            format!(
                "certificate is not valid for name {} ({names})",
                server_name_text(expected)
            )
        }
        CertificateError::UnknownIssuer => {
            "certificate signed by unknown issuer (not in the trusted roots)".to_owned()
        }
        _ => return None,
    };
    Some(text)
}

/// webpki reports the certificate's names in their `Debug` form
/// (`DnsName("a.example")`, `IpAddress(127.0.0.1)`); show just the name.
fn presented_name(debug: &str) -> &str {
    debug
        .strip_prefix("DnsName(\"")
        .and_then(|n| n.strip_suffix("\")"))
        .or_else(|| {
            debug
                .strip_prefix("IpAddress(")
                .and_then(|n| n.strip_suffix(')'))
        })
        .unwrap_or(debug)
}

fn server_name_text(name: &ServerName<'_>) -> String {
    match name {
        ServerName::DnsName(dns) => dns.as_ref().to_owned(),
        ServerName::IpAddress(ip) => IpAddr::from(*ip).to_string(),
        other => other.to_str().into_owned(),
    }
}

/// `YYYY-MM-DD HH:MM:SS UTC` for a certificate validity time.
fn format_utc(time: UnixTime) -> String {
    let secs = time.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (days are never
/// negative here: `UnixTime` is unsigned). Works in 400-year eras, each
/// exactly 146 097 days, with years starting on March 1 so the leap day is
/// last.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468; // shift the epoch to 0000-03-01
    let era = z / 146_097;
    let doe = z % 146_097; // day of era, 0..146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // 0..399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of year from March 1
    let mp = (5 * doy + 2) / 153; // month from March, 0..11
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presented_names_lose_their_debug_wrapping() {
        assert_eq!(presented_name("DnsName(\"a.example\")"), "a.example");
        assert_eq!(presented_name("IpAddress(127.0.0.1)"), "127.0.0.1");
        assert_eq!(presented_name("Unsupported(0x87)"), "Unsupported(0x87)");
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(59), (1970, 3, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(
            format_utc(UnixTime::since_unix_epoch(std::time::Duration::from_secs(
                951_782_400 + 3_661
            ))),
            "2000-02-29 01:01:01 UTC"
        );
    }
}
