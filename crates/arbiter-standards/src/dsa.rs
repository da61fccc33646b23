//! EU DSA Article 17 statements of reasons, in the EU Transparency Database API's own field
//! names and values (SPEC.md §4), built from an action and checked the way the database
//! checks them (its `StatementStoreRequest` is the authority), so that a batch we send is not
//! refused as a whole for one bad statement.

use crate::ladder::{ActionKind, Scope};
use crate::scrub::{personal_pattern, scrub};
use crate::standard::{Ground, Standard};
use crate::standing::Action;
use crate::violation::{Detection, Violation};
use crate::vocabulary::{
    ACCOUNT_TYPES, ACCOUNTS, AUTOMATED_DECISIONS, CATEGORIES, CONTENT_TYPES, DECISION_GROUNDS,
    KEYWORDS, MONETARY, PROVISIONS, SOURCE_TYPES, VISIBILITIES, YES_NO,
};
use serde::Serialize;
use time::Date;

/// Most statements per call to `POST /api/v1/statements`.
pub const MAX_BATCH: usize = 100;

/// One statement of reasons, as the database takes it. Absent fields are not sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Statement {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_visibility: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_visibility_other: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_monetary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_monetary_other: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_provision: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_type: Option<String>,
    pub decision_ground: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_ground_reference_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub illegal_content_legal_ground: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub illegal_content_explanation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incompatible_content_ground: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incompatible_content_explanation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incompatible_content_illegal: Option<String>,
    pub content_type: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type_other: Option<String>,
    pub category: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category_specification: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category_specification_other: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub territorial_scope: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_language: Option<String>,
    pub content_date: String,
    pub application_date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date_account_restriction: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date_monetary_restriction: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date_service_restriction: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date_visibility_restriction: Option<String>,
    pub decision_facts: String,
    pub source_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_identity: Option<String>,
    pub automated_detection: String,
    pub automated_decision: String,
    pub puid: String,
}

/// A field of a statement that the database would refuse, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// What the marketplace's content is, for `content_type`: its members' conduct on a services
/// marketplace (bookings, messages, payments, reviews), which no other value names.
pub const CONTENT_TYPE_OTHER_TEXT: &str = "Conduct of a member of a services marketplace";

/// What a statement is built from.
#[derive(Debug, Clone, Copy)]
pub struct StatementInput<'a> {
    pub action: &'a Action,
    pub violation: &'a Violation,
    pub standard: &'a Standard,
    /// Strings known to be personal (names, member ids), removed from every text.
    pub personal: &'a [&'a str],
    /// The public help center's address, for `decision_ground_reference_url`:
    /// `https://example.com/help` gives `https://example.com/help/STD-CONDUCT#s2.1`.
    pub help_url: Option<&'a str>,
}

