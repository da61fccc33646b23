//! The policy library's service layer: how a checked document becomes a stored version.

use arbiter_policy::{Document, SearchIndex, Status};
use arbiter_store::{NewPolicyVersion, Principal, Store, StoreError};
use std::sync::{Arc, Mutex};

/// Something built from the policy library and kept until a version is stored (the store's
/// policy stamp changes), whichever process stored it.
pub struct LibraryCache<T> {
    built: Mutex<Option<Built<T>>>,
}

/// A value and the store stamp it was built at.
type Built<T> = ((i64, i64), Arc<T>);

impl<T> Default for LibraryCache<T> {
    fn default() -> Self {
        LibraryCache {
            built: Mutex::new(None),
        }
    }
}

impl<T> LibraryCache<T> {
    /// The value built at the store's current stamp, building it with `build` when there is none.
    async fn get<F, Fut>(&self, store: &Store, build: F) -> Result<Arc<T>, StoreError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, StoreError>>,
    {
        let stamp = store.policy_stamp().await?;
        if let Ok(built) = self.built.lock()
            && let Some((at, value)) = built.as_ref()
            && *at == stamp
        {
            return Ok(value.clone());
        }
        let value = Arc::new(build().await?);
        if let Ok(mut built) = self.built.lock() {
            *built = Some((stamp, value.clone()));
        }
        Ok(value)
    }
}

/// The search index of the library's newest versions.
pub type SearchCache = LibraryCache<SearchIndex>;

impl SearchCache {
    pub async fn index(&self, store: &Store) -> Result<Arc<SearchIndex>, StoreError> {
        self.get(store, || async {
            let documents: Vec<Document> = store
                .current_policy_versions()
                .await?
                .iter()
                .filter_map(|v| arbiter_policy::parse_document(&v.source).ok())
                .collect();
            tokio::task::spawn_blocking(move || SearchIndex::build(documents))
                .await
                .map_err(|e| StoreError::Failed(format!("building the search index: {e}")))
        })
        .await
    }
}

/// The published public documents in force, as the help center serves them (a draft on top of
/// a published version leaves the published one shown).
pub type HelpCache = LibraryCache<Vec<Document>>;

impl HelpCache {
    /// Parsed once per change of the library rather than on every (unauthenticated) request.
    pub async fn documents(&self, store: &Store) -> Result<Arc<Vec<Document>>, StoreError> {
        self.get(store, || async {
            Ok(store
                .policy_versions_in_force()
                .await?
                .iter()
                .filter_map(|v| arbiter_policy::parse_document(&v.source).ok())
                .filter(|d| {
                    d.status == Status::Published
                        && d.audience.contains(&arbiter_policy::Audience::Public)
                })
                .collect())
        })
        .await
    }
}

/// Largest document file accepted.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// What storing a draft answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drafted {
    /// The new version; `None` when the file did not change.
    pub version: Option<i64>,
    /// Clauses the draft removes that documents or rules in force still cite.
    pub warnings: Vec<String>,
}

/// Why a draft was not stored.
#[derive(Debug)]
pub enum DraftError {
    TooLarge,
    NoSummary,
    /// Every problem of the file, located.
    DoesNotCheck(Vec<arbiter_policy::FileError>),
    /// The file's id is not the document being edited.
    WrongId(String),
    /// The file says published or retired: those need a reviewer.
    NotADraft(Status),
    Store(StoreError),
}

impl From<StoreError> for DraftError {
    fn from(e: StoreError) -> Self {
        DraftError::Store(e)
    }
}

