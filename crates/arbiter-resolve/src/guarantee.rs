//! Guarantee eligibility (SPEC.md §5): from a claim's facts and its market's terms, whether the
//! Guarantee pays, how much, and why, each reason citing the clause it comes from.

use crate::lifecycle::CaseType;
use crate::vocabulary::vocabulary;
use arbiter_model::{Currency, Micros, Money};

const DAY: Micros = 86_400_000_000;

/// One market's Guarantee terms. Clause references point into the policy library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuaranteeTerms {
    pub market: String,
    pub currency: Currency,
    /// Claim types the Guarantee pays.
    pub covered: Vec<CaseType>,
    /// Most paid on one claim, in the market's currency.
    pub limit_minor: i64,
    /// Days after the incident within which a claim must be filed.
    pub filing_window_days: i64,
    /// Item categories never paid (`wear_and_tear`, `vehicle`, `cash`, `act_of_nature`).
    pub excluded_items: Vec<String>,
    pub clauses: GuaranteeClauses,
}

/// Where each rule of the terms is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuaranteeClauses {
    pub coverage: String,
    pub filing_window: String,
    pub limit: String,
    pub off_platform: String,
    pub excluded_items: String,
}

impl Default for GuaranteeClauses {
    fn default() -> Self {
        GuaranteeClauses {
            coverage: "POL-GUARANTEE §1".into(),
            filing_window: "POL-GUARANTEE §3.1".into(),
            limit: "POL-GUARANTEE §4.1".into(),
            off_platform: "POL-GUARANTEE §5.1".into(),
            excluded_items: "POL-GUARANTEE §5.2".into(),
        }
    }
}

impl GuaranteeTerms {
    /// SPEC.md §5's defaults for a market paying in `currency`: property damage, injury and
    /// theft; 10,000 in the currency per claim; 14 days; wear and tear, vehicles, cash and acts
    /// of nature excluded.
    pub fn defaults(market: &str, currency: Currency) -> GuaranteeTerms {
        GuaranteeTerms {
            market: market.to_owned(),
            currency,
            covered: vec![
                CaseType::PropertyDamageClaim,
                CaseType::InjuryClaim,
                CaseType::TheftClaim,
            ],
            limit_minor: 10_000 * 10_i64.pow(u32::from(currency.exponent())),
            filing_window_days: 14,
            excluded_items: ["wear_and_tear", "vehicle", "cash", "act_of_nature"]
                .map(str::to_owned)
                .to_vec(),
            clauses: GuaranteeClauses::default(),
        }
    }
}

/// What is known of a claim when its eligibility is computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimFacts {
    pub case_type: CaseType,
    pub claimed: Money,
    /// When it happened; the filing time stands in when unknown.
    pub incident_at: Option<Micros>,
    pub filed_at: Micros,
    /// The Task was booked on the platform (a `task.booked` event names it).
    pub booked_on_platform: bool,
    /// A decision or report says the Task was arranged or paid off the platform.
    pub off_platform: bool,
    /// Item categories the claim names (`data.items`).
    pub items: Vec<String>,
    /// Already paid on this claim, in its currency.
    pub paid_minor: i64,
}

vocabulary!(
    /// The Guarantee's answer on a claim. Partly eligible: paid up to the limit, less than
    /// claimed.
    Outcome {
        Eligible => "eligible", "Eligible";
        PartlyEligible => "partly_eligible", "Partly eligible";
        NotEligible => "not_eligible", "Not eligible";
    }
);

vocabulary!(
    /// Why a claim is or is not paid, each from a clause of the terms.
    ReasonCode {
        WrongCurrency => "wrong_currency", "Another currency";
        NotCovered => "not_covered", "Not covered";
        FiledLate => "filed_late", "Filed late";
        OverLimit => "over_limit", "Over the limit";
        OffPlatform => "off_platform", "Off the platform";
        ExcludedItem => "excluded_item", "Excluded item";
        WithinTerms => "within_terms", "Within the terms";
    }
);

/// One reason, with the clause behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub code: ReasonCode,
    pub text: String,
    pub clause: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eligibility {
    pub outcome: Outcome,
    /// What the Guarantee pays, net of what was already paid; zero when not eligible.
    pub payable: Money,
    /// Every reason found, in the order of the claims procedure (PRC-CLAIMS §2.1).
    pub reasons: Vec<Reason>,
}

