//! The backtest report as people read it: shaped once for the console's page and for the
//! self-contained HTML file of `arbiter backtest --html`.

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
    pub candidate_points: String,
    pub baseline_points: String,
    pub first_day: String,
    pub last_day: String,
    pub peak: u64,
    pub width: f64,
    pub height: f64,
    pub rules: Vec<RuleRow>,
    pub outcome_source: String,
}

pub struct RuleRow {
    pub id: String,
    pub name: String,
    pub side: &'static str,
    /// `candidate` or `baseline`: the bar's style.
    pub class: &'static str,
    pub hits: u64,
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
        const WIDTH: f64 = 720.0;
        const HEIGHT: f64 = 160.0;
        let peak = report
            .days
            .iter()
            .map(|d| d.candidate.max(d.baseline))
            .max()
            .unwrap_or(0)
            .max(1);
        let step = if report.days.len() > 1 {
            WIDTH / (report.days.len() - 1) as f64
        } else {
            0.0
        };
        let points = |value: &dyn Fn(&arbiter_rules::backtest::DayReport) -> u64| {
            report
                .days
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    format!(
                        "{:.1},{:.1}",
                        i as f64 * step,
                        HEIGHT - value(d) as f64 / peak as f64 * (HEIGHT - 4.0) - 2.0
                    )
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        let top_hits = report
            .rules
            .iter()
            .map(|r| r.hits)
            .max()
            .unwrap_or(1)
            .max(1);
        let grouped = super::grouped;
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
            candidate_points: points(&|d| d.candidate),
            baseline_points: points(&|d| d.baseline),
            first_day: report
                .days
                .first()
                .map(|d| d.day.clone())
                .unwrap_or_default(),
            last_day: report
                .days
                .last()
                .map(|d| d.day.clone())
                .unwrap_or_default(),
            peak,
            width: WIDTH,
            height: HEIGHT,
            rules: report
                .rules
                .iter()
                .map(|r| RuleRow {
                    id: r.rule_id.clone(),
                    name: r.rule_name.clone(),
                    side: match r.side {
                        arbiter_rules::backtest::Side::Candidate => "candidate",
                        arbiter_rules::backtest::Side::Baseline => "in force",
                    },
                    class: match r.side {
                        arbiter_rules::backtest::Side::Candidate => "candidate",
                        arbiter_rules::backtest::Side::Baseline => "baseline",
                    },
                    hits: r.hits,
                    bar: r.hits as f64 / top_hits as f64 * 100.0,
                    users: r.users,
                    money: money_text(&r.money_at_stake).join(", "),
                    precision: percent(r.precision),
                    recall: percent(r.recall),
                    errors: r.errors,
                })
                .collect(),
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
