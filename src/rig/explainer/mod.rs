//! An optional explanation of each advisory in plain words by a language model (`[explainer]`):
//! any OpenAI-compatible chat endpoint — llama.cpp's server, Ollama, vLLM — on the rig's own
//! network. The advisory goes out at once with its template text; the explainer asks the model
//! on a thread of its own, and an answer that arrives within `timeout_ms` and passes the checks
//! (not empty, not long, no number that is not in the evidence) is added to the advisory as
//! `source: llm`. Anything else — no answer in time, an error, junk — leaves `source: template`
//! and is counted. It is never on the packet path, never blocks, and is never required.

pub mod check;

use crate::drilling::{AdvisorySource, StrategicAdvisory};
use crate::fleet::EventId;
use crate::web::Secret;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `[explainer]` in `rig.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExplainerConfig {
    /// `none` (no explanations) or `openai` (an OpenAI-compatible chat endpoint).
    pub backend: Backend,
    /// The chat-completions URL (`http://127.0.0.1:8080/v1/chat/completions` for llama.cpp).
    pub url: String,
    /// The model the endpoint serves.
    pub model: String,
    /// An answer later than this is not shown, ms.
    pub timeout_ms: u64,
    /// Advisories waiting for the model at most; more are not explained (and counted).
    pub queue: usize,
}

/// Which explainer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    /// No explanations: the template's words alone.
    #[default]
    None,
    /// An OpenAI-compatible `chat/completions` endpoint.
    Openai,
}

impl Default for ExplainerConfig {
    fn default() -> Self {
        Self {
            backend: Backend::None,
            url: "http://127.0.0.1:8080/v1/chat/completions".into(),
            model: "local".into(),
            timeout_ms: 2_000,
            queue: 8,
        }
    }
}

impl ExplainerConfig {
    /// Every reason these values cannot be used, one line each.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.backend == Backend::Openai {
            if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
                out.push(format!(
                    "[explainer] url must start with http:// or https://, not {:?}",
                    self.url
                ));
            }
            if self.model.trim().is_empty() {
                out.push("[explainer] model must name the endpoint's model".into());
            }
        }
        if !(100..=60_000).contains(&self.timeout_ms) {
            out.push(format!(
                "[explainer] timeout_ms must be 100 to 60000, not {}",
                self.timeout_ms
            ));
        }
        if !(1..=1_000).contains(&self.queue) {
            out.push(format!(
                "[explainer] queue must be 1 to 1000, not {}",
                self.queue
            ));
        }
        out
    }
}

/// What became of asking for an advisory's explanation, as kept with the advisory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// `llm` when the model's words are shown; `template` when they are not.
    pub source: AdvisorySource,
    /// The model's words, when shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Why the template's words stand alone (timeout, error, the check that refused it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why_not: Option<String>,
    /// The model asked.
    pub model: String,
    /// How long the model took (or was waited for), ms.
    pub latency_ms: u64,
    /// When it was settled.
    pub at: DateTime<Utc>,
}

/// How the explanations went since the rig started, for `/metrics`.
#[derive(Debug, Default)]
pub struct ExplainerStats {
    /// Shown (`source: llm`).
    pub shown: AtomicU64,
    /// Not answered within the timeout.
    pub timed_out: AtomicU64,
    /// The endpoint failed or answered in a form that is not the protocol.
    pub failed: AtomicU64,
    /// Answered, and refused by the checks.
    pub refused: AtomicU64,
    /// Not asked: the queue was full.
    pub dropped: AtomicU64,
}

impl ExplainerStats {
    /// (result label, count) for each outcome.
    pub fn counts(&self) -> [(&'static str, u64); 5] {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        [
            ("llm", get(&self.shown)),
            ("timeout", get(&self.timed_out)),
            ("error", get(&self.failed)),
            ("refused", get(&self.refused)),
            ("queue_full", get(&self.dropped)),
        ]
    }
}

/// One advisory to explain.
pub struct Request {
    /// The advisory's id in the log.
    pub id: EventId,
    /// Its facts, as the model reads them.
    pub prompt: String,
}

/// The core's side: hands advisories to the explainer without ever waiting.
#[derive(Clone)]
pub struct Explainer {
    tx: Option<SyncSender<Request>>,
    stats: Arc<ExplainerStats>,
}

impl Explainer {
    /// No explainer (`backend = "none"`, and tools that drive a core).
    pub fn off() -> Self {
        Self {
            tx: None,
            stats: Arc::default(),
        }
    }

    /// Whether advisories are explained.
    pub fn is_on(&self) -> bool {
        self.tx.is_some()
    }

    /// The counts so far.
    pub fn stats(&self) -> &ExplainerStats {
        &self.stats
    }

