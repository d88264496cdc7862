//! JSON bodies, optionally zstd-compressed, decoded as a stream that stops at a size limit.
//!
//! A compressed body is never inflated into memory whole: a first pass counts the decoded
//! bytes into a sink and stops one byte past the limit (so a "zstd bomb" costs CPU for at most
//! `limit` bytes and no memory), and the second pass parses JSON straight from the decoder.
//! The decoder's window is capped too, so a frame header cannot make it allocate much.

use serde::de::DeserializeOwned;
use serde::Serialize;
use std::io::{self, BufReader, Read, Write};

/// The largest zstd window a peer may use: 4 MiB (our encoder uses 2 MiB at level 3).
pub const MAX_WINDOW_LOG: u32 = 22;

/// The zstd level we compress with: fast, and within [`MAX_WINDOW_LOG`].
pub const ZSTD_LEVEL: i32 = 3;

/// Why a body could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// A `Content-Encoding` other than identity or zstd.
    #[error("unsupported content encoding {0:?}: send identity or zstd")]
    UnsupportedEncoding(String),
    /// The decoded body would exceed the limit.
    #[error("decoded body exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The limit, in decoded bytes.
        limit: usize,
    },
    /// The zstd frame asks for a larger window than we allow.
    #[error("zstd frame needs a window larger than {} bytes; compress with a level of 9 or less", 1u64 << MAX_WINDOW_LOG)]
    WindowTooLarge,
    /// Not a valid zstd stream (truncated, corrupt, or not zstd at all).
    #[error("body is not valid zstd: {0}")]
    Corrupt(String),
    /// Valid bytes, but not the JSON expected.
    #[error("invalid JSON at {path}: {message}")]
    Json {
        /// Where in the document (`advisory.risk_level`; `.` for the top level).
        path: String,
        /// What is wrong there, naming the field where serde can.
        message: String,
    },
    /// Writing the body failed (serialisation or compression).
    #[error("could not encode body: {0}")]
    Encode(String),
    /// Arrays and objects nest deeper than [`MAX_DEPTH`].
    #[error("JSON nests deeper than {limit} levels")]
    TooDeep {
        /// The deepest nesting allowed.
        limit: usize,
    },
    /// A string holds the NUL character, which no text in the contract may (PostgreSQL refuses it).
    #[error("text at {path} contains a NUL character (\\u0000), which is not allowed")]
    Nul {
        /// Where in the document (`advisory.reasoning`).
        path: String,
    },
}

/// How a body is (or is to be) encoded on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Plain JSON.
    Identity,
    /// zstd-compressed JSON.
    Zstd,
}

impl Encoding {
    /// The encoding named by a `Content-Encoding` header (absent means identity).
    pub fn from_content_encoding(header: Option<&str>) -> Result<Self, CodecError> {
        match header.map(|h| h.trim().to_ascii_lowercase()) {
            None => Ok(Self::Identity),
            Some(h) if h.is_empty() || h == "identity" => Ok(Self::Identity),
            Some(h) if h == "zstd" => Ok(Self::Zstd),
            Some(other) => Err(CodecError::UnsupportedEncoding(other)),
        }
    }

    /// The best encoding an `Accept-Encoding` header allows: zstd unless refused or absent.
    pub fn from_accept_encoding(header: Option<&str>) -> Self {
        let accepts_zstd = header.is_some_and(|h| {
            h.split(',').any(|item| {
                let mut parts = item.split(';').map(str::trim);
                let name_ok = parts.next().is_some_and(|n| n.eq_ignore_ascii_case("zstd"));
                let q_zero = parts.any(|p| {
                    p.strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                        .is_some_and(|q| q <= 0.0)
                });
                name_ok && !q_zero
            })
        });
        if accepts_zstd {
            Self::Zstd
        } else {
            Self::Identity
        }
    }

    /// The `Content-Encoding` header value, or `None` for identity.
    pub fn header_value(self) -> Option<&'static str> {
        match self {
            Self::Identity => None,
            Self::Zstd => Some("zstd"),
        }
    }
}

fn zstd_reader(body: &[u8]) -> Result<zstd::stream::read::Decoder<'_, &[u8]>, CodecError> {
    let mut decoder = zstd::stream::read::Decoder::with_buffer(body).map_err(zstd_error)?;
    decoder.window_log_max(MAX_WINDOW_LOG).map_err(zstd_error)?;
    Ok(decoder)
}

