//! The console's home: what a Trust & Safety lead or a specialist asks first. Decisions sent
//! to review and blocked per day, open cases and breaches per queue, how fast cases are
//! answered and resolved, net losses this month, the rules that fire most and their trend, and
//! policy reviews due. Every figure links to the records behind it. It reads the decisions,
//! cases and ledger tables (their recent end), never the event log, so it answers as fast on
//! a large log as on a small one.

use super::{AREAS, Area, SignedIn, Staff, percent_encode, render};
use crate::AppState;
use crate::views::{LineChart, grouped};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;

const DAY: i64 = 86_400_000_000;
/// Days of decisions charted.
const CHART_DAYS: i64 = 30;
/// Days of a rule's hits compared with the days before them.
const TREND_DAYS: i64 = 7;
/// Rules listed.
const TOP_RULES: usize = 10;
/// Most cases read for the response and resolution times.
const TIMED_CASES: i64 = 5_000;

pub(crate) struct QueueRow {
    queue: String,
    href: String,
    open: String,
    breached: String,
    any_breached: bool,
}

pub(crate) struct RuleTrend {
    rule: String,
    href: String,
    recent: String,
    before: String,
    /// `+12`, `−3`, `new`.
    change: String,
}

pub(crate) struct LossRow {
    market: String,
    net: String,
    payouts: String,
    recoveries: String,
}

pub(crate) struct DueRow {
    id: String,
    title: String,
    due: String,
}

