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

mod clauses;
mod diff;
mod document;
mod library;

pub use clauses::{Citation, Clause, citations, clauses};
pub use diff::{Change, word_diff};
pub use document::{
    Audience, Document, DocumentError, Kind, Status, parse_document, valid_document_id,
};
pub use library::{FileError, check_library};
