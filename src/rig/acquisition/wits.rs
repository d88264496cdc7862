//! WITS Level 0 (DESIGN §3.1): a frame is a line `&&`, one `RRII<value>` line per item, a line
//! `!!`. Record 01 (General Time-Based) items become a [`WitsPacket`] in oilfield units.
//!
//! Nothing in a stream is fatal: garbage lines, unknown items, other records, truncated frames and
//! unreadable values are counted by kind ([`Issues`]) and the first of each kind is logged.

use super::units::{Quantity, UnitSystem};
use crate::drilling::{Channel, WitsPacket};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

/// Longest line a WITS0 item can need; anything longer is garbage (and bounded memory).
pub const MAX_LINE: usize = 128;
/// Most items one frame may hold; a frame with more never ended properly.
pub const MAX_ITEMS: usize = 256;
/// Absent-value markers most WITS senders use.
pub const DEFAULT_NULLS: [f64; 3] = [9999.0, -9999.0, -999.25];

/// A kind of problem in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Issue {
    /// A line that is neither a frame mark nor an item.
    GarbageLine,
    /// An item line, or `!!`, outside a frame.
    OutsideFrame,
    /// A frame that was not closed before the next began, or grew past [`MAX_ITEMS`].
    TruncatedFrame,
    /// An item of a record other than 01 that no channel is mapped to (ignored).
    OtherRecord,
    /// A record-01 item this decoder does not map (spares 41–45 included).
    UnknownItem,
    /// An item whose value is not a finite number.
    BadValue,
    /// Date and time items that do not make a valid instant.
    BadTimestamp,
    /// A packet whose time is not after the previous packet's (repeated or out of order).
    TimeNotAdvancing,
}

impl Issue {
    /// What a person reading the log should understand.
    pub fn describe(self) -> &'static str {
        match self {
            Self::GarbageLine => "a line that is not WITS0",
            Self::OutsideFrame => "an item outside a && … !! frame",
            Self::TruncatedFrame => "a frame that never ended (dropped)",
            Self::OtherRecord => "an item of a record other than 01 with no channel mapped (ignored; map it in [input.items])",
            Self::UnknownItem => "a record-01 item with no channel mapped (ignored)",
            Self::BadValue => "an item whose value is not a number (channel left empty)",
            Self::BadTimestamp => {
                "date/time items that are not a valid instant (receive time used)"
            }
            Self::TimeNotAdvancing => {
                "a packet whose time is not after the previous one's (dropped)"
            }
        }
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// Counts of stream problems by kind; logs the first of each kind only, so a bad stream cannot
/// flood the log.
#[derive(Debug, Default, Clone)]
pub struct Issues {
    counts: BTreeMap<Issue, u64>,
}

impl Issues {
    /// Count one; log it if it is the first of its kind.
    pub fn note(&mut self, issue: Issue, detail: &str) {
        let count = self.counts.entry(issue).or_default();
        *count += 1;
        if *count == 1 {
            log::warn!(
                "WITS input: {issue}: {detail:?} (further ones are counted, not logged; \
                 see the health endpoint)"
            );
        }
    }

    /// How many of a kind so far.
    pub fn count(&self, issue: Issue) -> u64 {
        self.counts.get(&issue).copied().unwrap_or(0)
    }

    /// Problems of every kind so far.
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    /// Every kind seen, with its count.
    pub fn all(&self) -> &BTreeMap<Issue, u64> {
        &self.counts
    }
}

/// One item line: record, item and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Record number (01 = General Time-Based).
    pub record: u8,
    /// Item number within the record.
    pub item: u8,
    /// The value, read as a number at once (no copy of the text on the hot path); the text is
    /// kept only when it is not a finite number, for the report.
    pub value: Result<f64, String>,
}

/// The items between one `&&` and its `!!`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frame {
    /// Items in the order received.
    pub items: Vec<Item>,
}

/// Splits a WITS0 stream, line by line, into frames. One frame buffer is reused for the whole
/// stream: framing allocates nothing per frame.
#[derive(Debug, Default)]
pub struct Framer {
    frame: Frame,
    open: bool,
}

