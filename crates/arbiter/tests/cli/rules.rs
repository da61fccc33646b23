//! Rules and lists from the command line: `arbiter rules` checks, tests, publishes and rolls
//! back rulesets, with located errors; `arbiter lists` loads and shows lists; the starter pack
//! passes its own examples and every rule it holds is documented.

use crate::common::{arbiter, on_both_backends, text};
use arbiter_store::Backend;
use arbiter_store::testing::TestDatabase;

on_both_backends!(rules_and_lists_are_published_and_rolled_back);

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

/// The event docs say what each rule of `arbiter rules starter` reads, and the README links
/// them.
#[test]
fn the_event_docs_cover_every_starter_rule() {
    let docs = include_str!("../../../../docs/events.md");
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
    assert!(include_str!("../../../../README.md").contains("(docs/events.md)"));
}
