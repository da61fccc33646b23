//! Who is calling: API tokens (bearer), console sessions (cookie) and staff passwords.
//!
//! Token secrets are 256 random bits, so a fast SHA-256 digest is a safe way to store them;
//! passwords are chosen by people and get argon2id, hashed and verified on blocking threads,
//! a few at a time, so that sign-ins never hold up the async workers.
//!
//! Identity is a [`Principal`] — a staff account, or an API token by its id — never a label.
//! A console session acts for the principal that signed in and lives only as long as it does:
//! revoking the token or disabling the account ends its sessions. Sessions open the console
//! only; they are not API tokens and cannot sign in again.

use arbiter_model::{Micros, Permission, Role};
use arbiter_store::{
    NewToken, Principal, SignInOutcome, SignInRecord, Store, StoreError, TokenKind,
};
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Argon2, PasswordHash};
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

/// Creates a token and returns its secret. An API token is its own principal; a session made
/// here acts for the staff account named by `label` (see [`issue_session`]).
pub async fn issue_token(
    store: &Store,
    kind: TokenKind,
    role: Role,
    label: &str,
    now: Micros,
) -> Result<IssuedToken, StoreError> {
    let principal = match kind {
        TokenKind::Api => None,
        TokenKind::Session => Some(Principal::user(label)),
    };
    issue(store, kind, role, label, principal.as_ref(), now).await
}

/// Starts a console session acting for `principal`, with its role.
pub async fn issue_session(
    store: &Store,
    principal: &Principal,
    role: Role,
    now: Micros,
) -> Result<IssuedToken, StoreError> {
    issue(
        store,
        TokenKind::Session,
        role,
        principal.name(),
        Some(principal),
        now,
    )
    .await
}

/// The one way tokens and sessions are made.
async fn issue(
    store: &Store,
    kind: TokenKind,
    role: Role,
    label: &str,
    principal: Option<&Principal>,
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
            principal: principal.map(Principal::key),
            created_at: now,
            expires_at,
        })
        .await?;
    Ok(IssuedToken { id, secret, role })
}

/// Recently checked tokens, so that a busy integration does not read the token table on every
/// request. An entry is trusted for [`TokenCache::TRUST_FOR`]; a token revoked through this
/// server is forgotten at once, one revoked by another process (`arbiter token revoke`) within
/// that time. Forgetting a token forgets the sessions made from it.
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

    /// The live token or session behind `secret`, from the cache or the store. A session is
    /// live only while the principal it acts for is (an enabled account, a live API token).
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
        let mut token = store
            .token_by_secret_hash(&key)
            .await?
            .filter(|t| t.is_live(now));
        if let Some(t) = &token
            && t.kind == TokenKind::Session
            && !store.principal_is_live(&t.principal, now).await?
        {
            token = None;
        }
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

    /// Forgets a token at once, and the sessions made from it: after a revocation or a
    /// sign-out.
    pub fn forget(&self, token_id: &str) {
        let principal = format!("token:{token_id}");
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, cached| {
                cached.caller.token_id != token_id && cached.caller.principal.key() != principal
            });
        }
    }

    /// Forgets every session acting for `principal` at once: after its account is disabled,
    /// its password reset or its sessions ended.
    pub fn forget_principal(&self, principal: &Principal) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, cached| cached.caller.principal.key() != principal.key());
        }
    }
}

fn caller_of(t: arbiter_store::TokenRecord) -> Caller {
    let principal = match t.kind {
        TokenKind::Api => Principal::token(&t.id, &t.label),
        TokenKind::Session => Principal::stored(&t.principal, &t.label),
    };
    Caller {
        token_id: t.id,
        kind: t.kind,
        role: t.role,
        label: principal.name().to_owned(),
        principal,
    }
}

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| format!("could not hash the password: {e}"))
}

/// Whether `password` matches `hash`. Slow on purpose: call it through [`off_the_workers`].
fn password_matches(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash no password matches, verified against when a username has no account so that an
/// unknown name takes as long to refuse as a wrong password.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let mut password = [0u8; 32];
    let _ = getrandom::fill(&mut password);
    hash_password(&String::from_utf8_lossy(&password)).unwrap_or_default()
});

