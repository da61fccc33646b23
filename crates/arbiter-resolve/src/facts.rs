//! What is known of a case's parties and Task when it opens: the facts Guarantee eligibility
//! and automatic resolution read. The service gathers them from the log, the same way for a
//! case intake opens and for one a person opens by hand; [`eligibility_facts`] turns them into
//! a claim's [`ClaimFacts`] and the case's [`Signals`]. What could not be learnt stays unknown,
//! and automatic resolution declines on an unknown rather than guess.

use crate::case::{CaseType, Parties};
use crate::guarantee::ClaimFacts;
use arbiter_model::{Micros, Money};
use arbiter_policy::Citation;

/// The clause that forbids arranging or paying a Task off the platform. A violation of it, or
/// of a clause under it (`POL-PAYMENTS §2.1`), is off-platform dealing.
pub const OFF_PLATFORM_DEALING: &str = "POL-PAYMENTS §2";

/// A violation found against a member: the standard a rule said was broken, and the Task of the
/// event it was found on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The clause cited, when the rule's standard is a citation.
    pub cited: Option<Citation>,
    pub task_id: Option<String>,
}

impl Violation {
    /// A violation of `standard` (as a rule's `violation("…")` names it) on `task_id`.
    pub fn new(standard: &str, task_id: Option<String>) -> Violation {
        Violation {
            cited: Citation::parse(standard),
            task_id,
        }
    }

    /// Whether it is off-platform dealing: the clause cited is [`OFF_PLATFORM_DEALING`] or one
    /// under it, compared by clause number.
    pub fn is_off_platform_dealing(&self) -> bool {
        let Some(cited) = &self.cited else {
            return false;
        };
        Citation::parse(OFF_PLATFORM_DEALING).is_some_and(|rule| rule.covers(cited))
    }
}

/// Whether the rules decided on the event that opened the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screening {
    /// The decider saw the event: `flagged` when it asked for review or blocked it, with the
    /// decision's score (an event no rule fired on is screened, unflagged, score 0).
    Screened { flagged: bool, risk_score: i64 },
    /// No event went through the rules: a case opened by hand.
    NotScreened,
}

/// What the log says of a case's parties and Task, read up to the point the case is judged at
/// (a claim's own event for intake; the log's end for a case opened by hand).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFacts {
    pub screening: Screening,
    /// The claimant's violations; `None` when the case names no claimant.
    pub claimant_violations: Option<Vec<Violation>>,
    /// The other parties' violations.
    pub other_violations: Vec<Violation>,
    /// A `task.booked` event names the Task.
    pub booked_on_platform: bool,
}

impl LogFacts {
    /// Nothing known: no claimant, no decision, no booking.
    pub fn unknown() -> LogFacts {
        LogFacts {
            screening: Screening::NotScreened,
            claimant_violations: None,
            other_violations: Vec::new(),
            booked_on_platform: false,
        }
    }
}

/// What a claim says of itself beside its amount.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClaimDetails {
    /// When it happened, when the claim says.
    pub incident_at: Option<Micros>,
    /// Item categories the claim names (`data.items`).
    pub items: Vec<String>,
}

/// What routing and automatic resolution read beside eligibility. `None` is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signals {
    /// The score of the rules' decision on the opening event; 0 when not screened.
    pub risk_score: i64,
    /// The claimant has no violation on record.
    pub good_standing: Option<bool>,
    /// A decision flagged the opening event, or a party dealt off the platform on another Task.
    pub fraud_signal: Option<bool>,
}

/// A case's facts: the claim's, for a claim with an amount, and the signals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EligibilityFacts {
    pub claim: Option<ClaimFacts>,
    pub signals: Signals,
}

