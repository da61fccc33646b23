//! Who is calling: API tokens (bearer), console sessions (cookie) and staff passwords.
//!
//! Token secrets are 256 random bits, so a fast SHA-256 digest is a safe way to store them;
//! passwords are chosen by people and get argon2id.

use crate::AppState;
use crate::problem::Problem;
use arbiter_model::{Micros, Permission, Role};
use arbiter_store::{NewToken, StaffUser, Store, StoreError, TokenKind};
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Argon2, PasswordHash};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};

/// Prefix of every secret, so that leaked tokens are easy to recognise and scan for.
const SECRET_PREFIX: &str = "arb_";
/// The console's session cookie.
pub const SESSION_COOKIE: &str = "arbiter_session";
/// How long a console session lasts.
pub const SESSION_HOURS: i64 = 12;

/// A token just issued: the secret is shown once and never stored.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub id: String,
    pub secret: String,
    pub role: Role,
}

/// Hex of `bytes` random bytes from the operating system: the one source of secrets.
pub fn random_hex(bytes: usize) -> Result<String, StoreError> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer)
        .map_err(|e| StoreError::Failed(format!("the operating system gave no randomness: {e}")))?;
    Ok(buffer.iter().map(|b| format!("{b:02x}")).collect())
}

fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Creates a token and returns its secret. The one way tokens and sessions are made.
pub async fn issue_token(
    store: &Store,
    kind: TokenKind,
    role: Role,
    label: &str,
    now: Micros,
) -> Result<IssuedToken, StoreError> {
    let id = format!("tok_{}", random_hex(6)?);
    let secret = format!("{SECRET_PREFIX}{}", random_hex(32)?);
    let expires_at = match kind {
        TokenKind::Api => None,
        TokenKind::Session => Some(now + SESSION_HOURS * 3_600_000_000),
    };
    store
        .create_token(NewToken {
            id: &id,
            secret_hash: &digest(&secret),
            kind,
            role,
            label,
            created_at: now,
            expires_at,
        })
        .await?;
    Ok(IssuedToken { id, secret, role })
}

/// Recently checked tokens, so that a busy integration does not read the token table on every
/// request. An entry is trusted for [`TokenCache::TRUST_FOR`]; a token revoked through this
/// server is forgotten at once, one revoked by another process (`arbiter token revoke`) within
/// that time.
#[derive(Default)]
pub struct TokenCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, CachedToken>>,
}

struct CachedToken {
    caller: Caller,
    expires_at: Option<Micros>,
    checked_at: Micros,
}

impl TokenCache {
    /// How long a checked token is trusted without reading it again: 5 s.
    pub const TRUST_FOR: Micros = 5_000_000;
    /// Most entries kept; past it the cache starts over.
    const CAPACITY: usize = 10_000;

    /// The live token behind `secret`, from the cache or the store.
    pub async fn authenticate(
        &self,
        store: &Store,
        secret: &str,
        now: Micros,
    ) -> Result<Option<Caller>, StoreError> {
        if !secret.starts_with(SECRET_PREFIX) {
            return Ok(None);
        }
        let key = digest(secret);
        if let Ok(entries) = self.entries.lock()
            && let Some(hit) = entries.get(&key)
            && now - hit.checked_at < Self::TRUST_FOR
            && hit.expires_at.is_none_or(|e| now < e)
        {
            return Ok(Some(hit.caller.clone()));
        }
        let token = store
            .token_by_secret_hash(&key)
            .await?
            .filter(|t| t.is_live(now));
        let Ok(mut entries) = self.entries.lock() else {
            return Ok(token.map(caller_of));
        };
        match token {
            Some(t) => {
                if entries.len() >= Self::CAPACITY {
                    entries.clear();
                }
                let expires_at = t.expires_at;
                let caller = caller_of(t);
                entries.insert(
                    key,
                    CachedToken {
                        caller: caller.clone(),
                        expires_at,
                        checked_at: now,
                    },
                );
                Ok(Some(caller))
            }
            None => {
                entries.remove(&key);
                Ok(None)
            }
        }
    }

    /// Forgets a token at once: after a revocation or a sign-out.
    pub fn forget(&self, token_id: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, cached| cached.caller.token_id != token_id);
        }
    }
}

fn caller_of(t: arbiter_store::TokenRecord) -> Caller {
    Caller {
        token_id: t.id,
        role: t.role,
        label: t.label,
    }
}

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| format!("could not hash the password: {e}"))
}

/// Checks a password against a stored account. Unknown users and wrong passwords look alike.
pub async fn verify_password(
    store: &Store,
    username: &str,
    password: &str,
) -> Result<Option<StaffUser>, StoreError> {
    let Some(user) = store.staff_user(username).await? else {
        return Ok(None);
    };
    let matches = PasswordHash::new(&user.password_hash)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false);
    Ok(matches.then_some(user))
}

/// Rules for new staff accounts, checked at every boundary that creates one.
pub fn check_new_account(username: &str, password: &str) -> Result<(), String> {
    let name_ok = (1..=64).contains(&username.chars().count())
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if !name_ok {
        return Err(format!(
            "username {username:?}: use 1–64 letters, digits, '.', '_', '-' or '@'"
        ));
    }
    if password.chars().count() < 12 {
        return Err("password: use at least 12 characters".to_owned());
    }
    Ok(())
}

/// An authenticated caller of the API or the console.
#[derive(Debug, Clone)]
pub struct Caller {
    pub token_id: String,
    pub role: Role,
    pub label: String,
}

impl Caller {
    /// Refuses with 403 unless the caller's role allows `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), Problem> {
        if self.role.allows(permission) {
            Ok(())
        } else {
            Err(Problem::forbidden(format!(
                "the {} role may not do this ({permission:?})",
                self.role
            )))
        }
    }
}

/// The session secret in a request's cookies, if any.
pub fn session_secret(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value)
}

/// API callers authenticate with `Authorization: Bearer TOKEN`.
impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(Problem::unauthorized(
                "send an API token as `Authorization: Bearer TOKEN` (create one with `arbiter token create`)",
            ));
        };
        let secret = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                Problem::unauthorized("the Authorization header must be `Bearer TOKEN`")
            })?;
        state
            .tokens()
            .authenticate(state.store(), secret, crate::now())
            .await?
            .ok_or_else(|| Problem::unauthorized("the token is unknown, expired or revoked"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        let parsed = PasswordHash::new(&hash).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse battery", &parsed)
                .is_ok()
        );
        assert!(
            Argon2::default()
                .verify_password(b"wrong", &parsed)
                .is_err()
        );
    }

    #[test]
    fn new_accounts_need_a_sane_name_and_a_long_password() {
        assert!(check_new_account("ana.lopez", "twelve chars!").is_ok());
        assert!(
            check_new_account("", "twelve chars!")
                .unwrap_err()
                .contains("username")
        );
        assert!(check_new_account("a b", "twelve chars!").is_err());
        assert!(
            check_new_account("ana", "short")
                .unwrap_err()
                .contains("12")
        );
    }

    #[test]
    fn digests_are_hex_sha256() {
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
