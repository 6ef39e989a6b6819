//! Content-Encoding: undoing `gzip`, `deflate`, `br` and `zstd` (stacked in
//! any order) on a response body as it streams, with bounded memory.
//!
//! A [`Decoding`] is a pipeline of stages, one per coding, the last one
//! applied by the server first. Raw body pieces go into the first stage
//! with [`Decoding::feed`]; decoded bytes come out of the last one with
//! [`Decoding::pull`], at most `max` bytes per call, so a small compressed
//! body that inflates to gigabytes (a decompression bomb) is decoded a
//! slice at a time and stopped by the caller's limit, never held whole.
//!
//! The decoders (flate2, brotli-decompressor) pull their input through a
//! [`Feed`] that says `WouldBlock` when it is empty: both keep their state
//! across that error and resume when fed (they were made for non-blocking
//! readers). ruzstd has no such guarantee, so zstd frames are cut into whole
//! blocks here and handed to it one block at a time.

// Fewer decoders, fewer stages: with none, `Coding` and `Stage` have no
// values and the code handling them is type-checked but never reached;
// with zstd alone, its stage is the only one.
#![cfg_attr(
    not(any(feature = "gzip", feature = "brotli")),
    allow(unreachable_code, unused_variables, irrefutable_let_patterns)
)]

use std::io::{self, BufRead, Read};

/// A coding this client can undo, by its `Content-Encoding` token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    #[cfg(feature = "gzip")]
    Gzip,
    #[cfg(feature = "gzip")]
    Deflate,
    #[cfg(feature = "brotli")]
    Brotli,
    #[cfg(feature = "zstd")]
    Zstd,
}

impl Coding {
    /// The coding named `token` (case-insensitive; `x-gzip` is gzip), or
    /// `None` for one this build cannot undo.
    fn from_token(token: &str) -> Option<Coding> {
        let token = token.trim();
        #[cfg(feature = "gzip")]
        if token.eq_ignore_ascii_case("gzip") || token.eq_ignore_ascii_case("x-gzip") {
            return Some(Coding::Gzip);
        }
        #[cfg(feature = "gzip")]
        if token.eq_ignore_ascii_case("deflate") {
            return Some(Coding::Deflate);
        }
        #[cfg(feature = "brotli")]
        if token.eq_ignore_ascii_case("br") {
            return Some(Coding::Brotli);
        }
        #[cfg(feature = "zstd")]
        if token.eq_ignore_ascii_case("zstd") {
            return Some(Coding::Zstd);
        }
        let _ = token;
        None
    }

    /// The token, for error messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            #[cfg(feature = "gzip")]
            Coding::Gzip => "gzip",
            #[cfg(feature = "gzip")]
            Coding::Deflate => "deflate",
            #[cfg(feature = "brotli")]
            Coding::Brotli => "br",
            #[cfg(feature = "zstd")]
            Coding::Zstd => "zstd",
        }
    }
}

/// The `Accept-Encoding` value for the codings this build can undo, or
/// `None` when it can undo none.
pub(crate) fn accept_encoding() -> Option<&'static str> {
    let gzip = cfg!(feature = "gzip");
    let value = match (gzip, cfg!(feature = "brotli"), cfg!(feature = "zstd")) {
        (true, true, true) => "gzip, deflate, br, zstd",
        (true, true, false) => "gzip, deflate, br",
        (true, false, true) => "gzip, deflate, zstd",
        (true, false, false) => "gzip, deflate",
        (false, true, true) => "br, zstd",
        (false, true, false) => "br",
        (false, false, true) => "zstd",
        (false, false, false) => return None,
    };
    Some(value)
}