fn zstd_error(e: io::Error) -> CodecError {
    // zstd reports an over-large window as "Frame requires too much memory for decoding".
    if e.to_string().contains("too much memory") {
        CodecError::WindowTooLarge
    } else {
        CodecError::Corrupt(e.to_string())
    }
}

/// Decode a zstd body into a sink, stopping one byte past `limit`; returns its decoded length.
pub fn zstd_decoded_len(body: &[u8], limit: usize) -> Result<usize, CodecError> {
    zstd_scan(body, limit).map(|(n, _)| n)
}

/// Decode a zstd body, stopping one byte past `limit`: its decoded length, and whether the JSON
/// in it escapes a NUL.
fn zstd_scan(body: &[u8], limit: usize) -> Result<(usize, JsonScan), CodecError> {
    let mut reader = zstd_reader(body)?.take(limit as u64 + 1);
    let mut scan = JsonScan::default();
    let n = io::copy(&mut reader, &mut scan).map_err(zstd_error)?;
    if n > limit as u64 {
        return Err(CodecError::TooLarge { limit });
    }
    Ok((n as usize, scan))
}

/// Deepest nesting of arrays and objects a body may have: the contract needs 4; an unknown field
/// nested 10,000 deep must not cost the hub a deep recursion.
pub const MAX_DEPTH: usize = 64;

/// Reads JSON text as it streams past for what serde would let through: `\u0000` (the only way a
/// JSON string can carry a NUL; escapes are tracked, so an escaped backslash followed by `u0000`
/// is not one) and nesting deeper than [`MAX_DEPTH`] (counted outside strings).
#[derive(Default)]
struct JsonScan {
    in_string: bool,
    in_escape: bool,
    /// Characters of `u0000` matched after an escaping backslash.
    matched: u8,
    found: bool,
    depth: usize,
    max_depth: usize,
}

impl JsonScan {
    fn feed(&mut self, bytes: &[u8]) {
        for &c in bytes {
            if !self.in_string {
                match c {
                    b'"' => self.in_string = true,
                    b'[' | b'{' => {
                        self.depth += 1;
                        self.max_depth = self.max_depth.max(self.depth);
                    }
                    b']' | b'}' => self.depth = self.depth.saturating_sub(1),
                    _ => {}
                }
                continue;
            }
            if self.in_escape {
                self.in_escape = false;
                self.matched = u8::from(c == b'u');
            } else if self.matched > 0 {
                if c == b'0' {
                    self.matched += 1;
                    self.found |= self.matched == 5;
                } else {
                    self.matched = 0;
                    self.in_escape = c == b'\\';
                }
                if self.matched == 5 {
                    self.matched = 0;
                }
            } else if c == b'\\' {
                self.in_escape = true;
            } else if c == b'"' {
                self.in_string = false;
            }
        }
    }

    /// What the scan found, as the error to answer, if any.
    fn verdict(&self, body: &[u8], encoding: Encoding) -> Result<(), CodecError> {
        if self.max_depth > MAX_DEPTH {
            return Err(CodecError::TooDeep { limit: MAX_DEPTH });
        }
        if self.found {
            return Err(nul_error(body, encoding));
        }
        Ok(())
    }
}