    /// Ask for advisory `id`'s explanation; returns at once (a full queue drops it, counted).
    pub fn ask(&self, id: &EventId, advisory: &StrategicAdvisory, depth_ft: Option<f64>) {
        let Some(tx) = &self.tx else {
            return;
        };
        let request = Request {
            id: id.clone(),
            prompt: check::prompt(advisory, depth_ft),
        };
        if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) = tx.try_send(request) {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Where settled explanations go (the core's advisory log).
pub type Deliver = Box<dyn Fn(&EventId, Explanation) + Send>;

/// Start the explainer's thread for `config` (none for `backend = "none"`): each settled
/// explanation is handed to `deliver`.
pub fn start(
    config: &ExplainerConfig,
    api_key: Option<Secret>,
    deliver: impl FnOnce() -> Deliver,
) -> std::io::Result<Explainer> {
    if config.backend == Backend::None {
        return Ok(Explainer::off());
    }
    let (tx, rx) = mpsc::sync_channel(config.queue);
    let stats = Arc::new(ExplainerStats::default());
    let (config, thread_stats, deliver) = (config.clone(), stats.clone(), deliver());
    std::thread::Builder::new()
        .name("explainer".into())
        .spawn(move || run(config, api_key, rx, thread_stats, deliver))?;
    Ok(Explainer {
        tx: Some(tx),
        stats,
    })
}

/// The thread: one advisory at a time, each settled and delivered.
fn run(
    config: ExplainerConfig,
    api_key: Option<Secret>,
    rx: Receiver<Request>,
    stats: Arc<ExplainerStats>,
    deliver: Deliver,
) {
    log::info!(
        "explaining advisories with model {} at {} (answers later than {} ms are not shown)",
        config.model,
        config.url,
        config.timeout_ms
    );
    let system = actix_rt::System::new();
    let timeout = Duration::from_millis(config.timeout_ms);
    let http = system.block_on(async { awc::Client::builder().timeout(timeout).finish() });
    while let Ok(request) = rx.recv() {
        let started = Instant::now();
        let answer = system.block_on(ask(&http, &config, api_key.as_ref(), &request.prompt));
        let latency_ms = started.elapsed().as_millis() as u64;
        let settled = settle(answer, &request.prompt, latency_ms, &stats);
        if let Some(why) = &settled.why_not {
            log::info!(
                "advisory {}: the model's explanation is not shown ({why}); the template's words stand",
                request.id
            );
        }
        deliver(
            &request.id,
            Explanation {
                model: config.model.clone(),
                latency_ms,
                at: Utc::now(),
                ..settled
            },
        );
    }
}

/// What the endpoint gave back.
#[derive(Debug)]
pub enum Answer {
    /// The model's words.
    Words(String),
    /// No answer within the timeout.
    TimedOut,
    /// Anything else: refused connection, an error status, a body that is not the protocol.
    Failed(String),
}

/// The explanation an answer makes, counted in `stats` (its model, latency and time left for
/// the caller).
fn settle(answer: Answer, prompt: &str, latency_ms: u64, stats: &ExplainerStats) -> Explanation {
    let (text, why_not) = match answer {
        Answer::Words(w) => match check::vet(&w, prompt) {
            Ok(text) => {
                stats.shown.fetch_add(1, Ordering::Relaxed);
                (Some(text), None)
            }
            Err(refusal) => {
                stats.refused.fetch_add(1, Ordering::Relaxed);
                (None, Some(refusal.to_string()))
            }
        },
        Answer::TimedOut => {
            stats.timed_out.fetch_add(1, Ordering::Relaxed);
            (None, Some(format!("no answer within {latency_ms} ms")))
        }
        Answer::Failed(why) => {
            stats.failed.fetch_add(1, Ordering::Relaxed);
            (None, Some(why))
        }
    };
    Explanation {
        source: if text.is_some() {
            AdvisorySource::Llm
        } else {
            AdvisorySource::Template
        },
        text,
        why_not,
        model: String::new(),
        latency_ms,
        at: Utc::now(),
    }
}

/// The chat-completions exchange: the system instruction and the advisory's facts in, the first
/// choice's message out. The whole exchange (connect, send, read) is bounded by the timeout.
pub async fn ask(
    http: &awc::Client,
    config: &ExplainerConfig,
    api_key: Option<&Secret>,
    prompt: &str,
) -> Answer {
    #[derive(Deserialize)]
    struct Reply {
        choices: Vec<Choice>,
    }
    #[derive(Deserialize)]
    struct Choice {
        message: Message,
    }
    #[derive(Deserialize)]
    struct Message {
        content: Option<String>,
    }
    let body = serde_json::json!({
        "model": config.model,
        "messages": [
            {"role": "system", "content": check::SYSTEM},
            {"role": "user", "content": prompt},
        ],
        "temperature": 0.2,
        "max_tokens": 200,
        "stream": false,
    });
    let exchange = async {
        let mut req = http.post(&config.url);
        if let Some(key) = api_key {
            req = req.insert_header(("Authorization", format!("Bearer {}", key.expose())));
        }
        let mut response = req.send_json(&body).await.map_err(|e| match e {
            awc::error::SendRequestError::Timeout => None,
            e => Some(format!("no answer from {}: {e}", config.url)),
        })?;
        let status = response.status();
        let bytes = response
            .body()
            .limit(64 * 1024)
            .await
            .map_err(|e| Some(format!("unreadable answer: {e}")))?;
        if !status.is_success() {
            return Err(Some(format!("the endpoint answered {status}")));
        }
        let reply: Reply = serde_json::from_slice(&bytes)
            .map_err(|e| Some(format!("not a chat-completions answer: {e}")))?;
        reply
            .choices
            .into_iter()
            .next()
            .and_then(|c| c.message.content)
            .ok_or_else(|| Some("the answer held no message".to_owned()))
    };
    match actix_rt::time::timeout(Duration::from_millis(config.timeout_ms), exchange).await {
        Ok(Ok(words)) => Answer::Words(words),
        Ok(Err(Some(why))) => Answer::Failed(why),
        Ok(Err(None)) | Err(_) => Answer::TimedOut,
    }
}