impl Framer {
    /// Take one line (without or with its CR/LF); the complete frame when this line closed one,
    /// valid until the next line.
    pub fn push_line(&mut self, line: &str, issues: &mut Issues) -> Option<&Frame> {
        let line = line.trim_ascii();
        if line.is_empty() {
            return None;
        }
        if line.len() > MAX_LINE {
            let start: String = line.chars().take(40).collect();
            issues.note(Issue::GarbageLine, &start);
            return None;
        }
        match line {
            "&&" => {
                if self.open {
                    issues.note(Issue::TruncatedFrame, "&& before !!");
                }
                self.frame.items.clear();
                self.open = true;
                None
            }
            "!!" => {
                if !self.open {
                    issues.note(Issue::OutsideFrame, line);
                    return None;
                }
                self.open = false;
                Some(&self.frame)
            }
            _ => {
                let Some(item) = parse_item(line) else {
                    issues.note(Issue::GarbageLine, line);
                    return None;
                };
                if !self.open {
                    issues.note(Issue::OutsideFrame, line);
                } else if self.frame.items.len() >= MAX_ITEMS {
                    self.open = false;
                    issues.note(Issue::TruncatedFrame, "too many items");
                } else {
                    self.frame.items.push(item);
                }
                None
            }
        }
    }
}

fn parse_item(line: &str) -> Option<Item> {
    let code = line.as_bytes().get(..4)?;
    if !code.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let digit = |i: usize| code[i] - b'0';
    let text = line.get(4..)?.trim_ascii();
    let value = simple_decimal(text).or_else(|| text.parse::<f64>().ok());
    Some(Item {
        record: digit(0) * 10 + digit(1),
        item: digit(2) * 10 + digit(3),
        value: match value {
            Some(v) if v.is_finite() => Ok(v),
            _ => Err(text.to_owned()),
        },
    })
}

/// Powers of ten exactly representable as f64.
const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// The common WITS value `[-]digits[.digits]` with at most 15 significant digits, read exactly:
/// the digits form an integer below 2^53 and one division by an exact power of ten rounds
/// correctly (Clinger's fast path). Anything else returns `None` for the full parser.
fn simple_decimal(text: &str) -> Option<f64> {
    let (negative, digits) = match text.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        all => (false, all),
    };
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    let (mut mantissa, mut fraction, mut seen_point, mut count) = (0u64, 0usize, false, 0usize);
    for &b in digits {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(b - b'0');
                count += 1;
                if seen_point {
                    fraction += 1;
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => return None,
        }
    }
    if count == 0 || count > 15 {
        return None;
    }
    let v = mantissa as f64 / POW10[fraction];
    Some(if negative { -v } else { v })
}

/// A record-01 channel: where it goes in a packet and what it measures.
/// The unit conversion a channel's WITS value needs.
pub fn quantity(channel: Channel) -> Quantity {
    use Quantity::*;
    match channel {
        Channel::BitDepth | Channel::HoleDepth | Channel::HoleDepthTvd | Channel::BlockPosition => {
            Length
        }
        Channel::Rop => Speed,
        Channel::Hookload | Channel::Wob => Force,
        Channel::Torque => Torque,
        Channel::Spp | Channel::CasingPressure => Pressure,
        Channel::PitVolume | Channel::PitVolumeChange | Channel::TripTank => Volume,
        Channel::FlowOut | Channel::FlowIn => Flow,
        Channel::MudDensityOut | Channel::MudDensityIn => Density,
        Channel::BitDiameter => Diameter,
        Channel::Rpm
        | Channel::Pump1
        | Channel::Pump2
        | Channel::Pump3
        | Channel::FlowOutPct
        | Channel::Gas
        | Channel::GasC1
        | Channel::GasC2
        | Channel::GasC3
        | Channel::GasIc4
        | Channel::GasNc4
        | Channel::GasIc5
        | Channel::GasNc5 => Unitless,
    }
}

/// Where each WITS item goes: record + item → channel. The standard record-01 items, the
/// record-11 (mud tank volumes) items rigs send their pits and trip tanks in, and the record-12
/// chromatograph's C1–C5, unless the rig's `[input.items]` says otherwise.
#[derive(Debug, Clone)]
pub struct ItemMap {
    by_code: Box<[Option<Channel>]>,
}

/// Record 11 (mud tank volumes), as the WITS specification numbers its items.
pub const RECORD_11: [(u16, Channel); 3] = [
    // Tank volume (active) and its change: the active pit.
    (1111, Channel::PitVolume),
    (1113, Channel::PitVolumeChange),
    // Trip tank 1.
    (1129, Channel::TripTank),
];

