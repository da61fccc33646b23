//! API tokens, console sessions, staff accounts and the sign-in audit. Secrets never reach the
//! database: tokens are stored as SHA-256 digests, passwords as argon2 hashes (both computed by
//! the caller).
//!
//! Identity is a [`Principal`]: a staff account or an API token by its id, never a label. A
//! session acts for the principal that made it and ends when that principal is revoked or
//! disabled.

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

/// Who acts: a staff account (`user:<username>`) or an API token by its id
/// (`token:<id>`). Checks compare [`Principal::key`]; [`Principal::name`] is what people read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    key: String,
    name: String,
}

impl Principal {
    /// A staff account.
    pub fn user(username: &str) -> Principal {
        Principal {
            key: format!("user:{username}"),
            name: username.to_owned(),
        }
    }

    /// An API token, shown by its label (or its id when it has none).
    pub fn token(id: &str, label: &str) -> Principal {
        Principal {
            key: format!("token:{id}"),
            name: if label.trim().is_empty() {
                id.to_owned()
            } else {
                label.to_owned()
            },
        }
    }

    /// A principal as stored: its key and the name shown for it.
    pub fn stored(key: &str, name: &str) -> Principal {
        Principal {
            key: key.to_owned(),
            name: name.to_owned(),
        }
    }

    /// What checks compare: `user:<username>` or `token:<id>`.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// What people read: a username or a token's label.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The account's username, for a staff account.
    pub fn username(&self) -> Option<&str> {
        self.key.strip_prefix("user:")
    }

    /// The token's id, for an API token.
    pub fn token_id(&self) -> Option<&str> {
        self.key.strip_prefix("token:")
    }
}

pub struct NewToken<'a> {
    pub id: &'a str,
    pub secret_hash: &'a str,
    pub kind: TokenKind,
    pub role: Role,
    pub label: &'a str,
    /// The principal a session acts for; `None` for an API token, which is its own.
    pub principal: Option<&'a str>,
    pub created_at: Micros,
    pub expires_at: Option<Micros>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: String,
    pub kind: TokenKind,
    pub role: Role,
    pub label: String,
    /// `token:<id>` for an API token; for a session, the account or token that made it.
    pub principal: String,
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

/// A staff account as listed and checked: everything but what creates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffAccount {
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub created_at: Micros,
    pub disabled_at: Option<Micros>,
    /// Sessions not ended or expired at the time asked.
    pub live_sessions: i64,
}

/// How a sign-in attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInOutcome {
    SignedIn,
    WrongCredentials,
    /// The right password for a disabled account.
    Disabled,
    /// Refused unchecked: the account had too many recent failures.
    Locked,
    /// Refused unchecked: the address had too many recent failures.
    Limited,
}

impl SignInOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            SignInOutcome::SignedIn => "signed_in",
            SignInOutcome::WrongCredentials => "wrong_credentials",
            SignInOutcome::Disabled => "disabled",
            SignInOutcome::Locked => "locked",
            SignInOutcome::Limited => "limited",
        }
    }
}

/// One sign-in attempt, as audited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInRecord {
    pub at: Micros,
    /// `password` or `token`.
    pub method: String,
    /// The username tried, for a password sign-in.
    pub username: Option<String>,
    /// Who signed in, when someone did.
    pub principal: Option<String>,
    pub address: String,
    /// [`SignInOutcome::as_str`].
    pub outcome: String,
}

const TOKEN_COLUMNS: &str = "id, kind, role, label, principal, created_at, expires_at, revoked_at";

fn parse_role(text: &str) -> Result<Role, StoreError> {
    text.parse().map_err(StoreError::Corrupt)
}

