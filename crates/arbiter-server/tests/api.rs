//! The HTTP API as an integration uses it: a real server, real requests, a real database.

mod common;

use arbiter_model::Role;
use arbiter_store::Backend;
use common::{TestApp, event, on_both_backends};
use serde_json::{Value, json};

on_both_backends!(
    a_batch_stores_the_valid_events_and_names_each_refusal,
    json_arrays_are_accepted_too,
    events_are_read_back_verbatim_and_listed_with_filters_and_cursors,
    listing_parameters_are_validated,
    access_is_checked_on_every_v1_route,
    tokens_can_be_created_listed_and_revoked,
    checked_tokens_are_trusted_for_five_seconds,
    oversized_requests_get_413_problems,
    malformed_requests_get_problems_and_nothing_is_stored,
    service_routes_answer,
);

async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: Value = response.json().await.expect("problem JSON");
    assert_eq!(body["status"], status);
    assert!(
        body["type"]
            .as_str()
            .unwrap()
            .starts_with("urn:arbiter:problem:")
    );
    assert!(!body["title"].as_str().unwrap().is_empty());
    body
}

/// A console error: a page with the status, in the console's layout.
async fn error_page(response: reqwest::Response, status: u16) {
    assert_eq!(response.status().as_u16(), status);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "{:?}",
        response.headers()
    );
    let body = response.text().await.unwrap();
    assert!(body.contains("<html"), "{body}");
}

async fn a_batch_stores_the_valid_events_and_names_each_refusal(app: &TestApp) {
    let body = [
        event("e1", "task.booked", 1, "FR"),
        String::new(),
        event("e2", "task.booked", 2, "XX"),
        "{not json".to_owned(),
        event("e3", "task.completed", 3, "DE").replace("4500", "45.5"),
        event("e4", "claim.filed", 4, "ES"),
        event("e1", "task.booked", 1, "FR"),
    ]
    .join("\n");
    let response = app.post_ndjson(body.clone()).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["accepted"], 1, "{report}");
    assert_eq!(
        report["duplicates"], 1,
        "e1 twice in one batch is stored once"
    );
    let rejected = report["rejected"].as_array().unwrap();
    let summary: Vec<(u64, String)> = rejected
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["error"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(summary.len(), 4, "{summary:?}");
    assert_eq!(summary[0].0, 3);
    assert!(summary[0].1.starts_with("market:"), "{summary:?}");
    assert_eq!(rejected[0]["id"], "e2");
    assert_eq!(summary[1].0, 4);
    assert!(summary[1].1.contains("malformed JSON"));
    assert_eq!(summary[2].0, 5);
    assert!(summary[2].1.starts_with("amount.minor:") && summary[2].1.contains("float"));
    assert_eq!(summary[3].0, 6);
    assert!(summary[3].1.starts_with("data.kind:"), "{summary:?}");

    let again: Value = app
        .post_ndjson(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (again["accepted"].as_u64(), again["duplicates"].as_u64()),
        (Some(0), Some(2))
    );
    assert_eq!(app.store.count_events().await.unwrap(), 1);
}

async fn json_arrays_are_accepted_too(app: &TestApp) {
    let body = format!(
        "[{}, {}, 7]",
        event("a1", "task.posted", 1, "US"),
        event("a2", "task.posted", 2, "CA")
    );
    let report: Value = app
        .post_events_as(&app.admin_token, "application/json", body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report["accepted"], 2);
    assert_eq!(report["rejected"][0]["line"], 3);
    assert!(
        report["rejected"][0]["error"]
            .as_str()
            .unwrap()
            .contains("must be a JSON object")
    );
}

async fn events_are_read_back_verbatim_and_listed_with_filters_and_cursors(app: &TestApp) {
    let lines: Vec<String> = (0..30)
        .map(|i| {
            let kind = if i % 3 == 0 {
                "claim.filed"
            } else {
                "task.booked"
            };
            let e = event(
                &format!("e{i:02}"),
                kind,
                i,
                if i % 2 == 0 { "GB" } else { "US" },
            );
            e.replace(
                r#""data":{"category":"cleaning"}"#,
                r#""data":{"kind":"theft"},"extra":"kept""#,
            )
        })
        .collect();
    let report: Value = app
        .post_ndjson(lines.join("\n"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report["accepted"], 30, "{report}");

    let response = app.get("/v1/events/e07").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.text().await.unwrap(),
        lines[7],
        "returned exactly as received"
    );
    let missing = problem(app.get("/v1/events/nope").send().await.unwrap(), 404).await;
    assert!(missing["detail"].as_str().unwrap().contains("nope"));

    let mut ids = Vec::new();
    let mut path = "/v1/events?limit=8".to_owned();
    loop {
        let page: Value = app.get(&path).send().await.unwrap().json().await.unwrap();
        ids.extend(
            page["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/events?limit=8&cursor={cursor}"),
            None => break,
        }
    }
    let expected: Vec<String> = (0..30).rev().map(|i| format!("e{i:02}")).collect();
    assert_eq!(ids, expected);

    let page: Value = app
        .get("/v1/events?type=claim.filed&market=GB&from=2026-10-01T10:06:00Z&to=2026-10-01T10:18:00Z")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["e12", "e06"]);
    assert_eq!(page["events"][0]["extra"], "kept");
    let page: Value = app
        .get("/v1/events?task=t_e05&actor=c_1&subject=k_1")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["events"].as_array().unwrap().len(), 1);
}

