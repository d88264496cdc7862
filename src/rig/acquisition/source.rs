//! The inputs of `sairen rig`: a WITS0 TCP feed (reconnecting with backoff), stdin, a CSV replay
//! or the built-in simulator. Each runs on its own thread and sends [`Input`]s to the pipeline.

use super::csv::{ChannelMap, CsvReplay};
use super::units::UnitSystem;
use super::wits::{self, Decoded, Decoder, Framer, Issues};
use crate::drilling::WitsPacket;
use crate::simulate::{Scenario, Simulator};
use chrono::Utc;
use std::io::{self, BufRead, BufReader, Read};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Where packets come from.
#[derive(Debug, Clone)]
pub enum SourceSpec {
    /// A WITS0 TCP server (the rig's WITS box), `HOST:PORT`.
    WitsTcp(String),
    /// WITS0 on standard input.
    Stdin,
    /// A CSV log with a channel map.
    Csv {
        /// The log.
        path: PathBuf,
        /// Its channel map.
        map: PathBuf,
    },
    /// The built-in simulator, sent through the WITS0 encoder and decoder like a real feed.
    Simulate {
        /// The scenario.
        scenario: Scenario,
        /// Its seed.
        seed: u64,
        /// Simulated seconds (0 = endless).
        seconds: u64,
    },
}

impl SourceSpec {
    /// Whether packets carry their own timeline (replayed at `--speed`) rather than arriving live.
    pub fn is_replay(&self) -> bool {
        matches!(self, Self::Csv { .. } | Self::Simulate { .. })
    }

    /// For logs and the health endpoint.
    pub fn describe(&self) -> String {
        match self {
            Self::WitsTcp(addr) => format!("WITS0 over TCP from {addr}"),
            Self::Stdin => "WITS0 on standard input".into(),
            Self::Csv { path, .. } => format!("CSV replay of {}", path.display()),
            Self::Simulate { scenario, seed, .. } => {
                format!("simulator, scenario {scenario}, seed {seed}")
            }
        }
    }
}

/// What a source tells the pipeline.
#[derive(Debug)]
pub enum Input {
    /// A sample.
    Packet(Box<WitsPacket>),
    /// The link is up but there is no data (a WITS keep-alive).
    KeepAlive,
    /// The link came up or went down; the text says which and why.
    Link {
        /// Up or down.
        up: bool,
        /// What happened.
        detail: String,
    },
    /// The input ended (end of file or stdin); a replay is done.
    End,
    /// The input cannot go on (file unreadable, map wrong).
    Failed(String),
}

/// What the sources share with the health endpoint.
#[derive(Debug, Default)]
pub struct SourceState {
    /// Problems in the stream, by kind.
    pub issues: Mutex<Issues>,
    /// Set to stop the source thread.
    pub stop: AtomicBool,
}

/// Start `spec` on its own thread.
pub fn start(
    spec: SourceSpec,
    units: UnitSystem,
    nulls: Vec<f64>,
    reconnect_max: Duration,
    tx: SyncSender<Input>,
    state: Arc<SourceState>,
) -> io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("sairen-input".into())
        .spawn(move || {
            let decoder = Decoder::new(units, &nulls);
            if !matches!(spec, SourceSpec::WitsTcp(_)) {
                let _ = tx.send(Input::Link {
                    up: true,
                    detail: format!("reading {}", spec.describe()),
                });
            }
            let end = match spec {
                SourceSpec::WitsTcp(addr) => {
                    tcp(&addr, &decoder, reconnect_max, &tx, &state);
                    return;
                }
                SourceSpec::Stdin => {
                    let stdin = io::stdin();
                    let mut lines = WitsLines::new(decoder, &tx, &state);
                    match lines.read(stdin.lock()) {
                        Ok(()) => Input::End,
                        Err(e) => Input::Failed(format!("standard input: {e}")),
                    }
                }
                SourceSpec::Csv { path, map } => csv(&path, &map, &nulls, &tx, &state),
                SourceSpec::Simulate {
                    scenario,
                    seed,
                    seconds,
                } => simulate(scenario, seed, seconds, units, decoder, &tx, &state),
            };
            let _ = tx.send(end);
        })
}

/// Reads WITS0 lines, bounded in length, into packets.
struct WitsLines<'a> {
    framer: Framer,
    decoder: Decoder,
    issues: Issues,
    published_total: u64,
    tx: &'a SyncSender<Input>,
    state: &'a SourceState,
}

impl<'a> WitsLines<'a> {
    fn new(decoder: Decoder, tx: &'a SyncSender<Input>, state: &'a SourceState) -> Self {
        Self {
            framer: Framer::default(),
            decoder,
            issues: Issues::default(),
            published_total: 0,
            tx,
            state,
        }
    }

    /// One line; `false` when the pipeline has gone.
    fn line(&mut self, line: &str) -> bool {
        let input = self.framer.push_line(line, &mut self.issues).map(|frame| {
            match self.decoder.decode(frame, Utc::now(), &mut self.issues) {
                Decoded::Packet(p) => Input::Packet(p),
                Decoded::KeepAlive => Input::KeepAlive,
            }
        });
        // Problems are rare in a healthy feed, and a lock costs nanoseconds: show each at once.
        if self.issues.total() != self.published_total {
            self.publish();
        }
        match input {
            Some(input) => self.tx.send(input).is_ok(),
            None => true,
        }
    }

