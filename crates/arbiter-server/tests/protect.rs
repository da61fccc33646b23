//! The decision engine over HTTP: rulesets and lists as an analyst manages them, decisions as
//! an integration asks for them, against a real server and database.

mod common;

use arbiter_model::Role;
use common::{TestApp, on_both_backends};
use serde_json::{Value, json};
use std::time::Duration;

on_both_backends!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    rulesets_are_checked_published_and_rolled_back,
    decisions_explain_themselves_and_are_listed,
    lists_keep_history_and_take_effect_without_restart,
    bad_input_gets_problems,
    effects_reach_subscribers_signed_and_retried,
    backtests_compare_a_candidate_with_the_rules_in_force,
    the_policy_library_is_read_with_versions_diffs_and_citations,
    policies_are_drafted_then_published_by_another_reviewer,
    a_full_page_of_the_largest_size_is_not_the_last,
    decisions_name_the_member_the_rule_is_about,
);

fn message(id: &str, text: &str) -> Value {
    json!({
        "id": id, "type": "message.sent", "occurred_at": "2026-10-01T10:00:00Z", "market": "US",
        "actor": {"id": "k_1", "role": "tasker"}, "subject": {"id": "c_1", "role": "client"},
        "data": {"text": text}
    })
}

fn claim(id: &str, day: u32, actor: &str) -> String {
    json!({
        "id": id, "type": "claim.filed", "occurred_at": format!("2026-10-{day:02}T10:00:00Z"), "market": "US",
        "actor": {"id": actor, "role": "client"}, "subject": {"id": "k_1", "role": "tasker"},
        "task_id": format!("t_{id}"), "amount": {"minor": 12000, "currency": "USD"},
        "data": {"kind": "property_damage"}
    })
    .to_string()
}

async fn ok_json(response: reqwest::Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(actual, status, "{body:#}");
    body
}

async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    ok_json(response, status).await
}

async fn publish(app: &TestApp, source: &str, note: &str) -> reqwest::Response {
    app.post_json("/v1/rulesets", &json!({"source": source, "note": note}))
        .send()
        .await
        .unwrap()
}

async fn put_list(app: &TestApp, name: &str, entries: &[&str]) -> Value {
    let response = app
        .client
        .put(app.url(&format!("/v1/lists/{name}")))
        .bearer_auth(&app.admin_token)
        .json(&json!({"description": "test list", "entries": entries, "note": "first"}))
        .send()
        .await
        .unwrap();
    ok_json(response, 200).await
}

async fn decide(app: &TestApp, event: &Value) -> Value {
    let response = app.post_json("/v1/decisions", event).send().await.unwrap();
    ok_json(response, 200).await
}

