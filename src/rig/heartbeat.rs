//! The rig's heartbeat: what it has been doing since the last one (summed packet by packet in a
//! [`KpiWindow`]) and how it stands now (incidents, stream, uplink), as the hub's
//! [`Heartbeat`]. Built by the link thread under the core's lock, off the packet path.

use super::acquisition::source::SourceState;
use super::core::Core;
use super::health::Health;
use super::incidents::AlarmState;
use crate::drilling::{DrillingMetrics, RigState, RiskLevel, WitsPacket};
use crate::fleet::{Heartbeat, OpenIncidents, StreamHealth};
use chrono::{DateTime, Utc};
use std::time::Instant;

/// A packet gap longer than this (s) is a stop in the stream, not time spent drilling.
const LONGEST_STEP_SECS: f64 = 10.0;

/// The interval's figures, summed per packet on stream time (so a replay at any pace sums the
/// stream's own hours).
#[derive(Debug, Default, Clone)]
pub struct KpiWindow {
    last: Option<DateTime<Utc>>,
    span_secs: f64,
    on_bottom_secs: f64,
    rop_weighted: f64,
    rop_secs: f64,
    efficiency_weighted: f64,
    efficiency_secs: f64,
}

/// What a [`KpiWindow`] summed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowFigures {
    /// Stream seconds covered.
    pub interval_secs: f64,
    /// Of those, drilling.
    pub on_bottom_secs: f64,
    /// ROP averaged over time drilling, ft/h.
    pub rop_ft_h: Option<f64>,
    /// MSE efficiency averaged over time drilling.
    pub mse_efficiency: Option<f64>,
}

impl KpiWindow {
    /// Count one processed packet.
    pub fn record(&mut self, p: &WitsPacket, m: &DrillingMetrics) {
        let step = self.last.map_or(0.0, |t| {
            ((p.timestamp - t).num_milliseconds() as f64 / 1e3).clamp(0.0, LONGEST_STEP_SECS)
        });
        self.last = Some(p.timestamp);
        self.span_secs += step;
        if m.rig_state != RigState::Drilling {
            return;
        }
        self.on_bottom_secs += step;
        if let Some(rop) = p.rop_ft_h.filter(|r| r.is_finite() && *r >= 0.0) {
            self.rop_weighted += rop * step;
            self.rop_secs += step;
        }
        if let Some(e) = m.mse_efficiency.filter(|e| e.is_finite()) {
            self.efficiency_weighted += e.clamp(0.0, 1.0) * step;
            self.efficiency_secs += step;
        }
    }

    /// The sums so far; the window starts again (from the last packet's time).
    pub fn take(&mut self) -> WindowFigures {
        let mean = |sum: f64, secs: f64| (secs > 0.0).then(|| sum / secs);
        let figures = WindowFigures {
            interval_secs: self.span_secs,
            on_bottom_secs: self.on_bottom_secs,
            rop_ft_h: mean(self.rop_weighted, self.rop_secs),
            mse_efficiency: mean(self.efficiency_weighted, self.efficiency_secs),
        };
        *self = Self {
            last: self.last,
            ..Self::default()
        };
        figures
    }
}

/// Incidents open now by their level, the unacknowledged, and the category at the top.
pub fn open_incidents(c: &Core) -> OpenIncidents {
    let mut out = OpenIncidents::default();
    let mut worst: Option<(RiskLevel, DateTime<Utc>)> = None;
    for i in c.pipeline().incidents().incidents() {
        if i.state == AlarmState::Closed {
            continue;
        }
        let slot = match i.now.level {
            RiskLevel::Critical => &mut out.critical,
            RiskLevel::High => &mut out.high,
            RiskLevel::Elevated => &mut out.elevated,
            RiskLevel::Low => &mut out.low,
        };
        *slot += 1;
        if matches!(
            i.state,
            AlarmState::ActiveUnacknowledged | AlarmState::ClearedUnacknowledged
        ) {
            out.unacknowledged += 1;
        }
        // The highest level wins; among equals, the one opened first.
        if worst.is_none_or(|(l, t)| i.now.level > l || (i.now.level == l && i.opened_at < t)) {
            worst = Some((i.now.level, i.opened_at));
            out.worst = Some(i.category);
        }
    }
    out
}

/// Alarms raised in the hour before the newest packet.
pub fn alarms_last_hour(c: &Core) -> u64 {
    let Some(now) = c.pipeline().latest().map(|s| s.packet.timestamp) else {
        return 0;
    };
    c.advisories()
        .raised_after(now - chrono::Duration::hours(1)) as u64
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Build the heartbeat of `c` now and start its next interval; `started` is when `sairen rig`
/// started.
pub fn build(
    c: &mut Core,
    input: &SourceState,
    stale_after_secs: f64,
    started: Instant,
) -> Heartbeat {
    let window = c.take_kpi_window();
    let health = Health::read(c, input, stale_after_secs);
    let link = c.fleet_status().link;
    let identity = c.identity().clone();
    let latest = c.pipeline().latest();
    Heartbeat {
        rig_id: identity.rig_id,
        well_id: identity.well_id,
        field: identity.field,
        campaign: c.pipeline().campaign(),
        sent_at: Utc::now(),
        interval_secs: window.interval_secs,
        rig_state: latest.map_or(RigState::Unknown, |s| s.metrics.rig_state),
        depth_ft: latest.and_then(|s| s.packet.depth_ft()),
        rop_ft_h: window.rop_ft_h,
        on_bottom_secs: window.on_bottom_secs,
        mse_efficiency: window.mse_efficiency,
        incidents: open_incidents(c),
        alarms_last_hour: u32::try_from(alarms_last_hour(c)).unwrap_or(u32::MAX),
        stream: StreamHealth {
            alive: health.stream.alive,
            stale_secs: health.stream.stale_secs,
            sensors_out: count(health.sensors.len()),
        },
        queue_depth: count(link.as_ref().map_or(0, |l| l.queue_depth)),
        dead_letters: count(link.as_ref().map_or(0, |l| l.dead_letters)),
        clock_offset_secs: link.as_ref().and_then(|l| l.stats.clock_offset_secs),
        version: env!("CARGO_PKG_VERSION").into(),
        uptime_secs: started.elapsed().as_secs_f64(),
        faults: count(health.problems.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::{Scenario, Simulator};

    #[test]
    fn the_window_sums_drilling_time_and_its_rop_on_stream_time() {
        let mut window = KpiWindow::default();
        let mut sim = Simulator::new(Scenario::Normal, 7);
        let mut drilled = 0.0;
        let mut rop_sum = 0.0;
        let mut last: Option<DateTime<Utc>> = None;
        for _ in 0..600 {
            let p = sim.next().expect("the simulator never ends");
            let m = DrillingMetrics {
                rig_state: RigState::Drilling,
                ..Default::default()
            };
            if let Some(t) = last {
                let step: f64 = ((p.timestamp - t).num_milliseconds() as f64 / 1e3).min(10.0);
                drilled += step;
                rop_sum += p.rop_ft_h.unwrap_or(0.0) * step;
            }
            last = Some(p.timestamp);
            window.record(&p, &m);
        }
        let f = window.take();
        assert!((f.on_bottom_secs - drilled).abs() < 1e-6);
        assert!((f.interval_secs - drilled).abs() < 1e-6);
        let rop = f.rop_ft_h.expect("ROP while drilling");
        assert!((rop - rop_sum / drilled).abs() < 1e-6, "{rop}");
        // The next window starts empty, from the last packet.
        let next = window.take();
        assert_eq!(next.interval_secs, 0.0);
        assert_eq!(next.rop_ft_h, None);
    }
}
