//! The packet loop: takes inputs from the source thread, paces replays, feeds each packet to the
//! [`Core`], and watches for a feed that has gone quiet.

use super::acquisition::source::Input;
use super::core::{lock, Core};
use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How the loop ended.
#[derive(Debug, Clone, PartialEq)]
pub enum LoopEnd {
    /// The input ended (replay done).
    Ended,
    /// Asked to stop.
    Stopped,
    /// The input failed.
    Failed(String),
}

/// How replays are paced against the wall clock.
#[derive(Debug, Clone, Copy)]
pub enum Pacing {
    /// Live input: packets are handled as they come.
    Live,
    /// A replay at this many simulated seconds per second (0 = as fast as possible).
    Replay {
        /// Simulated seconds per wall-clock second.
        speed: f64,
    },
}

/// Holds a replay to its speed: the first packet fixes the origin, each later one waits until
/// its simulated offset, scaled, has passed on the wall clock.
struct Pacer {
    speed: Option<f64>,
    origin: Option<(DateTime<Utc>, Instant)>,
}

impl Pacer {
    fn new(pacing: Pacing) -> Self {
        let speed = match pacing {
            Pacing::Replay { speed } if speed > 0.0 => Some(speed),
            _ => None,
        };
        Self {
            speed,
            origin: None,
        }
    }

    fn wait_for(&mut self, at: DateTime<Utc>) {
        let Some(speed) = self.speed else { return };
        let (t0, w0) = *self.origin.get_or_insert((at, Instant::now()));
        let sim_secs = (at - t0).num_milliseconds() as f64 / 1_000.0;
        let due = w0 + Duration::from_secs_f64((sim_secs / speed).max(0.0));
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        }
    }
}

/// Logs once when no input has come for `stale_after`, and once when it comes back.
struct Watchdog {
    stale_after: Duration,
    last_input: Instant,
    stale_since: Option<Instant>,
}

impl Watchdog {
    fn new(stale_after: Duration) -> Self {
        Self {
            stale_after,
            last_input: Instant::now(),
            stale_since: None,
        }
    }

    fn quiet(&mut self, core: &Mutex<Core>) {
        if self.stale_since.is_none() && self.last_input.elapsed() >= self.stale_after {
            self.stale_since = Some(self.last_input);
            log::warn!(
                "no data for {} s from {}: detection is paused until the feed returns; check the WITS link",
                self.last_input.elapsed().as_secs(),
                lock(core).source()
            );
        }
    }

    fn heard(&mut self) {
        self.last_input = Instant::now();
        if let Some(since) = self.stale_since.take() {
            log::info!("data is back after {} s without", since.elapsed().as_secs());
        }
    }
}

/// Run until the input ends, fails, or `stop` is set; then mark the stream's end on the core and
/// save the baseline.
pub fn run(
    core: &Mutex<Core>,
    rx: &Receiver<Input>,
    pacing: Pacing,
    stale_after: Duration,
    stop: &AtomicBool,
) -> LoopEnd {
    let mut pacer = Pacer::new(pacing);
    let mut watchdog = Watchdog::new(stale_after);
    let end = loop {
        if stop.load(Ordering::Relaxed) {
            break LoopEnd::Stopped;
        }
        let input = match rx.recv_timeout(Duration::from_millis(250)) {
            Ok(i) => i,
            Err(RecvTimeoutError::Timeout) => {
                watchdog.quiet(core);
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => break LoopEnd::Ended,
        };
        watchdog.heard();
        match input {
            Input::Packet(p) => {
                pacer.wait_for(p.timestamp);
                lock(core).handle(*p);
            }
            Input::KeepAlive => lock(core).keep_alive(),
            Input::Link { up, detail } => {
                if up {
                    log::info!("input: {detail}");
                } else {
                    log::warn!("input: {detail}");
                }
                lock(core).set_link(up, detail);
            }
            Input::End => break LoopEnd::Ended,
            Input::Failed(why) => break LoopEnd::Failed(why),
        }
    };
    lock(core).finish(&end);
    end
}
