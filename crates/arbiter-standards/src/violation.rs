//! Violations: a member broke a standard. They come from a rule's `violation("STD-… §…")`
//! action, from a case decision finding against a party, or by hand from staff; each records
//! its evidence, how it was detected, the standard's clause and version, and the points.
//!
//! **The same evidence never counts twice.** A violation's idempotency keys are one per piece
//! of evidence, each naming the member and the clause: `event:{event id}|{member}|{clause}`
//! for every event it rests on, `case:{case id}|{member}|{clause}` for its case, and
//! `manual:{request}|{member}|{clause}` for a staff entry with neither. Two violations that
//! share a key are the same violation: a replayed batch, two rules firing on one event and
//! citing the same clause, or a case decision about an event a rule already counted. The rule
//! that fired is not part of the key, on purpose. [`dedupe`] keeps the earliest of each group.

use crate::standard::{ClauseRef, MemberRole, Severity, Standard, Standards};
use std::collections::BTreeSet;
use time::OffsetDateTime;

/// How a violation was found.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "by")]
pub enum Detection {
    /// A rule's `violation(...)` action fired: found and decided by automated means.
    Rule { rule_id: String },
    /// A case was decided against the member, by a staff member.
    CaseDecision { decided_by: String },
    /// A report from another member, confirmed by a staff member.
    Report {
        report_id: String,
        decided_by: String,
    },
    /// Entered by hand by a staff member.
    Staff { principal: String },
}

impl Detection {
    /// Whether detection and decision were automated (no person decided).
    pub fn automated(&self) -> bool {
        matches!(self, Detection::Rule { .. })
    }

    /// The person who decided, when one did; the person an appeal must not go to.
    pub fn decided_by(&self) -> Option<&str> {
        match self {
            Detection::Rule { .. } => None,
            Detection::CaseDecision { decided_by }
            | Detection::Report { decided_by, .. }
            | Detection::Staff {
                principal: decided_by,
            } => Some(decided_by),
        }
    }
}

/// What a violation rests on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Evidence {
    pub event_ids: Vec<String>,
    pub case_id: Option<String>,
}

/// One key of a violation; see the module documentation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct ViolationKey(pub String);

impl std::fmt::Display for ViolationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A member broke a standard. Everything needed later (points, how long they last, severity,
/// the standard's version) is copied in when the violation is recorded, so a later version of
/// the standard never re-scores history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    /// The first idempotency key: the violation's id.
    pub key: ViolationKey,
    pub member: String,
    pub role: MemberRole,
    pub market: String,
    pub standard: ClauseRef,
    pub standard_version: u32,
    pub severity: Severity,
    pub points: u32,
    pub lasts_days: Option<u32>,
    pub evidence: Evidence,
    pub detection: Detection,
    /// When the conduct happened (the event's time).
    pub occurred_at: OffsetDateTime,
    /// When it was recorded: points count, and actions start, from here.
    pub decided_at: OffsetDateTime,
    /// What happened, in words, for the notice and the statement of reasons (scrubbed there).
    pub facts: String,
}

impl Violation {
    /// Every idempotency key of the violation, sorted.
    pub fn keys(&self) -> Vec<ViolationKey> {
        let mut keys = evidence_keys(&self.evidence, &self.member, &self.standard);
        if keys.is_empty() {
            keys.push(self.key.clone());
        }
        keys
    }

    /// When its points stop counting; `None` for zero tolerance (no points).
    pub fn expires_at(&self) -> Option<OffsetDateTime> {
        self.lasts_days
            .map(|d| self.decided_at + time::Duration::days(i64::from(d)))
    }
}