/// Password hashes computed at once: half the cores (at least one), so that sign-ins queue
/// here rather than take every core from the requests being served.
static HASHING: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    tokio::sync::Semaphore::new((cores / 2).max(1))
});

/// Runs slow password work on the CPU pool, a bounded number at a time.
async fn off_the_workers<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, StoreError> {
    let _turn = HASHING
        .acquire()
        .await
        .map_err(|e| StoreError::Failed(format!("password hashing stopped: {e}")))?;
    Ok(crate::cpu::run(work).await)
}

/// [`hash_password`] off the async workers.
pub async fn hash_password_async(password: String) -> Result<String, String> {
    off_the_workers(move || hash_password(&password))
        .await
        .map_err(|e| e.to_string())?
}

/// Failures that lock an account (any username tried, whether or not it exists).
pub const LOCKOUT_FAILURES: usize = 5;
/// Failures from one client address, across usernames and tokens, that stop it trying.
pub const ADDRESS_FAILURES: usize = 20;
/// How far back failures count: 15 minutes. A success clears an account's failures.
pub const FAILURE_WINDOW: Micros = 15 * 60 * 1_000_000;

/// What to sign in with.
pub enum Credentials<'a> {
    Password {
        username: &'a str,
        password: &'a str,
    },
    /// An API token's secret (never a session's).
    Token(&'a str),
}

/// Who signed in.
#[derive(Debug, Clone)]
pub struct SignedInAs {
    pub principal: Principal,
    pub role: Role,
}

/// Why a sign-in was refused.
#[derive(Debug)]
pub enum SignInRefusal {
    /// Wrong password, unknown username, or not a live API token: the answer does not say.
    WrongCredentials,
    /// The right password for a disabled account.
    Disabled,
    /// Too many recent failures for the account or from the address; try again after this
    /// many seconds.
    TooManyFailures {
        retry_after: u64,
    },
    Store(StoreError),
}

impl From<StoreError> for SignInRefusal {
    fn from(e: StoreError) -> Self {
        SignInRefusal::Store(e)
    }
}

/// Checks credentials for the console, from client `address` at `now`, and audits the
/// attempt. Refuses unchecked while the address or the account has too many recent failures;
/// verifies a password against a dummy hash when the username has no account, so known and
/// unknown names take the same time.
pub async fn sign_in(
    state: &crate::App,
    credentials: Credentials<'_>,
    address: &str,
    now: Micros,
) -> Result<SignedInAs, SignInRefusal> {
    let store = state.store();
    let username = match &credentials {
        Credentials::Password { username, .. } => Some(*username),
        Credentials::Token(_) => None,
    };
    let audit = |outcome: SignInOutcome, principal: Option<&Principal>| SignInRecord {
        at: now,
        method: if username.is_some() {
            "password"
        } else {
            "token"
        }
        .to_owned(),
        username: username.map(str::to_owned),
        principal: principal.map(|p| p.key().to_owned()),
        address: address.to_owned(),
        outcome: outcome.as_str().to_owned(),
    };
    // A cheap look first, so that a flood is refused without queueing for a hashing turn;
    // then again in turn, so that attempts running side by side cannot overshoot the limits.
    if let Some(refusal) = too_many_failures(store, username, address, now).await? {
        if refusal_worth_auditing(store, refusal.0, username, address, now).await? {
            store.record_sign_in(&audit(refusal.0, None)).await?;
        }
        return Err(refusal.1);
    }
    let _turn = HASHING
        .acquire()
        .await
        .map_err(|e| StoreError::Failed(format!("password hashing stopped: {e}")))?;
    if let Some(refusal) = too_many_failures(store, username, address, now).await? {
        if refusal_worth_auditing(store, refusal.0, username, address, now).await? {
            store.record_sign_in(&audit(refusal.0, None)).await?;
        }
        return Err(refusal.1);
    }
    let outcome = match credentials {
        Credentials::Password { username, password } => {
            let account = store.staff_account(username, now).await?;
            let hash = account.as_ref().map(|a| a.password_hash.clone());
            let password = password.to_owned();
            let matches = crate::cpu::run(move || {
                password_matches(hash.as_deref().unwrap_or(&DUMMY_HASH), &password)
            })
            .await;
            match account {
                Some(account) if matches && account.disabled_at.is_some() => {
                    Err(SignInRefusal::Disabled)
                }
                Some(account) if matches => Ok(SignedInAs {
                    principal: Principal::user(&account.username),
                    role: account.role,
                }),
                _ => Err(SignInRefusal::WrongCredentials),
            }
        }
        Credentials::Token(secret) => {
            match state.tokens().authenticate(store, secret, now).await? {
                Some(caller) if caller.kind == TokenKind::Api => Ok(SignedInAs {
                    principal: caller.principal,
                    role: caller.role,
                }),
                _ => Err(SignInRefusal::WrongCredentials),
            }
        }
    };
    let record = match &outcome {
        Ok(who) => audit(SignInOutcome::SignedIn, Some(&who.principal)),
        Err(SignInRefusal::Disabled) => audit(SignInOutcome::Disabled, None),
        Err(_) => audit(SignInOutcome::WrongCredentials, None),
    };
    store.record_sign_in(&record).await?;
    outcome
}

