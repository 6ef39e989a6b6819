//! nginx as the server of the HTTP rows: a tuned, well-known server that is
//! neither client's project, so the rows compare the clients rather than a
//! stand-in. The driver generates the whole setup in its output directory
//! (config, PKI, the bodies to serve) and never touches the system's nginx.
//!
//! One worker on the server core, keep-alive without a request limit, no
//! access log, plain HTTP and HTTPS (TLS 1.2 and 1.3, a CA made here) on two
//! free ports of 127.0.0.1. It serves the bodies `serve_posts` sends,
//! fetched from it at bench time so they are byte-identical:
//!
//! - `/posts/1` and `/posts`, uncompressed (gzip is off);
//! - `/gzip/posts`: `/posts` pre-compressed (`gzip_static`, so compressing
//!   costs the server nothing per request), sent to clients that accept gzip.
//!   Its requests, and only its, are logged (status, body bytes, encoding,
//!   TLS version), so the driver can tell that a client really received gzip.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

use crate::child::{command_works, pinned, terminate};
use crate::fetch::get;

/// The Content-Type nginx sends with every body, the one `serve_posts` sends.
pub const CONTENT_TYPE: &str = "application/json; charset=utf-8";
/// How long nginx may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How long [`Nginx::gzip_log_since`] waits for the lines it expects.
const LOG_TIMEOUT: Duration = Duration::from_secs(5);
/// A backstop: should the driver die without stopping nginx, `timeout`
/// stops it after two hours, as `serve_posts --max-seconds 7200` does.
const MAX_SECONDS: &str = "7200";

/// The nginx binary, if one runs: on the PATH, else where Debian puts it
/// (`/usr/sbin` is not on every user's PATH).
pub fn find() -> Option<PathBuf> {
    ["nginx", "/usr/sbin/nginx"]
        .map(PathBuf::from)
        .into_iter()
        .find(|p| command_works(Command::new(p).arg("-v")))
}

/// `nginx/1.22.1`, as `nginx -v` says (on stderr).
pub fn version(program: &Path) -> String {
    Command::new(program)
        .arg("-v")
        .output()
        .ok()
        .and_then(|o| {
            let text = String::from_utf8_lossy(&o.stderr).into_owned();
            Some(text.trim().strip_prefix("nginx version: ")?.to_owned())
        })
        .unwrap_or_else(|| "nginx".into())
}

/// The two bodies every HTTP row fetches.
pub struct Bodies {
    /// `/posts/1`: one post, ~300 bytes.
    pub post: Vec<u8>,
    /// `/posts`: the 100-post array, ~27 KB.
    pub posts: Vec<u8>,
}

/// A running nginx; stopped (SIGTERM, then reaped) when dropped.
pub struct Nginx {
    child: Child,
    pub http_url: String,
    pub https_url: String,
    /// The CA certificate (PEM) that signed nginx's certificate.
    pub ca_file: PathBuf,
    /// HTTPS offering HTTP/2 by ALPN (the other ports offer HTTP/1.1 only).
    pub h2_url: String,
    /// The base URL whose `/posts` comes gzip-compressed.
    pub gzip_url: String,
    gzip_log: PathBuf,
    error_log: PathBuf,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        terminate(&mut self.child);
    }
}

/// One logged response of `/gzip/posts`.
#[derive(Debug)]
pub struct Logged {
    pub status: u16,
    /// Body bytes sent: the compressed size when gzip was used.
    pub body_bytes: u64,
    /// The Content-Encoding sent, `-` for none.
    pub encoding: String,
    /// `TLSv1.3`, `TLSv1.2`, `-` for plain HTTP.
    pub tls: String,
}

impl Nginx {
    /// Writes the config, PKI and bodies into `dir` (emptied first) and starts
    /// `program` there, under `taskset -c core` if given; returns once both
    /// ports accept connections.
    pub fn start(
        program: &Path,
        dir: &Path,
        bodies: &Bodies,
        core: Option<&str>,
    ) -> Result<Nginx, String> {
        let io = |what: &str, e: std::io::Error| format!("{what} in {}: {e}", dir.display());
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(|e| io("emptying the nginx directory", e))?;
        }
        // nginx makes its temp directories itself, but not their parent.
        for sub in ["root", "tmp"] {
            std::fs::create_dir_all(dir.join(sub)).map_err(|e| io("mkdir", e))?;
        }
        // nginx reads relative paths from its prefix, not our directory.
        let dir = &dir.canonicalize().map_err(|e| io("canonicalize", e))?;
        let ca_file = dir.join("ca.pem");
        write_pki(dir, &ca_file)?;
        let root = dir.join("root");
        let gzipped = gzip(&bodies.posts).map_err(|e| io("compressing /posts", e))?;
        for (name, body) in [
            ("post-1.json", &bodies.post),
            ("posts.json", &bodies.posts),
            ("posts.json.gz", &gzipped),
        ] {
            std::fs::write(root.join(name), body).map_err(|e| io(name, e))?;
        }
        let [plain, tls, h2] = free_ports().map_err(|e| format!("finding free ports: {e}"))?;
        let conf = dir.join("nginx.conf");
        std::fs::write(&conf, config(dir, plain, tls, h2)).map_err(|e| io("nginx.conf", e))?;