/// The statement of reasons for an action, or `None` when none is due: outside the EU/EEA,
/// and for warnings, which restrict nothing (Article 17 covers restrictions). A statement
/// that would not validate comes back as its field errors.
pub fn statement_of_reasons(
    input: StatementInput<'_>,
) -> Result<Option<Statement>, Vec<FieldError>> {
    let StatementInput {
        action,
        violation,
        standard,
        personal,
        help_url,
    } = input;
    let eu = arbiter_model::Market::parse(&action.market).is_ok_and(|m| m.is_eu_eea());
    if !eu || action.kind == ActionKind::Warning {
        return Ok(None);
    }
    let clean = |text: &str, max: usize| truncate(&scrub(text, personal), max);
    let mut s = Statement {
        content_type: vec!["CONTENT_TYPE_OTHER".into()],
        content_type_other: Some(CONTENT_TYPE_OTHER_TEXT.into()),
        category: standard.dsa.category.clone(),
        territorial_scope: Some(vec![action.market.clone()]),
        content_date: ymd(violation.occurred_at.date()),
        application_date: ymd(action.starts_at.date()),
        puid: format!("arbiter-{}", action.id),
        ..Statement::default()
    };
    if !standard.dsa.keywords.is_empty() {
        s.category_specification = Some(standard.dsa.keywords.clone());
        if standard.dsa.keywords.iter().any(|k| k == "KEYWORD_OTHER") {
            s.category_specification_other = Some(clean(&standard.title, 500));
        }
    }
    let explanation = clean(
        &format!(
            "{} ({}): {}",
            standard.title, standard.clause, standard.text
        ),
        2000,
    );
    match &standard.dsa.ground {
        Ground::IllegalContent { legal_ground } => {
            s.decision_ground = "DECISION_GROUND_ILLEGAL_CONTENT".into();
            s.illegal_content_legal_ground = Some(clean(legal_ground, 500));
            s.illegal_content_explanation = Some(explanation);
        }
        Ground::IncompatibleContent => {
            s.decision_ground = "DECISION_GROUND_INCOMPATIBLE_CONTENT".into();
            s.incompatible_content_ground = Some(clean(
                &format!(
                    "{} {}: {}",
                    standard.clause, standard.title, "terms of service of the platform"
                ),
                500,
            ));
            s.incompatible_content_explanation = Some(explanation);
        }
    }
    if let Some(base) = help_url {
        s.decision_ground_reference_url = Some(format!(
            "{}/{}#s{}",
            base.trim_end_matches('/'),
            standard.clause.document,
            standard.clause.clause
        ));
    }
    let end = action.ends_at.map(|e| ymd(e.date()));
    match action.kind {
        ActionKind::Warning => unreachable!("warnings have no statement"),
        ActionKind::Restriction {
            scope: Scope::PayoutHold,
            ..
        } => {
            s.decision_monetary = Some("DECISION_MONETARY_SUSPENSION".into());
            s.end_date_monetary_restriction = end;
        }
        ActionKind::Restriction { .. } => {
            s.decision_provision = Some("DECISION_PROVISION_PARTIAL_SUSPENSION".into());
            s.end_date_service_restriction = end;
        }
        ActionKind::Suspension { .. } => {
            s.decision_account = Some("DECISION_ACCOUNT_SUSPENDED".into());
            s.end_date_account_restriction = end;
        }
        ActionKind::Deactivation => {
            s.decision_account = Some("DECISION_ACCOUNT_TERMINATED".into());
        }
    }
    let (source, automated_decision) = match &violation.detection {
        Detection::Rule { .. } => ("SOURCE_VOLUNTARY", "AUTOMATED_DECISION_FULLY"),
        Detection::Staff { .. } => ("SOURCE_VOLUNTARY", "AUTOMATED_DECISION_NOT_AUTOMATED"),
        Detection::Report { .. }
            if matches!(standard.dsa.ground, Ground::IllegalContent { .. }) =>
        {
            ("SOURCE_ARTICLE_16", "AUTOMATED_DECISION_NOT_AUTOMATED")
        }
        Detection::Report { .. } | Detection::CaseDecision { .. } => (
            "SOURCE_TYPE_OTHER_NOTIFICATION",
            "AUTOMATED_DECISION_NOT_AUTOMATED",
        ),
    };
    s.source_type = source.into();
    s.automated_detection = if violation.detection.automated() {
        "Yes"
    } else {
        "No"
    }
    .into();
    s.automated_decision = automated_decision.into();
    s.decision_facts = decision_facts(action, violation, standard, personal);
    validate(&s).map(|()| Some(s))
}

/// `decision_facts`: the standard, what happened (scrubbed), how it was found and the step.
pub fn decision_facts(
    action: &Action,
    violation: &Violation,
    standard: &Standard,
    personal: &[&str],
) -> String {
    let how = match &violation.detection {
        Detection::Rule { rule_id } => {
            format!("detected and decided automatically by rule {rule_id}")
        }
        Detection::CaseDecision { .. } => "found in a case decided by a staff member".into(),
        Detection::Report { .. } => {
            "reported by another member and confirmed by a staff member".into()
        }
        Detection::Staff { .. } => "found by a staff member".into(),
    };
    let step = if action.zero_tolerance {
        "A zero-tolerance standard leads to deactivation at once.".to_owned()
    } else {
        format!(
            "With {} active strike points the enforcement ladder's step is a {}.",
            action.points,
            action.kind.name()
        )
    };
    let facts = violation.facts.trim();
    let text = format!(
        "Violation of {} ({}, version {}), {how}.{}{} {step}",
        standard.clause,
        standard.title,
        violation.standard_version,
        if facts.is_empty() { "" } else { " Facts: " },
        facts,
    );
    truncate(&scrub(&text, personal), 5000)
}

