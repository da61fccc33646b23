//! A case in the store's words, names as text and amounts in minor units ([`CaseRecord`], the
//! row `arbiter-store` reads and writes), and the checked conversion to and from the typed
//! [`Case`]. The service calls [`Case::parse`] once per case it reads; whatever does not read is
//! refused with the record, the field and the value, never replaced by a default.

use crate::case::{Case, CaseType, Parties, Priority, Source, State};
use crate::decision::{CaseDecision, Outcome};
use crate::guarantee::{Eligibility, Outcome as EligibilityOutcome, Reason, ReasonCode};
use crate::sla::Deadlines;
use arbiter_model::{Currency, Market, Micros, Money};
use serde::{Deserialize, Serialize};

/// A stored value that does not read as what it should be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{record}: {field}: {value:?} does not read: {reason}")]
pub struct Unreadable {
    /// `case_12`, `ledger entry 4`, …
    pub record: String,
    pub field: &'static str,
    pub value: String,
    pub reason: String,
}

/// A case as the store keeps it: the same fields as [`Case`], each in its stored form. `number`
/// and `version` are the store's to assign.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CaseRecord {
    pub number: i64,
    pub case_type: String,
    pub state: String,
    pub priority: String,
    pub queue: String,
    pub assignee: Option<String>,
    pub market: String,
    pub currency: String,
    pub claimant_id: Option<String>,
    pub client_id: Option<String>,
    pub tasker_id: Option<String>,
    pub task_id: Option<String>,
    pub intake_key: Option<String>,
    pub source: String,
    pub source_ref: Option<String>,
    pub claimed_minor: Option<i64>,
    pub risk_score: i64,
    /// The eligibility result as JSON ([`Eligibility::to_json`]).
    pub eligibility: Option<String>,
    pub summary: String,
    pub playbook_version: i64,
    pub steps_done: Vec<String>,
    pub opened_at: Micros,
    pub first_response_due: Micros,
    pub resolution_due: Micros,
    pub first_response_at: Option<Micros>,
    pub resolved_at: Option<Micros>,
    pub closed_at: Option<Micros>,
    pub reopened: i64,
    pub touches: i64,
    pub automated: bool,
    pub version: i64,
    pub updated_at: Micros,
}

impl Case {
    /// Reads a stored case. Every name must be one of its vocabulary, the market and currency
    /// real codes, the eligibility well formed; the first that is not is named.
    pub fn parse(stored: CaseRecord) -> Result<Case, Unreadable> {
        let record = crate::case::case_id(stored.number);
        let unreadable = |field: &'static str, value: &str, reason: String| Unreadable {
            record: record.clone(),
            field,
            value: value.to_owned(),
            reason,
        };
        let currency = Currency::parse(&stored.currency)
            .map_err(|e| unreadable("currency", &stored.currency, e))?;
        let eligibility = match &stored.eligibility {
            Some(json) => {
                Some(Eligibility::from_json(json).map_err(|e| unreadable("eligibility", json, e))?)
            }
            None => None,
        };
        let case = Case {
            number: stored.number,
            case_type: CaseType::parse(&stored.case_type)
                .map_err(|e| unreadable("case_type", &stored.case_type, e))?,
            state: State::parse(&stored.state)
                .map_err(|e| unreadable("state", &stored.state, e))?,
            priority: Priority::parse(&stored.priority)
                .map_err(|e| unreadable("priority", &stored.priority, e))?,
            queue: stored.queue,
            assignee: stored.assignee,
            market: Market::parse(&stored.market)
                .map_err(|e| unreadable("market", &stored.market, e))?,
            currency,
            parties: Parties {
                claimant: stored.claimant_id,
                client: stored.client_id,
                tasker: stored.tasker_id,
            },
            task_id: stored.task_id,
            source: Source::parse(&stored.source)
                .map_err(|e| unreadable("source", &stored.source, e))?,
            source_ref: stored.source_ref,
            claimed: stored
                .claimed_minor
                .map(|minor| Money::new(minor, currency)),
            risk_score: stored.risk_score,
            eligibility,
            summary: stored.summary,
            playbook_version: stored.playbook_version,
            steps_done: stored.steps_done,
            opened_at: stored.opened_at,
            deadlines: Deadlines {
                first_response_due: stored.first_response_due,
                resolution_due: stored.resolution_due,
            },
            first_response_at: stored.first_response_at,
            resolved_at: stored.resolved_at,
            closed_at: stored.closed_at,
            reopened: stored.reopened,
            touches: stored.touches,
            automated: stored.automated,
            version: stored.version,
            updated_at: stored.updated_at,
        };
        // The key is derived from the Task and type; a stored key that disagrees would link
        // filings to the wrong case.
        if stored.intake_key != case.intake_key() {
            return Err(unreadable(
                "intake_key",
                stored.intake_key.as_deref().unwrap_or(""),
                format!(
                    "the case's Task and type make it {:?}",
                    case.intake_key().unwrap_or_default()
                ),
            ));
        }
        Ok(case)
    }

    /// The case in the store's words; [`Case::parse`] reads it back as it is.
    pub fn to_stored(&self) -> CaseRecord {
        CaseRecord {
            number: self.number,
            case_type: self.case_type.as_str().to_owned(),
            state: self.state.as_str().to_owned(),
            priority: self.priority.as_str().to_owned(),
            queue: self.queue.clone(),
            assignee: self.assignee.clone(),
            market: self.market.as_str().to_owned(),
            currency: self.currency.to_string(),
            claimant_id: self.parties.claimant.clone(),
            client_id: self.parties.client.clone(),
            tasker_id: self.parties.tasker.clone(),
            task_id: self.task_id.clone(),
            intake_key: self.intake_key(),
            source: self.source.as_str().to_owned(),
            source_ref: self.source_ref.clone(),
            claimed_minor: self.claimed.map(|m| m.minor),
            risk_score: self.risk_score,
            eligibility: self.eligibility.as_ref().map(Eligibility::to_json),
            summary: self.summary.clone(),
            playbook_version: self.playbook_version,
            steps_done: self.steps_done.clone(),
            opened_at: self.opened_at,
            first_response_due: self.deadlines.first_response_due,
            resolution_due: self.deadlines.resolution_due,
            first_response_at: self.first_response_at,
            resolved_at: self.resolved_at,
            closed_at: self.closed_at,
            reopened: self.reopened,
            touches: self.touches,
            automated: self.automated,
            version: self.version,
            updated_at: self.updated_at,
        }
    }
}