/// Whether a refusal unchecked (locked or limited) goes to the audit: the first for an address
/// and username each minute, so that a flood of refused attempts cannot fill the database.
async fn refusal_worth_auditing(
    store: &Store,
    outcome: SignInOutcome,
    username: Option<&str>,
    address: &str,
    now: Micros,
) -> Result<bool, StoreError> {
    let last = store
        .last_sign_in(address, username, outcome.as_str())
        .await?;
    Ok(last.is_none_or(|at| now - at >= 60_000_000))
}

/// The refusal due when `address`, or the account `username`, failed too often lately.
async fn too_many_failures(
    store: &Store,
    username: Option<&str>,
    address: &str,
    now: Micros,
) -> Result<Option<(SignInOutcome, SignInRefusal)>, StoreError> {
    let since = now - FAILURE_WINDOW;
    let retry_after = |failures: &[Micros], limit: usize| {
        let freed_at = failures[limit - 1] + FAILURE_WINDOW;
        SignInRefusal::TooManyFailures {
            retry_after: ((freed_at - now).max(1) as u64).div_ceil(1_000_000),
        }
    };
    let from_address = store
        .failed_sign_ins_from(address, since, ADDRESS_FAILURES as i64)
        .await?;
    if from_address.len() >= ADDRESS_FAILURES {
        return Ok(Some((
            SignInOutcome::Limited,
            retry_after(&from_address, ADDRESS_FAILURES),
        )));
    }
    if let Some(username) = username {
        let of_user = store
            .failed_sign_ins_of_user(username, since, LOCKOUT_FAILURES as i64)
            .await?;
        if of_user.len() >= LOCKOUT_FAILURES {
            return Ok(Some((
                SignInOutcome::Locked,
                retry_after(&of_user, LOCKOUT_FAILURES),
            )));
        }
    }
    Ok(None)
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
    check_password(password)
}

/// How many characters a password may have.
pub const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 12..=1024;

/// A new password: long enough to resist guessing, short enough to hash in bounded time.
pub fn check_password(password: &str) -> Result<(), String> {
    if !PASSWORD_CHARS.contains(&password.chars().count()) {
        return Err(format!(
            "password: use {} to {} characters",
            PASSWORD_CHARS.start(),
            PASSWORD_CHARS.end()
        ));
    }
    Ok(())
}

/// An authenticated caller of the API or the console.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The API token or console session presented.
    pub token_id: String,
    pub kind: TokenKind,
    pub role: Role,
    /// Who the caller is, as people read it: `principal.name()`.
    pub label: String,
    /// Who the caller is, as checks compare it.
    pub principal: Principal,
}

impl Caller {
    /// Refuses unless the caller's role allows `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), Forbidden> {
        if self.role.allows(permission) {
            Ok(())
        } else {
            Err(Forbidden(format!(
                "the {} role may not do this ({permission:?})",
                self.role
            )))
        }
    }
}

/// A caller's role does not allow what was asked; the reason names the role and permission.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Forbidden(pub String);

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
