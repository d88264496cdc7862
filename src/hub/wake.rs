//! Waking a background thread (the curator, the aggregator) from request handlers: a flag and a
//! condition variable, so many wake-ups before the thread looks make one pass, not many.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Wakes one thread; cheap to clone and to call from request handlers.
#[derive(Clone, Default)]
pub struct Wake(Arc<(Mutex<bool>, Condvar)>);

impl Wake {
    /// Ask for a pass soon.
    pub fn wake(&self) {
        let (flag, cv) = &*self.0;
        *flag.lock().unwrap_or_else(|p| p.into_inner()) = true;
        cv.notify_one();
    }

    /// Wait for a wake-up or the timeout, then clear the flag: whether it was woken.
    pub fn wait(&self, timeout: Duration) -> bool {
        let (flag, cv) = &*self.0;
        let guard = flag.lock().unwrap_or_else(|p| p.into_inner());
        let (mut guard, _) = cv
            .wait_timeout_while(guard, timeout, |woken| !*woken)
            .unwrap_or_else(|p| p.into_inner());
        std::mem::replace(&mut *guard, false)
    }

    /// Whether a wake-up is waiting (for tests and `/metrics`), without clearing it.
    pub fn is_pending(&self) -> bool {
        *self.0 .0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wake_ups_before_the_wait_make_one_and_a_wait_without_one_times_out() {
        let w = Wake::default();
        assert!(!w.wait(Duration::from_millis(1)), "nothing asked");
        w.wake();
        w.wake();
        assert!(w.is_pending());
        // Woken at once, however long the timeout: a broken wake would hang here for minutes.
        assert!(w.wait(Duration::from_secs(600)));
        assert!(!w.is_pending(), "two wake-ups, one pass");
        let other = w.clone();
        let t = std::thread::spawn(move || other.wait(Duration::from_secs(600)));
        std::thread::sleep(Duration::from_millis(20));
        w.wake();
        assert!(t.join().expect("thread"));
    }
}