/// The JSON an eligibility result is stored as.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EligibilityJson {
    outcome: String,
    payable_minor: i64,
    currency: String,
    reasons: Vec<ReasonJson>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReasonJson {
    code: String,
    text: String,
    clause: String,
}

impl Eligibility {
    /// `{"outcome": "eligible", "payable_minor": 45000, "currency": "USD", "reasons": [...]}`.
    pub fn to_json(&self) -> String {
        let json = EligibilityJson {
            outcome: self.outcome.as_str().to_owned(),
            payable_minor: self.payable.minor,
            currency: self.payable.currency.to_string(),
            reasons: self
                .reasons
                .iter()
                .map(|r| ReasonJson {
                    code: r.code.as_str().to_owned(),
                    text: r.text.clone(),
                    clause: r.clause.clone(),
                })
                .collect(),
        };
        // Strings and integers only: serialising cannot fail.
        serde_json::to_string(&json).unwrap_or_default()
    }

    /// Reads what [`Eligibility::to_json`] wrote; what does not read is said.
    pub fn from_json(text: &str) -> Result<Eligibility, String> {
        let json: EligibilityJson = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let currency = Currency::parse(&json.currency).map_err(|e| format!("currency: {e}"))?;
        Ok(Eligibility {
            outcome: EligibilityOutcome::parse(&json.outcome)
                .map_err(|e| format!("outcome: {e}"))?,
            payable: Money::new(json.payable_minor, currency),
            reasons: json
                .reasons
                .into_iter()
                .enumerate()
                .map(|(i, r)| {
                    Ok(Reason {
                        code: ReasonCode::parse(&r.code)
                            .map_err(|e| format!("reasons[{i}].code: {e}"))?,
                        text: r.text,
                        clause: r.clause,
                    })
                })
                .collect::<Result<_, String>>()?,
        })
    }
}