fn evidence_keys(evidence: &Evidence, member: &str, clause: &ClauseRef) -> Vec<ViolationKey> {
    let mut keys: Vec<ViolationKey> = evidence
        .event_ids
        .iter()
        .map(|e| ViolationKey(format!("event:{e}|{member}|{clause}")))
        .chain(
            evidence
                .case_id
                .iter()
                .map(|c| ViolationKey(format!("case:{c}|{member}|{clause}"))),
        )
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// Why a violation was not recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ViolationError {
    #[error("{0:?} is not a clause citation like \"STD-CONDUCT §2.1\"")]
    NotACitation(String),
    #[error(
        "{0} is not a standard: violations cite a clause of a `standard` document that has a ```standard block"
    )]
    NotAStandard(ClauseRef),
    #[error("{standard} applies to {applies}, not to a {role}")]
    WrongRole {
        standard: ClauseRef,
        role: MemberRole,
        applies: String,
    },
    #[error("{standard} does not apply in market {market}")]
    WrongMarket { standard: ClauseRef, market: String },
    #[error("a violation {0}")]
    Missing(&'static str),
}

/// Who and where, for every kind of violation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub member: String,
    pub role: MemberRole,
    pub market: String,
}

/// A rule's `violation("…")` action, as the decider hands it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleViolation {
    pub rule_id: String,
    pub event_id: String,
    pub subject: Subject,
    /// The action's argument: `"STD-CONDUCT §2.1"`.
    pub citation: String,
    pub occurred_at: OffsetDateTime,
    pub decided_at: OffsetDateTime,
    pub facts: String,
}

/// A case decided against a party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFinding {
    pub case_id: String,
    pub decided_by: String,
    /// The report that opened the case, when a member reported it.
    pub report_id: Option<String>,
    pub event_ids: Vec<String>,
    pub subject: Subject,
    pub citation: String,
    pub occurred_at: OffsetDateTime,
    pub decided_at: OffsetDateTime,
    pub facts: String,
}

/// A violation entered by staff. `request` is the caller's idempotency key (for example the
/// API's `Idempotency-Key`), used when there is neither event nor case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualViolation {
    pub principal: String,
    pub request: String,
    pub evidence: Evidence,
    pub subject: Subject,
    pub citation: String,
    pub occurred_at: OffsetDateTime,
    pub decided_at: OffsetDateTime,
    pub facts: String,
}

impl Violation {
    pub fn from_rule(standards: &Standards, v: RuleViolation) -> Result<Violation, ViolationError> {
        if v.event_id.is_empty() || v.rule_id.is_empty() {
            return Err(ViolationError::Missing(
                "from a rule needs the rule and the event",
            ));
        }
        build(
            standards,
            &v.citation,
            v.subject,
            Evidence {
                event_ids: vec![v.event_id],
                case_id: None,
            },
            Detection::Rule { rule_id: v.rule_id },
            None,
            (v.occurred_at, v.decided_at),
            v.facts,
        )
    }

    pub fn from_case(standards: &Standards, f: CaseFinding) -> Result<Violation, ViolationError> {
        if f.case_id.is_empty() || f.decided_by.is_empty() {
            return Err(ViolationError::Missing(
                "from a case needs the case and who decided it",
            ));
        }
        let detection = match f.report_id {
            Some(report_id) => Detection::Report {
                report_id,
                decided_by: f.decided_by,
            },
            None => Detection::CaseDecision {
                decided_by: f.decided_by,
            },
        };
        build(
            standards,
            &f.citation,
            f.subject,
            Evidence {
                event_ids: f.event_ids,
                case_id: Some(f.case_id),
            },
            detection,
            None,
            (f.occurred_at, f.decided_at),
            f.facts,
        )
    }

    pub fn by_hand(standards: &Standards, m: ManualViolation) -> Result<Violation, ViolationError> {
        if m.principal.is_empty() {
            return Err(ViolationError::Missing(
                "by hand needs the staff member entering it",
            ));
        }
        if m.evidence.event_ids.is_empty() && m.evidence.case_id.is_none() && m.request.is_empty() {
            return Err(ViolationError::Missing(
                "by hand needs evidence (events or a case) or an idempotency key",
            ));
        }
        build(
            standards,
            &m.citation,
            m.subject,
            m.evidence,
            Detection::Staff {
                principal: m.principal,
            },
            Some(m.request),
            (m.occurred_at, m.decided_at),
            m.facts,
        )
    }
}

