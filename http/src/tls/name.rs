//! The name a server's certificate is verified against (and sent as SNI).

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

use rustls_pki_types::ServerName;

/// A host that is neither a valid DNS name nor an IP address.
///
/// ```
/// let err = aio::http::tls::server_name("exa mple.com").unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     r#""exa mple.com" is not a valid TLS server name (expected a DNS name or an IP address)"#
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidServerName {
    host: String,
}

impl InvalidServerName {
    /// The rejected host, as given.
    ///
    /// ```
    /// let err = aio::http::tls::server_name("under_score!").unwrap_err();
    /// assert_eq!(err.host(), "under_score!");
    /// ```
    pub fn host(&self) -> &str {
        &self.host
    }
}

impl fmt::Display for InvalidServerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a valid TLS server name (expected a DNS name or an IP address)",
            self.host
        )
    }
}

impl std::error::Error for InvalidServerName {}

/// The server name for a URL host string: a DNS name, an IPv4 address, or an
/// IPv6 address with or without URL brackets (`[::1]`). IP addresses are
/// verified against the certificate's IP SANs; DNS names against its DNS
/// SANs. A trailing dot (`example.com.`) is dropped, as certificates never
/// carry it.
///
/// ```
/// use aio::http::tls::server_name;
/// use rustls_pki_types::ServerName;
///
/// let name = server_name("example.com.").unwrap();
/// assert_eq!(name.to_str(), "example.com");
/// let ip = server_name("[::1]").unwrap();
/// assert!(matches!(ip, ServerName::IpAddress(_)));
/// ```
pub fn server_name(host: &str) -> Result<ServerName<'static>, InvalidServerName> {
    let invalid = || InvalidServerName {
        host: host.to_owned(),
    };
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        let ip: Ipv6Addr = inner.parse().map_err(|_| invalid())?;
        return Ok(ServerName::from(IpAddr::V6(ip)));
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(ServerName::from(ip));
    }
    let dns = host.strip_suffix('.').unwrap_or(host);
    ServerName::try_from(dns)
        .map(|name| name.to_owned())
        .map_err(|_| invalid())
}

/// The server name for a parsed URL host (`url::Url::host()`).
///
/// ```
/// use aio::http::{tls, Url};
///
/// let url = Url::parse("https://[::1]:8443/health").unwrap();
/// let name = tls::server_name_for_host(&url.host().unwrap()).unwrap();
/// assert_eq!(name.to_str(), "::1");
/// ```
pub fn server_name_for_host<S: AsRef<str>>(
    host: &url::Host<S>,
) -> Result<ServerName<'static>, InvalidServerName> {
    match host {
        url::Host::Domain(domain) => server_name(domain.as_ref()),
        url::Host::Ipv4(ip) => Ok(ServerName::from(IpAddr::V4(*ip))),
        url::Host::Ipv6(ip) => Ok(ServerName::from(IpAddr::V6(*ip))),
    }
}