fn ymd(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// Checks a statement as the database would; every problem comes back, named by its field.
pub fn validate(s: &Statement) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut fail =
        |field: &'static str, message: String| errors.push(FieldError { field, message });
    let one_of = |value: &str, allowed: &[&str]| allowed.contains(&value);
    let list = |allowed: &[&str]| allowed.join(", ");
    let max = |field: &'static str,
               value: &Option<String>,
               n: usize,
               fail: &mut dyn FnMut(&'static str, String)| {
        if let Some(v) = value
            && v.chars().count() > n
        {
            fail(
                field,
                format!("at most {n} characters, not {}", v.chars().count()),
            );
        }
    };

    // What was decided: at least one of the four decision fields.
    if s.decision_visibility.as_ref().is_none_or(Vec::is_empty)
        && s.decision_monetary.is_none()
        && s.decision_provision.is_none()
        && s.decision_account.is_none()
    {
        fail("decision_visibility", "give at least one of decision_visibility, decision_monetary, decision_provision, decision_account".into());
    }
    for v in s.decision_visibility.iter().flatten() {
        if !one_of(v, VISIBILITIES) {
            fail(
                "decision_visibility",
                format!("{v:?} is not one of {}", list(VISIBILITIES)),
            );
        }
    }
    let visibility_other = s
        .decision_visibility
        .iter()
        .flatten()
        .any(|v| v == "DECISION_VISIBILITY_OTHER");
    other_rule(
        &mut fail,
        "decision_visibility_other",
        visibility_other,
        &s.decision_visibility_other,
        "DECISION_VISIBILITY_OTHER",
    );
    if let Some(v) = &s.decision_monetary
        && !one_of(v, MONETARY)
    {
        fail(
            "decision_monetary",
            format!("{v:?} is not one of {}", list(MONETARY)),
        );
    }
    other_rule(
        &mut fail,
        "decision_monetary_other",
        s.decision_monetary.as_deref() == Some("DECISION_MONETARY_OTHER"),
        &s.decision_monetary_other,
        "DECISION_MONETARY_OTHER",
    );
    if let Some(v) = &s.decision_provision
        && !one_of(v, PROVISIONS)
    {
        fail(
            "decision_provision",
            format!("{v:?} is not one of {}", list(PROVISIONS)),
        );
    }
    if let Some(v) = &s.decision_account
        && !one_of(v, ACCOUNTS)
    {
        fail(
            "decision_account",
            format!("{v:?} is not one of {}", list(ACCOUNTS)),
        );
    }
    if let Some(v) = &s.account_type
        && !one_of(v, ACCOUNT_TYPES)
    {
        fail(
            "account_type",
            format!("{v:?} is not one of {}", list(ACCOUNT_TYPES)),
        );
    }

    // The ground, and the fields each ground requires and excludes.
    let illegal = s.decision_ground == "DECISION_GROUND_ILLEGAL_CONTENT";
    let incompatible = s.decision_ground == "DECISION_GROUND_INCOMPATIBLE_CONTENT";
    if !one_of(&s.decision_ground, DECISION_GROUNDS) {
        fail(
            "decision_ground",
            format!(
                "{:?} is not one of {}",
                s.decision_ground,
                list(DECISION_GROUNDS)
            ),
        );
    }
    for (field, value, needed, limit) in [
        (
            "illegal_content_legal_ground",
            &s.illegal_content_legal_ground,
            illegal,
            500,
        ),
        (
            "illegal_content_explanation",
            &s.illegal_content_explanation,
            illegal,
            2000,
        ),
        (
            "incompatible_content_ground",
            &s.incompatible_content_ground,
            incompatible,
            500,
        ),
        (
            "incompatible_content_explanation",
            &s.incompatible_content_explanation,
            incompatible,
            2000,
        ),
    ] {
        match (value.as_deref().map(str::trim), needed) {
            (None | Some(""), true) => fail(
                field,
                format!("required when decision_ground is {}", s.decision_ground),
            ),
            (Some(_), false) => fail(
                field,
                format!(
                    "only with {}",
                    if field.starts_with("illegal") {
                        "DECISION_GROUND_ILLEGAL_CONTENT"
                    } else {
                        "DECISION_GROUND_INCOMPATIBLE_CONTENT"
                    }
                ),
            ),
            _ => max(field, value, limit, &mut fail),
        }
    }
    if let Some(v) = &s.incompatible_content_illegal {
        if !one_of(v, YES_NO) {
            fail(
                "incompatible_content_illegal",
                format!("{v:?} is not Yes or No"),
            );
        } else if !incompatible {
            fail(
                "incompatible_content_illegal",
                "only with DECISION_GROUND_INCOMPATIBLE_CONTENT".into(),
            );
        }
    }
    if let Some(url) = &s.decision_ground_reference_url
        && (!(url.starts_with("https://") || url.starts_with("http://"))
            || url.chars().count() > 500
            || url.contains(char::is_whitespace))
    {
        fail(
            "decision_ground_reference_url",
            "an http(s) address of at most 500 characters".into(),
        );
    }

    // What the content is and what it is about.
    if s.content_type.is_empty() {
        fail(
            "content_type",
            "required: at least one CONTENT_TYPE_*".into(),
        );
    }
    for v in &s.content_type {
        if !one_of(v, CONTENT_TYPES) {
            fail(
                "content_type",
                format!("{v:?} is not one of {}", list(CONTENT_TYPES)),
            );
        }
    }
    let mut types = s.content_type.clone();
    types.sort();
    if types.windows(2).any(|w| w[0] == w[1]) {
        fail("content_type", "a value is listed twice".into());
    }
    other_rule(
        &mut fail,
        "content_type_other",
        s.content_type.iter().any(|v| v == "CONTENT_TYPE_OTHER"),
        &s.content_type_other,
        "CONTENT_TYPE_OTHER",
    );
    if !one_of(&s.category, CATEGORIES) {
        fail(
            "category",
            format!("{:?} is not a STATEMENT_CATEGORY_* value", s.category),
        );
    }
    for v in s.category_specification.iter().flatten() {
        if !one_of(v, KEYWORDS) {
            fail(
                "category_specification",
                format!("{v:?} is not a KEYWORD_* value"),
            );
        }
    }
    other_rule(
        &mut fail,
        "category_specification_other",
        s.category_specification
            .iter()
            .flatten()
            .any(|v| v == "KEYWORD_OTHER"),
        &s.category_specification_other,
        "KEYWORD_OTHER",
    );
    for v in s.territorial_scope.iter().flatten() {
        if !arbiter_model::Market::parse(v).is_ok_and(|m| m.is_eu_eea()) {
            fail(
                "territorial_scope",
                format!("{v:?} is not an EU/EEA country code"),
            );
        }
    }
    if let Some(v) = &s.content_language
        && !(v.len() == 2 && v.bytes().all(|b| b.is_ascii_uppercase()))
    {
        fail(
            "content_language",
            format!("{v:?} is not a two-letter ISO 639-1 code in capitals like FR"),
        );
    }

    // Dates.
    let content = date_field(
        &mut fail,
        "content_date",
        Some(&s.content_date),
        (2000, 2038),
    );
    let applied = date_field(
        &mut fail,
        "application_date",
        Some(&s.application_date),
        (2020, 2038),
    );
    if let (Some(c), Some(a)) = (content, applied)
        && c > a
    {
        fail(
            "content_date",
            "after application_date: the decision cannot come before the conduct".into(),
        );
    }
    let temporary_account = s.decision_account.as_deref() == Some("DECISION_ACCOUNT_SUSPENDED");
    let temporary_monetary = matches!(
        s.decision_monetary.as_deref(),
        Some("DECISION_MONETARY_SUSPENSION" | "DECISION_MONETARY_OTHER")
    );
    let temporary_service = matches!(
        s.decision_provision.as_deref(),
        Some("DECISION_PROVISION_PARTIAL_SUSPENSION" | "DECISION_PROVISION_TOTAL_SUSPENSION")
    );
    let temporary_visibility = s.decision_visibility.as_ref().is_some_and(|v| {
        !v.is_empty() && !v.iter().all(|x| x == "DECISION_VISIBILITY_CONTENT_REMOVED")
    });
    for (field, value, temporary) in [
        (
            "end_date_account_restriction",
            &s.end_date_account_restriction,
            temporary_account,
        ),
        (
            "end_date_monetary_restriction",
            &s.end_date_monetary_restriction,
            temporary_monetary,
        ),
        (
            "end_date_service_restriction",
            &s.end_date_service_restriction,
            temporary_service,
        ),
        (
            "end_date_visibility_restriction",
            &s.end_date_visibility_restriction,
            temporary_visibility,
        ),
    ] {
        if value.is_some() && !temporary {
            fail(
                field,
                "only for a temporary restriction of that kind (a suspension, not a termination)"
                    .into(),
            );
        }
        if let Some(end) = date_field(&mut fail, field, value.as_ref(), (2000, 2038))
            && applied.is_some_and(|a| end < a)
        {
            fail(field, "before application_date".into());
        }
    }

    // Facts, source, automation, id.
    if s.decision_facts.trim().is_empty() {
        fail("decision_facts", "required".into());
    }
    max(
        "decision_facts",
        &Some(s.decision_facts.clone()),
        5000,
        &mut fail,
    );
    if !one_of(&s.source_type, SOURCE_TYPES) {
        fail(
            "source_type",
            format!("{:?} is not one of {}", s.source_type, list(SOURCE_TYPES)),
        );
    }
    max("source_identity", &s.source_identity, 500, &mut fail);
    if !one_of(&s.automated_detection, YES_NO) {
        fail(
            "automated_detection",
            format!("{:?} is not Yes or No", s.automated_detection),
        );
    }
    if !one_of(&s.automated_decision, AUTOMATED_DECISIONS) {
        fail(
            "automated_decision",
            format!(
                "{:?} is not one of {}",
                s.automated_decision,
                list(AUTOMATED_DECISIONS)
            ),
        );
    }
    if s.puid.is_empty()
        || s.puid.chars().count() > 500
        || !s
            .puid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        fail(
            "puid",
            "1 to 500 characters from a-z, A-Z, 0-9, - and _".into(),
        );
    }

    // No personal data in any text (Article 24(5)).
    for (field, value) in [
        ("decision_facts", Some(&s.decision_facts)),
        (
            "illegal_content_explanation",
            s.illegal_content_explanation.as_ref(),
        ),
        (
            "illegal_content_legal_ground",
            s.illegal_content_legal_ground.as_ref(),
        ),
        (
            "incompatible_content_ground",
            s.incompatible_content_ground.as_ref(),
        ),
        (
            "incompatible_content_explanation",
            s.incompatible_content_explanation.as_ref(),
        ),
        ("content_type_other", s.content_type_other.as_ref()),
        (
            "decision_visibility_other",
            s.decision_visibility_other.as_ref(),
        ),
        (
            "decision_monetary_other",
            s.decision_monetary_other.as_ref(),
        ),
        (
            "category_specification_other",
            s.category_specification_other.as_ref(),
        ),
        ("source_identity", s.source_identity.as_ref()),
    ] {
        if let Some(kind) = value.and_then(|v| personal_pattern(v)) {
            fail(
                field,
                format!("holds personal data (an {kind} pattern): scrub it"),
            );
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn other_rule(
    fail: &mut dyn FnMut(&'static str, String),
    field: &'static str,
    chosen: bool,
    value: &Option<String>,
    other: &str,
) {
    match (chosen, value.as_deref().map(str::trim)) {
        (true, None | Some("")) => fail(field, format!("required when {other} is chosen")),
        (false, Some(_)) => fail(field, format!("only when {other} is chosen")),
        (true, Some(v)) if v.chars().count() > 500 => fail(field, "at most 500 characters".into()),
        _ => {}
    }
}

fn date_field(
    fail: &mut dyn FnMut(&'static str, String),
    field: &'static str,
    value: Option<&String>,
    (first_year, last_year): (i32, i32),
) -> Option<Date> {
    let value = value?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let Ok(date) = Date::parse(value, format) else {
        fail(
            field,
            format!("{value:?} is not a date like 2026-03-01 (YYYY-MM-DD)"),
        );
        return None;
    };
    let first = Date::from_calendar_date(first_year, time::Month::January, 1).ok()?;
    let last = Date::from_calendar_date(last_year, time::Month::January, 1).ok()?;
    if date < first || date > last {
        fail(field, format!("must be from {first} to {last}"));
        return None;
    }
    Some(date)
}

/// One call's body: `{"statements": [...]}` with 1 to 100 statements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementBatch {
    pub statements: Vec<Statement>,
}

/// A statement refused from a batch: its position in the input, its `puid` and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("statement {index} ({puid}): {error}")]
pub struct BatchError {
    pub index: usize,
    pub puid: String,
    pub error: FieldError,
}

/// Splits statements into calls of at most [`MAX_BATCH`], after checking each one and that no
/// `puid` repeats (the database would take the second as already done). The database refuses
/// a whole call for one bad statement, so nothing is sent unless everything checks.
pub fn batches(statements: Vec<Statement>) -> Result<Vec<StatementBatch>, Vec<BatchError>> {
    let mut errors = Vec::new();
    let mut seen: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for (index, s) in statements.iter().enumerate() {
        if let Err(problems) = validate(s) {
            errors.extend(problems.into_iter().map(|error| BatchError {
                index,
                puid: s.puid.clone(),
                error,
            }));
        }
        if let Some(first) = seen.insert(&s.puid, index) {
            errors.push(BatchError {
                index,
                puid: s.puid.clone(),
                error: FieldError {
                    field: "puid",
                    message: format!("repeats statement {first}'s: each statement needs its own"),
                },
            });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut out = Vec::new();
    let mut rest = statements;
    while !rest.is_empty() {
        let tail = rest.split_off(rest.len().min(MAX_BATCH));
        out.push(StatementBatch { statements: rest });
        rest = tail;
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
