//! Who may sign in: `arbiter token` creates, lists and revokes API tokens, and `arbiter user`
//! manages staff accounts and ends their sessions.

use crate::common::{ARBITER, arbiter, on_both_backends, text};
use arbiter_store::testing::TestDatabase;
use std::io::Write;
use std::process::{Command, Output, Stdio};

on_both_backends!(
    token_create_prints_the_secret_last,
    staff_accounts_are_disabled_reset_and_their_sessions_ended,
);

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
