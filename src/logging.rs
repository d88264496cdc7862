//! The process's log: `env_logger` (filter from `RUST_LOG`, default `info`), as text for people
//! or as JSON lines for a fleet's log shipper (`[log] format = "json"` in either config file), with
//! the lines a stranger can cause without authenticating rate-limited. actix logs every malformed
//! HTTP request (no `Host` header, garbage) at ERROR before any handler runs: 141 MB of log in
//! 60 s from one client in a loop. Those lines are let through at most once per [`NOISY_EVERY`],
//! each saying how many were held back since the last.
//!
//! A JSON line is one object: `ts`, `level`, `target`, `message`, then the line's own fields
//! (`incident`, `route`, `status`, …, given as `log::info!(incident = id; "…")`) and the process's
//! (`rig` on a rig). Text lines leave the fields out: their messages already say it all.

use log::kv::{Key, Value, VisitSource};
use log::{Log, Metadata, Record};
use serde::Deserialize;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Targets whose lines anyone on the network can cause, one per request.
const NOISY_TARGETS: [&str; 1] = ["actix_http::h1::dispatcher"];

/// At most one line of a noisy target per this long.
pub const NOISY_EVERY: Duration = Duration::from_secs(10);

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// `[time LEVEL target] message key=value`, for people.
    #[default]
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// `[log]` in either config file.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSection {
    /// `text` (default) or `json`.
    #[serde(default)]
    pub format: LogFormat,
}

/// Fields every line of this process carries (the rig's id on a rig), set once at start.
static PROCESS_FIELDS: OnceLock<Vec<(&'static str, String)>> = OnceLock::new();

/// Add `fields` to every line from now on (once per process; later calls are ignored).
pub fn set_process_fields(fields: Vec<(&'static str, String)>) {
    let _ = PROCESS_FIELDS.set(fields);
}

/// The format a config file asks for, read before the config itself so that its first lines are
/// already in that format. A file that is missing or does not parse gives text: loading it
/// properly reports the problem.
pub fn format_in(config: Option<&Path>) -> LogFormat {
    #[derive(Deserialize)]
    struct Only {
        #[serde(default)]
        log: Option<toml::Value>,
    }
    let Some(text) = config.and_then(|p| std::fs::read_to_string(p).ok()) else {
        return LogFormat::Text;
    };
    toml::from_str::<Only>(&text)
        .ok()
        .and_then(|o| o.log)
        .and_then(|v| v.try_into::<LogSection>().ok())
        .map(|s| s.format)
        .unwrap_or_default()
}

/// Install the logger for this process.
pub fn init(format: LogFormat) {
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    match format {
        LogFormat::Text => builder.format_timestamp_millis(),
        LogFormat::Json => builder.format(|buf, record| {
            let line = json_line(record, chrono::Utc::now());
            writeln!(buf, "{line}")
        }),
    };
    let inner = builder.build();
    let max = inner.filter();
    if log::set_boxed_logger(Box::new(RateLimited::new(inner, NOISY_EVERY))).is_ok() {
        log::set_max_level(max);
    }
}

/// One record as a JSON object.
pub fn json_line(record: &Record<'_>, at: chrono::DateTime<chrono::Utc>) -> serde_json::Value {
    let mut line = serde_json::Map::new();
    line.insert(
        "ts".into(),
        at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            .into(),
    );
    line.insert("level".into(), record.level().as_str().into());
    line.insert("target".into(), record.target().into());
    line.insert("message".into(), record.args().to_string().into());
    for (k, v) in PROCESS_FIELDS.get().into_iter().flatten() {
        line.insert((*k).into(), v.clone().into());
    }
    let mut fields = Fields(&mut line);
    let _ = record.key_values().visit(&mut fields);
    serde_json::Value::Object(line)
}

/// Collects a record's key–values: numbers and booleans stay JSON numbers and booleans.
struct Fields<'m>(&'m mut serde_json::Map<String, serde_json::Value>);

impl<'kvs> VisitSource<'kvs> for Fields<'_> {
    fn visit_pair(&mut self, key: Key<'kvs>, value: Value<'kvs>) -> Result<(), log::kv::Error> {
        let json = if let Some(n) = value.to_u64() {
            n.into()
        } else if let Some(n) = value.to_i64() {
            n.into()
        } else if let Some(b) = value.to_bool() {
            b.into()
        } else if let Some(x) = value.to_f64().and_then(serde_json::Number::from_f64) {
            serde_json::Value::Number(x)
        } else {
            value.to_string().into()
        };
        // A field never hides the line's own keys.
        let key = match key.as_str() {
            k @ ("ts" | "level" | "target" | "message") => format!("field_{k}"),
            k => k.to_owned(),
        };
        self.0.insert(key, json);
        Ok(())
    }
}

/// A logger that passes every line to `inner`, but a noisy target's at most once per `every`.
pub struct RateLimited<L> {
    inner: L,
    every: Duration,
    last: Mutex<Option<Instant>>,
    held_back: AtomicU64,
}