impl Write for JsonScan {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.feed(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The path of the first string (or key) in `value` that holds a NUL.
fn nul_path(value: &serde_json::Value, at: &str) -> Option<String> {
    use serde_json::Value;
    let join = |key: &str| {
        if at.is_empty() {
            key.to_owned()
        } else {
            format!("{at}.{key}")
        }
    };
    match value {
        Value::String(s) if s.contains('\0') => {
            Some(if at.is_empty() { ".".into() } else { at.into() })
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_path(v, &format!("{at}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            if k.contains('\0') {
                Some(join(&k.replace('\0', "\\u0000")))
            } else {
                nul_path(v, &join(k))
            }
        }),
        _ => None,
    }
}

/// The error for a body that escapes a NUL, naming where (read again: only on this path).
fn nul_error(body: &[u8], encoding: Encoding) -> CodecError {
    let value: Option<serde_json::Value> = match encoding {
        Encoding::Identity => serde_json::from_slice(body).ok(),
        Encoding::Zstd => zstd_reader(body)
            .ok()
            .and_then(|r| serde_json::from_reader(BufReader::new(r)).ok()),
    };
    CodecError::Nul {
        path: value
            .and_then(|v| nul_path(&v, ""))
            .unwrap_or_else(|| "body".into()),
    }
}

/// Decode a body of the given encoding into `T`, refusing more than `limit` decoded bytes.
pub fn decode_json<T: DeserializeOwned>(
    body: &[u8],
    encoding: Encoding,
    limit: usize,
) -> Result<T, CodecError> {
    match encoding {
        Encoding::Identity => {
            if body.len() > limit {
                return Err(CodecError::TooLarge { limit });
            }
            let mut scan = JsonScan::default();
            scan.feed(body);
            scan.verdict(body, encoding)?;
            parse(serde_json::Deserializer::from_slice(body))
        }
        Encoding::Zstd => {
            zstd_scan(body, limit)?.1.verdict(body, encoding)?;
            let reader = BufReader::with_capacity(64 * 1024, zstd_reader(body)?);
            parse(serde_json::Deserializer::from_reader(reader))
        }
    }
}

fn parse<'de, R: serde_json::de::Read<'de>, T: DeserializeOwned>(
    mut de: serde_json::Deserializer<R>,
) -> Result<T, CodecError> {
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| CodecError::Json {
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })?;
    de.end().map_err(|e| CodecError::Json {
        path: ".".into(),
        message: e.to_string(),
    })?;
    Ok(value)
}

/// Serialise `value` as JSON in the given encoding, streaming into the compressor.
pub fn encode_json<T: Serialize + ?Sized>(
    value: &T,
    encoding: Encoding,
) -> Result<Vec<u8>, CodecError> {
    encode_with(encoding, |w| {
        serde_json::to_writer(w, value).map_err(io::Error::from)
    })
}

/// Encode whatever `write` writes (already JSON) in the given encoding, streaming into the
/// compressor: for bodies assembled from stored JSON text without parsing it again.
pub fn encode_with(
    encoding: Encoding,
    write: impl FnOnce(&mut dyn io::Write) -> io::Result<()>,
) -> Result<Vec<u8>, CodecError> {
    let fail = |e: io::Error| CodecError::Encode(e.to_string());
    match encoding {
        Encoding::Identity => {
            let mut out = Vec::new();
            write(&mut out).map_err(fail)?;
            Ok(out)
        }
        Encoding::Zstd => {
            let mut encoder =
                zstd::stream::write::Encoder::new(Vec::new(), ZSTD_LEVEL).map_err(fail)?;
            write(&mut encoder).map_err(fail)?;
            encoder.finish().map_err(fail)
        }
    }
}

/// A body produced piece by piece: the pieces (already JSON text) go out in chunks of about
/// [`Chunks::TARGET`] bytes, compressed when asked, so a large answer is never held whole —
/// each piece is dropped once it has been encoded.
pub struct Chunks<I> {
    pieces: I,
    zstd: Option<zstd::stream::write::Encoder<'static, Vec<u8>>>,
    plain: Vec<u8>,
    finished: bool,
}

impl<I: Iterator<Item = Vec<u8>>> Chunks<I> {
    /// About how many bytes each chunk holds.
    pub const TARGET: usize = 64 * 1024;

    /// Chunks of `pieces` in `encoding`.
    pub fn new(encoding: Encoding, pieces: I) -> Result<Self, CodecError> {
        let zstd = match encoding {
            Encoding::Identity => None,
            Encoding::Zstd => Some(
                zstd::stream::write::Encoder::new(Vec::new(), ZSTD_LEVEL)
                    .map_err(|e| CodecError::Encode(e.to_string()))?,
            ),
        };
        Ok(Self {
            pieces,
            zstd,
            plain: Vec::new(),
            finished: false,
        })
    }

    fn buffered(&self) -> usize {
        match &self.zstd {
            Some(encoder) => encoder.get_ref().len(),
            None => self.plain.len(),
        }
    }

