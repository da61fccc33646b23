//! API tokens, console sessions and staff accounts. Secrets never reach the database: tokens
//! are stored as SHA-256 digests, passwords as argon2 hashes (both computed by the caller).

use crate::{Store, StoreError};
use arbiter_model::{Micros, Role};
use sqlx::Row;
use sqlx::any::AnyRow;

/// What a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Created by an admin for an integration or a script; lives until revoked.
    Api,
    /// Created by signing in to the console; expires.
    Session,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            TokenKind::Api => "api",
            TokenKind::Session => "session",
        }
    }

    fn parse(text: &str) -> Result<TokenKind, StoreError> {
        match text {
            "api" => Ok(TokenKind::Api),
            "session" => Ok(TokenKind::Session),
            other => Err(StoreError::Corrupt(format!("unknown token kind {other:?}"))),
        }
    }
}

pub struct NewToken<'a> {
    pub id: &'a str,
    pub secret_hash: &'a str,
    pub kind: TokenKind,
    pub role: Role,
    pub label: &'a str,
    pub created_at: Micros,
    pub expires_at: Option<Micros>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: String,
    pub kind: TokenKind,
    pub role: Role,
    pub label: String,
    pub created_at: Micros,
    pub expires_at: Option<Micros>,
    pub revoked_at: Option<Micros>,
}

impl TokenRecord {
    /// Whether the token may be used at `now`.
    pub fn is_live(&self, now: Micros) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| now < at)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffUser {
    pub username: String,
    pub password_hash: String,
    pub role: Role,
}

fn parse_role(text: &str) -> Result<Role, StoreError> {
    text.parse().map_err(StoreError::Corrupt)
}

fn token_record(row: &AnyRow) -> Result<TokenRecord, StoreError> {
    Ok(TokenRecord {
        id: row.try_get("id")?,
        kind: TokenKind::parse(&row.try_get::<String, _>("kind")?)?,
        role: parse_role(&row.try_get::<String, _>("role")?)?,
        label: row.try_get("label")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

impl Store {
    pub async fn create_token(&self, token: NewToken<'_>) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO access_tokens (id, secret_hash, kind, role, label, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(token.id)
        .bind(token.secret_hash)
        .bind(token.kind.as_str())
        .bind(token.role.as_str())
        .bind(token.label)
        .bind(token.created_at)
        .bind(token.expires_at)
        .execute(self.writer().await?.conn())
        .await?;
        Ok(())
    }

    /// The token whose secret hashes to `secret_hash`, live or not.
    pub async fn token_by_secret_hash(
        &self,
        secret_hash: &str,
    ) -> Result<Option<TokenRecord>, StoreError> {
        sqlx::query(
            "SELECT id, kind, role, label, created_at, expires_at, revoked_at
             FROM access_tokens WHERE secret_hash = $1",
        )
        .bind(secret_hash)
        .fetch_optional(&self.reader)
        .await?
        .map(|row| token_record(&row))
        .transpose()
    }

    /// API tokens, newest first (sessions are not listed).
    pub async fn api_tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        sqlx::query(
            "SELECT id, kind, role, label, created_at, expires_at, revoked_at
             FROM access_tokens WHERE kind = 'api' ORDER BY created_at DESC",
        )
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(token_record)
        .collect()
    }

    /// Revokes a token at `now`; `false` when no live token has that id.
    pub async fn revoke_token(&self, id: &str, now: Micros) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "UPDATE access_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(self.writer().await?.conn())
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Creates a staff account; [`StoreError::Conflict`] when the name is taken.
    pub async fn create_staff_user(
        &self,
        user: &StaffUser,
        created_at: Micros,
    ) -> Result<(), StoreError> {
        let result = sqlx::query(
            "INSERT INTO staff_users (username, password_hash, role, created_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT (username) DO NOTHING",
        )
        .bind(user.username.as_str())
        .bind(user.password_hash.as_str())
        .bind(user.role.as_str())
        .bind(created_at)
        .execute(self.writer().await?.conn())
        .await?;
        if result.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!("user {:?}", user.username)));
        }
        Ok(())
    }

    pub async fn staff_user(&self, username: &str) -> Result<Option<StaffUser>, StoreError> {
        sqlx::query("SELECT username, password_hash, role FROM staff_users WHERE username = $1")
            .bind(username)
            .fetch_optional(&self.reader)
            .await?
            .map(|row| {
                Ok(StaffUser {
                    username: row.try_get("username")?,
                    password_hash: row.try_get("password_hash")?,
                    role: parse_role(&row.try_get::<String, _>("role")?)?,
                })
            })
            .transpose()
    }
}