/// The stages for a `Content-Encoding` header's values, or `None` when the
/// body is to be passed through as it is: no coding, only `identity`, or a
/// coding this build cannot undo anywhere in the list (the bytes beyond it
/// would be meaningless to decode).
pub(crate) fn plan<'a>(values: impl Iterator<Item = &'a [u8]>) -> Option<Vec<Coding>> {
    let mut applied = Vec::new();
    for value in values {
        let text = std::str::from_utf8(value).ok()?;
        for token in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if token.eq_ignore_ascii_case("identity") {
                continue;
            }
            applied.push(Coding::from_token(token)?);
        }
    }
    if applied.is_empty() {
        return None;
    }
    // Listed in the order the server applied them: undo the last first.
    applied.reverse();
    Some(applied)
}

/// What a stage produced.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Pulled {
    /// Bytes were appended.
    Data,
    /// Nothing more until more input is fed.
    NeedInput,
    /// The decoded stream ended.
    End,
}

/// A failed decode, naming the coding.
#[derive(Debug)]
pub(crate) struct DecodeError {
    pub(crate) coding: Coding,
    pub(crate) source: io::Error,
}

/// The pipeline for one response body.
pub(crate) struct Decoding {
    stages: Vec<Stage>,
    /// Where decoders write before their output is appended: zeroed once
    /// per body, not once per read (a `Read` needs an initialised buffer,
    /// and most reads of a small body produce little or nothing).
    scratch: Box<[u8]>,
    /// Some raw bytes were fed.
    fed: bool,
    /// The raw body ended without a byte: an empty body, whatever its
    /// declared coding (servers label empty bodies too).
    empty: bool,
}

impl Decoding {
    pub(crate) fn new(codings: &[Coding]) -> Decoding {
        Decoding {
            stages: codings.iter().map(|&c| Stage::new(c)).collect(),
            scratch: vec![0; SCRATCH].into_boxed_slice(),
            fed: false,
            empty: false,
        }
    }

    /// Raw body bytes, in order.
    pub(crate) fn feed(&mut self, raw: &[u8]) {
        self.fed |= !raw.is_empty();
        self.stages[0].feed().push(raw);
    }

    /// The raw body ended.
    pub(crate) fn feed_end(&mut self) {
        self.empty = !self.fed;
        self.stages[0].feed().end();
    }

    /// Appends up to `max` decoded bytes to `out` (at most the scratch
    /// buffer's 64 KiB).
    pub(crate) fn pull(&mut self, out: &mut Vec<u8>, max: usize) -> Result<Pulled, DecodeError> {
        if self.empty {
            return Ok(Pulled::End);
        }
        let scratch = &mut self.scratch[..max.min(SCRATCH)];
        pull(&mut self.stages, out, scratch)
    }
}

/// The most one read of a decoder produces.
const SCRATCH: usize = 64 * 1024;

/// How much one stage hands the next at a time.
const STAGE_PIECE: usize = 32 * 1024;

/// Appends the last stage's next output (at most `scratch.len()` bytes) to
/// `out`, feeding it from the earlier stages as it asks.
fn pull(
    stages: &mut [Stage],
    out: &mut Vec<u8>,
    scratch: &mut [u8],
) -> Result<Pulled, DecodeError> {
    let Some((last, earlier)) = stages.split_last_mut() else {
        return Ok(Pulled::NeedInput);
    };
    let mut piece = Vec::new();
    loop {
        match last.read_into(out, scratch)? {
            Pulled::NeedInput if !earlier.is_empty() => {}
            other => return Ok(other),
        }
        piece.clear();
        let stage_len = STAGE_PIECE.min(scratch.len());
        let stage_scratch = &mut scratch[..stage_len];
        match pull(earlier, &mut piece, stage_scratch)? {
            Pulled::Data => last.feed().push(&piece),
            Pulled::End => last.feed().end(),
            Pulled::NeedInput => return Ok(Pulled::NeedInput),
        }
    }
}

/// Input waiting for a decoder: `WouldBlock` when empty before the end, so
/// the decoder stops where it is and resumes on the next read.
#[derive(Default)]
pub(crate) struct Feed {
    buf: Vec<u8>,
    pos: usize,
    ended: bool,
}