/// Checks `source` as an import would (front matter, clauses, citations against the rest of
/// the library) and, when it checks, stores it as a new draft or in-review version of `id` by
/// `author`. The one way a person drafts a document, from the API or the console.
pub async fn save_draft(
    store: &Store,
    search: &SearchCache,
    author: &Principal,
    id: &str,
    source: &str,
    summary: &str,
) -> Result<Drafted, DraftError> {
    let document = check_draft(store, search, id, source).await?;
    if summary.trim().is_empty() {
        return Err(DraftError::NoSummary);
    }
    if !matches!(document.status, Status::Draft | Status::InReview) {
        return Err(DraftError::NotADraft(document.status));
    }
    let index = search.index(store).await?;
    let warnings = removed_citations(store, index.documents(), &document).await?;
    let version = new_version_by(&document, author, None, summary.trim());
    let saved = store.save_policy_versions(&[version], crate::now()).await?;
    Ok(Drafted {
        version: saved.first().copied().flatten(),
        warnings,
    })
}

/// Reads `source` as the file of document `id` beside the rest of the library: every problem
/// located, citations to other documents resolved.
pub async fn check_draft(
    store: &Store,
    search: &SearchCache,
    id: &str,
    source: &str,
) -> Result<Document, DraftError> {
    if source.len() > MAX_DOCUMENT_BYTES {
        return Err(DraftError::TooLarge);
    }
    let index = search.index(store).await?;
    let files = vec![(format!("{id}.md"), source.to_owned())];
    let document = arbiter_policy::check_library(&files, index.documents())
        .map_err(DraftError::DoesNotCheck)?
        .pop()
        .ok_or_else(|| {
            DraftError::Store(StoreError::Failed("a checked file gave no document".into()))
        })?;
    if document.id != id {
        return Err(DraftError::WrongId(document.id));
    }
    Ok(document)
}

/// The citations in force that `document` would break: clauses it no longer has that other
/// documents or rules still cite, one sentence each.
pub async fn removed_citations(
    store: &Store,
    documents: &[Document],
    document: &Document,
) -> Result<Vec<String>, StoreError> {
    let kept: Vec<String> = arbiter_policy::clauses(&document.body)
        .into_iter()
        .map(|c| c.number)
        .collect();
    let id = &document.id;
    Ok(citers(store, documents, id)
        .await?
        .into_iter()
        .filter_map(|c| {
            let clause = c.clause?;
            let by = match c.kind {
                "rule" => format!("rule {}", c.id),
                _ => c.id,
            };
            (!kept.contains(&clause))
                .then(|| format!("{by} cites {id} §{clause}, which this version removes"))
        })
        .collect())
}

/// What a version did to its document: `new`, `published`, `retired` or `changed`.
pub fn change_kind(change: &arbiter_store::PolicyChange) -> &'static str {
    let status = change.version.status.as_str();
    match change.previous_status.as_deref() {
        None => "new",
        Some(previous) if previous != status && status == "published" => "published",
        Some(previous) if previous != status && status == "retired" => "retired",
        Some(_) => "changed",
    }
}

/// Why a document's status was not changed.
#[derive(Debug)]
pub enum StatusRefusal {
    NoSuchDocument,
    AlreadyPublished {
        version: i64,
    },
    AlreadyRetired {
        version: i64,
    },
    /// Retiring needs a reason.
    NoReason,
    /// The reviewer wrote the version (the same account or API token; sessions count as the
    /// principal that made them).
    OwnWork {
        version: i64,
        author: String,
    },
    Store(StoreError),
}

impl From<StoreError> for StatusRefusal {
    fn from(e: StoreError) -> Self {
        StatusRefusal::Store(e)
    }
}

/// Publishes the newest version of `id` after review by `reviewer`, who must not be its
/// author: principals are compared (an account, or an API token by its id), never names. The
/// published version is a new version that keeps both. Answers its number.
pub async fn publish(
    store: &Store,
    reviewer: &Principal,
    id: &str,
    summary: Option<&str>,
) -> Result<i64, StatusRefusal> {
    let newest = store
        .policy_versions(id)
        .await?
        .pop()
        .ok_or(StatusRefusal::NoSuchDocument)?;
    if newest.status == Status::Published.as_str() {
        return Err(StatusRefusal::AlreadyPublished {
            version: newest.version,
        });
    }
    if newest.author_principal == reviewer.key() {
        return Err(StatusRefusal::OwnWork {
            version: newest.version,
            author: newest.author,
        });
    }
    let mut document = arbiter_policy::parse_document(&newest.source).map_err(|_| {
        StoreError::Failed(format!(
            "stored document {id} v{} does not read",
            newest.version
        ))
    })?;
    document.status = Status::Published;
    let summary = summary
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map_or_else(
            || format!("published after review of v{}", newest.version),
            str::to_owned,
        );
    let author = Principal::stored(&newest.author_principal, &newest.author);
    let version = new_version_by(&document, &author, Some(reviewer), &summary);
    let saved = store.save_policy_versions(&[version], crate::now()).await?;
    Ok(saved.first().copied().flatten().unwrap_or(newest.version))
}

