//! The optional explainer (issue 20, item 4) against a real local HTTP server that answers as an
//! OpenAI-compatible chat endpoint (`common::fake_llm`; no language model runs here): a good
//! answer is kept as `source: llm`; a timeout, an error, junk, an empty answer and an answer that
//! invents a number all leave `source: template` and are counted; asking never waits for the
//! model; and a rig process shows the words on its screen and counts them in `/metrics`.

mod common;
use common::fake_llm::FakeLlm;
use common::rig::{rig_command, RigClient, RigProcess};
use sairen::drilling::{AdvisorySource, StrategicAdvisory};
use sairen::fleet::{EventId, FleetEvent};
use sairen::rig::explainer::{self, Backend, ExplainerConfig, Explanation};
use std::sync::mpsc;
use std::time::Duration;

fn advisory() -> (EventId, StrategicAdvisory) {
    let path = format!(
        "{}/tests/fixtures/fleet_event.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let event: FleetEvent =
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("event");
    (event.id, event.advisory)
}

fn config(llm: &FakeLlm, model: &str) -> ExplainerConfig {
    ExplainerConfig {
        backend: Backend::Openai,
        url: llm.url.clone(),
        model: model.into(),
        timeout_ms: 700,
        queue: 4,
    }
}

/// Ask `model` once; what was delivered, and the explainer (for its counts).
fn ask_once(llm: &FakeLlm, model: &str) -> (Explanation, explainer::Explainer) {
    let (tx, rx) = mpsc::channel();
    let ex = explainer::start(&config(llm, model), None, move || {
        Box::new(move |id: &EventId, e: Explanation| {
            let _ = tx.send((id.clone(), e));
        })
    })
    .expect("start");
    let (id, advisory) = advisory();
    ex.ask(&id, &advisory, Some(12_450.0));
    let (got, e) = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("every request is settled, answered or not");
    assert_eq!(got, id);
    (e, ex)
}

#[test]
fn a_good_answer_is_shown_and_everything_else_falls_back_to_the_template() {
    let llm = FakeLlm::start();
    let (good, ex) = ask_once(&llm, "good");
    assert_eq!(good.source, AdvisorySource::Llm, "{good:?}");
    let text = good.text.expect("words");
    assert!(
        text.starts_with("The readings: SPP: 3420 psi (normally 3000 psi)"),
        "{text}"
    );
    assert_eq!(good.model, "good");
    assert_eq!(ex.stats().counts()[0], ("llm", 1));
    // The request is the protocol's: the model, a system and a user message, no streaming.
    let sent: serde_json::Value =
        serde_json::from_slice(&llm.requests()[0].body).expect("json request");
    assert_eq!(sent["model"], "good");
    assert_eq!(sent["messages"][0]["role"], "system");
    assert!(sent["messages"][1]["content"]
        .as_str()
        .expect("prompt")
        .contains("Measured depth: 12450 ft."));
    assert_eq!(sent["stream"], false);

    for (model, result, why) in [
        ("hang", "timeout", "no answer within"),
        ("error", "error", "500"),
        ("junk", "error", "not a chat-completions answer"),
        ("empty", "error", "held no message"),
        ("invent", "refused", "quotes 999"),
        ("no-such-model", "error", "404"),
    ] {
        let (e, ex) = ask_once(&llm, model);
        assert_eq!(e.source, AdvisorySource::Template, "{model}: {e:?}");
        assert!(e.text.is_none(), "{model}");
        let said = e.why_not.as_deref().unwrap_or_default();
        assert!(said.contains(why), "{model}: {said}");
        let counted = ex
            .stats()
            .counts()
            .iter()
            .find(|(r, _)| *r == result)
            .map(|c| c.1);
        assert_eq!(counted, Some(1), "{model} counted as {result}");
        if model == "hang" {
            // Waited for no longer than the timeout allows (with a generous margin for a busy
            // machine: the point is that a hung endpoint does not hold the explainer for good).
            assert!(e.latency_ms < 5_000, "{}", e.latency_ms);
        }
    }
}

#[test]
fn asking_never_waits_for_the_model_and_a_full_queue_drops_and_counts() {
    let llm = FakeLlm::start();
    let (tx, rx) = mpsc::channel();
    let mut cfg = config(&llm, "held");
    cfg.timeout_ms = 30_000;
    cfg.queue = 1;
    let ex = explainer::start(&cfg, None, move || {
        Box::new(move |id: &EventId, e: Explanation| {
            let _ = tx.send((id.clone(), e));
        })
    })
    .expect("start");
    let (id, advisory) = advisory();
    // The model holds its answer until the test lets it: every ask returns all the same.
    for _ in 0..5 {
        ex.ask(&id, &advisory, None);
    }
    assert!(
        rx.try_recv().is_err(),
        "nothing is settled while the model holds"
    );
    // One in the model's hands, one waiting in the queue of one; three dropped.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while llm.requests().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the explainer never asked"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let dropped = ex
        .stats()
        .counts()
        .iter()
        .find(|(r, _)| *r == "queue_full")
        .map(|c| c.1);
    assert!(matches!(dropped, Some(3) | Some(4)), "{dropped:?}");
    llm.release();
    llm.release();
    let (_, e) = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("settled once released");
    assert_eq!(e.source, AdvisorySource::Llm);
}

#[test]
fn a_rig_shows_the_models_words_with_its_advisory_and_counts_them() {
    let llm = FakeLlm::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let toml = format!(
        "[explainer]\nbackend = \"openai\"\nurl = \"{}\"\nmodel = \"good\"\ntimeout_ms = 2000\n",
        llm.url
    );
    let mut cmd = rig_command(dir.path(), &toml);
    cmd.args(["--simulate", "kick", "--seconds", "0", "--speed", "200"])
        .args(["--api-bind", "127.0.0.1:0"])
        .env("SAIREN_EXPLAINER_API_KEY", "sk-local-test");
    let rig = RigProcess::start(cmd);
    let list = rig.wait_for("/api/v1/advisories?category=kick", 60, |b| {
        b.as_array()
            .is_some_and(|a| a.iter().any(|r| r["explanation"]["source"] == "llm"))
    });
    let explained = list
        .as_array()
        .expect("list")
        .iter()
        .find(|r| r["explanation"]["source"] == "llm")
        .expect("explained");
    let text = explained["explanation"]["text"].as_str().expect("text");
    assert!(text.starts_with("The readings: "), "{text}");
    // The template's words are the advisory's own, untouched.
    assert_eq!(explained["advisory"]["source"], "template");
    assert!(llm.requests().iter().all(|r| r
        .headers
        .iter()
        .any(|(k, v)| k == "authorization" && v == "Bearer sk-local-test")));
    let screen = common::http(rig.addr(), "GET", "/", &[], b"").expect("screen");
    assert!(String::from_utf8_lossy(&screen.body).contains("In plain words: The readings: "));
    let scrape = common::http(rig.addr(), "GET", "/metrics", &[], b"").expect("metrics");
    let text = String::from_utf8_lossy(&scrape.body).into_owned();
    let shown =
        common::metric(&text, "sairen_rig_explanations_total{result=\"llm\"}").unwrap_or(0.0);
    assert!(shown >= 1.0, "{text}");
    common::promtool_check(&text);
}
