//! The upload queue under `kill -9`: a child process enqueues events as fast as it can and says
//! which ones `enqueue` confirmed; it is killed at a random moment, hundreds of times. After each
//! kill the queue must open, hold every confirmed event whole, once, and nothing corrupt. Then the
//! real uploader delivers the queue to a real hub, twice over (as after a crash between the hub's
//! 201 and the file's deletion), and the hub holds each event exactly once.

mod common;

use rand::{Rng, SeedableRng};
use sairen::drilling::RiskLevel;
use sairen::fleet::{EventId, FleetEvent, RigId};
use sairen::rig::uplink::queue::{Queue, QUEUE_DIR};
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

const CHILD_ENV: &str = "SAIREN_QUEUE_CRASH_CHILD";
/// Unix seconds the events are stamped from (recent, so the hub accepts them), parent to child.
const BASE_ENV: &str = "SAIREN_QUEUE_CRASH_BASE";
/// The first event number the child offers, parent to child.
const FROM_ENV: &str = "SAIREN_QUEUE_CRASH_FROM";
/// Confirmed events the parent leaves queued; older ones it acknowledges (removes), as the
/// uploader would after the hub's 201 — so the queue, and each child's start, stay small.
const KEEP_QUEUED: usize = 300;

fn event(base: i64, n: i64) -> FleetEvent {
    let text = include_str!("fixtures/fleet_event.json");
    let mut e: FleetEvent = serde_json::from_str(text).expect("fixture");
    let rig = RigId::parse("RIG-ALPHA-7").expect("rig");
    e.id = EventId::new(&rig, base + n, 0);
    let at = chrono::DateTime::from_timestamp(base + n, 0).expect("time");
    let shift = at - e.timestamp;
    e.timestamp = at;
    e.advisory.timestamp = at;
    for s in &mut e.history_window {
        s.packet.timestamp += shift;
    }
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
    let base: i64 = std::env::var(BASE_ENV)
        .expect("base")
        .parse()
        .expect("base secs");
    let mut q = Queue::open(std::path::Path::new(&dir), 100_000).expect("child opens the queue");
    let start: i64 = std::env::var(FROM_ENV)
        .expect("from")
        .parse()
        .expect("from n");
    let mut out = std::io::stdout().lock();
    // Re-offer the last few confirmed ones: enqueue must be idempotent across restarts.
    for n in start.max(0)..i64::MAX {
        q.enqueue(&event(base, n)).expect("enqueue");
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
    let (mut next_n, mut acknowledged) = (0i64, 0usize);
    // Event n is stamped base + n s: a day back leaves room for tens of thousands of events
    // before one would be from the future (a fast machine confirmed 4,694 in one run, and an hour
    // back put 300 of them past the hub's clock-skew limit).
    let base = chrono::Utc::now().timestamp() - 86_400;
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
            .env(BASE_ENV, base.to_string())
            // Re-offer the last few confirmed: enqueue must be idempotent across restarts.
            .env(FROM_ENV, (next_n - 3).to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn child");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for n in BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .filter_map(|l| {
                    l.strip_prefix("queued ")
                        .and_then(|n| n.parse::<i64>().ok())
                })
            {
                let _ = tx.send(n);
            }
        });
        // Kill at a random moment once the child is writing: on a loaded machine a child may take
        // longer than any fixed delay just to start, and a kill before its first write tests nothing.
        let first = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the child queued its first event");
        confirmed.insert(first);
        std::thread::sleep(Duration::from_millis(rng.random_range(0..60)));
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        reader.join().expect("reader");
        confirmed.extend(rx.try_iter());
        next_n = confirmed.iter().max().map_or(0, |m| m + 1);

        let q = Queue::open(dir.path(), 100_000).expect("the queue opens after a kill");
        assert!(
            q.quarantined.is_empty(),
            "round {round}: corrupt files {:?}",
            q.quarantined
        );
        let ids: HashSet<String> = q.ids().into_iter().collect();
        for n in &confirmed {
            let id = event(base, *n).id.to_string();
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
        if confirmed.len() > KEEP_QUEUED {
            let mut q = q;
            let mut old: Vec<i64> = confirmed.iter().copied().collect();
            old.sort_unstable();
            for n in &old[..old.len() - KEEP_QUEUED] {
                q.remove(&event(base, *n).id.to_string())
                    .expect("acknowledge");
                confirmed.remove(n);
                acknowledged += 1;
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
    let total = confirmed.len() + acknowledged;
    assert!(total > KILLS, "the children got work done: {total}");
    eprintln!("{KILLS} kills, {total} events confirmed, all present ({acknowledged} acknowledged on the way)");

    // Deliver the queue to a real hub with the real uploader.
    let queued: Vec<String> = Queue::open(dir.path(), 100_000).expect("open").ids();
    let db = common::TestDb::new();
    // Storm mode would pace this backlog (it has its own test, tests/storm.rs); here the hub must
    // take the whole queue at the uploader's full speed.
    let hub = common::HubProcess::start(db.url(), "[storm]\nenabled = false\n");
    let key = hub.register("RIG-ALPHA-7");
    deliver(dir.path(), &hub.addr, &key);
    // A crash after the hub's 201 and before the file's deletion leaves delivered events queued:
    // put some back and deliver again. The hub answers 409 and keeps one of each.
    {
        let mut q = Queue::open(dir.path(), 100_000).expect("open");
        for n in confirmed.iter().take(20) {
            q.enqueue(&event(base, *n)).expect("re-queue");
        }
    }
    deliver(dir.path(), &hub.addr, &key);
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let stored = diesel::sql_query("SELECT count(*) AS n FROM events WHERE rig_id = 'RIG-ALPHA-7'")
        .get_result::<Count>(&mut db.conn())
        .expect("count")
        .n;
    assert_eq!(
        stored as usize,
        queued.len(),
        "each queued event once at the hub"
    );
    let distinct = diesel::sql_query(
        "SELECT count(DISTINCT id) AS n FROM events WHERE rig_id = 'RIG-ALPHA-7'",
    )
    .get_result::<Count>(&mut db.conn())
    .expect("count")
    .n;
    assert_eq!(distinct, stored);
}

/// Run the rig's uploader over the queue in `dir` until it is empty.
fn deliver(dir: &std::path::Path, hub: &str, key: &str) {
    let queue = std::sync::Arc::new(std::sync::Mutex::new(
        Queue::open(dir, 100_000).expect("open"),
    ));
    assert!(
        common::rig::drain_queue(
            &queue,
            dir,
            hub,
            "RIG-ALPHA-7",
            key,
            Duration::from_secs(120)
        ),
        "the queue never drained, or the hub refused events"
    );
}
