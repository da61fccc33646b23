//! The decision engine over HTTP: rulesets and lists as an analyst manages them, decisions as
//! an integration asks for them and as the console shows them, and backtests of a candidate
//! ruleset, against a real server and database.

use crate::common::webdriver::{Browser, browser_or_skip};
use crate::common::{TestApp, on_both_backends};
use crate::policy::store_starter_library;
use arbiter_model::Role;
use arbiter_store::{Backend, StaffUser};
use serde_json::{Value, json};
use std::time::Duration;

on_both_backends!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    rulesets_are_checked_published_and_rolled_back,
    decisions_explain_themselves_and_are_listed,
    lists_keep_history_and_take_effect_without_restart,
    bad_input_gets_problems,
    backtests_compare_a_candidate_with_the_rules_in_force,
    a_full_page_of_the_largest_size_is_not_the_last,
    decisions_name_the_member_the_rule_is_about,
);

pub(crate) fn message(id: &str, text: &str) -> Value {
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

pub(crate) async fn ok_json(response: reqwest::Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(actual, status, "{body:#}");
    body
}

pub(crate) async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    ok_json(response, status).await
}

pub(crate) async fn publish(app: &TestApp, source: &str, note: &str) -> reqwest::Response {
    app.post_json("/v1/rulesets", &json!({"source": source, "note": note}))
        .send()
        .await
        .unwrap()
}

