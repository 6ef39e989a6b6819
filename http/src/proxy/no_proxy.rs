//! The `NO_PROXY` list: which hosts go direct, read as curl reads it.
//!
//! Entries are separated by commas and/or blanks. A name matches itself and
//! every name under it (`example.com` and `.example.com` both match
//! `example.com` and `www.example.com`, not `notexample.com`); an address
//! or CIDR block matches URLs whose host is an address in it; `:port`
//! narrows an entry to one port; `*` matches everything. Beyond curl: a
//! leading `*.` reads like a leading dot, and entries may carry a port.

use std::fmt;
use std::net::IpAddr;

/// A parsed `NO_PROXY` list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct NoProxy {
    /// `*` was listed.
    everything: bool,
    entries: Vec<Entry>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Entry {
    /// A name and the names under it: lower case, no leading or trailing dot.
    Domain { name: String, port: Option<u16> },
    /// The addresses whose first `prefix` bits are `addr`'s.
    Net {
        addr: IpAddr,
        prefix: u8,
        port: Option<u16>,
    },
}

/// An entry that is neither a name, an address, a block nor `*`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BadEntry {
    entry: String,
    why: &'static str,
}

impl fmt::Display for BadEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "entry \"{}\" {}", self.entry.escape_debug(), self.why)
    }
}

impl NoProxy {
    pub(crate) fn parse(list: &str) -> Result<NoProxy, BadEntry> {
        let mut no_proxy = NoProxy::default();
        for token in list.split(|c: char| c == ',' || c.is_ascii_whitespace()) {
            if token.is_empty() {
                continue;
            }
            if token == "*" {
                no_proxy.everything = true;
                continue;
            }
            let bad = |why| BadEntry {
                entry: token.to_owned(),
                why,
            };
            no_proxy.entries.push(parse_entry(token).map_err(bad)?);
        }
        Ok(no_proxy)
    }

    /// Whether a request to `host:port` goes direct; `host` as in a URL (a
    /// lower-case name, an IPv4 address, or an IPv6 one in brackets).
    pub(crate) fn matches(&self, host: &str, port: u16) -> bool {
        if self.everything {
            return true;
        }
        let bare = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let ip = bare.parse::<IpAddr>().ok();
        let name = host.strip_suffix('.').unwrap_or(host);
        self.entries.iter().any(|entry| match entry {
            Entry::Domain {
                name: entry,
                port: p,
            } => ip.is_none() && port_fits(*p, port) && is_within(name, entry),
            Entry::Net {
                addr,
                prefix,
                port: p,
            } => port_fits(*p, port) && ip.is_some_and(|ip| in_block(ip, *addr, *prefix)),
        })
    }
}

/// An entry without a port covers every port.
fn port_fits(entry: Option<u16>, port: u16) -> bool {
    entry.map_or(true, |p| p == port)
}

/// Whether `name` is `domain` or a name under it, case aside.
fn is_within(name: &str, domain: &str) -> bool {
    let (name, domain) = (name.as_bytes(), domain.as_bytes());
    match name.len().checked_sub(domain.len()) {
        Some(0) => name.eq_ignore_ascii_case(domain),
        Some(at) => name[at - 1] == b'.' && name[at..].eq_ignore_ascii_case(domain),
        None => false,
    }
}

/// One entry other than `*`.
fn parse_entry(token: &str) -> Result<Entry, &'static str> {
    // `[v6]`, `[v6]:port`, `[v6/bits]`.
    if let Some(rest) = token.strip_prefix('[') {
        let (inside, after) = rest.split_once(']').ok_or("has no closing ']'")?;
        let port = match after {
            "" => None,
            _ => Some(parse_port(
                after.strip_prefix(':').ok_or("has text after ']'")?,
            )?),
        };
        let (addr, prefix) = parse_net(inside)?;
        return Ok(Entry::Net { addr, prefix, port });
    }
    if token.contains('/') {
        let (addr, prefix) = parse_net(token)?;
        return Ok(Entry::Net {
            addr,
            prefix,
            port: None,
        });
    }
    if let Ok(addr) = token.parse::<IpAddr>() {
        return Ok(Entry::Net {
            addr,
            prefix: full_prefix(addr),
            port: None,
        });
    }
    // More than one colon outside brackets and not an address: nothing.
    let (host, port) = match token.split_once(':') {
        Some((_, port)) if port.contains(':') => return Err("is not a valid IPv6 address"),
        Some((host, port)) => (host, Some(parse_port(port)?)),
        None => (token, None),
    };
    if let Ok(addr) = host.parse::<IpAddr>() {
        return Ok(Entry::Net {
            addr,
            prefix: full_prefix(addr),
            port,
        });
    }
    let name = host
        .strip_prefix("*.")
        .or_else(|| host.strip_prefix('.'))
        .unwrap_or(host);
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() {
        return Err("has no host name");
    }
    Ok(Entry::Domain {
        name: name.to_ascii_lowercase(),
        port,
    })
}

