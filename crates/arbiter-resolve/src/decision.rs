//! Decisions on a case, and the automatic resolution that decides without a person.

use crate::guarantee::{Eligibility, Outcome as EligibilityOutcome};
use crate::lifecycle::CaseType;
use crate::vocabulary::vocabulary;
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

/// What was decided on a case, as a person or an automation gives it: the case's outcome, not
/// a rule's verdict on an event (that is `arbiter_rules::Decision`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseDecision {
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
pub fn check(decision: &CaseDecision, currency: Currency) -> Result<(), DecisionError> {
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

/// What automatic resolution looks at. `None` is unknown: a rule that needs the fact declines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoFacts<'a> {
    pub case_type: CaseType,
    pub market: &'a str,
    pub claimed: Money,
    pub eligibility: &'a Eligibility,
    pub good_standing: Option<bool>,
    pub fraud_signal: Option<bool>,
}

/// Why no automatic rule decided a claim: it is left to a person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Declined {
    #[error("only fully eligible claims are decided automatically")]
    NotEligible,
    #[error("no automatic rule covers this market, type and amount")]
    NoRule,
    #[error("rule “{0}” needs the claimant in good standing")]
    NotInGoodStanding(String),
    #[error("rule “{0}” needs the claimant's standing, which is not known")]
    StandingUnknown(String),
    #[error("rule “{0}” needs no fraud signal, and one was found")]
    FraudSignal(String),
    #[error("rule “{0}” needs the rules to have screened the claim, and they did not")]
    NotScreened(String),
}

/// The decision the first rule that covers the claim and whose conditions hold gives, with the
/// rule's name; else why none did (the first covering rule's reason). Only fully eligible
/// claims are decided automatically: anything less needs a person to read it. A condition on
/// a fact that is not known does not hold.
pub fn auto_resolve(
    rules: &[AutoRule],
    facts: &AutoFacts<'_>,
) -> Result<(CaseDecision, String), Declined> {
    if facts.eligibility.outcome != EligibilityOutcome::Eligible {
        return Err(Declined::NotEligible);
    }
    let covering = rules.iter().filter(|r| {
        (r.markets.is_empty() || r.markets.iter().any(|m| m == facts.market))
            && r.types.contains(&facts.case_type)
            && facts.claimed.minor
                <= r.max_claim
                    .saturating_mul(10_i64.pow(u32::from(facts.claimed.currency.exponent())))
    });
    let mut first_refusal = None;
    for rule in covering {
        let refusal = if rule.require_good_standing && facts.good_standing != Some(true) {
            Some(match facts.good_standing {
                None => Declined::StandingUnknown(rule.name.clone()),
                Some(_) => Declined::NotInGoodStanding(rule.name.clone()),
            })
        } else if rule.require_no_fraud_signal && facts.fraud_signal != Some(false) {
            Some(match facts.fraud_signal {
                None => Declined::NotScreened(rule.name.clone()),
                Some(_) => Declined::FraudSignal(rule.name.clone()),
            })
        } else {
            None
        };
        match refusal {
            Some(why) => {
                first_refusal.get_or_insert(why);
            }
            None => return Ok((approval(rule, facts), rule.name.clone())),
        }
    }
    Err(first_refusal.unwrap_or(Declined::NoRule))
}

