//! The policy library over HTTP and in the console: versions, diffs, citations, search, the
//! change feed and bulletins, drafts published by another reviewer and announced to
//! subscribers, and the public help center.

use crate::common::webdriver::{Browser, browser_or_skip};
use crate::common::{TestApp, on_both_backends};
use crate::protect::{ok_json, problem, publish, put_list};
use crate::webhooks::receiver;
use arbiter_model::Role;
use arbiter_store::{Backend, StaffUser};
use serde_json::{Value, json};
use std::time::Duration;

on_both_backends!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    the_policy_library_is_read_with_versions_diffs_and_citations,
    policies_are_drafted_then_published_by_another_reviewer,
);

/// Stores the starter library, each file passed through `edit`, as one new version each.
pub(crate) async fn store_starter_library(app: &TestApp, edit: impl Fn(&str) -> String) {
    let files: Vec<(String, String)> = arbiter_policy::STARTER_LIBRARY
        .iter()
        .map(|(name, text)| ((*name).to_owned(), edit(text)))
        .collect();
    let versions: Vec<_> = arbiter_policy::check_library(&files, &[])
        .unwrap()
        .iter()
        .map(|d| arbiter_app::policies::new_version(d, "ann", Some("bob"), "starter"))
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
        .map(|d| arbiter_app::policies::new_version(d, "ann", Some("bob"), "help"))
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
        arbiter_app::access::issue_token(&app.store, arbiter_store::TokenKind::Api, role, label, 1)
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
            assert!(arbiter_app::webhooks::verify(
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
    // The page shows the version in force and says a draft awaits review.
    assert!(
        document.contains(r#"<dd id="doc-version">v1 (in force)</dd>"#),
        "{document}"
    );
    assert!(
        document.contains("v2 (in review) by ann awaits review"),
        "{document}"
    );
    assert!(document.contains("within 14 days"), "{document}");
    let (_, draft) = page("/console/policy/POL-GUARANTEE?version=2").await;
    assert!(
        draft.contains("You are reading v2 (in review), which is not in force; v1 is."),
        "{draft}"
    );
    assert!(draft.contains("within 30 days"), "{draft}");
    let (status, _) = page("/console/policy/POL-GUARANTEE?version=9").await;
    assert_eq!(status, 404);
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
    // Clause by clause: a summary naming each changed clause, linked to its words.
    assert!(
        diff.contains(r##"<a href="#c3.1">§3.1 changed</a>: Fourteen days"##),
        "{diff}"
    );
    assert!(
        diff.contains(r#"<section class="clause-change changed" id="c3.1""#),
        "{diff}"
    );
    assert!(diff.contains("What cites what changed"), "{diff}");
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
    chrome
        .click("main form[role=search] button[type=submit]")
        .await;
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
