//! The process's log: `env_logger` (filter from `RUST_LOG`, default `info`), with the lines a
//! stranger can cause without authenticating rate-limited. actix logs every malformed HTTP request
//! (no `Host` header, garbage) at ERROR before any handler runs: 141 MB of log in 60 s from one
//! client in a loop. Those lines are let through at most once per [`NOISY_EVERY`], each saying how
//! many were held back since the last.

use log::{Log, Metadata, Record};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Targets whose lines anyone on the network can cause, one per request.
const NOISY_TARGETS: [&str; 1] = ["actix_http::h1::dispatcher"];

/// At most one line of a noisy target per this long.
pub const NOISY_EVERY: Duration = Duration::from_secs(10);

/// Install the logger for this process.
pub fn init() {
    let inner = env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format_timestamp_millis()
        .build();
    let max = inner.filter();
    if log::set_boxed_logger(Box::new(RateLimited::new(inner, NOISY_EVERY))).is_ok() {
        log::set_max_level(max);
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