#[allow(clippy::too_many_arguments)]
fn build(
    standards: &Standards,
    citation: &str,
    subject: Subject,
    mut evidence: Evidence,
    detection: Detection,
    request: Option<String>,
    (occurred_at, decided_at): (OffsetDateTime, OffsetDateTime),
    facts: String,
) -> Result<Violation, ViolationError> {
    let clause =
        ClauseRef::parse(citation).ok_or_else(|| ViolationError::NotACitation(citation.into()))?;
    let standard: &Standard = standards
        .get(&clause)
        .ok_or_else(|| ViolationError::NotAStandard(clause.clone()))?;
    if subject.member.is_empty() || subject.market.is_empty() {
        return Err(ViolationError::Missing("needs the member and the market"));
    }
    if !standard.applies_to(subject.role) {
        return Err(ViolationError::WrongRole {
            standard: clause,
            role: subject.role,
            applies: standard
                .roles
                .iter()
                .map(|r| format!("{r}s"))
                .collect::<Vec<_>>()
                .join(" and "),
        });
    }
    if !standard.applies_in(&subject.market) {
        return Err(ViolationError::WrongMarket {
            standard: clause,
            market: subject.market,
        });
    }
    evidence.event_ids.sort();
    evidence.event_ids.dedup();
    let key = evidence_keys(&evidence, &subject.member, &clause)
        .into_iter()
        .next()
        .unwrap_or_else(|| {
            ViolationKey(format!(
                "manual:{}|{}|{clause}",
                request.unwrap_or_default(),
                subject.member
            ))
        });
    Ok(Violation {
        key,
        member: subject.member,
        role: subject.role,
        market: subject.market,
        standard: clause,
        standard_version: standard.version,
        severity: standard.severity,
        points: standard.points,
        lasts_days: standard.lasts_days,
        evidence,
        detection,
        occurred_at,
        decided_at: decided_at.max(occurred_at),
        facts,
    })
}

