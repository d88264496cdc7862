//! A local chat-completions server that answers as an OpenAI-compatible endpoint (llama.cpp's
//! server, Ollama, vLLM) does — a real HTTP server on a real socket, its answers chosen by the
//! model the request names: `good` explains with the prompt's own numbers, `invent` quotes a
//! number the advisory does not hold, `hang` never answers, `error` is a 500, `junk` is not the
//! protocol, `empty` has no choice, and `held` answers well once the test lets it.

use super::fake_hub::{Answer, FakeHub, Seen};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};

/// The server; stops with the test process.
pub struct FakeLlm {
    /// `http://127.0.0.1:PORT/v1/chat/completions`.
    pub url: String,
    hub: FakeHub,
    release: Sender<()>,
}

/// A chat-completions answer carrying `content`.
fn completion(content: &str) -> Answer {
    let body = serde_json::json!({
        "id": "chatcmpl-test", "object": "chat.completion", "created": 1_796_000_000,
        "model": "test",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 120, "completion_tokens": 40, "total_tokens": 160}
    });
    json(200, &body)
}

fn json(status: u16, body: &serde_json::Value) -> Answer {
    Answer::Status(
        status,
        vec![("Content-Type".into(), "application/json".into())],
        body.to_string().into_bytes(),
    )
}

/// "The readings: " and the advisory's first measurement line, as given.
fn explain(prompt: &str) -> String {
    let line = prompt
        .lines()
        .find(|l| {
            ![
                "Alarm:",
                "Rig state:",
                "Measured depth:",
                "Recommended action:",
                "Why the system",
            ]
            .iter()
            .any(|p| l.starts_with(p))
        })
        .unwrap_or("nothing measured.");
    format!("The readings: {line} That is why the crew is asked to act now.")
}

fn answer(seen: &Seen, held: &Mutex<Receiver<()>>) -> Answer {
    let Ok(request) = serde_json::from_slice::<serde_json::Value>(&seen.body) else {
        return json(400, &serde_json::json!({"error": {"message": "not JSON"}}));
    };
    let prompt = request["messages"][1]["content"]
        .as_str()
        .unwrap_or_default();
    match request["model"].as_str().unwrap_or_default() {
        "good" => completion(&explain(prompt)),
        "invent" => completion("Pit gain is 999 bbl: shut in now."),
        "hang" => Answer::Hang,
        "error" => json(
            500,
            &serde_json::json!({"error": {"message": "model not loaded"}}),
        ),
        "junk" => Answer::Status(200, vec![], b"<html>502 Bad Gateway</html>".to_vec()),
        "empty" => json(200, &serde_json::json!({"choices": []})),
        "held" => {
            let _ = held.lock().expect("held").recv();
            completion(&explain(prompt))
        }
        other => json(
            404,
            &serde_json::json!({"error": {"message": format!("no model {other}")}}),
        ),
    }
}

impl FakeLlm {
    /// Start it on a free port.
    pub fn start() -> Self {
        let (release, held) = mpsc::channel();
        let held = Arc::new(Mutex::new(held));
        let hub = FakeHub::start(move |seen, _| answer(seen, &held));
        Self {
            url: format!("http://{}/v1/chat/completions", hub.addr),
            hub,
            release,
        }
    }

    /// Let one `held` request be answered.
    pub fn release(&self) {
        let _ = self.release.send(());
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Seen> {
        self.hub.seen.lock().expect("seen").clone()
    }
}
