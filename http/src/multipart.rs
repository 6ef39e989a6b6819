//! `multipart/form-data` bodies (RFC 7578), as an HTML form with file
//! inputs sends them: [`Form`] holds named [`Part`]s and is sent with
//! [`RequestBuilder::multipart`](crate::RequestBuilder::multipart).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use aio_http::multipart::{Form, Part};
//!
//! let avatar = Part::bytes(vec![0x89, b'P', b'N', b'G'])
//!     .file_name("me.png")
//!     .mime_str("image/png")?;
//! let form = Form::new()
//!     .text("name", "Ann")
//!     .part("avatar", avatar)
//!     // Streamed from disk when sent, never read whole into memory.
//!     .file("cv", "cv.pdf")
//!     .await?;
//! aio_http::Client::new()
//!     .post("https://example.com/profile")
//!     .multipart(form)
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! On the wire each part is `--BOUNDARY`, a `Content-Disposition:
//! form-data; name="..."` line (with `; filename="..."` for files), a
//! `Content-Type` line when the part has one, an empty line and the data;
//! `--BOUNDARY--` closes the body. Names and file names have `"`, CR and LF
//! escaped as `%22`, `%0D` and `%0A`, as browsers do. The boundary is random
//! for each form.
//!
//! A form whose parts are all in memory is sent as one buffer, with its
//! `Content-Length` (and can follow any redirect). A file part is read from
//! disk on the blocking pool while the request is written; with every
//! part's length known (files have theirs) the body still has a
//! `Content-Length`, and a file that changed size since it was opened is an
//! error of kind [`Body`](crate::Kind::Body). A part streamed without a
//! length makes the body chunked.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http::HeaderValue;

use crate::error::{Error, Kind};
use crate::request_body::Body;

/// A `multipart/form-data` body being built: named parts in order.
///
/// `Debug` shows the boundary and the parts' names, never their data.
pub struct Form {
    boundary: String,
    parts: Vec<(String, Part)>,
}

impl Form {
    /// An empty form with a new random boundary.
    ///
    /// ```
    /// let a = aio_http::multipart::Form::new();
    /// let b = aio_http::multipart::Form::new();
    /// assert_ne!(a.boundary(), b.boundary());
    /// ```
    pub fn new() -> Form {
        Form {
            boundary: format!("aio-{:016x}{:016x}", random(), random()),
            parts: Vec::new(),
        }
    }

    /// The boundary between the parts (a new random one per form).
    pub fn boundary(&self) -> &str {
        &self.boundary
    }

    /// Adds a text field (no content type, as browsers send one).
    ///
    /// ```
    /// let form = aio_http::multipart::Form::new().text("title", "holiday");
    /// ```
    pub fn text(self, name: impl Into<String>, value: impl Into<String>) -> Form {
        self.part(name, Part::text(value))
    }

    /// Adds a part.
    ///
    /// ```
    /// use aio_http::multipart::{Form, Part};
    ///
    /// let form = Form::new().part("notes", Part::text("x").file_name("notes.txt"));
    /// ```
    pub fn part(mut self, name: impl Into<String>, part: Part) -> Form {
        self.parts.push((name.into(), part));
        self
    }

    /// Adds the file at `path` as a part named `name` ([`Part::file`]:
    /// opened now, read while the request is sent). Must run inside
    /// `aio::run()`; the error names the path when the file cannot be
    /// opened.
    ///
    /// ```no_run
    /// # async fn demo() -> std::io::Result<()> {
    /// let form = aio_http::multipart::Form::new().file("report", "report.csv").await?;
    /// # Ok(()) }
    /// ```
    pub async fn file(self, name: impl Into<String>, path: impl AsRef<Path>) -> io::Result<Form> {
        let part = Part::file(path).await?;
        Ok(self.part(name, part))
    }

    /// `multipart/form-data; boundary=...`.
    pub(crate) fn content_type(&self) -> HeaderValue {
        let text = format!("multipart/form-data; boundary={}", self.boundary);
        HeaderValue::try_from(text).expect("the boundary is hex digits")
    }

