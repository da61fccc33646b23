//! The resolution center at scale: opening cases from 100,000 claims (eligibility, routing,
//! SLAs, reserves, automatic resolution, in intake's transactions), then listing the queues
//! of those open cases over HTTP with filters.

use anyhow::{Context, Result};
use clap::Args;
use std::time::{Duration, Instant};

#[derive(Args)]
pub struct CasesArgs {
    /// How many claims to file (each with the booking it names).
    #[arg(long, default_value_t = 100_000)]
    claims: usize,
    /// How many listing requests to time.
    #[arg(long, default_value_t = 2_000)]
    requests: usize,
    #[arg(long, default_value_t = 11)]
    seed: u64,
}

const MARKETS: [(&str, &str); 6] = [
    ("US", "USD"),
    ("CA", "CAD"),
    ("GB", "GBP"),
    ("FR", "EUR"),
    ("DE", "EUR"),
    ("ES", "EUR"),
];
const DAY: i64 = 86_400;

fn stamp(seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .map(arbiter_model::format_rfc3339)
        .unwrap_or_default()
}

/// A booking and a claim on it, for each of `count` Tasks, over the last 60 days.
fn history(count: usize, seed: u64) -> Vec<String> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut events = Vec::with_capacity(count * 2);
    for i in 0..count {
        let (market, currency) = MARKETS[rng.usize(..MARKETS.len())];
        let booked = now - 60 * DAY + (i as i64 * 60 * DAY / count as i64);
        let incident = booked + rng.i64(3_600..8 * 3_600);
        // Most claims in time; one in eight after the window.
        let filed = incident
            + if rng.u8(0..8) == 0 {
                rng.i64(15 * DAY..30 * DAY)
            } else {
                rng.i64(3_600..10 * DAY)
            };
        let kind = ["property_damage", "property_damage", "theft", "injury"][rng.usize(..4)];
        let claimed = rng.i64(3_000..1_500_000);
        let client = format!("c_{}", rng.usize(..count));
        let tasker = format!("k_{}", rng.usize(..count / 4 + 1));
        events.push(format!(
            r#"{{"id":"b_{i}","type":"task.booked","occurred_at":"{}","market":"{market}","actor":{{"id":"{client}","role":"client"}},"subject":{{"id":"{tasker}","role":"tasker"}},"task_id":"t_{i}","amount":{{"minor":20000,"currency":"{currency}"}},"data":{{"category":"cleaning"}}}}"#,
            stamp(booked)
        ));
        events.push(format!(
            r#"{{"id":"cl_{i}","type":"claim.filed","occurred_at":"{}","market":"{market}","actor":{{"id":"{client}","role":"client"}},"subject":{{"id":"{tasker}","role":"tasker"}},"task_id":"t_{i}","amount":{{"minor":{claimed},"currency":"{currency}"}},"data":{{"kind":"{kind}","incident_at":"{}","description":"Damaged during the Task."}}}}"#,
            stamp(filed),
            stamp(incident)
        ));
    }
    events.sort_by_cached_key(|e| {
        e.split("\"occurred_at\":\"")
            .nth(1)
            .map(|s| s[..20].to_owned())
    });
    events
}

pub fn cases(args: CasesArgs) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run(args))
}

async fn run(args: CasesArgs) -> Result<()> {
    let dir = crate::ingest::tempfile_dir()?;
    let path = dir.join("cases.db");
    let _ = std::fs::remove_file(&path);
    let url = format!("sqlite://{}", path.display());
    let store = arbiter_store::Store::open(&url).await?;
    eprintln!(
        "Filing {} claims and their bookings into {url}",
        args.claims
    );
    let events = history(args.claims, args.seed);
    for chunk in events.chunks(10_000) {
        let items = chunk
            .iter()
            .enumerate()
            .filter_map(|(i, line)| arbiter_model::parse_ndjson_line(i as u64 + 1, line))
            .collect();
        store.ingest_batch(items, 0).await?;
    }
    // Intake follows the decider; with no ruleset it passes every event as allowed.
    let last = store.last_event_seq().await?;
    let decider = arbiter_app::decider::Decider::start(
        store.clone(),
        std::sync::Arc::new(tokio::sync::Notify::new()),
    );
    while !decider.wait_for(last, Duration::from_secs(1)).await {}

    let config = arbiter_resolve::Config::default_config();
    let started = Instant::now();
    loop {
        if arbiter_app::intake::intake_once(&store, &config, 5_000).await? == 0 {
            break;
        }
    }
    let took = started.elapsed();
    let all = arbiter_store::CaseFilter::default();
    let open = arbiter_store::CaseFilter {
        states: arbiter_resolve::State::open_states().collect(),
        ..all.clone()
    };
    let opened = count(&store, &all).await?;
    let still_open = count(&store, &open).await?;
    println!(
        "Opening cases (claims → eligibility, routing, deadlines, reserve, automatic resolution), SQLite:"
    );
    println!(
        "  {opened} cases from {} claims in {:.1} s: {:.0} cases/s; {still_open} open, {} resolved automatically",
        args.claims,
        took.as_secs_f64(),
        opened as f64 / took.as_secs_f64(),
        opened - still_open
    );

    // Listing, over HTTP, as the console and integrations read the queues.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let token = arbiter_app::access::issue_token(
        &store,
        arbiter_store::TokenKind::Api,
        arbiter_model::Role::Agent,
        "bench",
        0,
    )
    .await?
    .secret;
    let state = arbiter_server::AppState::new(
        arbiter_app::App::start(store.clone(), arbiter_app::Settings::default()),
        Default::default(),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(arbiter_server::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();
    let queues = ["claims", "claims-risk", "general"];
    let mut rng = fastrand::Rng::with_seed(args.seed);
    let mut latencies = Vec::with_capacity(args.requests);
    let mut listed = 0usize;
    for i in 0..args.requests + 100 {
        let mut query = format!(
            "state=open&limit=50&queue={}",
            queues[rng.usize(..queues.len())]
        );
        if rng.bool() {
            query.push_str(&format!(
                "&market={}",
                MARKETS[rng.usize(..MARKETS.len())].0
            ));
        }
        if rng.u8(0..4) == 0 {
            query.push_str("&type=theft_claim");
        }
        let started = Instant::now();
        let response = client
            .get(format!("http://{address}/v1/cases?{query}"))
            .bearer_auth(&token)
            .send()
            .await?;
        let status = response.status();
        let body: serde_json::Value = response.json().await?;
        anyhow::ensure!(
            status.is_success(),
            "GET /v1/cases?{query}: {status} {body}"
        );
        // The first hundred warm the caches.
        if i >= 100 {
            latencies.push(started.elapsed());
            listed += body["cases"].as_array().map_or(0, Vec::len);
        }
    }
    latencies.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1_000.0;
    println!("Listing open cases by queue, market and type, 50 a page, over HTTP:");
    println!(
        "  {} requests ({} cases listed): p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        listed,
        ms(crate::decisions::percentile(&latencies, 0.50)),
        ms(crate::decisions::percentile(&latencies, 0.90)),
        ms(crate::decisions::percentile(&latencies, 0.99)),
        ms(*latencies.last().unwrap_or(&Duration::ZERO)),
    );
    let _ = stop.send(());
    server.await.context("the server task")??;
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

async fn count(store: &arbiter_store::Store, filter: &arbiter_store::CaseFilter) -> Result<usize> {
    let mut total = 0;
    let mut after = None;
    loop {
        let page = store.list_cases(filter, after, 1_000).await?;
        let Some(last) = page.last() else { break };
        after = Some((last.resolution_due, last.number));
        total += page.len();
    }
    Ok(total)
}
