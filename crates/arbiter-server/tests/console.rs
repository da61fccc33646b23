//! The console in a real headless Chromium: sign in, explore events, read one, sign out.
//!
//! Needs Debian's `chromium` and `chromium-driver`. Where they are missing the test says so and
//! passes, unless `ARBITER_REQUIRE_BROWSER` is set (as `.ci/run` sets it): then it fails.

mod common;

use arbiter_model::Role;
use arbiter_store::{Backend, StaffUser};
use common::webdriver::{Browser, browser_or_skip};
use common::{TestApp, event};

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
    // The bars of the counts by type are drawn without style attributes: the largest fills
    // its cell.
    assert_eq!(
        chrome
            .css_value("table.bars tbody tr:first-child svg.bar rect", "fill")
            .await,
        "rgb(11, 92, 173)"
    );
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
    assert!(chrome.find_all_texts("section figure svg").await.len() == 1);
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

#[tokio::test]
async fn console_pages_need_a_session() {
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    for path in [
        "/console",
        "/console/events",
        "/console/events/x",
        "/console/areas/protect",
        "/console/protect",
        "/console/protect/rules",
        "/console/protect/lists",
        "/console/protect/backtest",
        "/console/protect/decisions",
        "/console/users/u_1",
        "/console/policy",
        "/console/policy/reviews",
        "/console/policy/POL-A",
        "/console/policy/POL-A/diff?from=1&to=2",
    ] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 303, "{path}");
        assert!(
            response.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/console/sign-in?next=")
        );
    }
    // A token signs in too, and a forged cookie does not.
    let response = app
        .client
        .post(app.url("/console/sign-in"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "token={}&next=%2Fconsole%2Fevents",
            app.admin_token
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/console/events");
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let session = cookie.split(';').next().unwrap().to_owned();
    let page = app
        .client
        .get(app.url("/console/events"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let forged = app
        .client
        .get(app.url("/console/events"))
        .header("cookie", "arbiter_session=arb_forged")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 303);
    let missing = app
        .client
        .get(app.url("/console/events/none"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn the_policy_library_is_browsed_searched_compared_and_reviewed() {
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    let store_library = |edit: &dyn Fn(&str) -> String, author: &str| {
        let files: Vec<(String, String)> = arbiter_policy::STARTER_LIBRARY
            .iter()
            .map(|(name, text)| ((*name).to_owned(), edit(text)))
            .collect();
        arbiter_policy::check_library(&files, &[])
            .unwrap()
            .iter()
            .map(|d| arbiter_app::policies::new_version(d, author, Some("lee"), "starter"))
            .collect::<Vec<_>>()
    };
    let v1 = store_library(&|t| t.to_owned(), "ann");
    app.store.save_policy_versions(&v1, 1).await.unwrap();
    // A draft by ann, waiting for review.
    let v2 = store_library(
        &|t| {
            t.replace("within 14 days", "within 30 days")
                .replace("status = \"published\"", "status = \"in_review\"")
        },
        "ann",
    );
    app.store.save_policy_versions(&v2, 2).await.unwrap();
    let session = app.console_session().await;
    let page = |path: &str| {
        let request = app.client.get(app.url(path)).header("cookie", &session);
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let (status, library) = page("/console/policy?q=filing+windw").await;
    assert_eq!(status, 200);
    assert!(
        library.contains(
            r##"<a href="/console/policy/POL-GUARANTEE#s3.1">POL-GUARANTEE §3.1 Fourteen days</a>"##
        ),
        "{library}"
    );
    assert!(library.contains("<mark>"), "{library}");
    let (status, refused) = page(&format!("/console/policy?q={}", "x".repeat(600))).await;
    assert_eq!(status, 400);
    assert!(refused.contains("at most 500 are searched"));
    let (_, document) = page("/console/policy/POL-GUARANTEE").await;
    assert!(
        document.contains(r#"<h3 id="s3.1">3.1 Fourteen days</h3>"#),
        "{document}"
    );
    assert!(document.contains("Publish as reviewer"), "{document}");
    // POL-PAYMENTS §1 names the Guarantee.
    assert!(
        document.contains(r#"<a href="/console/policy/POL-PAYMENTS">POL-PAYMENTS</a>"#),
        "{document}"
    );
    // Regional variants of one document are linked both ways.
    let (_, notice) = page("/console/policy/TPL-CLAIM-DECISION-FR").await;
    assert!(
        notice.contains(
            r#"<a href="/console/policy/TPL-CLAIM-DECISION-EN">TPL-CLAIM-DECISION-EN</a>"#
        ) && notice.contains(r#"<a href="/console/policy/TPL-CLAIM-DECISION-DE">"#),
        "{notice}"
    );
    let (_, diff) = page("/console/policy/POL-GUARANTEE/diff?from=1&to=2").await;
    assert!(diff.contains("<del>14</del><ins>30</ins>"), "{diff}");
    let (_, reviews) = page("/console/policy/reviews").await;
    assert!(reviews.contains("POL-GUARANTEE"), "{reviews}");
    // The admin (not the author) publishes after review.
    let published = app
        .client
        .post(app.url("/console/policy/POL-GUARANTEE/publish"))
        .header("cookie", &session)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("summary=Checked+with+legal")
        .send()
        .await
        .unwrap();
    assert_eq!(published.status(), 303);
    let (_, document) = page("/console/policy/POL-GUARANTEE").await;
    assert!(
        document.contains(r#"<dd id="doc-status">published</dd>"#),
        "{document}"
    );
    assert!(document.contains("Checked with legal"));
    assert!(!document.contains("Publish as reviewer"));
    // Retiring asks why, then takes the document out of force; what cites it stays listed.
    let retire = |summary: &'static str| {
        app.client
            .post(app.url("/console/policy/POL-GUARANTEE/retire"))
            .header("cookie", &session)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("summary={summary}"))
            .send()
    };
    let refused = retire("").await.unwrap();
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("say why"));
    let retired = retire("Replaced+by+the+2027+terms").await.unwrap();
    assert_eq!(retired.status(), 303);
    let (_, document) = page("/console/policy/POL-GUARANTEE").await;
    assert!(
        document.contains(r#"<dd id="doc-status">retired</dd>"#),
        "{document}"
    );
    assert!(!document.contains("Retire this document"));
    assert!(document.contains(r#"<a href="/console/policy/PRC-CLAIMS">PRC-CLAIMS</a>"#));
    let (status, _) = page("/console/policy/POL-NOPE").await;
    assert_eq!(status, 404);
    app.stop().await;
}

/// A policy editor finds a clause by search, edits it with the preview following the text,
/// and saves a draft; another editor reviews and publishes it; the change feed shows it.
#[tokio::test]
async fn a_clause_is_found_edited_reviewed_published_and_announced() {
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
    for (username, password) in [("petra", "author's secret"), ("lena", "reviewer's secret")] {
        app.store
            .create_staff_user(
                &StaffUser {
                    username: username.into(),
                    password_hash: arbiter_app::access::hash_password(password).unwrap(),
                    role: Role::PolicyEditor,
                },
                1,
            )
            .await
            .unwrap();
    }
    let chrome = Browser::launch(&driver, &browser).await;
    let shot = |name: &str| std::env::temp_dir().join(format!("arbiter-console-{name}.png"));
    let sign_in = |username: &'static str, password: &'static str| {
        let chrome = &chrome;
        let app = &app;
        async move {
            chrome.go(&app.url("/console/policy")).await;
            chrome.type_into("#username", username).await;
            chrome.type_into("#password", password).await;
            chrome.click("form.card button[type=submit]").await;
            chrome.wait_for_text("main h1", "Policy library").await;
        }
    };

    // The author searches in her own words, with a typo, and lands on the clause.
    sign_in("petra", "author's secret").await;
    chrome
        .type_into("#q", "client absnt at the agreed time")
        .await;
    chrome.click("form[role=search] button[type=submit]").await;
    chrome.wait_for_text_containing("#results", "found").await;
    let hits = chrome.find_all_texts("ol.results li a").await;
    assert_eq!(
        hits.first().map(String::as_str),
        Some("POL-CANCELLATION §4.2 Client no-shows"),
        "{hits:?}"
    );
    chrome.click("ol.results li a").await;
    chrome
        .wait_for_url("/console/policy/POL-CANCELLATION#s4.2")
        .await;
    assert_eq!(chrome.text("#s4\\.2").await, "4.2 Client no-shows");

    // The editor opens the published text as a draft; the preview follows the typing.
    chrome.click("a.button[href$='/edit']").await;
    chrome
        .wait_for_text("main h1", "Edit POL-CANCELLATION")
        .await;
    assert!(chrome.text("#preview").await.contains("Client no-shows"));
    chrome
        .type_into(
            "#source",
            "The Tasker waits at least 30 minutes before leaving.",
        )
        .await;
    chrome
        .wait_for_text_containing("#preview article", "waits at least 30 minutes")
        .await;
    // A citation to nothing is pointed at before anything is saved.
    chrome
        .type_into("#source", " See POL-CANCELLATION §9.9.")
        .await;
    chrome
        .wait_for_text_containing("#preview .problems", "§9.9")
        .await;
    chrome.screenshot(&shot("policy-editor")).await;
    let backspaces = "\u{E003}".repeat(" See POL-CANCELLATION §9.9.".chars().count());
    chrome.type_into("#source", &backspaces).await;
    chrome
        .wait_for_text_containing(
            "#preview article",
            "waits at least 30 minutes before leaving.",
        )
        .await;
    chrome
        .type_into("#summary", "Tasker waits 30 minutes for an absent Client")
        .await;
    chrome.click("button[value=save]").await;
    chrome
        .wait_for_text_containing("[role=status]", "Saved v2")
        .await;
    assert_eq!(chrome.text("#doc-status").await, "draft");
    // The author may not review her own work.
    assert!(
        chrome
            .find_all_texts("form[aria-label='Publish after review']")
            .await
            .is_empty()
    );
    chrome.click("form.who button[type=submit]").await;
    chrome.wait_for_url("/console/sign-in").await;

    // The reviewer finds it in the queue, reads the change, and publishes it.
    sign_in("lena", "reviewer's secret").await;
    chrome.go(&app.url("/console/policy/reviews")).await;
    chrome.wait_for_text("main h1", "Review queue").await;
    chrome
        .click("table a[href='/console/policy/POL-CANCELLATION']")
        .await;
    chrome
        .wait_for_text_containing("main h1", "POL-CANCELLATION")
        .await;
    chrome.click("a[href$='diff?from=1&to=2']").await;
    chrome.wait_for_url("/diff?from=1&to=2").await;
    let added = chrome.find_all_texts("ins").await;
    assert!(
        added.iter().any(|words| words.contains("30 minutes")),
        "{added:?}"
    );
    chrome
        .go(&app.url("/console/policy/POL-CANCELLATION"))
        .await;
    chrome
        .type_into("#review-summary", "Agreed with Tasker support")
        .await;
    chrome
        .click("form[aria-label='Publish after review'] button")
        .await;
    chrome.wait_for_text("#doc-status", "published").await;

    // The change feed announces it, with both names.
    chrome.go(&app.url("/console/policy/changes")).await;
    chrome.wait_for_text("main h1", "Policy changes").await;
    let newest = chrome.text("table tbody tr").await;
    for expected in [
        "POL-CANCELLATION",
        "v3",
        "published",
        "petra",
        "lena",
        "Agreed with Tasker support",
    ] {
        assert!(newest.contains(expected), "{expected:?} not in {newest:?}");
    }
    chrome.screenshot(&shot("policy-changes")).await;
    chrome.close().await;

    // The published clause is what the library now holds, and what search finds.
    let found: serde_json::Value = app
        .get("/v1/policies/search?q=%2230+minutes%22")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found[0]["id"], "POL-CANCELLATION", "{found}");
    assert_eq!(found[0]["clause"], "4.2", "{found}");
    app.stop().await;
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

/// Every console error is a page in the console's layout, with its status, a plain sentence
/// and a way back; the API's errors stay problem documents.
#[tokio::test]
async fn console_errors_are_pages_and_api_errors_stay_problem_documents() {
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
    let session = app.console_session().await;
    let check = |response: reqwest::Response,
                 status: u16,
                 says: &'static str,
                 back: &'static str| async move {
        let url = response.url().to_string();
        assert_eq!(response.status(), status, "{url}");
        assert_eq!(
            response.headers()["content-type"],
            "text/html; charset=utf-8",
            "{url}"
        );
        assert!(
            response.headers().get("content-security-policy").is_some(),
            "{url}"
        );
        let page = response.text().await.unwrap();
        // The product's layout: the header with who is signed in, the areas, a way back.
        assert!(
            page.contains(r#"<nav aria-label="Areas">"#),
            "{url}: {page}"
        );
        assert!(page.contains("Sign out"), "{url}: {page}");
        assert!(page.contains(says), "{url}: {page}");
        assert!(page.contains(back), "{url}: {page}");
        assert!(page.contains(r#"<a href="/console">Back to the overview</a>"#));
        assert!(!page.contains("urn:arbiter:problem"), "{url}: {page}");
    };
    let get = |path: &str| {
        app.client
            .get(app.url(path))
            .header("cookie", &session)
            .send()
    };
    let post = |path: &str, body: &'static str| {
        app.client
            .post(app.url(path))
            .header("cookie", &session)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    check(
        get("/console/nope").await.unwrap(),
        404,
        "There is no page at /console/nope.",
        "",
    )
    .await;
    check(
        get("/console/resolve/cases/99999").await.unwrap(),
        404,
        "There is no case case_99999.",
        r#"<a href="/console/resolve">Back to the cases</a>"#,
    )
    .await;
    check(
        get("/console/policy/NOPE").await.unwrap(),
        404,
        "NOPE",
        r#"<a href="/console/policy">Back to the policy library</a>"#,
    )
    .await;
    check(
        get("/console/policy/POL-GUARANTEE/diff?from=1&to=2")
            .await
            .unwrap(),
        404,
        "POL-GUARANTEE has only version 1, so there is nothing to compare yet.",
        "Back to the policy library",
    )
    .await;
    check(
        get("/console/policy/POL-GUARANTEE/diff?from=one")
            .await
            .unwrap(),
        400,
        "nothing was changed",
        "Back to the policy library",
    )
    .await;
    // A form the server cannot read, and one it reads and refuses.
    check(
        app.client
            .post(app.url("/console/resolve/next"))
            .header("cookie", &session)
            .header("content-type", "text/plain")
            .body("queue=claims")
            .send()
            .await
            .unwrap(),
        415,
        "application/x-www-form-urlencoded",
        "Back to the cases",
    )
    .await;
    // A refused form comes back as its own page, in the layout, with what was typed.
    let refused = post(
        "/console/resolve/open",
        "case_type=theft_claim&market=FR&amount=12.345",
    )
    .await
    .unwrap();
    assert_eq!(refused.status(), 400);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains(r#"<nav aria-label="Areas">"#) && page.contains("more decimals than EUR has"),
        "{page}"
    );
    check(
        app.client
            .delete(app.url("/console/resolve"))
            .header("cookie", &session)
            .send()
            .await
            .unwrap(),
        405,
        "DELETE is not how /console/resolve is used.",
        "Back to the cases",
    )
    .await;

    // The API and the service routes keep their problem documents.
    for path in ["/v1/cases/99999", "/v1/nope", "/healthz/nope"] {
        let response = app.get(path).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
    }

    let cross_site = app
        .post_ndjson("")
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    assert_eq!(
        cross_site.headers()["content-type"],
        "application/problem+json"
    );

    // A store that fails: the page says so, with no internals, and the status is 5xx.
    app.store.close().await;
    let response = get("/console/resolve/cases/1").await.unwrap();
    assert!(response.status().is_server_error(), "{}", response.status());
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    let page = response.text().await.unwrap();
    assert!(
        page.contains("Something went wrong on the server"),
        "{page}"
    );
    assert!(page.contains("Back to the overview"), "{page}");
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
