//! Policy search over a large library: index build time and query latency.

use anyhow::Result;
use arbiter_policy::{Document, SearchFilter, SearchIndex, parse_document};
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct SearchArgs {
    /// Documents in the library.
    #[arg(long, default_value_t = 10_000)]
    documents: usize,
    /// Queries to time.
    #[arg(long, default_value_t = 2_000)]
    queries: usize,
    /// Random seed for the generated library.
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

/// Queries as staff type them: words, phrases, typos, filters left to the caller.
const QUERIES: &[&str] = &[
    "filing window claims",
    "off-platform payment",
    "\"payment apps\"",
    "chargebak",
    "verificaton identity",
    "no-show refund",
    "reviews related accounts",
    "disposable email",
    "paiement hors plateforme",
    "Stornierung Gebühr",
    "reembolso cancelación",
    "tasker late cancellation repeated",
    "guarantee limit per claim",
    "\"within 14 days\"",
    "harassment threats",
    "vehicles excluded",
];

/// The starter library, repeated with variations until `count` documents: each copy gets its
/// own id, a language among four, markets, and some of its words swapped for others, so that
/// postings and vocabulary grow as in a real library.
fn library(count: usize, seed: u64) -> Vec<Document> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let starter: Vec<Document> = arbiter_policy::STARTER_LIBRARY
        .iter()
        .map(|(_, text)| parse_document(text).expect("the starter library checks"))
        .collect();
    let vocabulary: Vec<&str> = starter
        .iter()
        .flat_map(|d| d.body.split_whitespace())
        .collect();
    let locales = ["en", "fr", "de", "es"];
    let markets = ["FR", "DE", "ES", "GB", "US", "IT", "NL", "BE"];
    (0..count)
        .map(|n| {
            let mut document = starter[n % starter.len()].clone();
            document.id = format!("GEN-{n:06}");
            document.locale = locales[rng.usize(..locales.len())].to_owned();
            document.markets = vec![markets[rng.usize(..markets.len())].to_owned()];
            document.variant_of = None;
            document.body = document
                .body
                .lines()
                .map(|line| {
                    if line.starts_with('#') {
                        return line.to_owned();
                    }
                    line.split_whitespace()
                        .map(|w| {
                            if rng.u8(..10) == 0 {
                                format!(
                                    "{}{}",
                                    vocabulary[rng.usize(..vocabulary.len())],
                                    rng.u8(..40)
                                )
                            } else {
                                w.to_owned()
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect::<Vec<_>>()
                .join("\n");
            document
        })
        .collect()
}

pub fn search(args: SearchArgs) -> Result<()> {
    let documents = library(args.documents, args.seed);
    let bytes: usize = documents.iter().map(|d| d.body.len()).sum();
    let started = Instant::now();
    let index = SearchIndex::build(documents);
    let build = started.elapsed();
    println!(
        "policy search: {} documents ({:.1} MB of Markdown), index built in {:.2} s",
        index.len(),
        bytes as f64 / 1e6,
        build.as_secs_f64()
    );
    let filters = [
        SearchFilter::default(),
        SearchFilter {
            locale: Some("en".into()),
            ..SearchFilter::default()
        },
        SearchFilter {
            market: Some("FR".into()),
            kind: Some(arbiter_policy::Kind::Policy),
            ..SearchFilter::default()
        },
    ];
    let mut took: Vec<Duration> = Vec::with_capacity(args.queries);
    let mut found = 0usize;
    for n in 0..args.queries {
        let query = QUERIES[n % QUERIES.len()];
        let filter = &filters[(n / QUERIES.len()) % filters.len()];
        let started = Instant::now();
        let hits = index.search(query, filter, 20)?;
        took.push(started.elapsed());
        found += usize::from(!hits.is_empty());
    }
    if std::env::var_os("ARBITER_BENCH_BY_QUERY").is_some() {
        for query in QUERIES {
            let started = Instant::now();
            for _ in 0..10 {
                index.search(query, &filters[0], 20)?;
            }
            println!(
                "  {query:<40} {:.2} ms",
                started.elapsed().as_secs_f64() * 100.0
            );
        }
    }
    took.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let at = |p: f64| took[((took.len() as f64 * p) as usize).min(took.len() - 1)];
    println!(
        "  {} queries ({} kinds, three filters), {} with results: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        took.len(),
        QUERIES.len(),
        found,
        ms(at(0.50)),
        ms(at(0.90)),
        ms(at(0.99)),
        ms(took[took.len() - 1])
    );
    Ok(())
}
