//! The policy library's domain: documents (policies, procedures, standards, guarantee terms,
//! help articles, message templates, terms-of-service sections) as Markdown files with TOML
//! front matter, their numbered clauses (`POL-PAYMENTS §3.2`), the citations between them, and
//! word-level diffs between versions. Pure: parsing and checking only, no I/O.
//!
//! A document file:
//!
//! ```text
//! +++
//! id = "POL-PAYMENTS"
//! kind = "policy"
//! title = "Payments and off-platform dealings"
//! audience = ["client", "tasker", "public"]
//! locale = "en"
//! owner = "policy-team"
//! status = "published"
//! +++
//! ## 2. Paying through the platform
//! ### 2.1 Off-platform payment
//! Asking for or accepting payment outside the platform is not allowed.
//! ```

mod bulletin;
mod clauses;
mod diff;
mod document;
mod library;
mod packet;
mod render;
mod search;

pub use bulletin::{BulletinEntry, bulletin_html};
pub use clauses::{Citation, Clause, citations, clauses};
pub use diff::{Change, ClauseChange, ClauseChangeKind, clause_changes, word_diff};
pub use document::{
    Audience, Document, DocumentError, Kind, Status, parse_document, valid_document_id,
};
pub use library::{FileError, check_library};
pub use packet::packet_html;
pub use render::render_html;
pub use search::{MAX_QUERY_CHARS, QueryError, SearchFilter, SearchHit, SearchIndex};

/// The starter library for a home-services marketplace, as `(file name, text)`: policies,
/// standards, procedures, guarantee terms and notice templates (English, French, German,
/// Spanish), among them every document the starter rule pack cites. `arbiter demo` loads it; `arbiter policy import` takes the
/// same files from `crates/arbiter-policy/library`.
pub const STARTER_LIBRARY: &[(&str, &str)] = &[
    (
        "POL-ACCOUNTS.md",
        include_str!("../library/POL-ACCOUNTS.md"),
    ),
    ("POL-APPEALS.md", include_str!("../library/POL-APPEALS.md")),
    (
        "POL-CANCELLATION.md",
        include_str!("../library/POL-CANCELLATION.md"),
    ),
    (
        "POL-GUARANTEE.md",
        include_str!("../library/POL-GUARANTEE.md"),
    ),
    (
        "POL-PAYMENTS.md",
        include_str!("../library/POL-PAYMENTS.md"),
    ),
    (
        "POL-PRIVACY-INVESTIGATIONS.md",
        include_str!("../library/POL-PRIVACY-INVESTIGATIONS.md"),
    ),
    ("PRC-CLAIMS.md", include_str!("../library/PRC-CLAIMS.md")),
    (
        "PRC-SAFETY-INCIDENT.md",
        include_str!("../library/PRC-SAFETY-INCIDENT.md"),
    ),
    (
        "STD-COMMUNITY.md",
        include_str!("../library/STD-COMMUNITY.md"),
    ),
    (
        "STD-ENFORCEMENT.md",
        include_str!("../library/STD-ENFORCEMENT.md"),
    ),
    (
        "TPL-CASE-UPDATE-DE.md",
        include_str!("../library/TPL-CASE-UPDATE-DE.md"),
    ),
    (
        "TPL-CASE-UPDATE-EN.md",
        include_str!("../library/TPL-CASE-UPDATE-EN.md"),
    ),
    (
        "TPL-CASE-UPDATE-ES.md",
        include_str!("../library/TPL-CASE-UPDATE-ES.md"),
    ),
    (
        "TPL-CASE-UPDATE-FR.md",
        include_str!("../library/TPL-CASE-UPDATE-FR.md"),
    ),
    (
        "TPL-CLAIM-DECISION-DE.md",
        include_str!("../library/TPL-CLAIM-DECISION-DE.md"),
    ),
    (
        "TPL-CLAIM-DECISION-EN.md",
        include_str!("../library/TPL-CLAIM-DECISION-EN.md"),
    ),
    (
        "TPL-CLAIM-DECISION-ES.md",
        include_str!("../library/TPL-CLAIM-DECISION-ES.md"),
    ),
    (
        "TPL-CLAIM-DECISION-FR.md",
        include_str!("../library/TPL-CLAIM-DECISION-FR.md"),
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_library_checks() {
        let files: Vec<(String, String)> = STARTER_LIBRARY
            .iter()
            .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
            .collect();
        let documents = check_library(&files, &[]).unwrap();
        assert_eq!(documents.len(), STARTER_LIBRARY.len());
        for (name, _) in STARTER_LIBRARY {
            assert!(
                documents.iter().any(|d| format!("{}.md", d.id) == *name),
                "{name}"
            );
        }
    }
}