/// The one place the facts of a case are put together from what the log says, for intake and
/// for a case opened by hand alike.
///
/// Off-platform dealing on the claim's own Task excludes it (POL-GUARANTEE §5.1); found on
/// another Task it is a fraud signal for the specialist, not an exclusion: no clause refuses a
/// claim for what a party did elsewhere.
pub fn eligibility_facts(
    case_type: CaseType,
    claimed: Option<Money>,
    filed_at: Micros,
    task_id: Option<&str>,
    claim: &ClaimDetails,
    log: &LogFacts,
) -> EligibilityFacts {
    let mut off_platform = false;
    let mut off_platform_elsewhere = false;
    let violations = log
        .claimant_violations
        .iter()
        .flatten()
        .chain(&log.other_violations);
    for violation in violations.filter(|v| v.is_off_platform_dealing()) {
        if task_id.is_some() && violation.task_id.as_deref() == task_id {
            off_platform = true;
        } else {
            off_platform_elsewhere = true;
        }
    }
    let (risk_score, fraud_signal) = match log.screening {
        Screening::Screened {
            flagged,
            risk_score,
        } => (risk_score, Some(flagged || off_platform_elsewhere)),
        // Dealing elsewhere is a signal whatever the rules would have said; its absence
        // says nothing of what they would have said.
        Screening::NotScreened => (0, off_platform_elsewhere.then_some(true)),
    };
    let signals = Signals {
        risk_score,
        good_standing: log.claimant_violations.as_ref().map(Vec::is_empty),
        fraud_signal,
    };
    let claim = match claimed {
        Some(claimed) if case_type.is_claim() => Some(ClaimFacts {
            case_type,
            claimed,
            incident_at: claim.incident_at,
            filed_at,
            booked_on_platform: log.booked_on_platform,
            off_platform,
            items: claim.items.clone(),
            paid_minor: 0,
        }),
        _ => None,
    };
    EligibilityFacts { claim, signals }
}

