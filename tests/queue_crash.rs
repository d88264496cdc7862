//! The upload queue under `kill -9`: a child process enqueues events as fast as it can and says
//! which ones `enqueue` confirmed; it is killed at a random moment, hundreds of times. After each
//! kill the queue must open, hold every confirmed event whole, once, and nothing corrupt.

use rand::{Rng, SeedableRng};
use sairen::drilling::RiskLevel;
use sairen::fleet::{EventId, FleetEvent, RigId};
use sairen::rig::uplink::queue::{Queue, QUEUE_DIR};
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

const CHILD_ENV: &str = "SAIREN_QUEUE_CRASH_CHILD";

fn event(n: i64) -> FleetEvent {
    let text = include_str!("fixtures/fleet_event.json");
    let mut e: FleetEvent = serde_json::from_str(text).expect("fixture");
    let rig = RigId::parse("RIG-ALPHA-7").expect("rig");
    e.id = EventId::new(&rig, 1_772_352_000 + n, 0);
    e.timestamp += chrono::Duration::seconds(n);
    e.advisory.risk_level = if n % 5 == 0 {
        RiskLevel::Critical
    } else {
        RiskLevel::High
    };
    e
}

/// The child: started by the parent test with `CHILD_ENV` naming the data dir.
#[test]
fn child_enqueues_until_killed() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return; // Not a child: the parent test below does the work.
    };
    let mut q = Queue::open(std::path::Path::new(&dir), 100_000).expect("child opens the queue");
    let start = q.len() as i64;
    let mut out = std::io::stdout().lock();
    // Re-offer the last few confirmed ones: enqueue must be idempotent across restarts.
    for n in (start - 3).max(0)..i64::MAX {
        q.enqueue(&event(n)).expect("enqueue");
        writeln!(out, "queued {n}").expect("stdout");
        out.flush().expect("flush");
    }
}

#[test]
fn the_queue_survives_hundreds_of_kill_9s() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let me = std::env::current_exe().expect("test binary");
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let mut confirmed: HashSet<i64> = HashSet::new();
    const KILLS: usize = 200;
    for round in 0..KILLS {
        let mut child = Command::new(&me)
            .args([
                "--exact",
                "child_enqueues_until_killed",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn child");
        let stdout = child.stdout.take().expect("stdout");
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .filter_map(|l| {
                    l.strip_prefix("queued ")
                        .and_then(|n| n.parse::<i64>().ok())
                })
                .collect::<Vec<i64>>()
        });
        std::thread::sleep(Duration::from_millis(rng.random_range(30..90)));
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        confirmed.extend(reader.join().expect("reader"));

        let q = Queue::open(dir.path(), 100_000).expect("the queue opens after a kill");
        assert!(
            q.quarantined.is_empty(),
            "round {round}: corrupt files {:?}",
            q.quarantined
        );
        let ids: HashSet<String> = q.ids().into_iter().collect();
        for n in &confirmed {
            let id = event(*n).id.to_string();
            assert!(
                ids.contains(&id),
                "round {round}: confirmed event {id} lost"
            );
        }
        if round % 20 == 0 {
            // Spot-check that queued events read back whole.
            for id in q.ids().iter().rev().take(5) {
                assert!(q.load(id).expect("read").is_some(), "{id} unreadable");
            }
        }
    }
    // Once per id on disk: no doubles, nothing left half-written.
    let names: Vec<String> = std::fs::read_dir(dir.path().join(QUEUE_DIR))
        .expect("list")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let mut seen = HashSet::new();
    for name in &names {
        let id = name.splitn(3, '-').nth(2).expect("id part");
        assert!(seen.insert(id.to_owned()), "{id} twice: {names:?}");
    }
    assert!(
        confirmed.len() > KILLS,
        "the children got work done: {}",
        confirmed.len()
    );
    eprintln!(
        "{KILLS} kills, {} events confirmed, all present",
        confirmed.len()
    );
}
