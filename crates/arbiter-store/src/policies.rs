//! The policy library's storage: documents and every version of each.

use crate::{Store, StoreError, framed, unframed};
use arbiter_model::Micros;
use sqlx::Row;
use sqlx::any::AnyRow;

/// A version to store: the whole file, and the fields the library lists and filters by.
#[derive(Debug, Clone)]
pub struct NewPolicyVersion {
    pub document_id: String,
    pub kind: String,
    pub title: String,
    pub status: String,
    pub locale: String,
    pub audience: Vec<String>,
    pub markets: Vec<String>,
    pub tags: Vec<String>,
    pub owner: String,
    pub variant_of: Option<String>,
    pub next_review: Option<String>,
    /// The document as a file, front matter and Markdown.
    pub source: String,
    /// The author's name, as people read it.
    pub author: String,
    pub reviewed_by: Option<String>,
    /// Who wrote it and who reviewed it, as review compares them ([`crate::Principal::key`]).
    pub author_principal: String,
    pub reviewer_principal: Option<String>,
    pub summary: String,
}

/// A document as the library lists it: its newest version's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyDocumentRecord {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub status: String,
    pub locale: String,
    pub audience: Vec<String>,
    pub markets: Vec<String>,
    pub tags: Vec<String>,
    pub owner: String,
    pub variant_of: Option<String>,
    pub next_review: Option<String>,
    pub version: i64,
    pub updated_at: Micros,
}

/// One stored version of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersionRecord {
    pub document_id: String,
    pub version: i64,
    pub source: String,
    pub status: String,
    pub author: String,
    pub reviewed_by: Option<String>,
    /// Who wrote it, as review compares them ([`crate::Principal::key`]).
    pub author_principal: String,
    pub reviewer_principal: Option<String>,
    pub summary: String,
    pub created_at: Micros,
}

const DOCUMENT_COLUMNS: &str = "id, kind, title, status, locale, audience, markets, tags, owner, variant_of, next_review, version, updated_at";
const VERSION_COLUMNS: &str = "document_id, version, source, status, author, reviewed_by, summary, created_at, author_principal, reviewer_principal";

impl Store {
    /// Stores each document whose file differs from its newest version as a new version, all
    /// in one transaction. Returns, in order, the new version number of each, or `None` where
    /// the file was unchanged.
    pub async fn save_policy_versions(
        &self,
        versions: &[NewPolicyVersion],
        now: Micros,
    ) -> Result<Vec<Option<i64>>, StoreError> {
        let p = |n: usize| crate::placeholder(self.backend, n);
        let mut writer = self.writer().await?;
        let mut tx = sqlx::Connection::begin(writer.conn()).await?;
        let mut saved = Vec::with_capacity(versions.len());
        for new in versions {
            let newest = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT version, source FROM policy_versions WHERE document_id = {} ORDER BY version DESC LIMIT 1",
                p(1)
            )))
            .bind(new.document_id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            let (last, unchanged) = match &newest {
                Some(row) => (
                    row.try_get::<i64, _>(0)?,
                    row.try_get::<String, _>(1)? == new.source,
                ),
                None => (0, false),
            };
            if unchanged {
                saved.push(None);
                continue;
            }
            let version = last + 1;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO policy_versions ({VERSION_COLUMNS}) VALUES ({})",
                self.placeholders(10)
            )))
            .bind(new.document_id.as_str())
            .bind(version)
            .bind(new.source.as_str())
            .bind(new.status.as_str())
            .bind(new.author.as_str())
            .bind(new.reviewed_by.as_deref())
            .bind(new.summary.as_str())
            .bind(now)
            .bind(new.author_principal.as_str())
            .bind(new.reviewer_principal.as_deref())
            .execute(&mut *tx)
            .await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO policy_documents ({DOCUMENT_COLUMNS}) VALUES ({}) \
                 ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, title = excluded.title, \
                 status = excluded.status, locale = excluded.locale, audience = excluded.audience, \
                 markets = excluded.markets, tags = excluded.tags, owner = excluded.owner, \
                 variant_of = excluded.variant_of, next_review = excluded.next_review, \
                 version = excluded.version, updated_at = excluded.updated_at",
                self.placeholders(13)
            )))
            .bind(new.document_id.as_str())
            .bind(new.kind.as_str())
            .bind(new.title.as_str())
            .bind(new.status.as_str())
            .bind(new.locale.as_str())
            .bind(framed(&new.audience))
            .bind(framed(&new.markets))
            .bind(framed(&new.tags))
            .bind(new.owner.as_str())
            .bind(new.variant_of.as_deref())
            .bind(new.next_review.as_deref())
            .bind(version)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            // The change feed's subscribers hear of it once it commits.
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO webhook_deliveries (webhook_id, policy_document, policy_version, state, attempts, next_attempt_at, created_at) \
                 SELECT id, {}, {}, 'pending', 0, {}, {} FROM webhooks \
                 WHERE disabled_at IS NULL AND topics LIKE '%,policy_changes,%'",
                p(1),
                p(2),
                p(3),
                p(4)
            )))
            .bind(new.document_id.as_str())
            .bind(version)
            .bind(now)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            saved.push(Some(version));
        }
        tx.commit().await?;
        Ok(saved)
    }

    /// Changes whenever a version is stored: how many there are and when the last was.
    pub async fn policy_stamp(&self) -> Result<(i64, i64), StoreError> {
        let row = sqlx::query("SELECT COUNT(*), COALESCE(MAX(created_at), 0) FROM policy_versions")
            .fetch_one(&self.reader)
            .await?;
        Ok((row.try_get(0)?, row.try_get(1)?))
    }

    /// Every document of the library, by id.
    pub async fn policy_documents(&self) -> Result<Vec<PolicyDocumentRecord>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DOCUMENT_COLUMNS} FROM policy_documents ORDER BY id"
        )))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(document_record).collect()
    }

    /// The newest version of every document, by id.
    pub async fn current_policy_versions(&self) -> Result<Vec<PolicyVersionRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT v.document_id, v.version, v.source, v.status, v.author, v.reviewed_by, v.summary, v.created_at, v.author_principal, v.reviewer_principal \
             FROM policy_versions v JOIN policy_documents d ON d.id = v.document_id AND d.version = v.version \
             ORDER BY v.document_id",
        )
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(version_record).collect()
    }

    /// The version of every document that is in force: its newest published version, unless a
    /// later version retired it. A draft written on top of a published version leaves the
    /// published one in force until the draft is itself reviewed and published.
    pub async fn policy_versions_in_force(&self) -> Result<Vec<PolicyVersionRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT v.document_id, v.version, v.source, v.status, v.author, v.reviewed_by, v.summary, v.created_at, v.author_principal, v.reviewer_principal \
             FROM policy_versions v \
             WHERE v.status = 'published' AND NOT EXISTS ( \
                 SELECT 1 FROM policy_versions later WHERE later.document_id = v.document_id \
                 AND later.version > v.version AND later.status IN ('published', 'retired')) \
             ORDER BY v.document_id",
        )
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(version_record).collect()
    }

    /// Every version of a document, oldest first; empty when there is no such document.
    pub async fn policy_versions(
        &self,
        document_id: &str,
    ) -> Result<Vec<PolicyVersionRecord>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {VERSION_COLUMNS} FROM policy_versions WHERE document_id = {} ORDER BY version",
            self.placeholders(1)
        )))
        .bind(document_id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(version_record).collect()
    }
}

