//! `build_weight`: what building the `count_posts` program costs a user,
//! with aio and with reqwest. Each is a tiny crate the driver writes under
//! `<out>/build-weight/<candidate>/` (its own workspace, its own fresh
//! target directory) from the sources the other rows run:
//!
//! - aio: `examples/count_posts.rs` and `examples/common/mod.rs`, on `aio`
//!   (a path dependency to the repository root, its default features: the
//!   `gzip` (with deflate), `brotli` and `zstd` decoders, no cookie jar)
//!   and serde with `derive`;
//! - reqwest: `bench/src/bin/reqwest_count_posts.rs`, on reqwest 0.12 with
//!   the features that match aio's defaults ([`REQWEST_MATCHING`]: rustls,
//!   JSON, charsets, the same four codings and HTTP/2; no default features,
//!   no cookies), tokio (`rt`, `macros`) and serde with `derive`.
//!
//! A feature both clients have but neither has by default goes in
//! [`BOTH_EXTRA`], so the two stay matched.
//!
//! The lock file is resolved and the sources downloaded first, untimed; then
//! one `cargo build --release --offline` is timed: wall time, and the CPU
//! time of cargo and everything it ran (rustc, build scripts, the linker).
//! It also reports the packages in the lock file (every platform's) and
//! those built here (`cargo tree`, normal and build dependencies on this
//! host), the program itself and, for aio, its workspace crates included,
//! and the size of the binary, which it runs once against the HTTPS server
//! to be sure it works.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::child::run_child;

/// A release build from nothing of reqwest's tree takes minutes on two
/// busy cores.
const BUILD_TIMEOUT: Duration = Duration::from_secs(3600);
/// Resolving and downloading: the network may be slow.
const FETCH_TIMEOUT: Duration = Duration::from_secs(900);
/// Running the built program once.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// reqwest's features matching aio's default ones: TLS by rustls, `json`,
/// `charset` (aio's `text()` always decodes the declared charset with
/// encoding_rs, as reqwest's does with this feature), HTTP/2, and the four
/// content codings aio's `gzip`, `brotli` and `zstd` features decode.
/// reqwest's `zstd` decodes with the `zstd` crate, which compiles the C
/// zstd library (zstd-sys, by cc) where aio's uses ruzstd (pure Rust): a
/// heavier build, but still the matching feature.
const REQWEST_MATCHING: &[&str] = &[
    "rustls-tls",
    "json",
    "charset",
    "gzip",
    "deflate",
    "brotli",
    "zstd",
    "http2",
];

/// Features turned on in both programs beyond the above (each name must
/// exist in both crates).
const BOTH_EXTRA: &[&str] = &[];