        let error_log = dir.join("error.log");
        let mut cmd = pinned(core.is_some(), core.unwrap_or(""), Path::new("timeout"));
        cmd.arg(MAX_SECONDS)
            .arg(program)
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(&conf)
            // Where errors go before the config is read (the default is
            // /var/log/nginx, which a non-root user may not open).
            .arg("-e")
            .arg(&error_log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = cmd
            .spawn()
            .map_err(|e| format!("starting {}: {e}", program.display()))?;
        let mut nginx = Nginx {
            child,
            http_url: format!("http://127.0.0.1:{plain}"),
            https_url: format!("https://127.0.0.1:{tls}"),
            h2_url: format!("https://127.0.0.1:{h2}"),
            gzip_url: format!("https://127.0.0.1:{tls}/gzip"),
            ca_file,
            gzip_log: dir.join("gzip.log"),
            error_log,
        };
        nginx.wait_listening([plain, tls, h2])?;
        Ok(nginx)
    }

    /// Waits until nginx accepts on `ports`; fails with its error log if it exits.
    fn wait_listening(&mut self, ports: [u16; 3]) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("nginx exited ({status}): {}", self.errors()));
            }
            let listening = ports.iter().all(|&port| {
                let addr = SocketAddr::from(([127, 0, 0, 1], port));
                TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok()
            });
            if listening {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "nginx did not listen within {} s: {}",
                    START_TIMEOUT.as_secs(),
                    self.errors()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Checks that nginx serves `bodies` byte for byte, with serve_posts'
    /// Content-Type, on both ports, and `/posts` gzip-compressed under
    /// [`Nginx::gzip_url`] (aio's client accepts gzip and decodes it).
    pub fn check(&self, bodies: &Bodies) -> Result<(), String> {
        let logged_before = self.gzip_log_len();
        let ca = Some(self.ca_file.as_path());
        for (url, ca, want) in [
            (format!("{}/posts/1", self.http_url), None, &bodies.post),
            (format!("{}/posts", self.http_url), None, &bodies.posts),
            (format!("{}/posts/1", self.https_url), ca, &bodies.post),
            (format!("{}/posts", self.gzip_url), ca, &bodies.posts),
        ] {
            let got = get(&url, ca).map_err(|e| format!("GET {url} from nginx: {e}"))?;
            if got.status != 200 || got.content_type != CONTENT_TYPE || got.body != *want {
                return Err(format!(
                    "GET {url} from nginx: status {}, Content-Type {:?}, {} bytes{}; \
                     expected 200, {CONTENT_TYPE:?} and serve_posts' {} bytes. {}",
                    got.status,
                    got.content_type,
                    got.body.len(),
                    if got.body == *want {
                        ""
                    } else {
                        " (differing)"
                    },
                    want.len(),
                    self.errors()
                ));
            }
        }
        match self.gzip_log_since(logged_before, 1)?.as_slice() {
            [one] if one.is_gzip_over_tls13() => Ok(()),
            other => Err(format!(
                "nginx's gzip log shows {other:?} for one GET of /gzip/posts, \
                 not one gzip response over TLS 1.3"
            )),
        }
    }

    /// The error log, for messages.
    pub fn errors(&self) -> String {
        let text = std::fs::read_to_string(&self.error_log).unwrap_or_default();
        format!("{} says: {}", self.error_log.display(), text.trim())
    }

    /// How far the gzip log is written; pass it to [`Nginx::gzip_log_since`].
    pub fn gzip_log_len(&self) -> u64 {
        std::fs::metadata(&self.gzip_log).map_or(0, |m| m.len())
    }

    /// The `/gzip/posts` responses logged after `offset`, once there are
    /// `want` of them, or what is there after [`LOG_TIMEOUT`]. nginx writes
    /// a response's line after sending the response, so a client can hold
    /// the whole body before the line is there (seen on a loaded machine:
    /// the start-up check found an empty log, and the HTTP rows ran
    /// without nginx).
    pub fn gzip_log_since(&self, offset: u64, want: usize) -> Result<Vec<Logged>, String> {
        let deadline = Instant::now() + LOG_TIMEOUT;
        loop {
            let text = std::fs::read(&self.gzip_log)
                .map_err(|e| format!("reading {}: {e}", self.gzip_log.display()))?;
            let start = usize::try_from(offset).map_or(text.len(), |o| o.min(text.len()));
            // Whole lines only: a line being written has no newline yet.
            let end = text[start..]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(start, |i| start + i + 1);
            let logged = parse_log(&String::from_utf8_lossy(&text[start..end]))?;
            if logged.len() >= want || Instant::now() >= deadline {
                return Ok(logged);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Logged {
    /// What both clients must get from `/gzip/posts`: 200, gzip, and TLS 1.3
    /// (they could fall back to 1.2; the row compares them on the same one).
    pub fn is_gzip_over_tls13(&self) -> bool {
        self.status == 200 && self.encoding == "gzip" && self.tls == "TLSv1.3"
    }
}

/// The lines of the gzip log (`log_format wire`).
fn parse_log(text: &str) -> Result<Vec<Logged>, String> {
    text.lines()
        .map(|line| {
            let bad = || format!("unexpected line in the gzip log: {line:?}");
            let mut fields = line.split(' ');
            let (Some(status), Some(bytes), Some(encoding), Some(tls), None) = (
                fields.next(),
                fields.next(),
                fields.next(),
                fields.next(),
                fields.next(),
            ) else {
                return Err(bad());
            };
            Ok(Logged {
                status: status.parse().map_err(|_| bad())?,
                body_bytes: bytes.parse().map_err(|_| bad())?,
                encoding: encoding.to_owned(),
                tls: tls.to_owned(),
            })
        })
        .collect()
}

/// Three ports free right now (held together so they differ). nginx binds
/// them a moment later; should another process win that race, nginx fails
/// to start and says so.
fn free_ports() -> std::io::Result<[u16; 3]> {
    let held = [
        TcpListener::bind("127.0.0.1:0")?,
        TcpListener::bind("127.0.0.1:0")?,
        TcpListener::bind("127.0.0.1:0")?,
    ];
    let port = |l: &TcpListener| l.local_addr().map(|a| a.port());
    Ok([port(&held[0])?, port(&held[1])?, port(&held[2])?])
}

/// The whole nginx configuration of one run.
fn config(dir: &Path, plain: u16, tls: u16, h2: u16) -> String {
    let d = dir.display();
    format!(
        r#"# Generated by the aio bench driver (bench/src/bin/driver/nginx.rs) for one
# run; see BENCHMARKS.md.
daemon off;
worker_processes 1;
pid "{d}/nginx.pid";
error_log "{d}/error.log" warn;

events {{
    worker_connections 1024;
}}

http {{
    access_log off;
    client_body_temp_path "{d}/tmp/client_body";
    proxy_temp_path "{d}/tmp/proxy";
    fastcgi_temp_path "{d}/tmp/fastcgi";
    uwsgi_temp_path "{d}/tmp/uwsgi";
    scgi_temp_path "{d}/tmp/scgi";

    types {{}}
    default_type "{CONTENT_TYPE}";
    sendfile on;
    open_file_cache max=16 inactive=1h;
    open_file_cache_valid 1h;
    # Connections live as long as the clients keep them.
    keepalive_requests 1000000000;
    keepalive_timeout 3600s;

    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_certificate "{d}/cert.pem";
    ssl_certificate_key "{d}/key.pem";

    log_format wire '$status $body_bytes_sent $sent_http_content_encoding $ssl_protocol';

    server {{
        listen 127.0.0.1:{plain};
        listen 127.0.0.1:{tls} ssl;
        # The h2 rows: ALPN offers h2 here only, so every other row stays
        # on HTTP/1.1 whatever the clients offer.
        listen 127.0.0.1:{h2} ssl http2;

        location = /posts/1 {{
            alias "{d}/root/post-1.json";
        }}
        location = /posts {{
            alias "{d}/root/posts.json";
        }}
        # posts.json.gz to clients that accept gzip.
        location = /gzip/posts {{
            alias "{d}/root/posts.json";
            gzip_static on;
            access_log "{d}/gzip.log" wire;
        }}
        location / {{
            return 404;
        }}
    }}
}}
"#
    )
}

/// A CA (written to `ca_file` for the clients) and a certificate it signed
/// for 127.0.0.1, with its key, for nginx.
fn write_pki(dir: &Path, ca_file: &Path) -> Result<(), String> {
    let pki = |e: rcgen::Error| format!("making nginx's certificates: {e}");
    let mut ca = CertificateParams::default();
    ca.distinguished_name
        .push(DnType::CommonName, "aio bench nginx CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().map_err(pki)?).map_err(pki)?;

    let names = ["127.0.0.1", "localhost"].map(String::from).to_vec();
    let mut leaf = CertificateParams::new(names).map_err(pki)?;
    leaf.distinguished_name
        .push(DnType::CommonName, "aio bench nginx");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate().map_err(pki)?;
    let cert = leaf.signed_by(&key, &ca).map_err(pki)?;

    for (path, pem) in [
        (ca_file.to_owned(), ca.pem()),
        (dir.join("cert.pem"), cert.pem()),
        (dir.join("key.pem"), key.serialize_pem()),
    ] {
        std::fs::write(&path, pem).map_err(|e| format!("writing {}: {e}", path.display()))?;
    }
    Ok(())
}

fn gzip(data: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data)?;
    encoder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_parse_and_bad_ones_are_named() {
        let logged = parse_log("200 6741 gzip TLSv1.3\n200 32299 - TLSv1.2\n").unwrap();
        assert_eq!(logged.len(), 2);
        assert!(logged[0].is_gzip_over_tls13());
        assert_eq!(logged[0].body_bytes, 6741);
        assert!(!logged[1].is_gzip_over_tls13());
        let err = parse_log("200 6741 gzip\n").unwrap_err();
        assert!(err.contains("\"200 6741 gzip\""), "{err}");
    }
}