/// The parties of a case as [`LogFacts`] divides them: the claimant, and the others.
pub fn other_parties(parties: &Parties) -> Vec<&str> {
    parties
        .all()
        .into_iter()
        .filter(|p| Some(*p) != parties.claimant.as_deref())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arbiter_model::Currency;

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::parse("USD").unwrap())
    }

    fn violation(standard: &str, task: Option<&str>) -> Violation {
        Violation::new(standard, task.map(str::to_owned))
    }

    fn screened(flagged: bool) -> LogFacts {
        LogFacts {
            screening: Screening::Screened {
                flagged,
                risk_score: if flagged { 70 } else { 5 },
            },
            claimant_violations: Some(Vec::new()),
            other_violations: Vec::new(),
            booked_on_platform: true,
        }
    }

    fn facts(log: &LogFacts) -> EligibilityFacts {
        eligibility_facts(
            CaseType::PropertyDamageClaim,
            Some(usd(20_000)),
            1_000,
            Some("t_1"),
            &ClaimDetails::default(),
            log,
        )
    }

    #[test]
    fn off_platform_dealing_is_a_cited_clause_not_a_substring() {
        let cases = [
            ("POL-PAYMENTS §2", true),
            ("POL-PAYMENTS §2.1", true),
            ("POL-PAYMENTS §2.3.1", true),
            ("POL-PAYMENTS §20", false),
            ("POL-PAYMENTS §3.2", false),
            ("POL-PAYMENTS", false),
            ("STD-COMMUNITY §4.2", false),
            ("see POL-PAYMENTS §2 and more", false),
            ("", false),
        ];
        for (standard, expected) in cases {
            assert_eq!(
                violation(standard, None).is_off_platform_dealing(),
                expected,
                "{standard:?}"
            );
        }
    }

    /// Each row: violations (claimant's, others'), screening, what comes out.
    #[test]
    fn the_facts_of_a_claim_follow_the_log() {
        struct Row {
            name: &'static str,
            claimant: Option<Vec<Violation>>,
            others: Vec<Violation>,
            screening: Screening,
            off_platform: bool,
            good_standing: Option<bool>,
            fraud_signal: Option<bool>,
            risk_score: i64,
        }
        let flagged = Screening::Screened {
            flagged: true,
            risk_score: 80,
        };
        let clean = Screening::Screened {
            flagged: false,
            risk_score: 0,
        };
        let rows = [
            Row {
                name: "clean and screened",
                claimant: Some(vec![]),
                others: vec![],
                screening: clean,
                off_platform: false,
                good_standing: Some(true),
                fraud_signal: Some(false),
                risk_score: 0,
            },
            Row {
                name: "the rules flagged the claim",
                claimant: Some(vec![]),
                others: vec![],
                screening: flagged,
                off_platform: false,
                good_standing: Some(true),
                fraud_signal: Some(true),
                risk_score: 80,
            },
            Row {
                name: "the Tasker dealt off the platform on this Task",
                claimant: Some(vec![]),
                others: vec![violation("POL-PAYMENTS §2.1", Some("t_1"))],
                screening: clean,
                off_platform: true,
                good_standing: Some(true),
                fraud_signal: Some(false),
                risk_score: 0,
            },
            Row {
                name: "the Tasker dealt off the platform elsewhere",
                claimant: Some(vec![]),
                others: vec![violation("POL-PAYMENTS §2.1", Some("t_9"))],
                screening: clean,
                off_platform: false,
                good_standing: Some(true),
                fraud_signal: Some(true),
                risk_score: 0,
            },
            Row {
                name: "the claimant has another violation",
                claimant: Some(vec![violation("STD-COMMUNITY §4.2", None)]),
                others: vec![],
                screening: clean,
                off_platform: false,
                good_standing: Some(false),
                fraud_signal: Some(false),
                risk_score: 0,
            },
            Row {
                name: "a §20 violation is not §2",
                claimant: Some(vec![]),
                others: vec![violation("POL-PAYMENTS §20", Some("t_1"))],
                screening: clean,
                off_platform: false,
                good_standing: Some(true),
                fraud_signal: Some(false),
                risk_score: 0,
            },
            Row {
                name: "opened by hand: the rules never saw it",
                claimant: Some(vec![]),
                others: vec![],
                screening: Screening::NotScreened,
                off_platform: false,
                good_standing: Some(true),
                fraud_signal: None,
                risk_score: 0,
            },
            Row {
                name: "opened by hand, dealing elsewhere is still a signal",
                claimant: Some(vec![]),
                others: vec![violation("POL-PAYMENTS §2", Some("t_9"))],
                screening: Screening::NotScreened,
                off_platform: false,
                good_standing: Some(true),
                fraud_signal: Some(true),
                risk_score: 0,
            },
            Row {
                name: "no claimant named: standing unknown",
                claimant: None,
                others: vec![],
                screening: Screening::NotScreened,
                off_platform: false,
                good_standing: None,
                fraud_signal: None,
                risk_score: 0,
            },
        ];
        for row in rows {
            let log = LogFacts {
                screening: row.screening,
                claimant_violations: row.claimant,
                other_violations: row.others,
                booked_on_platform: true,
            };
            let got = facts(&log);
            let claim = got.claim.expect("a claim with an amount has claim facts");
            assert_eq!(claim.off_platform, row.off_platform, "{}", row.name);
            assert!(claim.booked_on_platform, "{}", row.name);
            assert_eq!(
                got.signals,
                Signals {
                    risk_score: row.risk_score,
                    good_standing: row.good_standing,
                    fraud_signal: row.fraud_signal,
                },
                "{}",
                row.name
            );
        }
    }

    #[test]
    fn only_claims_with_an_amount_have_claim_facts() {
        let log = screened(false);
        let dispute = eligibility_facts(
            CaseType::QualityDispute,
            Some(usd(100)),
            0,
            None,
            &ClaimDetails::default(),
            &log,
        );
        assert_eq!(dispute.claim, None);
        let unpriced = eligibility_facts(
            CaseType::TheftClaim,
            None,
            0,
            None,
            &ClaimDetails::default(),
            &log,
        );
        assert_eq!(unpriced.claim, None);
        assert_eq!(unpriced.signals.good_standing, Some(true));
        assert!(facts(&screened(true)).signals.fraud_signal == Some(true));
    }

    #[test]
    fn the_others_are_every_party_but_the_claimant() {
        let parties = Parties {
            claimant: Some("u_1".into()),
            client: Some("u_1".into()),
            tasker: Some("u_2".into()),
        };
        assert_eq!(other_parties(&parties), vec!["u_2"]);
    }
}
