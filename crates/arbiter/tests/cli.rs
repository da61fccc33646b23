//! The `arbiter` binary as an operator runs it: real processes, real files, real databases.

use arbiter_store::Backend;
use arbiter_store::testing::TestDatabase;
use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const ARBITER: &str = env!("CARGO_BIN_EXE_arbiter");

fn arbiter(args: &[&str]) -> Output {
    Command::new(ARBITER)
        .args(args)
        .env_remove("ARBITER_DB")
        .env_remove("ARBITER_CONFIG")
        .output()
        .expect("run arbiter")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn event(id: &str, market: &str) -> String {
    format!(
        r#"{{"id":"{id}","type":"task.posted","occurred_at":"2026-10-01T10:00:00Z","market":"{market}","actor":{{"id":"c_1","role":"client"}},"task_id":"t_{id}"}}"#
    )
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test] async fn $name() { super::run(super::Backend::Sqlite, super::$name).await } )* }
        mod postgres { $( #[tokio::test] #[ignore = "PostgreSQL: set ARBITER_TEST_DATABASE_URL and pass --ignored"] async fn $name() { super::run(super::Backend::Postgres, super::$name).await } )* }
    };
}

async fn run<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(TestDatabase) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    match TestDatabase::new(backend).await {
        Some(db) => test(db).await,
        None => panic!(
            "{} is not set: the PostgreSQL tests need a server",
            arbiter_store::testing::POSTGRES_URL_VAR
        ),
    }
}

on_both_backends!(
    ingest_stores_valid_lines_and_lists_refused_ones,
    acknowledged_events_survive_kill_9,
    token_create_prints_the_secret_last,
    staff_accounts_are_disabled_reset_and_their_sessions_ended,
    rules_and_lists_are_published_and_rolled_back,
    the_policy_library_round_trips_through_files,
    policy_imports_refuse_bad_files_and_store_nothing,
);

