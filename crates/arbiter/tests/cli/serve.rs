//! The command line as a whole and `arbiter serve`: every command has help, configuration comes
//! from flags, then the environment, then a file, a resolution configuration is checked before
//! the server starts, and what the server acknowledged survives `kill -9`.

use crate::common::{ARBITER, arbiter, event, on_both_backends, text};
use arbiter_store::testing::TestDatabase;
use std::process::{Command, Stdio};
use std::time::Duration;

on_both_backends!(acknowledged_events_survive_kill_9);

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