/// Record 12 (chromatograph, cycle-based): the alkanes C1–C5 in ppm, items 12–18 after the
/// record's header, sample depth and sample time items (WITS record layout: METH, ETH, PRP,
/// IBUT, NBUT, IPEN, NPEN).
pub const RECORD_12: [(u16, Channel); 7] = [
    (1212, Channel::GasC1),
    (1213, Channel::GasC2),
    (1214, Channel::GasC3),
    (1215, Channel::GasIc4),
    (1216, Channel::GasNc4),
    (1217, Channel::GasIc5),
    (1218, Channel::GasNc5),
];

impl Default for ItemMap {
    fn default() -> Self {
        let mut by_code = vec![None; 10_000].into_boxed_slice();
        for &c in Channel::ALL {
            if let Some(item) = c.wits_item() {
                by_code[100 + usize::from(item)] = Some(c);
            }
        }
        for (code, c) in RECORD_11.into_iter().chain(RECORD_12) {
            by_code[usize::from(code)] = Some(c);
        }
        Self { by_code }
    }
}

impl ItemMap {
    /// The standard map with the rig's own items: "RRII" (record and item, four digits) → the
    /// channel's name. Every problem is named, one line each.
    pub fn with_items<'a>(
        mut self,
        items: impl IntoIterator<Item = (&'a String, &'a String)>,
    ) -> Result<Self, Vec<String>> {
        let mut problems = Vec::new();
        for (code, name) in items {
            let parsed = (code.len() == 4)
                .then(|| code.parse::<u16>().ok())
                .flatten()
                .filter(|c| c / 100 >= 1 && c % 100 >= 8);
            let channel = Channel::from_name(name);
            match (parsed, channel) {
                (Some(c), Some(ch)) => self.by_code[usize::from(c)] = Some(ch),
                (None, _) => problems.push(format!(
                    "input.items: {code:?} is not a WITS item code (four digits, record then item, item 08 or above: \"1129\")"
                )),
                (_, None) => problems.push(format!(
                    "input.items: {code:?} maps to {name:?}, which is not a channel; channels: {}",
                    Channel::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
                )),
            }
        }
        if problems.is_empty() {
            Ok(self)
        } else {
            Err(problems)
        }
    }

    /// The channel of record `record`, item `item`.
    pub fn channel(&self, record: u8, item: u8) -> Option<Channel> {
        self.by_code
            .get(usize::from(record) * 100 + usize::from(item))
            .copied()
            .flatten()
    }
}

const DATE_ITEM: u8 = 5;
const TIME_ITEM: u8 = 6;
const TVD_ITEM: u8 = 11;

/// What a frame turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded {
    /// A sample.
    Packet(Box<WitsPacket>),
    /// A keep-alive (a lone null `0111`): the link is up, there is no data.
    KeepAlive,
    /// Values of another record (pits and trip tanks in record 11) sent in a frame of their own:
    /// they join the next record-01 packet.
    Extra(Box<WitsPacket>),
}

/// Turns frames into packets in oilfield units.
#[derive(Debug, Clone)]
pub struct Decoder {
    units: UnitSystem,
    nulls: Vec<f64>,
    items: std::sync::Arc<ItemMap>,
}

impl Decoder {
    /// A decoder for streams in `units` that mark absent values with any of `nulls`.
    pub fn new(units: UnitSystem, nulls: &[f64]) -> Self {
        Self {
            units,
            nulls: nulls.to_vec(),
            items: std::sync::Arc::new(ItemMap::default()),
        }
    }

    /// The same decoder reading items through `items`.
    pub fn with_items(mut self, items: ItemMap) -> Self {
        self.items = std::sync::Arc::new(items);
        self
    }

    fn is_null(&self, v: f64) -> bool {
        self.nulls.iter().any(|n| (v - n).abs() < 1e-9)
    }

