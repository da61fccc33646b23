//! Bulk ingest from JSON Lines: a parsing thread feeds a writer, so both cores work and
//! memory holds at most a few batches whatever the size of the input.

use anyhow::{Context, Result};
use arbiter_model::{Event, IngestReport, Rejection};
use arbiter_store::Store;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{BufRead, Read};

/// Events per transaction: large commits amortise the index pages every commit rewrites.
const BATCH: usize = 25_000;
/// Batches parsed ahead of the writer.
const QUEUE: usize = 2;
/// Batches being stored at once.
const IN_FLIGHT: usize = 2;
/// Longest line accepted; a longer one is refused rather than buffered without end.
const MAX_LINE_BYTES: usize = 1024 * 1024;

/// Where lines come from, for the progress bar.
pub enum Source {
    /// A file of this many bytes.
    File(u64),
    /// A stream of unknown length.
    Stream,
    /// A generator of this many lines.
    Lines(u64),
}

fn progress(source: &Source) -> ProgressBar {
    let bar = match source {
        Source::File(bytes) => ProgressBar::new(*bytes).with_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {binary_bytes}/{binary_total_bytes} ({eta}) {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        Source::Lines(lines) => ProgressBar::new(*lines).with_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} events ({per_sec}, {eta}) {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        Source::Stream => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {human_pos} lines {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    };
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

type Batch = Vec<Result<Event, Rejection>>;

/// Reads JSON Lines from `input` and stores every valid event. Returns the report of all
/// batches; refused lines carry their 1-based line number in the input.
pub async fn ingest_lines<R: BufRead + Send + 'static>(
    store: &Store,
    input: R,
    source: Source,
) -> Result<IngestReport> {
    let bar = progress(&source);
    let by_bytes = matches!(source, Source::File(_));
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<(Batch, u64, u64)>(QUEUE);
    let parser = std::thread::spawn(move || -> Result<()> {
        let mut input = input;
        let mut batch = Vec::with_capacity(BATCH);
        let mut line = Vec::new();
        let mut number = 0u64;
        let (mut batch_lines, mut batch_bytes) = (0u64, 0u64);
        loop {
            line.clear();
            let mut read = input
                .by_ref()
                .take(MAX_LINE_BYTES as u64 + 1)
                .read_until(b'\n', &mut line)
                .context("reading the input")?;
            if read == 0 {
                break;
            }
            number += 1;
            let too_long = line.len() > MAX_LINE_BYTES && line.last() != Some(&b'\n');
            if too_long {
                read += skip_line(&mut input)?;
            }
            batch_lines += 1;
            batch_bytes += read as u64;
            let item = if too_long {
                Some(Err(Rejection {
                    line: number,
                    id: None,
                    error: format!("the line is longer than {MAX_LINE_BYTES} bytes"),
                }))
            } else {
                match std::str::from_utf8(&line) {
                    Ok(text) => arbiter_model::parse_ndjson_line(number, text),
                    Err(e) => Some(Err(Rejection {
                        line: number,
                        id: None,
                        error: format!("not UTF-8 (byte {} of the line)", e.valid_up_to() + 1),
                    })),
                }
            };
            batch.extend(item);
            if batch.len() >= BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                if sender
                    .blocking_send((full, batch_lines, batch_bytes))
                    .is_err()
                {
                    return Ok(()); // The writer stopped; it reports why.
                }
                (batch_lines, batch_bytes) = (0, 0);
            }
        }
        if batch_lines > 0 {
            let _ = sender.blocking_send((batch, batch_lines, batch_bytes));
        }
        Ok(())
    });

    let mut report = IngestReport::default();
    // Two batches in flight: while one commits, the next is bound and queued, and the store's
    // group commit may join them. Results are taken in order, so refusals stay in line order.
    let mut in_flight = std::collections::VecDeque::new();
    let mut more = true;
    while more || !in_flight.is_empty() {
        if more && in_flight.len() < IN_FLIGHT {
            match receiver.recv().await {
                Some((batch, lines, bytes)) => {
                    let store = store.clone();
                    let received_at = arbiter_model::to_micros(time::OffsetDateTime::now_utc());
                    let task =
                        tokio::spawn(async move { store.ingest_batch(batch, received_at).await });
                    in_flight.push_back((task, if by_bytes { bytes } else { lines }));
                }
                None => more = false,
            }
            continue;
        }
        let Some((task, progress)) = in_flight.pop_front() else {
            break;
        };
        let part = task
            .await
            .context("the writer stopped")?
            .context("storing events")?;
        report.absorb(part);
        bar.inc(progress);
        bar.set_message(format!(
            "{} stored, {} duplicates, {} refused",
            report.accepted,
            report.duplicates,
            report.rejected.len()
        ));
    }
    bar.finish_and_clear();
    parser
        .join()
        .map_err(|_| anyhow::anyhow!("the parsing thread panicked"))??;
    Ok(report)
}

/// Discards the rest of an over-long line; returns the bytes skipped.
fn skip_line(input: &mut impl BufRead) -> Result<usize> {
    let mut skipped = 0;
    loop {
        let buffer = input.fill_buf().context("reading the input")?;
        if buffer.is_empty() {
            return Ok(skipped);
        }
        match buffer.iter().position(|b| *b == b'\n') {
            Some(end) => {
                input.consume(end + 1);
                return Ok(skipped + end + 1);
            }
            None => {
                let n = buffer.len();
                input.consume(n);
                skipped += n;
            }
        }
    }
}

/// Prints what became of an ingest; refusals are listed with their line numbers.
pub fn print_summary(report: &IngestReport, shown: usize) {
    eprintln!(
        "{} events stored, {} duplicates skipped, {} lines refused",
        report.accepted,
        report.duplicates,
        report.rejected.len()
    );
    for rejection in report.rejected.iter().take(shown) {
        match &rejection.id {
            Some(id) => eprintln!("  line {} ({id}): {}", rejection.line, rejection.error),
            None => eprintln!("  line {}: {}", rejection.line, rejection.error),
        }
    }
    if report.rejected.len() > shown {
        eprintln!(
            "  … and {} more refused lines",
            report.rejected.len() - shown
        );
    }
}
