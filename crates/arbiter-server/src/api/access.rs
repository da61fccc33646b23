//! `/v1/tokens`, `/v1/users` and `/v1/sign-ins`: who may use Arbiter. Admins only.

use crate::AppState;
use crate::extract::{ApiJson, ApiQuery};
use crate::problem::Problem;
use arbiter_app::access::{Caller, check_new_account, hash_password_async, issue_token};
use arbiter_model::{Permission, Role};
use arbiter_store::{Principal, SignInRecord, StaffAccount, StaffUser, TokenKind, TokenRecord};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewTokenRequest {
    /// `admin`, `policy_editor`, `analyst`, `agent` or `viewer`.
    #[schema(value_type = String, example = "analyst")]
    role: Role,
    /// What the token is for, e.g. `marketplace ingest`.
    label: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CreatedToken {
    id: String,
    /// The secret: shown once, never stored. Send it as `Authorization: Bearer …`.
    token: String,
    #[schema(value_type = String)]
    role: Role,
    label: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct TokenSummary {
    id: String,
    #[schema(value_type = String)]
    role: Role,
    label: String,
    created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    revoked_at: Option<String>,
}

use arbiter_model::format_micros as rfc3339;

impl From<TokenRecord> for TokenSummary {
    fn from(t: TokenRecord) -> Self {
        TokenSummary {
            id: t.id,
            role: t.role,
            label: t.label,
            created_at: rfc3339(t.created_at),
            revoked_at: t.revoked_at.map(rfc3339),
        }
    }
}

fn check_label(label: &str) -> Result<(), Problem> {
    if label.trim().is_empty() || label.chars().count() > 200 {
        return Err(Problem::bad_request(
            "label: give 1–200 characters saying what the token is for",
        ));
    }
    Ok(())
}

/// Creates an API token. The secret is in the answer and nowhere else.
#[utoipa::path(post, path = "/v1/tokens", tag = "access", security(("bearer" = [])),
    request_body = NewTokenRequest,
    responses((status = 201, body = CreatedToken), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem)))]
pub(crate) async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<NewTokenRequest>,
) -> Result<(StatusCode, Json<CreatedToken>), Problem> {
    caller.require(Permission::ManageAccess)?;
    check_label(&request.label)?;
    let issued = issue_token(
        state.store(),
        TokenKind::Api,
        request.role,
        request.label.trim(),
        arbiter_app::now(),
    )
    .await?;
    tracing::info!(by = %caller.token_id, token = %issued.id, role = %issued.role, "token created");
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            id: issued.id,
            token: issued.secret,
            role: issued.role,
            label: request.label.trim().to_owned(),
        }),
    ))
}

/// Lists API tokens, newest first (secrets are never shown again).
#[utoipa::path(get, path = "/v1/tokens", tag = "access", security(("bearer" = [])),
    responses((status = 200, body = Vec<TokenSummary>), (status = 401, body = Problem),
        (status = 403, body = Problem)))]
pub(crate) async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<TokenSummary>>, Problem> {
    caller.require(Permission::ManageAccess)?;
    let tokens = state.store().api_tokens().await?;
    Ok(Json(tokens.into_iter().map(TokenSummary::from).collect()))
}

