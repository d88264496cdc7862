//! Failed attempts counted per client (or per key id), in fixed windows: past the limit a client
//! is told to wait (429 with `Retry-After`) before its attempt is even checked. A wrong admin key
//! costs the hub one digest, a wrong rig secret a full argon2 check; 300 guesses in a quarter of a
//! second is guessing, and must be slowed.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most clients remembered; past it, those whose window has ended are forgotten.
const MAX_CLIENTS: usize = 100_000;

/// Failures per client (an address, a key id) within a window.
pub struct FailureThrottle<K = IpAddr> {
    limit: u32,
    window: Duration,
    clients: Mutex<HashMap<K, (Instant, u32)>>,
}

impl<K: std::hash::Hash + Eq + Clone> FailureThrottle<K> {
    /// At most `limit` failures per client per `window`.
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window,
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// How long `client` must wait before trying again; `None` when it may try now.
    pub fn wait(&self, client: &K) -> Option<Duration> {
        let clients = self.clients();
        let &(since, failures) = clients.get(client)?;
        let left = self.window.checked_sub(since.elapsed())?;
        (failures >= self.limit).then_some(left)
    }

    /// Count a failure of `client`.
    pub fn failed(&self, client: &K) {
        let mut clients = self.clients();
        let now = Instant::now();
        if clients.len() >= MAX_CLIENTS {
            let window = self.window;
            clients.retain(|_, (since, _)| now.duration_since(*since) < window);
        }
        let entry = clients.entry(client.clone()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
    }

    /// `client` got in: its count starts again.
    pub fn succeeded(&self, client: &K) {
        self.clients().remove(client);
    }

    fn clients(&self) -> std::sync::MutexGuard<'_, HashMap<K, (Instant, u32)>> {
        self.clients.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_past_its_limit_waits_out_its_window_and_others_do_not() {
        let throttle = FailureThrottle::new(3, Duration::from_millis(300));
        let (a, b): (IpAddr, IpAddr) = (
            "10.0.0.1".parse().expect("ip"),
            "10.0.0.2".parse().expect("ip"),
        );
        for _ in 0..3 {
            assert!(throttle.wait(&a).is_none());
            throttle.failed(&a);
        }
        let wait = throttle.wait(&a).expect("past the limit");
        assert!(wait <= Duration::from_millis(300));
        assert!(
            throttle.wait(&b).is_none(),
            "another client is not held back"
        );
        std::thread::sleep(Duration::from_millis(320));
        assert!(throttle.wait(&a).is_none(), "the window is over");
        throttle.failed(&a);
        throttle.succeeded(&a);
        assert!(throttle.wait(&a).is_none());
    }
}