/// Waits until the decider has passed every stored event.
async fn settle(app: &TestApp) {
    for _ in 0..200 {
        let last = app.store.last_event_seq().await.unwrap();
        let progress = app
            .store
            .decider_progress()
            .await
            .unwrap()
            .map_or(0, |p| p.0);
        if progress >= last {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the decider did not catch up");
}

async fn rulesets_are_checked_published_and_rolled_back(app: &TestApp) {
    put_list(app, "disposable_domains", &["mailinator.com"]).await;

    // A text that does not check: every error, located, with hints; nothing published.
    let broken = "rule A \"a\" on claim.filed enforces POL-X when acter.id == \"x\" score 1\nrule B \"b\" on claim.filed enforces POL-X when true then reveiw(\"q\")";
    let check = ok_json(
        app.post_json("/v1/rulesets/check", &json!({"source": broken}))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(check["ok"], false);
    assert_eq!(check["findings"].as_array().unwrap().len(), 2);
    assert_eq!(check["findings"][0]["line"], 1);
    assert_eq!(check["findings"][0]["hint"], "did you mean `actor.id`?");
    let refused = problem(publish(app, broken, "broken").await, 422).await;
    assert_eq!(refused["errors"].as_array().unwrap().len(), 2);
    assert!(
        refused["errors"][1]["rendered"]
            .as_str()
            .unwrap()
            .contains("^^^")
    );
    assert!(app.store.rulesets().await.unwrap().is_empty());

    // A list that does not exist is refused too.
    let needs_list =
        "rule A \"a\" on user.signed_up enforces POL-X when data.ip in list(\"bad_ips\") score 1";
    let refused = problem(publish(app, needs_list, "").await, 422).await;
    assert!(
        refused["detail"].as_str().unwrap().contains("bad_ips"),
        "{refused}"
    );

    // So is a text whose own examples fail.
    let wrong_example = "rule A \"a\" on x.y enforces POL-X when true score 10\ntest \"t\" given {\"type\": \"x.y\"} expect score 20";
    let refused = problem(publish(app, wrong_example, "").await, 422).await;
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("expected score 20"),
        "{refused}"
    );

    // Once a policy library is kept, rules must cite documents and clauses it holds.
    store_starter_library(app, |text| text.to_owned()).await;
    let cites_nothing = "rule A \"a\" on x.y enforces POL-PAYMENTS §9.9 when true score 1\nrule B \"b\" on x.y enforces POL-NOPE when true score 1";
    let refused = problem(publish(app, cites_nothing, "").await, 422).await;
    let detail = refused["detail"].as_str().unwrap();
    assert!(
        detail.contains("rule A enforces POL-PAYMENTS §9.9: POL-PAYMENTS has no clause §9.9"),
        "{detail}"
    );
    assert!(
        detail.contains("rule B enforces POL-NOPE: the library has no document POL-NOPE"),
        "{detail}"
    );

    let v1 = ok_json(
        publish(app, arbiter_rules::STARTER_PACK, "starter pack").await,
        201,
    )
    .await;
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["rules"].as_array().unwrap().len(), 11);
    let venmo = message("m_1", "Pay me directly on Venmo and we skip the fee.");
    assert_eq!(decide(app, &venmo).await["verdict"], "review");

    // Version 2 is a candidate payment rule in shadow: it fires, without effect.
    let shadowed = "rule OFFPLATFORM-PAYMENT \"Payment apps\" on message.sent enforces POL-PAYMENTS §2.1\n  when has_payment_app(data.text) score 50 then review(\"off-platform\")\n  mode shadow";
    let v2 = ok_json(publish(app, shadowed, "payment rule to shadow").await, 201).await;
    assert_eq!(v2["version"], 2);
    let decision = decide(
        app,
        &message("m_2", "Pay me directly on Venmo and we skip the fee."),
    )
    .await;
    assert_eq!(decision["verdict"], "allow");
    assert_eq!(decision["ruleset_version"], 2);
    assert_eq!(decision["hits"][0]["mode"], "shadow");
    assert_eq!(decision["hits"][0]["fired"], true);

    // Roll back to version 1: a new version 3 repeating it.
    let v3 = ok_json(
        app.post_json("/v1/rulesets/1/restore", &json!({}))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    assert_eq!(v3["version"], 3);
    assert_eq!(v3["restores"], 1);
    assert_eq!(v3["note"], "rolled back to version 1");
    let decision = decide(
        app,
        &message("m_3", "Pay me directly on Venmo and we skip the fee."),
    )
    .await;
    assert_eq!(decision["verdict"], "review");
    assert_eq!(decision["ruleset_version"], 3);

    let versions = ok_json(app.get("/v1/rulesets").send().await.unwrap(), 200).await;
    let versions = versions.as_array().unwrap();
    assert_eq!(versions.len(), 3);
    assert_eq!(versions[0]["version"], 3);
    assert_eq!(versions[0]["current"], true);
    assert_eq!(versions[2]["current"], false);
    let one = ok_json(app.get("/v1/rulesets/2").send().await.unwrap(), 200).await;
    assert!(one["source"].as_str().unwrap().contains("mode shadow"));
    assert_eq!(one["rules"][0]["mode"], "shadow");
    problem(app.get("/v1/rulesets/9").send().await.unwrap(), 404).await;

    // Analysts may publish; viewers and policy editors may read only.
    for role in [Role::Viewer, Role::PolicyEditor, Role::Agent] {
        let token = TestApp::token_for(&app.store, role).await;
        let response = app
            .client
            .post(app.url("/v1/rulesets"))
            .bearer_auth(&token)
            .json(&json!({"source": arbiter_rules::STARTER_PACK}))
            .send()
            .await
            .unwrap();
        problem(response, 403).await;
    }
}

async fn decisions_explain_themselves_and_are_listed(app: &TestApp) {
    put_list(app, "disposable_domains", &["mailinator.com"]).await;
    ok_json(
        publish(app, arbiter_rules::STARTER_PACK, "starter").await,
        201,
    )
    .await;

    let decision = decide(
        app,
        &message(
            "m_1",
            "Págame por Bizum, mi número es seis uno dos tres cuatro cinco seis siete ocho",
        ),
    )
    .await;
    assert_eq!(decision["verdict"], "review");
    assert_eq!(decision["score"], 80.0);
    let hits = decision["hits"].as_array().unwrap();
    let payment = hits
        .iter()
        .find(|h| h["rule_id"] == "OFFPLATFORM-PAYMENT")
        .unwrap();
    assert_eq!(payment["enforces"], "POL-PAYMENTS §2.1");
    assert!(
        payment["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["expression"] == "has_payment_app(data.text)" && e["value"] == "true")
    );
    assert!(
        decision["actions"]
            .as_array()
            .unwrap()
            .contains(&json!({"type": "review", "queue": "off-platform"}))
    );

    // Sent again: stored once, the same decision, marked duplicate.
    let again = decide(app, &message("m_1", "ignored: the id decides")).await;
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["verdict"], "review");

    // Quiet events are allowed with no hits.
    let quiet = decide(app, &message("m_2", "See you at 9 tomorrow")).await;
    assert_eq!(quiet["verdict"], "allow");
    assert!(quiet["hits"].as_array().unwrap().is_empty());

    // Events sent in bulk are decided too: the third claim of one client opens a fraud case.
    let body = [
        claim("cl_1", 1, "c_9"),
        claim("cl_2", 5, "c_9"),
        claim("cl_3", 9, "c_9"),
        claim("cl_4", 9, "c_8"),
    ]
    .join("\n");
    let report = ok_json(app.post_ndjson(body).send().await.unwrap(), 200).await;
    assert_eq!(report["accepted"], 4);
    settle(app).await;
    let serial = ok_json(
        app.get("/v1/decisions?rule=CLAIM-SERIAL")
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let serial = serial["decisions"].as_array().unwrap();
    assert_eq!(serial.len(), 1, "{serial:?}");
    assert_eq!(serial[0]["event_id"], "cl_3");
    let evidence = &serial[0]["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["rule_id"] == "CLAIM-SERIAL")
        .unwrap()["evidence"];
    assert_eq!(
        evidence[0],
        json!({"expression": "claims_90d", "value": "3"})
    );
    assert!(
        serial[0]["actions"]
            .as_array()
            .unwrap()
            .contains(&json!({"type": "open_case", "case_type": "fraud", "priority": "high"}))
    );

    let one = ok_json(app.get("/v1/decisions/cl_3").send().await.unwrap(), 200).await;
    assert_eq!(one["verdict"], "review");
    let quiet = ok_json(app.get("/v1/decisions/cl_1").send().await.unwrap(), 200).await;
    assert_eq!(quiet["verdict"], "allow");
    problem(app.get("/v1/decisions/nope").send().await.unwrap(), 404).await;

    // Filters and paging.
    let reviews = ok_json(
        app.get("/v1/decisions?verdict=review&limit=1")
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(reviews["decisions"].as_array().unwrap().len(), 1);
    let cursor = reviews["next_cursor"].as_str().unwrap();
    let next = ok_json(
        app.get(&format!(
            "/v1/decisions?verdict=review&limit=1&cursor={cursor}"
        ))
        .send()
        .await
        .unwrap(),
        200,
    )
    .await;
    assert_ne!(
        next["decisions"][0]["event_id"],
        reviews["decisions"][0]["event_id"]
    );
    let by_user = ok_json(app.get("/v1/decisions?user=c_9").send().await.unwrap(), 200).await;
    assert_eq!(by_user["decisions"].as_array().unwrap().len(), 1);
    problem(
        app.get("/v1/decisions?verdict=maybe").send().await.unwrap(),
        400,
    )
    .await;
    problem(
        app.get("/v1/decisions?from=yesterday")
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
}

async fn lists_keep_history_and_take_effect_without_restart(app: &TestApp) {
    put_list(app, "blocked_domains", &["spam.example"]).await;
    let rules = "rule DOMAIN \"Blocked domain\" on user.signed_up enforces POL-ACCOUNTS §3 when lower(data.email_domain) in list(\"blocked_domains\") then block";
    ok_json(publish(app, rules, "").await, 201).await;
    let signup = |id: &str, domain: &str| {
        json!({"id": id, "type": "user.signed_up", "occurred_at": "2026-10-01T10:00:00Z", "market": "FR",
               "actor": {"id": id, "role": "client"}, "data": {"email_domain": domain}})
    };
    assert_eq!(
        decide(app, &signup("u_1", "fresh.example")).await["verdict"],
        "allow"
    );

    // Bulk load as CSV, appended: the next event sees it.
    let loaded = app
        .client
        .post(app.url("/v1/lists/blocked_domains/entries"))
        .bearer_auth(&app.admin_token)
        .header("content-type", "text/csv")
        .body("value,reason\nfresh.example,seen in fraud\n\"quoted.example\",x\n")
        .send()
        .await
        .unwrap();
    let loaded = ok_json(loaded, 200).await;
    assert_eq!(loaded["version"], 2);
    assert_eq!(loaded["entry_count"], 3);
    assert_eq!(
        decide(app, &signup("u_2", "Fresh.Example")).await["verdict"],
        "block"
    );

    // Replace from plain text.
    let replaced = app
        .client
        .post(app.url("/v1/lists/blocked_domains/entries?mode=replace&note=cleanup"))
        .bearer_auth(&app.admin_token)
        .header("content-type", "text/plain")
        .body("other.example\n\nother.example\n")
        .send()
        .await
        .unwrap();
    let replaced = ok_json(replaced, 200).await;
    assert_eq!(replaced["entry_count"], 1);
    assert_eq!(
        decide(app, &signup("u_3", "fresh.example")).await["verdict"],
        "allow"
    );

    let list = ok_json(
        app.get("/v1/lists/blocked_domains").send().await.unwrap(),
        200,
    )
    .await;
    assert_eq!(list["entries"], json!(["other.example"]));
    let history = ok_json(
        app.get("/v1/lists/blocked_domains/versions")
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let notes: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["note"].as_str().unwrap())
        .collect();
    assert_eq!(
        notes,
        vec!["cleanup", "added 2 entries from a file", "first"]
    );
    let all = ok_json(app.get("/v1/lists").send().await.unwrap(), 200).await;
    assert_eq!(all[0]["name"], "blocked_domains");
}

async fn bad_input_gets_problems(app: &TestApp) {
    // An event that breaks the contract names the field; nothing is stored.
    let mut bad = message("m_bad", "hi");
    bad["market"] = json!("ZZ");
    let refused = problem(
        app.post_json("/v1/decisions", &bad).send().await.unwrap(),
        400,
    )
    .await;
    assert!(
        refused["detail"].as_str().unwrap().starts_with("market:"),
        "{refused}"
    );
    assert_eq!(app.store.count_events().await.unwrap(), 0);
    let viewer = TestApp::token_for(&app.store, Role::Viewer).await;
    let response = app
        .client
        .post(app.url("/v1/decisions"))
        .bearer_auth(&viewer)
        .json(&message("m", "x"))
        .send()
        .await
        .unwrap();
    problem(response, 403).await;

    // Lists: names, sizes, content types.
    let put = |name: &str, entries: Value| {
        app.client
            .put(app.url(&format!("/v1/lists/{name}")))
            .bearer_auth(&app.admin_token)
            .json(&json!({"entries": entries}))
    };
    problem(put("Bad Name", json!(["a"])).send().await.unwrap(), 400).await;
    problem(
        put("long_entry", json!(["x".repeat(300)]))
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    let too_many: Vec<String> = (0..=arbiter_rules::MAX_LIST_VALUES)
        .map(|n| format!("v{n}"))
        .collect();
    problem(put("huge", json!(too_many)).send().await.unwrap(), 413).await;
    let response = app
        .client
        .post(app.url("/v1/lists/x/entries"))
        .bearer_auth(&app.admin_token)
        .header("content-type", "application/pdf")
        .body("x")
        .send()
        .await
        .unwrap();
    problem(response, 415).await;
    let response = app
        .client
        .post(app.url("/v1/lists/x/entries"))
        .bearer_auth(&app.admin_token)
        .header("content-type", "text/csv")
        .body("\"open")
        .send()
        .await
        .unwrap();
    let p = problem(response, 422).await;
    assert!(p["detail"].as_str().unwrap().contains("line 1"));
    assert!(app.store.lists().await.unwrap().is_empty());

    // A pathological pattern is refused before it can run.
    let regex = "rule R \"r\" on message.sent enforces POL-X when matches(data.text, \"(a+)+\\\\1\") score 1";
    let p = problem(publish(app, regex, "").await, 422).await;
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("invalid pattern"),
        "{p}"
    );
}

/// A webhook receiver on a random port: records what it gets, answers 500 to the first
/// `failures` requests.
async fn receiver(
    failures: usize,
) -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<(axum::http::HeaderMap, String)>>>,
) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    let received: Arc<Mutex<Vec<(axum::http::HeaderMap, String)>>> = Arc::default();
    let calls = Arc::new(AtomicUsize::new(0));
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let sink = sink.clone();
            let calls = calls.clone();
            async move {
                if calls.fetch_add(1, Ordering::SeqCst) < failures {
                    return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                }
                sink.lock().unwrap().push((headers, body));
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}/hook"), received)
}

async fn effects_reach_subscribers_signed_and_retried(app: &TestApp) {
    let (url, received) = receiver(1).await;
    let created = ok_json(
        app.post_json(
            "/v1/webhooks",
            &json!({"url": url, "description": "case tool", "actions": ["review", "tag"]}),
        )
        .send()
        .await
        .unwrap(),
        201,
    )
    .await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    // A second subscriber that is down: its deliveries fail in the end, the first's do not wait.
    let dead = ok_json(
        app.post_json(
            "/v1/webhooks",
            &json!({"url": "http://127.0.0.1:9/nothing"}),
        )
        .send()
        .await
        .unwrap(),
        201,
    )
    .await;

    put_list(app, "disposable_domains", &["mailinator.com"]).await;
    ok_json(publish(app, arbiter_rules::STARTER_PACK, "").await, 201).await;
    let decision = decide(
        app,
        &message("m_1", "Pay me directly on Venmo and we skip the fee."),
    )
    .await;
    assert_eq!(decision["verdict"], "review");

    // Three actions (review, violation, tag); the first webhook takes review and tag.
    settle(app).await;
    let effects = ok_json(app.get("/v1/effects?event=m_1").send().await.unwrap(), 200).await;
    let effects = effects["effects"].as_array().unwrap();
    assert_eq!(effects.len(), 3, "{effects:?}");
    assert!(
        effects
            .iter()
            .all(|e| e["user_id"] == "k_1" && e["rules"] == json!(["OFFPLATFORM-PAYMENT"]))
    );
    let by_user = ok_json(
        app.get("/v1/effects?user=k_1&action=violation")
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(
        by_user["effects"][0]["action"],
        json!({"type": "violation", "standard": "POL-PAYMENTS §2.1"})
    );

    // Delivered after one 500, signed.
    let mut delivered = Vec::new();
    for _ in 0..200 {
        delivered = ok_json(
            app.get(&format!("/v1/webhooks/{id}/deliveries?state=delivered"))
                .send()
                .await
                .unwrap(),
            200,
        )
        .await
        .as_array()
        .unwrap()
        .clone();
        if delivered.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(delivered.len(), 2, "{delivered:?}");
    assert!(
        delivered.iter().any(|d| d["attempts"] == 2),
        "{delivered:?}"
    );
    let bodies = received.lock().unwrap().clone();
    assert_eq!(bodies.len(), 2);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    for (headers, body) in &bodies {
        let signature = headers["arbiter-signature"].to_str().unwrap();
        assert!(
            arbiter_server::webhooks::verify(&secret, signature, body.as_bytes(), now, 300),
            "{signature}"
        );
        assert!(!arbiter_server::webhooks::verify(
            "whsec_wrong",
            signature,
            body.as_bytes(),
            now,
            300
        ));
        let payload: Value = serde_json::from_str(body).unwrap();
        assert_eq!(payload["event_id"], "m_1");
        assert!(["review", "tag"].contains(&payload["action"]["type"].as_str().unwrap()));
        assert!(headers.contains_key("arbiter-delivery"));
    }

    // The dead endpoint: every effect retried, then given up, with the reason kept.
    let dead_id = dead["id"].as_str().unwrap();
    let mut failed = Vec::new();
    for _ in 0..200 {
        failed = ok_json(
            app.get(&format!("/v1/webhooks/{dead_id}/deliveries?state=failed"))
                .send()
                .await
                .unwrap(),
            200,
        )
        .await
        .as_array()
        .unwrap()
        .clone();
        if failed.len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(failed.len(), 3, "{failed:?}");
    // The reason is short: no error chain, no address.
    assert!(
        failed
            .iter()
            .all(|d| d["attempts"] == 4
                && d["last_error"] == "could not deliver: connection refused"),
        "{failed:?}"
    );

    // Managing webhooks: secrets never listed again; bad addresses refused; admins only.
    let listed = ok_json(app.get("/v1/webhooks").send().await.unwrap(), 200).await;
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w.get("secret").is_none())
    );
    // https:// is accepted (and preferred); internal addresses the allow-list does not name,
    // numeric hosts and credentials are refused with a problem naming the field.
    let tls = ok_json(
        app.post_json(
            "/v1/webhooks",
            &json!({"url": "https://hooks.example.com/arbiter", "actions": ["block"]}),
        )
        .send()
        .await
        .unwrap(),
        201,
    )
    .await;
    assert_eq!(tls["url"], "https://hooks.example.com/arbiter");
    let response = app
        .client
        .delete(app.url(&format!("/v1/webhooks/{}", tls["id"].as_str().unwrap())))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    for internal in [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.8:6379/",
        "http://0.0.0.0:8080/",
        "http://[::1]:8080/",
        "http://[::ffff:192.168.0.1]/",
        "http://2130706433/",
        "https://admin:hunter2@hooks.example.com/x",
    ] {
        let refused = problem(
            app.post_json("/v1/webhooks", &json!({"url": internal}))
                .send()
                .await
                .unwrap(),
            422,
        )
        .await;
        let detail = refused["detail"].as_str().unwrap();
        assert!(detail.starts_with("url: "), "{internal}: {detail}");
        assert!(!detail.contains("hunter2"), "{detail}");
    }
    // An address stored with credentials before they were refused is listed without them.
    app.store
        .create_webhook(&arbiter_store::WebhookRecord {
            id: "whk_old".into(),
            url: "https://admin:hunter2@hooks.example.com/old".into(),
            secret: "whsec_old".into(),
            topics: vec!["effects".into()],
            actions: vec!["block".into()],
            description: String::new(),
            created_by: "test".into(),
            created_at: 1,
            disabled_at: None,
        })
        .await
        .unwrap();
    let listed = ok_json(app.get("/v1/webhooks").send().await.unwrap(), 200).await;
    assert!(!listed.to_string().contains("hunter2"), "{listed}");
    assert!(
        listed
            .to_string()
            .contains("https://***@hooks.example.com/old"),
        "{listed}"
    );
    assert!(app.store.disable_webhook("whk_old", 2).await.unwrap());
    problem(
        app.post_json("/v1/webhooks", &json!({"url": "ftp://x"}))
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    problem(
        app.post_json("/v1/webhooks", &json!({"url": url, "actions": ["launch"]}))
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    let analyst = TestApp::token_for(&app.store, Role::Analyst).await;
    let response = app
        .client
        .get(app.url("/v1/webhooks"))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap();
    problem(response, 403).await;
    let response = app
        .client
        .delete(app.url(&format!("/v1/webhooks/{id}")))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let response = app
        .client
        .delete(app.url(&format!("/v1/webhooks/{id}")))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    problem(response, 404).await;
}

async fn backtests_compare_a_candidate_with_the_rules_in_force(app: &TestApp) {
    put_list(app, "disposable_domains", &["mailinator.com"]).await;
    ok_json(publish(app, arbiter_rules::STARTER_PACK, "").await, 201).await;
    let chargeback = |id: &str, day: u32, user: &str| {
        json!({"id": id, "type": "payment.chargeback", "occurred_at": format!("2026-10-{day:02}T12:00:00Z"), "market": "US",
               "actor": {"id": "card_network", "role": "system"}, "subject": {"id": user, "role": "client"},
               "task_id": format!("t_{id}"), "amount": {"minor": 5000, "currency": "USD"}}).to_string()
    };
    let body = [
        claim("cl_1", 1, "c_9"),
        claim("cl_2", 5, "c_9"),
        claim("cl_3", 9, "c_7"),
        chargeback("cb_1", 20, "c_9"),
    ]
    .join("\n");
    ok_json(app.post_ndjson(body).send().await.unwrap(), 200).await;
    settle(app).await;

    // The candidate opens a case at the second claim instead of the third.
    let candidate =
        arbiter_rules::STARTER_PACK.replace("when claims_90d >= 3", "when claims_90d >= 2");
    let candidate = candidate.replace(
        "expect verdict allow, not fires CLAIM-SERIAL",
        "expect verdict review, fires CLAIM-SERIAL",
    );
    let report = ok_json(
        app.post_json("/v1/backtests", &json!({"source": candidate, "from": "2026-10-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"})).send().await.unwrap(),
        200,
    )
    .await;
    assert_eq!(report["events"], 4);
    assert_eq!(report["decisions_changed"], 1, "{report:#}");
    assert_eq!(report["transitions"]["allow→review"], 1);
    assert_eq!(report["money_at_stake"]["USD"], 12000);
    let serial = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule_id"] == "CLAIM-SERIAL" && r["side"] == "candidate")
        .unwrap();
    assert_eq!(serial["hits"], 1);
    // c_9 was flagged on day 5 and charged back on day 20: confirmed.
    assert_eq!(serial["precision"], 1.0);
    assert_eq!(serial["recall"], 1.0);
    assert!(
        !report["rules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["rule_id"] == "CLAIM-SERIAL" && r["side"] == "baseline")
    );

    let empty = problem(
        app.post_json("/v1/backtests", &json!({"source": candidate, "from": "2020-01-01T00:00:00Z", "to": "2020-02-01T00:00:00Z"})).send().await.unwrap(),
        422,
    )
    .await;
    assert!(
        empty["detail"]
            .as_str()
            .unwrap()
            .contains("the log holds events from 2026-10-01"),
        "{empty}"
    );
    let broken = problem(
        app.post_json("/v1/backtests", &json!({"source": "rule X \"x\" on a.b enforces P when nope", "from": "2026-10-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"})).send().await.unwrap(),
        422,
    )
    .await;
    assert_eq!(broken["errors"][0]["message"], "unknown field `nope`");
    problem(
        app.post_json(
            "/v1/backtests",
            &json!({"source": candidate, "from": "October", "to": "2026-11-01T00:00:00Z"}),
        )
        .send()
        .await
        .unwrap(),
        400,
    )
    .await;
}

/// Stores the starter library, each file passed through `edit`, as one new version each.
async fn store_starter_library(app: &TestApp, edit: impl Fn(&str) -> String) {
    let files: Vec<(String, String)> = arbiter_policy::STARTER_LIBRARY
        .iter()
        .map(|(name, text)| ((*name).to_owned(), edit(text)))
        .collect();
    let versions: Vec<_> = arbiter_policy::check_library(&files, &[])
        .unwrap()
        .iter()
        .map(|d| arbiter_server::policy::new_version(d, "ann", Some("bob"), "starter"))
        .collect();
    app.store.save_policy_versions(&versions, 1).await.unwrap();
}

async fn the_policy_library_is_read_with_versions_diffs_and_citations(app: &TestApp) {
    store_starter_library(app, |text| text.to_owned()).await;
    store_starter_library(app, |text| text.replace("within 14 days", "within 30 days")).await;
    put_list(app, "disposable_domains", &["mailinator.com"]).await;
    ok_json(
        publish(app, arbiter_rules::STARTER_PACK, "starter pack").await,
        201,
    )
    .await;

    let all = ok_json(app.get("/v1/policies").send().await.unwrap(), 200).await;
    assert_eq!(
        all.as_array().unwrap().len(),
        arbiter_policy::STARTER_LIBRARY.len()
    );
    let terms = ok_json(
        app.get("/v1/policies?kind=guarantee_terms&audience=public&market=FR")
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(terms.as_array().unwrap().len(), 1);
    assert_eq!(terms[0]["id"], "POL-GUARANTEE");
    assert_eq!(terms[0]["version"], 2);
    let refused = problem(
        app.get("/v1/policies?kind=polcy").send().await.unwrap(),
        400,
    )
    .await;
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("guarantee_terms"),
        "{refused}"
    );

    let guarantee = ok_json(
        app.get("/v1/policies/POL-GUARANTEE").send().await.unwrap(),
        200,
    )
    .await;
    let clauses: Vec<&str> = guarantee["clauses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["number"].as_str().unwrap())
        .collect();
    assert!(
        clauses.contains(&"3.1") && clauses.contains(&"6.2"),
        "{clauses:?}"
    );
    assert_eq!(guarantee["cites"][0]["document"], "POL-PAYMENTS");
    // Cited by the rules in force, clause by clause.
    let cited_by = guarantee["cited_by"].as_array().unwrap();
    assert!(
        cited_by
            .iter()
            .any(|c| c["kind"] == "rule" && c["clause"] == "6.1" && c["ruleset_version"] == 1),
        "{cited_by:?}"
    );
    let payments = ok_json(
        app.get("/v1/policies/POL-PAYMENTS").send().await.unwrap(),
        200,
    )
    .await;
    assert!(
        payments["cited_by"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == "document" && c["id"] == "POL-GUARANTEE" && c["clause"] == "2.1"),
        "{payments}"
    );

    let versions = ok_json(
        app.get("/v1/policies/POL-GUARANTEE/versions")
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(versions[0]["version"], 2);
    assert_eq!(versions[0]["reviewed_by"], "bob");
    let diff = ok_json(
        app.get("/v1/policies/POL-GUARANTEE/diff?from=1&to=2")
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let changed: Vec<(&str, &str)> = diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["op"] != "same")
        .map(|c| (c["op"].as_str().unwrap(), c["text"].as_str().unwrap()))
        .collect();
    assert_eq!(changed, [("removed", "14"), ("added", "30")]);
    problem(app.get("/v1/policies/POL-NOPE").send().await.unwrap(), 404).await;
    let missing = problem(
        app.get("/v1/policies/POL-GUARANTEE/diff?from=1&to=9")
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    assert!(
        missing["detail"]
            .as_str()
            .unwrap()
            .contains("versions are 1 to 2")
    );
    problem(
        app.get("/v1/policies/POL-GUARANTEE/diff?from=one&to=2")
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    // The public help center: published public documents, no sign-in, rendered safely.
    let head = |id: &str, audience: &str, status: &str| {
        format!(
            "+++\nid = \"{id}\"\nkind = \"help_article\"\ntitle = \"About {id}\"\naudience = [\"{audience}\"]\nlocale = \"fr\"\nmarkets = [\"FR\"]\nowner = \"o\"\nstatus = \"{status}\"\n+++\n"
        )
    };
    let files = vec![
        (
            "a.md".to_owned(),
            format!(
                "{}## 1. Hello\n<script>alert(1)</script>\n\nSee [x](javascript:alert(1)).\n",
                head("HLP-PUBLIC", "public", "published")
            ),
        ),
        (
            "b.md".to_owned(),
            format!(
                "{}## 1. Secret\nInternal only.\n",
                head("PRC-INTERNAL", "internal", "published")
            ),
        ),
        (
            "c.md".to_owned(),
            format!("{}## 1. Soon\n", head("HLP-DRAFT", "public", "draft")),
        ),
    ];
    let versions: Vec<_> = arbiter_policy::check_library(&files, &[])
        .unwrap()
        .iter()
        .map(|d| arbiter_server::policy::new_version(d, "ann", Some("bob"), "help"))
        .collect();
    app.store.save_policy_versions(&versions, 2).await.unwrap();
    let anonymous = reqwest::Client::new();
    let get = |path: &str| anonymous.get(app.url(path)).send();
    let index = get("/help").await.unwrap();
    assert_eq!(index.status(), 200);
    let index = index.text().await.unwrap();
    assert!(
        index.contains("/help/POL-GUARANTEE") && index.contains("/help/HLP-PUBLIC"),
        "{index}"
    );
    assert!(
        !index.contains("PRC-INTERNAL") && !index.contains("HLP-DRAFT"),
        "{index}"
    );
    let french = get("/help?locale=fr&market=FR")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        french.contains("HLP-PUBLIC") && !french.contains("POL-GUARANTEE"),
        "{french}"
    );
    let page = get("/help/POL-GUARANTEE")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"<h3 id="s3.1">3.1 Fourteen days</h3>"#),
        "{page}"
    );
    assert!(page.contains("within 30 days"), "{page}");
    let public = get("/help/HLP-PUBLIC").await.unwrap().text().await.unwrap();
    assert!(
        public.contains("&lt;script&gt;") && !public.contains("<script>"),
        "{public}"
    );
    assert!(!public.contains("href=\"javascript"), "{public}");
    assert!(public.contains(r##"<a href="#">x</a>"##), "{public}");
    assert!(public.contains(r#"<html lang="fr">"#), "{public}");
    for hidden in ["/help/PRC-INTERNAL", "/help/HLP-DRAFT", "/help/NOPE-X"] {
        assert_eq!(get(hidden).await.unwrap().status(), 404, "{hidden}");
    }

    // The change feed, as JSON and Atom, and the review reminders.
    let changes = ok_json(
        app.get("/v1/policies/changes?since=1970-01-01T00:00:00Z")
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let changes = changes.as_array().unwrap();
    assert_eq!(
        changes.len(),
        arbiter_policy::STARTER_LIBRARY.len() + 1 + 3,
        "{changes:?}"
    );
    assert!(changes.iter().any(|c| c["document_id"] == "POL-GUARANTEE"
        && c["version"] == 2
        && c["change"] == "changed"));
    assert!(
        changes.iter().any(|c| c["document_id"] == "POL-GUARANTEE"
            && c["version"] == 1
            && c["change"] == "new")
    );
    let atom = app
        .get("/v1/policies/changes.atom?since=1970-01-01T00:00:00Z")
        .send()
        .await
        .unwrap();
    assert_eq!(
        atom.headers()["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    let atom = atom.text().await.unwrap();
    assert!(
        atom.contains("<id>urn:arbiter:policy:POL-GUARANTEE:v2</id>"),
        "{atom}"
    );
    assert_eq!(
        atom.matches("<entry>").count(),
        arbiter_policy::STARTER_LIBRARY.len() + 1 + 3
    );
    problem(
        app.get("/v1/policies/changes?since=yesterday")
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    let due = ok_json(
        app.get("/v1/policies/reviews-due?on=2026-08-01")
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let due: Vec<&str> = due
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(due, ["POL-GUARANTEE"]);
    problem(
        app.get("/v1/policies/reviews-due?on=soon")
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;

    // The bulletin for a period: each document changed, clause by clause.
    let bulletin = app
        .get("/v1/policies/bulletin?from=1970-01-01T00:00:00Z&to=1970-01-02T00:00:00Z")
        .send()
        .await
        .unwrap();
    assert_eq!(bulletin.status(), 200);
    let bulletin = bulletin.text().await.unwrap();
    assert!(
        bulletin.contains("<h2>POL-GUARANTEE — The Guarantee: terms <small>(new"),
        "{bulletin}"
    );
    assert!(
        bulletin.contains("§3.1 Fourteen days — <ins>added</ins>"),
        "{bulletin}"
    );
    problem(
        app.get("/v1/policies/bulletin?from=1970-01-02T00:00:00Z&to=1970-01-01T00:00:00Z")
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;

    // Search: the clause, a highlighted snippet; the index follows new versions.
    let search = |query: &str| {
        let request = app.get(&format!("/v1/policies/search?{query}"));
        async move { request.send().await.unwrap() }
    };
    let hits = ok_json(search("q=filing%20window&kind=guarantee_terms").await, 200).await;
    assert_eq!(hits[0]["id"], "POL-GUARANTEE", "{hits}");
    assert_eq!(hits[0]["clause"], "3.1", "{hits}");
    assert!(
        hits[0]["snippet"].as_str().unwrap().contains("<mark>"),
        "{hits}"
    );
    let hits = ok_json(search("q=%22within%2030%20days%22").await, 200).await;
    assert_eq!(hits.as_array().unwrap().len(), 1, "{hits}");
    store_starter_library(app, |text| text.replace("within 14 days", "within 45 days")).await;
    let hits = ok_json(search("q=%22within%2030%20days%22").await, 200).await;
    assert_eq!(hits.as_array().unwrap().len(), 0, "{hits}");
    let refused = problem(search(&format!("q={}", "a".repeat(10_000))).await, 422).await;
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .starts_with("q: the query is 10000 characters long"),
        "{refused}"
    );
    problem(search("q=x&kind=polcy").await, 400).await;
    problem(search("").await, 400).await;
    let odd = ok_json(search("q=title%3A(claim*%20AND%20%3Cscript%3E").await, 200).await;
    assert!(odd.as_array().is_some());
}

async fn policies_are_drafted_then_published_by_another_reviewer(app: &TestApp) {
    store_starter_library(app, |text| text.to_owned()).await;
    let token = |label: &'static str, role: Role| async move {
        arbiter_server::access::issue_token(
            &app.store,
            arbiter_store::TokenKind::Api,
            role,
            label,
            1,
        )
        .await
        .unwrap()
        .secret
    };
    let ann = token("ann", Role::PolicyEditor).await;
    let lee = token("lee", Role::PolicyEditor).await;
    let viewer = token("vic", Role::Viewer).await;
    let client = reqwest::Client::new();
    // A subscriber to the change feed; topics are checked.
    let (url, received) = receiver(0).await;
    let hook = ok_json(
        app.post_json(
            "/v1/webhooks",
            &json!({"url": url, "topics": ["policy_changes"]}),
        )
        .send()
        .await
        .unwrap(),
        201,
    )
    .await;
    assert_eq!(hook["topics"], json!(["policy_changes"]));
    for topics in [json!([]), json!(["policies"])] {
        let refused = problem(
            app.post_json("/v1/webhooks", &json!({"url": url, "topics": topics}))
                .send()
                .await
                .unwrap(),
            400,
        )
        .await;
        assert!(
            refused["detail"].as_str().unwrap().starts_with("topics:"),
            "{refused}"
        );
    }
    let put = |who: &str, id: &str, source: String, summary: &str| {
        client
            .put(app.url(&format!("/v1/policies/{id}")))
            .bearer_auth(who)
            .json(&json!({"source": source, "summary": summary}))
            .send()
    };
    let publish = |who: &str, id: &str| {
        client
            .post(app.url(&format!("/v1/policies/{id}/publish")))
            .bearer_auth(who)
            .json(&json!({}))
            .send()
    };
    let guarantee = arbiter_policy::STARTER_LIBRARY
        .iter()
        .find(|(name, _)| *name == "POL-GUARANTEE.md")
        .unwrap()
        .1;
    // A draft that drops §6.1, which a rule in force cites: stored, with a warning.
    put_list(app, "disposable_domains", &["mailinator.com"]).await;
    ok_json(publish_ruleset(app).await, 201).await;
    let draft = guarantee
        .replace("status = \"published\"", "status = \"draft\"")
        .replace("### 6.1 Repeated claims", "### 6.9 Repeated claims");
    let saved = ok_json(
        put(&ann, "POL-GUARANTEE", draft.clone(), "Renumber fair use")
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(saved["version"], 2);
    // The help center keeps showing the published version while the draft waits.
    let help = app
        .client
        .get(app.url("/help/POL-GUARANTEE"))
        .send()
        .await
        .unwrap();
    assert_eq!(help.status(), 200);
    let help = help.text().await.unwrap();
    assert!(
        help.contains("6.1 Repeated claims") && !help.contains("6.9"),
        "{help}"
    );
    let warnings = saved["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().starts_with("rule ")
                && w.as_str().unwrap().contains("POL-GUARANTEE §6.1")),
        "{saved}"
    );
    // The author may not publish their own version; another editor may.
    let refused = problem(publish(&ann, "POL-GUARANTEE").await.unwrap(), 403).await;
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("reviewer other than the author")
    );
    problem(publish(&viewer, "POL-GUARANTEE").await.unwrap(), 403).await;
    let published = ok_json(publish(&lee, "POL-GUARANTEE").await.unwrap(), 201).await;
    assert_eq!(published["version"], 3);
    let versions = ok_json(
        app.get("/v1/policies/POL-GUARANTEE/versions")
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(versions[0]["status"], "published");
    assert_eq!(versions[0]["author"], "ann");
    assert_eq!(versions[0]["reviewed_by"], "lee");
    problem(publish(&lee, "POL-GUARANTEE").await.unwrap(), 409).await;
    // Bad files: every error located; a published status; an id that is not the address.
    let broken = guarantee
        .replace("kind = \"guarantee_terms\"", "kind = \"terms\"")
        .replace("POL-PAYMENTS §2.1", "POL-PAYMENTS §9.9");
    let refused = problem(put(&ann, "POL-GUARANTEE", broken, "x").await.unwrap(), 422).await;
    let errors = refused["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{refused}");
    assert_eq!(errors[0]["line"], 3);
    let refused = problem(
        put(&ann, "POL-GUARANTEE", guarantee.to_owned(), "x")
            .await
            .unwrap(),
        400,
    )
    .await;
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("publish POL-GUARANTEE with POST")
    );
    problem(
        put(&ann, "POL-OTHER", draft.clone(), "x").await.unwrap(),
        400,
    )
    .await;
    problem(
        put(&ann, "POL-GUARANTEE", draft.clone(), " ")
            .await
            .unwrap(),
        400,
    )
    .await;
    problem(
        put(&viewer, "POL-GUARANTEE", draft, "x").await.unwrap(),
        403,
    )
    .await;
    problem(publish(&lee, "POL-NOPE").await.unwrap(), 404).await;

    // The subscriber heard of the draft and its publication, signed, and nothing else.
    let mut bodies = Vec::new();
    for _ in 0..200 {
        bodies = received.lock().unwrap().clone();
        if bodies.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let secret = hook["secret"].as_str().unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut changes: Vec<Value> = bodies
        .iter()
        .map(|(headers, body)| {
            let signature = headers["arbiter-signature"].to_str().unwrap();
            assert!(arbiter_server::webhooks::verify(
                secret,
                signature,
                body.as_bytes(),
                now,
                300
            ));
            serde_json::from_str(body).unwrap()
        })
        .collect();
    changes.sort_by_key(|c| c["version"].as_i64());
    let seen: Vec<(Value, Value, Value)> = changes
        .iter()
        .map(|c| {
            (
                c["document_id"].clone(),
                c["version"].clone(),
                c["change"].clone(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (json!("POL-GUARANTEE"), json!(2), json!("changed")),
            (json!("POL-GUARANTEE"), json!(3), json!("published")),
        ]
    );
    assert_eq!(changes[1]["type"], "policy_change");
    assert_eq!(changes[1]["reviewed_by"], "lee");
    let log = ok_json(
        app.get(&format!(
            "/v1/webhooks/{}/deliveries",
            hook["id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap(),
        200,
    )
    .await;
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .all(|d| d["topic"] == "policy_changes"),
        "{log}"
    );

    // Retiring needs a reason, names what still cites the document, and takes it out of the
    // help center at once.
    let retire = |who: &str, body: Value| {
        client
            .post(app.url("/v1/policies/POL-GUARANTEE/retire"))
            .bearer_auth(who)
            .json(&body)
            .send()
    };
    problem(retire(&lee, json!({"summary": " "})).await.unwrap(), 400).await;
    problem(retire(&viewer, json!({"summary": "x"})).await.unwrap(), 403).await;
    let retired = ok_json(
        retire(&lee, json!({"summary": "Replaced by the 2027 terms"}))
            .await
            .unwrap(),
        201,
    )
    .await;
    assert_eq!(retired["version"], 4);
    let warnings = retired["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|w| w
            .as_str()
            .unwrap()
            .starts_with("PRC-CLAIMS cites POL-GUARANTEE")),
        "{retired}"
    );
    let help = app
        .client
        .get(app.url("/help/POL-GUARANTEE"))
        .send()
        .await
        .unwrap();
    assert_eq!(help.status(), 404);
    problem(
        retire(&lee, json!({"summary": "again"})).await.unwrap(),
        409,
    )
    .await;
}

async fn publish_ruleset(app: &TestApp) -> reqwest::Response {
    publish(app, arbiter_rules::STARTER_PACK, "starter pack").await
}

/// `limit=1000`, the largest page, must still say when more follow: the store once capped the
/// one extra row that tells it at the page size, so a full page looked like the last one.
async fn a_full_page_of_the_largest_size_is_not_the_last(app: &TestApp) {
    let rules = "rule EVERY-POSTING \"Every posting\"\n  on task.posted\n  enforces POL-PAYMENTS §2.1\n  when has(data.category)\n  then tag(\"posted\")\n";
    ok_json(publish(app, rules, "tag every posting").await, 201).await;
    let body: String = (0..1_001)
        .map(|n| {
            format!(
                "{}\n",
                json!({"id": format!("p_{n}"), "type": "task.posted",
                       "occurred_at": format!("2026-10-01T{:02}:{:02}:{:02}Z", n / 3600, n / 60 % 60, n % 60),
                       "market": "US", "actor": {"id": format!("c_{n}"), "role": "client"},
                       "task_id": format!("t_{n}"), "data": {"category": "cleaning"}})
            )
        })
        .collect();
    let report = ok_json(app.post_ndjson(body).send().await.unwrap(), 200).await;
    assert_eq!(report["accepted"], 1_001);
    settle(app).await;
    for (path, items) in [("/v1/decisions", "decisions"), ("/v1/effects", "effects")] {
        let first = ok_json(
            app.get(&format!("{path}?limit=1000")).send().await.unwrap(),
            200,
        )
        .await;
        assert_eq!(first[items].as_array().unwrap().len(), 1_000, "{path}");
        let cursor = first["next_cursor"]
            .as_str()
            .unwrap_or_else(|| panic!("{path}: a full page of 1000 with one more has a next page"));
        let rest = ok_json(
            app.get(&format!("{path}?limit=1000&cursor={cursor}"))
                .send()
                .await
                .unwrap(),
            200,
        )
        .await;
        assert_eq!(rest[items].as_array().unwrap().len(), 1, "{path}: {rest}");
        assert!(rest["next_cursor"].is_null(), "{path}: {rest}");
    }
}

/// A decision names, and its effects address, the member its rule is about: the Tasker whose
/// no-shows a Client reported, the Client whose chargebacks a card network reported.
async fn decisions_name_the_member_the_rule_is_about(app: &TestApp) {
    put_list(app, "disposable_domains", &["mailinator.com"]).await;
    ok_json(
        publish(app, arbiter_rules::STARTER_PACK, "starter").await,
        201,
    )
    .await;
    let mut body = String::new();
    for day in 1..=3 {
        body.push_str(&format!(
            "{}\n",
            json!({"id": format!("ns_{day}"), "type": "task.no_show",
                   "occurred_at": format!("2026-10-{day:02}T10:00:00Z"), "market": "US",
                   "actor": {"id": format!("c_{day}"), "role": "client"},
                   "subject": {"id": "k_5", "role": "tasker"}, "task_id": format!("t_{day}")})
        ));
    }
    for day in 1..=2 {
        body.push_str(&format!(
            "{}\n",
            json!({"id": format!("cb_{day}"), "type": "payment.chargeback",
                   "occurred_at": format!("2026-10-{day:02}T12:00:00Z"), "market": "US",
                   "actor": {"id": "card_network", "role": "system"},
                   "subject": {"id": "c_9", "role": "client"},
                   "amount": {"minor": 5000, "currency": "USD"}, "data": {"reason_code": "10.4"}})
        ));
    }
    ok_json(app.post_ndjson(body).send().await.unwrap(), 200).await;
    settle(app).await;
    for (event, member) in [("ns_3", "k_5"), ("cb_2", "c_9")] {
        let decision = ok_json(
            app.get(&format!("/v1/decisions/{event}"))
                .send()
                .await
                .unwrap(),
            200,
        )
        .await;
        assert_eq!(decision["hits"][0]["member"], member, "{decision}");
        let effects = ok_json(
            app.get(&format!("/v1/effects?event={event}"))
                .send()
                .await
                .unwrap(),
            200,
        )
        .await;
        let effects = effects["effects"].as_array().unwrap();
        assert!(!effects.is_empty());
        assert!(
            effects.iter().all(|e| e["user_id"] == member),
            "{effects:?}"
        );
    }
    // The console's list of decisions shows the same member as the user.
    let cookie = app.console_session().await;
    let page = app
        .client
        .get(app.url("/console/protect/decisions?rule=TASKER-NO-SHOWS"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(">k_5</a>"), "{page}");
    assert!(!page.contains(">c_3</a>"), "{page}");
}
