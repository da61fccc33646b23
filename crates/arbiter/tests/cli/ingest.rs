//! Getting events in: `arbiter ingest` from files and standard input, `arbiter generate`'s
//! synthetic marketplace, and `arbiter demo`, which prepares a worked marketplace to explore.

use crate::common::{ARBITER, arbiter, event, on_both_backends, text};
use arbiter_store::testing::TestDatabase;
use std::io::Write;
use std::process::{Command, Stdio};

on_both_backends!(ingest_stores_valid_lines_and_lists_refused_ones);

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
