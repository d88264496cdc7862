//! Where the simulator's stream goes: a WITS0 file (or stdout), or a TCP port where every client
//! that connects gets the whole run from its first second, paced in simulated real time.

use super::{Scenario, Simulator};
use crate::rig::acquisition::units::UnitSystem;
use crate::rig::acquisition::wits;
use std::io::{self, BufWriter, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

/// What to simulate and how fast.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    /// The scenario.
    pub scenario: Scenario,
    /// The random seed (the same seed gives the same run).
    pub seed: u64,
    /// Simulated seconds (one packet each).
    pub seconds: u64,
    /// Simulated seconds per wall-clock second (1 = real time; 0 = as fast as possible).
    pub speed: f64,
    /// Units the stream is sent in.
    pub units: UnitSystem,
}

/// Write the whole run as WITS0 to `out` (`-` = stdout), as fast as the disk takes it.
pub fn write_file(run: Run, out: &Path) -> io::Result<u64> {
    if out.as_os_str() == "-" {
        let stdout = io::stdout();
        return stream(run, &mut BufWriter::new(stdout.lock()), false);
    }
    let file = std::fs::File::create(out)?;
    let mut w = BufWriter::new(file);
    let n = stream(run, &mut w, false)?;
    w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(n)
}

/// Serve the run on `addr`: each client gets its own run from the start; returns only on a
/// listening error.
pub fn listen(run: Run, addr: &str) -> io::Result<()> {
    let listener = TcpListener::bind(addr)?;
    log::info!(
        "simulator: serving scenario {} (seed {}) as WITS0 on {}; every client gets the run from its start",
        run.scenario,
        run.seed,
        listener.local_addr()?
    );
    for conn in listener.incoming() {
        match conn {
            Ok(sock) => {
                std::thread::spawn(move || serve_client(run, sock));
            }
            Err(e) => log::warn!("simulator: accept failed: {e}"),
        }
    }
    Ok(())
}

fn serve_client(run: Run, sock: TcpStream) {
    let peer = sock
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| "?".into());
    log::info!("simulator: client {peer} connected");
    let _ = sock.set_nodelay(true);
    match stream(run, &mut BufWriter::new(sock), run.speed > 0.0) {
        Ok(n) => log::info!("simulator: sent {n} packets to {peer}; run complete"),
        Err(e) => log::info!("simulator: client {peer} gone ({e})"),
    }
}

/// Write packets to `w`, pacing them at `run.speed` when `paced`. A served (paced) run is stamped
/// to end about now, as a live feed would be; a file is stamped from the fixed start, so the same
/// seed writes the same file.
fn stream<W: Write>(run: Run, w: &mut W, paced: bool) -> io::Result<u64> {
    let started = Instant::now();
    let mut frame = String::with_capacity(512);
    let sim = if paced {
        Simulator::starting_at(run.scenario, run.seed, super::start_ending_now(run.seconds))
    } else {
        Simulator::new(run.scenario, run.seed)
    };
    for (i, packet) in sim.take(run.seconds as usize).enumerate() {
        if paced {
            let due = started + Duration::from_secs_f64(i as f64 / run.speed);
            let now = Instant::now();
            if due > now {
                w.flush()?;
                std::thread::sleep(due - now);
            }
        }
        frame.clear();
        wits::write_frame(&packet, run.units, &mut frame);
        w.write_all(frame.as_bytes())?;
    }
    w.flush()?;
    Ok(run.seconds)
}
