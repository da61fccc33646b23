//! `arbiter rules …`: check and test rule files on the command line, before they are published.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use arbiter_rules::{Ruleset, Severity, compile, run_examples};
use arbiter_store::Store;
use clap::Subcommand;

#[derive(Subcommand)]
pub enum RulesCommand {
    /// Check rule files: every error with file, line, column, a caret and a hint. Exits 1 on errors.
    Check {
        /// Rule files (.rules).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Run the examples (`test "…" given … expect …`) of rule files. Exits 1 if one fails.
    Test {
        /// Rule files (.rules).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Print the starter pack for a home-services marketplace, to begin a rule file from.
    Starter,
    /// Publish a rule file as the next ruleset version. It must check, its examples must pass
    /// and the lists it reads must exist. A running server picks it up within seconds.
    Publish {
        path: PathBuf,
        /// Why this version: shown in the history.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// List the published versions, newest (in force) first.
    Versions,
    /// Print the text of a version (default: the one in force).
    Show {
        #[arg(value_name = "VERSION")]
        number: Option<i64>,
    },
    /// Roll back: publish the text of an earlier version as the next version.
    Rollback {
        /// The version to bring back.
        #[arg(value_name = "VERSION")]
        number: i64,
        #[arg(long, default_value = "")]
        note: String,
    },
}

#[derive(Subcommand)]
pub enum ListsCommand {
    /// Every list with its entry count and last change.
    List,
    /// Print a list's entries, one a line.
    Show { name: String },
    /// Load entries from a file (one a line, or CSV: the first column) or - for standard input.
    /// Appends unless --replace.
    Load {
        name: String,
        file: String,
        /// Make the list exactly the file.
        #[arg(long)]
        replace: bool,
        /// Read the file as CSV (the default for names ending in .csv).
        #[arg(long)]
        csv: bool,
        /// What the list holds and why (kept when not given).
        #[arg(long)]
        description: Option<String>,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Every version of a list, newest first.
    History { name: String },
}

/// Who the command line acts as in histories.
fn operator() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "operator".into())
    )
}

fn time(us: i64) -> String {
    arbiter_model::from_micros(us).map_or_else(|| us.to_string(), arbiter_model::format_rfc3339)
}

/// Commands that read or change the database.
pub async fn run_stored(command: RulesCommand, store: &Store) -> Result<bool> {
    match command {
        RulesCommand::Publish { path, note } => {
            let source = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            match arbiter_app::rulesets::publish_ruleset(store, &source, &note, &operator(), None)
                .await
            {
                Ok(record) => {
                    println!(
                        "published {} as ruleset version {}",
                        path.display(),
                        record.version
                    );
                    Ok(true)
                }
                Err(arbiter_app::rulesets::PublishError::DoesNotCheck(diagnostics)) => {
                    let name = path.display().to_string();
                    for d in &diagnostics {
                        eprint!("{}", d.render(&name, &source));
                    }
                    eprintln!("{name}: not published: it does not check");
                    Ok(false)
                }
                Err(arbiter_app::rulesets::PublishError::Store(e)) => Err(e.into()),
                Err(other) => {
                    eprintln!("{}: not published: {other}", path.display());
                    Ok(false)
                }
            }
        }
        RulesCommand::Versions => {
            let versions = store.rulesets().await?;
            if versions.is_empty() {
                println!("no ruleset is published; publish one with `arbiter rules publish FILE`");
            }
            for (n, r) in versions.iter().enumerate() {
                let restores = r
                    .restores
                    .map(|v| format!(" (restores {v})"))
                    .unwrap_or_default();
                println!(
                    "{:>5}{}  {}  {:<20}  {}{restores}",
                    r.version,
                    if n == 0 { "*" } else { " " },
                    time(r.published_at),
                    r.published_by,
                    r.note
                );
            }
            Ok(true)
        }
        RulesCommand::Show { number } => {
            let record = match number {
                Some(v) => store.ruleset(v).await?,
                None => store.current_ruleset().await?,
            };
            match record {
                Some(r) => {
                    print!("{}", r.source);
                    Ok(true)
                }
                None => {
                    eprintln!("no such ruleset version");
                    Ok(false)
                }
            }
        }
        RulesCommand::Rollback {
            number: version,
            note,
        } => {
            let Some(old) = store.ruleset(version).await? else {
                eprintln!("no ruleset version {version}");
                return Ok(false);
            };
            match arbiter_app::rulesets::publish_ruleset(
                store,
                &old.source,
                &note,
                &operator(),
                Some(version),
            )
            .await
            {
                Ok(record) => {
                    println!(
                        "ruleset version {} restores version {version}",
                        record.version
                    );
                    Ok(true)
                }
                Err(arbiter_app::rulesets::PublishError::Store(e)) => Err(e.into()),
                Err(other) => {
                    eprintln!("version {version} cannot be restored: {other}");
                    Ok(false)
                }
            }
        }
        other => run(other),
    }
}

pub async fn run_lists(command: ListsCommand, store: &Store) -> Result<bool> {
    match command {
        ListsCommand::List => {
            for l in store.lists().await? {
                println!(
                    "{:<28} {:>7} entries  v{:<4} {}  {}",
                    l.name,
                    l.entry_count,
                    l.version,
                    time(l.changed_at),
                    l.description
                );
            }
            Ok(true)
        }
        ListsCommand::Show { name } => match store.list(&name).await? {
            Some(list) => {
                for entry in list.entries {
                    println!("{entry}");
                }
                Ok(true)
            }
            None => {
                eprintln!("no list {name:?}");
                Ok(false)
            }
        },
        ListsCommand::History { name } => {
            let history = store.list_history(&name).await?;
            if history.is_empty() {
                eprintln!("no list {name:?}");
                return Ok(false);
            }
            for v in history {
                println!(
                    "v{:<4} {}  {:>7} entries  {:<20} {}",
                    v.version,
                    time(v.changed_at),
                    v.entry_count,
                    v.changed_by,
                    v.note
                );
            }
            Ok(true)
        }
        ListsCommand::Load {
            name,
            file,
            replace,
            csv,
            description,
            note,
        } => {
            if !arbiter_rules::valid_list_name(&name) {
                eprintln!(
                    "{name:?} is not a list name: use lowercase letters, digits and `_`, at most 64"
                );
                return Ok(false);
            }
            let text = if file == "-" {
                std::io::read_to_string(std::io::stdin()).context("reading standard input")?
            } else {
                std::fs::read_to_string(&file).with_context(|| format!("cannot read {file}"))?
            };
            let csv = csv || file.ends_with(".csv");
            let loaded = match arbiter_app::lists::parse_list_file(&text, csv) {
                Ok(entries) => entries,
                Err(e) => {
                    eprintln!("{file}: {e}");
                    return Ok(false);
                }
            };
            let current = store.list(&name).await?;
            let mut entries = match (&current, replace) {
                (Some(list), false) => list.entries.clone(),
                _ => Vec::new(),
            };
            let added = loaded.len();
            entries.extend(loaded);
            let entries = match arbiter_app::lists::clean_list_entries(entries) {
                Ok(entries) => entries,
                Err(e) => {
                    eprintln!("{file}: {e}");
                    return Ok(false);
                }
            };
            let description = description
                .or_else(|| current.map(|l| l.description))
                .unwrap_or_default();
            let note = if note.is_empty() {
                format!(
                    "{} {added} entries from {file}",
                    if replace { "replaced with" } else { "added" }
                )
            } else {
                note
            };
            let saved = store
                .put_list(
                    &name,
                    &description,
                    &entries,
                    &operator(),
                    arbiter_model::to_micros(::time::OffsetDateTime::now_utc()),
                    &note,
                )
                .await?;
            println!(
                "list {name} is now version {} with {} entries",
                saved.version, saved.entry_count
            );
            Ok(true)
        }
    }
}

/// Whether the command needs the database.
pub fn needs_store(command: &RulesCommand) -> bool {
    !matches!(
        command,
        RulesCommand::Check { .. } | RulesCommand::Test { .. } | RulesCommand::Starter
    )
}

/// Runs a rules command on files; `Ok(false)` when they did not check or an example failed.
pub fn run(command: RulesCommand) -> Result<bool> {
    match command {
        RulesCommand::Check { paths } => {
            let mut ok = true;
            for path in &paths {
                match load(path)? {
                    Some(ruleset) => println!(
                        "{}: ok — {} rules ({} shadow), {} velocity features, {} lists, {} examples",
                        path.display(),
                        ruleset.rules.len(),
                        ruleset
                            .rules
                            .iter()
                            .filter(|r| r.mode == arbiter_rules::Mode::Shadow)
                            .count(),
                        ruleset.feature_names().count(),
                        ruleset.lists.len(),
                        ruleset.examples.len()
                    ),
                    None => ok = false,
                }
            }
            Ok(ok)
        }
        RulesCommand::Test { paths } => {
            let mut ok = true;
            for path in &paths {
                let Some(ruleset) = load(path)? else {
                    ok = false;
                    continue;
                };
                let ruleset = Arc::new(ruleset);
                let outcomes = run_examples(&ruleset);
                let failed = outcomes.iter().filter(|o| !o.passed()).count();
                for outcome in &outcomes {
                    if outcome.passed() {
                        println!(
                            "ok      {}:{} {}",
                            path.display(),
                            outcome.line,
                            outcome.name
                        );
                        continue;
                    }
                    println!(
                        "FAILED  {}:{} {}",
                        path.display(),
                        outcome.line,
                        outcome.name
                    );
                    for failure in &outcome.failures {
                        for line in failure.lines() {
                            println!("          {line}");
                        }
                    }
                    for hit in &outcome.decision.hits {
                        let detail = match &hit.error {
                            Some(error) => format!("error: {error}"),
                            None => hit
                                .evidence
                                .iter()
                                .map(|e| format!("{} = {}", e.expression, e.value))
                                .collect::<Vec<_>>()
                                .join(", "),
                        };
                        println!(
                            "          {} {}: {detail}",
                            if hit.fired { "fired" } else { "failed" },
                            hit.rule_id
                        );
                    }
                }
                println!(
                    "{}: {} examples, {} passed, {failed} failed",
                    path.display(),
                    outcomes.len(),
                    outcomes.len() - failed
                );
                ok &= failed == 0;
            }
            Ok(ok)
        }
        RulesCommand::Starter => {
            print!("{}", arbiter_rules::STARTER_PACK);
            Ok(true)
        }
        _ => unreachable!("commands on the database go through run_stored"),
    }
}

/// Reads and compiles a rule file, printing its diagnostics; `None` when it has errors.
pub fn load(path: &Path) -> Result<Option<Ruleset>> {
    let source =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let name = path.display().to_string();
    match compile(&source) {
        Ok((ruleset, warnings)) => {
            for warning in &warnings {
                eprint!("{}", warning.render(&name, &source));
            }
            Ok(Some(ruleset))
        }
        Err(diagnostics) => {
            for diagnostic in &diagnostics {
                eprint!("{}", diagnostic.render(&name, &source));
            }
            let errors = diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .count();
            eprintln!(
                "{name}: {errors} error{}",
                if errors == 1 { "" } else { "s" }
            );
            Ok(None)
        }
    }
}
