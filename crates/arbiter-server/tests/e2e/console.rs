//! The console as a whole, whatever the area: every page needs a session (a token signs in,
//! a forged cookie does not), and every console error is a page in the console's layout while
//! the API's errors stay problem documents. Each area's console journeys live in its own module.

use crate::common::TestApp;
use arbiter_store::Backend;

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
        "/console/search?q=u_1",
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

crate::common::on_both_backends!(
    one_search_box_finds_members_tasks_cases_events_and_clauses,
    a_member_page_gathers_cases_bookings_and_profile,
    the_home_answers_the_first_questions,
);

/// The header's search box: an id naming one thing opens it; words find clauses; nothing found
/// says so; an over-long query is refused on a page.
async fn one_search_box_finds_members_tasks_cases_events_and_clauses(app: &TestApp) {
    let files: Vec<(String, String)> = arbiter_policy::STARTER_LIBRARY
        .iter()
        .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
        .collect();
    let library: Vec<_> = arbiter_policy::check_library(&files, &[])
        .unwrap()
        .iter()
        .map(|d| arbiter_app::policies::new_version(d, "ann", Some("lee"), "starter"))
        .collect();
    app.store.save_policy_versions(&library, 1).await.unwrap();
    let claim = r#"{"id":"cl_1","type":"claim.filed","occurred_at":"2026-10-01T10:00:00Z","market":"US","actor":{"id":"c_1","role":"client"},"subject":{"id":"k_1","role":"tasker"},"task_id":"t_1","amount":{"minor":12000,"currency":"USD"},"data":{"kind":"property_damage"}}"#;
    let posted = app.post_ndjson(format!("{claim}\n")).send().await.unwrap();
    assert_eq!(posted.status(), 200);
    let mut opened = false;
    for _ in 0..100 {
        if app.store.case(1).await.unwrap().is_some() {
            opened = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(opened, "intake did not open the claim's case");
    let session = app.console_session().await;
    let search = |q: &str| {
        let encoded: String = q
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        let request = app
            .client
            .get(app.url(&format!("/console/search?q={encoded}")))
            .header("cookie", &session);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let location = response
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned());
            (status, location, response.text().await.unwrap())
        }
    };
    for (q, to) in [
        ("cl_1", "/console/events/cl_1"),
        ("case_1", "/console/resolve/cases/1"),
        ("c_1", "/console/users/c_1"),
        ("k_1", "/console/users/k_1"),
        ("t_1", "/console/events?task=t_1"),
        ("POL-GUARANTEE §3.1", "/console/policy/POL-GUARANTEE#s3.1"),
        ("POL-GUARANTEE", "/console/policy/POL-GUARANTEE"),
    ] {
        let (status, location, body) = search(q).await;
        assert_eq!(
            (status, location.as_deref()),
            (303, Some(to)),
            "{q}: {body}"
        );
    }
    let (status, _, words) = search("filing window").await;
    assert_eq!(status, 200);
    assert!(words.contains("In the policy library"), "{words}");
    assert!(words.contains("POL-GUARANTEE §3.1"), "{words}");
    let (status, _, nothing) = search("zqzqzq").await;
    assert_eq!(status, 200);
    assert!(nothing.contains(r#"<p id="nothing">"#), "{nothing}");
    let (status, _, refused) = search(&"x".repeat(300)).await;
    assert_eq!(status, 400);
    assert!(refused.contains("at most 200 are searched"), "{refused}");
    // Every console page carries the box.
    let (_, _, page) = search("").await;
    assert!(page.contains(r#"role="search" class="search""#), "{page}");
}

/// A member's page: profile facts from their events, the cases they are a party to and their
/// bookings, each linked; a member no event names is said to be unknown, not an error.
async fn a_member_page_gathers_cases_bookings_and_profile(app: &TestApp) {
    let events = [
        r#"{"id":"su_1","type":"user.signed_up","occurred_at":"2026-09-01T08:00:00Z","market":"FR","actor":{"id":"c_1","role":"client"},"data":{"email_domain":"example.fr","phone_country":"FR","device_id":"dev_9"}}"#,
        r#"{"id":"bk_1","type":"task.booked","occurred_at":"2026-09-20T10:00:00Z","market":"FR","actor":{"id":"c_1","role":"client"},"subject":{"id":"k_1","role":"tasker"},"task_id":"t_1","amount":{"minor":9000,"currency":"EUR"}}"#,
        r#"{"id":"cl_1","type":"claim.filed","occurred_at":"2026-10-01T10:00:00Z","market":"FR","actor":{"id":"c_1","role":"client"},"subject":{"id":"k_1","role":"tasker"},"task_id":"t_1","amount":{"minor":12000,"currency":"EUR"},"data":{"kind":"property_damage"}}"#,
    ];
    let body: String = events.iter().map(|e| format!("{e}\n")).collect();
    assert_eq!(app.post_ndjson(body).send().await.unwrap().status(), 200);
    for _ in 0..100 {
        if app.store.case(1).await.unwrap().is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let session = app.console_session().await;
    let page = |path: &str| {
        let request = app.client.get(app.url(path)).header("cookie", &session);
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let (status, client) = page("/console/users/c_1").await;
    assert_eq!(status, 200);
    for expected in [
        "<dt>Role</dt><dd>client</dd>",
        "<dt>Markets</dt><dd>FR</dd>",
        "<dt>Email domain</dt><dd>example.fr</dd>",
        "<dt>Device at sign-up</dt><dd>dev_9</dd>",
        r#"<a href="/console/resolve/cases/1">case_1</a></td><td>claimant</td>"#,
        r#"<td>booked</td><td><a href="/console/users/k_1">k_1</a></td>"#,
        "90.00",
    ] {
        assert!(client.contains(expected), "{expected:?} not in {client}");
    }
    let (_, tasker) = page("/console/users/k_1").await;
    assert!(
        tasker.contains(r#"<a href="/console/resolve/cases/1">case_1</a></td><td>tasker</td>"#),
        "{tasker}"
    );
    assert!(tasker.contains("<td>was booked</td>"), "{tasker}");
    let (status, unknown) = page("/console/users/nobody").await;
    assert_eq!(status, 200);
    assert!(unknown.contains(r#"<p id="unseen">"#), "{unknown}");
}

/// The home: reviews and blocks per day with a table, open cases and breaches per queue, case
/// times, losses this month, the rules firing most and policy reviews due, each linked.
async fn the_home_answers_the_first_questions(app: &TestApp) {
    let files: Vec<(String, String)> = arbiter_policy::STARTER_LIBRARY
        .iter()
        .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
        .collect();
    // One document whose review date has passed.
    let library: Vec<_> = arbiter_policy::check_library(&files, &[])
        .unwrap()
        .iter()
        .map(|d| {
            let mut d = d.clone();
            if d.id == "POL-GUARANTEE" {
                d.next_review = Some(time::macros::date!(2020 - 01 - 01));
            }
            arbiter_app::policies::new_version(&d, "ann", Some("lee"), "starter")
        })
        .collect();
    app.store.save_policy_versions(&library, 1).await.unwrap();
    let rules = "rule EVERY-MESSAGE \"Every message\"\n  on message.sent\n  enforces POL-PAYMENTS §2.1\n  when has(data.text)\n  score 50\n  then review(\"look\")\n";
    let published = app
        .post_json(
            "/v1/rulesets",
            &serde_json::json!({"source": rules, "note": "t"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(published.status(), 201);
    let now = time::OffsetDateTime::now_utc();
    let at = arbiter_model::format_rfc3339(now - time::Duration::hours(1));
    let events = [
        format!(
            r#"{{"id":"m_1","type":"message.sent","occurred_at":"{at}","market":"US","actor":{{"id":"c_1","role":"client"}},"subject":{{"id":"k_1","role":"tasker"}},"task_id":"t_1","data":{{"text":"hello"}}}}"#
        ),
        format!(
            r#"{{"id":"cl_1","type":"claim.filed","occurred_at":"{at}","market":"US","actor":{{"id":"c_1","role":"client"}},"subject":{{"id":"k_1","role":"tasker"}},"task_id":"t_1","amount":{{"minor":12000,"currency":"USD"}},"data":{{"kind":"property_damage"}}}}"#
        ),
    ];
    let body: String = events.iter().map(|e| format!("{e}\n")).collect();
    assert_eq!(app.post_ndjson(body).send().await.unwrap().status(), 200);
    for _ in 0..100 {
        if app.store.case(1).await.unwrap().is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let session = app.console_session().await;
    let home = app
        .client
        .get(app.url("/console"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), 200);
    let home = home.text().await.unwrap();
    for expected in [
        r#"<a href="/console/protect/decisions?verdict=review">1</a>"#,
        r#"<h2 id="decisions-per-day">Decisions per day</h2>"#,
        r#"<text class="tick""#,
        "Decisions per day as a table",
        r#"<a href="/console/resolve?queue=claims">claims</a>"#,
        "Time to first response",
        r#"<a href="/console/protect/decisions?rule=EVERY-MESSAGE"><code>EVERY-MESSAGE</code></a>"#,
        r#"<a href="/console/policy/POL-GUARANTEE">POL-GUARANTEE</a>"#,
        "review due 2020-01-01",
    ] {
        assert!(home.contains(expected), "{expected:?} not in {home}");
    }
}
