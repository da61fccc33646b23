//! `arbiter rules …`: check and test rule files on the command line, before they are published.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use arbiter_rules::{Ruleset, Severity, compile, run_examples};
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
}

/// Runs a rules command; `Ok(false)` when the files did not check or an example failed.
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