/// The violations that count: of violations sharing any idempotency key, only the earliest
/// recorded (then smallest key) counts. The result is sorted by record time then key, and
/// does not depend on the order of `violations`.
pub fn dedupe(violations: &[Violation]) -> Vec<&Violation> {
    let mut sorted: Vec<&Violation> = violations.iter().collect();
    sorted.sort_by(|a, b| {
        (a.decided_at, &a.key, a.occurred_at, &a.facts).cmp(&(
            b.decided_at,
            &b.key,
            b.occurred_at,
            &b.facts,
        ))
    });
    let mut seen: BTreeSet<ViolationKey> = BTreeSet::new();
    let mut kept = Vec::new();
    for violation in sorted {
        let keys = violation.keys();
        if keys.iter().any(|k| seen.contains(k)) {
            continue;
        }
        seen.extend(keys);
        kept.push(violation);
    }
    kept
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::standard::parse_standards;
    use time::macros::datetime;

    pub(crate) fn standards() -> Standards {
        Standards::new(parse_standards("STD-TEST.md", crate::standard::tests::FILE, 2).unwrap())
    }

    pub(crate) fn tasker(member: &str) -> Subject {
        Subject {
            member: member.into(),
            role: MemberRole::Tasker,
            market: "FR".into(),
        }
    }

    pub(crate) fn rule(event: &str, rule_id: &str, citation: &str) -> RuleViolation {
        RuleViolation {
            rule_id: rule_id.into(),
            event_id: event.into(),
            subject: tasker("t_1"),
            citation: citation.into(),
            occurred_at: datetime!(2026-03-01 10:00 UTC),
            decided_at: datetime!(2026-03-01 10:00 UTC),
            facts: "Asked for cash in a message.".into(),
        }
    }

    #[test]
    fn a_rule_violation_records_the_standard_and_its_version() {
        let v = Violation::from_rule(&standards(), rule("e_1", "OFF-PLATFORM", "STD-TEST §1.1"))
            .unwrap();
        assert_eq!(v.key.0, "event:e_1|t_1|STD-TEST §1.1");
        assert_eq!(
            (v.standard_version, v.points, v.lasts_days),
            (2, 3, Some(365))
        );
        assert!(v.detection.automated());
        assert_eq!(v.detection.decided_by(), None);
        assert_eq!(v.expires_at(), Some(datetime!(2027-03-01 10:00 UTC)));
    }

    #[test]
    fn refusals_name_what_is_wrong() {
        let s = standards();
        let cases: &[(RuleViolation, &str)] = &[
            (
                rule("e_1", "R", "POL-PAYMENTS §2.1"),
                "POL-PAYMENTS §2.1 is not a standard",
            ),
            (
                rule("e_1", "R", "STD-TEST §1"),
                "STD-TEST §1 is not a standard",
            ),
            (
                rule("e_1", "R", "STD-TEST"),
                "\"STD-TEST\" is not a clause citation",
            ),
            (rule("e_1", "R", "nonsense"), "is not a clause citation"),
            (
                rule("", "R", "STD-TEST §1.1"),
                "needs the rule and the event",
            ),
            (
                RuleViolation {
                    subject: Subject {
                        role: MemberRole::Client,
                        ..tasker("c_1")
                    },
                    ..rule("e_1", "R", "STD-TEST §1.2")
                },
                "STD-TEST §1.2 applies to taskers, not to a client",
            ),
        ];
        for (input, message) in cases {
            let error = Violation::from_rule(&s, input.clone())
                .unwrap_err()
                .to_string();
            assert!(error.contains(message), "{error} / {message}");
        }
    }

    #[test]
    fn the_same_evidence_counts_once() {
        let s = standards();
        let first = Violation::from_rule(&s, rule("e_1", "OFF-PLATFORM", "STD-TEST §1.1")).unwrap();
        // A replayed batch.
        let replayed = first.clone();
        // A second rule on the same event citing the same clause.
        let other_rule =
            Violation::from_rule(&s, rule("e_1", "CASH-WORDS", "STD-TEST §1.1")).unwrap();
        // A case about the same event, decided later.
        let case = Violation::from_case(
            &s,
            CaseFinding {
                case_id: "case_7".into(),
                decided_by: "ana".into(),
                report_id: None,
                event_ids: vec!["e_1".into(), "e_2".into()],
                subject: tasker("t_1"),
                citation: "STD-TEST §1.1".into(),
                occurred_at: datetime!(2026-03-01 10:00 UTC),
                decided_at: datetime!(2026-03-02 10:00 UTC),
                facts: "Confirmed.".into(),
            },
        )
        .unwrap();
        // The same event, another clause: counts.
        let other_clause =
            Violation::from_rule(&s, rule("e_1", "VIOLENCE", "STD-TEST §1.2")).unwrap();
        // Another event: counts.
        let other_event =
            Violation::from_rule(&s, rule("e_3", "OFF-PLATFORM", "STD-TEST §1.1")).unwrap();
        let all = [
            first.clone(),
            replayed,
            other_rule,
            case,
            other_clause.clone(),
            other_event.clone(),
        ];
        let kept: Vec<&ViolationKey> = dedupe(&all).into_iter().map(|v| &v.key).collect();
        assert_eq!(kept, [&first.key, &other_clause.key, &other_event.key]);
    }

    #[test]
    fn staff_entries_need_evidence_or_a_key() {
        let s = standards();
        let manual = |request: &str, evidence: Evidence| ManualViolation {
            principal: "lee".into(),
            request: request.into(),
            evidence,
            subject: tasker("t_1"),
            citation: "STD-TEST §1.1".into(),
            occurred_at: datetime!(2026-03-01 10:00 UTC),
            decided_at: datetime!(2026-03-01 11:00 UTC),
            facts: String::new(),
        };
        let v = Violation::by_hand(&s, manual("req_1", Evidence::default())).unwrap();
        assert_eq!(v.key.0, "manual:req_1|t_1|STD-TEST §1.1");
        assert_eq!(v.detection.decided_by(), Some("lee"));
        let error = Violation::by_hand(&s, manual("", Evidence::default())).unwrap_err();
        assert!(error.to_string().contains("idempotency key"));
        let with_case = Violation::by_hand(
            &s,
            manual(
                "",
                Evidence {
                    case_id: Some("c_1".into()),
                    ..Evidence::default()
                },
            ),
        )
        .unwrap();
        assert_eq!(with_case.key.0, "case:c_1|t_1|STD-TEST §1.1");
    }
}
