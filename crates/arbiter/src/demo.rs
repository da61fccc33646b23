//! `arbiter demo`: a fresh embedded database, a synthetic marketplace, an admin, the server.

use crate::ingest;
use anyhow::{Context, Result};
use arbiter_model::Role;
use arbiter_store::{StaffUser, Store, TokenKind};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Clone, Copy, ValueEnum)]
pub enum Size {
    /// 50,000 events: ready in seconds.
    Small,
    /// 1,000,000 events.
    Medium,
    /// 10,000,000 events, for benchmarks.
    Large,
}

impl Size {
    fn events(self) -> u64 {
        match self {
            Size::Small => 50_000,
            Size::Medium => 1_000_000,
            Size::Large => 10_000_000,
        }
    }
}

#[derive(Args)]
pub struct DemoArgs {
    /// How large a marketplace to generate.
    #[arg(long, value_enum, default_value = "small")]
    size: Size,
    /// Random seed: the same seed and start give the same marketplace.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// First day of the history (YYYY-MM-DD) [default: a history that ends now].
    #[arg(long, value_name = "DATE")]
    start: Option<String>,
    /// Folder for the demo database; its previous demo database is replaced.
    #[arg(long, default_value = "arbiter-demo", value_name = "DIR")]
    dir: PathBuf,
    /// Address to listen on.
    #[arg(
        long,
        env = "ARBITER_LISTEN",
        default_value = "127.0.0.1:8080",
        value_name = "ADDR"
    )]
    listen: String,
    /// Prepare the database, print the sign-in details and exit without serving.
    #[arg(long)]
    no_serve: bool,
}

pub fn parse_date(text: &str) -> Result<time::Date> {
    time::Date::parse(
        text,
        &time::macros::format_description!("[year]-[month]-[day]"),
    )
    .with_context(|| format!("{text:?} is not a date in the form YYYY-MM-DD"))
}

pub async fn run(args: DemoArgs) -> Result<()> {
    let events = args.size.events();
    // By default the history ends at the moment the demo is made, so open cases are as fresh
    // as a real queue's and nothing happens after "now".
    let synth = match &args.start {
        Some(text) => arbiter_synth::Config::new(args.seed, events, parse_date(text)?),
        None => {
            arbiter_synth::Config::ending_at(args.seed, events, time::OffsetDateTime::now_utc())
        }
    };
    let start =
        (synth.start.midnight().assume_utc() + time::Duration::seconds(synth.shift_seconds)).date();
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create {}", args.dir.display()))?;
    let path = args.dir.join("arbiter.db");
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", path.display()));
        if file.exists() {
            std::fs::remove_file(&file)
                .with_context(|| format!("cannot replace {}", file.display()))?;
        }
    }
    let url = format!("sqlite://{}", path.display());
    let store = Store::open(&url).await?;

    // The policy library the rules cite, as a policy team would have written and reviewed it.
    let files: Vec<(String, String)> = arbiter_policy::STARTER_LIBRARY
        .iter()
        .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
        .collect();
    let documents = arbiter_policy::check_library(&files, &[]).map_err(|errors| {
        anyhow::anyhow!(
            "the starter library does not check: {}",
            errors.first().map(ToString::to_string).unwrap_or_default()
        )
    })?;
    let versions: Vec<_> = documents
        .iter()
        .map(|d| {
            arbiter_app::policies::new_version(
                d,
                "policy-team",
                Some("policy-lead"),
                "starter library",
            )
        })
        .collect();
    store
        .save_policy_versions(
            &versions,
            arbiter_model::to_micros(time::OffsetDateTime::now_utc()),
        )
        .await?;

    // The starter rules and their list go in first: the decider follows the log from its
    // first event, as it would for a marketplace that adopted them on day one.
    for (name, description, entries) in arbiter_rules::STARTER_LISTS {
        let entries: Vec<String> = entries.lines().map(str::to_owned).collect();
        store
            .put_list(
                name,
                description,
                &entries,
                "demo",
                arbiter_model::to_micros(time::OffsetDateTime::now_utc()),
                "starter list",
            )
            .await?;
    }
    arbiter_app::rulesets::publish_ruleset(
        &store,
        arbiter_rules::STARTER_PACK,
        "starter pack",
        "demo",
        None,
    )
    .await
    .map_err(|e| anyhow::anyhow!("the starter pack does not publish: {e}"))?;

    eprintln!(
        "Generating a marketplace of {events} events (seed {}, from {start}) into {url}",
        args.seed
    );
    let marketplace = arbiter_synth::Marketplace::new(synth);
    let lines = LinesReader::new(marketplace);
    let report = ingest::ingest_lines(&store, lines, ingest::Source::Lines(events)).await?;
    ingest::print_summary(&report, 5);
    if !report.rejected.is_empty() {
        anyhow::bail!("the generator produced events the log refuses: this is a bug");
    }

    decide_all(&store).await?;

    // Cases from the history's claims, reports and rule hits, worked as a team would have.
    let config = arbiter_resolve::Config::default_config();
    crate::demo_cases::open_all(&store, &config).await?;
    let end = store
        .latest_occurrence(i64::MAX)
        .await?
        .unwrap_or_else(|| arbiter_model::to_micros(time::OffsetDateTime::now_utc()));
    let worked = crate::demo_cases::work_all(&store, &config, args.seed, end).await?;
    eprintln!(
        "Opened {} cases: {} resolved automatically, {} decided by specialists ({} appealed, {} reopened), {} still open",
        worked.opened,
        worked.automated,
        worked.decided,
        worked.appealed,
        worked.reopened,
        worked.open
    );

    let password = arbiter_app::access::random_hex(12)?;
    let hash = arbiter_app::access::hash_password(&password).map_err(anyhow::Error::msg)?;
    let now = arbiter_model::to_micros(time::OffsetDateTime::now_utc());
    store
        .create_staff_user(
            &StaffUser {
                username: "admin".into(),
                password_hash: hash,
                role: Role::Admin,
            },
            now,
        )
        .await?;
    let token =
        arbiter_app::access::issue_token(&store, TokenKind::Api, Role::Admin, "demo", now).await?;

    let listener = if args.no_serve {
        None
    } else {
        Some(
            tokio::net::TcpListener::bind(&args.listen)
                .await
                .with_context(|| {
                    format!(
                        "cannot listen on {} (try --listen 127.0.0.1:0)",
                        args.listen
                    )
                })?,
        )
    };
    let base = match &listener {
        Some(l) => format!("http://{}", l.local_addr()?),
        None => format!("http://{}", args.listen),
    };
    println!();
    println!(
        "  Arbiter demo is ready: {} events in {url}",
        report.accepted
    );
    if listener.is_none() {
        println!(
            "  Serve it:  arbiter serve --db '{url}' --listen {}",
            args.listen
        );
    }
    println!("  Console:   {base}/console");
    println!("  Cases:     {base}/console/resolve");
    println!("  Policies:  {base}/console/policy  (help center: {base}/help)");
    println!("  Sign in:   admin / {password}");
    println!(
        "  API token: {}  (admin; try: curl -H 'Authorization: Bearer {}' '{base}/v1/events?limit=5')",
        token.secret, token.secret
    );
    println!("  API docs:  {base}/openapi.json");
    println!();
    let Some(listener) = listener else {
        store.close().await;
        return Ok(());
    };
    println!("  Press Ctrl-C to stop.");
    arbiter_server::serve(
        listener,
        arbiter_server::AppState::new(
            arbiter_app::App::start(store.clone(), arbiter_app::Settings::default()),
            Default::default(),
        ),
        crate::shutdown_signal(),
    )
    .await?;
    store.close().await;
    Ok(())
}

