//! `arbiter backtest`: replay stored history through a candidate rule file beside the ruleset
//! in force, and report as a table, JSON or an HTML page with charts.

use std::path::PathBuf;

use anyhow::{Context, Result};
use arbiter_app::backtests::BacktestError;
use arbiter_store::Store;
use clap::Args;

#[derive(Args)]
pub struct BacktestArgs {
    /// The candidate rule file.
    #[arg(long, value_name = "FILE")]
    rules: PathBuf,
    /// First day replayed (YYYY-MM-DD, UTC), inclusive.
    #[arg(long, value_name = "DATE")]
    from: String,
    /// Last day replayed (YYYY-MM-DD, UTC), inclusive.
    #[arg(long, value_name = "DATE")]
    to: String,
    /// Also write the report as JSON here.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Also write the report as an HTML page with charts here.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
}

fn day_start(text: &str, name: &str) -> Result<i64> {
    let date = crate::demo::parse_date(text).with_context(|| format!("--{name}"))?;
    Ok(arbiter_model::to_micros(date.midnight().assume_utc()))
}

/// Runs the backtest; `Ok(false)` when the input was refused (the message is printed).
pub async fn run(args: BacktestArgs, store: &Store) -> Result<bool> {
    let source = std::fs::read_to_string(&args.rules)
        .with_context(|| format!("cannot read {}", args.rules.display()))?;
    let from = day_start(&args.from, "from")?;
    let to = day_start(&args.to, "to")? + 86_400_000_000;
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template(
            "Replaying [{bar:40}] {pos}/{len} events ({per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let shown = bar.clone();
    let had_baseline = store.current_ruleset().await?.is_some();
    let started = std::time::Instant::now();
    let result = arbiter_app::backtests::run(store, &source, from, to, move |done, total| {
        shown.set_length(total);
        shown.set_position(done);
    })
    .await;
    bar.finish_and_clear();
    let report = match result {
        Ok(report) => report,
        Err(BacktestError::DoesNotCheck(diagnostics)) => {
            let name = args.rules.display().to_string();
            for d in &diagnostics {
                eprint!("{}", d.render(&name, &source));
            }
            eprintln!("{name}: the candidate does not check");
            return Ok(false);
        }
        Err(error @ (BacktestError::EmptyRange(_) | BacktestError::Busy)) => {
            let message = error.to_string();
            eprintln!("error: {message}");
            return Ok(false);
        }
        Err(BacktestError::Store(e)) => return Err(e.into()),
    };
    let elapsed = started.elapsed();
    print_table(&report, had_baseline);
    eprintln!("replayed in {:.1} s", elapsed.as_secs_f64());
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("JSON report: {}", path.display());
    }
    if let Some(path) = &args.html {
        std::fs::write(
            path,
            arbiter_server::views::backtest::render_html(&report, had_baseline),
        )
        .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("HTML report: {}", path.display());
    }
    Ok(true)
}

fn print_table(report: &arbiter_rules::backtest::BacktestReport, had_baseline: bool) {
    let money = |m: &std::collections::BTreeMap<String, i64>| -> String {
        if m.is_empty() {
            return "-".into();
        }
        m.iter()
            .map(|(c, minor)| match arbiter_model::Currency::parse(c) {
                Ok(currency) => arbiter_model::Money::new(*minor, currency).to_string(),
                Err(_) => format!("{minor} {c}"),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let percent = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{:.0}%", v * 100.0));
    println!(
        "Backtest {} to {}: {} events, candidate beside {}",
        &report.from[..10],
        &report.to[..10],
        report.events,
        if had_baseline {
            "the ruleset in force"
        } else {
            "no ruleset"
        }
    );
    let transitions: Vec<String> = report
        .transitions
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    println!(
        "  decisions that change: {}{}",
        report.decisions_changed,
        if transitions.is_empty() {
            String::new()
        } else {
            format!(" ({})", transitions.join(", "))
        }
    );
    println!("  users affected:        {}", report.users_affected);
    println!("  money at stake:        {}", money(&report.money_at_stake));
    println!(
        "  users with a later bad outcome: {} ({})",
        report.bad_outcomes, report.outcome_source
    );
    println!();
    println!(
        "{:<28} {:<9} {:>7} {:>7} {:>10} {:>9} {:>7}  MONEY AT STAKE",
        "RULE", "SIDE", "HITS", "USERS", "PRECISION", "RECALL", "ERRORS"
    );
    for rule in &report.rules {
        println!(
            "{:<28} {:<9} {:>7} {:>7} {:>10} {:>9} {:>7}  {}",
            rule.rule_id,
            match rule.side {
                arbiter_rules::backtest::Side::Candidate => "candidate",
                arbiter_rules::backtest::Side::Baseline => "in force",
            },
            rule.hits,
            rule.users,
            percent(rule.precision),
            percent(rule.recall),
            rule.errors,
            money(&rule.money_at_stake)
        );
    }
}
