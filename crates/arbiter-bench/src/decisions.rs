//! Protect benchmarks: the rule engine in process, decisions over HTTP, and backtests.

use anyhow::{Context, Result, bail};
use arbiter_model::Event;
use arbiter_rules::{Engine, Facts, Lists, Verdict};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn starter_lists() -> Lists {
    arbiter_rules::STARTER_LISTS
        .iter()
        .map(|(name, _, entries)| {
            (
                name.to_string(),
                entries.lines().map(str::to_owned).collect(),
            )
        })
        .collect()
}

fn history(events: u64, seed: u64) -> Vec<String> {
    let start = time::macros::date!(2026 - 06 - 01);
    arbiter_synth::Marketplace::new(arbiter_synth::Config::new(seed, events, start)).collect()
}

#[derive(clap::Args)]
pub struct RulesArgs {
    /// Events generated and decided.
    #[arg(long, default_value_t = 1_000_000)]
    events: u64,
    /// Runs; the median is reported.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// A rule file to measure instead of the starter pack (with the starter pack's lists),
    /// to compare two versions of a pack on the same machine.
    #[arg(long)]
    rules: Option<std::path::PathBuf>,
}

/// Decides every event of a generated history on one thread, from its bytes.
pub fn rules(args: RulesArgs) -> Result<()> {
    let source = match &args.rules {
        Some(path) => std::fs::read_to_string(path)?,
        None => arbiter_rules::STARTER_PACK.to_owned(),
    };
    let ruleset = Arc::new(
        arbiter_rules::compile(&source)
            .map_err(|_| anyhow::anyhow!("the pack does not check"))?
            .0,
    );
    let lists = starter_lists();
    eprintln!("generating {} events", args.events);
    let events = history(args.events, 1);
    let bytes: usize = events.iter().map(String::len).sum();

    let mut runs = Vec::new();
    let mut verdicts = [0u64; 3];
    for _ in 0..args.repeat {
        let mut engine = Engine::new(ruleset.clone());
        verdicts = [0; 3];
        let started = Instant::now();
        for text in &events {
            let (event, object) =
                Event::parse_with_object(text).expect("generated events are valid");
            let decision = engine.decide(
                &Facts {
                    event: &event,
                    object: &object,
                },
                &lists,
            );
            verdicts[decision.verdict as usize] += 1;
        }
        runs.push(started.elapsed());
    }
    runs.sort();
    let median = runs[runs.len() / 2];
    let per_second = args.events as f64 / median.as_secs_f64();
    println!(
        "{}, {} rules, {} events ({:.0} MB of JSON), one thread:",
        match &args.rules {
            Some(path) => path.display().to_string(),
            None => "starter pack".to_owned(),
        },
        ruleset.rules.len(),
        args.events,
        bytes as f64 / 1e6
    );
    println!(
        "  median of {}: {:.2} s = {:.0} events/s per core, {:.0} ns per event",
        args.repeat,
        median.as_secs_f64(),
        per_second,
        median.as_nanos() as f64 / args.events as f64
    );
    println!(
        "  runs: {}",
        runs.iter()
            .map(|r| format!("{:.2} s", r.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "  verdicts: {} allow, {} review, {} block",
        verdicts[Verdict::Allow as usize],
        verdicts[Verdict::Review as usize],
        verdicts[Verdict::Block as usize]
    );

    // Where the time goes: parsing alone.
    let started = Instant::now();
    for text in &events {
        std::hint::black_box(Event::parse_with_object(text).expect("valid"));
    }
    let parse = started.elapsed();
    println!(
        "  of which JSON parsing and validation: {:.0} ns per event",
        parse.as_nanos() as f64 / args.events as f64
    );

    // Message text: the messages alone, through the pack, and the contact scanner alone.
    let messages: Vec<&String> = events
        .iter()
        .filter(|e| e.contains(r#""type":"message.sent""#))
        .collect();
    let texts: Vec<String> = messages
        .iter()
        .map(|m| {
            serde_json::from_str::<serde_json::Value>(m).expect("valid")["data"]["text"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    let text_bytes: usize = texts.iter().map(String::len).sum();
    let mut engine = Engine::new(ruleset.clone());
    let started = Instant::now();
    for text in &messages {
        let (event, object) = Event::parse_with_object(text).expect("valid");
        std::hint::black_box(engine.decide(
            &Facts {
                event: &event,
                object: &object,
            },
            &lists,
        ));
    }
    let through_pack = started.elapsed();
    let started = Instant::now();
    let mut found = 0;
    for _ in 0..5 {
        for text in &texts {
            found +=
                usize::from(std::hint::black_box(arbiter_rules::contact::scan(text)).contact());
        }
    }
    let scan = started.elapsed() / 5;
    println!(
        "message.sent: {} messages, {:.1} MB of text; through the pack {:.1} MB/s of text ({:.0} messages/s); contact scanner alone {:.1} MB/s ({} with contact details)",
        messages.len(),
        text_bytes as f64 / 1e6,
        text_bytes as f64 / 1e6 / through_pack.as_secs_f64(),
        messages.len() as f64 / through_pack.as_secs_f64(),
        text_bytes as f64 / 1e6 / scan.as_secs_f64(),
        found / 5
    );
    Ok(())
}

#[derive(clap::Args)]
pub struct DecisionsArgs {
    /// Requests per second, sent on schedule whatever the answers (open loop).
    #[arg(long, default_value_t = 2_000)]
    rate: u64,
    /// How long to send.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Events stored before the run, so that the log and the velocity state are not empty.
    #[arg(long, default_value_t = 200_000)]
    history: u64,
    /// The arbiter binary [default: beside this one].
    #[arg(long)]
    arbiter: Option<PathBuf>,
    /// The endpoint to load: `/v1/decisions`, or `/v1/events` to see what storing the event
    /// alone costs, without the decision.
    #[arg(long, default_value = "/v1/decisions")]
    endpoint: String,
    /// Seconds of load at the same rate before the measured run.
    #[arg(long, default_value_t = 3)]
    warm_up: u64,
    /// Connections the load is spread over, each with a thread of its own.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Writes each request's due time and latency to this file (milliseconds).
    #[arg(long)]
    trace: Option<PathBuf>,
}

/// Runs `arbiter` with `args`, failing with its output when it fails.
fn arbiter(binary: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(binary)
        .args(args)
        .stderr(Stdio::piped())
        .output()?;
    if !out.status.success() {
        bail!(
            "arbiter {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// A fresh SQLite database with the starter pack published and `events` of history.
fn prepared_database(binary: &Path, dir: &Path, events: u64) -> Result<String> {
    let url = format!("sqlite://{}", dir.join("bench.db").display());
    let lists = dir.join("disposable_domains.txt");
    std::fs::write(&lists, arbiter_rules::STARTER_LISTS[0].2)?;
    arbiter(
        binary,
        &[
            "lists",
            "load",
            "disposable_domains",
            lists.to_str().unwrap(),
            "--db",
            &url,
        ],
    )?;
    let pack = dir.join("pack.rules");
    std::fs::write(&pack, arbiter_rules::STARTER_PACK)?;
    arbiter(
        binary,
        &["rules", "publish", pack.to_str().unwrap(), "--db", &url],
    )?;
    if events > 0 {
        let file = dir.join("history.jsonl");
        eprintln!("generating and storing {events} events of history");
        arbiter(
            binary,
            &[
                "generate",
                "--events",
                &events.to_string(),
                "--seed",
                "1",
                "--start",
                "2026-06-01",
                "-o",
                file.to_str().unwrap(),
            ],
        )?;
        let started = Instant::now();
        arbiter(binary, &["ingest", file.to_str().unwrap(), "--db", &url])?;
        eprintln!("stored in {:.1} s", started.elapsed().as_secs_f64());
        // Removed before the kernel writes it out (some 30 s after it was written, in the
        // middle of a measured run).
        std::fs::remove_file(&file)?;
    }
    crate::settle_disk();
    Ok(url)
}

/// The p50, p90, p99 and p99.9 of the server's answers to `endpoint` with status 200, in
/// seconds, as its Prometheus summary reports them.
/// Totals read from the server's `/metrics`: the requests to `endpoint` (count, seconds) and
/// the store's group commits (count, seconds, writes).
#[derive(Clone, Copy, Default)]
struct ServerTotals {
    requests: f64,
    request_seconds: f64,
    commits: f64,
    commit_seconds: f64,
    writes: f64,
}

async fn server_totals(base: &str, endpoint: &str) -> Result<ServerTotals> {
    let text = reqwest::Client::new()
        .get(format!("{base}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    let value = |name: &str, labels: &[&str]| -> f64 {
        text.lines()
            .filter(|l| l.starts_with(name) && l[name.len()..].starts_with(['{', ' ']))
            .filter(|l| labels.iter().all(|label| l.contains(label)))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    let route = format!("route=\"{endpoint}\"");
    let labels = [route.as_str(), "status=\"200\""];
    Ok(ServerTotals {
        requests: value("arbiter_http_request_duration_seconds_count", &labels),
        request_seconds: value("arbiter_http_request_duration_seconds_sum", &labels),
        commits: value("arbiter_store_commit_seconds_count", &[]),
        commit_seconds: value("arbiter_store_commit_seconds_sum", &[]),
        writes: value("arbiter_store_committed_writes_total", &[]),
    })
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

/// Sends single events to POST /v1/decisions at a fixed rate and reports latency percentiles,
/// measured from when each request was due (so a slow answer cannot hide the ones behind it).
pub fn decisions(args: DecisionsArgs) -> Result<()> {
    let binary = crate::arbiter_binary(args.arbiter.as_deref())?;
    let dir = crate::ingest::tempfile_dir()?;
    let url = prepared_database(&binary, &dir, args.history)?;
    let (sync_p50, sync_p99) = disk_sync_latency(&dir)?;
    let token = arbiter(
        &binary,
        &[
            "token", "create", "--role", "analyst", "--label", "bench", "--db", &url,
        ],
    )?
    .split_whitespace()
    .last()
    .context("no token printed")?
    .to_owned();
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let address = format!("127.0.0.1:{port}");
    let mut server = Command::new(&binary)
        .args(["serve", "--db", &url, "--listen", &address, "--log", "warn"])
        .stderr(Stdio::null())
        .spawn()?;
    let total = args.rate * args.seconds;
    let warm = args.rate * args.warm_up;
    // Later events of the same marketplace, with ids of their own: first those of the warm-up.
    let mut warm_bodies: Vec<String> = history(args.history + warm + total, 1)
        .into_iter()
        .skip(args.history as usize)
        .map(|e| e.replacen(r#""id":"evt_"#, r#""id":"lat_"#, 1))
        .collect();
    let bodies = warm_bodies.split_off(warm as usize);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(async {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(512)
            .build()?;
        let base = format!("http://{address}");
        for _ in 0..100 {
            if client
                .get(format!("{base}/healthz"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // `/v1/events` takes a batch: one event as one line of JSON Lines.
        let content_type = if args.endpoint.ends_with("/events") {
            "application/x-ndjson"
        } else {
            "application/json"
        };
        // Warm up at the same rate (the server's caches, the decider, the disk), unmeasured.
        tokio::task::block_in_place(|| {
            crate::load::run(crate::load::Load {
                address: &address,
                path: &args.endpoint,
                token: &token,
                content_type,
                bodies: warm_bodies,
                rate: args.rate,
                connections: args.connections,
            })
        })?;
        let before = server_totals(&base, &args.endpoint).await?;
        let (samples, wall) = tokio::task::block_in_place(|| {
            crate::load::run(crate::load::Load {
                address: &address,
                path: &args.endpoint,
                token: &token,
                content_type,
                bodies,
                rate: args.rate,
                connections: args.connections,
            })
        })?;
        if let Some(path) = &args.trace {
            let mut trace = String::from("due_ms latency_ms ok\n");
            for s in &samples {
                use std::fmt::Write as _;
                let _ = writeln!(
                    trace,
                    "{:.3} {:.3} {}",
                    s.due.as_secs_f64() * 1e3,
                    s.latency.as_secs_f64() * 1e3,
                    u8::from(s.ok)
                );
            }
            std::fs::write(path, trace)?;
        }
        let errors = samples.iter().filter(|s| !s.ok).count();
        let latencies: Vec<Duration> = samples.iter().filter(|s| s.ok).map(|s| s.latency).collect();
        // The server's own view of the same requests, from its /metrics, to tell time spent
        // inside it from time spent reaching it.
        let after = server_totals(&base, &args.endpoint).await?;
        let inside = ServerTotals {
            requests: after.requests - before.requests,
            request_seconds: after.request_seconds - before.request_seconds,
            commits: after.commits - before.commits,
            commit_seconds: after.commit_seconds - before.commit_seconds,
            writes: after.writes - before.writes,
        };
        anyhow::Ok((latencies, errors, wall, inside))
    });
    let _ = server.kill();
    let _ = server.wait();
    let (mut latencies, errors, wall, inside) = result?;
    latencies.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "POST {} on SQLite, starter pack, {} events of history: {} requests at {} per second for {} s ({:.0}/s achieved), {} errors",
        args.endpoint,
        args.history,
        latencies.len() + errors,
        args.rate,
        args.seconds,
        (latencies.len() + errors) as f64 / wall.as_secs_f64(),
        errors
    );
    println!(
        "  latency p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms",
        ms(percentile(&latencies, 0.50)),
        ms(percentile(&latencies, 0.90)),
        ms(percentile(&latencies, 0.99)),
        ms(percentile(&latencies, 0.999)),
        ms(latencies.last().copied().unwrap_or_default())
    );
    println!(
        "  inside the server (its /metrics): answers took {:.2} ms on average; {:.0} group commits a second of {:.2} ms on average, {:.2} writes each",
        inside.request_seconds / inside.requests.max(1.0) * 1e3,
        inside.commits / wall.as_secs_f64(),
        inside.commit_seconds / inside.commits.max(1.0) * 1e3,
        inside.writes / inside.commits.max(1.0)
    );
    println!(
        "  floor: a synchronous commit waits for the disk, here fdatasync p50 {:.2} ms, p99 {:.2} ms",
        ms(sync_p50),
        ms(sync_p99)
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// How long the disk under `dir` takes to make 4 KiB appends durable, as every acknowledged
/// commit must: the floor under any synchronous answer. The p50 and p99 of 2,000 syncs.
fn disk_sync_latency(dir: &Path) -> Result<(Duration, Duration)> {
    use std::io::Write;
    let path = dir.join("sync-probe");
    let mut file = std::fs::File::create(&path)?;
    let page = [0u8; 4096];
    let mut took = Vec::with_capacity(2_000);
    for _ in 0..2_000 {
        file.write_all(&page)?;
        let started = std::time::Instant::now();
        file.sync_data()?;
        took.push(started.elapsed());
    }
    drop(file);
    std::fs::remove_file(&path)?;
    took.sort();
    Ok((percentile(&took, 0.50), percentile(&took, 0.99)))
}

#[derive(clap::Args)]
pub struct BacktestArgs {
    /// Events of history to store and replay.
    #[arg(long, default_value_t = 1_000_000)]
    events: u64,
    /// The arbiter binary [default: beside this one].
    #[arg(long)]
    arbiter: Option<PathBuf>,
}

/// Stores a history, then times `arbiter backtest` of the starter pack over all of it.
pub fn backtest(args: BacktestArgs) -> Result<()> {
    let binary = crate::arbiter_binary(args.arbiter.as_deref())?;
    let dir = crate::ingest::tempfile_dir()?;
    let url = prepared_database(&binary, &dir, args.events)?;
    let pack = dir.join("candidate.rules");
    std::fs::write(
        &pack,
        arbiter_rules::STARTER_PACK.replace("claims_90d >= 3", "claims_90d >= 2"),
    )?;
    let json = dir.join("report.json");
    let started = Instant::now();
    arbiter(
        &binary,
        &[
            "backtest",
            "--rules",
            pack.to_str().unwrap(),
            "--from",
            "2026-01-01",
            "--to",
            "2027-12-31",
            "--json",
            json.to_str().unwrap(),
            "--db",
            &url,
        ],
    )?;
    let elapsed = started.elapsed();
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json)?)?;
    println!(
        "backtest of the starter pack (candidate: serial claims at 2) beside the pack in force: {} events in {:.1} s = {:.0} events/s; {} decisions change",
        report["events"],
        elapsed.as_secs_f64(),
        report["events"].as_f64().unwrap_or(0.0) / elapsed.as_secs_f64(),
        report["decisions_changed"]
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