    fn publish(&mut self) {
        if let Ok(mut shared) = self.state.issues.lock() {
            *shared = self.issues.clone();
        }
        self.published_total = self.issues.total();
    }

    /// Read lines until end of input, a read error, or stop. A line longer than WITS allows is
    /// cut and counted as garbage, so a stream without line ends cannot exhaust memory.
    fn read<R: Read>(&mut self, source: R) -> io::Result<()> {
        let mut reader = BufReader::new(source);
        let mut buf = Vec::with_capacity(256);
        let limit = (wits::MAX_LINE * 4) as u64;
        let result = loop {
            if self.state.stop.load(Ordering::Relaxed) {
                break Ok(());
            }
            buf.clear();
            match reader.by_ref().take(limit).read_until(b'\n', &mut buf) {
                Ok(0) => break Ok(()),
                Ok(_) => {
                    let text = String::from_utf8_lossy(&buf);
                    if !self.line(&text) {
                        break Ok(());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => break Err(e),
            }
        };
        self.publish();
        result
    }
}

fn tcp(
    addr: &str,
    decoder: &Decoder,
    reconnect_max: Duration,
    tx: &SyncSender<Input>,
    state: &SourceState,
) {
    let mut backoff = Duration::from_secs(1);
    let mut lines = WitsLines::new(decoder.clone(), tx, state);
    while !state.stop.load(Ordering::Relaxed) {
        let connected = addr
            .to_socket_addrs()
            .and_then(|mut addrs| {
                addrs
                    .next()
                    .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address"))
            })
            .and_then(|a| TcpStream::connect_timeout(&a, Duration::from_secs(5)));
        let reason = match connected {
            Ok(sock) => {
                backoff = Duration::from_secs(1);
                let _ = tx.send(Input::Link {
                    up: true,
                    detail: format!("connected to {addr}"),
                });
                // A feed silent for a minute is dead even if the socket is not: reconnect.
                let _ = sock.set_read_timeout(Some(Duration::from_secs(60)));
                match lines.read(sock) {
                    Ok(()) => format!("{addr} closed the connection"),
                    Err(e) => format!("{addr}: {e}"),
                }
            }
            Err(e) => format!("cannot connect to {addr}: {e}"),
        };
        if state.stop.load(Ordering::Relaxed) {
            break;
        }
        if tx
            .send(Input::Link {
                up: false,
                detail: format!("{reason}; retrying in {} s", backoff.as_secs()),
            })
            .is_err()
        {
            break;
        }
        std::thread::sleep(backoff);
        backoff = (backoff * 2).min(reconnect_max);
    }
}

fn csv(
    path: &std::path::Path,
    map: &std::path::Path,
    nulls: &[f64],
    tx: &SyncSender<Input>,
    state: &SourceState,
) -> Input {
    let map = match ChannelMap::load(map) {
        Ok(m) => m,
        Err(e) => return Input::Failed(e.to_string()),
    };
    let mut replay = match CsvReplay::open(path, &map, nulls) {
        Ok(r) => r,
        Err(e) => return Input::Failed(e.to_string()),
    };
    let missing: Vec<&str> = replay
        .missing_channels()
        .iter()
        .map(|c| c.as_str())
        .collect();
    if !missing.is_empty() {
        log::warn!(
            "{} has no column for: {}. Detectors that need them are off (no flow out or pit: \
             no kick or lost-circulation detection).",
            path.display(),
            missing.join(", ")
        );
    }
    let mut published = Instant::now();
    let end = loop {
        if state.stop.load(Ordering::Relaxed) {
            break Input::End;
        }
        match replay.next() {
            None => break Input::End,
            Some(Ok(p)) => {
                if tx.send(Input::Packet(Box::new(p))).is_err() {
                    break Input::End;
                }
            }
            Some(Err(e)) => break Input::Failed(e.to_string()),
        }
        if published.elapsed() >= Duration::from_secs(1) {
            if let Ok(mut shared) = state.issues.lock() {
                *shared = replay.issues.clone();
            }
            published = Instant::now();
        }
    };
    if let Ok(mut shared) = state.issues.lock() {
        *shared = replay.issues.clone();
    }
    end
}

fn simulate(
    scenario: Scenario,
    seed: u64,
    seconds: u64,
    units: UnitSystem,
    decoder: Decoder,
    tx: &SyncSender<Input>,
    state: &SourceState,
) -> Input {
    let mut lines = WitsLines::new(decoder, tx, state);
    let mut text = String::with_capacity(512);
    let limit = if seconds == 0 {
        usize::MAX
    } else {
        seconds as usize
    };
    // Stamped so the run ends about now (an endless one: its scenario's length from now).
    let span = if seconds == 0 {
        scenario.default_seconds()
    } else {
        seconds
    };
    let start = crate::simulate::start_ending_now(span);
    for packet in Simulator::starting_at(scenario, seed, start).take(limit) {
        if state.stop.load(Ordering::Relaxed) {
            break;
        }
        text.clear();
        wits::write_frame(&packet, units, &mut text);
        for line in text.split("\r\n") {
            if !lines.line(line) {
                return Input::End;
            }
        }
        // The decoder stamps receive time only where a frame has none; simulated frames carry
        // their own date and time items.
    }
    lines.publish();
    Input::End
}
