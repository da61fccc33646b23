//! What a hostile or careless client sends must not stop the server: rule text that nests
//! without end, a stored ruleset that no longer loads, invented methods, idle and numerous
//! connections, requests the extractors refuse. A real server on a random port, as a client
//! would meet it.

use crate::common::{self, TestApp, problem};
use arbiter_model::Role;
use arbiter_store::Backend;
use arbiter_store::testing::TestDatabase;
use serde_json::{Value, json};
use std::time::Duration;

/// Rule texts of about 2 KB to 60 KB that once overflowed a worker's stack.
fn hostile_rule_texts() -> Vec<String> {
    let rule = |condition: String| {
        format!("rule A \"a\" on message.sent enforces POL-X when {condition} score 1\n")
    };
    vec![
        rule(format!("{}true{}", "(".repeat(1_000), ")".repeat(1_000))),
        rule(format!("{}true", "not ".repeat(5_000))),
        rule(format!("{}1 > 0", "-".repeat(5_000))),
        rule(format!("1 {} > 0", "+ 1 ".repeat(20_000))),
        rule(format!(
            "\"a\" in {}\"a\"{}",
            "[".repeat(1_000),
            "]".repeat(1_000)
        )),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_rule_text_gets_located_errors_and_the_server_lives() {
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    let viewer = TestApp::token_for(&app.store, Role::Viewer).await;
    for source in hostile_rule_texts() {
        let checked: Value = app
            .client
            .post(app.url("/v1/rulesets/check"))
            .bearer_auth(&viewer)
            .json(&json!({ "source": source }))
            .send()
            .await
            .expect("the server answers")
            .json()
            .await
            .unwrap();
        assert_eq!(checked["ok"], false, "{checked}");
        let finding = &checked["findings"][0];
        assert!(
            finding["message"]
                .as_str()
                .unwrap()
                .contains("nests more than 64 levels"),
            "{checked}"
        );
        assert_eq!(finding["line"], 1, "{checked}");

        let backtest = app
            .client
            .post(app.url("/v1/backtests"))
            .bearer_auth(&viewer)
            .json(&json!({ "source": source, "from": "2026-10-01T00:00:00Z", "to": "2026-11-01T00:00:00Z" }))
            .send()
            .await
            .expect("the server answers");
        assert_eq!(backtest.status(), 422);

        let published = app
            .post_json("/v1/rulesets", &json!({ "source": source, "note": "deep" }))
            .send()
            .await
            .expect("the server answers");
        assert_eq!(
            published.status(),
            422,
            "no path publishes what would not load"
        );
    }
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    app.stop().await;
}

/// A stored ruleset that fails to load (stored by an older release, or edited in the
/// database) is reported and skipped; the newest version that loads stays in force.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_ruleset_that_does_not_load_is_skipped_not_a_crash() {
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    let good = "rule VENMO \"Venmo\" on message.sent enforces POL-X when data.text == \"pay me on venmo\" score 40 then review(\"off-platform\")\n";
    let published = app
        .post_json("/v1/rulesets", &json!({ "source": good, "note": "first" }))
        .send()
        .await
        .unwrap();
    assert_eq!(published.status(), 201);
    // Behind the checks' back, as an older release or a hand edit would have stored it.
    let hostile = &hostile_rule_texts()[0];
    app.store
        .publish_ruleset(hostile, "deep", "someone", 0, None)
        .await
        .unwrap();

    let mut health = Value::Null;
    for _ in 0..100 {
        health = app
            .client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if health["status"] == "degraded" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(health["status"], "degraded", "{health}");
    assert_eq!(health["ruleset_refused"]["version"], 2, "{health}");
    assert_eq!(health["ruleset_refused"]["in_force"], 1, "{health}");
    assert!(
        health["ruleset_refused"]["reason"]
            .as_str()
            .unwrap()
            .contains("nests more than"),
        "{health}"
    );

    let decided: Value = app
        .post_json(
            "/v1/decisions",
            &json!({"id": "m_1", "type": "message.sent", "occurred_at": "2026-10-01T10:00:00Z",
                    "market": "US", "actor": {"id": "k_1", "role": "tasker"},
                    "subject": {"id": "c_1", "role": "client"}, "data": {"text": "pay me on venmo"}}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(decided["ruleset_version"], 1, "{decided}");
    assert_eq!(decided["verdict"], "review", "{decided}");
    app.stop().await;
}

#[tokio::test]
async fn invented_methods_do_not_grow_the_metrics() {
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    for i in 0..50 {
        let method = reqwest::Method::from_bytes(format!("INVENTED{i}").as_bytes()).unwrap();
        let answer = app
            .client
            .request(method, app.url("/healthz"))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 405);
    }
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!metrics.contains("INVENTED"), "{metrics}");
    assert!(metrics.contains("method=\"other\""), "{metrics}");
    app.stop().await;
}

/// Idle connections are closed after the header timeout, and connections past the cap are
/// answered 503 at once; the server answers again as soon as there is room.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_surplus_connections_do_not_hold_the_server() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let db = TestDatabase::new(Backend::Sqlite).await.unwrap();
    let store = db.open().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let limits = arbiter_server::Limits {
        max_connections: 3,
        header_timeout: Duration::from_millis(500),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(arbiter_server::serve_with(
        listener,
        arbiter_server::AppState::new(
            arbiter_app::App::start(store, arbiter_app::Settings::default()),
            Default::default(),
        ),
        limits,
        async move {
            let _ = stopped.await;
        },
    ));

    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(tokio::net::TcpStream::connect(address).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut surplus = tokio::net::TcpStream::connect(address).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(5), surplus.read_to_string(&mut answer))
        .await
        .expect("answered at once")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");

    // A client that sends half a request head is cut off too (slowloris).
    idle[0]
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    for socket in &mut idle {
        let mut rest = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), socket.read_to_end(&mut rest))
            .await
            .expect("the server closes an idle connection after its header timeout");
        assert!(read.is_ok() || rest.is_empty());
    }

    let mut fresh = tokio::net::TcpStream::connect(address).await.unwrap();
    fresh
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    fresh.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

/// A full disk is named as such: writes answer 507 and store nothing, `/healthz` says why it
/// is unhealthy, and both recover once space is freed. Needs root to mount a small tmpfs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_reported_not_a_generic_error() {
    let dir = tempfile::tempdir().unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=6m", "tmpfs"])
        .arg(dir.path())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: mounting a small tmpfs needs root");
        return;
    }
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount")
                .arg("-l")
                .arg(&self.0)
                .status();
        }
    }
    let _unmount = Unmount(dir.path().to_owned());
    let store = arbiter_store::Store::open(&format!(
        "sqlite://{}",
        dir.path().join("arbiter.db").display()
    ))
    .await
    .unwrap();
    let token = TestApp::token_for(&store, Role::Admin).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(arbiter_server::serve(
        listener,
        arbiter_server::AppState::new(
            arbiter_app::App::start(store.clone(), arbiter_app::Settings::default()),
            Default::default(),
        ),
        async move {
            let _ = stopped.await;
        },
    ));
    // Leave the database a megabyte and a half: a few batches fit, then the disk is full.
    let filler = dir.path().join("filler");
    let available = {
        let path = std::ffi::CString::new(dir.path().as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: statvfs only writes the struct it is given.
        let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
        assert_eq!(unsafe { libc::statvfs(path.as_ptr(), &mut stat) }, 0);
        stat.f_bavail as usize * stat.f_frsize as usize
    };
    std::fs::write(&filler, vec![0u8; available - 1536 * 1024]).unwrap();
    let client = reqwest::Client::new();
    let send = |batch: usize| {
        let body: Vec<String> = (0..500)
            .map(|i| {
                common::event(&format!("b{batch}_{i}"), "task.posted", 1, "US")
                    .replace("cleaning", &"x".repeat(400))
            })
            .collect();
        client
            .post(format!("{base}/v1/events"))
            .bearer_auth(&token)
            .header("content-type", "application/x-ndjson")
            .body(body.join("\n"))
            .send()
    };
    let mut full = None;
    for batch in 0..200 {
        let answer = send(batch).await.unwrap();
        if answer.status() != 200 {
            full = Some((batch, answer));
            break;
        }
    }
    let (batch, answer) = full.expect("the disk fills up");
    assert!(batch > 0, "the first batches fit");
    assert_eq!(answer.status(), 507);
    assert_eq!(answer.headers()["content-type"], "application/problem+json");
    let problem: Value = answer.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("disk is full"),
        "{problem}"
    );
    assert!(store.event(&format!("b{batch}_0")).await.unwrap().is_none());
    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 503);
    let health: Value = health.json().await.unwrap();
    assert!(
        health["detail"].as_str().unwrap().contains("disk is full"),
        "{health}"
    );

    std::fs::remove_file(&filler).unwrap();
    let answer = send(batch).await.unwrap();
    assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap());
    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let _ = stop.send(());
    server.await.unwrap().unwrap();
    store.close().await;
}

/// Checking rule text runs off the async workers: on a server with one worker thread, a health
/// check sent while a large ruleset is being checked is answered before the check is.
#[tokio::test(flavor = "current_thread")]
async fn rule_checks_do_not_hold_the_async_worker() {
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    let mut source = String::new();
    for i in 0..4_000 {
        source.push_str(&format!(
            "rule R-{i} \"rule {i}\" on message.sent enforces POL-X when data.text == \"{i}\" and (amount.minor > {i} or not (actor.id in [\"a\", \"b\", \"c\"])) score 1\n"
        ));
    }
    let check = app
        .post_json("/v1/rulesets/check", &json!({ "source": source }))
        .send();
    let health = async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        app.client.get(app.url("/healthz")).send().await
    };
    tokio::pin!(check);
    tokio::select! {
        biased;
        answered = health => assert_eq!(answered.unwrap().status(), 200),
        _ = &mut check => panic!("the check finished before the health check was answered"),
    }
    let checked: Value = check.await.unwrap().json().await.unwrap();
    assert_eq!(checked["rules"], 4_000, "{checked}");
    app.stop().await;
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
