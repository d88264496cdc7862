//! The driller's screen on a real rig built in this process (`Rig::build`, its API on a free
//! port): the live numbers, the advisory with its evidence, acknowledging from the screen (bad
//! input answered on the form, the crew's words escaped), and who may look and acknowledge on and
//! off loopback. That a rig without a token refuses screen login is checked on the real binary.

mod common;

use common::http;
use common::rig::{rig_command, RigClient, RigInProcess};
use sairen::rig::acquisition::source::SourceSpec;
use sairen::rig::settings::RigSecrets;
use sairen::simulate::Scenario;
use sairen::web::Secret;

fn page(rig: &RigInProcess, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let r = http(&rig.addr, "GET", path, headers, b"").expect("request");
    (r.status, String::from_utf8_lossy(&r.body).into_owned())
}

fn post_form(rig: &RigInProcess, path: &str, form: &str) -> (u16, Option<String>, String) {
    let r = http(
        &rig.addr,
        "POST",
        path,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        form.as_bytes(),
    )
    .expect("request");
    (
        r.status,
        r.header("location").map(str::to_owned),
        String::from_utf8_lossy(&r.body).into_owned(),
    )
}

fn start_kick(
    dir: &std::path::Path,
    extra_toml: &str,
    bind: &str,
    token: Option<&str>,
) -> RigInProcess {
    let kick = SourceSpec::Simulate {
        scenario: Scenario::Kick,
        seed: 1,
        seconds: 0,
    };
    let secrets = RigSecrets {
        operator_token: token.map(Secret::new),
        api_key: None,
        explainer_key: None,
    };
    RigInProcess::start(dir, extra_toml, kick, 400.0, bind, secrets)
}

fn first_kick(rig: &RigInProcess) -> String {
    let list = rig.wait_for("/api/v1/advisories?category=kick", 60, |b| {
        b.as_array().is_some_and(|a| !a.is_empty())
    });
    list[0]["id"].as_str().expect("id").to_owned()
}

#[test]
fn the_screen_shows_the_numbers_and_the_kick_and_takes_an_acknowledgment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = start_kick(dir.path(), "", "127.0.0.1:0", None);
    let id = first_kick(&rig);

    let (status, screen) = page(&rig, "/", &[]);
    assert_eq!(status, 200);
    for needle in [
        "RIG-TEST-1",
        "Depth",
        "ROP",
        "WOB",
        "RPM",
        "Torque",
        "SPP",
        "Flow in",
        "Flow out",
        "Pit volume",
        "MSE",
        "dc-exponent",
        "KICK",
        "gpm",
        "Acknowledge",
        "refresh\" content=\"5\"",
    ] {
        assert!(screen.contains(needle), "screen lacks {needle}");
    }
    assert!(screen.contains("<polyline"), "trend lines drawn");
    assert!(
        !screen.contains("src=\"http"),
        "nothing fetched from elsewhere"
    );

    let form_path = format!("/advisories/{id}/acknowledge");
    let (status, form) = page(&rig, &form_path, &[]);
    assert_eq!(status, 200);
    assert!(
        form.contains("False alarm") && !form.contains("operator_token"),
        "no token on loopback"
    );

    // Bad input: the form again, saying what is wrong, with the crew's words kept.
    let (status, _, body) = post_form(&rig, &form_path, "outcome=resolved&text=+&notes=kept+note");
    assert_eq!(status, 400);
    assert!(
        body.contains("Say what was done") && body.contains("kept note"),
        "{body}"
    );
    let (status, _, body) = post_form(&rig, &form_path, "outcome=maybe&text=x");
    assert_eq!(status, 400);
    assert!(body.contains("Choose Resolved, Escalated or False alarm"));
    let (status, _, _) = post_form(
        &rig,
        "/advisories/NOPE-1/acknowledge",
        "outcome=false_positive",
    );
    assert_eq!(status, 404);

    // The real thing: shut in, with an action that tries to be markup.
    let (status, location, _) = post_form(
        &rig,
        &form_path,
        "outcome=resolved&text=%3Cscript%3Ealert(1)%3C%2Fscript%3E+shut+in+on+the+annular&notes=SIDPP+350",
    );
    assert_eq!((status, location.as_deref()), (303, Some("/")));
    let (_, screen) = page(&rig, "/", &[]);
    let at = screen
        .find("shut in on the annular")
        .expect("the action is on the screen");
    let shown = &screen[at.saturating_sub(60)..at];
    assert!(!shown.contains("<script>"), "escaped: {shown}");
    assert!(screen.contains("SIDPP 350"));
    let (status, api) = rig.get("/api/v1/advisories?category=kick");
    assert_eq!(status, 200);
    // The rig keeps drilling into the kick, so newer advisories may head the list: find ours.
    let ours = api
        .as_array()
        .and_then(|a| a.iter().find(|r| r["id"] == id.as_str()))
        .expect("the acknowledged advisory is still listed");
    assert_eq!(
        ours["acknowledgment"]["outcome"]["status"], "resolved",
        "the API sees it: {ours}"
    );
    let (status, _, body) = post_form(&rig, &form_path, "outcome=false_positive");
    assert_eq!(
        status, 409,
        "a second acknowledgment is refused; the page shows the first, no form"
    );
    assert!(body.contains("Already acknowledged"));
}

