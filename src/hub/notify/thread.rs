//! The webhook sender of `hub serve`: claims due notifications, POSTs each signed, and records
//! the outcome — delivered, or retried with backoff until `max_attempts`, then given up. Runs on
//! its own thread with its own runtime; requests never wait for it.

use super::{sign, NotifySettings};
use crate::hub::db::notifications::{self, Attempt, Due};
use crate::hub::db::DbPool;
use crate::hub::metrics::HubMetrics;
use std::sync::Arc;
use std::time::Duration;

/// Notifications claimed per round.
const BATCH: i64 = 20;
/// How often the queue is looked at when it was empty.
const IDLE: Duration = Duration::from_secs(1);

/// Start the sender, if any webhook is configured.
pub fn spawn(
    pool: DbPool,
    settings: Arc<NotifySettings>,
    metrics: HubMetrics,
) -> std::io::Result<()> {
    if settings.webhooks.is_empty() {
        return Ok(());
    }
    std::thread::Builder::new()
        .name("webhooks".into())
        .spawn(move || {
            actix_rt::System::new().block_on(async move {
                let http = awc::Client::builder().timeout(settings.timeout).finish();
                loop {
                    let sent = round(&pool, &settings, &http, &metrics).await;
                    if sent == 0 {
                        actix_rt::time::sleep(IDLE).await;
                    }
                }
            })
        })?;
    Ok(())
}

/// One round: claim, deliver, record. How many were tried.
async fn round(
    pool: &DbPool,
    settings: &NotifySettings,
    http: &awc::Client,
    metrics: &HubMetrics,
) -> usize {
    let lease = chrono::Duration::from_std(settings.timeout + Duration::from_secs(30))
        .unwrap_or_else(|_| chrono::Duration::minutes(1));
    let due = match pool
        .get()
        .map_err(Into::into)
        .and_then(|mut c| notifications::claim(&mut c, BATCH, lease))
    {
        Ok(due) => due,
        Err(e) => {
            log::warn!("webhooks: cannot read the queue ({e}); trying again shortly");
            return 0;
        }
    };
    for n in &due {
        let attempt = deliver(settings, http, n).await;
        let result = match &attempt {
            Attempt::Delivered(_) => "delivered",
            Attempt::Failed {
                retry_at: Some(_), ..
            } => "retrying",
            Attempt::Failed { retry_at: None, .. } => "gave_up",
        };
        metrics.webhook(result);
        match &attempt {
            Attempt::Failed {
                error, retry_at, ..
            } => log::warn!(
                "webhook {} ({}, attempt {}): {error}; {}",
                n.url,
                n.kind,
                n.attempts + 1,
                retry_at.map_or_else(
                    || "given up: the record keeps it".to_owned(),
                    |t| format!("trying again at {}", t.format("%H:%M:%S UTC"))
                )
            ),
            Attempt::Delivered(_) => log::info!("webhook {} ({}) delivered", n.url, n.kind),
        }
        let recorded = pool
            .get()
            .map_err(Into::into)
            .and_then(|mut c| notifications::record(&mut c, n.id, n.attempts + 1, &attempt));
        if let Err(e) = recorded {
            log::warn!(
                "webhooks: could not record delivery {} ({e}); it may be sent again",
                n.id
            );
        }
    }
    due.len()
}

/// POST one notification; what came of it.
async fn deliver(settings: &NotifySettings, http: &awc::Client, n: &Due) -> Attempt {
    let attempts = u32::try_from(n.attempts + 1).unwrap_or(u32::MAX);
    let failed = |status: Option<u16>, error: String| Attempt::Failed {
        status,
        error,
        retry_at: settings.backoff(attempts).and_then(|d| {
            chrono::Duration::from_std(d)
                .ok()
                .map(|d| chrono::Utc::now() + d)
        }),
    };
    let Some(secret) = settings.secret_of(&n.url) else {
        // The webhook was taken out of hub.toml since: nothing to sign with, nowhere to go.
        return Attempt::Failed {
            status: None,
            error: "this webhook is no longer configured".into(),
            retry_at: None,
        };
    };
    let body = match serde_json::to_vec(&n.payload) {
        Ok(b) => b,
        Err(e) => return failed(None, format!("body: {e}")),
    };
    let req = http
        .post(&n.url)
        .insert_header(("Content-Type", "application/json"))
        .insert_header((
            "User-Agent",
            concat!("sairen-hub/", env!("CARGO_PKG_VERSION")),
        ))
        .insert_header(("X-Sairen-Event", n.kind.as_str()))
        .insert_header(("X-Sairen-Delivery", n.id.to_string()))
        .insert_header((sign::HEADER, sign::signature(secret.expose(), &body)));
    match req.send_body(body).await {
        Ok(r) if r.status().is_success() => Attempt::Delivered(r.status().as_u16()),
        Ok(r) => failed(
            Some(r.status().as_u16()),
            format!("the receiver answered {}", r.status()),
        ),
        Err(e) => failed(None, format!("no answer: {e}")),
    }
}
