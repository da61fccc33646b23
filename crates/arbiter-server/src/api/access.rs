//! `/v1/tokens` and `/v1/users`: who may use Arbiter. Admins only.

use crate::AppState;
use crate::access::{Caller, check_new_account, hash_password, issue_token};
use crate::extract::ApiJson;
use crate::problem::Problem;
use arbiter_model::{Permission, Role};
use arbiter_store::{StaffUser, TokenKind, TokenRecord};
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

use crate::api::format_time as rfc3339;

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
        crate::now(),
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

/// Revokes a token at once.
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
    if state.store().revoke_token(&id, crate::now()).await? {
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
    /// At least 12 characters; stored as an argon2id hash.
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
    let password = request.password;
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| Problem::internal(&e))?
        .map_err(|e| Problem::internal(&e))?;
    let user = StaffUser {
        username: request.username,
        password_hash,
        role: request.role,
    };
    state.store().create_staff_user(&user, crate::now()).await?;
    tracing::info!(by = %caller.token_id, user = %user.username, role = %user.role, "user created");
    Ok((
        StatusCode::CREATED,
        Json(CreatedUser {
            username: user.username,
            role: user.role,
        }),
    ))
}