    /// Decode a frame; `received_at` stands in when the frame carries no valid date and time.
    pub fn decode(
        &self,
        frame: &Frame,
        received_at: DateTime<Utc>,
        issues: &mut Issues,
    ) -> Decoded {
        let mut packet = WitsPacket {
            timestamp: received_at,
            ..WitsPacket::default()
        };
        let (mut date, mut time) = (None, None);
        let mut data_items = 0usize;
        let mut record_01 = false;
        let mut lone_null_tvd = false;
        for item in &frame.items {
            let value = match &item.value {
                Ok(v) => *v,
                Err(text) => {
                    issues.note(Issue::BadValue, text);
                    continue;
                }
            };
            match (item.record, item.item) {
                (1, DATE_ITEM) => date = (!self.is_null(value)).then_some(value),
                (1, TIME_ITEM) => time = (!self.is_null(value)).then_some(value),
                // Other records carry their own date and time: the record-01 clock is the one.
                (_, DATE_ITEM | TIME_ITEM) => {}
                (record, code) => match self.items.channel(record, code) {
                    Some(ch) => {
                        data_items += 1;
                        record_01 |= record == 1;
                        lone_null_tvd = record == 1 && code == TVD_ITEM && self.is_null(value);
                        if !self.is_null(value) {
                            *ch.slot(&mut packet) = Some(self.units.to_fps(quantity(ch), value));
                        }
                    }
                    None if record == 1 => issues.note(Issue::UnknownItem, &format!("01{code:02}")),
                    None => issues.note(Issue::OtherRecord, &format!("{record:02}{code:02}")),
                },
            }
        }
        if data_items == 1 && lone_null_tvd && date.is_none() && time.is_none() {
            return Decoded::KeepAlive;
        }
        if data_items > 0 && !record_01 {
            return Decoded::Extra(Box::new(packet));
        }
        match (date, time) {
            (Some(d), Some(t)) => match wits_instant(d, t) {
                Some(at) => packet.timestamp = at,
                None => issues.note(Issue::BadTimestamp, &format!("{d} {t}")),
            },
            (None, None) => {}
            _ => issues.note(Issue::BadTimestamp, "date or time item missing"),
        }
        Decoded::Packet(Box::new(packet))
    }
}

/// `YYMMDD` and `HHMMSS` as numbers (WITS sends them as plain values), UTC.
fn wits_instant(date: f64, time: f64) -> Option<DateTime<Utc>> {
    let (date, time) = (date.round() as i64, time.round() as i64);
    if !(0..=999_999).contains(&date) || !(0..=235_959).contains(&time) {
        return None;
    }
    let year = 2000 + (date / 10_000) as i32;
    let day = NaiveDate::from_ymd_opt(year, ((date / 100) % 100) as u32, (date % 100) as u32)?;
    let clock = NaiveTime::from_hms_opt(
        (time / 10_000) as u32,
        ((time / 100) % 100) as u32,
        (time % 100) as u32,
    )?;
    Some(NaiveDateTime::new(day, clock).and_utc())
}

