//! WITSML 1.4.1.1 time logs replayed as packets (`sairen rig --witsml FILE...`). Each file holds
//! a `<log>`: its curves' mnemonics and units (`<mnemonicList>`, `<unitList>`), its `nullValue`,
//! and rows of comma-separated values indexed by time (any offset; packets are UTC). Mnemonics go
//! to channels through a map like the CSV one (`source` = the mnemonic). Several logs of one well
//! — and the chunks one log is split into — are merged by time: every row is a packet, with the
//! other logs' latest values joined while they are under 30 s old.

use super::csv::ChannelMap;
use super::units::parse_unit;
use crate::drilling::{Channel, WitsPacket};
use chrono::{DateTime, Duration, Utc};
use quick_xml::events::Event;
use quick_xml::Reader;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Largest log file read, bytes (a WITSML chunk is a few MB).
const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;
/// How long another log's values join the packets of a faster one.
const FRESH_SECS: i64 = 30;

/// Why a log cannot be replayed.
#[derive(Debug, thiserror::Error)]
pub enum WitsmlError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a WITSML log this reader understands.
    #[error("{path}: {message}")]
    Data {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// One `<log>`: its name, curves and rows (`NaN` where a value is null or absent).
#[derive(Debug, Clone)]
pub struct Log {
    /// `<name>` (chunks of one log share it: "GenTime").
    pub name: String,
    /// The curves' mnemonics, in row order.
    pub mnemonics: Vec<String>,
    /// Their units of measure.
    pub units: Vec<String>,
    /// Rows: the index time and every curve's value.
    pub rows: Vec<(DateTime<Utc>, Vec<f64>)>,
}

impl Log {
    /// The column of `mnemonic`.
    pub fn column(&self, mnemonic: &str) -> Option<usize> {
        self.mnemonics.iter().position(|m| m == mnemonic)
    }
}

/// The elements whose text the reader keeps.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Field {
    Name,
    IndexCurve,
    Null,
    Mnemonics,
    Units,
    Data,
    Other,
}

/// Read one WITSML log file.
pub fn read_log(path: &Path) -> Result<Log, WitsmlError> {
    let read_err = |source| WitsmlError::Read {
        path: path.to_path_buf(),
        source,
    };
    let data_err = |message: String| WitsmlError::Data {
        path: path.to_path_buf(),
        message,
    };
    let size = std::fs::metadata(path).map_err(read_err)?.len();
    if size > MAX_FILE_BYTES {
        return Err(data_err(format!(
            "{size} bytes: larger than the {MAX_FILE_BYTES} a WITSML log chunk is read at"
        )));
    }
    let text = std::fs::read_to_string(path).map_err(read_err)?;
    let mut reader = Reader::from_str(&text);
    reader.config_mut().trim_text(true);
    let mut field = Field::Other;
    let (mut name, mut index, mut null) = (None::<String>, None::<String>, None::<f64>);
    let (mut mnemonics, mut units) = (Vec::new(), Vec::new());
    let mut raw_rows: Vec<String> = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                field = match e.local_name().into_inner() {
                    "name" if name.is_none() => Field::Name,
                    "indexCurve" => Field::IndexCurve,
                    "nullValue" => Field::Null,
                    "mnemonicList" => Field::Mnemonics,
                    "unitList" => Field::Units,
                    "data" => Field::Data,
                    _ => Field::Other,
                }
            }
            Ok(Event::Text(t)) => {
                // Numbers, times and mnemonics: no entities to resolve.
                let value: String = (*t).to_owned();
                match field {
                    Field::Name => name = Some(value),
                    Field::IndexCurve => index = Some(value),
                    Field::Null => null = value.trim().parse().ok(),
                    Field::Mnemonics => mnemonics = split(&value),
                    Field::Units => units = split(&value),
                    Field::Data => raw_rows.push(value),
                    Field::Other => {}
                }
            }
            Ok(Event::End(_)) => field = Field::Other,
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                return Err(data_err(format!(
                    "not well-formed XML at byte {}: {e}",
                    reader.error_position()
                )))
            }
        }
    }
    if mnemonics.is_empty() {
        return Err(data_err(
            "no <mnemonicList>: not a WITSML 1.4.1.1 log with <logData>".into(),
        ));
    }
    let index = index.unwrap_or_else(|| mnemonics[0].clone());
    let time_col = mnemonics
        .iter()
        .position(|m| *m == index)
        .ok_or_else(|| data_err(format!("index curve {index:?} is not in <mnemonicList>")))?;
    let mut rows = Vec::with_capacity(raw_rows.len());
    let mut bad = 0usize;
    for raw in &raw_rows {
        let cells: Vec<&str> = raw.split(',').collect();
        let Some(at) = cells
            .get(time_col)
            .and_then(|c| DateTime::parse_from_rfc3339(c.trim()).ok())
        else {
            bad += 1;
            continue;
        };
        let values = (0..mnemonics.len())
            .map(|i| {
                let v = cells
                    .get(i)
                    .and_then(|c| c.trim().parse::<f64>().ok())
                    .unwrap_or(f64::NAN);
                if null.is_some_and(|n| (v - n).abs() < 1e-9) || !v.is_finite() {
                    f64::NAN
                } else {
                    v
                }
            })
            .collect();
        rows.push((at.with_timezone(&Utc), values));
    }
    if bad > 0 {
        log::warn!(
            "{}: {bad} of {} rows without a readable time were skipped",
            path.display(),
            raw_rows.len()
        );
    }
    Ok(Log {
        name: name.unwrap_or_else(|| path.display().to_string()),
        mnemonics,
        units,
        rows,
    })
}

