use super::*;
use crate::ladder::Ladder;
use crate::standard::{MemberRole, Standards};
use crate::standing::{Member, standing};
use crate::violation::{RuleViolation, Subject, Violation};
use time::macros::datetime;

fn statement_for(
    points_events: &[&str],
    market: &str,
) -> Result<Option<Statement>, Vec<FieldError>> {
    let standards: Standards = crate::violation::tests::standards();
    let violations: Vec<Violation> = points_events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            Violation::from_rule(
                &standards,
                RuleViolation {
                    rule_id: "OFF-PLATFORM".into(),
                    event_id: (*e).into(),
                    subject: Subject {
                        member: "t_1".into(),
                        role: MemberRole::Tasker,
                        market: market.into(),
                    },
                    citation: "STD-TEST §1.1".into(),
                    occurred_at: datetime!(2026-03-01 10:00 UTC) + time::Duration::days(i as i64),
                    decided_at: datetime!(2026-03-01 10:00 UTC) + time::Duration::days(i as i64),
                    facts: "Asked Ana Perez to pay cash at ana@example.com or +33 6 12 34 56 78."
                        .into(),
                },
            )
            .unwrap()
        })
        .collect();
    let member = Member {
        id: "t_1".into(),
        role: MemberRole::Tasker,
        market: market.into(),
    };
    let s = standing(
        &member,
        &violations,
        &Ladder::default_ladder(),
        &[],
        datetime!(2026-06-01 00:00 UTC),
    );
    let action = s.actions.last().unwrap().clone();
    let violation = violations
        .iter()
        .find(|v| v.key == action.violation)
        .unwrap();
    let standard = standards.get(&violation.standard).unwrap();
    statement_of_reasons(StatementInput {
        action: &action,
        violation,
        standard,
        personal: &["Ana Perez", "t_1"],
        help_url: Some("https://help.example.com/help/"),
    })
}

#[test]
fn a_restriction_in_the_eu_gets_a_valid_statement() {
    // 3 points: the EU tasker ladder's payout hold for 14 days.
    let s = statement_for(&["e_1"], "FR").unwrap().unwrap();
    assert_eq!(
        s.decision_monetary.as_deref(),
        Some("DECISION_MONETARY_SUSPENSION")
    );
    assert_eq!(
        s.end_date_monetary_restriction.as_deref(),
        Some("2026-03-15")
    );
    assert_eq!(
        (s.content_date.as_str(), s.application_date.as_str()),
        ("2026-03-01", "2026-03-01")
    );
    assert_eq!(s.decision_ground, "DECISION_GROUND_INCOMPATIBLE_CONTENT");
    assert_eq!(s.category, "STATEMENT_CATEGORY_SCAMS_AND_FRAUD");
    assert_eq!(
        (
            s.automated_detection.as_str(),
            s.automated_decision.as_str()
        ),
        ("Yes", "AUTOMATED_DECISION_FULLY")
    );
    assert_eq!(s.source_type, "SOURCE_VOLUNTARY");
    assert_eq!(s.territorial_scope.as_deref(), Some(&["FR".to_owned()][..]));
    assert_eq!(
        s.decision_ground_reference_url.as_deref(),
        Some("https://help.example.com/help/STD-TEST#s1.1")
    );
    assert!(s.puid.starts_with("arbiter-act_"), "{}", s.puid);
    for personal in ["Ana", "ana@", "+33", "t_1"] {
        assert!(
            !s.decision_facts.contains(personal),
            "{personal} in {}",
            s.decision_facts
        );
    }
    assert!(
        s.decision_facts.contains("STD-TEST §1.1"),
        "{}",
        s.decision_facts
    );
    let json = serde_json::to_value(&s).unwrap();
    assert!(
        json.get("decision_visibility").is_none(),
        "absent fields are not sent"
    );
    assert_eq!(
        json["content_type"],
        serde_json::json!(["CONTENT_TYPE_OTHER"])
    );
}