    /// The whole body: each part framed by the boundary, then the closing
    /// delimiter.
    pub(crate) fn into_body(self) -> Body {
        let mut pieces = Vec::with_capacity(self.parts.len() * 3 + 1);
        for (name, part) in self.parts {
            let mut head = format!("--{}\r\n", self.boundary);
            head.push_str("Content-Disposition: form-data; name=\"");
            push_escaped(&mut head, &name);
            head.push('"');
            if let Some(file_name) = &part.file_name {
                head.push_str("; filename=\"");
                push_escaped(&mut head, file_name);
                head.push('"');
            }
            head.push_str("\r\n");
            if let Some(mime) = &part.mime {
                head.push_str("Content-Type: ");
                head.push_str(mime);
                head.push_str("\r\n");
            }
            head.push_str("\r\n");
            pieces.push(Body::from(head));
            pieces.push(part.body.labelled(format!("multipart part {name:?}")));
            pieces.push(Body::from(Bytes::from_static(b"\r\n")));
        }
        pieces.push(Body::from(format!("--{}--\r\n", self.boundary)));
        Body::concat(pieces)
    }
}

impl Default for Form {
    fn default() -> Form {
        Form::new()
    }
}

impl fmt::Debug for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.parts.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Form")
            .field("boundary", &self.boundary)
            .field("parts", &names)
            .finish()
    }
}

/// One part of a [`Form`]: its data, and optionally a file name and a
/// content type.
///
/// `Debug` shows the file name, content type and length, never the data.
pub struct Part {
    body: Body,
    file_name: Option<String>,
    /// Checked by `mime_str`.
    mime: Option<String>,
}

impl Part {
    fn new(body: Body, mime: Option<String>) -> Part {
        Part {
            body,
            file_name: None,
            mime,
        }
    }

    /// A text part (no content type).
    ///
    /// ```
    /// let part = aio_http::multipart::Part::text("hello");
    /// ```
    pub fn text(value: impl Into<String>) -> Part {
        Part::new(Body::from(value.into()), None)
    }

    /// A part of these bytes (no content type until
    /// [`mime_str`](Part::mime_str) sets one).
    ///
    /// ```
    /// # fn main() -> Result<(), aio_http::Error> {
    /// use aio_http::multipart::Part;
    ///
    /// let part = Part::bytes(b"%PDF-1.7".to_vec())
    ///     .file_name("a.pdf")
    ///     .mime_str("application/pdf")?;
    /// # Ok(()) }
    /// ```
    pub fn bytes(bytes: impl Into<Bytes>) -> Part {
        Part::new(Body::from(bytes.into()), None)
    }

    /// A part whose data is `body`, streamed or not (no content type until
    /// [`mime_str`](Part::mime_str) sets one). A streamed body without a
    /// declared length makes the whole form chunked.
    ///
    /// ```
    /// # async fn demo() -> std::io::Result<()> {
    /// use aio_http::{multipart::Part, Body};
    ///
    /// let log = aio::fs::File::open("app.log").await?;
    /// let part = Part::stream(Body::from_reader(log, None)).file_name("app.log");
    /// # Ok(()) }
    /// ```
    pub fn stream(body: impl Into<Body>) -> Part {
        Part::new(body.into(), None)
    }