async fn listing_parameters_are_validated(app: &TestApp) {
    for (query, expected) in [
        ("market=XX", "market"),
        ("from=yesterday", "from"),
        ("to=2026-13-01", "to"),
        ("limit=0", "limit"),
        ("limit=5000", "limit"),
        ("limit=ten", "limit"),
        ("cursor=abc", "cursor"),
        ("tpye=claim.filed", "tpye"),
    ] {
        let body = problem(
            app.get(&format!("/v1/events?{query}"))
                .send()
                .await
                .unwrap(),
            400,
        )
        .await;
        assert!(
            body["detail"].as_str().unwrap().contains(expected),
            "{query}: {body}"
        );
    }
}

async fn access_is_checked_on_every_v1_route(app: &TestApp) {
    let anonymous = problem(
        app.client.get(app.url("/v1/events")).send().await.unwrap(),
        401,
    )
    .await;
    assert!(anonymous["detail"].as_str().unwrap().contains("Bearer"));
    let response = app
        .client
        .get(app.url("/v1/events"))
        .bearer_auth("arb_wrong")
        .send()
        .await
        .unwrap();
    assert!(response.headers().contains_key("www-authenticate"));
    problem(response, 401).await;
    problem(
        app.client
            .get(app.url("/v1/events"))
            .header("authorization", "Basic abc")
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;

    let viewer = TestApp::token_for(&app.store, Role::Viewer).await;
    let response = app
        .post_events_as(
            &viewer,
            "application/x-ndjson",
            event("v1", "task.posted", 1, "US"),
        )
        .send()
        .await
        .unwrap();
    let body = problem(response, 403).await;
    assert!(body["detail"].as_str().unwrap().contains("viewer"));
    assert_eq!(app.store.count_events().await.unwrap(), 0);
    let response = app
        .client
        .get(app.url("/v1/events"))
        .bearer_auth(&viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "viewers read");
    problem(
        app.client
            .get(app.url("/v1/tokens"))
            .bearer_auth(&viewer)
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;

    let analyst = TestApp::token_for(&app.store, Role::Analyst).await;
    let response = app
        .post_events_as(
            &analyst,
            "application/x-ndjson",
            event("v1", "task.posted", 1, "US"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "analysts send events");
}

async fn tokens_can_be_created_listed_and_revoked(app: &TestApp) {
    let response = app
        .post_json(
            "/v1/tokens",
            &json!({"role": "agent", "label": "queue bot"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let secret = created["token"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("arb_"));
    let ok = app
        .client
        .get(app.url("/v1/events"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);

    let list: Value = app
        .get("/v1/tokens")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == id.as_str() && t["role"] == "agent")
    );
    assert!(
        !list.to_string().contains(&secret),
        "secrets are never listed"
    );

    let revoke = app
        .client
        .delete(app.url(&format!("/v1/tokens/{id}")))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 204);
    problem(
        app.client
            .get(app.url("/v1/events"))
            .bearer_auth(&secret)
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
    problem(
        app.client
            .delete(app.url(&format!("/v1/tokens/{id}")))
            .bearer_auth(&app.admin_token)
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;

    for (body, expected) in [
        (json!({"role": "overlord", "label": "x"}), "role"),
        (json!({"role": "agent", "label": " "}), "label"),
        (json!({"role": "agent"}), "label"),
        (json!({"role": "agent", "label": "x", "extra": 1}), "extra"),
    ] {
        let response = app.post_json("/v1/tokens", &body).send().await.unwrap();
        let status = response.status().as_u16();
        assert!(status == 400 || status == 422, "{body}: {status}");
        let problem = problem(response, status).await;
        assert!(
            problem["detail"].as_str().unwrap().contains(expected),
            "{body}: {problem}"
        );
    }

    let user = app
        .post_json(
            "/v1/users",
            &json!({"username": "ana", "password": "a long enough secret", "role": "agent"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(user.status(), 201);
    let again = app
        .post_json(
            "/v1/users",
            &json!({"username": "ana", "password": "a long enough secret", "role": "agent"}),
        )
        .send()
        .await
        .unwrap();
    problem(again, 409).await;
    let short = app
        .post_json(
            "/v1/users",
            &json!({"username": "bo", "password": "short", "role": "agent"}),
        )
        .send()
        .await
        .unwrap();
    problem(short, 400).await;
}

async fn oversized_requests_get_413_problems(app: &TestApp) {
    let many: Vec<String> = (0..10_001)
        .map(|i| event(&format!("x{i}"), "task.posted", 1, "US"))
        .collect();
    let body = problem(app.post_ndjson(many.join("\n")).send().await.unwrap(), 413).await;
    assert!(body["detail"].as_str().unwrap().contains("10000"));
    let huge = "x".repeat(16 * 1024 * 1024 + 1);
    let body = problem(app.post_ndjson(huge).send().await.unwrap(), 413).await;
    assert!(body["detail"].as_str().unwrap().contains("MiB"));
    assert_eq!(app.store.count_events().await.unwrap(), 0);
    // Exactly the limit is fine.
    let report: Value = app
        .post_ndjson(many[..10_000].join("\n"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report["accepted"], 10_000);
}

async fn malformed_requests_get_problems_and_nothing_is_stored(app: &TestApp) {
    let wrong_type = app
        .post_events_as(&app.admin_token, "text/csv", "a,b")
        .send()
        .await
        .unwrap();
    let body = problem(wrong_type, 415).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("application/x-ndjson")
    );
    let not_array = app
        .post_events_as(&app.admin_token, "application/json", r#"{"id": 1"#)
        .send()
        .await
        .unwrap();
    problem(not_array, 400).await;
    let not_utf8 = app
        .post_ndjson(String::from_utf8_lossy(&[0xff]).into_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(
        not_utf8.status(),
        200,
        "a replacement character is still UTF-8: refused per line"
    );
    let binary = app
        .post_events_as(
            &app.admin_token,
            "application/x-ndjson",
            vec![0xff, 0xfe, b'\n'],
        )
        .send()
        .await
        .unwrap();
    let body = problem(binary, 400).await;
    assert!(body["detail"].as_str().unwrap().contains("UTF-8"));
    let unknown = problem(app.get("/v2/nothing").send().await.unwrap(), 404).await;
    assert!(unknown["detail"].as_str().unwrap().contains("/v2/nothing"));
    let wrong_method = app.client.put(app.url("/v1/events")).send().await.unwrap();
    problem(wrong_method, 405).await;
    assert_eq!(app.store.count_events().await.unwrap(), 0);
    // The server is still serving.
    assert_eq!(app.get("/healthz").send().await.unwrap().status(), 200);
}

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

/// A body without a declared length is cut off at the limit as it streams in.
#[tokio::test]
async fn chunked_bodies_over_the_limit_get_413() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    let mut socket = tokio::net::TcpStream::connect(app.address).await.unwrap();
    let head = format!(
        "POST /v1/events HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\ncontent-type: application/x-ndjson\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n",
        app.admin_token
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b' '; 1024 * 1024];
    for _ in 0..17 {
        let size = format!("{:x}\r\n", chunk.len());
        if socket.write_all(size.as_bytes()).await.is_err()
            || socket.write_all(&chunk).await.is_err()
            || socket.write_all(b"\r\n").await.is_err()
        {
            break; // The server answered and closed: that is the point.
        }
    }
    let _ = socket.write_all(b"0\r\n\r\n").await;
    let mut response = String::new();
    let _ = socket.read_to_string(&mut response).await;
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(response.contains("application/problem+json"), "{response}");
    app.stop().await;
}

/// A checked token is trusted for five seconds without another read; a revocation through the
/// server takes effect at once, one made elsewhere (another process) within those seconds.
async fn checked_tokens_are_trusted_for_five_seconds(app: &TestApp) {
    use arbiter_server::access::{TokenCache, issue_token};
    let cache = TokenCache::default();
    let issued = issue_token(
        &app.store,
        arbiter_store::TokenKind::Api,
        Role::Agent,
        "cache test",
        1,
    )
    .await
    .unwrap();
    let at = |seconds: i64| 1_000_000_000 + seconds * 1_000_000;
    assert!(
        cache
            .authenticate(&app.store, &issued.secret, at(0))
            .await
            .unwrap()
            .is_some()
    );
    // Revoked behind the server's back: trusted until the five seconds are up.
    app.store.revoke_token(&issued.id, at(1)).await.unwrap();
    assert!(
        cache
            .authenticate(&app.store, &issued.secret, at(4))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        cache
            .authenticate(&app.store, &issued.secret, at(6))
            .await
            .unwrap()
            .is_none()
    );
    // Forgotten at once when the server itself revokes.
    let other = issue_token(
        &app.store,
        arbiter_store::TokenKind::Api,
        Role::Agent,
        "cache test",
        1,
    )
    .await
    .unwrap();
    assert!(
        cache
            .authenticate(&app.store, &other.secret, at(10))
            .await
            .unwrap()
            .is_some()
    );
    app.store.revoke_token(&other.id, at(10)).await.unwrap();
    cache.forget(&other.id);
    assert!(
        cache
            .authenticate(&app.store, &other.secret, at(11))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        cache
            .authenticate(&app.store, "not a token", at(11))
            .await
            .unwrap()
            .is_none()
    );
}

/// Every refusal is a problem document, including those of axum's extractors, which answer in
/// plain text of their own: a path segment that does not parse (an overflowing id, bytes that
/// are not UTF-8), a query string, a form, a multipart body without a boundary, a JSON body
/// over the limit.
#[tokio::test]
async fn extractor_rejections_are_problem_documents() {
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    for (path, status) in [
        ("/v1/rulesets/99999999999999999999", 400),
        ("/v1/cases/case_1/evidence/99999999999999999999", 404),
        ("/v1/events/%FF%FE", 400),
        ("/v1/decisions/%C3%28", 400),
        ("/help?locale=en&locale=fr", 400),
    ] {
        let body = problem(app.get(path).send().await.unwrap(), status).await;
        assert!(
            !body["detail"].as_str().unwrap().is_empty(),
            "{path}: {body}"
        );
    }
    let huge = format!(
        r#"{{"role": "viewer", "label": "{}"}}"#,
        "x".repeat(3 << 20)
    );
    let too_large = app
        .client
        .post(app.url("/v1/tokens"))
        .bearer_auth(&app.admin_token)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    problem(too_large, 413).await;

    // The console answers people: the same refusals are pages in its layout.
    let cookie = app.console_session().await;
    let console = |path: &str, content_type: &str, body: &str| {
        app.client
            .post(app.url(path))
            .header("cookie", &cookie)
            .header("content-type", content_type)
            .body(body.to_owned())
    };
    let no_boundary = console(
        "/console/resolve/cases/1/evidence",
        "multipart/form-data",
        "--x\r\n",
    )
    .send()
    .await
    .unwrap();
    error_page(no_boundary, 400).await;
    let incomplete_form = console(
        "/console/protect/rules",
        "application/x-www-form-urlencoded",
        "",
    )
    .send()
    .await
    .unwrap();
    error_page(incomplete_form, 400).await;
    let not_a_form = console("/console/policy/POL-X/publish", "text/plain", "summary=x")
        .send()
        .await
        .unwrap();
    error_page(not_a_form, 415).await;
    let bad_query = app
        .client
        .get(app.url("/console/policy?q=a&q=b"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    error_page(bad_query, 400).await;
    app.stop().await;
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

/// `?rule=` names a rule as written: `%` and `_` are characters, not SQL wildcards.
#[tokio::test]
async fn the_rule_filter_matches_the_rule_id_as_written() {
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    let list = app
        .client
        .put(app.url("/v1/lists/disposable_domains"))
        .bearer_auth(&app.admin_token)
        .json(&json!({"entries": ["mailinator.com"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), 200);
    let published = app
        .post_json(
            "/v1/rulesets",
            &json!({"source": arbiter_rules::STARTER_PACK, "note": "starter"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(published.status(), 201);
    let message = json!({
        "id": "m_1", "type": "message.sent", "occurred_at": "2026-10-01T10:00:00Z", "market": "US",
        "actor": {"id": "k_1", "role": "tasker"}, "subject": {"id": "c_1", "role": "client"},
        "data": {"text": "Pay me by Venmo and skip the fee"}
    });
    let decided: Value = app
        .post_json("/v1/decisions", &message)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(decided["verdict"], "review", "{decided}");
    let count = |rule: &'static str| {
        let app = &app;
        async move {
            let page: Value = app
                .get(&format!("/v1/decisions?rule={rule}"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            page["decisions"].as_array().unwrap().len()
        }
    };
    for _ in 0..100 {
        if count("OFFPLATFORM-PAYMENT").await == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(count("OFFPLATFORM-PAYMENT").await, 1);
    for pattern in [
        "%25",
        "OFFPLATFORM%25",
        "OFFPLATFORM_PAYMENT",
        "_FFPLATFORM-PAYMENT",
    ] {
        assert_eq!(count(pattern).await, 0, "{pattern} is not a wildcard");
    }
    app.stop().await;
}