pub(crate) async fn put_list(app: &TestApp, name: &str, entries: &[&str]) -> Value {
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

pub(crate) async fn decide(app: &TestApp, event: &Value) -> Value {
    let response = app.post_json("/v1/decisions", event).send().await.unwrap();
    ok_json(response, 200).await
}

/// Waits until the decider has passed every stored event.
pub(crate) async fn settle(app: &TestApp) {
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
    // Per day: the second claim (day 5) goes to review with the candidate only.
    let day5 = report["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["day"] == "2026-10-05")
        .unwrap();
    assert_eq!(day5["candidate_reviews"], 1, "{day5}");
    assert_eq!(day5["baseline_reviews"], 0, "{day5}");
    // The console charts reviews and blocks per day and lists only the rules whose hits change.
    let page = app
        .client
        .post(app.url("/console/protect/backtest"))
        .header("cookie", app.console_session().await)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "source={}&from=2026-10-01&to=2026-10-31",
            candidate
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect::<String>()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    for expected in [
        "Sent to review per day",
        "Blocked per day",
        "Rules whose hits change",
        "<code>CLAIM-SERIAL</code>",
        ">+1</td>",
        "fire as often in both and are not listed",
    ] {
        assert!(page.contains(expected), "{expected:?} not in {page}");
    }
    assert_eq!(page.matches("<code>CLAIM-SERIAL</code>").count(), 1);

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

#[tokio::test]
async fn an_analyst_publishes_rules_and_reads_a_decision() {
    let Some((driver, browser)) = browser_or_skip() else {
        return;
    };
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    let password = "risk analyst secret";
    app.store
        .create_staff_user(
            &StaffUser {
                username: "ravi".into(),
                password_hash: arbiter_app::access::hash_password(password).unwrap(),
                role: Role::Analyst,
            },
            1,
        )
        .await
        .unwrap();
    let chrome = Browser::launch(&driver, &browser).await;
    let shot = |name: &str| std::env::temp_dir().join(format!("arbiter-console-{name}.png"));
    chrome.go(&app.url("/console/protect")).await;
    chrome.type_into("#username", "ravi").await;
    chrome.type_into("#password", password).await;
    chrome.click("form.card button[type=submit]").await;
    chrome.wait_for_text("main h1", "Protect").await;
    assert!(
        chrome
            .text("main")
            .await
            .contains("No ruleset is published yet")
    );

    // A list, from the console.
    chrome.go(&app.url("/console/protect/lists")).await;
    chrome.type_into("#name", "disposable_domains").await;
    chrome
        .type_into("#entries", "mailinator.com\nyopmail.com")
        .await;
    chrome
        .click("form[aria-labelledby=change] button[type=submit]")
        .await;
    chrome
        .wait_for_text("main h1", "List disposable_domains")
        .await;
    assert_eq!(
        chrome.find_all_texts("ul.entries li").await,
        vec!["mailinator.com", "yopmail.com"]
    );

    // The editor starts from the starter pack; Check runs the checker and the examples.
    chrome.go(&app.url("/console/protect/rules")).await;
    chrome.click("button[value=check]").await;
    chrome
        .wait_for_text(
            "[role=status]",
            "The rules check: 11 rules, 23 examples pass.",
        )
        .await;

    // A mistake is pointed at, with the name that was meant.
    chrome.clear("#source").await;
    chrome.type_into("#source", "rule OFF \"Payment apps\" on message.sent enforces POL-PAYMENTS §2.1\n  when has_payment_ap(data.text) score 50 then review(\"off-platform\")").await;
    chrome.click("button[value=check]").await;
    chrome
        .wait_for_text("[role=alert]", "The rules do not check: 1 error.")
        .await;
    let finding = chrome.text("pre.diagnostic").await;
    assert!(
        finding.contains("did you mean `has_payment_app`?"),
        "{finding}"
    );
    assert!(finding.contains("rules:2:8"), "{finding}");

    // Fixed and published: in force from the next event.
    chrome.clear("#source").await;
    chrome.type_into("#source", "rule OFF \"Payment apps\" on message.sent enforces POL-PAYMENTS §2.1\n  when has_payment_app(data.text) score 50 then review(\"off-platform\")").await;
    chrome.type_into("#note", "payment apps only").await;
    chrome.click("button[value=publish]").await;
    chrome
        .wait_for_text(
            "[role=status]",
            "Published: version 1 decides events from now on.",
        )
        .await;

    let message = r#"{"id":"m_1","type":"message.sent","occurred_at":"2026-10-01T10:00:00Z","market":"US","actor":{"id":"k_1","role":"tasker"},"subject":{"id":"c_1","role":"client"},"data":{"text":"Pay me on Venmo, no fee"}}"#;
    let decision: serde_json::Value = app
        .client
        .post(app.url("/v1/decisions"))
        .bearer_auth(&app.admin_token)
        .header("content-type", "application/json")
        .body(message)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(decision["verdict"], "review", "{decision}");

    // The decision beside its event, with the values that made the rule fire.
    chrome.go(&app.url("/console/events/m_1")).await;
    chrome.wait_for_text("main h1", "Event m_1").await;
    assert_eq!(chrome.text(".verdict").await, "review");
    let evidence = chrome.find_all_texts("ul.evidence li").await;
    assert!(
        evidence.contains(&"has_payment_app(data.text) = true".to_owned()),
        "{evidence:?}"
    );
    assert!(
        chrome
            .text("main")
            .await
            .contains("review(\"off-platform\")")
    );
    chrome.screenshot(&shot("decision")).await;

    // Backtest a candidate over the day: the page reports and charts it.
    chrome.go(&app.url("/console/protect/backtest")).await;
    chrome.clear("#from").await;
    chrome.type_into("#from", "2026-10-01").await;
    chrome.clear("#to").await;
    chrome.type_into("#to", "2026-10-01").await;
    chrome
        .click("form[aria-label=Backtest] button[type=submit]")
        .await;
    chrome.wait_for_text("#report", "Report").await;
    assert!(
        chrome
            .text("dl.figures")
            .await
            .contains("Decisions that change")
    );
    assert_eq!(chrome.find_all_texts("section figure svg").await.len(), 2);
    chrome.screenshot(&shot("backtest")).await;

    // A second version, then roll back to the first from the version list.
    chrome.go(&app.url("/console/protect/rules")).await;
    chrome.clear("#source").await;
    chrome.type_into("#source", "rule OFF \"Payment apps\" on message.sent enforces POL-PAYMENTS §2.1\n  when has_payment_app(data.text) score 50 then block").await;
    chrome.click("button[value=publish]").await;
    chrome
        .wait_for_text("main h1", "Ruleset version 2 (in force)")
        .await;
    chrome.go(&app.url("/console/protect/rules")).await;
    chrome
        .click("button[aria-label='Roll back to version 1']")
        .await;
    chrome
        .wait_for_text("main h1", "Ruleset version 3 (in force)")
        .await;
    assert!(
        chrome
            .text("main")
            .await
            .contains("rolled back to version 1")
    );

    chrome.close().await;
    app.stop().await;
}