/// Revokes a token at once, and every console session made from it.
#[utoipa::path(delete, path = "/v1/tokens/{id}", tag = "access", security(("bearer" = [])),
    params(("id" = String, Path, description = "The token's id, e.g. tok_1a2b3c4d5e6f")),
    responses((status = 204, description = "Revoked"), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    caller.require(Permission::ManageAccess)?;
    // Sessions made from the token end with it, in the store and in this server's cache.
    if state.store().revoke_token(&id, arbiter_app::now()).await? {
        state.tokens().forget(&id);
        tracing::info!(by = %caller.token_id, token = %id, "token revoked");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Problem::not_found(format!(
            "no live token has the id {id:?}"
        )))
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewUserRequest {
    username: String,
    /// 12 to 1024 characters; stored as an argon2id hash.
    password: String,
    #[schema(value_type = String, example = "agent")]
    role: Role,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CreatedUser {
    username: String,
    #[schema(value_type = String)]
    role: Role,
}

/// Creates a staff account for the console.
#[utoipa::path(post, path = "/v1/users", tag = "access", security(("bearer" = [])),
    request_body = NewUserRequest,
    responses((status = 201, body = CreatedUser), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub(crate) async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<NewUserRequest>,
) -> Result<(StatusCode, Json<CreatedUser>), Problem> {
    caller.require(Permission::ManageAccess)?;
    check_new_account(&request.username, &request.password).map_err(Problem::bad_request)?;
    let password_hash = hash_password_async(request.password)
        .await
        .map_err(|e| Problem::internal(&e))?;
    let user = StaffUser {
        username: request.username,
        password_hash,
        role: request.role,
    };
    state
        .store()
        .create_staff_user(&user, arbiter_app::now())
        .await?;
    tracing::info!(by = %caller.token_id, user = %user.username, role = %user.role, "user created");
    Ok((
        StatusCode::CREATED,
        Json(CreatedUser {
            username: user.username,
            role: user.role,
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct UserSummary {
    username: String,
    #[schema(value_type = String)]
    role: Role,
    created_at: String,
    disabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    disabled_at: Option<String>,
    /// Console sessions neither ended nor expired.
    live_sessions: i64,
}

impl From<StaffAccount> for UserSummary {
    fn from(a: StaffAccount) -> Self {
        UserSummary {
            username: a.username,
            role: a.role,
            created_at: rfc3339(a.created_at),
            disabled: a.disabled_at.is_some(),
            disabled_at: a.disabled_at.map(rfc3339),
            live_sessions: a.live_sessions,
        }
    }
}

/// Lists staff accounts by name, with their live sessions.
#[utoipa::path(get, path = "/v1/users", tag = "access", security(("bearer" = [])),
    responses((status = 200, body = Vec<UserSummary>), (status = 401, body = Problem),
        (status = 403, body = Problem)))]
pub(crate) async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<UserSummary>>, Problem> {
    caller.require(Permission::ManageAccess)?;
    let accounts = state.store().staff_accounts(arbiter_app::now()).await?;
    Ok(Json(accounts.into_iter().map(UserSummary::from).collect()))
}

/// The account `username`, or 404.
async fn account(state: &AppState, username: &str) -> Result<StaffAccount, Problem> {
    state
        .store()
        .staff_account(username, arbiter_app::now())
        .await?
        .ok_or_else(|| Problem::not_found(format!("no staff account is named {username:?}")))
}

/// Disables a staff account: it can no longer sign in, and its sessions end at once.
#[utoipa::path(post, path = "/v1/users/{username}/disable", tag = "access", security(("bearer" = [])),
    params(("username" = String, Path, description = "The account's username")),
    responses((status = 200, body = UserSummary), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn disable_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(username): Path<String>,
) -> Result<Json<UserSummary>, Problem> {
    caller.require(Permission::ManageAccess)?;
    set_disabled(&state, &caller, &username, true).await
}

/// Enables a disabled staff account again.
#[utoipa::path(post, path = "/v1/users/{username}/enable", tag = "access", security(("bearer" = [])),
    params(("username" = String, Path, description = "The account's username")),
    responses((status = 200, body = UserSummary), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn enable_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(username): Path<String>,
) -> Result<Json<UserSummary>, Problem> {
    caller.require(Permission::ManageAccess)?;
    set_disabled(&state, &caller, &username, false).await
}

async fn set_disabled(
    state: &AppState,
    caller: &Caller,
    username: &str,
    disabled: bool,
) -> Result<Json<UserSummary>, Problem> {
    if !state
        .store()
        .set_staff_disabled(username, disabled, arbiter_app::now())
        .await?
    {
        return Err(Problem::not_found(format!(
            "no staff account is named {username:?}"
        )));
    }
    if disabled {
        state.tokens().forget_principal(&Principal::user(username));
    }
    tracing::info!(by = %caller.principal.key(), user = %username, disabled, "user access changed");
    Ok(Json(account(state, username).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewPasswordRequest {
    /// 12 to 1024 characters; stored as an argon2id hash.
    password: String,
}

/// Sets a staff account's password; its sessions end at once.
#[utoipa::path(post, path = "/v1/users/{username}/password", tag = "access", security(("bearer" = [])),
    params(("username" = String, Path, description = "The account's username")),
    request_body = NewPasswordRequest,
    responses((status = 200, body = UserSummary), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn reset_password(
    State(state): State<AppState>,
    caller: Caller,
    Path(username): Path<String>,
    ApiJson(request): ApiJson<NewPasswordRequest>,
) -> Result<Json<UserSummary>, Problem> {
    caller.require(Permission::ManageAccess)?;
    account(&state, &username).await?;
    check_new_account(&username, &request.password).map_err(Problem::bad_request)?;
    let hash = hash_password_async(request.password)
        .await
        .map_err(|e| Problem::internal(&e))?;
    if !state
        .store()
        .set_staff_password(&username, &hash, arbiter_app::now())
        .await?
    {
        return Err(Problem::not_found(format!(
            "no staff account is named {username:?}"
        )));
    }
    state.tokens().forget_principal(&Principal::user(&username));
    tracing::info!(by = %caller.principal.key(), user = %username, "password reset");
    Ok(Json(account(&state, &username).await?.into()))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SessionSummary {
    /// The session's id (its secret is never shown).
    id: String,
    /// Who the session acts for: `user:<username>` or `token:<id>`.
    principal: String,
    #[schema(value_type = String)]
    role: Role,
    created_at: String,
    expires_at: Option<String>,
}

impl From<TokenRecord> for SessionSummary {
    fn from(t: TokenRecord) -> Self {
        SessionSummary {
            id: t.id,
            principal: t.principal,
            role: t.role,
            created_at: rfc3339(t.created_at),
            expires_at: t.expires_at.map(rfc3339),
        }
    }
}

/// Lists a staff account's live console sessions, newest first.
#[utoipa::path(get, path = "/v1/users/{username}/sessions", tag = "access", security(("bearer" = [])),
    params(("username" = String, Path, description = "The account's username")),
    responses((status = 200, body = Vec<SessionSummary>), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn list_user_sessions(
    State(state): State<AppState>,
    caller: Caller,
    Path(username): Path<String>,
) -> Result<Json<Vec<SessionSummary>>, Problem> {
    caller.require(Permission::ManageAccess)?;
    account(&state, &username).await?;
    let sessions = state
        .store()
        .live_sessions(Principal::user(&username).key(), arbiter_app::now())
        .await?;
    Ok(Json(
        sessions.into_iter().map(SessionSummary::from).collect(),
    ))
}

/// Lists the live console sessions made from an API token, newest first.
#[utoipa::path(get, path = "/v1/tokens/{id}/sessions", tag = "access", security(("bearer" = [])),
    params(("id" = String, Path, description = "The token's id, e.g. tok_1a2b3c4d5e6f")),
    responses((status = 200, body = Vec<SessionSummary>), (status = 401, body = Problem),
        (status = 403, body = Problem)))]
pub(crate) async fn list_token_sessions(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<SessionSummary>>, Problem> {
    caller.require(Permission::ManageAccess)?;
    let sessions = state
        .store()
        .live_sessions(&format!("token:{id}"), arbiter_app::now())
        .await?;
    Ok(Json(
        sessions.into_iter().map(SessionSummary::from).collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct EndedSessions {
    /// How many live sessions were ended.
    ended: u64,
}

/// Ends every console session of a staff account at once (it may sign in again).
#[utoipa::path(delete, path = "/v1/users/{username}/sessions", tag = "access", security(("bearer" = [])),
    params(("username" = String, Path, description = "The account's username")),
    responses((status = 200, body = EndedSessions), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn end_user_sessions(
    State(state): State<AppState>,
    caller: Caller,
    Path(username): Path<String>,
) -> Result<Json<EndedSessions>, Problem> {
    caller.require(Permission::ManageAccess)?;
    account(&state, &username).await?;
    let principal = Principal::user(&username);
    let ended = state
        .store()
        .end_sessions(principal.key(), arbiter_app::now())
        .await?;
    state.tokens().forget_principal(&principal);
    tracing::info!(by = %caller.principal.key(), user = %username, ended, "sessions ended");
    Ok(Json(EndedSessions { ended }))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SignInSummary {
    at: String,
    /// `password` or `token`.
    method: String,
    /// The username tried, for a password sign-in.
    username: Option<String>,
    /// Who signed in (`user:<username>` or `token:<id>`), when someone did.
    principal: Option<String>,
    /// The client's IP address.
    address: String,
    /// `signed_in`, `wrong_credentials`, `disabled`, `locked` (too many failures for the
    /// account) or `limited` (too many failures from the address).
    outcome: String,
}

impl From<SignInRecord> for SignInSummary {
    fn from(r: SignInRecord) -> Self {
        SignInSummary {
            at: rfc3339(r.at),
            method: r.method,
            username: r.username,
            principal: r.principal,
            address: r.address,
            outcome: r.outcome,
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SignInQuery {
    /// Most attempts to list, newest first: 1–1000, default 100.
    limit: Option<i64>,
}

/// Lists console sign-in attempts, newest first: successes and failures, with the username
/// tried or the principal that signed in, and the client's address.
#[utoipa::path(get, path = "/v1/sign-ins", tag = "access", security(("bearer" = [])),
    params(SignInQuery),
    responses((status = 200, body = Vec<SignInSummary>), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem)))]
pub(crate) async fn list_sign_ins(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<SignInQuery>,
) -> Result<Json<Vec<SignInSummary>>, Problem> {
    caller.require(Permission::ManageAccess)?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(Problem::bad_request("limit: give 1–1000"));
    }
    let attempts = state.store().sign_ins(limit).await?;
    Ok(Json(
        attempts.into_iter().map(SignInSummary::from).collect(),
    ))
}
