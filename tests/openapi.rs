//! `docs/openapi.yaml` against the hub: every route the hub registers is documented, every
//! documented route exists (and is answered by its handler, not the unknown-route 404), and the
//! hub serves the same document at `/api/fleet/openapi.json`.

mod common;

use actix_web::test as web_test;
use common::app;
use common::TestDb;
use std::collections::BTreeSet;

fn documented() -> (serde_json::Value, BTreeSet<(String, String)>) {
    let text = std::fs::read_to_string(format!("{}/docs/openapi.yaml", env!("CARGO_MANIFEST_DIR")))
        .expect("docs/openapi.yaml");
    let doc: serde_json::Value =
        serde_json::from_str(&text).expect("the document is JSON (and so YAML)");
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            routes.insert((method.to_uppercase(), path.clone()));
        }
    }
    (doc, routes)
}

/// The routes `hub::api::routes` registers, read from its source: `web::scope("…")` and each
/// `.route("…", web::method()…)`, those before the scope at the root.
fn registered() -> BTreeSet<(String, String)> {
    let text =
        std::fs::read_to_string(format!("{}/src/hub/api/mod.rs", env!("CARGO_MANIFEST_DIR")))
            .expect("source");
    let start = text.find("pub fn routes").expect("routes()");
    let compact: String = text[start..]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let scope = compact
        .split("web::scope(\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("scope");
    let (root, scoped) = compact.split_once("web::scope(").expect("scope");
    let mut out = BTreeSet::new();
    for (prefix, text) in [("", root), (scope, scoped)] {
        for part in text.split(".route(\"").skip(1) {
            let (path, rest) = part.split_once('"').expect("path");
            let method = rest
                .strip_prefix(",web::")
                .and_then(|r| r.split('(').next())
                .expect("method");
            out.insert((method.to_uppercase(), format!("{prefix}{path}")));
        }
    }
    out
}

#[test]
fn every_route_is_documented_and_every_documented_route_exists() {
    let (_, doc) = documented();
    let code = registered();
    assert!(code.len() >= 10, "{code:?}");
    let undocumented: Vec<_> = code.difference(&doc).collect();
    let phantom: Vec<_> = doc.difference(&code).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from docs/openapi.yaml: {undocumented:?}"
    );
    assert!(
        phantom.is_empty(),
        "documented routes the hub lacks: {phantom:?}"
    );
}

#[actix_web::test]
async fn the_hub_answers_every_documented_route_and_serves_the_document() {
    let db = TestDb::new();
    let (svc, _) = app::start(&db).await;
    let (doc, routes) = documented();
    for (method, path) in &routes {
        let uri = path.replace("{id}", "RIG-NONE");
        let req = web_test::TestRequest::default()
            .method(method.parse().expect("method"))
            .uri(&uri);
        let (status, body) = app::call(&svc, req).await;
        let unrouted = status == 404
            && body["error"]
                .as_str()
                .is_some_and(|e| e.starts_with("no route for"));
        assert!(!unrouted, "{method} {uri} is not routed");
        let documented_codes = doc["paths"][path][method.to_lowercase()]["responses"]
            .as_object()
            .expect("responses");
        assert!(
            documented_codes.contains_key(&status.to_string()),
            "{method} {uri} answered {status}, which the document does not list"
        );
    }
    let req = web_test::TestRequest::get().uri("/api/fleet/openapi.json");
    let (status, served) = app::call(&svc, req).await;
    assert_eq!(status, 200);
    assert_eq!(served, doc);
}