impl CaseDecision {
    /// Reads a stored decision on case `number`; what does not read is named.
    pub fn read(
        number: i64,
        outcome: &str,
        amount_minor: Option<i64>,
        currency: &str,
        clauses: Vec<String>,
        text: String,
    ) -> Result<CaseDecision, Unreadable> {
        let unreadable = |field: &'static str, value: &str, reason: String| Unreadable {
            record: format!("a decision on {}", crate::case::case_id(number)),
            field,
            value: value.to_owned(),
            reason,
        };
        let outcome = Outcome::parse(outcome).map_err(|e| unreadable("outcome", outcome, e))?;
        let amount = match amount_minor {
            Some(minor) => Some(Money::new(
                minor,
                Currency::parse(currency).map_err(|e| unreadable("currency", currency, e))?,
            )),
            None => None,
        };
        Ok(CaseDecision {
            outcome,
            amount,
            clauses,
            text,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored() -> CaseRecord {
        CaseRecord {
            number: 12,
            case_type: "theft_claim".into(),
            state: "investigating".into(),
            priority: "high".into(),
            queue: "claims".into(),
            assignee: Some("ana".into()),
            market: "FR".into(),
            currency: "EUR".into(),
            claimant_id: Some("u_1".into()),
            client_id: Some("u_1".into()),
            tasker_id: Some("u_2".into()),
            task_id: Some("t_9".into()),
            intake_key: Some("t_9:theft_claim".into()),
            source: "event".into(),
            source_ref: Some("evt_1".into()),
            claimed_minor: Some(45_000),
            risk_score: 12,
            eligibility: Some(
                r#"{"outcome":"eligible","payable_minor":45000,"currency":"EUR","reasons":[{"code":"within_terms","text":"covered","clause":"POL-GUARANTEE §1"}]}"#.into(),
            ),
            summary: "My bike".into(),
            playbook_version: 2,
            steps_done: vec!["verify".into()],
            opened_at: 10,
            first_response_due: 20,
            resolution_due: 30,
            first_response_at: Some(15),
            resolved_at: None,
            closed_at: None,
            reopened: 1,
            touches: 3,
            automated: false,
            version: 7,
            updated_at: 16,
        }
    }

    #[test]
    fn a_stored_case_reads_typed_and_writes_back_the_same() {
        let case = Case::parse(stored()).unwrap();
        assert_eq!(case.case_type, CaseType::TheftClaim);
        assert_eq!(case.state, State::Investigating);
        assert_eq!(case.claimed.unwrap().to_string(), "450.00 EUR");
        assert_eq!(
            case.eligibility.as_ref().unwrap().reasons[0].code,
            ReasonCode::WithinTerms
        );
        assert_eq!(case.to_stored(), stored());
    }

    /// Each row breaks one field; the error names it and its value, and nothing falls back.
    #[test]
    fn what_does_not_read_is_named() {
        type Break = fn(&mut CaseRecord);
        let rows: &[(&str, Break, &str)] = &[
            ("case_type", |s| s.case_type = "claim".into(), "claim"),
            ("state", |s| s.state = "done".into(), "done"),
            ("priority", |s| s.priority = "".into(), ""),
            ("market", |s| s.market = "XX".into(), "XX"),
            ("currency", |s| s.currency = "usd".into(), "usd"),
            ("source", |s| s.source = "email".into(), "email"),
            ("eligibility", |s| s.eligibility = Some("{}".into()), "{}"),
            (
                "eligibility",
                |s| {
                    s.eligibility = Some(
                        r#"{"outcome":"maybe","payable_minor":0,"currency":"EUR","reasons":[]}"#
                            .into(),
                    )
                },
                r#"{"outcome":"maybe","payable_minor":0,"currency":"EUR","reasons":[]}"#,
            ),
            (
                "intake_key",
                |s| s.intake_key = Some("t_8:theft_claim".into()),
                "t_8:theft_claim",
            ),
        ];
        for (field, break_it, value) in rows {
            let mut s = stored();
            break_it(&mut s);
            let error = Case::parse(s).unwrap_err();
            assert_eq!(error.field, *field);
            assert_eq!(error.value, *value);
            assert!(
                error
                    .to_string()
                    .starts_with(&format!("case_12: {field}: "))
            );
        }
    }

    #[test]
    fn stored_decisions_are_read_or_named() {
        let read =
            CaseDecision::read(3, "approved", Some(500), "USD", vec![], "ok".into()).unwrap();
        assert_eq!(read.amount.unwrap().to_string(), "5.00 USD");
        let bad = CaseDecision::read(3, "yes", None, "USD", vec![], "ok".into()).unwrap_err();
        assert_eq!(
            (bad.record.as_str(), bad.field),
            ("a decision on case_3", "outcome")
        );
    }
}
