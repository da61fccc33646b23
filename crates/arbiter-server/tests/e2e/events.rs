//! Events in: batches over `POST /v1/events` (NDJSON or a JSON array), each refusal named by
//! line and field, the limits on a request, and the log read back verbatim through
//! `/v1/events` and the console's event pages.

use crate::common::webdriver::{Browser, browser_or_skip};
use crate::common::{TestApp, event, on_both_backends, problem};
use arbiter_model::Role;
use arbiter_store::{Backend, StaffUser};
use serde_json::Value;

on_both_backends!(
    a_batch_stores_the_valid_events_and_names_each_refusal,
    json_arrays_are_accepted_too,
    events_are_read_back_verbatim_and_listed_with_filters_and_cursors,
    listing_parameters_are_validated,
    oversized_requests_get_413_problems,
    malformed_requests_get_problems_and_nothing_is_stored,
);

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

#[tokio::test]
async fn a_specialist_signs_in_and_explores_the_event_log() {
    let Some((driver, browser)) = browser_or_skip() else {
        return;
    };
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    let password = "a long enough secret";
    app.store
        .create_staff_user(
            &StaffUser {
                username: "ana".into(),
                password_hash: arbiter_app::access::hash_password(password).unwrap(),
                role: Role::Agent,
            },
            1,
        )
        .await
        .unwrap();
    let lines: Vec<String> = (0..60)
        .map(|i| {
            let kind = if i % 4 == 0 {
                "claim.filed"
            } else {
                "task.booked"
            };
            event(&format!("evt_{i:03}"), kind, i % 60, "FR").replace(
                r#""data":{"category":"cleaning"}"#,
                r#""data":{"kind":"property_damage","description":"vase <b>broken</b>"}"#,
            )
        })
        .collect();
    let report: serde_json::Value = app
        .post_ndjson(lines.join("\n"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report["accepted"], 60, "{report}");

    let chrome = Browser::launch(&driver, &browser).await;
    let shot = |name: &str| std::env::temp_dir().join(format!("arbiter-console-{name}.png"));

    // Signed out, the console sends you to sign in and back where you were going.
    chrome.go(&app.url("/console/events")).await;
    assert!(
        chrome
            .url()
            .await
            .contains("/console/sign-in?next=%2Fconsole%2Fevents")
    );
    // The first Tab reaches the skip link: the page works from the keyboard.
    chrome.press_tab().await;
    assert_eq!(chrome.focused_text().await, "Skip to content");

    chrome.type_into("#username", "ana").await;
    chrome.type_into("#password", "wrong password!").await;
    chrome.click("form.card button[type=submit]").await;
    assert!(chrome.text("[role=alert]").await.contains("not valid"));
    chrome.wait_for_text("h1", "Sign in to Arbiter").await;

    chrome.type_into("#password", password).await;
    chrome.click("form.card button[type=submit]").await;
    chrome.wait_for_text("main h1", "Events").await;
    assert!(chrome.text("header .who").await.contains("ana (agent)"));
    // The stylesheet applies under the Content-Security-Policy (styles from the server only).
    assert_eq!(
        chrome.css_value("header.top", "background-color").await,
        "rgba(20, 23, 26, 1)"
    );
    chrome.screenshot(&shot("events")).await;

    // 60 events: a first page of 50 and a link to the older ones.
    assert_eq!(
        chrome.find_all_texts("table.events tbody tr").await.len(),
        50
    );
    chrome.click("a[rel=next]").await;
    assert_eq!(
        chrome.find_all_texts("table.events tbody tr").await.len(),
        10
    );

    // Filter by type with the form.
    chrome.click("#f-type option[value='claim.filed']").await;
    chrome.click(".filters button[type=submit]").await;
    chrome.wait_for_url("type=claim.filed").await;
    let types = chrome
        .find_all_texts("table.events tbody td:nth-child(2)")
        .await;
    assert_eq!(types.len(), 15);
    assert!(types.iter().all(|t| t == "claim.filed"), "{types:?}");

    // One event: its facts and its JSON, with markup shown as text, never run.
    chrome.click("table.events tbody tr:first-child a").await;
    chrome.wait_for_text("main h1", "Event evt_056").await;
    let json = chrome.text("pre.json").await;
    assert!(
        json.contains("\"description\": \"vase <b>broken</b>\""),
        "{json}"
    );
    chrome.screenshot(&shot("event")).await;

    // Bad filters get a clear message, not a crash.
    chrome.go(&app.url("/console/events?market=ZZ")).await;
    assert!(chrome.text("[role=alert]").await.contains("market"));

    // The overview and every area are reachable from the navigation.
    chrome.click("nav a[href='/console']").await;
    chrome.wait_for_text("main h1", "Overview").await;
    assert!(chrome.text("main").await.contains("60"));
    // The home's chart is drawn without style attributes: the stylesheet colours its lines.
    assert_eq!(
        chrome
            .css_value("svg.axes polyline.series-candidate", "stroke")
            .await,
        "rgb(11, 92, 173)"
    );
    assert!(chrome.text("main").await.contains("Open cases by queue"));
    chrome.click("nav a[href='/console/areas/standards']").await;
    chrome.wait_for_text("main h1", "Standards").await;

    // Signing out ends the session.
    chrome.click("header .who button").await;
    chrome.wait_for_url("/console/sign-in").await;
    chrome.go(&app.url("/console")).await;
    chrome
        .wait_for_url("/console/sign-in?next=%2Fconsole")
        .await;

    chrome.close().await;
    app.stop().await;
}