/// A TOML array of strings.
fn toml_list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|f| format!("{f:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

/// One program to build: its manifest's dependencies and where its sources
/// come from (path in the new crate, path in the repository).
struct Program {
    dependencies: String,
    sources: Vec<(&'static str, PathBuf)>,
}

fn program(root: &Path, candidate: &str) -> Result<Program, String> {
    match candidate {
        "aio" => Ok(Program {
            // A TOML basic string is a JSON string for every character a
            // path holds (quotes and backslashes escaped alike).
            dependencies: format!(
                "aio = {{ path = {}, features = {} }}\n\
                 serde = {{ version = \"1\", features = [\"derive\"] }}\n",
                serde_json::Value::from(root.to_string_lossy()),
                toml_list(BOTH_EXTRA)
            ),
            sources: vec![
                ("src/main.rs", root.join("examples/count_posts.rs")),
                ("src/common/mod.rs", root.join("examples/common/mod.rs")),
            ],
        }),
        "reqwest" => Ok(Program {
            dependencies: format!(
                "reqwest = {{ version = \"0.12\", default-features = false, features = {} }}\n\
                 tokio = {{ version = \"1\", features = [\"rt\", \"macros\"] }}\n\
                 serde = {{ version = \"1\", features = [\"derive\"] }}\n",
                toml_list(&[REQWEST_MATCHING, BOTH_EXTRA].concat())
            ),
            sources: vec![(
                "src/main.rs",
                root.join("bench/src/bin/reqwest_count_posts.rs"),
            )],
        }),
        other => Err(format!("build_weight has no program for {other}")),
    }
}

/// Writes, builds, measures and runs `candidate`'s program; `server` is the
/// HTTPS base URL and the CA file its run trusts.
pub fn measure(
    root: &Path,
    out: &Path,
    candidate: &str,
    server: (&str, &Path),
) -> Result<BTreeMap<String, f64>, String> {
    let program = program(root, candidate)?;
    let dir = out.join("build-weight").join(candidate);
    let io = |what: &Path, e: std::io::Error| format!("{}: {e}", what.display());
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| io(&dir, e))?;
    }
    let manifest = format!(
        "# Written by the aio bench driver (build_weight); rebuilt from scratch each run.\n\
         [package]\nname = \"count_posts\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         # Its own workspace, whatever encloses this directory.\n[workspace]\n\n\
         [dependencies]\n{}",
        program.dependencies
    );
    let mut files = vec![("Cargo.toml", manifest.into_bytes())];
    for (to, from) in &program.sources {
        files.push((to, std::fs::read(from).map_err(|e| io(from, e))?));
    }
    for (to, text) in files {
        let path = dir.join(to);
        std::fs::create_dir_all(path.parent().expect("a file in the crate"))
            .map_err(|e| io(&path, e))?;
        std::fs::write(&path, text).map_err(|e| io(&path, e))?;
    }

    let target = dir.join("target");
    let cargo = |args: &[&str]| {
        let mut cmd = Command::new("cargo");
        cmd.args(args)
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", &target);
        cmd
    };
    // Resolve and download untimed: the figure is the build, not the network.
    // Offline, cargo resolves from what earlier builds downloaded.
    run_child(&mut cargo(&["generate-lockfile"]), FETCH_TIMEOUT)
        .or_else(|_| {
            run_child(
                &mut cargo(&["generate-lockfile", "--offline"]),
                FETCH_TIMEOUT,
            )
        })
        .map_err(|e| format!("resolving the dependencies: {e}"))?;
    run_child(&mut cargo(&["fetch"]), FETCH_TIMEOUT)
        .map_err(|e| format!("downloading the dependencies: {e}"))?;
    let built = run_child(
        &mut cargo(&["build", "--release", "--offline", "--quiet"]),
        BUILD_TIMEOUT,
    )
    .map_err(|e| format!("building: {e}"))?;

    let lock = dir.join("Cargo.lock");
    let packages = std::fs::read_to_string(&lock)
        .map_err(|e| io(&lock, e))?
        .lines()
        .filter(|l| l.trim() == "[[package]]")
        .count();
    // The lock lists every platform's dependencies (windows-sys and co);
    // `cargo tree` on this host's normal and build edges lists what was built.
    let tree = run_child(
        &mut cargo(&[
            "tree",
            "--offline",
            "--edges",
            "normal,build",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ]),
        RUN_TIMEOUT,
    )
    .map_err(|e| format!("cargo tree: {e}"))?;
    let built_packages = tree
        .stdout
        .lines()
        .map(|l| l.trim_end_matches(" (*)"))
        .filter(|l| !l.is_empty())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let binary = target.join("release/count_posts");
    let size = std::fs::metadata(&binary)
        .map_err(|e| io(&binary, e))?
        .len();

    let (url, ca_file) = server;
    let ran = run_child(
        Command::new(&binary)
            .env("JSONPLACEHOLDER_URL", url)
            .env("SSL_CERT_FILE", ca_file)
            .env_remove("SSL_CERT_DIR"),
        RUN_TIMEOUT,
    )
    .map_err(|e| format!("running {}: {e}", binary.display()))?;
    if ran.stdout.trim() != "Total posts: 100" {
        return Err(format!(
            "{} printed {:?}, not \"Total posts: 100\"",
            binary.display(),
            ran.stdout
        ));
    }

    Ok(BTreeMap::from([
        ("wall_s".to_owned(), built.wall.as_secs_f64()),
        ("cpu_s".to_owned(), built.cpu.as_secs_f64()),
        ("packages".to_owned(), packages as f64),
        ("packages_built".to_owned(), built_packages as f64),
        ("binary_mib".to_owned(), size as f64 / f64::from(1 << 20)),
    ]))
}
