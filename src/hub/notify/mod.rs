//! Outgoing webhooks: `[[notify.webhook]]` in `hub.toml` names a URL, the kinds of notification
//! it wants and the environment variable holding its secret. Causes are queued as rows
//! ([`crate::hub::db::notifications`]), one per webhook, and delivered by [`thread`]: JSON signed
//! with HMAC-SHA256 ([`sign`]), retried with backoff, every attempt recorded.

pub mod sign;
pub mod thread;

use crate::web::Secret;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A rig uploaded an event at critical.
    CriticalIncident,
    /// A rig's heartbeats stopped (it went stale).
    RigStale,
    /// A rig's heartbeat says its stream is dead or its health names a problem.
    RigFaulted,
    /// Incidents of one category on two or more rigs of a region: a new fleet correlation.
    Correlation,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 4] = [
        Self::CriticalIncident,
        Self::RigStale,
        Self::RigFaulted,
        Self::Correlation,
    ];

    /// The wire and config name (`"critical_incident"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CriticalIncident => "critical_incident",
            Self::RigStale => "rig_stale",
            Self::RigFaulted => "rig_faulted",
            Self::Correlation => "correlation",
        }
    }
}

/// One webhook.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// Where to POST.
    pub url: String,
    /// What it wants.
    pub kinds: Vec<Kind>,
    /// The key its signatures are made with.
    pub secret: Secret,
}

/// The webhooks and how they are delivered.
#[derive(Debug, Clone)]
pub struct NotifySettings {
    /// Every webhook.
    pub webhooks: Vec<Webhook>,
    /// The first retry waits this long; each further one twice as long as the one before.
    pub retry_first: Duration,
    /// After this many failed attempts a notification is given up (and stays on record).
    pub max_attempts: u32,
    /// Longest one delivery may take.
    pub timeout: Duration,
}

impl Default for NotifySettings {
    fn default() -> Self {
        Self {
            webhooks: Vec::new(),
            retry_first: Duration::from_secs(10),
            max_attempts: 8,
            timeout: Duration::from_secs(10),
        }
    }
}

impl NotifySettings {
    /// The URLs of the webhooks that want `kind`.
    pub fn wanting(&self, kind: Kind) -> Vec<&str> {
        self.webhooks
            .iter()
            .filter(|w| w.kinds.contains(&kind))
            .map(|w| w.url.as_str())
            .collect()
    }

    /// The secret of the webhook at `url`.
    pub fn secret_of(&self, url: &str) -> Option<&Secret> {
        self.webhooks
            .iter()
            .find(|w| w.url == url)
            .map(|w| &w.secret)
    }

    /// How long to wait after the `attempts`-th failure: doubling from `retry_first`, at most
    /// an hour; `None` once `max_attempts` have failed.
    pub fn backoff(&self, attempts: u32) -> Option<Duration> {
        (attempts < self.max_attempts).then(|| {
            let factor = 2u32.saturating_pow(attempts.saturating_sub(1));
            self.retry_first
                .saturating_mul(factor)
                .min(Duration::from_secs(3_600))
        })
    }
}

/// A notification's body: what happened, in words and as data, with a link to the dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// What it is about.
    pub kind: Kind,
    /// When the hub made it.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The rig it is about, if one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rig_id: Option<String>,
    /// In words ("RIG-A: critical kick at 10,120 ft").
    pub summary: String,
    /// The dashboard page that shows it (a path on the hub).
    pub link: String,
    /// The figures behind it.
    pub details: serde_json::Value,
}

/// Queue what an aggregation pass found — rigs gone stale or faulted, new correlations — for
/// the webhooks that want them.
pub fn enqueue_findings(
    conn: &mut diesel::PgConnection,
    settings: &NotifySettings,
    report: &crate::hub::analytics::pass::AggregationReport,
    window_hours: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<usize, crate::hub::db::DbError> {
    use crate::hub::db::notifications::enqueue;
    let mut queued = 0;
    for (rig, status) in &report.became {
        let kind = if status == "stale" {
            Kind::RigStale
        } else {
            Kind::RigFaulted
        };
        let n = Notification {
            kind,
            created_at: now,
            rig_id: Some(rig.clone()),
            summary: match kind {
                Kind::RigStale => format!("{rig} went stale: its heartbeats stopped"),
                _ => format!("{rig} is faulted: its stream is dead or its health names a problem"),
            },
            link: format!("/dashboard/rigs/{rig}"),
            details: serde_json::json!({ "status": status }),
        };
        let key = format!("{}:{rig}:{}", kind.as_str(), now.timestamp());
        queued += enqueue(conn, &settings.wanting(kind), &key, &n)?;
    }
    for c in &report.new_correlations {
        let n = Notification {
            kind: Kind::Correlation,
            created_at: now,
            rig_id: None,
            summary: crate::drilling::capitalise(&c.describe(window_hours)),
            link: "/dashboard/correlations".into(),
            details: serde_json::to_value(c).unwrap_or_default(),
        };
        let key = format!(
            "correlation:{}:{}:{}",
            c.region,
            c.category.as_str(),
            c.first_at.timestamp()
        );
        queued += enqueue(conn, &settings.wanting(Kind::Correlation), &key, &n)?;
    }
    Ok(queued)
}

/// A critical incident to queue (its webhooks, its key, its body), if any webhook wants them:
/// built from the upload before it is stored, queued once per event id when it is.
pub fn critical(
    settings: &NotifySettings,
    event: &crate::fleet::FleetEvent,
) -> Option<(Vec<String>, String, Notification)> {
    let urls: Vec<String> = settings
        .wanting(Kind::CriticalIncident)
        .into_iter()
        .map(str::to_owned)
        .collect();
    if urls.is_empty() || event.advisory.risk_level < crate::drilling::RiskLevel::Critical {
        return None;
    }
    let n = Notification {
        kind: Kind::CriticalIncident,
        created_at: chrono::Utc::now(),
        rig_id: Some(event.rig_id.to_string()),
        summary: format!(
            "{}: critical {} at {} ft",
            event.rig_id,
            event.advisory.category.label(),
            crate::drilling::thousands(event.depth_ft)
        ),
        link: format!("/dashboard/rigs/{}", event.rig_id),
        details: serde_json::json!({
            "event_id": event.id.to_string(),
            "category": event.advisory.category,
            "depth_ft": event.depth_ft,
            "occurred_at": event.timestamp,
            "recommendation": event.advisory.recommendation,
        }),
    };
    Some((urls, format!("critical_incident:{}", event.id), n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_up_to_an_hour_and_stop_at_the_limit() {
        let s = NotifySettings {
            max_attempts: 12,
            ..Default::default()
        };
        let waits: Vec<u64> = (1..=12)
            .filter_map(|a| s.backoff(a))
            .map(|d| d.as_secs())
            .collect();
        assert_eq!(
            waits,
            [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600]
        );
        assert_eq!(s.backoff(12), None);
    }
}