fn split(list: &str) -> Vec<String> {
    list.split(',').map(|s| s.trim().to_owned()).collect()
}

/// One row's mapped values, ready to merge.
#[derive(Debug, Clone)]
struct Row {
    at: DateTime<Utc>,
    log: usize,
    values: Vec<(Channel, f64)>,
}

/// Logs of one well replayed in time order as packets.
#[derive(Debug)]
pub struct WitsmlReplay {
    rows: std::iter::Peekable<std::vec::IntoIter<Row>>,
    latest: Vec<Option<(DateTime<Utc>, WitsPacket)>>,
    missing: Vec<Channel>,
}

impl WitsmlReplay {
    /// Read `paths` and map their curves through `map`.
    pub fn open(paths: &[PathBuf], map: &ChannelMap) -> Result<Self, WitsmlError> {
        let mut names: BTreeMap<String, usize> = BTreeMap::new();
        let mut rows = Vec::new();
        let mut fed = std::collections::BTreeSet::new();
        for path in paths {
            let log = read_log(path)?;
            let next = names.len();
            let log_index = *names.entry(log.name.clone()).or_insert(next);
            let columns = mapped_columns(&log, map, path);
            fed.extend(columns.iter().map(|(_, c, _)| *c));
            for (at, values) in &log.rows {
                let values = columns
                    .iter()
                    .filter_map(|&(i, c, f)| {
                        values.get(i).filter(|v| v.is_finite()).map(|v| (c, v * f))
                    })
                    .collect();
                rows.push(Row {
                    at: *at,
                    log: log_index,
                    values,
                });
            }
        }
        if fed.is_empty() {
            return Err(WitsmlError::Data {
                path: paths.first().cloned().unwrap_or_default(),
                message: "no curve of these logs is in the channel map".into(),
            });
        }
        rows.sort_by_key(|r| r.at);
        let missing = Channel::ALL
            .iter()
            .copied()
            .filter(|c| !fed.contains(c))
            .collect();
        Ok(Self {
            rows: rows.into_iter().peekable(),
            latest: vec![None; names.len()],
            missing,
        })
    }

    /// The channels no log fills.
    pub fn missing_channels(&self) -> &[Channel] {
        &self.missing
    }
}

/// The log's columns the map names, with their channel and factor; a unit in the log that is not
/// the map's is converted from the log's own (it says what it holds).
fn mapped_columns(log: &Log, map: &ChannelMap, path: &Path) -> Vec<(usize, Channel, f64)> {
    let mut out = Vec::new();
    for (mnemonic, channel, factor) in map.sources() {
        let Some(i) = log.column(mnemonic) else {
            continue;
        };
        let own = log.units.get(i).and_then(|u| parse_unit(u));
        let factor = match own {
            Some((quantity, f)) if quantity == super::wits::quantity(*channel) => f,
            _ => *factor,
        };
        if own.is_none() {
            log::debug!(
                "{}: {mnemonic}'s unit {:?} is not one SAIREN knows; the map's unit is used",
                path.display(),
                log.units.get(i)
            );
        }
        out.push((i, *channel, factor));
    }
    out
}

impl Iterator for WitsmlReplay {
    type Item = WitsPacket;

    fn next(&mut self) -> Option<WitsPacket> {
        let row = self.rows.next()?;
        let at = row.at;
        // Rows of every log stamped with the same instant are one packet.
        let mut same = vec![row];
        while let Some(r) = self.rows.next_if(|r| r.at == at) {
            same.push(r);
        }
        let mut packet = WitsPacket {
            timestamp: at,
            ..WitsPacket::default()
        };
        for row in same {
            let mut own = WitsPacket {
                timestamp: at,
                ..WitsPacket::default()
            };
            for (c, v) in &row.values {
                *c.slot(&mut own) = Some(*v);
                *c.slot(&mut packet) = Some(*v);
            }
            self.latest[row.log] = Some((at, own));
        }
        for (then, other) in self.latest.iter().flatten() {
            if at - *then > Duration::seconds(FRESH_SECS) {
                continue;
            }
            for &c in Channel::ALL {
                let slot = c.slot(&mut packet);
                if slot.is_none() {
                    *slot = c.get(other);
                }
            }
        }
        Some(packet)
    }
}