#[test]
fn off_loopback_anyone_may_look_but_acknowledging_needs_the_token_and_screen_login_asks_first() {
    let token = "operator-token-0123456789";
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = start_kick(dir.path(), "", "0.0.0.0:0", Some(token));
    let id = first_kick(&rig);
    assert_eq!(
        page(&rig, "/", &[]).0,
        200,
        "no login on the rig network by default"
    );
    let form_path = format!("/advisories/{id}/acknowledge");
    let (_, form) = page(&rig, &form_path, &[]);
    assert!(
        form.contains("operator_token"),
        "the form asks for the token"
    );
    let (status, _, body) = post_form(
        &rig,
        &form_path,
        "outcome=false_positive&operator_token=wrong",
    );
    assert_eq!(status, 403);
    assert!(body.contains("operator token is wrong"));
    let (status, _, _) = post_form(
        &rig,
        &form_path,
        &format!("outcome=false_positive&operator_token={token}"),
    );
    assert_eq!(status, 303);
    drop(rig);

    let dir = tempfile::tempdir().expect("tempdir");
    let rig = start_kick(
        dir.path(),
        "[api]\nscreen_login = true\n",
        "0.0.0.0:0",
        Some(token),
    );
    let r = http(&rig.addr, "GET", "/", &[], b"").expect("request");
    assert_eq!(r.status, 401);
    assert!(r
        .header("www-authenticate")
        .is_some_and(|h| h.starts_with("Basic")));
    use base64::Engine;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("driller:{token}"))
    );
    let (status, screen) = page(&rig, "/", &[("Authorization", &basic)]);
    assert_eq!(status, 200);
    assert!(screen.contains("RIG-TEST-1"));
    let wrong = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("driller:not-the-token-at-all")
    );
    assert_eq!(page(&rig, "/", &[("Authorization", &wrong)]).0, 401);
}

#[test]
fn screen_login_without_a_token_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = rig_command(dir.path(), "[api]\nscreen_login = true\n")
        .args(["--simulate", "normal", "--api-bind", "127.0.0.1:0"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run");
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("screen_login") && text.contains("SAIREN_RIG_OPERATOR_TOKEN"),
        "{text}"
    );
}