fn token_record(row: &AnyRow) -> Result<TokenRecord, StoreError> {
    Ok(TokenRecord {
        id: row.try_get("id")?,
        kind: TokenKind::parse(&row.try_get::<String, _>("kind")?)?,
        role: parse_role(&row.try_get::<String, _>("role")?)?,
        label: row.try_get("label")?,
        principal: row.try_get("principal")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

impl Store {
    pub async fn create_token(&self, token: NewToken<'_>) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO access_tokens (id, secret_hash, kind, role, label, principal, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(token.id)
        .bind(token.secret_hash)
        .bind(token.kind.as_str())
        .bind(token.role.as_str())
        .bind(token.label)
        .bind(
            token
                .principal
                .map_or_else(|| format!("token:{}", token.id), str::to_owned),
        )
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
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TOKEN_COLUMNS} FROM access_tokens WHERE secret_hash = $1"
        )))
        .bind(secret_hash)
        .fetch_optional(&self.reader)
        .await?
        .map(|row| token_record(&row))
        .transpose()
    }

    /// API tokens, newest first (sessions are not listed).
    pub async fn api_tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TOKEN_COLUMNS} FROM access_tokens WHERE kind = 'api' ORDER BY created_at DESC"
        )))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(token_record)
        .collect()
    }

    /// Revokes a token at `now`, and every session made from it; `false` when no live token
    /// has that id.
    pub async fn revoke_token(&self, id: &str, now: Micros) -> Result<bool, StoreError> {
        let mut writer = self.writer().await?;
        let mut tx = sqlx::Connection::begin(writer.conn()).await?;
        let result = sqlx::query(
            "UPDATE access_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE access_tokens SET revoked_at = $1
             WHERE principal = $2 AND kind = 'session' AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(format!("token:{id}"))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(result.rows_affected() == 1)
    }

    /// Whether `principal` may act at `now`: an enabled staff account, or a live API token.
    /// A session is only as good as the principal it acts for.
    pub async fn principal_is_live(
        &self,
        principal: &str,
        now: Micros,
    ) -> Result<bool, StoreError> {
        let row = if let Some(username) = principal.strip_prefix("user:") {
            sqlx::query(
                "SELECT COUNT(*) AS n FROM staff_users WHERE username = $1 AND disabled_at IS NULL",
            )
            .bind(username)
            .fetch_one(&self.reader)
            .await?
        } else if let Some(id) = principal.strip_prefix("token:") {
            sqlx::query(
                "SELECT COUNT(*) AS n FROM access_tokens WHERE id = $1 AND kind = 'api'
                 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
            )
            .bind(id)
            .bind(now)
            .fetch_one(&self.reader)
            .await?
        } else {
            return Ok(false);
        };
        Ok(row.try_get::<i64, _>("n")? > 0)
    }

    /// The sessions acting for `principal` that have not ended or expired at `now`, newest
    /// first.
    pub async fn live_sessions(
        &self,
        principal: &str,
        now: Micros,
    ) -> Result<Vec<TokenRecord>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TOKEN_COLUMNS} FROM access_tokens
             WHERE principal = $1 AND kind = 'session' AND revoked_at IS NULL AND expires_at > $2
             ORDER BY created_at DESC"
        )))
        .bind(principal)
        .bind(now)
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(token_record)
        .collect()
    }

    /// Ends every session acting for `principal`; answers how many were live.
    pub async fn end_sessions(&self, principal: &str, now: Micros) -> Result<u64, StoreError> {
        let result = sqlx::query(
            "UPDATE access_tokens SET revoked_at = $1
             WHERE principal = $2 AND kind = 'session' AND revoked_at IS NULL AND expires_at > $3",
        )
        .bind(now)
        .bind(principal)
        .bind(now)
        .execute(self.writer().await?.conn())
        .await?;
        Ok(result.rows_affected())
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

    /// Every staff account by name, with its live sessions at `now`.
    pub async fn staff_accounts(&self, now: Micros) -> Result<Vec<StaffAccount>, StoreError> {
        sqlx::query(
            "SELECT u.username, u.password_hash, u.role, u.created_at, u.disabled_at,
                 (SELECT COUNT(*) FROM access_tokens t WHERE t.principal = 'user:' || u.username
                  AND t.kind = 'session' AND t.revoked_at IS NULL AND t.expires_at > $1) AS live_sessions
             FROM staff_users u ORDER BY u.username",
        )
        .bind(now)
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(staff_account)
        .collect()
    }

    /// One staff account, with its live sessions at `now`.
    pub async fn staff_account(
        &self,
        username: &str,
        now: Micros,
    ) -> Result<Option<StaffAccount>, StoreError> {
        sqlx::query(
            "SELECT u.username, u.password_hash, u.role, u.created_at, u.disabled_at,
                 (SELECT COUNT(*) FROM access_tokens t WHERE t.principal = 'user:' || u.username
                  AND t.kind = 'session' AND t.revoked_at IS NULL AND t.expires_at > $1) AS live_sessions
             FROM staff_users u WHERE u.username = $2",
        )
        .bind(now)
        .bind(username)
        .fetch_optional(&self.reader)
        .await?
        .map(|row| staff_account(&row))
        .transpose()
    }

    /// Disables an account at `now` and ends its sessions, or (`disabled` false) enables it
    /// again. `false` when no account has that name.
    pub async fn set_staff_disabled(
        &self,
        username: &str,
        disabled: bool,
        now: Micros,
    ) -> Result<bool, StoreError> {
        let mut writer = self.writer().await?;
        let mut tx = sqlx::Connection::begin(writer.conn()).await?;
        let result = if disabled {
            sqlx::query(
                "UPDATE staff_users SET disabled_at = COALESCE(disabled_at, $1) WHERE username = $2",
            )
            .bind(now)
            .bind(username)
            .execute(&mut *tx)
            .await?
        } else {
            sqlx::query("UPDATE staff_users SET disabled_at = NULL WHERE username = $1")
                .bind(username)
                .execute(&mut *tx)
                .await?
        };
        if disabled {
            end_sessions_in(&mut tx, &format!("user:{username}"), now).await?;
        }
        tx.commit().await?;
        Ok(result.rows_affected() == 1)
    }

    /// Sets an account's password hash and ends its sessions. `false` when no account has
    /// that name.
    pub async fn set_staff_password(
        &self,
        username: &str,
        password_hash: &str,
        now: Micros,
    ) -> Result<bool, StoreError> {
        let mut writer = self.writer().await?;
        let mut tx = sqlx::Connection::begin(writer.conn()).await?;
        let result = sqlx::query("UPDATE staff_users SET password_hash = $1 WHERE username = $2")
            .bind(password_hash)
            .bind(username)
            .execute(&mut *tx)
            .await?;
        end_sessions_in(&mut tx, &format!("user:{username}"), now).await?;
        tx.commit().await?;
        Ok(result.rows_affected() == 1)
    }

    /// Audits a sign-in attempt.
    pub async fn record_sign_in(&self, attempt: &SignInRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sign_ins (at, method, username, principal, address, outcome)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(attempt.at)
        .bind(attempt.method.as_str())
        .bind(attempt.username.as_deref())
        .bind(attempt.principal.as_deref())
        .bind(attempt.address.as_str())
        .bind(attempt.outcome.as_str())
        .execute(self.writer().await?.conn())
        .await?;
        Ok(())
    }

    /// When the latest attempt from `address` for `username` (none: a token) ended in
    /// `outcome`.
    pub async fn last_sign_in(
        &self,
        address: &str,
        username: Option<&str>,
        outcome: &str,
    ) -> Result<Option<Micros>, StoreError> {
        Ok(sqlx::query(
            "SELECT MAX(at) AS at FROM sign_ins
             WHERE address = $1 AND outcome = $2 AND COALESCE(username, '') = $3",
        )
        .bind(address)
        .bind(outcome)
        .bind(username.unwrap_or(""))
        .fetch_one(&self.reader)
        .await?
        .try_get("at")?)
    }

    /// Sign-in attempts, newest first, at most `limit`.
    pub async fn sign_ins(&self, limit: i64) -> Result<Vec<SignInRecord>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT at, method, username, principal, address, outcome FROM sign_ins
             ORDER BY at DESC, id DESC LIMIT {}",
            limit.clamp(1, 10_000)
        )))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(|row| {
            Ok(SignInRecord {
                at: row.try_get("at")?,
                method: row.try_get("method")?,
                username: row.try_get("username")?,
                principal: row.try_get("principal")?,
                address: row.try_get("address")?,
                outcome: row.try_get("outcome")?,
            })
        })
        .collect()
    }

    /// When the most recent wrong passwords for `username` were given, newest first: those
    /// after `since` and after the account's last successful sign-in, at most `limit`.
    pub async fn failed_sign_ins_of_user(
        &self,
        username: &str,
        since: Micros,
        limit: i64,
    ) -> Result<Vec<Micros>, StoreError> {
        let last_success: Option<Micros> = sqlx::query(
            "SELECT MAX(at) AS at FROM sign_ins WHERE username = $1 AND outcome = 'signed_in'",
        )
        .bind(username)
        .fetch_one(&self.reader)
        .await?
        .try_get("at")?;
        self.failure_times(
            "username",
            username,
            since.max(last_success.unwrap_or(Micros::MIN)),
            limit,
        )
        .await
    }

    /// When the most recent failed sign-ins from `address` were, newest first: those after
    /// `since`, at most `limit`.
    pub async fn failed_sign_ins_from(
        &self,
        address: &str,
        since: Micros,
        limit: i64,
    ) -> Result<Vec<Micros>, StoreError> {
        self.failure_times("address", address, since, limit).await
    }

    async fn failure_times(
        &self,
        column: &'static str,
        value: &str,
        after: Micros,
        limit: i64,
    ) -> Result<Vec<Micros>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT at FROM sign_ins WHERE {column} = $1 AND outcome = 'wrong_credentials' AND at > $2
             ORDER BY at DESC LIMIT {}",
            limit.clamp(1, 1_000)
        )))
        .bind(value)
        .bind(after)
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(|row| Ok(row.try_get::<Micros, _>("at")?))
        .collect()
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

async fn end_sessions_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    principal: &str,
    now: Micros,
) -> Result<u64, StoreError> {
    let result = sqlx::query(
        "UPDATE access_tokens SET revoked_at = $1
         WHERE principal = $2 AND kind = 'session' AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(principal)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected())
}

fn staff_account(row: &AnyRow) -> Result<StaffAccount, StoreError> {
    Ok(StaffAccount {
        username: row.try_get("username")?,
        password_hash: row.try_get("password_hash")?,
        role: parse_role(&row.try_get::<String, _>("role")?)?,
        created_at: row.try_get("created_at")?,
        disabled_at: row.try_get("disabled_at")?,
        live_sessions: row.try_get("live_sessions")?,
    })
}
