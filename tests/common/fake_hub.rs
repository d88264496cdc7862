//! A misbehaving hub for fault tests: a plain TCP server that answers each request as a script
//! says — a status, silence (accept and never answer), or a body cut off halfway — and records
//! when each request came. The real hub never does these on purpose; networks and load do.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request as received.
#[derive(Debug, Clone)]
pub struct Seen {
    /// `POST`, `GET`, …
    pub method: String,
    /// Path and query.
    pub path: String,
    /// The headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body (zstd when the rig sent it so).
    pub body: Vec<u8>,
    /// When it arrived.
    pub at: Instant,
}

/// How to answer one request.
pub enum Answer {
    /// This status and body.
    Status(u16, Vec<(String, String)>, Vec<u8>),
    /// Accept, read the request, and never answer (the connection stays open).
    Hang,
    /// Promise `declared` bytes, send `body`, close.
    CutOff(u16, usize, Vec<u8>),
}

/// The server; stops with the test process.
pub struct FakeHub {
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// Every request so far.
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

type Script = dyn Fn(&Seen, usize) -> Answer + Send + Sync;

impl FakeHub {
    /// Answer the n-th request (counted per method and path prefix by the script itself) with `script`.
    pub fn start(script: impl Fn(&Seen, usize) -> Answer + Send + Sync + 'static) -> Self {
        Self::start_on("127.0.0.1:0", script)
    }

    /// The same on `addr` (to come up where something already expects it).
    pub fn start_on(
        addr: &str,
        script: impl Fn(&Seen, usize) -> Answer + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind(addr).expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let script: Arc<Script> = Arc::new(script);
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let (log, script) = (log.clone(), script.clone());
                std::thread::spawn(move || serve(stream, &log, &*script));
            }
        });
        Self { addr, seen }
    }

    /// Requests whose path starts with `prefix`.
    #[allow(dead_code)]
    pub fn requests(&self, method: &str, prefix: &str) -> Vec<Seen> {
        self.seen
            .lock()
            .expect("seen")
            .iter()
            .filter(|s| s.method == method && s.path.starts_with(prefix))
            .cloned()
            .collect()
    }
}

fn serve(stream: TcpStream, log: &Mutex<Vec<Seen>>, script: &Script) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, path) = (
            parts.next().unwrap_or_default().to_owned(),
            parts.next().unwrap_or_default().to_owned(),
        );
        let mut length = 0usize;
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            if h.trim().is_empty() {
                break;
            }
            if let Some((n, v)) = h.split_once(':') {
                if n.trim().eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
                headers.push((n.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
        }
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let seen = Seen {
            method,
            path,
            headers,
            body,
            at: Instant::now(),
        };
        let n = {
            let mut all = log.lock().expect("log");
            let n = all
                .iter()
                .filter(|s| {
                    s.method == seen.method
                        && s.path.split('?').next() == seen.path.split('?').next()
                })
                .count();
            all.push(seen.clone());
            n
        };
        match script(&seen, n) {
            Answer::Status(code, headers, body) => {
                let mut head = format!("HTTP/1.1 {code} X\r\nContent-Length: {}\r\n", body.len());
                for (k, v) in headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str("\r\n");
                if out
                    .write_all(head.as_bytes())
                    .and_then(|_| out.write_all(&body))
                    .is_err()
                {
                    return;
                }
            }
            Answer::Hang => {
                std::thread::sleep(Duration::from_secs(3_600));
                return;
            }
            Answer::CutOff(code, declared, body) => {
                let head = format!("HTTP/1.1 {code} X\r\nContent-Length: {declared}\r\n\r\n");
                let _ = out.write_all(head.as_bytes());
                let _ = out.write_all(&body);
                return;
            }
        }
    }
}