/// Write `packet` as one WITS0 frame in `units` (the simulator's output; absent channels are
/// left out). Lines end in CRLF, as most senders do.
pub fn write_frame(packet: &WitsPacket, units: UnitSystem, out: &mut String) {
    out.push_str("&&\r\n");
    let ts = packet.timestamp;
    let _ = write!(
        out,
        "0105{}\r\n0106{}\r\n",
        ts.format("%y%m%d"),
        ts.format("%H%M%S")
    );
    for &ch in Channel::ALL {
        if let (Some(code), Some(v)) = (ch.wits_item(), ch.get(packet)) {
            let sent = v / units.to_fps(quantity(ch), 1.0);
            let _ = write!(out, "01{code:02}{sent:.4}\r\n");
        }
    }
    out.push_str("!!\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Record 11 in a frame of its own (as Pason-style servers send it) comes out as values that
    /// join the record-01 packets; a rig's own map can move an item, and a wrong one is named.
    #[test]
    fn record_11_pits_and_trip_tank_are_read_and_mapped() {
        let mut framer = Framer::default();
        let mut issues = Issues::default();
        let mut frames = Vec::new();
        for line in "&&\n11051612\n1106123000\n1111512.5\n112942.25\n1115100\n!!\n".lines() {
            frames.extend(framer.push_line(line, &mut issues).cloned());
        }
        let decoder = Decoder::new(UnitSystem::Fps, &DEFAULT_NULLS);
        let Decoded::Extra(p) = decoder.decode(&frames[0], Utc::now(), &mut issues) else {
            panic!("a record-11 frame is extra values");
        };
        assert_eq!(
            (p.pit_volume_bbl, p.trip_tank_bbl),
            (Some(512.5), Some(42.25))
        );
        assert_eq!(
            issues.all().len(),
            1,
            "tank 01 (1115) is not mapped: {:?}",
            issues.all()
        );
        let items = [("1115".to_owned(), "trip_tank_bbl".to_owned())];
        let mapped = ItemMap::default()
            .with_items(items.iter().map(|(a, b)| (a, b)))
            .expect("valid");
        assert_eq!(mapped.channel(11, 15), Some(Channel::TripTank));
        let bad = [
            ("11".to_owned(), "trip_tank_bbl".to_owned()),
            ("1116".to_owned(), "trip_tank".to_owned()),
        ];
        let problems = ItemMap::default()
            .with_items(bad.iter().map(|(a, b)| (a, b)))
            .expect_err("invalid");
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[1].contains("trip_tank_bbl"),
            "lists the channels: {}",
            problems[1]
        );
    }

    /// Record 12 (chromatograph, cycle-based) in its own frame: methane to normal pentane in
    /// ppm, items 1212–1218, join the packets; the sample's own depth and time items do not.
    #[test]
    fn record_12_gas_components_are_read() {
        let mut framer = Framer::default();
        let mut issues = Issues::default();
        let mut frames = Vec::new();
        let text = "&&\n12051612\n1206123000\n12084512.5\n12124200\n1213310\n121495\n121512\n121618\n12173\n12184\n!!\n";
        for line in text.lines() {
            frames.extend(framer.push_line(line, &mut issues).cloned());
        }
        let decoder = Decoder::new(UnitSystem::Fps, &DEFAULT_NULLS);
        let Decoded::Extra(p) = decoder.decode(&frames[0], Utc::now(), &mut issues) else {
            panic!("a record-12 frame is extra values");
        };
        assert_eq!(
            [
                p.gas_c1_ppm,
                p.gas_c2_ppm,
                p.gas_c3_ppm,
                p.gas_ic4_ppm,
                p.gas_nc4_ppm,
                p.gas_ic5_ppm,
                p.gas_nc5_ppm
            ],
            [4200.0, 310.0, 95.0, 12.0, 18.0, 3.0, 4.0].map(Some)
        );
        assert_eq!(p.bit_depth_ft, None, "the sample depth is not the bit's");
    }

    #[test]
    fn the_fast_decimal_path_agrees_with_the_full_parser() {
        for text in [
            "0",
            "-0",
            "1",
            "10001.2345",
            "-999.25",
            "9999",
            "3.14159265358979",
            "0.1",
            "+42.5",
            "123456789012345",
            "0.00000000000001",
            "12.",
            ".5",
        ] {
            let fast = simple_decimal(text).expect(text);
            let full: f64 = text.parse().expect(text);
            assert_eq!(fast.to_bits(), full.to_bits(), "{text}");
        }
        for text in [
            "1e5",
            "1234567890123456",
            "0.000000000000001",
            "1.2.3",
            "-",
            "",
            "nan",
            "inf",
            "12a",
        ] {
            assert!(simple_decimal(text).is_none(), "{text}");
        }
    }
    use chrono::TimeZone;

    fn frames(text: &str, issues: &mut Issues) -> Vec<Frame> {
        let mut framer = Framer::default();
        text.split(['\n', '\r'])
            .filter_map(|l| framer.push_line(l, issues).cloned())
            .collect()
    }

    fn received() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .expect("instant")
    }

    #[test]
    fn a_frame_becomes_a_packet_with_line_ends_of_any_kind() {
        for eol in ["\n", "\r\n", "\r"] {
            let text = [
                "&&",
                "0105261123",
                "0106143005",
                "01088500.5",
                "0110 8501.0",
                "0120120",
                "0121 3150",
                "!!",
            ]
            .join(eol);
            let mut issues = Issues::default();
            let got = frames(&text, &mut issues);
            assert_eq!(got.len(), 1, "{eol:?}");
            let Decoded::Packet(p) = Decoder::new(UnitSystem::Fps, &DEFAULT_NULLS).decode(
                &got[0],
                received(),
                &mut issues,
            ) else {
                panic!("a packet")
            };
            assert_eq!(p.bit_depth_ft, Some(8500.5));
            assert_eq!(p.hole_depth_ft, Some(8501.0));
            assert_eq!(p.rpm, Some(120.0));
            assert_eq!(p.spp_psi, Some(3150.0));
            assert_eq!(
                p.timestamp,
                Utc.with_ymd_and_hms(2026, 11, 23, 14, 30, 5)
                    .single()
                    .expect("instant")
            );
            assert!(issues.all().is_empty(), "{:?}", issues.all());
        }
    }

    #[test]
    fn bad_input_is_counted_by_kind_and_never_fatal() {
        let text = "noise\n0108100\n!!\n&&\n0108100\n&&\n0108200\n02011\n0199 7\n0116abc\n\
                    0141 5\n0105261399\n0106250000\n!!\n";
        let mut issues = Issues::default();
        let got = frames(text, &mut issues);
        assert_eq!(
            got.len(),
            1,
            "the frame cut short is dropped, the next kept"
        );
        let decoded =
            Decoder::new(UnitSystem::Fps, &DEFAULT_NULLS).decode(&got[0], received(), &mut issues);
        let Decoded::Packet(p) = decoded else {
            panic!("a packet")
        };
        assert_eq!(p.bit_depth_ft, Some(200.0));
        assert_eq!(
            p.wob_klb, None,
            "an unreadable value leaves the channel empty"
        );
        assert_eq!(p.timestamp, received(), "month 13 is no date: receive time");
        assert_eq!(issues.count(Issue::GarbageLine), 1);
        assert_eq!(
            issues.count(Issue::OutsideFrame),
            2,
            "0108100 and !! outside a frame"
        );
        assert_eq!(issues.count(Issue::TruncatedFrame), 1);
        assert_eq!(issues.count(Issue::OtherRecord), 1);
        assert_eq!(
            issues.count(Issue::UnknownItem),
            2,
            "0199 and the spare 0141"
        );
        assert_eq!(issues.count(Issue::BadValue), 1);
        assert_eq!(issues.count(Issue::BadTimestamp), 1);
    }

    #[test]
    fn nulls_are_absent_and_a_lone_null_tvd_is_a_keep_alive() {
        let decoder = Decoder::new(UnitSystem::Fps, &DEFAULT_NULLS);
        let mut issues = Issues::default();
        let got = frames(
            "&&\n0111-9999\n!!\n&&\n0108-999.25\n01109999\n0120 80\n!!\n",
            &mut issues,
        );
        assert_eq!(
            decoder.decode(&got[0], received(), &mut issues),
            Decoded::KeepAlive
        );
        let Decoded::Packet(p) = decoder.decode(&got[1], received(), &mut issues) else {
            panic!("a packet")
        };
        assert_eq!(
            (p.bit_depth_ft, p.hole_depth_ft, p.rpm),
            (None, None, Some(80.0))
        );
    }

    #[test]
    fn oversized_lines_and_frames_are_bounded() {
        let mut issues = Issues::default();
        let mut framer = Framer::default();
        assert!(framer.push_line(&"0".repeat(10_000), &mut issues).is_none());
        assert_eq!(issues.count(Issue::GarbageLine), 1);
        framer.push_line("&&", &mut issues);
        for _ in 0..=MAX_ITEMS {
            framer.push_line("0108100", &mut issues);
        }
        assert!(framer.push_line("!!", &mut issues).is_none());
        assert_eq!(issues.count(Issue::TruncatedFrame), 1);
    }

    #[test]
    fn metric_items_arrive_in_oilfield_units_and_frames_round_trip() {
        let mut issues = Issues::default();
        let got = frames("&&\n01083000\n0116 10\n0121 20000\n!!\n", &mut issues);
        let decoder = Decoder::new(UnitSystem::Metric, &DEFAULT_NULLS);
        let Decoded::Packet(p) = decoder.decode(&got[0], received(), &mut issues) else {
            panic!("a packet")
        };
        let depth = p.bit_depth_ft.expect("depth");
        assert!((depth - 9842.52).abs() < 0.01, "{depth}");
        let wob = p.wob_klb.expect("wob");
        assert!(
            (wob - 22.4809).abs() < 1e-3,
            "10 KDN = 100 kN = 22.48 klb: {wob}"
        );
        for units in [UnitSystem::Fps, UnitSystem::Metric] {
            let mut text = String::new();
            write_frame(&p, units, &mut text);
            let again = frames(&text, &mut issues);
            let Decoded::Packet(back) =
                Decoder::new(units, &DEFAULT_NULLS).decode(&again[0], received(), &mut issues)
            else {
                panic!("a packet")
            };
            assert!((back.bit_depth_ft.expect("depth") - depth).abs() < 1e-3);
            assert!((back.wob_klb.expect("wob") - wob).abs() < 1e-3);
            assert_eq!(back.timestamp, received());
        }
        assert!(issues.all().is_empty(), "{:?}", issues.all());
    }
}