/// What retiring a document answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retired {
    pub version: i64,
    /// What still cites the document: it should be changed to cite another.
    pub warnings: Vec<String>,
}

/// Retires document `id`: a new version with status `retired`, by `editor`, for `reason`. It
/// leaves the help center and the documents in force at once; whatever still cites it is
/// named in the answer.
pub async fn retire(
    store: &Store,
    search: &SearchCache,
    editor: &Principal,
    id: &str,
    reason: &str,
) -> Result<Retired, StatusRefusal> {
    if reason.trim().is_empty() {
        return Err(StatusRefusal::NoReason);
    }
    let newest = store
        .policy_versions(id)
        .await?
        .pop()
        .ok_or(StatusRefusal::NoSuchDocument)?;
    if newest.status == Status::Retired.as_str() {
        return Err(StatusRefusal::AlreadyRetired {
            version: newest.version,
        });
    }
    let mut document = arbiter_policy::parse_document(&newest.source).map_err(|_| {
        StoreError::Failed(format!(
            "stored document {id} v{} does not read",
            newest.version
        ))
    })?;
    document.status = Status::Retired;
    let index = search.index(store).await?;
    let warnings = citers(store, index.documents(), id)
        .await?
        .into_iter()
        .map(|c| {
            let by = match c.kind {
                "rule" => format!("rule {}", c.id),
                _ => c.id,
            };
            match c.clause {
                Some(clause) => format!("{by} cites {id} §{clause}, which is retired"),
                None => format!("{by} cites {id}, which is retired"),
            }
        })
        .collect();
    let version = new_version_by(&document, editor, None, reason.trim());
    let saved = store.save_policy_versions(&[version], crate::now()).await?;
    Ok(Retired {
        version: saved.first().copied().flatten().unwrap_or(newest.version),
        warnings,
    })
}

/// The stored form of a document's new version, by people named by their staff usernames (as
/// `arbiter policy import --author NAME --reviewed-by NAME` names them).
pub fn new_version(
    document: &Document,
    author: &str,
    reviewed_by: Option<&str>,
    summary: &str,
) -> NewPolicyVersion {
    new_version_by(
        document,
        &Principal::user(author),
        reviewed_by.map(Principal::user).as_ref(),
        summary,
    )
}

/// The stored form of a document's new version by `author`, reviewed by `reviewed_by` (kept
/// only for a published version).
pub fn new_version_by(
    document: &Document,
    author: &Principal,
    reviewed_by: Option<&Principal>,
    summary: &str,
) -> NewPolicyVersion {
    let reviewed_by = reviewed_by.filter(|_| document.status == Status::Published);
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
        author: author.name().to_owned(),
        reviewed_by: reviewed_by.map(|r| r.name().to_owned()),
        author_principal: author.key().to_owned(),
        reviewer_principal: reviewed_by.map(|r| r.key().to_owned()),
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

/// Everything that cites document `id`, each citation once: the other `documents` (the
/// library's newest versions, as the search index holds them), and the rules of the newest published ruleset (the decider may not have loaded
/// it yet).
pub async fn citers(
    store: &Store,
    documents: &[Document],
    id: &str,
) -> Result<Vec<Citer>, StoreError> {
    let mut found: Vec<Citer> = Vec::new();
    for document in documents {
        if document.id == id {
            continue;
        }
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
        && let Ok((ruleset, _)) = crate::cpu::compile(&record.source).await
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
