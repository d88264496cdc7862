//! `--csv FILE`: replay a log with a header row through a channel map (source column → channel,
//! with units). Depth-indexed logs carry no time: each row's time then comes from the depth
//! drilled since the previous row at the row's ROP.

use super::units::{parse_unit, units_for};
use super::wits::{quantity, Issue, Issues};
use crate::drilling::{Channel, WitsPacket};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

/// Why a channel map or CSV cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The channel map is wrong.
    #[error("channel map {path}: {message}")]
    Map {
        /// The map file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The CSV does not fit the map.
    #[error("{path}: {message}")]
    Data {
        /// The CSV file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MapFile {
    time_column: Option<String>,
    #[serde(rename = "column", default)]
    columns: Vec<ColumnSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ColumnSpec {
    source: String,
    channel: String,
    unit: String,
}

/// A loaded channel map.
#[derive(Debug, Clone)]
pub struct ChannelMap {
    time_column: Option<String>,
    columns: Vec<(String, Channel, f64)>,
}

impl ChannelMap {
    /// Each source (a CSV header, a WITSML mnemonic) with its channel and the factor to FPS.
    pub fn sources(&self) -> &[(String, Channel, f64)] {
        &self.columns
    }

    /// Load and check a map file: every channel known, every unit known and measuring what its
    /// channel measures.
    pub fn load(path: &Path) -> Result<Self, CsvError> {
        let text = std::fs::read_to_string(path).map_err(|source| CsvError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let err = |message: String| CsvError::Map {
            path: path.to_path_buf(),
            message,
        };
        let file: MapFile = toml::from_str(&text).map_err(|e| err(e.to_string()))?;
        if file.columns.is_empty() {
            return Err(err("no [[column]] entries".into()));
        }
        let mut columns = Vec::new();
        for c in file.columns {
            let channel = Channel::from_name(&c.channel).ok_or_else(|| {
                let known: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
                err(format!(
                    "unknown channel {:?}; known: {}",
                    c.channel,
                    known.join(" ")
                ))
            })?;
            let (measures, factor) = parse_unit(&c.unit).ok_or_else(|| {
                err(format!(
                    "unknown unit {:?} for {:?}; {} takes one of: {}",
                    c.unit,
                    c.source,
                    channel,
                    units_for(quantity(channel)).join(", ")
                ))
            })?;
            if measures != quantity(channel) {
                return Err(err(format!(
                    "unit {:?} does not measure {} (in {})",
                    c.unit,
                    channel,
                    channel.unit()
                )));
            }
            columns.push((c.source, channel, factor));
        }
        Ok(Self {
            time_column: file.time_column,
            columns,
        })
    }

    /// The channels this map fills.
    pub fn channels(&self) -> BTreeSet<Channel> {
        self.columns.iter().map(|(_, c, _)| *c).collect()
    }
}

/// Split one CSV line (RFC 4180: commas, double-quoted fields with `""` escapes).
fn split(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    out.push(field);
    out
}

/// A CSV log replayed as packets, in file order.
pub struct CsvReplay {
    path: PathBuf,
    lines: io::Lines<BufReader<File>>,
    width: usize,
    columns: Vec<(usize, Channel, f64)>,
    time_index: Option<usize>,
    nulls: Vec<f64>,
    clock: DateTime<Utc>,
    previous_depth: Option<f64>,
    line_no: u64,
    /// Problems met, by kind (logged once each).
    pub issues: Issues,
}

/// Where a depth-indexed replay's derived clock starts.
fn replay_epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

impl CsvReplay {
    /// Open `path` and match its header against `map`; returns the replay and the channels the
    /// stream will never carry (for the once-only report).
    pub fn open(path: &Path, map: &ChannelMap, nulls: &[f64]) -> Result<Self, CsvError> {
        let file = File::open(path).map_err(|source| CsvError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut lines = BufReader::new(file).lines();
        let data_err = |message: String| CsvError::Data {
            path: path.to_path_buf(),
            message,
        };
        let header = match lines.next() {
            Some(Ok(h)) => h,
            Some(Err(source)) => {
                return Err(CsvError::Read {
                    path: path.to_path_buf(),
                    source,
                })
            }
            None => return Err(data_err("empty file: no header row".into())),
        };
        let names: Vec<String> = split(header.trim_start_matches('\u{feff}'))
            .into_iter()
            .map(|n| n.trim().to_owned())
            .collect();
        let find = |name: &str| names.iter().position(|n| n == name);
        let mut columns = Vec::new();
        let mut absent = Vec::new();
        for (source, channel, factor) in &map.columns {
            match find(source) {
                Some(i) => columns.push((i, *channel, *factor)),
                None => absent.push(source.clone()),
            }
        }
        if columns.is_empty() {
            return Err(data_err(format!(
                "no column of the channel map is in the header (looked for {})",
                absent.join(", ")
            )));
        }
        if !absent.is_empty() {
            log::warn!(
                "{}: the channel map names columns the file lacks: {} (their channels stay empty)",
                path.display(),
                absent.join(", ")
            );
        }
        let time_index = match &map.time_column {
            Some(t) => Some(
                find(t).ok_or_else(|| data_err(format!("time column {t:?} not in the header")))?,
            ),
            None => None,
        };
        Ok(Self {
            path: path.to_path_buf(),
            lines,
            width: names.len(),
            columns,
            time_index,
            nulls: nulls.to_vec(),
            clock: replay_epoch(),
            previous_depth: None,
            line_no: 1,
            issues: Issues::default(),
        })
    }

    /// The channels no column fills: detectors that need them stay off.
    pub fn missing_channels(&self) -> Vec<Channel> {
        let have: BTreeSet<Channel> = self.columns.iter().map(|(_, c, _)| *c).collect();
        Channel::ALL
            .iter()
            .copied()
            .filter(|c| !have.contains(c))
            .collect()
    }

    fn parse_time(text: &str) -> Option<DateTime<Utc>> {
        let text = text.trim();
        if let Ok(secs) = text.parse::<f64>() {
            let ms = (secs * 1_000.0).round();
            return (ms.is_finite() && ms.abs() < 1e15)
                .then(|| Utc.timestamp_millis_opt(ms as i64).single())
                .flatten();
        }
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .ok()
            .or_else(|| {
                chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
                    .ok()
                    .map(|t| t.and_utc())
            })
    }

    fn row(&mut self, line: &str) -> Option<WitsPacket> {
        let fields = split(line);
        if fields.len() < self.width {
            self.issues.note(
                Issue::TruncatedFrame,
                &format!(
                    "{} line {}: {} of {} fields",
                    self.path.display(),
                    self.line_no,
                    fields.len(),
                    self.width
                ),
            );
            return None;
        }
        let mut p = WitsPacket::default();
        for &(i, channel, factor) in &self.columns {
            let text = fields[i].trim();
            if text.is_empty() {
                continue;
            }
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() && !self.nulls.iter().any(|n| (v - n).abs() < 1e-9) => {
                    *channel.slot(&mut p) = Some(v * factor);
                }
                Ok(_) => {}
                Err(_) => self.issues.note(Issue::BadValue, text),
            }
        }
        p.timestamp = match self.time_index {
            Some(i) => match Self::parse_time(&fields[i]) {
                Some(t) => t,
                None => {
                    self.issues.note(Issue::BadTimestamp, &fields[i]);
                    return None;
                }
            },
            None => self.derived_time(&p),
        };
        Some(p)
    }

    /// Time from depth: the hole drilled since the last row at this row's ROP, held between 1 s
    /// and 5 min so a stalled ROP or a depth jump cannot stop or leap the clock.
    fn derived_time(&mut self, p: &WitsPacket) -> DateTime<Utc> {
        let depth = p.depth_ft();
        let secs = match (depth, self.previous_depth, p.rop_ft_h) {
            (Some(d), Some(prev), Some(rop)) if rop > 0.0 => (d - prev).abs() / rop * 3_600.0,
            _ => 1.0,
        };
        if depth.is_some() {
            self.previous_depth = depth;
        }
        let secs = if secs.is_finite() {
            secs.clamp(1.0, 300.0)
        } else {
            1.0
        };
        self.clock += Duration::milliseconds((secs * 1_000.0).round() as i64);
        self.clock
    }
}

impl Iterator for CsvReplay {
    type Item = Result<WitsPacket, CsvError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let line = match self.lines.next()? {
                Ok(l) => l,
                Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                    self.line_no += 1;
                    self.issues
                        .note(Issue::GarbageLine, "a line that is not UTF-8");
                    continue;
                }
                Err(source) => {
                    return Some(Err(CsvError::Read {
                        path: self.path.clone(),
                        source,
                    }))
                }
            };
            self.line_no += 1;
            if line.trim().is_empty() {
                continue;
            }
            if let Some(p) = self.row(&line) {
                return Some(Ok(p));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::File::create(&path)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .expect("write");
        path
    }

    #[test]
    fn a_metric_log_is_converted_and_timed_from_depth() {
        let dir = tempfile::tempdir().expect("tempdir");
        let map = write(
            dir.path(),
            "map.toml",
            "[[column]]\nsource = \"Depth m\"\nchannel = \"hole_depth_ft\"\nunit = \"m\"\n\
             [[column]]\nsource = \"ROP m/h\"\nchannel = \"rop_ft_h\"\nunit = \"m/h\"\n\
             [[column]]\nsource = \"SPP bar\"\nchannel = \"spp_psi\"\nunit = \"bar\"\n",
        );
        let csv = write(
            dir.path(),
            "log.csv",
            ",Depth m,ROP m/h,\"SPP bar\"\n0,1000,36,200\n1,1000.1,36,-999.25\n2,x,36,201\nshort\n3,1000.2,36,\"202\"\n",
        );
        let map = ChannelMap::load(&map).expect("map");
        let mut replay = CsvReplay::open(&csv, &map, &[-999.25]).expect("open");
        assert!(replay.missing_channels().contains(&Channel::FlowOut));
        let rows: Vec<WitsPacket> = replay.by_ref().map(|r| r.expect("row")).collect();
        assert_eq!(rows.len(), 4, "the short row is skipped");
        // 1,000 m = 3,280.84 ft; 200 bar = 2,900.75 psi.
        assert!((rows[0].hole_depth_ft.expect("depth") - 3_280.839_9).abs() < 1e-3);
        assert!((rows[0].spp_psi.expect("spp") - 2_900.755).abs() < 1e-2);
        assert_eq!(rows[1].spp_psi, None, "null");
        assert_eq!(rows[2].hole_depth_ft, None, "unreadable value");
        // 0.1 m at 36 m/h = 10 s.
        let dt = (rows[1].timestamp - rows[0].timestamp).num_milliseconds();
        assert_eq!(dt, 10_000);
        assert_eq!(replay.issues.count(Issue::BadValue), 1);
        assert_eq!(replay.issues.count(Issue::TruncatedFrame), 1);
    }

    #[test]
    fn an_unknown_unit_is_refused_with_the_units_its_channel_takes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let map = write(
            dir.path(),
            "map.toml",
            "[[column]]\nsource = \"SPP\"\nchannel = \"spp_psi\"\nunit = \"kpsi\"\n",
        );
        let err = ChannelMap::load(&map).expect_err("refused").to_string();
        assert!(
            err.contains("unknown unit \"kpsi\"") && err.contains("psi, kpa, bar, mpa"),
            "{err}"
        );
    }

    #[test]
    fn a_map_with_a_unit_that_does_not_fit_its_channel_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let map = write(
            dir.path(),
            "map.toml",
            "[[column]]\nsource = \"T\"\nchannel = \"torque_kftlbf\"\nunit = \"psi\"\n",
        );
        let err = ChannelMap::load(&map).expect_err("refused").to_string();
        assert!(err.contains("does not measure torque_kftlbf"), "{err}");
        let map = write(
            dir.path(),
            "map2.toml",
            "[[column]]\nsource = \"T\"\nchannel = \"torque\"\nunit = \"kN.m\"\n",
        );
        let err = ChannelMap::load(&map).expect_err("refused").to_string();
        assert!(err.contains("unknown channel"), "{err}");
    }
}
