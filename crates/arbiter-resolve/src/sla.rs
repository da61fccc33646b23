//! Service levels: how soon a case must get its first staff response and its resolution, by
//! type and priority, and whether it made it.

use crate::lifecycle::{CaseType, Priority};
use arbiter_model::Micros;

const HOUR: Micros = 3_600_000_000;

/// Targets for cases of some types and a priority; `types` empty for every type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaTarget {
    pub types: Vec<CaseType>,
    pub priority: Priority,
    pub first_response_hours: i64,
    pub resolution_hours: i64,
}

/// When a case is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    pub first_response_due: Micros,
    pub resolution_due: Micros,
}

/// The deadlines of a case opened at `opened_at`: the first target naming its type and priority,
/// else the first for its priority and every type, else a day and a week.
pub fn deadlines(
    targets: &[SlaTarget],
    case_type: CaseType,
    priority: Priority,
    opened_at: Micros,
) -> Deadlines {
    let target = targets
        .iter()
        .find(|t| t.priority == priority && t.types.contains(&case_type))
        .or_else(|| {
            targets
                .iter()
                .find(|t| t.priority == priority && t.types.is_empty())
        });
    let (first, resolution) =
        target.map_or((24, 168), |t| (t.first_response_hours, t.resolution_hours));
    Deadlines {
        first_response_due: opened_at + first * HOUR,
        resolution_due: opened_at + resolution * HOUR,
    }
}

/// Which deadlines a case missed, as of `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Breaches {
    pub first_response: bool,
    pub resolution: bool,
}

/// A deadline is missed when it was met late, or when it passed unmet before `now`.
/// `resolved_at` is when the case stopped needing work (`None` while it is open): both clocks
/// stop there, so a case resolved without a first response (an automatic decision) missed its
/// first response only if it was resolved after that deadline. Callers with a case use
/// [`crate::Case::breaches`].
pub fn breaches(
    due: &Deadlines,
    first_response_at: Option<Micros>,
    resolved_at: Option<Micros>,
    now: Micros,
) -> Breaches {
    let missed = |due: Micros, met: Option<Micros>| match met {
        Some(at) => at > due,
        None => now > due,
    };
    Breaches {
        first_response: missed(due.first_response_due, first_response_at.or(resolved_at)),
        resolution: missed(due.resolution_due, resolved_at),
    }
}

/// `2 h 05 min left`, `overdue by 3 h`: a countdown for a person to read, for a deadline not
/// met yet.
pub fn countdown(due: Micros, now: Micros) -> String {
    let span = span(due, now);
    if due >= now {
        format!("{span} left")
    } else {
        format!("overdue by {span}")
    }
}

/// `SLA met`, `SLA breached by 3 h 05 min`: how a deadline met at `at` went. A met deadline
/// never counts down: the clock stopped when it was met.
pub fn verdict(due: Micros, at: Micros) -> String {
    if at <= due {
        "SLA met".to_owned()
    } else {
        format!("SLA breached by {}", span(due, at))
    }
}

fn span(a: Micros, b: Micros) -> String {
    let minutes = (a - b).abs() / 60_000_000;
    if minutes >= 48 * 60 {
        format!("{} d {} h", minutes / 1_440, minutes % 1_440 / 60)
    } else if minutes >= 60 {
        format!("{} h {:02} min", minutes / 60, minutes % 60)
    } else {
        format!("{minutes} min")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets() -> Vec<SlaTarget> {
        vec![
            SlaTarget {
                types: vec![CaseType::SafetyIncident],
                priority: Priority::Urgent,
                first_response_hours: 1,
                resolution_hours: 24,
            },
            SlaTarget {
                types: vec![],
                priority: Priority::Urgent,
                first_response_hours: 2,
                resolution_hours: 48,
            },
        ]
    }

    #[test]
    fn a_met_deadline_says_met_or_breached_never_counts_down() {
        assert_eq!(verdict(10 * HOUR, 9 * HOUR), "SLA met");
        assert_eq!(verdict(10 * HOUR, 10 * HOUR), "SLA met");
        assert_eq!(
            verdict(10 * HOUR, 13 * HOUR + 5 * 60_000_000),
            "SLA breached by 3 h 05 min"
        );
        assert_eq!(countdown(10 * HOUR, 8 * HOUR), "2 h 00 min left");
        assert_eq!(countdown(10 * HOUR, 11 * HOUR), "overdue by 1 h 00 min");
    }

    #[test]
    fn the_most_specific_target_applies() {
        let safety = deadlines(&targets(), CaseType::SafetyIncident, Priority::Urgent, 0);
        assert_eq!(safety.first_response_due, HOUR);
        let fraud = deadlines(&targets(), CaseType::Fraud, Priority::Urgent, 0);
        assert_eq!(fraud.first_response_due, 2 * HOUR);
        let low = deadlines(&targets(), CaseType::Fraud, Priority::Low, 0);
        assert_eq!(low.resolution_due, 168 * HOUR);
    }

    #[test]
    fn late_or_still_unmet_is_a_breach() {
        let due = Deadlines {
            first_response_due: 10,
            resolution_due: 100,
        };
        assert_eq!(
            breaches(&due, Some(11), None, 50),
            Breaches {
                first_response: true,
                resolution: false
            }
        );
        assert!(breaches(&due, Some(5), None, 101).resolution);
        assert!(!breaches(&due, Some(5), Some(99), 1_000).resolution);
        // Resolved without a first response: the clock stopped at the resolution.
        assert_eq!(
            breaches(&due, None, Some(8), 1_000),
            Breaches::default(),
            "resolved in time, never answered"
        );
        assert!(breaches(&due, None, Some(50), 1_000).first_response);
    }

    #[test]
    fn countdowns_read_naturally() {
        assert_eq!(countdown(125 * 60_000_000, 0), "2 h 05 min left");
        assert_eq!(countdown(0, 3 * HOUR), "overdue by 3 h 00 min");
        assert_eq!(countdown(50 * HOUR, 0), "2 d 2 h left");
        assert_eq!(countdown(59 * 60_000_000, 0), "59 min left");
    }
}
