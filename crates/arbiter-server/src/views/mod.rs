//! What the console, the API and the files the CLI writes show alike: number formats, the
//! stylesheet, and the backtest report.

pub mod backtest;

/// The console's styles, also inlined into self-contained reports.
pub(crate) const STYLESHEET: &str = include_str!("../../assets/arbiter.css");

/// `50000` as `50,000`: counts people read at a glance.
pub(crate) fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A chart of two daily series (one solid, one dashed) with its axes and a legend, in SVG
/// units of a `WIDTH` × `HEIGHT` box; `templates/chart.html` draws it.
pub struct LineChart {
    pub id: &'static str,
    pub title: &'static str,
    /// What one unit of the y axis counts.
    pub unit: &'static str,
    pub solid_label: &'static str,
    pub dashed_label: &'static str,
    pub solid_points: String,
    pub dashed_points: String,
    /// `(y, label)` of each horizontal grid line.
    pub y_ticks: Vec<(f64, String)>,
    pub first_day: String,
    pub last_day: String,
    pub width: f64,
    pub height: f64,
    /// The plot area: left, right, top and bottom edges.
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
}

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 200.0;

impl LineChart {
    /// `(id, title, unit)`, the days along the x axis, and the two series as `(label, values)`,
    /// a value per day.
    pub fn new(
        (id, title, unit): (&'static str, &'static str, &'static str),
        days: &[String],
        (solid_label, solid): (&'static str, &[u64]),
        (dashed_label, dashed): (&'static str, &[u64]),
    ) -> LineChart {
        let (left, right, top, bottom) = (56.0, WIDTH - 12.0, 10.0, HEIGHT - 30.0);
        let peak = solid
            .iter()
            .chain(dashed)
            .copied()
            .max()
            .unwrap_or(0)
            .max(1);
        let step = if days.len() > 1 {
            (right - left) / (days.len() - 1) as f64
        } else {
            0.0
        };
        let y = |value: u64| bottom - value as f64 / peak as f64 * (bottom - top);
        let points = |values: &[u64]| {
            values
                .iter()
                .enumerate()
                .map(|(i, v)| format!("{:.1},{:.1}", left + i as f64 * step, y(*v)))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let mut ticks: Vec<u64> = vec![0, peak.div_ceil(2), peak];
        ticks.dedup();
        LineChart {
            id,
            title,
            unit,
            solid_label,
            dashed_label,
            solid_points: points(solid),
            dashed_points: points(dashed),
            y_ticks: ticks
                .into_iter()
                .map(|t| (y(t), grouped(t as i64)))
                .collect(),
            first_day: days.first().cloned().unwrap_or_default(),
            last_day: days.last().cloned().unwrap_or_default(),
            width: WIDTH,
            height: HEIGHT,
            left,
            right,
            top,
            bottom,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(50_000), "50,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(grouped(-1_000), "-1,000");
    }
}