async fn ingest_stores_valid_lines_and_lists_refused_ones(db: TestDatabase) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.jsonl");
    let body = [
        event("e1", "US"),
        event("e2", "XX"),
        String::new(),
        "not json".to_owned(),
        event("e3", "FR"),
        event("e1", "US"),
    ]
    .join("\n");
    std::fs::write(&file, body).unwrap();
    let out = arbiter(&["ingest", "--db", &db.url, file.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "refused lines make the exit non-zero: {stderr}"
    );
    assert!(
        stderr.contains("2 events stored, 1 duplicates skipped, 2 lines refused"),
        "{stderr}"
    );
    assert!(stderr.contains("line 2 (e2): market:"), "{stderr}");
    assert!(stderr.contains("line 4: malformed JSON"), "{stderr}");

    // Standard input works the same way; a clean file exits 0.
    let mut child = Command::new(ARBITER)
        .args(["ingest", "--db", &db.url, "-"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(event("e4", "DE").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let store = db.open().await;
    assert_eq!(store.count_events().await.unwrap(), 3);

    let missing = arbiter(&["ingest", "--db", &db.url, "/no/such/file.jsonl"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("cannot open /no/such/file.jsonl"));
}

async fn acknowledged_events_survive_kill_9(db: TestDatabase) {
    let token = text(&arbiter(&["token", "create", "--role", "analyst", "--db", &db.url]).stdout)
        .split_whitespace()
        .last()
        .unwrap()
        .to_owned();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let mut server = Command::new(ARBITER)
        .args(["serve", "--db", &db.url, "--listen", &listen])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let base = format!("http://{listen}");
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut acknowledged = 0;
    for batch in 0..20 {
        let body: Vec<String> = (0..500)
            .map(|i| event(&format!("b{batch}_{i}"), "GB"))
            .collect();
        let report: serde_json::Value = client
            .post(format!("{base}/v1/events"))
            .bearer_auth(&token)
            .header("content-type", "application/x-ndjson")
            .body(body.join("\n"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        acknowledged += report["accepted"].as_i64().unwrap();
    }
    // Killed without warning: no chance to flush anything.
    unsafe {
        libc::kill(server.id() as libc::pid_t, libc::SIGKILL);
    }
    server.wait().unwrap();
    let store = db.open().await;
    assert_eq!(acknowledged, 10_000);
    assert_eq!(store.count_events().await.unwrap(), acknowledged);
}

async fn token_create_prints_the_secret_last(db: TestDatabase) {
    let out = arbiter(&[
        "token",
        "create",
        "--role",
        "viewer",
        "--label",
        "wallboard",
        "--db",
        &db.url,
    ]);
    assert!(out.status.success());
    let all = format!("{}{}", text(&out.stderr), text(&out.stdout));
    let secret = all.split_whitespace().last().unwrap();
    assert!(secret.starts_with("arb_") && secret.len() == 68, "{all}");
    let list = text(&arbiter(&["token", "list", "--db", &db.url]).stdout);
    assert!(list.contains("viewer") && list.contains("wallboard") && !list.contains(secret));
    let bad = arbiter(&["token", "create", "--role", "root", "--db", &db.url]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("policy_editor"),
        "{}",
        text(&bad.stderr)
    );
}

async fn rules_and_lists_are_published_and_rolled_back(db: TestDatabase) {
    let dir = tempfile::tempdir().unwrap();
    let pack = dir.path().join("pack.rules");
    std::fs::write(&pack, text(&arbiter(&["rules", "starter"]).stdout)).unwrap();
    let pack = pack.to_str().unwrap();

    // The pack reads a list that does not exist yet: refused, and nothing published.
    let out = arbiter(&["rules", "publish", pack, "--db", &db.url]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("disposable_domains"),
        "{}",
        text(&out.stderr)
    );

    let domains = dir.path().join("domains.csv");
    std::fs::write(&domains, "value\nmailinator.com\n\"yopmail.com\"\n").unwrap();
    let out = arbiter(&[
        "lists",
        "load",
        "disposable_domains",
        domains.to_str().unwrap(),
        "--description",
        "throwaway mail",
        "--db",
        &db.url,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("version 1 with 2 entries"));
    let out = arbiter(&["lists", "show", "disposable_domains", "--db", &db.url]);
    assert_eq!(text(&out.stdout), "mailinator.com\nyopmail.com\n");

    let out = arbiter(&[
        "rules", "publish", pack, "--note", "starter", "--db", &db.url,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("ruleset version 1"));
    let out = arbiter(&["rules", "rollback", "1", "--db", &db.url]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let versions = text(&arbiter(&["rules", "versions", "--db", &db.url]).stdout);
    let lines: Vec<&str> = versions.lines().collect();
    assert_eq!(lines.len(), 2, "{versions}");
    assert!(
        lines[0].trim_start().starts_with("2*") && lines[0].contains("(restores 1)"),
        "{versions}"
    );
    assert_eq!(
        text(&arbiter(&["rules", "show", "--db", &db.url]).stdout),
        arbiter_rules::STARTER_PACK
    );
    assert_eq!(
        arbiter(&["rules", "rollback", "9", "--db", &db.url])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn every_command_has_help() {
    for command in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["ingest", "--help"],
        vec!["generate", "--help"],
        vec!["demo", "--help"],
        vec!["token", "--help"],
        vec!["token", "create", "--help"],
        vec!["token", "list", "--help"],
        vec!["token", "revoke", "--help"],
        vec!["user", "create", "--help"],
        vec!["user", "list", "--help"],
        vec!["user", "disable", "--help"],
        vec!["user", "enable", "--help"],
        vec!["user", "reset-password", "--help"],
        vec!["user", "sessions", "--help"],
        vec!["user", "end-sessions", "--help"],
        vec!["user", "sign-ins", "--help"],
        vec!["token", "sessions", "--help"],
        vec!["openapi", "--help"],
        vec!["rules", "--help"],
        vec!["rules", "check", "--help"],
        vec!["rules", "test", "--help"],
        vec!["rules", "starter", "--help"],
        vec!["rules", "publish", "--help"],
        vec!["rules", "versions", "--help"],
        vec!["rules", "show", "--help"],
        vec!["rules", "rollback", "--help"],
        vec!["lists", "--help"],
        vec!["lists", "list", "--help"],
        vec!["lists", "show", "--help"],
        vec!["lists", "load", "--help"],
        vec!["lists", "history", "--help"],
        vec!["backtest", "--help"],
        vec!["policy", "--help"],
        vec!["policy", "import", "--help"],
        vec!["policy", "check", "--help"],
        vec!["policy", "export", "--help"],
        vec!["policy", "list", "--help"],
        vec!["policy", "show", "--help"],
        vec!["policy", "versions", "--help"],
        vec!["policy", "diff", "--help"],
        vec!["policy", "search", "--help"],
        vec!["policy", "packet", "--help"],
        vec!["policy", "bulletin", "--help"],
        vec!["resolution", "--help"],
        vec!["resolution", "check", "--help"],
        vec!["resolution", "default", "--help"],
    ] {
        let out = arbiter(&command);
        assert!(out.status.success(), "{command:?}");
        assert!(text(&out.stdout).contains("Usage:"), "{command:?}");
    }
}

#[test]
fn resolution_configurations_are_checked_and_located() {
    let dir = tempfile::tempdir().unwrap();
    let built_in = arbiter(&["resolution", "default"]);
    assert!(built_in.status.success());
    let good = dir.path().join("resolution.toml");
    std::fs::write(&good, &built_in.stdout).unwrap();
    let checked = arbiter(&["resolution", "check", good.to_str().unwrap()]);
    assert!(checked.status.success(), "{}", text(&checked.stderr));
    assert!(text(&checked.stdout).contains("ok — 6 markets, 6 queues"));
    // A limit written as words, and a queue type that does not exist: each located.
    let bad = dir.path().join("bad.toml");
    let edited = text(&built_in.stdout).replace(
        "types = [\"safety_incident\"]\n\n[[queue]]",
        "types = [\"safety\"]\n\n[[queue]]",
    );
    std::fs::write(&bad, edited).unwrap();
    let refused = arbiter(&["resolution", "check", bad.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = text(&refused.stderr);
    assert!(stderr.contains("bad.toml:"), "{stderr}");
    assert!(
        stderr.contains("case type \"safety\" is not one of"),
        "{stderr}"
    );
    // A playbook changed without a new version: refused once the old one is stored.
    let db = format!("sqlite://{}", dir.path().join("playbooks.db").display());
    let changed = dir.path().join("changed.toml");
    std::fs::write(
        &changed,
        text(&built_in.stdout).replace(
            "Check the claim names the Task, the damage and the amount",
            "Check the claim",
        ),
    )
    .unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = arbiter_store::Store::open(&db).await.unwrap();
        let config = arbiter_resolve::Config::default_config();
        arbiter_app::intake::register_playbooks(&store, &config)
            .await
            .unwrap();
        store.close().await;
    });
    let refused_start = arbiter(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--resolution",
        changed.to_str().unwrap(),
        "--db",
        &db,
    ]);
    assert_eq!(refused_start.status.code(), Some(2));
    assert!(
        text(&refused_start.stderr)
            .contains("playbook property_damage_claim version 1 was stored with other content"),
        "{}",
        text(&refused_start.stderr)
    );
    // The server refuses to start on it, saying why.
    let serve = arbiter(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--resolution",
        bad.to_str().unwrap(),
        "--db",
        &format!("sqlite://{}", dir.path().join("x.db").display()),
    ]);
    assert_eq!(serve.status.code(), Some(2));
    assert!(text(&serve.stderr).contains("problem(s) in the resolution configuration"));
}

#[test]
fn generate_is_deterministic_by_seed() {
    let a = arbiter(&["generate", "--events", "2000", "--seed", "3"]);
    let b = arbiter(&["generate", "--events", "2000", "--seed", "3"]);
    let c = arbiter(&["generate", "--events", "2000", "--seed", "4"]);
    assert!(a.status.success());
    assert_eq!(text(&a.stdout).lines().count(), 2000);
    assert_eq!(a.stdout, b.stdout);
    assert_ne!(a.stdout, c.stdout);
    let bad = arbiter(&["generate", "--start", "yesterday"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("YYYY-MM-DD"));
}

#[test]
fn configuration_comes_from_flags_then_environment_then_file() {
    let dir = tempfile::tempdir().unwrap();
    let from_file = dir.path().join("file.db");
    let from_env = dir.path().join("env.db");
    let config = dir.path().join("arbiter.toml");
    std::fs::write(
        &config,
        format!("db = \"sqlite://{}\"\n", from_file.display()),
    )
    .unwrap();
    let create = |env: Option<&std::path::Path>| {
        let mut command = Command::new(ARBITER);
        command.args([
            "--config",
            config.to_str().unwrap(),
            "token",
            "create",
            "--role",
            "viewer",
        ]);
        command.env_remove("ARBITER_DB");
        if let Some(path) = env {
            command.env("ARBITER_DB", format!("sqlite://{}", path.display()));
        }
        command.output().unwrap()
    };
    assert!(create(None).status.success());
    assert!(from_file.exists(), "the file's db is used");
    assert!(create(Some(&from_env)).status.success());
    assert!(from_env.exists(), "the environment beats the file");

    std::fs::write(&config, "dbb = 1\n").unwrap();
    let out = create(None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("dbb"), "{}", text(&out.stderr));
}

#[test]
fn demo_prepares_a_marketplace_and_an_admin() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(ARBITER)
        .args([
            "demo",
            "--no-serve",
            "--dir",
            dir.path().to_str().unwrap(),
            "--start",
            "2026-08-01",
        ])
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("50000 events"), "{stdout}");
    assert!(stdout.contains("Sign in:   admin / "), "{stdout}");
    assert!(dir.path().join("arbiter.db").exists());
    // The policy library the starter rules cite is loaded, reviewed and published.
    let url = format!("sqlite://{}", dir.path().join("arbiter.db").display());
    let list = text(&arbiter(&["policy", "list", "--db", &url]).stdout);
    for id in [
        "POL-PAYMENTS",
        "POL-GUARANTEE",
        "POL-ACCOUNTS",
        "STD-COMMUNITY",
        "POL-CANCELLATION",
    ] {
        assert!(list.contains(id), "{list}");
    }
    assert!(!list.contains("draft"), "{list}");
    // Cases from the history, worked: automatic and human decisions, payouts, open work.
    let stderr = text(&out.stderr);
    assert!(stderr.contains("resolved automatically"), "{stderr}");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = arbiter_store::Store::open(&url).await.unwrap();
        let cases = store
            .list_cases(&arbiter_store::CaseFilter::default(), None, 1_000)
            .await
            .unwrap();
        assert!(cases.len() > 100, "{} cases", cases.len());
        let count =
            |f: &dyn Fn(&arbiter_store::CaseRecord) -> bool| cases.iter().filter(|c| f(c)).count();
        assert!(count(&|c| c.automated) > 0);
        assert!(count(&|c| !c.automated && c.state == "closed") > 50);
        assert!(count(&|c| c.state != "closed" && c.state != "decided") > 0);
        assert!(count(&|c| c.reopened > 0) > 0);
        assert!(
            count(&|c| c
                .first_response_at
                .is_some_and(|at| at > c.first_response_due))
                > 0,
            "some first responses are late"
        );
        assert!(count(&|c| c.touches > 0) > 50);
        let paid: usize = cases_paid(&store, &cases).await;
        assert!(paid > 10, "{paid} cases paid");
        store.close().await;
    });
}

/// By default the demo's history ends when the demo is made: nothing happened after "now",
/// open cases are not all overdue, and a case's timeline reads in the order things happened
/// (its opening first, at its event's time). Its output, not a terminal here, has no colour
/// codes, and the commands it prints work as pasted into a shell.
#[test]
fn a_demo_history_ends_when_it_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(ARBITER)
        .args(["demo", "--no-serve", "--dir", dir.path().to_str().unwrap()])
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(
        !stdout.contains('\x1b') && !stderr.contains('\x1b'),
        "{stderr}"
    );
    assert!(
        stdout.contains("'http://127.0.0.1:8080/v1/events?limit=5'"),
        "{stdout}"
    );
    let url = format!("sqlite://{}", dir.path().join("arbiter.db").display());
    assert!(
        stdout.contains(&format!("arbiter serve --db '{url}'")),
        "{stdout}"
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = arbiter_store::Store::open(&url).await.unwrap();
        let last = store.latest_occurrence(i64::MAX).await.unwrap().unwrap();
        let minutes = (now - last) / 60_000_000;
        assert!(
            (0..10).contains(&minutes),
            "the history ends {minutes} min ago"
        );
        let cases = store
            .list_cases(&arbiter_store::CaseFilter::default(), None, 5_000)
            .await
            .unwrap();
        let open: Vec<_> = cases
            .iter()
            .filter(|c| c.state != "closed" && c.state != "decided")
            .collect();
        assert!(!open.is_empty());
        assert!(
            open.iter().any(|c| c.resolution_due > now),
            "every open case is overdue"
        );
        for case in &cases {
            let audit = store.case_audit(case.number).await.unwrap();
            assert_eq!(audit[0].at, case.opened_at, "{audit:?}");
            assert!(
                audit.iter().all(|a| a.at >= case.opened_at && a.at <= now),
                "{audit:?}"
            );
            let ledger = store.ledger(case.number).await.unwrap();
            assert!(
                ledger
                    .iter()
                    .all(|e| e.recorded_at >= case.opened_at && e.recorded_at <= now),
                "{ledger:?}"
            );
        }
        store.close().await;
    });
}

/// The event docs say what each rule of `arbiter rules starter` reads, and the README links
/// them.
#[test]
fn the_event_docs_cover_every_starter_rule() {
    let docs = include_str!("../../../docs/events.md");
    let out = arbiter(&["rules", "starter"]);
    assert!(out.status.success());
    let pack = text(&out.stdout);
    let rules: Vec<&str> = pack
        .lines()
        .filter_map(|l| l.strip_prefix("rule "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(rules.len() >= 10, "{rules:?}");
    for rule in rules {
        assert!(
            docs.contains(&format!("| `{rule}` |")),
            "docs/events.md does not say what {rule} reads"
        );
    }
    assert!(include_str!("../../../README.md").contains("(docs/events.md)"));
}

/// How many of `cases` paid something out.
async fn cases_paid(store: &arbiter_store::Store, cases: &[arbiter_store::CaseRecord]) -> usize {
    let mut paid = 0;
    for case in cases {
        if store
            .ledger(case.number)
            .await
            .unwrap()
            .iter()
            .any(|e| e.entry.kind == "payout")
        {
            paid += 1;
        }
    }
    paid
}

#[test]
fn rules_check_points_at_every_error_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("claims.rules");
    std::fs::write(
        &path,
        "let claims = count(claim.filed by actor.id within 90d)\n\
         rule CLAIMS \"Too many claims\"\n  on claim.filed\n  enforces POL-GUARANTEE §6\n\
         \x20 when claimz >= 3 and amount > 500\n  then reveiw(\"claims\")\n",
    )
    .unwrap();
    let out = arbiter(&["rules", "check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("error: unknown field `claimz`"), "{stderr}");
    assert!(stderr.contains("claims.rules:5:8"), "{stderr}");
    assert!(stderr.contains("5 |   when claimz >= 3"), "{stderr}");
    assert!(stderr.contains("  |        ^^^^^^\n"), "{stderr}");
    assert!(stderr.contains("hint: did you mean `claims`?"), "{stderr}");
    assert!(
        stderr.contains("cannot compare money with a number"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: did you mean `review`?"), "{stderr}");
    assert!(stderr.contains("3 errors"), "{stderr}");
}

/// Text nested past the language's limit is refused by `check` and `publish` alike, with the
/// place it went too deep: what the CLI publishes, every server can load.
#[tokio::test]
async fn rules_nested_too_deep_are_refused_by_check_and_publish() {
    let db = TestDatabase::new(Backend::Sqlite).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep.rules");
    std::fs::write(
        &path,
        format!(
            "rule DEEP \"deep\" on message.sent enforces POL-X\n  when {}true{}\n",
            "(".repeat(1_000),
            ")".repeat(1_000)
        ),
    )
    .unwrap();
    for command in ["check", "publish"] {
        let out = arbiter(&["rules", command, path.to_str().unwrap(), "--db", &db.url]);
        assert_eq!(out.status.code(), Some(1), "{command}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains("nests more than 64 levels"), "{stderr}");
        assert!(stderr.contains("deep.rules:2:"), "{stderr}");
    }
    let versions = arbiter(&["rules", "versions", "--db", &db.url]);
    assert!(
        !text(&versions.stdout).contains("deep"),
        "nothing was published"
    );
}

#[test]
fn the_starter_pack_checks_and_passes_its_examples() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("starter.rules");
    let out = arbiter(&["rules", "starter"]);
    assert!(out.status.success());
    std::fs::write(&path, &out.stdout).unwrap();
    let check = arbiter(&["rules", "check", path.to_str().unwrap()]);
    assert!(check.status.success(), "{}", text(&check.stderr));
    assert!(text(&check.stdout).contains("ok — 11 rules"));
    let test = arbiter(&["rules", "test", path.to_str().unwrap()]);
    assert!(test.status.success(), "{}", text(&test.stdout));
    assert!(text(&test.stdout).contains("23 examples, 23 passed, 0 failed"));

    // Break one expectation: the run fails and shows what came out instead.
    let broken = text(&out.stdout).replace(
        "expect verdict review, fires CLAIM-SERIAL",
        "expect verdict block, fires CLAIM-SERIAL",
    );
    std::fs::write(&path, broken).unwrap();
    let test = arbiter(&["rules", "test", path.to_str().unwrap()]);
    assert_eq!(test.status.code(), Some(1));
    let stdout = text(&test.stdout);
    assert!(stdout.contains("FAILED"), "{stdout}");
    assert!(
        stdout.contains("expected verdict block\n               got verdict review"),
        "{stdout}"
    );
    assert!(
        stdout.contains("fired CLAIM-SERIAL: claims_90d = 3"),
        "{stdout}"
    );
    assert!(stdout.contains("1 failed"), "{stdout}");
}

/// The starter library shipped with Arbiter.
fn starter_library() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../arbiter-policy/library")
}

fn files_in(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&path).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

async fn the_policy_library_round_trips_through_files(db: TestDatabase) {
    let dir = tempfile::tempdir().unwrap();
    let library = starter_library();
    let library = library.to_str().unwrap();
    let import = |from: &str| {
        arbiter(&[
            "policy",
            "import",
            from,
            "--author",
            "alice",
            "--reviewed-by",
            "bob",
            "--db",
            &db.url,
        ])
    };
    let first = import(library);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let stored = arbiter_policy::STARTER_LIBRARY.len();
    assert!(text(&first.stdout).contains(&format!("{stored} new version(s), 0 unchanged")));
    // Export, import the export: nothing changes. Export again: the same files.
    let out = dir.path().join("out");
    let out_text = out.to_str().unwrap();
    assert!(
        arbiter(&["policy", "export", out_text, "--db", &db.url])
            .status
            .success()
    );
    let again = import(out_text);
    assert!(
        text(&again.stdout).contains(&format!(
            "0 new version(s), {} unchanged",
            arbiter_policy::STARTER_LIBRARY.len()
        )),
        "{}",
        text(&again.stdout)
    );
    let out2 = dir.path().join("out2");
    assert!(
        arbiter(&["policy", "export", out2.to_str().unwrap(), "--db", &db.url])
            .status
            .success()
    );
    assert_eq!(files_in(&out), files_in(&out2));
    // An edit is a new version, and the diff shows the words that changed.
    let guarantee = out.join("POL-GUARANTEE.md");
    let edited = std::fs::read_to_string(&guarantee)
        .unwrap()
        .replace("within 14 days", "within 30 days");
    std::fs::write(&guarantee, edited).unwrap();
    assert!(
        text(&import(out_text).stdout)
            .contains(&format!("1 new version(s), {} unchanged", stored - 1))
    );
    let diff = arbiter(&["policy", "diff", "POL-GUARANTEE", "1", "2", "--db", &db.url]);
    assert!(
        text(&diff.stdout).contains("within [-14-]{+30+} days"),
        "{}",
        text(&diff.stdout)
    );
    // Search finds the clause, forgiving a typo.
    let found = arbiter(&["policy", "search", "filing windw", "--db", &db.url]);
    assert!(found.status.success(), "{}", text(&found.stderr));
    let found = text(&found.stdout);
    assert!(
        found.starts_with("POL-GUARANTEE §3.1 Fourteen days"),
        "{found}"
    );
    let refused = arbiter(&["policy", "search", &"x".repeat(10_000), "--db", &db.url]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused.stderr).contains("at most 500 are searched"));
    // Today's bulletin names every document changed today.
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let bulletin = arbiter(&[
        "policy", "bulletin", "--from", &today, "--to", &today, "--db", &db.url,
    ]);
    assert!(bulletin.status.success(), "{}", text(&bulletin.stderr));
    let bulletin = text(&bulletin.stdout);
    assert!(
        bulletin.contains(&format!("<p>{stored} document(s) changed.</p>")),
        "{bulletin}"
    );
    assert!(
        bulletin.contains("<h2>POL-GUARANTEE — The Guarantee: terms"),
        "{bulletin}"
    );
    let backwards = arbiter(&[
        "policy",
        "bulletin",
        "--from",
        &today,
        "--to",
        "2000-01-01",
        "--db",
        &db.url,
    ]);
    assert_eq!(backwards.status.code(), Some(1));
    // A training packet of the guarantee terms, as HTML with contents.
    let packet = dir.path().join("packet.html");
    let made = arbiter(&[
        "policy",
        "packet",
        "--kind",
        "guarantee_terms",
        "--output",
        packet.to_str().unwrap(),
        "--db",
        &db.url,
    ]);
    assert!(made.status.success(), "{}", text(&made.stderr));
    let html = std::fs::read_to_string(&packet).unwrap();
    assert!(html.contains("<section id=\"POL-GUARANTEE\">") && !html.contains("POL-PAYMENTS\">"));
    let none = arbiter(&[
        "policy",
        "packet",
        "--tag",
        "nothing",
        "--output",
        packet.to_str().unwrap(),
        "--db",
        &db.url,
    ]);
    assert_eq!(none.status.code(), Some(1));
    let versions = text(&arbiter(&["policy", "versions", "POL-GUARANTEE", "--db", &db.url]).stdout);
    assert!(versions.starts_with("v2 "), "{versions}");
    assert!(versions.contains("by alice, reviewed by bob"));
}

async fn policy_imports_refuse_bad_files_and_store_nothing(db: TestDatabase) {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &str| std::fs::write(dir.path().join(name), body).unwrap();
    let head = |id: &str, status: &str| {
        format!(
            "+++\nid = \"{id}\"\nkind = \"procedure\"\ntitle = \"T\"\naudience = [\"internal\"]\nlocale = \"en\"\nowner = \"o\"\nstatus = \"{status}\"\n+++\n"
        )
    };
    write(
        "good.md",
        &format!(
            "{}## 1. One\nSee PRC-OTHER §2.\n",
            head("PRC-GOOD", "draft")
        ),
    );
    write(
        "other.md",
        &format!("{}## 1. Only\n", head("PRC-OTHER", "draft")),
    );
    write("zz-dup.md", &head("PRC-GOOD", "draft"));
    write("broken.md", "+++\nid = \"PRC-X\"\nkind = \"polcy\"\n");
    let dir_text = dir.path().to_str().unwrap();
    let refused = arbiter(&["policy", "import", dir_text, "--db", &db.url]);
    assert_eq!(refused.status.code(), Some(1));
    let errors = text(&refused.stderr);
    assert!(
        errors.contains("broken.md:1:1: the front matter is not closed"),
        "{errors}"
    );
    assert!(
        errors.contains(
            "good.md:11:1: PRC-OTHER §2 cites a clause that does not exist; PRC-OTHER has §1"
        ),
        "{errors}"
    );
    assert!(
        errors.contains("zz-dup.md:2:1: id PRC-GOOD is already used by good.md"),
        "{errors}"
    );
    assert!(errors.contains("nothing was imported"));
    let list = arbiter(&["policy", "list", "--db", &db.url]);
    assert_eq!(text(&list.stdout), "");
    // Published without a reviewer, or reviewed by its author: refused.
    for name in ["zz-dup.md", "broken.md", "good.md"] {
        std::fs::remove_file(dir.path().join(name)).unwrap();
    }
    write(
        "other.md",
        &format!("{}## 1. Only\n", head("PRC-OTHER", "published")),
    );
    let unreviewed = arbiter(&["policy", "import", dir_text, "--db", &db.url]);
    assert_eq!(unreviewed.status.code(), Some(1));
    assert!(text(&unreviewed.stderr).contains("publishing needs a reviewer other than the author"));
    let self_reviewed = arbiter(&[
        "policy",
        "import",
        dir_text,
        "--author",
        "ann",
        "--reviewed-by",
        "ann",
        "--db",
        &db.url,
    ]);
    assert_eq!(self_reviewed.status.code(), Some(1));
    assert_eq!(
        text(&arbiter(&["policy", "list", "--db", &db.url]).stdout),
        ""
    );
}

/// Runs `arbiter` with `input` on standard input.
fn arbiter_with_input(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(ARBITER)
        .args(args)
        .env_remove("ARBITER_DB")
        .env_remove("ARBITER_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run arbiter");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// A console session acting for `principal`, stored as the server stores one.
async fn session(store: &arbiter_store::Store, id: &str, principal: &str) {
    store
        .create_token(arbiter_store::NewToken {
            id,
            secret_hash: &format!("hash-{id}"),
            kind: arbiter_store::TokenKind::Session,
            role: arbiter_model::Role::Agent,
            label: "session",
            principal: Some(principal),
            created_at: 1,
            expires_at: Some(i64::MAX),
        })
        .await
        .unwrap();
}

async fn staff_accounts_are_disabled_reset_and_their_sessions_ended(db: TestDatabase) {
    let created = arbiter_with_input(
        &[
            "user",
            "create",
            "--username",
            "ana",
            "--role",
            "agent",
            "--db",
            &db.url,
        ],
        "ana's first secret\n",
    );
    assert!(created.status.success(), "{}", text(&created.stderr));
    let store = db.open().await;
    session(&store, "tok_s1", "user:ana").await;
    session(&store, "tok_s2", "user:ana").await;
    let listed = text(&arbiter(&["user", "sessions", "ana", "--db", &db.url]).stdout);
    assert!(
        listed.contains("tok_s1") && listed.contains("tok_s2"),
        "{listed}"
    );
    let users = text(&arbiter(&["user", "list", "--db", &db.url]).stdout);
    assert!(
        users.contains("ana\tagent\tenabled\t2 live session(s)"),
        "{users}"
    );

    let ended = arbiter(&["user", "end-sessions", "ana", "--db", &db.url]);
    assert!(ended.status.success());
    assert!(
        text(&ended.stderr).contains("ended 2 session(s)"),
        "{}",
        text(&ended.stderr)
    );
    assert!(store.live_sessions("user:ana", 2).await.unwrap().is_empty());

    session(&store, "tok_s3", "user:ana").await;
    assert!(
        arbiter(&["user", "disable", "ana", "--db", &db.url])
            .status
            .success()
    );
    let ana = store.staff_account("ana", 2).await.unwrap().unwrap();
    assert!(ana.disabled_at.is_some());
    assert_eq!(ana.live_sessions, 0, "disabling ends the sessions");
    let users = text(&arbiter(&["user", "list", "--db", &db.url]).stdout);
    assert!(users.contains("ana\tagent\tdisabled"), "{users}");
    assert!(
        arbiter(&["user", "enable", "ana", "--db", &db.url])
            .status
            .success()
    );
    assert!(
        store
            .staff_account("ana", 2)
            .await
            .unwrap()
            .unwrap()
            .disabled_at
            .is_none()
    );

    session(&store, "tok_s4", "user:ana").await;
    let short = arbiter_with_input(
        &["user", "reset-password", "ana", "--db", &db.url],
        "short\n",
    );
    assert_eq!(short.status.code(), Some(2));
    let reset = arbiter_with_input(
        &["user", "reset-password", "ana", "--db", &db.url],
        "ana's second secret\n",
    );
    assert!(reset.status.success(), "{}", text(&reset.stderr));
    let after = store.staff_account("ana", 2).await.unwrap().unwrap();
    assert_ne!(after.password_hash, ana.password_hash);
    assert_eq!(after.live_sessions, 0, "a new password ends the sessions");

    let unknown = arbiter(&["user", "disable", "nobody", "--db", &db.url]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        text(&unknown.stderr).contains("no staff account"),
        "{}",
        text(&unknown.stderr)
    );

    // Revoking a token ends the sessions made from it.
    let out = arbiter(&[
        "token", "create", "--role", "agent", "--label", "x", "--db", &db.url,
    ]);
    let id = text(&out.stderr)
        .split_whitespace()
        .find(|w| w.starts_with("tok_"))
        .unwrap()
        .to_owned();
    session(&store, "tok_s5", &format!("token:{id}")).await;
    let from_token = text(&arbiter(&["token", "sessions", &id, "--db", &db.url]).stdout);
    assert!(from_token.contains("tok_s5"), "{from_token}");
    assert!(
        arbiter(&["token", "revoke", &id, "--db", &db.url])
            .status
            .success()
    );
    assert!(
        store
            .live_sessions(&format!("token:{id}"), 2)
            .await
            .unwrap()
            .is_empty()
    );
    store.close().await;
}
