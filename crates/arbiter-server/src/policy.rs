//! The policy library's service layer: how a checked document becomes a stored version.

use arbiter_policy::{Document, Status};
use arbiter_store::NewPolicyVersion;

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
