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