impl<L: Log> RateLimited<L> {
    /// Wrap `inner`.
    pub fn new(inner: L, every: Duration) -> Self {
        Self {
            inner,
            every,
            last: Mutex::new(None),
            held_back: AtomicU64::new(0),
        }
    }

    /// Whether a line of a noisy target may go out now.
    fn admit(&self) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if last.is_some_and(|t| now.duration_since(t) < self.every) {
            self.held_back.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        *last = Some(now);
        true
    }
}

impl<L: Log> Log for RateLimited<L> {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.inner.enabled(metadata)
    }

    fn log(&self, record: &Record<'_>) {
        if !self.inner.enabled(record.metadata()) {
            return;
        }
        if !NOISY_TARGETS.contains(&record.target()) {
            return self.inner.log(record);
        }
        if !self.admit() {
            return;
        }
        let held_back = self.held_back.swap(0, Ordering::Relaxed);
        if held_back == 0 {
            return self.inner.log(record);
        }
        self.inner.log(
            &Record::builder()
                .args(format_args!(
                    "{} ({held_back} more such line(s) held back since the last)",
                    record.args()
                ))
                .level(record.level())
                .target(record.target())
                .module_path(record.module_path())
                .file(record.file())
                .line(record.line())
                .build(),
        );
    }

    fn flush(&self) {
        self.inner.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_line_carries_level_target_message_and_the_lines_own_fields() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-03T04:05:06.789Z")
            .expect("time")
            .with_timezone(&chrono::Utc);
        let kvs: [(&str, Value); 4] = [
            ("incident", Value::from("RIG-A-1796243509")),
            ("status", Value::from(201u64)),
            ("acknowledged", Value::from(false)),
            ("level", Value::from("critical")),
        ];
        let record = Record::builder()
            .args(format_args!("kick opened \"quoted\"\nsecond line"))
            .level(log::Level::Warn)
            .target("sairen::rig::core")
            .key_values(&kvs)
            .build();
        let line = json_line(&record, at).to_string();
        assert!(!line.contains('\n'), "one line: {line}");
        let back: serde_json::Value = serde_json::from_str(&line).expect("parses");
        assert_eq!(back["ts"], "2026-12-03T04:05:06.789Z");
        assert_eq!(back["level"], "WARN");
        assert_eq!(back["target"], "sairen::rig::core");
        assert_eq!(back["message"], "kick opened \"quoted\"\nsecond line");
        assert_eq!(back["incident"], "RIG-A-1796243509");
        assert_eq!(back["status"], 201);
        assert_eq!(back["acknowledged"], false);
        assert_eq!(
            back["field_level"], "critical",
            "a field never hides the line's level"
        );
    }

    #[test]
    fn the_format_is_read_from_the_config_before_the_config_is_loaded() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("rig.toml");
        std::fs::write(&path, "[rig]\nrig_id = \"R\"\n[log]\nformat = \"json\"\n").expect("write");
        assert_eq!(format_in(Some(&path)), LogFormat::Json);
        std::fs::write(&path, "[log]\nformat = \"yaml\"\n").expect("write");
        assert_eq!(
            format_in(Some(&path)),
            LogFormat::Text,
            "loading reports it"
        );
        assert_eq!(
            format_in(Some(&dir.path().join("none.toml"))),
            LogFormat::Text
        );
        assert_eq!(format_in(None), LogFormat::Text);
    }

    /// Keeps what it is given.
    #[derive(Default)]
    struct Keep(Mutex<Vec<String>>);

    impl Log for Keep {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn log(&self, record: &Record<'_>) {
            self.0
                .lock()
                .expect("lines")
                .push(format!("{} {}", record.target(), record.args()));
        }
        fn flush(&self) {}
    }

    fn line(logger: &impl Log, target: &str, text: &str) {
        logger.log(
            &Record::builder()
                .args(format_args!("{text}"))
                .level(log::Level::Error)
                .target(target)
                .build(),
        );
    }

    #[test]
    fn a_flood_of_malformed_requests_logs_one_line_per_interval_and_says_how_many_were_held_back() {
        let logger = RateLimited::new(Keep::default(), Duration::from_millis(200));
        for _ in 0..1_000 {
            line(&logger, "actix_http::h1::dispatcher", "stream error");
            line(&logger, "sairen::hub", "a line of ours");
        }
        std::thread::sleep(Duration::from_millis(250));
        line(&logger, "actix_http::h1::dispatcher", "stream error");
        let lines = logger.inner.0.lock().expect("lines");
        let noisy: Vec<&String> = lines.iter().filter(|l| l.starts_with("actix")).collect();
        assert_eq!(noisy.len(), 2, "{noisy:?}");
        assert!(
            noisy[1].contains("999 more such line(s) held back"),
            "{noisy:?}"
        );
        assert_eq!(lines.len() - noisy.len(), 1_000, "our own lines all pass");
    }
}
