//! The ingest benchmark: the real `arbiter` binary, fed a generated history from a file and
//! over HTTP, into SQLite and PostgreSQL. Prints events per second and the peak resident
//! memory of the process doing the work.
//!
//! ```text
//! cargo build --release -p arbiter -p arbiter-bench
//! target/release/arbiter-bench ingest --events 100000,1000000,3000000 --repeat 3
//! ```
//!
//! PostgreSQL runs are included when `ARBITER_TEST_DATABASE_URL` (or `--postgres`) names a
//! server; each run gets a fresh schema.

use anyhow::{Context, Result, bail};
use arbiter_store::Backend;
use arbiter_store::testing::TestDatabase;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Measure ingest throughput and memory of the arbiter binary.
#[derive(clap::Args)]
pub struct IngestArgs {
    /// History sizes to run, comma-separated; memory should not grow with size.
    #[arg(long, value_delimiter = ',', default_value = "100000,1000000")]
    events: Vec<u64>,
    /// Events per HTTP request.
    #[arg(long, default_value_t = 1_000)]
    batch: usize,
    /// HTTP requests in flight at once.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// PostgreSQL server for the PostgreSQL runs.
    #[arg(long, env = "ARBITER_TEST_DATABASE_URL")]
    postgres: Option<String>,
    /// Runs of each scenario; the median (by time) is reported.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    repeat: u64,
    /// The arbiter binary [default: beside this one].
    #[arg(long)]
    arbiter: Option<PathBuf>,
}

struct Run {
    scenario: String,
    events: u64,
    seconds: f64,
    peak_rss_kib: u64,
}

pub fn run(args: IngestArgs) -> Result<()> {
    let arbiter = crate::arbiter_binary(args.arbiter.as_deref())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let work = tempfile_dir()?;
    let mut runs = Vec::new();
    let mut backends = vec![Backend::Sqlite];
    if args.postgres.is_some() {
        backends.push(Backend::Postgres);
    }
    for &events in &args.events {
        let file = work.join(format!("events-{events}.jsonl"));
        let started = Instant::now();
        let status = Command::new(&arbiter)
            .args([
                "generate",
                "--seed",
                "1",
                "--events",
                &events.to_string(),
                "--output",
            ])
            .arg(&file)
            .stderr(Stdio::null())
            .status()?;
        if !status.success() {
            bail!("arbiter generate failed");
        }
        eprintln!(
            "generated {events} events in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        crate::settle_disk();
        for &backend in &backends {
            let mut file_runs = Vec::new();
            let mut http_runs = Vec::new();
            for _ in 0..args.repeat {
                let db = runtime
                    .block_on(TestDatabase::new(backend))
                    .context("fresh database")?;
                file_runs.push(ingest_file(&arbiter, &db.url, &file, events, backend)?);
                drop(db);
                let db = runtime
                    .block_on(TestDatabase::new(backend))
                    .context("fresh database")?;
                http_runs.push(runtime.block_on(ingest_http(
                    &arbiter, &db.url, &file, events, backend, &args,
                ))?);
            }
            runs.push(median(file_runs));
            runs.push(median(http_runs));
        }
        let _ = std::fs::remove_file(&file);
    }
    println!();
    println!("| scenario | events | seconds | events/s | peak RSS (MiB) |");
    println!("|---|---:|---:|---:|---:|");
    for run in &runs {
        println!(
            "| {} | {} | {:.2} | {:.0} | {:.1} |",
            run.scenario,
            run.events,
            run.seconds,
            run.events as f64 / run.seconds,
            run.peak_rss_kib as f64 / 1024.0
        );
    }
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}

/// The run with the median time.
fn median(mut runs: Vec<Run>) -> Run {
    runs.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    let middle = runs.len() / 2;
    runs.swap_remove(middle)
}

pub(crate) fn tempfile_dir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("arbiter-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Waits for a child and returns its exit status and peak resident memory (KiB).
fn wait_with_peak(child: Child) -> Result<(bool, u64)> {
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if waited != pid {
        bail!("wait4 failed: {}", std::io::Error::last_os_error());
    }
    std::mem::forget(child); // Already reaped.
    Ok((
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        usage.ru_maxrss as u64,
    ))
}

fn ingest_file(
    arbiter: &Path,
    url: &str,
    file: &Path,
    events: u64,
    backend: Backend,
) -> Result<Run> {
    let started = Instant::now();
    let child = Command::new(arbiter)
        .args(["ingest", "--db", url])
        .arg(file)
        .stderr(Stdio::null())
        .spawn()?;
    let (ok, peak) = wait_with_peak(child)?;
    let seconds = started.elapsed().as_secs_f64();
    if !ok {
        bail!("arbiter ingest failed");
    }
    let run = Run {
        scenario: format!("file → {}", backend.as_str()),
        events,
        seconds,
        peak_rss_kib: peak,
    };
    eprintln!("{}: {:.0} events/s", run.scenario, events as f64 / seconds);
    Ok(run)
}

pub(crate) fn peak_rss_of(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

async fn ingest_http(
    arbiter: &Path,
    url: &str,
    file: &Path,
    events: u64,
    backend: Backend,
    args: &IngestArgs,
) -> Result<Run> {
    let token = Command::new(arbiter)
        .args([
            "token", "create", "--role", "analyst", "--label", "bench", "--db", url,
        ])
        .stderr(Stdio::null())
        .output()?;
    let token = String::from_utf8(token.stdout)?
        .split_whitespace()
        .last()
        .context("no token printed")?
        .to_owned();
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let address = format!("127.0.0.1:{port}");
    let mut server = Command::new(arbiter)
        .args(["serve", "--db", url, "--listen", &address, "--log", "warn"])
        .stderr(Stdio::null())
        .spawn()?;
    let client = reqwest::Client::new();
    let base = format!("http://{address}");
    let mut ready = false;
    for _ in 0..200 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if !ready {
        let _ = server.kill();
        bail!("the server did not start");
    }

    let reader = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(file)?);
    let limit = Arc::new(tokio::sync::Semaphore::new(args.concurrency));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let mut batch = String::new();
    let mut in_batch = 0;
    let mut lines = reader.lines();
    loop {
        let line = lines.next().transpose()?;
        if let Some(line) = &line {
            batch.push_str(line);
            batch.push('\n');
            in_batch += 1;
        }
        if in_batch == args.batch || (line.is_none() && in_batch > 0) {
            let permit = Arc::clone(&limit).acquire_owned().await?;
            let request = client
                .post(format!("{base}/v1/events"))
                .bearer_auth(&token)
                .header("content-type", "application/x-ndjson")
                .body(std::mem::take(&mut batch));
            in_batch = 0;
            tasks.spawn(async move {
                let response = request.send().await?;
                let status = response.status();
                drop(permit);
                if !status.is_success() {
                    anyhow::bail!("HTTP {status}");
                }
                Ok(())
            });
        }
        if line.is_none() {
            break;
        }
    }
    while let Some(result) = tasks.join_next().await {
        result??;
    }
    let seconds = started.elapsed().as_secs_f64();
    let peak = peak_rss_of(server.id());
    // SIGTERM: the server drains and exits cleanly.
    unsafe {
        libc::kill(server.id() as libc::pid_t, libc::SIGTERM);
    }
    let _ = server.wait();
    let run = Run {
        scenario: format!("HTTP → {} (batches of {})", backend.as_str(), args.batch),
        events,
        seconds,
        peak_rss_kib: peak,
    };
    eprintln!("{}: {:.0} events/s", run.scenario, events as f64 / seconds);
    Ok(run)
}
