//! Arbiter's benchmark harness. Each scenario runs real code on this machine and prints its
//! figures; BENCHMARKS.md records them with the command that produced them.
//!
//! ```text
//! cargo build --release -p arbiter -p arbiter-bench
//! target/release/arbiter-bench ingest --events 100000,1000000 --repeat 3
//! target/release/arbiter-bench rules --events 1000000
//! target/release/arbiter-bench decisions --rate 2000 --seconds 30
//! target/release/arbiter-bench backtest --events 10000000
//! target/release/arbiter-bench search --documents 10000
//! target/release/arbiter-bench cases --claims 100000
//! ```

mod cases;
mod decisions;
mod ingest;
mod load;
mod policy;

use anyhow::{Result, bail};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};

#[derive(Parser)]
#[command(name = "arbiter-bench", about = "Measure Arbiter on this machine.")]
struct Cli {
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Subcommand)]
enum Scenario {
    /// Ingest throughput and memory: file and HTTP, SQLite and PostgreSQL.
    Ingest(ingest::IngestArgs),
    /// In-process evaluation of the starter pack, from event bytes to decision, on one core.
    Rules(decisions::RulesArgs),
    /// POST /v1/decisions latency at a fixed request rate, on SQLite.
    Decisions(decisions::DecisionsArgs),
    /// A backtest of the starter pack over a stored history.
    Backtest(decisions::BacktestArgs),
    /// Policy search over a generated library: index build and query latency.
    Search(policy::SearchArgs),
    /// Cases opened from 100,000 claims, and their queues listed with filters over HTTP.
    Cases(cases::CasesArgs),
}

fn main() -> Result<()> {
    match Cli::parse().scenario {
        Scenario::Ingest(args) => ingest::run(args),
        Scenario::Rules(args) => decisions::rules(args),
        Scenario::Decisions(args) => decisions::decisions(args),
        Scenario::Backtest(args) => decisions::backtest(args),
        Scenario::Search(args) => policy::search(args),
        Scenario::Cases(args) => cases::cases(args),
    }
}

/// The arbiter binary: `path`, or the one beside this harness.
pub(crate) fn arbiter_binary(path: Option<&Path>) -> Result<PathBuf> {
    let binary = match path {
        Some(path) => path.to_owned(),
        None => std::env::current_exe()?
            .parent()
            .ok_or_else(|| anyhow::anyhow!("no folder for this binary"))?
            .join("arbiter"),
    };
    if !binary.is_file() {
        bail!(
            "{} not found: build it with `cargo build --release -p arbiter`",
            binary.display()
        );
    }
    Ok(binary)
}

/// Writes out whatever setting up left in the page cache (generated files, above all), so that
/// the kernel does not write it back in the middle of a measured run, some 30 s after it was
/// written, with every commit of the run waiting behind it.
pub(crate) fn settle_disk() {
    // SAFETY: sync(2) takes no arguments and always succeeds.
    unsafe { libc::sync() };
}