/// Read server-sent events from `path` until `want` has seen what it wants (or 20 s pass).
fn events_until(rig: &RigInProcess, path: &str, mut want: impl FnMut(&str) -> bool) -> Vec<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(&rig.addr).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: rig\r\nAccept: text/event-stream\r\n\r\n"
    )
    .expect("request");
    let start = std::time::Instant::now();
    let (mut text, mut buf) = (String::new(), [0u8; 65_536]);
    let mut events = Vec::new();
    while start.elapsed() < std::time::Duration::from_secs(20) {
        let n = stream.read(&mut buf).expect("read");
        assert!(n > 0, "the stream ended: {text}");
        text.push_str(&String::from_utf8_lossy(&buf[..n]));
        while let Some(end) = text.find("\n\n").filter(|_| text.contains("event: live")) {
            let block: String = text[..end].to_owned();
            text.drain(..end + 2);
            if let Some(at) = block.find("event: live") {
                let data: Vec<&str> = block[at..]
                    .lines()
                    .filter_map(|l| l.strip_prefix("data: "))
                    .collect();
                events.push(data.join("\n"));
                if want(events.last().map(String::as_str).unwrap_or("")) {
                    return events;
                }
            }
        }
    }
    panic!("not seen in 20 s; {} events", events.len());
}

#[test]
fn the_screen_is_pushed_its_changes_and_runs_only_the_rigs_own_script() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = start_kick(dir.path(), "", "127.0.0.1:0", None);
    first_kick(&rig);
    let incidents = rig.get("/api/v1/incidents").1;
    let id = incidents["incidents"][0]["id"]
        .as_str()
        .expect("incident")
        .to_owned();
    // The page loads the rig's script under a policy that allows nothing else.
    let r = http(&rig.addr, "GET", "/", &[], b"").expect("screen");
    let csp = r.header("content-security-policy").expect("CSP").to_owned();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("connect-src 'self'"),
        "{csp}"
    );
    assert!(String::from_utf8_lossy(&r.body).contains("<script src=\"/screen.js\">"));
    let (status, js) = page(&rig, "/screen.js", &[]);
    assert_eq!(status, 200);
    assert!(
        js.contains("EventSource") && js.contains("AudioContext"),
        "{js}"
    );
    // The push: the page's changing part, the kick's banner in it, renewed as packets come.
    let events = events_until(&rig, "/live", |e| e.contains("class=\"banner critical\""));
    let last = events.last().expect("an event");
    assert!(
        last.contains("KICK") && last.contains("Silence alarm"),
        "{last}"
    );
    assert!(
        last.contains(&format!("{id}:critical")),
        "the alarm sounds for it: {last}"
    );
    let mut seen = 0;
    let renewed = events_until(&rig, "/live", |_| {
        seen += 1;
        seen >= 3
    });
    assert!(renewed.len() >= 3);
    // The acknowledge page's numbers are pushed too; an unknown incident is a 404.
    let one = events_until(&rig, &format!("/live?incident={id}"), |e| {
        e.contains("Flow out")
    });
    assert!(one
        .last()
        .is_some_and(|e| e.contains("KICK") && !e.contains("Announcements")));
    assert_eq!(page(&rig, "/live?incident=RIG-X-1-0", &[]).0, 404);
    assert_eq!(page(&rig, "/live?bogus=1", &[]).0, 400);
}

#[test]
fn trends_span_ten_minutes_to_two_hours_on_the_baseline_band_and_the_pit_totaliser_zeroes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = start_kick(dir.path(), "", "127.0.0.1:0", None);
    first_kick(&rig);
    for (query, shown) in [
        ("", "10 min"),
        ("?trend=30", "30 min"),
        ("?trend=120", "2 h"),
    ] {
        let (status, html) = page(&rig, &format!("/{query}"), &[]);
        assert_eq!(status, 200, "{query}");
        assert!(
            html.contains(&format!("<strong>{shown}</strong>")),
            "{query}: {shown} shown"
        );
        // The learned baseline's normal range is drawn behind the trends it has.
        assert!(html.contains("<rect x=\"0\""), "{query}: no baseline band");
    }
    let (status, body) = page(&rig, "/?trend=45", &[]);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("10, 30 or 120"), "{body}");
    // The driller zeroes the totaliser; the screen shows the gain since.
    assert!(
        !page(&rig, "/", &[])
            .1
            .contains("<div class=\"label\">Pit gain"),
        "no totaliser before a zero"
    );
    let reset = rig.send("POST", "/api/v1/pit/reset", &serde_json::json!({}), None);
    assert_eq!(reset.0, 200, "{}", reset.1);
    assert!(
        reset.1["pit_volume_bbl"]
            .as_f64()
            .is_some_and(|v| v > 100.0),
        "{}",
        reset.1
    );
    let html = page(&rig, "/", &[]).1;
    assert!(
        html.contains("<div class=\"label\">Pit gain") && html.contains("since "),
        "totaliser shown"
    );
    let (status, location, _) = post_form(&rig, "/pit/reset", "");
    assert_eq!(
        (status, location.as_deref()),
        (303, Some("/")),
        "the screen's button"
    );
}