#[test]
fn suspensions_and_deactivations_map_to_the_account() {
    let suspension = statement_for(&["e_1", "e_2"], "DE").unwrap().unwrap();
    assert_eq!(
        suspension.decision_account.as_deref(),
        Some("DECISION_ACCOUNT_SUSPENDED")
    );
    assert_eq!(
        suspension.end_date_account_restriction.as_deref(),
        Some("2026-04-01")
    );
    let deactivation = statement_for(&["e_1", "e_2", "e_3"], "DE")
        .unwrap()
        .unwrap();
    assert_eq!(
        deactivation.decision_account.as_deref(),
        Some("DECISION_ACCOUNT_TERMINATED")
    );
    assert_eq!(deactivation.end_date_account_restriction, None);
}

#[test]
fn no_statement_outside_the_eu() {
    assert_eq!(statement_for(&["e_1"], "US").unwrap(), None);
}

fn good() -> Statement {
    statement_for(&["e_1"], "FR").unwrap().unwrap()
}

/// Every rule of the database, one broken at a time, named by its field.
#[test]
fn each_rule_is_enforced_on_its_field() {
    type Break = fn(&mut Statement);
    let cases: &[(Break, &str, &str)] = &[
        (
            |s| s.decision_monetary = None,
            "decision_visibility",
            "at least one of",
        ),
        (
            |s| s.decision_account = Some("DECISION_ACCOUNT_BANNED".into()),
            "decision_account",
            "is not one of",
        ),
        (
            |s| s.decision_visibility = Some(vec!["DECISION_VISIBILITY_OTHER".into()]),
            "decision_visibility_other",
            "required when DECISION_VISIBILITY_OTHER",
        ),
        (
            |s| s.decision_monetary_other = Some("x".into()),
            "decision_monetary_other",
            "only when DECISION_MONETARY_OTHER",
        ),
        (
            |s| s.decision_ground = "DECISION_GROUND_OTHER".into(),
            "decision_ground",
            "is not one of",
        ),
        (
            |s| s.incompatible_content_explanation = None,
            "incompatible_content_explanation",
            "required when decision_ground",
        ),
        (
            |s| s.illegal_content_legal_ground = Some("Art. 1".into()),
            "illegal_content_legal_ground",
            "only with DECISION_GROUND_ILLEGAL_CONTENT",
        ),
        (
            |s| s.incompatible_content_ground = Some("x".repeat(501)),
            "incompatible_content_ground",
            "at most 500 characters",
        ),
        (
            |s| s.incompatible_content_explanation = Some("x".repeat(2001)),
            "incompatible_content_explanation",
            "at most 2000 characters",
        ),
        (
            |s| {
                s.decision_ground = "DECISION_GROUND_ILLEGAL_CONTENT".into();
                s.incompatible_content_ground = None;
                s.incompatible_content_explanation = None;
                s.illegal_content_explanation = Some("why".into());
            },
            "illegal_content_legal_ground",
            "required when decision_ground is DECISION_GROUND_ILLEGAL_CONTENT",
        ),
        (
            |s| s.incompatible_content_illegal = Some("Maybe".into()),
            "incompatible_content_illegal",
            "not Yes or No",
        ),
        (|s| s.content_type = vec![], "content_type", "required"),
        (
            |s| s.content_type = vec!["CONTENT_TYPE_SERVICE".into(), "CONTENT_TYPE_OTHER".into()],
            "content_type",
            "is not one of",
        ),
        (
            |s| s.content_type = vec!["CONTENT_TYPE_TEXT".into(), "CONTENT_TYPE_TEXT".into()],
            "content_type",
            "listed twice",
        ),
        (
            |s| s.content_type_other = None,
            "content_type_other",
            "required when CONTENT_TYPE_OTHER",
        ),
        (
            |s| s.content_type = vec!["CONTENT_TYPE_TEXT".into()],
            "content_type_other",
            "only when CONTENT_TYPE_OTHER",
        ),
        (
            |s| s.category = "STATEMENT_CATEGORY_FRAUD".into(),
            "category",
            "not a STATEMENT_CATEGORY_",
        ),
        (
            |s| s.category_specification = Some(vec!["KEYWORD_SCAM".into()]),
            "category_specification",
            "not a KEYWORD_",
        ),
        (
            |s| s.category_specification = Some(vec!["KEYWORD_OTHER".into()]),
            "category_specification_other",
            "required when KEYWORD_OTHER",
        ),
        (
            |s| s.territorial_scope = Some(vec!["US".into()]),
            "territorial_scope",
            "not an EU/EEA country code",
        ),
        (
            |s| s.content_language = Some("fr".into()),
            "content_language",
            "two-letter",
        ),
        (
            |s| s.content_date = "01/03/2026".into(),
            "content_date",
            "not a date like",
        ),
        (
            |s| s.application_date = "2019-12-31".into(),
            "application_date",
            "must be from 2020-01-01",
        ),
        (
            |s| s.content_date = "2026-03-02".into(),
            "content_date",
            "after application_date",
        ),
        (
            |s| s.end_date_monetary_restriction = Some("2026-02-01".into()),
            "end_date_monetary_restriction",
            "before application_date",
        ),
        (
            |s| s.end_date_monetary_restriction = Some("2039-01-01".into()),
            "end_date_monetary_restriction",
            "must be from",
        ),
        (
            |s| s.end_date_account_restriction = Some("2026-04-01".into()),
            "end_date_account_restriction",
            "only for a temporary restriction",
        ),
        (
            |s| {
                s.decision_monetary = Some("DECISION_MONETARY_TERMINATION".into());
            },
            "end_date_monetary_restriction",
            "only for a temporary restriction",
        ),
        (
            |s| s.decision_facts = " ".into(),
            "decision_facts",
            "required",
        ),
        (
            |s| s.decision_facts = "x".repeat(5001),
            "decision_facts",
            "at most 5000",
        ),
        (
            |s| s.decision_facts = "write to bob@example.com".into(),
            "decision_facts",
            "personal data (an email pattern)",
        ),
        (
            |s| s.incompatible_content_explanation = Some("call 0612345678".into()),
            "incompatible_content_explanation",
            "personal data (an phone pattern)",
        ),
        (
            |s| s.source_type = "SOURCE_REPORT".into(),
            "source_type",
            "is not one of",
        ),
        (
            |s| s.automated_detection = "yes".into(),
            "automated_detection",
            "not Yes or No",
        ),
        (
            |s| s.automated_decision = "Yes".into(),
            "automated_decision",
            "is not one of",
        ),
        (|s| s.puid = "act 1".into(), "puid", "from a-z"),
        (|s| s.puid = "a".repeat(501), "puid", "1 to 500"),
        (|s| s.puid = String::new(), "puid", "1 to 500"),
        (
            |s| s.decision_ground_reference_url = Some("javascript:alert(1)".into()),
            "decision_ground_reference_url",
            "http(s)",
        ),
        (
            |s| s.account_type = Some("ACCOUNT_TYPE_PERSONAL".into()),
            "account_type",
            "is not one of",
        ),
    ];
    assert_eq!(validate(&good()), Ok(()));
    for (i, (break_it, field, message)) in cases.iter().enumerate() {
        let mut s = good();
        break_it(&mut s);
        let errors = validate(&s).unwrap_err();
        assert!(
            errors
                .iter()
                .any(|e| e.field == *field && e.message.contains(message)),
            "case {i}: want {field}: {message}, got {errors:?}"
        );
    }
}

