//! The policy library's service layer: how a checked document becomes a stored version.

use arbiter_policy::{Document, SearchIndex, Status};
use arbiter_store::{NewPolicyVersion, Store, StoreError};
use std::sync::{Arc, Mutex};

/// The search index of the library's newest versions, rebuilt when a version is stored (the
/// store's stamp changes), whichever process stored it.
#[derive(Default)]
pub struct SearchCache {
    built: Mutex<Option<Built>>,
}

/// An index and the store stamp it was built at.
type Built = ((i64, i64), Arc<SearchIndex>);

impl SearchCache {
    pub async fn index(&self, store: &Store) -> Result<Arc<SearchIndex>, StoreError> {
        let stamp = store.policy_stamp().await?;
        if let Ok(built) = self.built.lock()
            && let Some((at, index)) = built.as_ref()
            && *at == stamp
        {
            return Ok(index.clone());
        }
        let documents: Vec<Document> = store
            .current_policy_versions()
            .await?
            .iter()
            .filter_map(|v| arbiter_policy::parse_document(&v.source).ok())
            .collect();
        let index = Arc::new(
            tokio::task::spawn_blocking(move || SearchIndex::build(documents))
                .await
                .map_err(|e| StoreError::Failed(format!("building the search index: {e}")))?,
        );
        if let Ok(mut built) = self.built.lock() {
            *built = Some((stamp, index.clone()));
        }
        Ok(index)
    }
}

/// The stored form of a document's new version.
pub fn new_version(
    document: &Document,
    author: &str,
    reviewed_by: Option<&str>,
    summary: &str,
) -> NewPolicyVersion {
    NewPolicyVersion {
        document_id: document.id.clone(),
        kind: document.kind.as_str().to_owned(),
        title: document.title.clone(),
        status: document.status.as_str().to_owned(),
        locale: document.locale.clone(),
        audience: document
            .audience
            .iter()
            .map(|a| a.as_str().to_owned())
            .collect(),
        markets: document.markets.clone(),
        tags: document.tags.clone(),
        owner: document.owner.clone(),
        variant_of: document.variant_of.clone(),
        next_review: document.next_review.map(|d| d.to_string()),
        source: document.to_file(),
        author: author.to_owned(),
        reviewed_by: reviewed_by
            .filter(|_| document.status == Status::Published)
            .map(str::to_owned),
        summary: summary.to_owned(),
    }
}

/// The policy bulletin for `[from, to)`: every document a version changed in the period, from
/// how it stood before to how it stood at the end, clause by clause.
pub async fn bulletin(
    store: &Store,
    from: arbiter_model::Micros,
    to: arbiter_model::Micros,
    title: &str,
) -> Result<String, StoreError> {
    let mut ids: Vec<String> = store
        .policy_changes(from, 10_000)
        .await?
        .into_iter()
        .filter(|c| c.version.created_at < to)
        .map(|c| c.version.document_id)
        .collect();
    ids.sort();
    ids.dedup();
    let mut entries = Vec::new();
    for id in ids {
        let versions = store.policy_versions(&id).await?;
        let before = versions
            .iter()
            .rfind(|v| v.created_at < from)
            .and_then(|v| arbiter_policy::parse_document(&v.source).ok());
        let during: Vec<_> = versions
            .iter()
            .filter(|v| v.created_at >= from && v.created_at < to)
            .collect();
        let Some(after) = during
            .last()
            .and_then(|v| arbiter_policy::parse_document(&v.source).ok())
        else {
            continue;
        };
        let mut authors: Vec<String> = during.iter().map(|v| v.author.clone()).collect();
        authors.dedup();
        let mut reviewers: Vec<String> = during
            .iter()
            .filter_map(|v| v.reviewed_by.clone())
            .collect();
        reviewers.dedup();
        entries.push(arbiter_policy::BulletinEntry {
            before,
            after,
            summaries: during.iter().map(|v| v.summary.clone()).collect(),
            authors,
            reviewers,
        });
    }
    Ok(arbiter_policy::bulletin_html(title, &entries))
}

/// Something that cites a document of the library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Citer {
    /// `document` or `rule`.
    pub kind: &'static str,
    /// The citing document's id, or the rule's id.
    pub id: String,
    /// The version of the ruleset holding a rule.
    pub ruleset_version: Option<i64>,
    /// The clause cited, when one is.
    pub clause: Option<String>,
}

/// Everything that cites document `id`, each citation once: the newest versions of the other
/// documents, and the rules of the newest published ruleset (the decider may not have loaded
/// it yet).
pub async fn citers(store: &Store, id: &str) -> Result<Vec<Citer>, StoreError> {
    let mut found: Vec<Citer> = Vec::new();
    for version in store.current_policy_versions().await? {
        if version.document_id == id {
            continue;
        }
        let Ok(document) = arbiter_policy::parse_document(&version.source) else {
            continue;
        };
        for citation in arbiter_policy::citations(&document.body) {
            let citer = Citer {
                kind: "document",
                id: document.id.clone(),
                ruleset_version: None,
                clause: citation.clause,
            };
            if citation.document == id && !found.contains(&citer) {
                found.push(citer);
            }
        }
    }
    if let Some(record) = store.current_ruleset().await?
        && let Ok((ruleset, _)) = arbiter_rules::compile(&record.source)
    {
        for rule in &ruleset.rules {
            if let Some(citation) = rule
                .enforces
                .as_deref()
                .and_then(arbiter_policy::Citation::parse)
                && citation.document == id
            {
                found.push(Citer {
                    kind: "rule",
                    id: rule.id.clone(),
                    ruleset_version: Some(record.version),
                    clause: citation.clause,
                });
            }
        }
    }
    Ok(found)
}