#[test]
fn incidents_are_answered_and_shelved_once_with_reasons_and_refused_clearly_otherwise() {
    use serde_json::json;
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = start_kick(dir.path(), "", "127.0.0.1:0", None);
    first_kick(&rig);
    let list = rig.get("/api/v1/incidents").1;
    let kick = &list["incidents"][0];
    assert_eq!(kick["category"], "kick", "{list}");
    assert_eq!(kick["state"], "active_unacknowledged");
    assert!(kick["announcements"]
        .as_array()
        .is_some_and(|a| !a.is_empty()));
    let id = kick["id"].as_str().expect("id").to_owned();
    let path = |verb: &str| format!("/api/v1/incidents/{id}/{verb}");
    // Shelving: a reason and a limit.
    let no_reason = rig.send("POST", &path("shelve"), &json!({"minutes": 30}), None);
    assert_eq!(no_reason.0, 400, "{}", no_reason.1);
    let too_long = rig.send(
        "POST",
        &path("shelve"),
        &json!({"minutes": 241, "reason": "x"}),
        None,
    );
    assert_eq!(too_long.0, 400, "{}", too_long.1);
    assert!(too_long.1.to_string().contains("240"), "{}", too_long.1);
    let unknown = rig.send(
        "POST",
        "/api/v1/incidents/RIG-TEST-1-1000-0/shelve",
        &json!({"minutes": 5, "reason": "x"}),
        None,
    );
    assert_eq!(unknown.0, 404);
    // From the screen: the form, with its reason; the category is listed as shelved.
    let (status, location, body) = post_form(
        &rig,
        &format!("/incidents/{id}/shelve"),
        "minutes=30&reason=flow-out+paddle+sticking&by=J.+Smith",
    );
    assert_eq!((status, location.as_deref()), (303, Some("/")), "{body}");
    let list = rig.get("/api/v1/incidents").1;
    assert_eq!(list["shelves"][0]["category"], "kick", "{list}");
    assert_eq!(list["shelves"][0]["by"], "J. Smith");
    assert!(
        page(&rig, "/", &[]).1.contains("shelved until"),
        "listed, never hidden"
    );
    // Answered once; a second answer is a conflict.
    let ack = json!({"outcome": {"status": "false_positive"}, "by": "driller on tour"});
    let first = rig.send("POST", &path("acknowledge"), &ack, None);
    assert_eq!(first.0, 200, "{}", first.1);
    assert_eq!(first.1["acknowledgment"]["by"], "driller on tour");
    assert_eq!(first.1["state"], "active_acknowledged");
    assert_eq!(rig.send("POST", &path("acknowledge"), &ack, None).0, 409);
    let other = rig.send(
        "POST",
        "/api/v1/incidents/RIG-TEST-1-1000-0/acknowledge",
        &ack,
        None,
    );
    assert_eq!(other.0, 404);
    let pending = json!({"outcome": {"status": "pending"}});
    assert_eq!(
        rig.send("POST", &path("acknowledge"), &pending, None).0,
        400,
        "an answer says what it was"
    );
}
