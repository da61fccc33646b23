//! The resolution center over HTTP and in the console, on SQLite and on PostgreSQL: cases opened
//! from claims and rules, eligibility with cited reasons, automatic resolution, the lifecycle,
//! decisions, the ledger, messages, the audit trail, and two specialists deciding at once.

use crate::common::webdriver::{Browser, browser_or_skip};
use crate::common::{TestApp, on_both_backends};
use arbiter_model::Role;
use arbiter_store::{Backend, StaffUser};
use serde_json::{Value, json};
use std::time::Duration;

on_both_backends!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    a_claim_is_worked_from_intake_to_payout,
    a_claim_opened_by_hand_is_judged_on_the_facts_intake_reads,
    eligibility_does_not_depend_on_batching(Backend),
);

async fn ok_json(response: reqwest::Response, status: u16) -> Value {
    let got = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "{body}");
    body
}

/// The problem's detail, after checking its status.
async fn refused(response: reqwest::Response, status: u16) -> String {
    let body = ok_json(response, status).await;
    body["detail"].as_str().unwrap_or_default().to_owned()
}

fn day(d: u32, hour: u32) -> String {
    format!("2026-10-{d:02}T{hour:02}:00:00Z")
}

/// A booked and completed Task, and a claim on it filed on `filed_day`.
fn claim_history(task: &str, claim: &str, minor: i64, filed_day: u32) -> Vec<Value> {
    let client = json!({"id": format!("c_{task}"), "role": "client"});
    let tasker = json!({"id": format!("k_{task}"), "role": "tasker"});
    vec![
        json!({"id": format!("b_{task}"), "type": "task.booked", "occurred_at": day(1, 9), "market": "US",
               "actor": client, "subject": tasker, "task_id": task,
               "amount": {"minor": 20000, "currency": "USD"}, "data": {"category": "moving"}}),
        json!({"id": format!("d_{task}"), "type": "task.completed", "occurred_at": day(1, 15), "market": "US",
               "actor": tasker, "subject": client, "task_id": task,
               "amount": {"minor": 20000, "currency": "USD"}, "data": {"category": "moving"}}),
        json!({"id": claim, "type": "claim.filed", "occurred_at": day(filed_day, 10), "market": "US",
               "actor": client, "subject": tasker, "task_id": task,
               "amount": {"minor": minor, "currency": "USD"},
               "data": {"kind": "property_damage", "incident_at": day(1, 14), "description": "A broken table."}}),
    ]
}

async fn cases(app: &TestApp, query: &str) -> Vec<Value> {
    ok_json(
        app.get(&format!("/v1/cases?{query}")).send().await.unwrap(),
        200,
    )
    .await["cases"]
        .as_array()
        .unwrap()
        .clone()
}