/// `addr` or `addr/bits`.
fn parse_net(text: &str) -> Result<(IpAddr, u8), &'static str> {
    let (addr, bits) = match text.split_once('/') {
        Some((addr, bits)) => (addr, Some(bits)),
        None => (text, None),
    };
    let addr: IpAddr = addr
        .parse()
        .map_err(|_| "is not an IP address or CIDR block")?;
    let prefix = match bits {
        None => full_prefix(addr),
        Some(bits) => match bits.parse::<u8>() {
            Ok(n) if n <= full_prefix(addr) => n,
            _ => return Err("has a CIDR prefix length out of range"),
        },
    };
    Ok((addr, prefix))
}

fn parse_port(text: &str) -> Result<u16, &'static str> {
    text.parse().map_err(|_| "has an invalid port")
}

fn full_prefix(addr: IpAddr) -> u8 {
    match addr {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

/// Whether the first `prefix` bits of `ip` are those of `net` (same family).
fn in_block(ip: IpAddr, net: IpAddr, prefix: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            (u32::from(ip) ^ u32::from(net)) & mask == 0
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            (u128::from(ip) ^ u128::from(net)) & mask == 0
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(list: &str, host: &str, port: u16) -> bool {
        NoProxy::parse(list).unwrap().matches(host, port)
    }

    #[test]
    fn names_match_themselves_and_names_under_them() {
        for list in [
            "example.com",
            ".example.com",
            "*.example.com",
            "EXAMPLE.com.",
        ] {
            assert!(matches(list, "example.com", 80), "{list}");
            assert!(matches(list, "www.example.com", 443), "{list}");
            assert!(matches(list, "a.b.example.com.", 443), "{list}");
            assert!(!matches(list, "notexample.com", 80), "{list}");
            assert!(!matches(list, "example.com.evil", 80), "{list}");
            assert!(!matches(list, "com", 80), "{list}");
        }
        // A name never covers an address, nor an address a name.
        assert!(!matches("localhost", "127.0.0.1", 80));
        assert!(!matches("127.0.0.1", "localhost", 80));
    }

    #[test]
    fn addresses_and_blocks_match_addresses() {
        assert!(matches("127.0.0.1", "127.0.0.1", 80));
        assert!(!matches("127.0.0.1", "127.0.0.2", 80));
        assert!(matches("10.0.0.0/8", "10.200.3.4", 80));
        assert!(!matches("10.0.0.0/8", "11.0.0.1", 80));
        assert!(matches("192.168.1.0/24", "192.168.1.255", 80));
        assert!(!matches("192.168.1.0/24", "192.168.2.0", 80));
        assert!(matches("0.0.0.0/0", "8.8.8.8", 80));
        assert!(!matches("0.0.0.0/0", "[::1]", 80), "families never mix");
        assert!(matches("::1", "[::1]", 80));
        assert!(matches("[::1]", "[::1]", 80));
        assert!(matches("fd00::/8", "[fd12:3456::1]", 80));
        assert!(!matches("fd00::/8", "[fe80::1]", 80));
        assert!(matches("[fe80::/10]", "[fe80::1]", 80));
        assert!(!matches("::1", "127.0.0.1", 80));
    }

    #[test]
    fn a_port_narrows_an_entry() {
        assert!(matches("example.com:8080", "api.example.com", 8080));
        assert!(!matches("example.com:8080", "api.example.com", 80));
        assert!(matches("127.0.0.1:8080", "127.0.0.1", 8080));
        assert!(!matches("127.0.0.1:8080", "127.0.0.1", 8081));
        assert!(matches("[::1]:443", "[::1]", 443));
        assert!(!matches("[::1]:443", "[::1]", 80));
    }

    #[test]
    fn lists_split_on_commas_and_blanks_and_star_is_everything() {
        let list = " localhost ,, 10.0.0.0/8\t.internal  ";
        assert!(matches(list, "localhost", 80));
        assert!(matches(list, "10.1.1.1", 80));
        assert!(matches(list, "db.internal", 5432));
        assert!(!matches(list, "example.com", 80));
        assert!(matches("*", "example.com", 80));
        assert!(matches("example.org, *", "[::1]", 80));
        assert!(!matches("", "example.com", 80));
        assert_eq!(NoProxy::parse(" , ").unwrap(), NoProxy::default());
    }

    #[test]
    fn malformed_entries_are_named() {
        let bad = |list: &str| NoProxy::parse(list).unwrap_err().to_string();
        assert_eq!(
            bad("ok, 10.0.0.0/33"),
            "entry \"10.0.0.0/33\" has a CIDR prefix length out of range"
        );
        assert_eq!(
            bad("fd00::/129"),
            "entry \"fd00::/129\" has a CIDR prefix length out of range"
        );
        assert_eq!(bad("host:http"), "entry \"host:http\" has an invalid port");
        assert_eq!(
            bad("example.com/24"),
            "entry \"example.com/24\" is not an IP address or CIDR block"
        );
        assert_eq!(bad("[::1"), "entry \"[::1\" has no closing ']'");
        assert_eq!(bad("[::1]x"), "entry \"[::1]x\" has text after ']'");
        assert_eq!(
            bad("fe80::zz"),
            "entry \"fe80::zz\" is not a valid IPv6 address"
        );
        assert_eq!(bad("."), "entry \".\" has no host name");
    }
}