impl Feed {
    fn push(&mut self, data: &[u8]) {
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        }
        self.buf.extend_from_slice(data);
    }

    fn end(&mut self) {
        self.ended = true;
    }

    fn available(&self) -> &[u8] {
        &self.buf[self.pos..]
    }
}

impl Read for Feed {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let available = self.fill_buf()?;
            let n = available.len().min(out.len());
            out[..n].copy_from_slice(&available[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Feed {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.buf.len() && !self.ended {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        Ok(&self.buf[self.pos..])
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.buf.len());
    }
}

/// One decoder and its input.
enum Stage {
    #[cfg(feature = "gzip")]
    Gzip(flate2::bufread::MultiGzDecoder<Feed>),
    /// `deflate` is zlib-wrapped by the standard but raw in some servers'
    /// hands: which one is known from the first two bytes.
    #[cfg(feature = "gzip")]
    DeflateUndecided(Feed),
    #[cfg(feature = "gzip")]
    Zlib(flate2::bufread::ZlibDecoder<Feed>),
    #[cfg(feature = "gzip")]
    RawDeflate(flate2::bufread::DeflateDecoder<Feed>),
    #[cfg(feature = "brotli")]
    Brotli(Box<brotli_decompressor::Decompressor<Feed>>),
    #[cfg(feature = "zstd")]
    Zstd(Box<zstd::Zstd>),
}

impl Stage {
    fn new(coding: Coding) -> Stage {
        match coding {
            #[cfg(feature = "gzip")]
            Coding::Gzip => Stage::Gzip(flate2::bufread::MultiGzDecoder::new(Feed::default())),
            #[cfg(feature = "gzip")]
            Coding::Deflate => Stage::DeflateUndecided(Feed::default()),
            #[cfg(feature = "brotli")]
            Coding::Brotli => Stage::Brotli(Box::new(brotli_decompressor::Decompressor::new(
                Feed::default(),
                STAGE_PIECE,
            ))),
            #[cfg(feature = "zstd")]
            Coding::Zstd => Stage::Zstd(Box::default()),
        }
    }

    fn coding(&self) -> Coding {
        // On the place, not the reference: a build without decoders has no
        // stages, and only a match on the value itself may have no arms.
        match *self {
            #[cfg(feature = "gzip")]
            Stage::Gzip(_) => Coding::Gzip,
            #[cfg(feature = "gzip")]
            Stage::DeflateUndecided(_) | Stage::Zlib(_) | Stage::RawDeflate(_) => Coding::Deflate,
            #[cfg(feature = "brotli")]
            Stage::Brotli(_) => Coding::Brotli,
            #[cfg(feature = "zstd")]
            Stage::Zstd(_) => Coding::Zstd,
        }
    }

    fn feed(&mut self) -> &mut Feed {
        match *self {
            #[cfg(feature = "gzip")]
            Stage::Gzip(ref mut d) => d.get_mut(),
            #[cfg(feature = "gzip")]
            Stage::DeflateUndecided(ref mut feed) => feed,
            #[cfg(feature = "gzip")]
            Stage::Zlib(ref mut d) => d.get_mut(),
            #[cfg(feature = "gzip")]
            Stage::RawDeflate(ref mut d) => d.get_mut(),
            #[cfg(feature = "brotli")]
            Stage::Brotli(ref mut d) => d.get_mut(),
            #[cfg(feature = "zstd")]
            Stage::Zstd(ref mut z) => &mut z.feed,
        }
    }

    /// Appends its next output to `out`, read through `scratch` (so at most
    /// `scratch.len()` bytes).
    fn read_into(&mut self, out: &mut Vec<u8>, scratch: &mut [u8]) -> Result<Pulled, DecodeError> {
        let coding = self.coding();
        let failed = |source| DecodeError { coding, source };
        #[cfg(feature = "gzip")]
        if let Stage::DeflateUndecided(feed) = self {
            let head = feed.available();
            if head.len() < 2 && !feed.ended {
                return Ok(Pulled::NeedInput);
            }
            // A zlib header: CM 8 in the low nibble, and the two bytes a
            // multiple of 31 (RFC 1950).
            let zlib = head.len() >= 2
                && head[0] & 0x0f == 8
                && (u16::from(head[0]) << 8 | u16::from(head[1])) % 31 == 0;
            let feed = std::mem::take(feed);
            *self = if zlib {
                Stage::Zlib(flate2::bufread::ZlibDecoder::new(feed))
            } else {
                Stage::RawDeflate(flate2::bufread::DeflateDecoder::new(feed))
            };
        }
        #[cfg(feature = "zstd")]
        if let Stage::Zstd(z) = self {
            return z.read_into(out, scratch).map_err(failed);
        }
        let read: io::Result<usize> = match self {
            #[cfg(feature = "gzip")]
            Stage::Gzip(d) => d.read(scratch),
            #[cfg(feature = "gzip")]
            Stage::Zlib(d) => d.read(scratch),
            #[cfg(feature = "gzip")]
            Stage::RawDeflate(d) => d.read(scratch),
            #[cfg(feature = "brotli")]
            Stage::Brotli(d) => d.read(scratch),
            #[allow(unreachable_patterns)]
            _ => unreachable!("handled above"),
        };
        // brotli-decompressor keeps input of its own: bytes after the end of
        // the stream show only on the read after the one that ended it.
        #[cfg(feature = "brotli")]
        let read = match (read, &mut *self) {
            (Ok(0), Stage::Brotli(d)) => d.read(scratch),
            (read, _) => read,
        };
        match read {
            Ok(0) => {
                if self.feed().available().is_empty() {
                    Ok(Pulled::End)
                } else {
                    Err(failed(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "data after the end of the compressed stream",
                    )))
                }
            }
            Ok(n) => {
                out.extend_from_slice(&scratch[..n]);
                Ok(Pulled::Data)
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(Pulled::NeedInput),
            Err(e) => Err(failed(e)),
        }
    }
}

#[cfg(feature = "zstd")]
mod zstd {
    //! zstd frames cut into whole blocks for ruzstd (RFC 8878 3.1).

    use std::io::{self, Read};

    use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};

    use super::{Feed, Pulled};

    const FRAME_MAGIC: u32 = 0xFD2F_B528;
    /// Skippable frames carry magic 0x184D2A50 to 0x184D2A5F.
    const SKIPPABLE_MAGIC_MASK: u32 = 0xFFFF_FFF0;
    const SKIPPABLE_MAGIC: u32 = 0x184D_2A50;
    /// RFC 9659: a zstd content coding's window is at most 8 MiB, and a
    /// decoder may refuse more; refusing keeps a hostile frame from making
    /// the decoder hold gigabytes before any output can be drained.
    const MAX_WINDOW: u64 = 8 * 1024 * 1024;

    fn invalid(message: String) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, message)
    }

    #[derive(Default)]
    pub(super) struct Zstd {
        pub(super) feed: Feed,
        decoder: FrameDecoder,
        /// Inside a frame whose header was read: whether it ends with a
        /// checksum.
        frame: Option<bool>,
    }

    impl Zstd {
        pub(super) fn read_into(
            &mut self,
            out: &mut Vec<u8>,
            scratch: &mut [u8],
        ) -> io::Result<Pulled> {
            loop {
                // Output first: what is decoded is handed out before more
                // input is decoded, so at most a window plus a block is held.
                if self.frame.is_some() && self.decoder.can_collect() > 0 {
                    let n = self.decoder.read(scratch)?;
                    out.extend_from_slice(&scratch[..n]);
                    if n > 0 {
                        return Ok(Pulled::Data);
                    }
                }
                if self.frame.is_some() && self.decoder.is_finished() {
                    self.verify_checksum()?;
                    self.frame = None;
                }
                let progressed = match self.frame {
                    None => self.start_frame()?,
                    Some(checksum) => self.decode_block(checksum)?,
                };
                if !progressed {
                    let input = self.feed.available();
                    if !self.feed.ended {
                        return Ok(Pulled::NeedInput);
                    }
                    if self.frame.is_none() && input.is_empty() {
                        return Ok(Pulled::End);
                    }
                    return Err(invalid(format!(
                        "compressed stream cut short ({} bytes of an incomplete frame)",
                        input.len()
                    )));
                }
            }
        }

        /// Reads a frame header (or skips a skippable frame) if all of it
        /// is there.
        fn start_frame(&mut self) -> io::Result<bool> {
            let input = self.feed.available();
            let Some(magic) = input.get(..4) else {
                return Ok(false);
            };
            let magic = u32::from_le_bytes(magic.try_into().expect("4 bytes"));
            if magic & SKIPPABLE_MAGIC_MASK == SKIPPABLE_MAGIC {
                let Some(len) = input.get(4..8) else {
                    return Ok(false);
                };
                let total = 8 + u32::from_le_bytes(len.try_into().expect("4 bytes")) as usize;
                if input.len() < total {
                    return Ok(false);
                }
                self.feed.consume_n(total);
                return Ok(true);
            }
            if magic != FRAME_MAGIC {
                return Err(invalid(format!("not a zstd frame (magic {magic:#010x})")));
            }
            let Some(&descriptor) = input.get(4) else {
                return Ok(false);
            };
            let single_segment = descriptor & 0x20 != 0;
            let checksum = descriptor & 0x04 != 0;
            let dict_id_len = [0, 1, 2, 4][usize::from(descriptor & 0x03)];
            let content_size_len = match descriptor >> 6 {
                0 if single_segment => 1,
                0 => 0,
                1 => 2,
                2 => 4,
                _ => 8,
            };
            let window_len = usize::from(!single_segment);
            let header_len = 5 + window_len + dict_id_len + content_size_len;
            if input.len() < header_len {
                return Ok(false);
            }
            let window = if single_segment {
                let field = &input[5 + dict_id_len..header_len];
                let mut bytes = [0u8; 8];
                bytes[..field.len()].copy_from_slice(field);
                let size = u64::from_le_bytes(bytes);
                if content_size_len == 2 {
                    size + 256
                } else {
                    size
                }
            } else {
                let w = input[5];
                let base = 1u64 << (10 + (w >> 3));
                base + (base / 8) * u64::from(w & 7)
            };
            if window > MAX_WINDOW {
                return Err(invalid(format!(
                    "zstd window of {window} bytes is over the 8 MiB HTTP allows (RFC 9659)"
                )));
            }
            let mut header = &input[..header_len];
            self.decoder.reset(&mut header).map_err(io::Error::other)?;
            self.feed.consume_n(header_len);
            self.frame = Some(checksum);
            Ok(true)
        }

        /// Decodes the next block if all of it (and the checksum after the
        /// last one) is there.
        fn decode_block(&mut self, checksum: bool) -> io::Result<bool> {
            let input = self.feed.available();
            let Some(header) = input.get(..3) else {
                return Ok(false);
            };
            let header =
                u32::from(header[0]) | u32::from(header[1]) << 8 | u32::from(header[2]) << 16;
            let last = header & 1 != 0;
            let size = (header >> 3) as usize;
            let content_len = match (header >> 1) & 3 {
                // Raw and compressed blocks carry `size` bytes.
                0 | 2 => size,
                // An RLE block carries the one byte it repeats.
                1 => 1,
                _ => return Err(invalid("reserved zstd block type".to_owned())),
            };
            let needed = 3 + content_len + if last && checksum { 4 } else { 0 };
            if input.len() < needed {
                return Ok(false);
            }
            let mut block = &input[..needed];
            self.decoder
                .decode_blocks(&mut block, BlockDecodingStrategy::UptoBlocks(1))
                .map_err(io::Error::other)?;
            self.feed.consume_n(needed);
            Ok(true)
        }

        fn verify_checksum(&self) -> io::Result<()> {
            let sent = self.decoder.get_checksum_from_data();
            let computed = self.decoder.get_calculated_checksum();
            match (sent, computed) {
                (Some(sent), Some(computed)) if sent != computed => Err(invalid(format!(
                    "zstd checksum mismatch ({sent:#010x} sent, {computed:#010x} computed)"
                ))),
                _ => Ok(()),
            }
        }
    }

    impl Feed {
        fn consume_n(&mut self, n: usize) {
            std::io::BufRead::consume(self, n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes `raw` fed in pieces of `piece` bytes, pulling at most `max`
    /// at a time.
    fn decode(codings: &[Coding], raw: &[u8], piece: usize, max: usize) -> Result<Vec<u8>, String> {
        let mut d = Decoding::new(codings);
        let mut out = Vec::new();
        let mut pieces = raw.chunks(piece.max(1));
        loop {
            match d.pull(&mut out, max) {
                Ok(Pulled::Data) => {}
                Ok(Pulled::End) => return Ok(out),
                Ok(Pulled::NeedInput) => match pieces.next() {
                    Some(p) => d.feed(p),
                    None => d.feed_end(),
                },
                Err(e) => return Err(format!("{}: {}", e.coding.name(), e.source)),
            }
        }
    }

    fn sample() -> Vec<u8> {
        (0..200_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect()
    }

    #[cfg(feature = "gzip")]
    fn gzip(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn plans_follow_the_header_and_pass_unknown_codings_through() {
        let plan = |v: &[&str]| plan(v.iter().map(|s| s.as_bytes()));
        assert_eq!(plan(&[]), None);
        assert_eq!(plan(&["identity"]), None);
        assert_eq!(plan(&["compress"]), None);
        #[cfg(feature = "gzip")]
        {
            assert_eq!(plan(&["GZIP"]), Some(vec![Coding::Gzip]));
            assert_eq!(plan(&["gzip, compress"]), None);
            assert_eq!(
                plan(&["deflate", " gzip "]),
                Some(vec![Coding::Gzip, Coding::Deflate])
            );
        }
    }

    #[cfg(feature = "gzip")]
    #[test]
    fn gzip_decodes_whatever_the_piece_sizes() {
        let data = sample();
        let packed = gzip(&data);
        for piece in [1, 7, 4096, packed.len()] {
            assert_eq!(decode(&[Coding::Gzip], &packed, piece, 1000).unwrap(), data);
        }
        let cut = &packed[..packed.len() - 5];
        let err = decode(&[Coding::Gzip], cut, 100, 1000).unwrap_err();
        assert!(err.starts_with("gzip: "), "{err}");
    }

    #[cfg(feature = "gzip")]
    #[test]
    fn deflate_is_zlib_or_raw() {
        use std::io::Write;
        let data = sample();
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(&data).unwrap();
        let zlib = z.finish().unwrap();
        let mut r = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        r.write_all(&data).unwrap();
        let raw = r.finish().unwrap();
        for packed in [zlib, raw] {
            for piece in [1, 3, 5000] {
                assert_eq!(
                    decode(&[Coding::Deflate], &packed, piece, 777).unwrap(),
                    data
                );
            }
        }
    }

    #[cfg(feature = "gzip")]
    #[test]
    fn a_bomb_comes_out_a_slice_at_a_time() {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(&vec![0u8; 50 * 1024 * 1024]).unwrap();
        let packed = e.finish().unwrap();
        assert!(packed.len() < 100 * 1024, "{}", packed.len());
        let mut d = Decoding::new(&[Coding::Gzip]);
        d.feed(&packed);
        d.feed_end();
        let mut out = Vec::new();
        assert_eq!(d.pull(&mut out, 64 * 1024).unwrap(), Pulled::Data);
        assert!(out.len() <= 64 * 1024);
    }
}