async fn a_claim_is_worked_from_intake_to_payout(app: &TestApp) {
    // The library, for message templates and cited clauses.
    let files: Vec<(String, String)> = arbiter_policy::STARTER_LIBRARY
        .iter()
        .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
        .collect();
    let library: Vec<_> = arbiter_policy::check_library(&files, &[])
        .unwrap()
        .iter()
        .map(|d| arbiter_app::policies::new_version(d, "ann", Some("bob"), "starter"))
        .collect();
    app.store.save_policy_versions(&library, 1).await.unwrap();
    let (hook_url, received) = receiver().await;
    ok_json(
        app.post_json(
            "/v1/webhooks",
            &json!({"url": hook_url, "topics": ["case_messages"]}),
        )
        .send()
        .await
        .unwrap(),
        201,
    )
    .await;

    // The starter rules decide every event; their flags are the cases' fraud signals.
    let list = app
        .client
        .put(app.url("/v1/lists/disposable_domains"))
        .bearer_auth(&app.admin_token)
        .json(&json!({"entries": ["mailinator.com"], "note": "test"}))
        .send()
        .await
        .unwrap();
    ok_json(list, 200).await;
    ok_json(
        app.post_json(
            "/v1/rulesets",
            &json!({"source": arbiter_rules::STARTER_PACK, "note": "starter"}),
        )
        .send()
        .await
        .unwrap(),
        201,
    )
    .await;

    // A claim a person must decide, a small one that decides itself, a late one, and the same
    // claim filed twice.
    let mut events = claim_history("t_1", "cl_1", 45_000, 3);
    events.extend(claim_history("t_2", "cl_2", 12_000, 2));
    events.extend(claim_history("t_3", "cl_3", 30_000, 25));
    let mut again = events[2].clone();
    again["id"] = json!("cl_1b");
    again["occurred_at"] = json!(day(4, 8));
    events.push(again);
    // A third claim by the same Client in a quarter: the serial-claimant rule opens a fraud case.
    let mut third = events[2].clone();
    third["id"] = json!("cl_1c");
    third["occurred_at"] = json!(day(5, 8));
    events.push(third);
    // The Tasker of the late claim's Task asks, on that Task and before the claim in the log,
    // to be paid outside the platform.
    events.insert(
        0,
        json!({"id": "m_1", "type": "message.sent", "occurred_at": day(1, 12), "market": "US",
        "actor": {"id": "k_t_3", "role": "tasker"}, "subject": {"id": "c_t_3", "role": "client"},
        "task_id": "t_3", "data": {"text": "Pay me on Venmo and we skip the fee", "thread_id": "th_1"}}),
    );
    let body: String = events.iter().map(|e| format!("{e}\n")).collect();
    let accepted = ok_json(app.post_ndjson(body).send().await.unwrap(), 200).await;
    assert_eq!(accepted["accepted"], 12, "{accepted}");

    let mut all = Vec::new();
    for _ in 0..200 {
        all = cases(app, "").await;
        if all.len() >= 4 && app.store.intake_progress().await.unwrap() >= 12 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(all.len(), 4, "{all:?}");
    let by_task = |task: &str| {
        all.iter()
            .find(|c| c["task_id"] == task && c["type"] != "fraud")
            .unwrap()
            .clone()
    };
    let fraud = all.iter().find(|c| c["type"] == "fraud").unwrap();
    assert_eq!(
        (
            &fraud["source"],
            &fraud["source_ref"],
            &fraud["priority"],
            &fraud["queue"]
        ),
        (
            &json!("rule"),
            &json!("CLAIM-SERIAL"),
            &json!("high"),
            &json!("trust")
        ),
        "{fraud}"
    );
    let first = by_task("t_1");
    let id = first["id"].as_str().unwrap().to_owned();
    let detail = ok_json(
        app.get(&format!("/v1/cases/{id}")).send().await.unwrap(),
        200,
    )
    .await;
    assert_eq!(detail["case"]["state"], "new");
    assert_eq!(detail["case"]["queue"], "claims");
    assert_eq!(detail["case"]["type"], "property_damage_claim");
    assert_eq!(detail["eligibility"]["outcome"], "eligible", "{detail}");
    assert_eq!(detail["eligibility"]["payable_minor"], 45_000);
    assert_eq!(
        detail["events"],
        json!(["cl_1", "cl_1b", "cl_1c"]),
        "later filings are linked"
    );
    assert_eq!(detail["totals"]["reserve"]["minor"], 45_000);
    assert_eq!(detail["playbook"]["version"], 1);
    assert_eq!(detail["playbook"]["steps"][0]["id"], "intake");
    assert_eq!(detail["audit"][0]["action"], "opened");
    // The third filing flagged the Client as a serial claimant: the signal beside eligibility.
    assert_eq!(detail["signals"][0]["event_id"], "cl_1c");
    assert_eq!(detail["signals"][0]["rules"], json!(["CLAIM-SERIAL"]));
    assert_eq!(detail["audit"][0]["actor_kind"], "system");

    // The small claim was approved and paid with no person.
    let small = ok_json(
        app.get(&format!(
            "/v1/cases/{}",
            by_task("t_2")["id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap(),
        200,
    )
    .await;
    assert_eq!(small["case"]["state"], "closed");
    assert_eq!(small["case"]["automated"], true);
    assert_eq!(small["decisions"][0]["outcome"], "approved");
    assert_eq!(small["decisions"][0]["decided_by"], "small property damage");
    assert_eq!(small["totals"]["payouts"]["minor"], 12_000);

    // The late one is not eligible, with the clause.
    let late = ok_json(
        app.get(&format!(
            "/v1/cases/{}",
            by_task("t_3")["id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap(),
        200,
    )
    .await;
    assert_eq!(late["eligibility"]["outcome"], "not_eligible");
    assert_eq!(late["eligibility"]["reasons"][0]["code"], "filed_late");
    assert_eq!(
        late["eligibility"]["reasons"][0]["clause"],
        "POL-GUARANTEE §3.1"
    );
    // Its Tasker asked for payment off the platform: a second reason, and the signal beside it.
    assert_eq!(late["eligibility"]["reasons"][1]["code"], "off_platform");
    assert_eq!(
        late["eligibility"]["reasons"][1]["clause"],
        "POL-GUARANTEE §5.1"
    );
    let signal = &late["signals"][0];
    assert_eq!(signal["event_id"], "m_1", "{late}");
    assert_eq!(signal["verdict"], "review");
    assert_eq!(signal["rules"], json!(["OFFPLATFORM-PAYMENT"]));

    // A specialist pulls the most urgent case of the claims queue.
    let agent = TestApp::token_for(&app.store, Role::Agent).await;
    let viewer = TestApp::token_for(&app.store, Role::Viewer).await;
    let as_agent = |method: reqwest::Method, path: &str, body: Value| {
        app.client
            .request(method, app.url(path))
            .bearer_auth(&agent)
            .json(&body)
            .send()
    };
    let post = |path: String, body: Value| as_agent(reqwest::Method::POST, &path, body);
    let pulled = ok_json(
        post("/v1/cases/next".into(), json!({"queue": "claims"}))
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(pulled["id"], id, "the oldest deadline first");
    assert_eq!(pulled["assignee"], "test", "{pulled}");
    assert!(pulled["first_response_at"].is_string());

    // The lifecycle refuses what does not follow, with the reason.
    let closing = refused(
        post(format!("/v1/cases/{id}/steps"), json!({"step": "close"}))
            .await
            .unwrap(),
        409,
    )
    .await;
    assert_eq!(closing, "a case is closed once decided; this one is new");
    ok_json(
        post(
            format!("/v1/cases/{id}/steps"),
            json!({"step": "investigate"}),
        )
        .await
        .unwrap(),
        200,
    )
    .await;
    let marked = ok_json(
        as_agent(
            reqwest::Method::PATCH,
            &format!("/v1/cases/{id}"),
            json!({"steps_done": ["intake", "eligibility"]}),
        )
        .await
        .unwrap(),
        200,
    )
    .await;
    assert!(
        refused(
            as_agent(
                reqwest::Method::PATCH,
                &format!("/v1/cases/{id}"),
                json!({"steps_done": ["dance"]})
            )
            .await
            .unwrap(),
            422
        )
        .await
        .contains("has no step \"dance\"")
    );

    // A decision in another currency, for nothing, or on a stale read is refused; nothing moves.
    let version = marked["version"].as_i64().unwrap();
    let approve = |minor: i64, currency: &str, version: i64| {
        json!({"outcome": "approved", "amount": {"minor": minor, "currency": currency},
               "clauses": ["POL-GUARANTEE §1"], "text": "Photos and invoice match.", "version": version})
    };
    assert!(
        refused(
            post(
                format!("/v1/cases/{id}/decision"),
                approve(45_000, "EUR", version)
            )
            .await
            .unwrap(),
            422
        )
        .await
        .contains("not this case's currency")
    );
    refused(
        post(
            format!("/v1/cases/{id}/decision"),
            approve(0, "USD", version),
        )
        .await
        .unwrap(),
        422,
    )
    .await;
    assert!(
        refused(
            post(
                format!("/v1/cases/{id}/decision"),
                approve(45_000, "USD", version - 1)
            )
            .await
            .unwrap(),
            409
        )
        .await
        .contains("changed since you read it")
    );
    let unknown = json!({"outcome": "denied", "clauses": ["POL-GUARANTEE §9.9"], "text": "x"});
    assert!(
        refused(
            post(format!("/v1/cases/{id}/decision"), unknown)
                .await
                .unwrap(),
            422
        )
        .await
        .contains("no POL-GUARANTEE §9.9")
    );
    let viewer_decides = app
        .client
        .post(app.url(&format!("/v1/cases/{id}/decision")))
        .bearer_auth(&viewer)
        .json(&approve(45_000, "USD", version))
        .send()
        .await
        .unwrap();
    refused(viewer_decides, 403).await;
    let decided = ok_json(
        post(
            format!("/v1/cases/{id}/decision"),
            approve(45_000, "USD", version),
        )
        .await
        .unwrap(),
        200,
    )
    .await;
    assert_eq!(decided["state"], "decided");
    let again = refused(
        post(
            format!("/v1/cases/{id}/decision"),
            approve(1, "USD", decided["version"].as_i64().unwrap()),
        )
        .await
        .unwrap(),
        409,
    )
    .await;
    assert_eq!(
        again,
        "the case is already decided: appeal or reopen it to decide again"
    );

    // The ledger: over the Guarantee's limit needs a reason; recoveries; whole reversals only.
    let over = refused(
        post(format!("/v1/cases/{id}/ledger"), json!({"kind": "payout", "counterparty": "client", "amount": {"minor": 990_000, "currency": "USD"}}))
            .await
            .unwrap(),
        422,
    )
    .await;
    assert!(
        over.contains("more than the 9550.00 USD the Guarantee still allows"),
        "{over}"
    );
    ok_json(
        post(
            format!("/v1/cases/{id}/ledger"),
            json!({"kind": "recovery", "counterparty": "tasker",
            "amount": {"minor": 10_000, "currency": "USD"}, "note": "the Tasker's share"}),
        )
        .await
        .unwrap(),
        200,
    )
    .await;
    let detail = ok_json(
        app.get(&format!("/v1/cases/{id}")).send().await.unwrap(),
        200,
    )
    .await;
    let kinds: Vec<&str> = detail["ledger"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["reserve", "payout", "recovery"]);
    assert_eq!(detail["totals"]["reserve"]["minor"], 0);
    assert_eq!(detail["totals"]["net_loss"]["minor"], 35_000);
    let recovery = detail["ledger"][2]["id"].as_i64().unwrap();
    refused(
        post(
            format!("/v1/cases/{id}/ledger"),
            json!({"kind": "reversal", "counterparty": "tasker",
            "amount": {"minor": 5_000, "currency": "USD"}, "reverses": recovery}),
        )
        .await
        .unwrap(),
        422,
    )
    .await;

    // The approval notice, from the template in the market's language; it reaches the
    // marketplace by webhook and counts as a touch.
    let sent = ok_json(
        post(
            format!("/v1/cases/{id}/messages"),
            json!({"party": "client", "template": "TPL-CLAIM-DECISION-EN §1",
            "values": {"task_date": "1 October 2026", "amount": "450.00 USD"}}),
        )
        .await
        .unwrap(),
        200,
    )
    .await;
    assert_eq!(sent["touches"], 1);
    let missing = refused(
        post(
            format!("/v1/cases/{id}/messages"),
            json!({"party": "client", "template": "TPL-CLAIM-DECISION-EN §4"}),
        )
        .await
        .unwrap(),
        422,
    )
    .await;
    assert!(
        missing.contains("needs requested and the case does not give it"),
        "{missing}"
    );
    let mut bodies = Vec::new();
    for _ in 0..200 {
        bodies = received.lock().unwrap().clone();
        if !bodies.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let delivered: Value = serde_json::from_str(&bodies[0]).unwrap();
    assert_eq!(delivered["type"], "case_message");
    assert_eq!(delivered["case_id"], id);
    assert_eq!(delivered["recipient"], "c_t_1");
    assert!(
        delivered["body"]
            .as_str()
            .unwrap()
            .starts_with("Hello c_t_1, we have reviewed your claim"),
        "{delivered}"
    );

    // Evidence: checked by content, at most 10 MiB, served back as a download.
    let upload = |name: &str, content_type: &str, bytes: Vec<u8>| {
        app.client
            .post(app.url(&format!("/v1/cases/{id}/evidence?filename={name}")))
            .bearer_auth(&agent)
            .header("content-type", content_type)
            .body(bytes)
            .send()
    };
    let photo = [&[0xFF, 0xD8, 0xFF, 0xE0][..], b"a table, broken"].concat();
    ok_json(
        upload("table.jpg", "image/jpeg", photo.clone())
            .await
            .unwrap(),
        200,
    )
    .await;
    let disguised = refused(
        upload("table.jpg", "image/jpeg", b"<script>x</script>".to_vec())
            .await
            .unwrap(),
        422,
    )
    .await;
    assert!(
        disguised.contains("its content is not a JPEG photo"),
        "{disguised}"
    );
    let html = refused(
        upload("page.html", "text/html", b"<p>hi</p>".to_vec())
            .await
            .unwrap(),
        422,
    )
    .await;
    assert!(html.contains("\"text/html\" files are not taken"), "{html}");
    refused(
        upload("huge.txt", "text/plain", vec![b'a'; 10 * 1024 * 1024 + 1])
            .await
            .unwrap(),
        413,
    )
    .await;
    let detail = ok_json(
        app.get(&format!("/v1/cases/{id}")).send().await.unwrap(),
        200,
    )
    .await;
    assert_eq!(
        detail["evidence"].as_array().unwrap().len(),
        1,
        "only the photo is kept"
    );
    let file = app
        .get(&format!(
            "/v1/cases/{id}/evidence/{}",
            detail["evidence"][0]["id"]
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(file.headers()["x-content-type-options"], "nosniff");
    assert!(
        file.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(file.bytes().await.unwrap().to_vec(), photo);

    // Closed, then reopened: the audit trail keeps each change with who, before and after.
    ok_json(
        post(format!("/v1/cases/{id}/steps"), json!({"step": "close"}))
            .await
            .unwrap(),
        200,
    )
    .await;
    let reopened = ok_json(
        post(
            format!("/v1/cases/{id}/steps"),
            json!({"step": "reopen", "note": "new photos"}),
        )
        .await
        .unwrap(),
        200,
    )
    .await;
    assert_eq!(reopened["state"], "investigating");
    assert_eq!(reopened["reopened"], 1);
    let detail = ok_json(
        app.get(&format!("/v1/cases/{id}")).send().await.unwrap(),
        200,
    )
    .await;
    let changes: Vec<(String, String, String)> = detail["audit"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"] == "state")
        .map(|a| {
            (
                a["before"].as_str().unwrap().into(),
                a["after"].as_str().unwrap().into(),
                a["actor_kind"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        vec![
            ("new".into(), "investigating".into(), "person".into()),
            ("investigating".into(), "decided".into(), "person".into()),
            ("decided".into(), "closed".into(), "person".into()),
            ("closed".into(), "investigating".into(), "person".into()),
        ]
    );
    assert!(
        detail["audit"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["action"] == "note" && a["note"] == "new photos")
    );
    // Money and decisions are in the trail too, with who did them.
    let trail = detail["audit"].as_array().unwrap();
    assert!(
        trail.iter().any(|a| a["action"] == "ledger"
            && a["after"] == "payout 450.00 USD, client"
            && a["actor_kind"] == "person"),
        "{trail:?}"
    );
    assert!(
        trail.iter().any(|a| a["action"] == "decision"
            && a["after"] == "approved, 450.00 USD (POL-GUARANTEE §1)"),
        "{trail:?}"
    );
    let automatic = small["audit"].as_array().unwrap();
    assert!(
        automatic.iter().any(|a| a["action"] == "state"
            && a["after"] == "decided"
            && a["actor_kind"] == "automation"),
        "{automatic:?}"
    );
    assert!(
        automatic
            .iter()
            .any(|a| a["action"] == "ledger" && a["actor"] == "small property damage"),
        "{automatic:?}"
    );

    // Two specialists deny the late claim at once: one decision stands, the other is told.
    let late_id = late["case"]["id"].as_str().unwrap().to_owned();
    let version = late["case"]["version"].as_i64().unwrap();
    let deny = json!({"outcome": "denied", "clauses": ["POL-GUARANTEE §3.1"], "text": "Filed 24 days after.", "version": version});
    let (a, b) = tokio::join!(
        post(format!("/v1/cases/{late_id}/decision"), deny.clone()),
        post(format!("/v1/cases/{late_id}/decision"), deny)
    );
    let mut statuses = [a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);
    let late = ok_json(
        app.get(&format!("/v1/cases/{late_id}"))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert_eq!(late["decisions"].as_array().unwrap().len(), 1);

    // By hand: a safety incident goes to its queue; the same again links; bad input is named.
    let incident = json!({"type": "safety_incident", "market": "FR", "priority": "urgent", "task_id": "t_9",
        "claimant_id": "c_9", "summary": "Threatened by the Tasker at the door."});
    let opened = ok_json(
        post("/v1/cases".into(), incident.clone()).await.unwrap(),
        201,
    )
    .await;
    assert_eq!(opened["result"], "opened");
    assert_eq!(opened["case"]["queue"], "safety");
    assert_eq!(opened["case"]["currency"], "EUR");
    let linked = ok_json(post("/v1/cases".into(), incident).await.unwrap(), 200).await;
    assert_eq!(
        (linked["result"].as_str(), &linked["case"]["id"]),
        (Some("linked"), &opened["case"]["id"])
    );
    let wrong = json!({"type": "theft_claim", "market": "FR", "summary": "x", "amount": {"minor": 100, "currency": "USD"}});
    assert!(
        refused(post("/v1/cases".into(), wrong).await.unwrap(), 422)
            .await
            .contains("is not FR's currency (EUR)")
    );
    let unknown = json!({"type": "burglary", "market": "FR", "summary": "x"});
    assert!(
        refused(post("/v1/cases".into(), unknown).await.unwrap(), 400)
            .await
            .starts_with("type: \"burglary\" is not one of")
    );
    let nowhere = json!({"type": "other", "market": "JP", "summary": "x"});
    assert!(
        refused(post("/v1/cases".into(), nowhere).await.unwrap(), 422)
            .await
            .contains("JP has no Guarantee terms")
    );

    // Bulk: each case changed on its own, each answer says why not.
    let bulk = ok_json(
        post(
            "/v1/cases/bulk".into(),
            json!({"cases": [id, "case_999", "nonsense"], "action": "priority", "value": "high"}),
        )
        .await
        .unwrap(),
        200,
    )
    .await;
    assert_eq!(bulk[0]["ok"], true, "{bulk}");
    assert_eq!(bulk[1]["error"], "there is no case case_999");
    assert!(bulk[2]["error"].as_str().unwrap().contains("not a case id"));
    refused(
        post(
            "/v1/cases/bulk".into(),
            json!({"cases": [id], "action": "step", "value": "decide"}),
        )
        .await
        .unwrap(),
        422,
    )
    .await;
    let raised = ok_json(
        app.get(&format!("/v1/cases/{id}")).send().await.unwrap(),
        200,
    )
    .await;
    assert_eq!(raised["case"]["priority"], "high");

    // The ledger's totals by market, currency and month, from the entries alone.
    let totals = ok_json(
        app.get("/v1/ledger/totals?from=2020-01-01T00:00:00Z&to=2100-01-01T00:00:00Z")
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let us = &totals.as_array().unwrap()[0];
    assert_eq!(
        (us["market"].as_str(), us["currency"].as_str()),
        (Some("US"), Some("USD"))
    );
    assert_eq!(us["payouts"], 45_000 + 12_000);
    assert_eq!(us["recoveries"], 10_000);
    assert_eq!(us["net_loss"], 47_000);
    refused(
        app.get("/v1/ledger/totals?from=2026-12-01T00:00:00Z&to=2026-01-01T00:00:00Z")
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;

    // Queues count what is open and overdue; filters are checked.
    let queues = ok_json(app.get("/v1/queues").send().await.unwrap(), 200).await;
    assert!(
        queues
            .as_array()
            .unwrap()
            .iter()
            .any(|q| q["id"] == "claims" && q["open"] == 1),
        "{queues}"
    );
    let safety = queues
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == "safety")
        .unwrap();
    assert_eq!(safety["open"], 1, "{queues}");
    assert_eq!(cases(app, "state=closed").await.len(), 1);
    refused(app.get("/v1/cases?state=shut").send().await.unwrap(), 400).await;
    refused(app.get("/v1/cases/case_999").send().await.unwrap(), 404).await;
}

/// A webhook receiver on a random port that records what it gets.
/// A claim opened by hand is judged on what the log says of its parties and Task, as one
/// intake opens: a Tasker's off-platform dealing on the Task excludes it. The rules never saw
/// it, so whether they would have flagged it is unknown, and no automatic rule pays it.
async fn a_claim_opened_by_hand_is_judged_on_the_facts_intake_reads(app: &TestApp) {
    let list = app
        .client
        .put(app.url("/v1/lists/disposable_domains"))
        .bearer_auth(&app.admin_token)
        .json(&json!({"entries": ["mailinator.com"], "note": "test"}))
        .send()
        .await
        .unwrap();
    ok_json(list, 200).await;
    ok_json(
        app.post_json(
            "/v1/rulesets",
            &json!({"source": arbiter_rules::STARTER_PACK, "note": "starter"}),
        )
        .send()
        .await
        .unwrap(),
        201,
    )
    .await;
    let mut events: Vec<Value> = claim_history("t_7", "unused", 1, 2)[..2].to_vec();
    events.extend_from_slice(&claim_history("t_8", "unused", 1, 2)[..2]);
    events.push(json!({"id": "m_7", "type": "message.sent", "occurred_at": day(1, 12), "market": "US",
        "actor": {"id": "k_t_7", "role": "tasker"}, "subject": {"id": "c_t_7", "role": "client"},
        "task_id": "t_7", "data": {"text": "Pay me on Venmo and we skip the fee", "thread_id": "th_7"}}));
    let body: String = events.iter().map(|e| format!("{e}\n")).collect();
    ok_json(app.post_ndjson(body).send().await.unwrap(), 200).await;
    for _ in 0..400 {
        if app
            .store
            .decider_progress()
            .await
            .unwrap()
            .is_some_and(|(seq, _)| seq >= 5)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let by_hand = |task: &str| {
        json!({"type": "property_damage_claim", "market": "US", "task_id": task,
            "claimant_id": format!("c_{task}"), "client_id": format!("c_{task}"),
            "tasker_id": format!("k_{task}"), "amount": {"minor": 10_000, "currency": "USD"},
            "summary": "A scratched floor."})
    };
    let opened = ok_json(
        app.post_json("/v1/cases", &by_hand("t_7"))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    let dealt = ok_json(
        app.get(&format!(
            "/v1/cases/{}",
            opened["case"]["id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap(),
        200,
    )
    .await;
    assert_eq!(dealt["eligibility"]["outcome"], "not_eligible", "{dealt}");
    assert_eq!(dealt["eligibility"]["reasons"][0]["code"], "off_platform");
    assert_eq!(dealt["totals"]["reserve"]["minor"], 0);
    assert_eq!(dealt["audit"][0]["note"], "opened by hand");

    // Small, clean and eligible, a claim intake would pay by itself: by hand, a person decides.
    let clean = ok_json(
        app.post_json("/v1/cases", &by_hand("t_8"))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    assert_eq!(clean["case"]["state"], "new", "{clean}");
    assert_eq!(clean["case"]["automated"], false);
    assert!(clean["case"]["first_response_at"].is_string());
    let clean = ok_json(
        app.get(&format!(
            "/v1/cases/{}",
            clean["case"]["id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap(),
        200,
    )
    .await;
    assert_eq!(clean["eligibility"]["outcome"], "eligible", "{clean}");
    assert_eq!(clean["totals"]["reserve"]["minor"], 10_000);
}

async fn receiver() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::sync::{Arc, Mutex};
    let received: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push(body);
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}/hook"), received)
}

/// One log whose claims each meet a trap of timing or of the other party, in event order.
fn batching_log() -> Vec<Value> {
    let party = |id: &str, role: &str| json!({"id": id, "role": role});
    let at = |d: u32, hour: u32| day(d, hour);
    let task = |task: &str, client: &str, tasker: &str, d: u32| {
        vec![
            json!({"id": format!("b_{task}"), "type": "task.booked", "occurred_at": at(d, 8), "market": "US",
                   "actor": party(client, "client"), "subject": party(tasker, "tasker"), "task_id": task,
                   "amount": {"minor": 20000, "currency": "USD"}, "data": {"category": "moving"}}),
            json!({"id": format!("d_{task}"), "type": "task.completed", "occurred_at": at(d, 12), "market": "US",
                   "actor": party(tasker, "tasker"), "subject": party(client, "client"), "task_id": task,
                   "amount": {"minor": 20000, "currency": "USD"}, "data": {"category": "moving"}}),
        ]
    };
    let claim = |id: &str,
                 task: &str,
                 client: &str,
                 tasker: &str,
                 minor: i64,
                 d: u32,
                 incident: u32| {
        json!({"id": id, "type": "claim.filed", "occurred_at": at(d, 14), "market": "US",
               "actor": party(client, "client"), "subject": party(tasker, "tasker"), "task_id": task,
               "amount": {"minor": minor, "currency": "USD"},
               "data": {"kind": "property_damage", "incident_at": at(incident, 11), "description": "A broken table."}})
    };
    let solicit = |id: &str, task: &str, tasker: &str, client: &str, d: u32| {
        json!({"id": id, "type": "message.sent", "occurred_at": at(d, 9), "market": "US",
               "actor": party(tasker, "tasker"), "subject": party(client, "client"), "task_id": task,
               "data": {"text": "Pay me on Venmo and we skip the fee", "thread_id": format!("th_{task}")}})
    };
    let mut log = Vec::new();
    // The Tasker of t_a asked another Client for off-platform payment on another Task (t_b):
    // a fraud signal on t_a's claim, not an exclusion.
    log.extend(task("t_b", "c_b", "k_x", 1));
    log.push(solicit("m_b", "t_b", "k_x", "c_b", 1));
    log.extend(task("t_a", "c_a", "k_x", 2));
    log.push(claim("cl_a", "t_a", "c_a", "k_x", 12_000, 3, 2));
    // A small claim, then an off-platform request on its Task after it in the log: the claim
    // saw none, whenever intake reaches it, and decides itself.
    log.extend(task("t_c", "c_c", "k_y", 2));
    log.push(claim("cl_c", "t_c", "c_c", "k_y", 12_000, 3, 2));
    log.push(solicit("m_c", "t_c", "k_y", "c_c", 4));
    // Off the platform on this very Task before the claim: excluded (POL-GUARANTEE §5.1).
    log.extend(task("t_e", "c_e", "k_z", 2));
    log.push(solicit("m_e", "t_e", "k_z", "c_e", 2));
    log.push(claim("cl_e", "t_e", "c_e", "k_z", 30_000, 4, 2));
    // Late and over the limit: both reasons.
    log.extend(task("t_d", "c_d", "k_w", 1));
    log.push(claim("cl_d", "t_d", "c_d", "k_w", 1_500_000, 25, 1));
    log
}

/// Every case as the specialist sees it, by its opening event: what intake decided and why.
async fn case_outcomes(app: &TestApp, expected: usize) -> Vec<Value> {
    let mut listed = Vec::new();
    for _ in 0..400 {
        listed = cases(app, "limit=100").await;
        if listed.len() >= expected
            && app
                .store
                .decider_progress()
                .await
                .unwrap()
                .map_or(0, |p| p.0)
                >= app.store.last_event_seq().await.unwrap()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(listed.len(), expected, "{listed:?}");
    let mut outcomes = Vec::new();
    for case in listed {
        let id = case["id"].as_str().unwrap();
        let detail = ok_json(
            app.get(&format!("/v1/cases/{id}")).send().await.unwrap(),
            200,
        )
        .await;
        let c = &detail["case"];
        outcomes.push(json!({
            "source_ref": c["source_ref"], "type": c["type"], "state": c["state"],
            "queue": c["queue"], "priority": c["priority"], "risk_score": c["risk_score"],
            "automated": c["automated"], "eligibility": detail["eligibility"],
            "signals": detail["signals"],
            "decisions": detail["decisions"].as_array().unwrap().iter()
                .map(|d| json!([d["outcome"], d["amount"]])).collect::<Vec<_>>(),
        }));
    }
    outcomes.sort_by_key(|o| o["source_ref"].to_string());
    outcomes
}

/// Feeds the log to a fresh server: `None` sends each event alone and waits for each claim's
/// case before the next event (intake never behind); `Some(n)` sends batches of `n` at once.
async fn fed(backend: Backend, batch: Option<usize>) -> Vec<Value> {
    let Some(app) = TestApp::start(backend).await else {
        panic!("ARBITER_TEST_DATABASE_URL is not set: the PostgreSQL tests need a server");
    };
    let list = app
        .client
        .put(app.url("/v1/lists/disposable_domains"))
        .bearer_auth(&app.admin_token)
        .json(&json!({"entries": ["mailinator.com"], "note": "test"}))
        .send()
        .await
        .unwrap();
    ok_json(list, 200).await;
    ok_json(
        app.post_json(
            "/v1/rulesets",
            &json!({"source": arbiter_rules::STARTER_PACK, "note": "starter"}),
        )
        .send()
        .await
        .unwrap(),
        201,
    )
    .await;
    let log = batching_log();
    let claims = log.iter().filter(|e| e["type"] == "claim.filed").count();
    match batch {
        Some(size) => {
            for chunk in log.chunks(size) {
                let body: String = chunk.iter().map(|e| format!("{e}\n")).collect();
                ok_json(app.post_ndjson(body).send().await.unwrap(), 200).await;
            }
        }
        None => {
            let mut opened = 0;
            for event in &log {
                ok_json(
                    app.post_ndjson(format!("{event}\n")).send().await.unwrap(),
                    200,
                )
                .await;
                if event["type"] == "claim.filed" {
                    opened += 1;
                    case_outcomes(&app, opened).await;
                }
            }
        }
    }
    let outcomes = case_outcomes(&app, claims).await;
    app.stop().await;
    outcomes
}

async fn eligibility_does_not_depend_on_batching(backend: Backend) {
    let one_at_a_time = fed(backend, None).await;
    let one_batch = fed(backend, Some(usize::MAX)).await;
    let small_batches = fed(backend, Some(3)).await;
    assert_eq!(
        one_batch, one_at_a_time,
        "one batch against one event at a time"
    );
    assert_eq!(
        small_batches, one_at_a_time,
        "batches of 3 against one event at a time"
    );

    let by_claim = |id: &str| {
        one_at_a_time
            .iter()
            .find(|o| o["source_ref"] == id)
            .unwrap_or_else(|| panic!("no case for {id}"))
            .clone()
    };
    let codes = |o: &Value| -> Vec<(String, String)> {
        o["eligibility"]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["code"].as_str().unwrap().to_owned(),
                    r["clause"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    // The other party's off-platform request elsewhere: eligible, shown as a fraud signal, and
    // kept from automatic resolution.
    let a = by_claim("cl_a");
    assert_eq!(a["eligibility"]["outcome"], "eligible", "{a}");
    assert_eq!(a["signals"][0]["event_id"], "m_b", "{a}");
    assert_eq!(a["signals"][0]["user"], "k_x", "{a}");
    assert_eq!(a["signals"][0]["rules"], json!(["OFFPLATFORM-PAYMENT"]));
    assert_eq!(
        (&a["automated"], &a["state"]),
        (&json!(false), &json!("new")),
        "{a}"
    );
    // A request after the claim does not reach back: eligible, and it decided itself.
    let c = by_claim("cl_c");
    assert_eq!(c["eligibility"]["outcome"], "eligible", "{c}");
    assert_eq!(c["automated"], true, "{c}");
    assert_eq!(c["signals"], json!([]), "{c}");
    // Off the platform on the claim's own Task: excluded by the clause that says so.
    let e = by_claim("cl_e");
    assert_eq!(e["eligibility"]["outcome"], "not_eligible", "{e}");
    assert_eq!(
        codes(&e),
        [("off_platform".to_owned(), "POL-GUARANTEE §5.1".to_owned())]
    );
    // Late and over the limit: every reason, each with its clause.
    let d = by_claim("cl_d");
    assert_eq!(d["eligibility"]["outcome"], "not_eligible", "{d}");
    assert_eq!(
        codes(&d),
        [
            ("filed_late".to_owned(), "POL-GUARANTEE §3.1".to_owned()),
            ("over_limit".to_owned(), "POL-GUARANTEE §4.1".to_owned()),
        ]
    );
}

/// A specialist works a claim from intake to payout in the browser: pulls it from the queue
/// with the keyboard, reads eligibility and playbook, decides (a mistyped amount comes back
/// with the text kept), pays, sends the notice and closes.
#[tokio::test]
async fn a_claim_is_worked_from_intake_to_payout_in_the_console() {
    let Some((driver, browser)) = browser_or_skip() else {
        return;
    };
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    let files: Vec<(String, String)> = arbiter_policy::STARTER_LIBRARY
        .iter()
        .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
        .collect();
    let library: Vec<_> = arbiter_policy::check_library(&files, &[])
        .unwrap()
        .iter()
        .map(|d| {
            arbiter_app::policies::new_version(d, "policy-team", Some("policy-lead"), "starter")
        })
        .collect();
    app.store.save_policy_versions(&library, 1).await.unwrap();
    let claim = [
        r#"{"id":"b_1","type":"task.booked","occurred_at":"2026-10-01T09:00:00Z","market":"US","actor":{"id":"c_1","role":"client"},"subject":{"id":"k_1","role":"tasker"},"task_id":"t_1","amount":{"minor":20000,"currency":"USD"},"data":{"category":"moving"}}"#,
        r#"{"id":"cl_1","type":"claim.filed","occurred_at":"2026-10-03T10:00:00Z","market":"US","actor":{"id":"c_1","role":"client"},"subject":{"id":"k_1","role":"tasker"},"task_id":"t_1","amount":{"minor":45000,"currency":"USD"},"data":{"kind":"property_damage","incident_at":"2026-10-01T14:00:00Z","description":"The Tasker broke a glass table while moving it."}}"#,
    ];
    let response = app.post_ndjson(claim.join("\n")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    for _ in 0..200 {
        if app.store.case(1).await.unwrap().is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(
        app.store.case(1).await.unwrap().is_some(),
        "intake opened no case"
    );
    let password = "specialist secret";
    app.store
        .create_staff_user(
            &StaffUser {
                username: "sam".into(),
                password_hash: arbiter_app::access::hash_password(password).unwrap(),
                role: Role::Agent,
            },
            1,
        )
        .await
        .unwrap();
    let chrome = Browser::launch(&driver, &browser).await;
    let shot = |name: &str| std::env::temp_dir().join(format!("arbiter-console-{name}.png"));
    chrome.go(&app.url("/console/resolve")).await;
    chrome.type_into("#username", "sam").await;
    chrome.type_into("#password", password).await;
    chrome.click("form.card button[type=submit]").await;
    chrome.wait_for_text("main h1", "Resolve").await;
    chrome.wait_for_text("#cases tbody th", "case_1").await;
    assert!(
        chrome
            .text("#cases tbody tr")
            .await
            .contains("first response")
    );
    chrome.screenshot(&shot("queue")).await;

    // `n` pulls the next case and opens it, assigned.
    chrome.press_key("n").await;
    chrome
        .wait_for_text("main h1", "case_1: Property damage claim")
        .await;
    assert_eq!(chrome.text("#case-assignee").await, "sam");
    assert_eq!(chrome.text("#eligibility-outcome").await, "eligible");
    assert!(chrome.text("ul.reasons").await.contains("POL-GUARANTEE §1"));

    // Playbook steps done, then investigating.
    chrome.click("input[name='step.intake']").await;
    chrome.click("input[name='step.eligibility']").await;
    chrome
        .click("form[aria-label='Playbook steps'] button")
        .await;
    // The page comes back with the change in its timeline (the old page's state reads the same).
    chrome
        .wait_for_text_containing("table[aria-labelledby=timeline] tbody", "steps done")
        .await;
    let checked = chrome.checked("input[name='step.intake']").await;
    assert!(checked, "the intake step stays done");
    chrome
        .click("form[aria-label='Start investigating'] button")
        .await;
    chrome.wait_for_text("#case-state", "investigating").await;

    // A mistyped amount is refused with the reason; what was typed stays.
    chrome.click("#outcome option[value=approved]").await;
    chrome.type_into("#amount", "four hundred").await;
    chrome.type_into("#clauses", "POL-GUARANTEE §1").await;
    chrome
        .type_into("#decision-text", "Photos and the invoice match the claim.")
        .await;
    chrome.click("form[aria-label=Decision] button").await;
    chrome
        .wait_for_text_containing("[role=alert]", "is not an amount")
        .await;
    assert_eq!(
        chrome.value("#decision-text").await,
        "Photos and the invoice match the claim."
    );
    chrome.clear("#amount").await;
    chrome.type_into("#amount", "450.00").await;
    chrome.click("form[aria-label=Decision] button").await;
    chrome.wait_for_text("#case-state", "decided").await;
    let ledger = chrome.find_all_texts("#ledger-entries tbody tr").await;
    assert!(
        ledger
            .iter()
            .any(|row| row.contains("Payout") && row.contains("450.00 USD")),
        "{ledger:?}"
    );

    // A photo of the damage, uploaded from the page.
    let photo = std::env::temp_dir().join(format!("arbiter-table-{}.png", std::process::id()));
    std::fs::write(&photo, b"\x89PNG\r\n\x1a\nnot really a picture").unwrap();
    chrome.type_into("#file", photo.to_str().unwrap()).await;
    chrome.click("form[aria-label=Evidence] button").await;
    chrome
        .wait_for_text_containing("#evidence-files tbody", "arbiter-table-")
        .await;
    assert!(
        chrome
            .text("#evidence-files tbody")
            .await
            .contains("image/png")
    );
    let _ = std::fs::remove_file(&photo);

    // The approval notice, then close.
    chrome
        .click("#template option[value='TPL-CLAIM-DECISION-EN §1']")
        .await;
    chrome.click("form[aria-label=Message] button").await;
    chrome
        .wait_for_text_containing(
            "ol.messages blockquote",
            "It is approved: we are paying 450.00 USD",
        )
        .await;
    chrome.click("form[aria-label=Close] button").await;
    chrome.wait_for_text("#case-state", "closed").await;
    chrome.screenshot(&shot("case")).await;
    chrome.close().await;

    let case = app.store.case(1).await.unwrap().unwrap();
    assert_eq!((case.state.as_str(), case.touches), ("closed", 1));
    let paid: i64 = app
        .store
        .ledger(1)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.entry.kind == "payout")
        .map(|e| e.entry.amount_minor)
        .sum();
    assert_eq!(paid, 45_000);
    app.stop().await;
}

/// Cases open by hand from the Resolve page, and the form says what is missing.
#[tokio::test]
async fn a_case_is_opened_by_hand_in_the_console() {
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    let session = app.console_session().await;
    let open = |body: &'static str| {
        app.client
            .post(app.url("/console/resolve/open"))
            .header("cookie", &session)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let opened = open("case_type=safety_incident&market=FR&priority=urgent&claimant=c_1&client=c_1&tasker=k_1&task=t_1&amount=&summary=Threatened+at+the+door").await.unwrap();
    assert_eq!(opened.status(), 303);
    assert_eq!(opened.headers()["location"], "/console/resolve/cases/1");
    let page = app
        .client
        .get(app.url("/console/resolve/cases/1"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("case_1: Safety incident"), "{page}");
    assert!(page.contains("Threatened at the door"));
    let refused = open("case_type=theft_claim&market=FR&amount=12.345&summary=x")
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let page = refused.text().await.unwrap();
    assert!(page.contains("Not opened: amount:"), "{page}");
    assert!(page.contains("more decimals than EUR has"), "{page}");
    let queue = app
        .client
        .get(app.url("/console/resolve?queue=safety"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        queue.contains(r#"<a href="/console/resolve/cases/1">case_1</a>"#),
        "{queue}"
    );
    // Assigned to a colleague by name; the change is in the timeline.
    let assigned = app
        .client
        .post(app.url("/console/resolve/cases/1/update"))
        .header("cookie", &session)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("version=1&priority=urgent&queue=safety&assignee=dev.patel")
        .send()
        .await
        .unwrap();
    assert_eq!(assigned.status(), 303);
    let page = app
        .client
        .get(app.url("/console/resolve/cases/1"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"<dd id="case-assignee">dev.patel</dd>"#),
        "{page}"
    );
    assert!(
        page.contains("<td>assignee</td><td> → dev.patel</td>") || page.contains("dev.patel</td>"),
        "{page}"
    );
    app.stop().await;
}

/// The queue's shortcuts act only when the focus is on no control, Enter does what the focused
/// element says, the shortcuts can be turned off (remembered by the browser), and the focus
/// ring is the stylesheet's high-contrast one.
#[tokio::test]
async fn the_queue_shortcuts_never_take_a_focused_control_and_can_be_turned_off() {
    let Some((driver, browser)) = browser_or_skip() else {
        return;
    };
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    let session = app.console_session().await;
    for (task, summary) in [("t_1", "Broken+vase"), ("t_2", "Scratched+floor")] {
        let opened = app
            .client
            .post(app.url("/console/resolve/open"))
            .header("cookie", &session)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "case_type=property_damage_claim&market=FR&priority=normal&claimant=c_1&client=c_1&tasker=k_1&task={task}&amount=&summary={summary}"
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(opened.status(), 303);
    }
    let password = "specialist secret";
    app.store
        .create_staff_user(
            &StaffUser {
                username: "sam".into(),
                password_hash: arbiter_app::access::hash_password(password).unwrap(),
                role: Role::Agent,
            },
            1,
        )
        .await
        .unwrap();
    let chrome = Browser::launch(&driver, &browser).await;
    let queue = app.url("/console/resolve");
    chrome.go(&queue).await;
    chrome.type_into("#username", "sam").await;
    chrome.type_into("#password", password).await;
    chrome.click("form.card button[type=submit]").await;
    chrome.wait_for_text("main h1", "Resolve").await;
    assert_eq!(chrome.find_all_texts("#cases tbody tr").await.len(), 2);
    let href = |n: usize| {
        let chrome = &chrome;
        async move {
            chrome
                .execute(
                    "return document.querySelectorAll('#cases tbody tr')[arguments[0]].dataset.href;",
                    serde_json::json!([n]),
                )
                .await
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let second = href(1).await;
    let marked = || async {
        chrome
            .execute(
                "return document.querySelectorAll('#cases tbody tr[aria-selected=true]').length;",
                serde_json::json!([]),
            )
            .await
    };
    const ENTER: &str = "\u{E007}";

    // The toggle is shown, on.
    assert!(chrome.checked("#shortcuts-toggle").await);
    assert_eq!(chrome.text("#shortcuts-state").await, "on");

    // `n` on a focused link is the link's, not a shortcut: nothing is pulled.
    chrome.focus(Some("nav a[href='/console']")).await;
    chrome.press_key("n").await;
    chrome.press_key("j").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(chrome.url().await, queue);
    assert_eq!(marked().await, 0);
    assert!(app.store.case(1).await.unwrap().unwrap().assignee.is_none());
    assert!(app.store.case(2).await.unwrap().unwrap().assignee.is_none());
    // The focus ring is the stylesheet's (at least 3:1 on every background).
    assert_eq!(
        chrome
            .css_value("nav a[href='/console']", "outline-color")
            .await,
        "rgba(209, 73, 0, 1)"
    );

    // `j` marks the first case; Enter on another case's link opens that case, not the marked one.
    chrome.focus(None).await;
    chrome.press_key("j").await;
    assert_eq!(marked().await, 1);
    chrome
        .focus(Some(&format!("#cases tbody a[href='{second}']")))
        .await;
    chrome.press_key(ENTER).await;
    chrome.wait_for_url(&second).await;

    // Enter on a button presses the button: the marked case is not opened.
    chrome.go(&queue).await;
    chrome.focus(None).await;
    chrome.press_key("j").await;
    chrome.focus(Some("#shortcuts-toggle")).await;
    chrome.press_key(ENTER).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(chrome.url().await, queue);

    // Enter on the marked case opens it.
    chrome.focus(None).await;
    chrome.press_key("j").await;
    let focused = chrome
        .execute(
            "return document.activeElement.getAttribute('aria-selected') + ' ' + document.activeElement.dataset.href;",
            serde_json::json!([]),
        )
        .await;
    // (the same page: `j` moved on from the case marked before the button)
    let marked_case = href(1).await;
    assert_eq!(focused, format!("true {marked_case}"));
    chrome.press_key(ENTER).await;
    chrome.wait_for_url(&marked_case).await;

    // Turned off, the keys do nothing, and the choice is kept across pages.
    chrome.go(&queue).await;
    chrome.click("#shortcuts-toggle").await;
    assert_eq!(chrome.text("#shortcuts-state").await, "off");
    chrome.focus(None).await;
    chrome.press_key("j").await;
    chrome.press_key("n").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(marked().await, 0);
    assert_eq!(chrome.url().await, queue);
    chrome.go(&queue).await;
    assert!(!chrome.checked("#shortcuts-toggle").await);
    assert_eq!(chrome.text("#shortcuts-state").await, "off");
    chrome.focus(None).await;
    chrome.press_key("j").await;
    assert_eq!(marked().await, 0);
    assert!(app.store.case(1).await.unwrap().unwrap().assignee.is_none());

    // On again: `n` with the focus on no control pulls a case.
    chrome.click("#shortcuts-toggle").await;
    chrome.focus(None).await;
    chrome.press_key("n").await;
    chrome.wait_for_url("/console/resolve/cases/").await;

    // An error is a page in the layout, with a way back that works from the keyboard.
    chrome.go(&app.url("/console/resolve/cases/99999")).await;
    chrome.wait_for_text("main h1", "Not found").await;
    assert_eq!(
        chrome.text("#error-detail").await,
        "There is no case case_99999."
    );
    chrome
        .screenshot(&std::env::temp_dir().join("arbiter-console-error.png"))
        .await;
    chrome.focus(Some("ul.way-back a")).await;
    chrome.press_key(ENTER).await;
    chrome.wait_for_text("main h1", "Resolve").await;
    chrome.close().await;
    app.stop().await;
}

/// A decided or closed case says whether it met its SLA, never counts down; the state filter
/// says what it shows, and "decided" includes the cases closed since.
#[tokio::test]
async fn a_closed_case_shows_its_sla_outcome_and_the_filters_say_what_they_show() {
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    let files: Vec<(String, String)> = arbiter_policy::STARTER_LIBRARY
        .iter()
        .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
        .collect();
    let library: Vec<_> = arbiter_policy::check_library(&files, &[])
        .unwrap()
        .iter()
        .map(|d| {
            arbiter_app::policies::new_version(d, "policy-team", Some("policy-lead"), "starter")
        })
        .collect();
    app.store.save_policy_versions(&library, 1).await.unwrap();
    // A claim filed months ago: its deadlines passed long before anyone decided it.
    let claim = [
        r#"{"id":"b_1","type":"task.booked","occurred_at":"2026-03-01T09:00:00Z","market":"US","actor":{"id":"c_1","role":"client"},"subject":{"id":"k_1","role":"tasker"},"task_id":"t_1","amount":{"minor":20000,"currency":"USD"},"data":{"category":"moving"}}"#,
        r#"{"id":"cl_1","type":"claim.filed","occurred_at":"2026-03-03T10:00:00Z","market":"US","actor":{"id":"c_1","role":"client"},"subject":{"id":"k_1","role":"tasker"},"task_id":"t_1","amount":{"minor":45000,"currency":"USD"},"data":{"kind":"property_damage","incident_at":"2026-03-01T14:00:00Z","description":"A glass table broke."}}"#,
    ];
    assert_eq!(
        app.post_ndjson(claim.join("\n"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    for _ in 0..200 {
        if app.store.case(1).await.unwrap().is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let session = app.console_session().await;
    let page = |path: String| {
        let (app, session) = (&app, &session);
        async move {
            app.client
                .get(app.url(&path))
                .header("cookie", session)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let post = |path: &'static str, body: String| {
        let (app, session) = (&app, &session);
        async move {
            let response = app
                .client
                .post(app.url(path))
                .header("cookie", session)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
        }
    };
    let open = page("/console/resolve".into()).await;
    assert!(open.contains("overdue by"), "{open}");
    assert!(open.contains("1 case open (still needing work)"), "{open}");

    let version = app.store.case(1).await.unwrap().unwrap().version;
    post(
        "/console/resolve/cases/1/decision",
        format!("outcome=approved&amount=450.00&clauses=POL-GUARANTEE+%C2%A71&text=The+invoice+matches.&version={version}"),
    )
    .await;
    let decided = page("/console/resolve/cases/1".into()).await;
    assert!(decided.contains("(SLA breached by "), "{decided}");
    assert!(!decided.contains("overdue"), "{decided}");
    let to_close = page("/console/resolve?state=to-close".into()).await;
    assert!(
        to_close.contains("1 case decided, not yet closed"),
        "{to_close}"
    );
    assert!(
        to_close.contains("resolution: SLA breached by "),
        "{to_close}"
    );

    let version = app.store.case(1).await.unwrap().unwrap().version;
    post(
        "/console/resolve/cases/1/step",
        format!("step=close&version={version}"),
    )
    .await;
    let closed = page("/console/resolve/cases/1".into()).await;
    assert!(
        closed.contains(r#"<dd id="case-state">closed</dd>"#),
        "{closed}"
    );
    assert!(closed.contains("(SLA breached by "), "{closed}");
    assert!(!closed.contains("overdue"), "{closed}");
    // "Decided" counts the case closed since; "not yet closed" no longer does.
    let decided = page("/console/resolve?state=decided".into()).await;
    assert!(
        decided.contains("1 case decided, closed or not"),
        "{decided}"
    );
    assert!(decided.contains(r#"<a href="/console/resolve/cases/1">case_1</a>"#));
    assert!(
        decided.contains("resolution: SLA breached by "),
        "{decided}"
    );
    assert!(!decided.contains("overdue by"), "{decided}");
    let to_close = page("/console/resolve?state=to-close".into()).await;
    assert!(
        to_close.contains("No case decided, not yet closed here."),
        "{to_close}"
    );
    let closed = page("/console/resolve?state=closed".into()).await;
    assert!(closed.contains("1 case in state closed"), "{closed}");
    app.stop().await;
}