/// The eligibility of a claim under `terms`. Every check runs, so a denial lists all its
/// reasons, not only the first.
pub fn eligibility(facts: &ClaimFacts, terms: &GuaranteeTerms) -> Eligibility {
    let mut reasons = Vec::new();
    let mut eligible = true;
    let clauses = &terms.clauses;
    let zero = Money::new(0, terms.currency);
    if facts.claimed.currency != terms.currency {
        return Eligibility {
            outcome: Outcome::NotEligible,
            payable: zero,
            reasons: vec![Reason {
                code: ReasonCode::WrongCurrency,
                text: format!(
                    "claimed in {}; the Guarantee in {} pays in {}",
                    facts.claimed.currency, terms.market, terms.currency
                ),
                clause: clauses.limit.clone(),
            }],
        };
    }
    if !terms.covered.contains(&facts.case_type) {
        eligible = false;
        reasons.push(Reason {
            code: ReasonCode::NotCovered,
            text: format!(
                "the Guarantee does not cover {} cases",
                facts.case_type.label().to_lowercase()
            ),
            clause: clauses.coverage.clone(),
        });
    }
    let incident = facts.incident_at.unwrap_or(facts.filed_at);
    let days = (facts.filed_at - incident).div_euclid(DAY);
    if facts.filed_at - incident > terms.filing_window_days * DAY {
        eligible = false;
        reasons.push(Reason {
            code: ReasonCode::FiledLate,
            text: format!(
                "filed {days} days after the incident; the window is {} days",
                terms.filing_window_days
            ),
            clause: clauses.filing_window.clone(),
        });
    }
    // The per-claim limit (PRC-CLAIMS §2.1 checks it after the time limit): listed whether or
    // not another reason refuses the claim, so a denial names every reason that applies.
    let remaining = (terms.limit_minor - facts.paid_minor).max(0);
    let due = (facts.claimed.minor - facts.paid_minor).max(0);
    let over_limit = due > remaining;
    if over_limit {
        reasons.push(Reason {
            code: ReasonCode::OverLimit,
            text: format!(
                "claimed {}; the limit per claim is {}",
                facts.claimed,
                Money::new(terms.limit_minor, terms.currency)
            ),
            clause: clauses.limit.clone(),
        });
    }
    if !facts.booked_on_platform || facts.off_platform {
        eligible = false;
        reasons.push(Reason {
            code: ReasonCode::OffPlatform,
            text: if facts.off_platform {
                "the Task was arranged or paid off the platform".into()
            } else {
                "no booking on the platform names this Task".into()
            },
            clause: clauses.off_platform.clone(),
        });
    }
    let excluded: Vec<&String> = facts
        .items
        .iter()
        .filter(|item| terms.excluded_items.contains(item))
        .collect();
    if !excluded.is_empty() {
        eligible = false;
        reasons.push(Reason {
            code: ReasonCode::ExcludedItem,
            text: format!(
                "excluded: {}",
                excluded
                    .iter()
                    .map(|s| s.replace('_', " "))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            clause: clauses.excluded_items.clone(),
        });
    }
    if !eligible {
        return Eligibility {
            outcome: Outcome::NotEligible,
            payable: zero,
            reasons,
        };
    }
    if over_limit {
        return Eligibility {
            outcome: Outcome::PartlyEligible,
            payable: Money::new(remaining, terms.currency),
            reasons,
        };
    }
    reasons.push(Reason {
        code: ReasonCode::WithinTerms,
        text: format!(
            "covered, filed within {} days, booked on the platform, within the limit",
            terms.filing_window_days
        ),
        clause: clauses.coverage.clone(),
    });
    Eligibility {
        outcome: Outcome::Eligible,
        payable: Money::new(due, terms.currency),
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    fn claim(minor: i64) -> ClaimFacts {
        ClaimFacts {
            case_type: CaseType::PropertyDamageClaim,
            claimed: Money::new(minor, usd()),
            incident_at: Some(0),
            filed_at: 3 * DAY,
            booked_on_platform: true,
            off_platform: false,
            items: vec!["furniture".into()],
            paid_minor: 0,
        }
    }

    #[test]
    fn within_the_terms_pays_what_was_claimed() {
        let terms = GuaranteeTerms::defaults("US", usd());
        let result = eligibility(&claim(45_000), &terms);
        assert_eq!(result.outcome, Outcome::Eligible);
        assert_eq!(result.payable, Money::new(45_000, usd()));
    }

    #[test]
    fn over_the_limit_pays_up_to_it() {
        let terms = GuaranteeTerms::defaults("US", usd());
        assert_eq!(terms.limit_minor, 1_000_000);
        let result = eligibility(&claim(1_500_000), &terms);
        assert_eq!(result.outcome, Outcome::PartlyEligible);
        assert_eq!(result.payable.minor, 1_000_000);
        assert_eq!(result.reasons[0].clause, "POL-GUARANTEE §4.1");
        // What was paid already counts against the limit.
        let mut paid = claim(1_500_000);
        paid.paid_minor = 400_000;
        assert_eq!(eligibility(&paid, &terms).payable.minor, 600_000);
    }

    #[test]
    fn every_reason_is_given_with_its_clause() {
        let terms = GuaranteeTerms::defaults("US", usd());
        let mut late = claim(20_000);
        late.filed_at = 20 * DAY;
        late.off_platform = true;
        late.items = vec!["vehicle".into(), "cash".into()];
        let result = eligibility(&late, &terms);
        assert_eq!(result.outcome, Outcome::NotEligible);
        assert_eq!(result.payable.minor, 0);
        let cited: Vec<(&str, &str)> = result
            .reasons
            .iter()
            .map(|r| (r.code.as_str(), r.clause.as_str()))
            .collect();
        assert_eq!(
            cited,
            vec![
                ("filed_late", "POL-GUARANTEE §3.1"),
                ("off_platform", "POL-GUARANTEE §5.1"),
                ("excluded_item", "POL-GUARANTEE §5.2"),
            ]
        );
        assert_eq!(
            result.reasons[0].text,
            "filed 20 days after the incident; the window is 14 days"
        );
        assert_eq!(result.reasons[2].text, "excluded: vehicle, cash");
    }

    #[test]
    fn an_over_limit_claim_refused_for_another_reason_lists_both() {
        let terms = GuaranteeTerms::defaults("US", usd());
        let mut late = claim(1_500_000);
        late.filed_at = 20 * DAY;
        let result = eligibility(&late, &terms);
        assert_eq!(result.outcome, Outcome::NotEligible);
        assert_eq!(result.payable.minor, 0);
        let cited: Vec<(&str, &str)> = result
            .reasons
            .iter()
            .map(|r| (r.code.as_str(), r.clause.as_str()))
            .collect();
        assert_eq!(
            cited,
            vec![
                ("filed_late", "POL-GUARANTEE §3.1"),
                ("over_limit", "POL-GUARANTEE §4.1"),
            ]
        );
        // Every exclusion at once: each is listed, in the order of the procedure.
        late.off_platform = true;
        late.items = vec!["cash".into()];
        let codes: Vec<&str> = eligibility(&late, &terms)
            .reasons
            .iter()
            .map(|r| r.code.as_str())
            .collect();
        assert_eq!(
            codes,
            ["filed_late", "over_limit", "off_platform", "excluded_item"]
        );
    }

    #[test]
    fn the_fourteenth_day_is_inside_the_window() {
        let terms = GuaranteeTerms::defaults("US", usd());
        let mut edge = claim(100);
        edge.filed_at = 14 * DAY;
        assert_eq!(eligibility(&edge, &terms).outcome, Outcome::Eligible);
        edge.filed_at = 14 * DAY + 1;
        assert_eq!(eligibility(&edge, &terms).outcome, Outcome::NotEligible);
    }

    #[test]
    fn a_claim_in_another_currency_is_not_paid() {
        let terms = GuaranteeTerms::defaults("FR", Currency::parse("EUR").unwrap());
        let result = eligibility(&claim(100), &terms);
        assert_eq!(result.outcome, Outcome::NotEligible);
        assert_eq!(result.reasons[0].code, ReasonCode::WrongCurrency);
    }

    #[test]
    fn uncovered_types_are_named() {
        let terms = GuaranteeTerms::defaults("US", usd());
        let mut dispute = claim(100);
        dispute.case_type = CaseType::QualityDispute;
        let result = eligibility(&dispute, &terms);
        assert_eq!(
            result.reasons[0].text,
            "the Guarantee does not cover quality dispute cases"
        );
    }
}
