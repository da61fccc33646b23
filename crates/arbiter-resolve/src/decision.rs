//! Decisions on a case, and the automatic resolution that decides without a person.

use crate::case::{CaseType, vocabulary};
use crate::guarantee::{Eligibility, Outcome as EligibilityOutcome};
use arbiter_model::{Currency, Money};

vocabulary!(
    /// What was decided.
    Outcome {
        Approved => "approved", "Approved";
        PartlyApproved => "partly_approved", "Partly approved";
        Denied => "denied", "Denied";
        ResolvedWithoutPayout => "resolved_without_payout", "Resolved without payout";
        Referred => "referred", "Referred";
    }
);

impl Outcome {
    /// Whether the outcome pays the claimant.
    pub fn pays(self) -> bool {
        matches!(self, Outcome::Approved | Outcome::PartlyApproved)
    }
}

/// A decision as a person or an automation gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub outcome: Outcome,
    /// What is paid, for an approval.
    pub amount: Option<Money>,
    /// Policy clauses the decision rests on, e.g. `POL-GUARANTEE §3.1`.
    pub clauses: Vec<String>,
    pub text: String,
}

/// Why a decision was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecisionError {
    #[error("amount: an approval says what is paid")]
    ApprovalWithoutAmount,
    #[error("amount: {0} decisions pay nothing; leave the amount out")]
    AmountWithoutPayment(&'static str),
    #[error("amount: must be more than zero")]
    NotPositive,
    #[error("amount: {given} is not this case's currency ({case})")]
    WrongCurrency { given: Currency, case: Currency },
    #[error("clauses: a denial cites the clause it rests on (for example POL-GUARANTEE §3.1)")]
    DenialWithoutClause,
    #[error("text: say what was decided and why, in a sentence or more")]
    NoText,
}

/// Checks a decision on a case kept in `currency`.
pub fn check(decision: &Decision, currency: Currency) -> Result<(), DecisionError> {
    match (decision.outcome.pays(), decision.amount) {
        (true, None) => return Err(DecisionError::ApprovalWithoutAmount),
        (false, Some(_)) => {
            return Err(DecisionError::AmountWithoutPayment(
                decision.outcome.as_str(),
            ));
        }
        (true, Some(amount)) => {
            if amount.currency != currency {
                return Err(DecisionError::WrongCurrency {
                    given: amount.currency,
                    case: currency,
                });
            }
            if amount.minor <= 0 {
                return Err(DecisionError::NotPositive);
            }
        }
        (false, None) => {}
    }
    if decision.outcome == Outcome::Denied && decision.clauses.is_empty() {
        return Err(DecisionError::DenialWithoutClause);
    }
    if decision.text.trim().is_empty() {
        return Err(DecisionError::NoText);
    }
    Ok(())
}

/// A market's rule for resolving claims without a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoRule {
    pub name: String,
    /// Markets it applies in; empty for every market.
    pub markets: Vec<String>,
    pub types: Vec<CaseType>,
    /// Claims up to this many whole units of the market's currency.
    pub max_claim: i64,
    /// The claimant has no confirmed violation.
    pub require_good_standing: bool,
    /// No decision flagged either party for review or worse.
    pub require_no_fraud_signal: bool,
}

/// What automatic resolution looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoFacts<'a> {
    pub case_type: CaseType,
    pub market: &'a str,
    pub claimed: Money,
    pub eligibility: &'a Eligibility,
    pub good_standing: bool,
    pub fraud_signal: bool,
}

/// The decision the first matching rule gives, with the rule's name; `None` leaves the case
/// to a person. Only fully eligible claims are decided automatically: anything less needs a
/// person to read it.
pub fn auto_resolve(rules: &[AutoRule], facts: &AutoFacts<'_>) -> Option<(Decision, String)> {
    if facts.eligibility.outcome != EligibilityOutcome::Eligible {
        return None;
    }
    let rule = rules.iter().find(|r| {
        (r.markets.is_empty() || r.markets.iter().any(|m| m == facts.market))
            && r.types.contains(&facts.case_type)
            && facts.claimed.minor
                <= r.max_claim
                    .saturating_mul(10_i64.pow(u32::from(facts.claimed.currency.exponent())))
            && (!r.require_good_standing || facts.good_standing)
            && (!r.require_no_fraud_signal || !facts.fraud_signal)
    })?;
    let clauses = facts
        .eligibility
        .reasons
        .iter()
        .map(|r| r.clause.clone())
        .collect();
    Some((
        Decision {
            outcome: Outcome::Approved,
            amount: Some(facts.eligibility.payable),
            clauses,
            text: format!(
                "Approved automatically under “{}”: eligible, {} claimed, no fraud signal.",
                rule.name, facts.claimed
            ),
        },
        rule.name.clone(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guarantee::Reason;

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::parse("USD").unwrap())
    }

    #[test]
    fn decisions_are_checked() {
        let usd_currency = Currency::parse("USD").unwrap();
        let approved = Decision {
            outcome: Outcome::Approved,
            amount: Some(usd(10_000)),
            clauses: vec![],
            text: "Documented damage.".into(),
        };
        assert!(check(&approved, usd_currency).is_ok());
        let no_amount = Decision {
            amount: None,
            ..approved.clone()
        };
        assert_eq!(
            check(&no_amount, usd_currency),
            Err(DecisionError::ApprovalWithoutAmount)
        );
        let denied = Decision {
            outcome: Outcome::Denied,
            amount: None,
            clauses: vec![],
            text: "Late.".into(),
        };
        assert_eq!(
            check(&denied, usd_currency),
            Err(DecisionError::DenialWithoutClause)
        );
        let negative = Decision {
            amount: Some(usd(-5)),
            ..approved
        };
        assert_eq!(
            check(&negative, usd_currency),
            Err(DecisionError::NotPositive)
        );
    }

    #[test]
    fn small_clean_eligible_claims_resolve_themselves() {
        let rules = vec![AutoRule {
            name: "small property damage".into(),
            markets: vec!["US".into()],
            types: vec![CaseType::PropertyDamageClaim],
            max_claim: 500,
            require_good_standing: true,
            require_no_fraud_signal: true,
        }];
        let eligible = Eligibility {
            outcome: EligibilityOutcome::Eligible,
            payable: usd(20_000),
            reasons: vec![Reason {
                code: "within_terms",
                text: String::new(),
                clause: "POL-GUARANTEE §1".into(),
            }],
        };
        let facts = AutoFacts {
            case_type: CaseType::PropertyDamageClaim,
            market: "US",
            claimed: usd(20_000),
            eligibility: &eligible,
            good_standing: true,
            fraud_signal: false,
        };
        let (decision, rule) = auto_resolve(&rules, &facts).unwrap();
        assert_eq!(rule, "small property damage");
        assert_eq!(decision.amount, Some(usd(20_000)));
        assert!(
            auto_resolve(
                &rules,
                &AutoFacts {
                    fraud_signal: true,
                    ..facts.clone()
                }
            )
            .is_none()
        );
        assert!(
            auto_resolve(
                &rules,
                &AutoFacts {
                    market: "FR",
                    ..facts.clone()
                }
            )
            .is_none()
        );
        assert!(
            auto_resolve(
                &rules,
                &AutoFacts {
                    claimed: usd(60_000),
                    ..facts
                }
            )
            .is_none()
        );
    }
}
