//! The backtest report as people read it: shaped once for the console's page and for the
//! self-contained HTML file of `arbiter backtest --html`.

use super::LineChart;
use arbiter_rules::backtest::BacktestReport;

/// A report shaped for the page: figures as text, chart geometry in SVG units.
pub struct ReportView {
    pub from: String,
    pub to: String,
    pub events_text: String,
    pub baseline_text: String,
    pub changed_text: String,
    pub users_text: String,
    pub bad_text: String,
    pub money: Vec<String>,
    pub transitions: Vec<(String, String)>,
    pub days: Vec<arbiter_rules::backtest::DayReport>,
    /// Events sent to review per day, then events blocked per day: in force against candidate.
    pub charts: Vec<LineChart>,
    /// Only the rules whose hits differ between the two rulesets.
    pub rules: Vec<RuleRow>,
    /// Rules that fire exactly as often in both, left out of `rules`.
    pub unchanged_rules: usize,
    pub outcome_source: String,
}

/// A rule whose hits change: its hits under each ruleset and the difference.
pub struct RuleRow {
    pub id: String,
    pub name: String,
    /// Hits in force, or `–` when the rule is not in force.
    pub baseline_hits: String,
    /// Hits of the candidate, or `–` when the candidate drops the rule.
    pub candidate_hits: String,
    /// `+12`, `−3`.
    pub difference: String,
    /// `more` or `fewer`: the difference's style.
    pub direction: &'static str,
    pub bar: f64,
    pub users: u64,
    pub money: String,
    pub precision: String,
    pub recall: String,
    pub errors: u64,
}

fn money_text(money: &std::collections::BTreeMap<String, i64>) -> Vec<String> {
    money
        .iter()
        .map(
            |(currency, minor)| match arbiter_model::Currency::parse(currency) {
                Ok(c) => arbiter_model::Money::new(*minor, c).to_string(),
                Err(_) => format!("{minor} {currency}"),
            },
        )
        .collect()
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{:.0}%", v * 100.0))
}

impl ReportView {
    pub fn new(report: &BacktestReport, had_baseline: bool) -> ReportView {
        use arbiter_rules::backtest::{RuleReport, Side};
        use std::collections::BTreeMap;
        // Each rule's two sides side by side, then only the rules whose hits change.
        let mut sides: BTreeMap<&str, (Option<&RuleReport>, Option<&RuleReport>)> = BTreeMap::new();
        for rule in &report.rules {
            let entry = sides.entry(rule.rule_id.as_str()).or_default();
            match rule.side {
                Side::Baseline => entry.0 = Some(rule),
                Side::Candidate => entry.1 = Some(rule),
            }
        }
        let hits = |r: Option<&RuleReport>| r.map_or(0, |r| r.hits);
        let changed: Vec<_> = sides
            .values()
            .filter(|(baseline, candidate)| hits(*baseline) != hits(*candidate))
            .collect();
        let widest = changed
            .iter()
            .map(|(b, c)| hits(*b).abs_diff(hits(*c)))
            .max()
            .unwrap_or(1)
            .max(1);
        let grouped = super::grouped;
        let shown =
            |r: Option<&RuleReport>| r.map_or_else(|| "–".to_owned(), |r| grouped(r.hits as i64));
        let rules = changed
            .iter()
            .map(|(baseline, candidate)| {
                let (b, c) = (hits(*baseline), hits(*candidate));
                let about = candidate.or(*baseline).expect("a rule has a side");
                RuleRow {
                    id: about.rule_id.clone(),
                    name: about.rule_name.clone(),
                    baseline_hits: shown(*baseline),
                    candidate_hits: shown(*candidate),
                    difference: if c >= b {
                        format!("+{}", grouped((c - b) as i64))
                    } else {
                        format!("−{}", grouped((b - c) as i64))
                    },
                    direction: if c >= b { "more" } else { "fewer" },
                    bar: b.abs_diff(c) as f64 / widest as f64 * 100.0,
                    users: about.users,
                    money: money_text(&about.money_at_stake).join(", "),
                    precision: percent(about.precision),
                    recall: percent(about.recall),
                    errors: about.errors,
                }
            })
            .collect();
        ReportView {
            from: report.from.clone(),
            to: report.to.clone(),
            events_text: grouped(report.events as i64),
            baseline_text: if had_baseline {
                "the ruleset in force".into()
            } else {
                "no ruleset (none is published)".into()
            },
            changed_text: grouped(report.decisions_changed as i64),
            users_text: grouped(report.users_affected as i64),
            bad_text: grouped(report.bad_outcomes as i64),
            money: money_text(&report.money_at_stake),
            transitions: report
                .transitions
                .iter()
                .map(|(k, v)| (k.clone(), grouped(*v as i64)))
                .collect(),
            days: report.days.clone(),
            charts: {
                let days: Vec<String> = report.days.iter().map(|d| d.day.clone()).collect();
                let series = |f: fn(&arbiter_rules::backtest::DayReport) -> u64| {
                    report.days.iter().map(f).collect::<Vec<u64>>()
                };
                vec![
                    LineChart::new(
                        ("reviews-per-day", "Sent to review per day", "events"),
                        &days,
                        ("candidate", &series(|d| d.candidate_reviews)),
                        ("in force", &series(|d| d.baseline_reviews)),
                    ),
                    LineChart::new(
                        ("blocks-per-day", "Blocked per day", "events"),
                        &days,
                        ("candidate", &series(|d| d.candidate_blocks)),
                        ("in force", &series(|d| d.baseline_blocks)),
                    ),
                ]
            },
            unchanged_rules: sides.len() - changed.len(),
            rules,
            outcome_source: report.outcome_source.clone(),
        }
    }
}

#[derive(askama::Template)]
#[template(path = "backtest_report.html")]
struct StandaloneReport<'a> {
    r: &'a ReportView,
    css: &'static str,
}

/// The report as one self-contained HTML page (styles inline), for `arbiter backtest --html`.
pub fn render_html(report: &BacktestReport, had_baseline: bool) -> String {
    use askama::Template;
    let view = ReportView::new(report, had_baseline);
    StandaloneReport {
        r: &view,
        css: super::STYLESHEET,
    }
    .render()
    .unwrap_or_else(|e| format!("<p>the report could not be rendered: {e}</p>"))
}