/// A version in the change feed, with the status of the version before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyChange {
    pub version: PolicyVersionRecord,
    /// `None` for a document's first version.
    pub previous_status: Option<String>,
    pub title: String,
}

impl Store {
    /// Every version stored at or after `since`, newest first, at most `limit`.
    pub async fn policy_changes(
        &self,
        since: Micros,
        limit: i64,
    ) -> Result<Vec<PolicyChange>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT v.document_id, v.version, v.source, v.status, v.author, v.reviewed_by, v.summary, v.created_at, v.author_principal, v.reviewer_principal, \
             p.status AS previous_status, d.title \
             FROM policy_versions v \
             JOIN policy_documents d ON d.id = v.document_id \
             LEFT JOIN policy_versions p ON p.document_id = v.document_id AND p.version = v.version - 1 \
             WHERE v.created_at >= {} ORDER BY v.created_at DESC, v.document_id LIMIT {}",
            self.placeholders(1),
            limit.clamp(1, 10_000)
        )))
        .bind(since)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(PolicyChange {
                    version: version_record(row)?,
                    previous_status: row.try_get("previous_status")?,
                    title: row.try_get("title")?,
                })
            })
            .collect()
    }
}

fn document_record(row: &AnyRow) -> Result<PolicyDocumentRecord, StoreError> {
    Ok(PolicyDocumentRecord {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        title: row.try_get("title")?,
        status: row.try_get("status")?,
        locale: row.try_get("locale")?,
        audience: unframed(&row.try_get::<String, _>("audience")?),
        markets: unframed(&row.try_get::<String, _>("markets")?),
        tags: unframed(&row.try_get::<String, _>("tags")?),
        owner: row.try_get("owner")?,
        variant_of: row.try_get("variant_of")?,
        next_review: row.try_get("next_review")?,
        version: row.try_get("version")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn version_record(row: &AnyRow) -> Result<PolicyVersionRecord, StoreError> {
    Ok(PolicyVersionRecord {
        document_id: row.try_get("document_id")?,
        version: row.try_get("version")?,
        source: row.try_get("source")?,
        status: row.try_get("status")?,
        author: row.try_get("author")?,
        reviewed_by: row.try_get("reviewed_by")?,
        author_principal: row.try_get("author_principal")?,
        reviewer_principal: row.try_get("reviewer_principal")?,
        summary: row.try_get("summary")?,
        created_at: row.try_get("created_at")?,
    })
}
