//! The policy library as files: `arbiter policy` imports, exports, diffs, searches and prints
//! bulletins and training packets, and refuses a bad import whole.

use crate::common::{arbiter, on_both_backends, text};
use arbiter_store::testing::TestDatabase;

on_both_backends!(
    the_policy_library_round_trips_through_files,
    policy_imports_refuse_bad_files_and_store_nothing,
);

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
