//! Publishing a ruleset: the one path (API, console, CLI, rollback, demo) that checks rule
//! text with the server's limits, resolves its citations against the policy library and stores
//! it as the next version.

use arbiter_rules::Ruleset;
use arbiter_store::{Store, StoreError};

/// Why a ruleset could not be published.
#[derive(Debug)]
pub enum PublishError {
    TooLarge,
    DoesNotCheck(Vec<arbiter_rules::Diagnostic>),
    ExamplesFailed(Vec<String>),
    MissingLists(Vec<String>),
    /// Rules enforcing documents or clauses the policy library does not hold.
    UnknownCitations(Vec<String>),
    Store(StoreError),
}

impl From<StoreError> for PublishError {
    fn from(e: StoreError) -> PublishError {
        PublishError::Store(e)
    }
}

impl std::fmt::Display for PublishError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        match self {
            PublishError::TooLarge => write!(f, "rule text is limited to {MAX_SOURCE_BYTES} bytes"),
            PublishError::DoesNotCheck(d) => {
                let n = d
                    .iter()
                    .filter(|d| d.severity == arbiter_rules::Severity::Error)
                    .count();
                write!(f, "the rules do not check: {n} error{}", plural(n))
            }
            PublishError::ExamplesFailed(failed) => write!(
                f,
                "{} example{} failed: {}",
                failed.len(),
                plural(failed.len()),
                failed.join(" | ")
            ),
            PublishError::MissingLists(missing) => write!(
                f,
                "the rules read lists that do not exist: {}; create them first",
                missing.join(", ")
            ),
            PublishError::UnknownCitations(problems) => write!(
                f,
                "the rules cite what the policy library does not hold: {}",
                problems.join("; ")
            ),
            PublishError::Store(e) => write!(f, "{e}"),
        }
    }
}

/// Longest rule text accepted.
pub const MAX_SOURCE_BYTES: usize = 1024 * 1024;

/// The one way a ruleset is published (API, CLI, console, demo): it must check, its examples
/// must pass and the lists it reads must exist. Deciders pick it up on their next batch.
pub async fn publish_ruleset(
    store: &Store,
    source: &str,
    note: &str,
    published_by: &str,
    restores: Option<i64>,
) -> Result<arbiter_store::RulesetRecord, PublishError> {
    if source.len() > MAX_SOURCE_BYTES {
        return Err(PublishError::TooLarge);
    }
    let (ruleset, outcomes) = match crate::cpu::check(source).await {
        (Ok((ruleset, _)), outcomes) => (ruleset, outcomes),
        (Err(diagnostics), _) => return Err(PublishError::DoesNotCheck(diagnostics)),
    };
    let failed: Vec<String> = outcomes
        .into_iter()
        .filter(|o| !o.passed())
        .map(|o| format!("line {}: {}: {}", o.line, o.name, o.failures.join("; ")))
        .collect();
    if !failed.is_empty() {
        return Err(PublishError::ExamplesFailed(failed));
    }
    let existing: Vec<String> = store.lists().await?.into_iter().map(|l| l.name).collect();
    let missing: Vec<String> = ruleset
        .lists
        .iter()
        .filter(|l| !existing.contains(l))
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(PublishError::MissingLists(missing));
    }
    let problems = citation_problems(store, &ruleset).await?;
    if !problems.is_empty() {
        return Err(PublishError::UnknownCitations(problems));
    }
    let note = match (note.trim(), restores) {
        ("", Some(version)) => format!("rolled back to version {version}"),
        (note, _) => note.to_owned(),
    };
    Ok(store
        .publish_ruleset(source, &note, published_by, crate::now(), restores)
        .await?)
}

/// Each rule's `enforces` must name a document of the policy library and a clause it has.
/// A deployment that keeps no library (none stored) is not held to it.
async fn citation_problems(store: &Store, ruleset: &Ruleset) -> Result<Vec<String>, StoreError> {
    let library = store.current_policy_versions().await?;
    if library.is_empty() {
        return Ok(Vec::new());
    }
    let clauses = |id: &str| {
        library.iter().find(|v| v.document_id == id).map(|v| {
            arbiter_policy::parse_document(&v.source)
                .map(|d| arbiter_policy::clauses(&d.body))
                .unwrap_or_default()
                .into_iter()
                .map(|c| c.number)
                .collect::<Vec<_>>()
        })
    };
    let mut problems = Vec::new();
    for rule in &ruleset.rules {
        let Some(enforces) = &rule.enforces else {
            continue;
        };
        let Some(citation) = arbiter_policy::Citation::parse(enforces) else {
            problems.push(format!(
                "rule {} enforces {enforces:?}, which is not a citation like POL-PAYMENTS §2.1",
                rule.id
            ));
            continue;
        };
        match (clauses(&citation.document), &citation.clause) {
            (None, _) => problems.push(format!(
                "rule {} enforces {citation}: the library has no document {}",
                rule.id, citation.document
            )),
            (Some(numbers), Some(clause)) if !numbers.contains(clause) => problems.push(format!(
                "rule {} enforces {citation}: {} has no clause §{clause}",
                rule.id, citation.document
            )),
            _ => {}
        }
    }
    Ok(problems)
}