#[test]
fn batches_hold_1_to_100_statements_with_unique_puids() {
    let one = good();
    let many: Vec<Statement> = (0..250)
        .map(|i| Statement {
            puid: format!("arbiter-{i}"),
            ..one.clone()
        })
        .collect();
    let sizes: Vec<usize> = batches(many)
        .unwrap()
        .iter()
        .map(|b| b.statements.len())
        .collect();
    assert_eq!(sizes, [100, 100, 50]);
    assert_eq!(batches(vec![]).unwrap(), vec![]);
    let repeated = vec![
        one.clone(),
        Statement {
            category: "nope".into(),
            ..one.clone()
        },
        one.clone(),
    ];
    let errors = batches(repeated).unwrap_err();
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(
        shown
            .iter()
            .any(|e| e.starts_with("statement 1 (") && e.contains("category:")),
        "{shown:?}"
    );
    assert!(
        shown
            .iter()
            .any(|e| e.starts_with("statement 1 (") && e.contains("puid: repeats statement 0's")),
        "{shown:?}"
    );
    assert!(
        shown
            .iter()
            .any(|e| e.starts_with("statement 2 (") && e.contains("puid: repeats")),
        "{shown:?}"
    );
    let json = serde_json::to_value(batches(vec![one]).unwrap()[0].clone()).unwrap();
    assert_eq!(json["statements"].as_array().unwrap().len(), 1);
}
