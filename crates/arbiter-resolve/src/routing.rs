//! Queues and the rules that route a case to one.

use crate::case::{CaseType, Priority};

/// A queue and which cases it takes; an empty list matches everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queue {
    pub id: String,
    pub name: String,
    pub types: Vec<CaseType>,
    pub markets: Vec<String>,
    /// Takes cases at this priority or above.
    pub min_priority: Option<Priority>,
    /// Takes cases whose parties' risk score is at least this.
    pub min_risk: Option<i64>,
}

/// What routing looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteFacts<'a> {
    pub case_type: CaseType,
    pub market: &'a str,
    pub priority: Priority,
    pub risk_score: i64,
}

impl Queue {
    pub fn takes(&self, facts: &RouteFacts<'_>) -> bool {
        (self.types.is_empty() || self.types.contains(&facts.case_type))
            && (self.markets.is_empty() || self.markets.iter().any(|m| m == facts.market))
            && self.min_priority.is_none_or(|p| facts.priority >= p)
            && self.min_risk.is_none_or(|r| facts.risk_score >= r)
    }
}

/// The first queue, in order, that takes the case; `None` when none does (configurations end
/// with a catch-all, which [`crate::config`] checks).
pub fn route<'q>(queues: &'q [Queue], facts: &RouteFacts<'_>) -> Option<&'q Queue> {
    queues.iter().find(|q| q.takes(facts))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queue(id: &str) -> Queue {
        Queue {
            id: id.into(),
            name: id.into(),
            types: vec![],
            markets: vec![],
            min_priority: None,
            min_risk: None,
        }
    }

    #[test]
    fn the_first_queue_that_takes_the_case_gets_it() {
        let queues = vec![
            Queue {
                min_risk: Some(60),
                types: vec![CaseType::PropertyDamageClaim, CaseType::TheftClaim],
                ..queue("claims-risk")
            },
            Queue {
                types: vec![CaseType::SafetyIncident],
                min_priority: Some(Priority::High),
                ..queue("safety")
            },
            Queue {
                markets: vec!["FR".into(), "DE".into()],
                ..queue("europe")
            },
            queue("general"),
        ];
        let facts = |case_type, market, priority, risk_score| RouteFacts {
            case_type,
            market,
            priority,
            risk_score,
        };
        let routed = |f| route(&queues, &f).unwrap().id.clone();
        assert_eq!(
            routed(facts(CaseType::TheftClaim, "US", Priority::Normal, 75)),
            "claims-risk"
        );
        assert_eq!(
            routed(facts(CaseType::TheftClaim, "FR", Priority::Normal, 10)),
            "europe"
        );
        assert_eq!(
            routed(facts(CaseType::SafetyIncident, "US", Priority::Urgent, 0)),
            "safety"
        );
        assert_eq!(
            routed(facts(CaseType::SafetyIncident, "US", Priority::Low, 0)),
            "general"
        );
    }
}