    fn take(&mut self) -> Vec<u8> {
        match &mut self.zstd {
            Some(encoder) => std::mem::take(encoder.get_mut()),
            None => std::mem::take(&mut self.plain),
        }
    }
}

impl<I: Iterator<Item = Vec<u8>>> Iterator for Chunks<I> {
    type Item = io::Result<Vec<u8>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        while self.buffered() < Self::TARGET {
            let Some(piece) = self.pieces.next() else {
                self.finished = true;
                if let Some(encoder) = self.zstd.take() {
                    return Some(encoder.finish());
                }
                let last = self.take();
                return (!last.is_empty()).then_some(Ok(last));
            };
            let written = match &mut self.zstd {
                Some(encoder) => io::Write::write_all(encoder, &piece),
                None => {
                    self.plain.extend_from_slice(&piece);
                    Ok(())
                }
            };
            if let Err(e) = written {
                self.finished = true;
                return Some(Err(e));
            }
        }
        Some(Ok(self.take()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Doc {
        name: String,
        values: Vec<f64>,
    }

    fn doc() -> Doc {
        Doc {
            name: "pack-off".into(),
            values: (0..1000).map(f64::from).collect(),
        }
    }

    #[test]
    fn round_trips_in_both_encodings() {
        for enc in [Encoding::Identity, Encoding::Zstd] {
            let bytes = encode_json(&doc(), enc).expect("encode");
            let back: Doc = decode_json(&bytes, enc, 1 << 20).expect("decode");
            assert_eq!(back, doc());
        }
    }

    #[test]
    fn compression_actually_compresses() {
        let plain = encode_json(&doc(), Encoding::Identity).expect("encode");
        let packed = encode_json(&doc(), Encoding::Zstd).expect("encode");
        assert!(
            packed.len() * 2 < plain.len(),
            "{} vs {}",
            packed.len(),
            plain.len()
        );
    }

    #[test]
    fn a_zstd_bomb_stops_at_the_limit() {
        // 256 MiB of zeros packs into a few KiB.
        let bomb = zstd::stream::encode_all(io::repeat(0).take(256 << 20), 1).expect("compress");
        assert!(bomb.len() < 64 * 1024, "bomb is {} bytes", bomb.len());
        let err = decode_json::<Doc>(&bomb, Encoding::Zstd, 10 << 20).expect_err("over the limit");
        assert!(
            matches!(err, CodecError::TooLarge { limit } if limit == 10 << 20),
            "{err}"
        );
    }

    #[test]
    fn exactly_the_limit_is_allowed_and_one_more_byte_is_not() {
        let json = serde_json::to_vec(&doc()).expect("json");
        let packed = zstd::stream::encode_all(&json[..], 3).expect("compress");
        assert_eq!(
            zstd_decoded_len(&packed, json.len()).expect("fits"),
            json.len()
        );
        assert!(matches!(
            zstd_decoded_len(&packed, json.len() - 1),
            Err(CodecError::TooLarge { .. })
        ));
        assert!(matches!(
            decode_json::<Doc>(&json, Encoding::Identity, json.len() - 1),
            Err(CodecError::TooLarge { .. })
        ));
    }

    #[test]
    fn a_frame_asking_for_a_huge_window_is_refused() {
        let json = serde_json::to_vec(&doc()).expect("json");
        let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 3).expect("encoder");
        encoder.window_log(27).expect("window");
        // Pledge no size so the header keeps the 128 MiB window.
        io::Write::write_all(&mut encoder, &json).expect("write");
        let packed = encoder.finish().expect("finish");
        let err =
            decode_json::<Doc>(&packed, Encoding::Zstd, 10 << 20).expect_err("window too large");
        assert!(matches!(err, CodecError::WindowTooLarge), "{err}");
    }

    #[test]
    fn truncated_and_garbage_zstd_is_corrupt() {
        let packed = encode_json(&doc(), Encoding::Zstd).expect("encode");
        let err = decode_json::<Doc>(&packed[..packed.len() / 2], Encoding::Zstd, 1 << 20)
            .expect_err("truncated");
        assert!(matches!(err, CodecError::Corrupt(_)), "{err}");
        let err =
            decode_json::<Doc>(b"{\"name\":1}", Encoding::Zstd, 1 << 20).expect_err("not zstd");
        assert!(matches!(err, CodecError::Corrupt(_)), "{err}");
    }

    #[test]
    fn a_nul_anywhere_is_refused_with_its_path_and_escaped_backslashes_are_not_nuls() {
        #[derive(Debug, Deserialize)]
        struct Any {
            #[allow(dead_code)]
            a: serde_json::Value,
        }
        let cases: [(&[u8], &str); 3] = [
            (br#"{"a":"x\u0000y"}"#, "a"),
            (br#"{"a":[1,{"b":"ok","c":"\u0000"}]}"#, "a[1].c"),
            (br#"{"a":{"k\u0000":1}}"#, "a.k\\u0000"),
        ];
        for (body, path) in cases {
            for encoding in [Encoding::Identity, Encoding::Zstd] {
                let wire = match encoding {
                    Encoding::Identity => body.to_vec(),
                    Encoding::Zstd => zstd::stream::encode_all(body, 3).expect("zstd"),
                };
                match decode_json::<Any>(&wire, encoding, 1 << 20) {
                    Err(CodecError::Nul { path: p }) => assert_eq!(p, path, "{encoding:?}"),
                    other => panic!("{encoding:?} {path}: {other:?}"),
                }
            }
        }
        // An escaped backslash before "u0000" is text, not a NUL; so is "\u0041".
        for body in [br#"{"a":"\\u0000"}"#.as_slice(), br#"{"a":"\u0041\\"}"#] {
            assert!(decode_json::<Any>(body, Encoding::Identity, 1 << 20).is_ok());
        }
    }

    #[test]
    fn json_errors_name_the_field() {
        let err = decode_json::<Doc>(
            br#"{"name":"x","values":[1,"two"]}"#,
            Encoding::Identity,
            1 << 20,
        )
        .expect_err("bad element");
        match err {
            CodecError::Json { path, .. } => assert_eq!(path, "values[1]"),
            other => panic!("unexpected {other}"),
        }
        let err = decode_json::<Doc>(br#"{"name":"x"}"#, Encoding::Identity, 1 << 20)
            .expect_err("missing");
        assert!(err.to_string().contains("missing field `values`"), "{err}");
        let err = decode_json::<Doc>(
            br#"{"name":"x","values":[]} trailing"#,
            Encoding::Identity,
            1 << 20,
        )
        .expect_err("trailing");
        assert!(matches!(err, CodecError::Json { .. }), "{err}");
    }

    #[test]
    fn accept_encoding_is_read_like_http_says() {
        assert_eq!(
            Encoding::from_accept_encoding(Some("gzip, zstd")),
            Encoding::Zstd
        );
        assert_eq!(
            Encoding::from_accept_encoding(Some("zstd;q=0.5")),
            Encoding::Zstd
        );
        assert_eq!(
            Encoding::from_accept_encoding(Some("zstd;q=0")),
            Encoding::Identity
        );
        assert_eq!(
            Encoding::from_accept_encoding(Some("gzip")),
            Encoding::Identity
        );
        assert_eq!(Encoding::from_accept_encoding(None), Encoding::Identity);
        assert!(Encoding::from_content_encoding(Some("br")).is_err());
        assert_eq!(
            Encoding::from_content_encoding(Some("ZSTD")).expect("zstd"),
            Encoding::Zstd
        );
    }

    #[test]
    fn chunks_reassemble_to_the_pieces_in_either_encoding() {
        let pieces: Vec<Vec<u8>> = (0..5_000)
            .map(|i| format!("{{\"n\":{i},\"pad\":\"{}\"}},", "x".repeat(i % 97)).into_bytes())
            .collect();
        let whole: Vec<u8> = pieces.concat();
        let plain: Vec<Vec<u8>> = Chunks::new(Encoding::Identity, pieces.clone().into_iter())
            .expect("chunks")
            .collect::<io::Result<_>>()
            .expect("encode");
        assert!(plain.len() > 1, "a large body goes out in several chunks");
        assert!(plain
            .iter()
            .all(|c| c.len() < Chunks::<std::vec::IntoIter<Vec<u8>>>::TARGET + 200));
        assert_eq!(plain.concat(), whole);
        let packed: Vec<u8> = Chunks::new(Encoding::Zstd, pieces.into_iter())
            .expect("chunks")
            .collect::<io::Result<Vec<_>>>()
            .expect("encode")
            .concat();
        assert_eq!(zstd::decode_all(&packed[..]).expect("zstd"), whole);
        let empty: Vec<_> = Chunks::new(Encoding::Identity, std::iter::empty())
            .expect("chunks")
            .collect();
        assert!(empty.is_empty());
    }
}