#[derive(Template)]
#[template(path = "overview.html")]
pub(crate) struct HomePage {
    signed_in: Option<SignedIn>,
    area: &'static str,
    areas: &'static [Area],
    /// Whether to link the staff page (admins).
    manages_access: bool,
    events_text: String,
    chart: LineChart,
    /// `(day, reviews, blocks)`, for the table under the chart.
    days: Vec<(String, i64, i64)>,
    reviews_total: String,
    blocks_total: String,
    queues: Vec<QueueRow>,
    open_total: String,
    breached_total: String,
    /// `(what, median, 90th percentile, cases measured)`.
    times: Vec<(&'static str, String, String, String)>,
    month: String,
    losses: Vec<LossRow>,
    rules: Vec<RuleTrend>,
    due: Vec<DueRow>,
    awaiting_review: usize,
}

/// `d h m` of a duration in microseconds.
fn duration(us: i64) -> String {
    let minutes = us / 60_000_000;
    let (days, hours, minutes) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    match (days, hours) {
        (0, 0) => format!("{minutes} min"),
        (0, _) => format!("{hours} h {minutes} min"),
        _ => format!("{days} d {hours} h"),
    }
}

/// The value below which `share` of `sorted` lies (nearest rank).
fn percentile(sorted: &[i64], share: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((share * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

fn day_text(day: i64) -> String {
    arbiter_model::format_micros(day * DAY)[..10].to_owned()
}

fn money(minor: i64, currency: &str) -> String {
    match arbiter_model::Currency::parse(currency) {
        Ok(c) => arbiter_model::Money::new(minor, c).to_string(),
        Err(_) => format!("{minor} {currency}"),
    }
}

/// The home page.
#[utoipa::path(get, path = "/console", tag = "console",
    responses((status = 200, description = "HTML", content_type = "text/html"), (status = 303, description = "To sign-in")))]
pub(crate) async fn overview(State(state): State<AppState>, Staff(caller): Staff) -> Response {
    match home(&state).await {
        Ok(mut page) => {
            page.manages_access = caller.role.allows(arbiter_model::Permission::ManageAccess);
            page.signed_in = Some(SignedIn::from(&caller));
            render(&page)
        }
        Err(problem) => problem.into_response(),
    }
}

async fn home(state: &AppState) -> Result<HomePage, crate::problem::Problem> {
    let store = state.store();
    let now = arbiter_app::now();
    let today = now.div_euclid(DAY);
    let first_day = today - CHART_DAYS + 1;

    // Decisions per day, by verdict.
    let mut per_day: BTreeMap<i64, (i64, i64)> = (first_day..=today).map(|d| (d, (0, 0))).collect();
    for (day, verdict, count) in store.verdicts_per_day(first_day * DAY).await? {
        if let Some(slot) = per_day.get_mut(&day) {
            match verdict.as_str() {
                "review" => slot.0 += count,
                "block" => slot.1 += count,
                _ => {}
            }
        }
    }
    let labels: Vec<String> = per_day.keys().map(|d| day_text(*d)).collect();
    let reviews: Vec<u64> = per_day.values().map(|v| v.0 as u64).collect();
    let blocks: Vec<u64> = per_day.values().map(|v| v.1 as u64).collect();
    let chart = LineChart::new(
        ("decisions-per-day", "Decisions per day", "events"),
        &labels,
        ("sent to review", &reviews),
        ("blocked", &blocks),
    );
    let days = per_day
        .iter()
        .rev()
        .map(|(d, (r, b))| (day_text(*d), *r, *b))
        .collect();

    // Open cases and breaches per queue.
    let counts = store.queue_counts(now).await?;
    let queues: Vec<QueueRow> = counts
        .iter()
        .map(|(queue, open, breached)| QueueRow {
            href: format!("/console/resolve?queue={}", percent_encode(queue)),
            queue: queue.clone(),
            open: grouped(*open),
            breached: grouped(*breached),
            any_breached: *breached > 0,
        })
        .collect();

    // Response and resolution times of the cases opened in the charted days.
    let timed = store.case_times(first_day * DAY, TIMED_CASES).await?;
    let mut first: Vec<i64> = timed
        .iter()
        .filter_map(|c| Some(c.first_response_at? - c.opened_at))
        .collect();
    let mut resolved: Vec<i64> = timed
        .iter()
        .filter_map(|c| Some(c.resolved_at? - c.opened_at))
        .collect();
    first.sort_unstable();
    resolved.sort_unstable();
    let times = [
        ("Time to first response", &first),
        ("Time to resolution", &resolved),
    ]
    .into_iter()
    .map(|(what, values)| {
        let show = |share| percentile(values, share).map_or_else(|| "–".to_owned(), duration);
        (what, show(0.5), show(0.9), grouped(values.len() as i64))
    })
    .collect();

    // Net losses this month, per market in its currency.
    let month_start = arbiter_model::from_micros(now)
        .and_then(|t| t.replace_day(1).ok())
        .map(|t| arbiter_model::to_micros(t.replace_time(time::Time::MIDNIGHT)))
        .unwrap_or(now);
    let month = arbiter_model::format_micros(month_start)[..7].to_owned();
    let losses = crate::api::cases::period_totals(state, month_start, now + 1, None)
        .await?
        .into_iter()
        .map(|t| LossRow {
            net: money(t.net_loss, &t.currency),
            payouts: money(t.payouts, &t.currency),
            recoveries: money(t.recoveries, &t.currency),
            market: t.market,
        })
        .collect();

    // The rules that fired most in the last days, against the days before.
    let split = today - TREND_DAYS + 1;
    let mut rule_hits: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for (day, rule, count) in store.rule_hits_per_day((split - TREND_DAYS) * DAY).await? {
        let slot = rule_hits.entry(rule).or_default();
        if day >= split {
            slot.0 += count;
        } else {
            slot.1 += count;
        }
    }
    let mut ranked: Vec<(String, (i64, i64))> = rule_hits.into_iter().collect();
    ranked.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(&b.0)));
    let rules = ranked
        .into_iter()
        .filter(|(_, (recent, _))| *recent > 0)
        .take(TOP_RULES)
        .map(|(rule, (recent, before))| RuleTrend {
            href: format!("/console/protect/decisions?rule={}", percent_encode(&rule)),
            change: match (recent, before) {
                (_, 0) => "new".to_owned(),
                (r, b) if r >= b => format!("+{}", grouped(r - b)),
                (r, b) => format!("−{}", grouped(b - r)),
            },
            recent: grouped(recent),
            before: grouped(before),
            rule,
        })
        .collect();

    // Policy documents past their review date, and drafts awaiting review.
    let index = state.policy_search().index(store).await?;
    let today_date = arbiter_model::from_micros(now).map(|t| t.date());
    let mut due: Vec<DueRow> = index
        .documents()
        .iter()
        .filter_map(|d| {
            let next = d.next_review?;
            (Some(next) <= today_date).then(|| DueRow {
                id: d.id.clone(),
                title: d.title.clone(),
                due: next.to_string(),
            })
        })
        .collect();
    due.sort_by(|a, b| a.due.cmp(&b.due));
    let awaiting_review = index
        .documents()
        .iter()
        .filter(|d| {
            matches!(
                d.status,
                arbiter_policy::Status::Draft | arbiter_policy::Status::InReview
            )
        })
        .count();

    Ok(HomePage {
        signed_in: None,
        area: "overview",
        areas: AREAS,
        manages_access: false,
        events_text: grouped(store.last_event_seq().await?),
        chart,
        days,
        reviews_total: grouped(reviews.iter().sum::<u64>() as i64),
        blocks_total: grouped(blocks.iter().sum::<u64>() as i64),
        open_total: grouped(counts.iter().map(|c| c.1).sum()),
        breached_total: grouped(counts.iter().map(|c| c.2).sum()),
        queues,
        times,
        month,
        losses,
        rules,
        due,
        awaiting_review,
    })
}
