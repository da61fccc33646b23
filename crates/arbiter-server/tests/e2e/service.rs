//! The service routes an operator and a client generator rely on: `/healthz`, `/metrics`,
//! `/openapi.json` and its contract, redirects and unknown routes, and a shutdown that finishes
//! the requests in flight.

use crate::common::{TestApp, event, on_both_backends};
use arbiter_store::Backend;
use serde_json::Value;

on_both_backends!(service_routes_answer);

async fn service_routes_answer(app: &TestApp) {
    let health: Value = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    app.post_ndjson(event("m1", "task.posted", 1, "US"))
        .send()
        .await
        .unwrap();
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("arbiter_http_requests_total"), "{metrics}");
    assert!(
        metrics.contains("arbiter_events_total{outcome=\"accepted\"}"),
        "{metrics}"
    );
    // Latencies are histograms with buckets, which Prometheus can aggregate.
    assert!(
        metrics.contains("arbiter_http_request_duration_seconds_bucket{")
            && metrics.contains("le=\"0.002\"")
            && metrics.contains("arbiter_store_commit_seconds_bucket{"),
        "{metrics}"
    );

    let openapi: Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(openapi["openapi"].as_str().unwrap().starts_with("3."));
    let paths = openapi["paths"].as_object().unwrap();
    for (path, method) in [
        ("/v1/events", "post"),
        ("/v1/events", "get"),
        ("/v1/events/{id}", "get"),
        ("/v1/tokens", "post"),
        ("/v1/tokens", "get"),
        ("/v1/tokens/{id}", "delete"),
        ("/v1/users", "post"),
        ("/healthz", "get"),
        ("/metrics", "get"),
        ("/openapi.json", "get"),
        ("/console", "get"),
        ("/console/sign-in", "post"),
        ("/console/events", "get"),
        ("/console/events/{id}", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing"
        );
    }
    assert!(openapi["components"]["schemas"]["Problem"].is_object());

    // A trailing slash is forgiven with a permanent redirect; an unknown route is a problem.
    let slashed = app.get("/console/?x=1").send().await.unwrap();
    assert_eq!(slashed.status(), 308);
    assert_eq!(slashed.headers()["location"], "/console?x=1");
    for elsewhere in ["//evil.example/", "/%5Cevil.example/"] {
        let answer = app.get(elsewhere).send().await.unwrap();
        assert_eq!(answer.status(), 404, "{elsewhere} must not redirect");
    }
    let unknown = app.get("/v1/nothing").send().await.unwrap();
    assert_eq!(unknown.status(), 404);
    let problem: Value = unknown.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("/v1/nothing"),
        "{problem}"
    );
}

/// A request in flight when shutdown begins still gets its answer, and its events are stored.
#[tokio::test]
async fn shutdown_finishes_requests_in_flight() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    let body = event("late", "task.posted", 1, "US");
    let mut socket = tokio::net::TcpStream::connect(app.address).await.unwrap();
    let head = format!(
        "POST /v1/events HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\ncontent-type: application/x-ndjson\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        app.admin_token,
        body.len()
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(&body.as_bytes()[..10]).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let store = app.store.clone();
    let stopping = tokio::spawn(app.stop());
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    socket.write_all(&body.as_bytes()[10..]).await.unwrap();
    let mut response = String::new();
    socket.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains(r#""accepted":1"#), "{response}");
    stopping.await.unwrap();
    assert!(store.event("late").await.unwrap().is_some());
}

/// The document is well formed the way OpenAPI validators want it: every response described,
/// every path parameter in its path and declared, operation ids unique, every error a problem
/// document.
#[test]
fn the_openapi_document_is_well_formed() {
    let document = arbiter_server::openapi();
    let findings = arbiter_server::contract::findings(&document);
    assert!(findings.is_empty(), "{}", findings.join("\n"));
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
}
