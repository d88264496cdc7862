//! The inputs of `sairen rig`: a WITS0 TCP feed (reconnecting with backoff), stdin, a CSV replay
//! or the built-in simulator. Each runs on its own thread and sends [`Input`]s to the pipeline.

use super::csv::{ChannelMap, CsvReplay};
use super::units::UnitSystem;
use super::wits::{self, Decoded, Decoder, Framer, Issues, ItemMap};
use crate::drilling::{Channel, WitsPacket};
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
    /// WITSML 1.4.1.1 logs of one well, merged by time, with a mnemonic map.
    Witsml {
        /// The log files (chunks of one log, and other logs of the well).
        paths: Vec<PathBuf>,
        /// The mnemonic map (a channel map whose `source` is the mnemonic).
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
        matches!(
            self,
            Self::Csv { .. } | Self::Witsml { .. } | Self::Simulate { .. }
        )
    }

    /// For logs and the health endpoint.
    pub fn describe(&self) -> String {
        match self {
            Self::WitsTcp(addr) => format!("WITS0 over TCP from {addr}"),
            Self::Stdin => "WITS0 on standard input".into(),
            Self::Csv { path, .. } => format!("CSV replay of {}", path.display()),
            Self::Witsml { paths, .. } => format!(
                "WITSML replay of {} log file{}",
                paths.len(),
                if paths.len() == 1 { "" } else { "s" }
            ),
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

/// What the sources share with the health endpoint and the self-healer.
#[derive(Debug, Default)]
pub struct SourceState {
    /// Problems in the stream, by kind.
    pub issues: Mutex<Issues>,
    /// Set to stop the source thread.
    pub stop: AtomicBool,
    /// The WITS TCP connection being read, so the self-healer can close a silent one.
    socket: Mutex<Option<TcpStream>>,
}

impl SourceState {
    /// Close the WITS connection being read (the input then reconnects); `false` when there is
    /// none.
    pub fn force_reconnect(&self) -> bool {
        let socket = self.socket.lock().unwrap_or_else(|p| p.into_inner());
        socket
            .as_ref()
            .is_some_and(|s| s.shutdown(std::net::Shutdown::Both).is_ok())
    }

    fn hold_socket(&self, sock: Option<TcpStream>) {
        *self.socket.lock().unwrap_or_else(|p| p.into_inner()) = sock;
    }
}

/// How WITS is read: units, nulls, which item is which channel, reconnection and keep-alives.
#[derive(Debug, Clone)]
pub struct WitsOptions {
    /// The sender's units.
    pub units: UnitSystem,
    /// Values that mean "no reading".
    pub nulls: Vec<f64>,
    /// Record + item → channel.
    pub items: ItemMap,
    /// Longest wait between reconnection attempts.
    pub reconnect_max: Duration,
    /// Send the server a keep-alive frame this often (servers that send only to a client that
    /// sends, as Pason's do); `None`: send nothing.
    pub keepalive: Option<Duration>,
}

impl WitsOptions {
    /// Standard items, no keep-alive.
    pub fn new(units: UnitSystem, nulls: Vec<f64>, reconnect_max: Duration) -> Self {
        Self {
            units,
            nulls,
            items: ItemMap::default(),
            reconnect_max,
            keepalive: None,
        }
    }
}

/// The frame sent as a keep-alive: a lone null hole depth (vertical), what WITS senders send
/// when they have nothing to say.
pub const KEEPALIVE_FRAME: &str = "&&\r\n0111-9999\r\n!!\r\n";

/// Start `spec` on its own thread.
pub fn start(
    spec: SourceSpec,
    options: WitsOptions,
    tx: SyncSender<Input>,
    state: Arc<SourceState>,
) -> io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("sairen-input".into())
        .spawn(move || {
            let (units, nulls) = (options.units, options.nulls.clone());
            let decoder = Decoder::new(units, &nulls).with_items(options.items.clone());
            if !matches!(spec, SourceSpec::WitsTcp(_)) {
                let _ = tx.send(Input::Link {
                    up: true,
                    detail: format!("reading {}", spec.describe()),
                });
            }
            let end = match spec {
                SourceSpec::WitsTcp(addr) => {
                    tcp(&addr, &decoder, &options, &tx, &state);
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
                SourceSpec::Witsml { paths, map } => witsml(&paths, &map, &tx, &state),
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
    extras: Extras,
    tx: &'a SyncSender<Input>,
    state: &'a SourceState,
}

/// Values of other records (pits and trip tanks in record 11) waiting to join record-01 packets.
/// Kept until newer ones come, for at most [`EXTRAS_FRESH`]: a tank reading older than that is
/// no reading.
#[derive(Debug, Default)]
struct Extras {
    latest: Option<(Instant, WitsPacket)>,
}

/// How long another record's values stand in for the next record-01 packets.
const EXTRAS_FRESH: Duration = Duration::from_secs(30);

impl Extras {
    fn keep(&mut self, extra: WitsPacket) {
        let now = Instant::now();
        match &mut self.latest {
            Some((at, kept)) if at.elapsed() < EXTRAS_FRESH => {
                for &c in Channel::ALL {
                    if let Some(v) = c.get(&extra) {
                        *c.slot(kept) = Some(v);
                    }
                }
                *at = now;
            }
            _ => self.latest = Some((now, extra)),
        }
    }

    /// Fill what `packet` lacks from the latest other-record values, while they are fresh.
    fn fill(&self, packet: &mut WitsPacket) {
        let Some((at, kept)) = &self.latest else {
            return;
        };
        if at.elapsed() >= EXTRAS_FRESH {
            return;
        }
        for &c in Channel::ALL {
            let slot = c.slot(packet);
            if slot.is_none() {
                *slot = c.get(kept);
            }
        }
    }
}

impl<'a> WitsLines<'a> {
    fn new(decoder: Decoder, tx: &'a SyncSender<Input>, state: &'a SourceState) -> Self {
        Self {
            framer: Framer::default(),
            decoder,
            issues: Issues::default(),
            published_total: 0,
            extras: Extras::default(),
            tx,
            state,
        }
    }

    /// One line; `false` when the pipeline has gone.
    fn line(&mut self, line: &str) -> bool {
        let decoded = self
            .framer
            .push_line(line, &mut self.issues)
            .map(|frame| self.decoder.decode(frame, Utc::now(), &mut self.issues));
        let input = match decoded {
            Some(Decoded::Packet(mut p)) => {
                self.extras.fill(&mut p);
                Some(Input::Packet(p))
            }
            Some(Decoded::KeepAlive) => Some(Input::KeepAlive),
            Some(Decoded::Extra(p)) => {
                self.extras.keep(*p);
                None
            }
            None => None,
        };
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
    options: &WitsOptions,
    tx: &SyncSender<Input>,
    state: &SourceState,
) {
    let reconnect_max = options.reconnect_max;
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
                let done = Arc::new(AtomicBool::new(false));
                if let Some(every) = options.keepalive {
                    keep_alive(&sock, every, done.clone());
                }
                state.hold_socket(sock.try_clone().ok());
                let read = lines.read(sock);
                state.hold_socket(None);
                done.store(true, Ordering::Relaxed);
                match read {
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

/// Send [`KEEPALIVE_FRAME`] on `sock` at once and every `every` until `done` or the socket
/// refuses it (the reading side then sees the connection end and reconnects).
fn keep_alive(sock: &TcpStream, every: Duration, done: Arc<AtomicBool>) {
    let Ok(mut out) = sock.try_clone() else {
        log::warn!("WITS keep-alive: cannot share the socket; sending none");
        return;
    };
    let spawned = std::thread::Builder::new()
        .name("sairen-wits-keepalive".into())
        .spawn(move || {
            use std::io::Write;
            let mut next = Instant::now();
            while !done.load(Ordering::Relaxed) {
                if Instant::now() >= next {
                    if let Err(e) = out.write_all(KEEPALIVE_FRAME.as_bytes()) {
                        log::debug!("WITS keep-alive not sent: {e}");
                        return;
                    }
                    next = Instant::now() + every;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
    if let Err(e) = spawned {
        log::warn!("WITS keep-alive thread not started: {e}");
    }
}

/// Say once which channels a replay will never carry, and what that turns off.
fn warn_missing(what: &str, missing: &[Channel]) {
    if missing.is_empty() {
        return;
    }
    let names: Vec<&str> = missing.iter().map(|c| c.as_str()).collect();
    log::warn!(
        "{what}: {}. Detectors that need them are off (no flow out, pit or trip tank: no kick or \
         lost-circulation detection from them).",
        names.join(", ")
    );
}

/// A replay's channel map, or the input's end with why it cannot be read.
fn load_map(map: &std::path::Path) -> Result<ChannelMap, Input> {
    ChannelMap::load(map).map_err(|e| Input::Failed(e.to_string()))
}

fn witsml(
    paths: &[PathBuf],
    map: &std::path::Path,
    tx: &SyncSender<Input>,
    state: &SourceState,
) -> Input {
    let map = match load_map(map) {
        Ok(m) => m,
        Err(failed) => return failed,
    };
    log::info!("reading {} WITSML log file(s)", paths.len());
    let replay = match super::witsml::WitsmlReplay::open(paths, &map) {
        Ok(r) => r,
        Err(e) => return Input::Failed(e.to_string()),
    };
    warn_missing(
        "the WITSML logs carry no curve for",
        replay.missing_channels(),
    );
    for packet in replay {
        if state.stop.load(Ordering::Relaxed) || tx.send(Input::Packet(Box::new(packet))).is_err() {
            break;
        }
    }
    Input::End
}

fn csv(
    path: &std::path::Path,
    map: &std::path::Path,
    nulls: &[f64],
    tx: &SyncSender<Input>,
    state: &SourceState,
) -> Input {
    let map = match load_map(map) {
        Ok(m) => m,
        Err(failed) => return failed,
    };
    let mut replay = match CsvReplay::open(path, &map, nulls) {
        Ok(r) => r,
        Err(e) => return Input::Failed(e.to_string()),
    };
    warn_missing(
        &format!("{} has no column for", path.display()),
        &replay.missing_channels(),
    );
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpListener;

    /// A WITS server that, like Pason's, sends nothing until the client sends it a frame: with
    /// `keepalive_secs` set the rig gets data, and the record-11 trip tank sent in a frame of its
    /// own joins the next record-01 packet.
    #[test]
    fn a_server_that_waits_for_frames_gets_a_keepalive_and_sends_data() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        let server = std::thread::spawn(move || {
            let (mut sock, _) = listener.accept().expect("accept");
            let mut reader = BufReader::new(sock.try_clone().expect("clone"));
            let mut heard = String::new();
            while !heard.contains("!!") {
                let mut line = String::new();
                if reader.read_line(&mut line).expect("read") == 0 {
                    return heard;
                }
                heard.push_str(&line);
            }
            let frames = "&&\r\n01081000.0\r\n01101000.0\r\n!!\r\n&&\r\n112942.5\r\n!!\r\n&&\r\n01081001.0\r\n01101001.0\r\n!!\r\n";
            sock.write_all(frames.as_bytes()).expect("send");
            std::thread::sleep(Duration::from_millis(500));
            heard
        });
        let (tx, rx) = std::sync::mpsc::sync_channel(64);
        let state = Arc::new(SourceState::default());
        let mut options = WitsOptions::new(
            UnitSystem::Fps,
            wits::DEFAULT_NULLS.to_vec(),
            Duration::from_secs(1),
        );
        options.keepalive = Some(Duration::from_secs(1));
        let input = start(SourceSpec::WitsTcp(addr), options, tx, state.clone()).expect("start");
        let mut packets = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        while packets.len() < 2 && Instant::now() < deadline {
            if let Ok(Input::Packet(p)) = rx.recv_timeout(Duration::from_millis(200)) {
                packets.push(p);
            }
        }
        state.stop.store(true, Ordering::Relaxed);
        let heard = server.join().expect("server");
        assert!(
            heard.contains(KEEPALIVE_FRAME.trim_end()),
            "the server heard {heard:?}"
        );
        assert_eq!(packets.len(), 2, "data came once the server heard a frame");
        assert_eq!(packets[0].trip_tank_bbl, None);
        assert_eq!(packets[1].bit_depth_ft, Some(1001.0));
        assert_eq!(packets[1].trip_tank_bbl, Some(42.5), "record 11 joined");
        drop(rx);
        let _ = input;
    }
}
