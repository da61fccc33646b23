//! Runs a backtest over the stored log: reads events in time order on one task while another
//! thread parses and replays them through the candidate and the ruleset in force.

use std::collections::HashMap;

use arbiter_model::{Event, Micros};
use arbiter_rules::backtest::{Backtest, BacktestReport};
use arbiter_rules::{Diagnostic, Facts, Lists};
use arbiter_store::{Store, StoreError};

/// How long after the range outcomes (chargebacks) are still read.
pub const OUTCOME_WINDOW: Micros = 90 * 86_400_000_000;
/// Where outcomes come from today.
pub const OUTCOME_SOURCE: &str = "chargebacks against the user within 90 days after the range";
const PAGE: i64 = 20_000;
/// Events may arrive out of time order; a day either side of the range covers them.
const SLACK: Micros = 86_400_000_000;

/// Most backtests replaying at once. Each holds a core for as long as it runs (seconds to
/// minutes); past this, another is refused rather than queued behind them.
pub const MAX_RUNNING: usize = 2;

static RUNNING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(MAX_RUNNING);

#[derive(Debug)]
pub enum BacktestError {
    /// [`MAX_RUNNING`] backtests are running already.
    Busy,
    DoesNotCheck(Vec<Diagnostic>),
    /// The range is empty or backwards, or holds no events; says what the log holds.
    EmptyRange(String),
    Store(StoreError),
}

impl From<StoreError> for BacktestError {
    fn from(e: StoreError) -> BacktestError {
        BacktestError::Store(e)
    }
}

impl std::fmt::Display for BacktestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BacktestError::DoesNotCheck(d) => write!(
                f,
                "the candidate rules do not check: {} error(s)",
                d.iter()
                    .filter(|d| d.severity == arbiter_rules::Severity::Error)
                    .count()
            ),
            BacktestError::Busy => write!(
                f,
                "{MAX_RUNNING} backtests are running already; try again when one has finished"
            ),
            BacktestError::EmptyRange(m) => f.write_str(m),
            BacktestError::Store(e) => write!(f, "{e}"),
        }
    }
}

/// Replays `[from, to)` through `candidate` beside the ruleset in force. `progress` hears
/// (events done, events in the range) as the replay goes.
pub async fn run(
    store: &Store,
    candidate: &str,
    from: Micros,
    to: Micros,
    progress: impl Fn(u64, u64) + Send + 'static,
) -> Result<BacktestReport, BacktestError> {
    let _running = RUNNING.try_acquire().map_err(|_| BacktestError::Busy)?;
    let candidate = match crate::cpu::compile(candidate).await {
        Ok((ruleset, _)) => ruleset,
        Err(diagnostics) => return Err(BacktestError::DoesNotCheck(diagnostics)),
    };
    if from >= to {
        return Err(BacktestError::EmptyRange(format!(
            "the range is empty: {} is not before {}",
            arbiter_model::format_micros(from),
            arbiter_model::format_micros(to)
        )));
    }
    let (count, first, last) = store.events_in_range(from, to).await?;
    if count == 0 {
        let held = match (first, last) {
            (Some(a), Some(b)) => format!(
                "the log holds events from {} to {}",
                arbiter_model::format_micros(a),
                arbiter_model::format_micros(b)
            ),
            _ => "the log is empty".to_owned(),
        };
        return Err(BacktestError::EmptyRange(format!(
            "no events occurred between {} and {}; {held}",
            arbiter_model::format_micros(from),
            arbiter_model::format_micros(to)
        )));
    }
    let baseline = match store.current_ruleset().await? {
        Some(record) => crate::cpu::compile(&record.source)
            .await
            .ok()
            .map(|(r, _)| r),
        None => None,
    };
    let lists: Lists = store
        .current_lists()
        .await?
        .into_iter()
        .map(|l| (l.name, l.entries.into_iter().collect()))
        .collect();
    let backtest = Backtest::new(candidate, baseline, from, to);
    let since = backtest
        .lookback()
        .map_or(Micros::MIN, |w| from.saturating_sub(w));

    // Reading and replaying overlap: pages flow through a short queue to a replay thread.
    let (pages, mut incoming) = tokio::sync::mpsc::channel::<Vec<arbiter_store::LoggedEvent>>(4);
    let replay = tokio::task::spawn_blocking(move || {
        let mut backtest = backtest;
        let mut done = 0u64;
        while let Some(page) = incoming.blocking_recv() {
            for logged in &page {
                if logged.occurred_at < since || logged.occurred_at >= to {
                    continue;
                }
                if let Ok((event, object)) = Event::parse_with_object(&logged.body) {
                    backtest.feed(
                        &Facts {
                            event: &event,
                            object: &object,
                        },
                        &lists,
                    );
                }
                if logged.occurred_at >= from {
                    done += 1;
                }
            }
            progress(done, count as u64);
        }
        backtest
    });
    // Events are replayed in log order, as the decider saw them, reading the table in its own
    // order (far cheaper than walking the time index). The span of the log to read runs from
    // the first event of the history to the last of the range, with a day of slack each side
    // for events that arrived out of time order.
    let Some((first, last)) = store
        .seq_span(since.saturating_sub(SLACK), to.saturating_add(SLACK))
        .await?
    else {
        drop(pages);
        return Err(BacktestError::EmptyRange("no events to replay".into()));
    };
    let mut after = first - 1;
    while after < last {
        let mut page = store.events_after(after, PAGE).await?;
        page.retain(|e| e.seq <= last);
        let Some(newest) = page.last() else { break };
        after = newest.seq;
        if pages.send(page).await.is_err() {
            break;
        }
    }
    drop(pages);
    let backtest = replay.await.map_err(|e| {
        BacktestError::Store(StoreError::Failed(format!("the replay stopped: {e}")))
    })?;
    let outcomes: HashMap<String, Micros> = store
        .bad_outcomes(from, to.saturating_add(OUTCOME_WINDOW))
        .await?
        .into_iter()
        .collect();
    Ok(backtest.finish(&outcomes, OUTCOME_SOURCE))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Past [`MAX_RUNNING`] backtests, another is refused at once, before it reads anything.
    #[tokio::test]
    async fn a_backtest_past_the_limit_is_refused() {
        let db = arbiter_store::testing::TestDatabase::new(arbiter_store::Backend::Sqlite)
            .await
            .unwrap();
        let store = db.open().await;
        let running = RUNNING.acquire_many(MAX_RUNNING as u32).await.unwrap();
        let refused = run(&store, "", 0, 1, |_, _| {}).await;
        assert!(matches!(refused, Err(BacktestError::Busy)), "{refused:?}");
        drop(running);
        let ran = run(&store, "", 0, 1, |_, _| {}).await;
        assert!(matches!(ran, Err(BacktestError::EmptyRange(_))), "{ran:?}");
    }
}