    /// The file at `path` as a part: opened now, read from disk while the
    /// request is sent (never whole into memory), with the path's last
    /// component as its file name and `application/octet-stream` as its
    /// content type until [`mime_str`](Part::mime_str) says otherwise.
    ///
    /// A regular file's length is taken now and sent as part of the
    /// body's `Content-Length`: a file that shrinks or grows before it is
    /// read to the end fails the request (kind [`Body`](crate::Kind::Body))
    /// rather than sending something else. Other files (pipes, devices)
    /// make the body chunked. Must run inside `aio::run()`.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let part = aio_http::multipart::Part::file("photo.jpg").await?.mime_str("image/jpeg")?;
    /// # Ok(()) }
    /// ```
    pub async fn file(path: impl AsRef<Path>) -> io::Result<Part> {
        let path = path.as_ref();
        let mut file = aio_reactor::fs::File::open(path).await?;
        let metadata = file.metadata().await?;
        let length = metadata.is_file().then_some(metadata.len());
        let body = Body::from_reader(file, length);
        let mut part = Part::new(body, Some("application/octet-stream".to_owned()));
        part.file_name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned());
        Ok(part)
    }

    /// Sets the file name sent with the part (`filename="..."`).
    pub fn file_name(mut self, name: impl Into<String>) -> Part {
        self.file_name = Some(name.into());
        self
    }

    /// Sets the part's content type, e.g. `"image/png"` or
    /// `"text/plain; charset=utf-8"`. Anything but `type/subtype` (tokens)
    /// with optional parameters is an error of kind
    /// [`Builder`](crate::Kind::Builder) naming it.
    ///
    /// ```
    /// use aio_http::multipart::Part;
    ///
    /// assert!(Part::text("a").mime_str("text/plain; charset=utf-8").is_ok());
    /// let e = Part::text("a").mime_str("plain text").unwrap_err();
    /// assert!(e.to_string().contains("\"plain text\""), "{e}");
    /// ```
    pub fn mime_str(mut self, mime: &str) -> Result<Part, Error> {
        if !is_media_type(mime) {
            return Err(Error::new(
                Kind::Builder,
                format!(
                    "invalid multipart content type {:?}: expected type/subtype, \
                     e.g. \"image/png\"",
                    mime
                ),
            ));
        }
        self.mime = Some(mime.to_owned());
        Ok(self)
    }
}

impl fmt::Debug for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Part")
            .field("file_name", &self.file_name)
            .field("mime", &self.mime)
            .field("content_length", &self.body.content_length())
            .finish()
    }
}

/// Whether `text` is `type/subtype` of token characters, optionally
/// followed by `;` parameters, all of it fit for a header line.
fn is_media_type(text: &str) -> bool {
    let (essence, params) = text.split_once(';').unwrap_or((text, ""));
    let is_token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    };
    let fits_a_header = |s: &str| s.bytes().all(|b| b == b'\t' || (b' '..0x7f).contains(&b));
    matches!(essence.trim().split_once('/'), Some((t, s)) if is_token(t) && is_token(s))
        && fits_a_header(params)
}

/// Appends `text` with `"`, CR and LF escaped as the HTML standard's form
/// encoding does, so a name cannot end its quoted string or its line.
fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '"' => out.push_str("%22"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
}

/// 64 unpredictable bits without a random-number crate: std's `RandomState`
/// is seeded from the OS once per thread and hashes with SipHash; the
/// counter makes each call's input different.
fn random() -> u64 {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(CALLS.fetch_add(1, Ordering::Relaxed));
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_are_checked() {
        for good in [
            "image/png",
            "text/plain; charset=utf-8",
            "application/vnd.a+json",
        ] {
            assert!(is_media_type(good), "{good}");
        }
        for bad in [
            "",
            "png",
            "/png",
            "image/",
            "a b/c",
            "text/plain\r\nX: 1",
            "é/x",
        ] {
            assert!(!is_media_type(bad), "{bad:?}");
        }
    }

    #[test]
    fn names_cannot_break_their_quotes_or_lines() {
        let mut out = String::new();
        push_escaped(&mut out, "a\"b\r\nc é");
        assert_eq!(out, "a%22b%0D%0Ac é");
    }

    #[test]
    fn in_memory_forms_are_one_buffer_with_a_length() {
        let form = Form::new().text("a", "1");
        let boundary = form.boundary().to_owned();
        let body = form.into_body();
        let expected = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--{boundary}--\r\n"
        );
        assert_eq!(body.as_bytes(), Some(expected.as_bytes()));
        assert_eq!(body.content_length(), Some(expected.len() as u64));
    }
}