/// Runs the decider over the whole log, with a progress bar, and says what it found.
async fn decide_all(store: &Store) -> Result<()> {
    let last = store.last_event_seq().await?;
    let decider = arbiter_app::decider::Decider::start(
        store.clone(),
        std::sync::Arc::new(tokio::sync::Notify::new()),
    );
    let bar = indicatif::ProgressBar::new(last as u64).with_style(
        indicatif::ProgressStyle::with_template(
            "Deciding  [{bar:40}] {pos}/{len} events ({per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    while !decider
        .wait_for(last, std::time::Duration::from_millis(200))
        .await
    {
        bar.set_position(decider.progress().max(0) as u64);
    }
    bar.finish_and_clear();
    let counts = store.decision_counts(i64::MIN).await?;
    let total = |verdict: &str| -> i64 {
        counts
            .iter()
            .filter(|(v, _, _)| v == verdict)
            .map(|(_, _, n)| n)
            .sum()
    };
    let mut per_rule: std::collections::BTreeMap<String, i64> = Default::default();
    for (_, fired, n) in &counts {
        for rule in fired.split(',').filter(|r| !r.is_empty()) {
            *per_rule.entry(rule.to_owned()).or_default() += n;
        }
    }
    eprintln!(
        "Decided {last} events with the starter pack: {} to review, {} blocked",
        total("review"),
        total("block")
    );
    for (rule, n) in per_rule {
        eprintln!("  {n:>7}  {rule}");
    }
    Ok(())
}

/// Presents generated events as a JSON Lines stream, so the demo ingests exactly as a file would.
struct LinesReader<I> {
    lines: I,
    buffer: Vec<u8>,
    position: usize,
}

impl<I: Iterator<Item = String>> LinesReader<I> {
    fn new(lines: I) -> Self {
        LinesReader {
            lines,
            buffer: Vec::new(),
            position: 0,
        }
    }
}

impl<I: Iterator<Item = String>> std::io::Read for LinesReader<I> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let available = std::io::BufRead::fill_buf(self)?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        std::io::BufRead::consume(self, n);
        Ok(n)
    }
}

impl<I: Iterator<Item = String>> std::io::BufRead for LinesReader<I> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.position >= self.buffer.len() {
            self.buffer.clear();
            self.position = 0;
            if let Some(line) = self.lines.next() {
                self.buffer.extend_from_slice(line.as_bytes());
                self.buffer.push(b'\n');
            }
        }
        Ok(&self.buffer[self.position..])
    }

    fn consume(&mut self, amount: usize) {
        self.position += amount;
    }
}
