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