fn approval(rule: &AutoRule, facts: &AutoFacts<'_>) -> CaseDecision {
    CaseDecision {
        outcome: Outcome::Approved,
        amount: Some(facts.eligibility.payable),
        clauses: facts
            .eligibility
            .reasons
            .iter()
            .map(|r| r.clause.clone())
            .collect(),
        text: format!(
            "Approved automatically under “{}”: eligible, {} claimed, no fraud signal.",
            rule.name, facts.claimed
        ),
    }
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
        let approved = CaseDecision {
            outcome: Outcome::Approved,
            amount: Some(usd(10_000)),
            clauses: vec![],
            text: "Documented damage.".into(),
        };
        assert!(check(&approved, usd_currency).is_ok());
        let no_amount = CaseDecision {
            amount: None,
            ..approved.clone()
        };
        assert_eq!(
            check(&no_amount, usd_currency),
            Err(DecisionError::ApprovalWithoutAmount)
        );
        let denied = CaseDecision {
            outcome: Outcome::Denied,
            amount: None,
            clauses: vec![],
            text: "Late.".into(),
        };
        assert_eq!(
            check(&denied, usd_currency),
            Err(DecisionError::DenialWithoutClause)
        );
        let negative = CaseDecision {
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
                code: crate::guarantee::ReasonCode::WithinTerms,
                text: String::new(),
                clause: "POL-GUARANTEE §1".into(),
            }],
        };
        let partly = Eligibility {
            outcome: EligibilityOutcome::PartlyEligible,
            ..eligible.clone()
        };
        let facts = AutoFacts {
            case_type: CaseType::PropertyDamageClaim,
            market: "US",
            claimed: usd(20_000),
            eligibility: &eligible,
            good_standing: Some(true),
            fraud_signal: Some(false),
        };
        let (decision, rule) = auto_resolve(&rules, &facts).unwrap();
        assert_eq!(rule, "small property damage");
        assert_eq!(decision.amount, Some(usd(20_000)));
        assert_eq!(decision.clauses, ["POL-GUARANTEE §1"]);
        let rule = || "small property damage".to_owned();
        let declined: Vec<(&str, AutoFacts<'_>, Declined)> = vec![
            (
                "flagged",
                AutoFacts {
                    fraud_signal: Some(true),
                    ..facts.clone()
                },
                Declined::FraudSignal(rule()),
            ),
            (
                "never screened by the rules",
                AutoFacts {
                    fraud_signal: None,
                    ..facts.clone()
                },
                Declined::NotScreened(rule()),
            ),
            (
                "a claimant with a violation",
                AutoFacts {
                    good_standing: Some(false),
                    ..facts.clone()
                },
                Declined::NotInGoodStanding(rule()),
            ),
            (
                "no claimant known",
                AutoFacts {
                    good_standing: None,
                    ..facts.clone()
                },
                Declined::StandingUnknown(rule()),
            ),
            (
                "another market",
                AutoFacts {
                    market: "FR",
                    ..facts.clone()
                },
                Declined::NoRule,
            ),
            (
                "over the rule's amount",
                AutoFacts {
                    claimed: usd(60_000),
                    ..facts.clone()
                },
                Declined::NoRule,
            ),
            (
                "another type",
                AutoFacts {
                    case_type: CaseType::TheftClaim,
                    ..facts.clone()
                },
                Declined::NoRule,
            ),
            (
                "only partly eligible",
                AutoFacts {
                    eligibility: &partly,
                    ..facts.clone()
                },
                Declined::NotEligible,
            ),
        ];
        for (name, facts, why) in declined {
            assert_eq!(auto_resolve(&rules, &facts), Err(why), "{name}");
        }
    }

    #[test]
    fn a_later_rule_without_the_condition_still_decides() {
        let strict = AutoRule {
            name: "strict".into(),
            markets: vec![],
            types: vec![CaseType::TheftClaim],
            max_claim: 100,
            require_good_standing: true,
            require_no_fraud_signal: true,
        };
        let lenient = AutoRule {
            name: "lenient".into(),
            require_no_fraud_signal: false,
            ..strict.clone()
        };
        let eligible = Eligibility {
            outcome: EligibilityOutcome::Eligible,
            payable: usd(5_000),
            reasons: vec![],
        };
        let facts = AutoFacts {
            case_type: CaseType::TheftClaim,
            market: "US",
            claimed: usd(5_000),
            eligibility: &eligible,
            good_standing: Some(true),
            fraud_signal: None,
        };
        assert_eq!(
            auto_resolve(&[strict.clone(), lenient], &facts).map(|(_, r)| r),
            Ok("lenient".to_owned())
        );
        assert_eq!(
            auto_resolve(&[strict], &facts).map(|(_, r)| r),
            Err(Declined::NotScreened("strict".into()))
        );
    }
}
