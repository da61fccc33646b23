//! The console's staff pages, for admins: accounts (disable, enable, reset the password),
//! their live sessions (listed and ended), and the audit of sign-ins.

use super::{AREAS, Area, SignedIn, Staff, render, when};
use crate::AppState;
use arbiter_app::access::{Caller, check_new_account, hash_password_async};
use arbiter_model::Permission;
use arbiter_store::Principal;
use askama::Template;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(staff_page))
        .routes(routes!(account_page))
        .routes(routes!(account_submit))
}

struct AccountRow {
    username: String,
    role: String,
    state: String,
    created: String,
    live_sessions: i64,
}

struct SignInRow {
    at: String,
    outcome: String,
    who: String,
    address: String,
    method: String,
}

#[derive(Template)]
#[template(path = "staff.html")]
struct StaffPage {
    signed_in: Option<SignedIn>,
    area: &'static str,
    areas: &'static [Area],
    accounts: Vec<AccountRow>,
    sign_ins: Vec<SignInRow>,
}

struct SessionRow {
    id: String,
    started: String,
    expires: String,
}

#[derive(Template)]
#[template(path = "staff_account.html")]
struct AccountPage {
    signed_in: Option<SignedIn>,
    area: &'static str,
    areas: &'static [Area],
    username: String,
    role: String,
    disabled: Option<String>,
    sessions: Vec<SessionRow>,
    notice: Option<String>,
    error: Option<String>,
}

fn forbidden(caller: &Caller) -> Option<Response> {
    caller.require(Permission::ManageAccess).err().map(|_| {
        (
            StatusCode::FORBIDDEN,
            format!("the {} role may not manage staff accounts", caller.role),
        )
            .into_response()
    })
}

fn problem(e: arbiter_store::StoreError) -> Response {
    crate::problem::Problem::from(e).into_response()
}

/// Staff accounts and the latest sign-in attempts. Admins only.
#[utoipa::path(get, path = "/console/staff", tag = "console",
    responses((status = 200, description = "HTML", content_type = "text/html"),
        (status = 303, description = "To sign-in"), (status = 403, description = "Not an admin")))]
async fn staff_page(State(state): State<AppState>, Staff(caller): Staff) -> Response {
    if let Some(refusal) = forbidden(&caller) {
        return refusal;
    }
    let now = arbiter_app::now();
    let accounts = match state.store().staff_accounts(now).await {
        Ok(accounts) => accounts,
        Err(e) => return problem(e),
    };
    let sign_ins = match state.store().sign_ins(100).await {
        Ok(sign_ins) => sign_ins,
        Err(e) => return problem(e),
    };
    render(&StaffPage {
        signed_in: Some(SignedIn::from(&caller)),
        area: "staff",
        areas: AREAS,
        accounts: accounts
            .into_iter()
            .map(|a| AccountRow {
                state: a.disabled_at.map_or_else(
                    || "enabled".to_owned(),
                    |at| format!("disabled {}", when(at)),
                ),
                username: a.username,
                role: a.role.to_string(),
                created: when(a.created_at),
                live_sessions: a.live_sessions,
            })
            .collect(),
        sign_ins: sign_ins
            .into_iter()
            .map(|s| SignInRow {
                at: when(s.at),
                outcome: s.outcome.replace('_', " "),
                who: s
                    .principal
                    .or(s.username)
                    .unwrap_or_else(|| "(a token)".to_owned()),
                address: s.address,
                method: s.method,
            })
            .collect(),
    })
}

async fn account_view(
    state: &AppState,
    caller: &Caller,
    username: &str,
) -> Result<AccountPage, Response> {
    let now = arbiter_app::now();
    let account = state
        .store()
        .staff_account(username, now)
        .await
        .map_err(problem)?
        .ok_or_else(|| {
            (
                StatusCode::NOT_FOUND,
                format!("no staff account is named {username:?}"),
            )
                .into_response()
        })?;
    let sessions = state
        .store()
        .live_sessions(Principal::user(username).key(), now)
        .await
        .map_err(problem)?;
    Ok(AccountPage {
        signed_in: Some(SignedIn::from(caller)),
        area: "staff",
        areas: AREAS,
        username: account.username,
        role: account.role.to_string(),
        disabled: account.disabled_at.map(when),
        sessions: sessions
            .into_iter()
            .map(|s| SessionRow {
                id: s.id,
                started: when(s.created_at),
                expires: s.expires_at.map_or_else(|| "never".to_owned(), when),
            })
            .collect(),
        notice: None,
        error: None,
    })
}

/// One staff account: its state, its live sessions, and what an admin may do to it.
#[utoipa::path(get, path = "/console/staff/{username}", tag = "console",
    params(("username" = String, Path)),
    responses((status = 200, description = "HTML", content_type = "text/html"),
        (status = 303, description = "To sign-in"), (status = 403, description = "Not an admin"),
        (status = 404, description = "No such account")))]
async fn account_page(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(username): Path<String>,
) -> Response {
    if let Some(refusal) = forbidden(&caller) {
        return refusal;
    }
    match account_view(&state, &caller, &username).await {
        Ok(page) => render(&page),
        Err(r) => r,
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
struct AccountForm {
    /// `disable`, `enable`, `end-sessions` or `reset-password` (with `password`).
    #[schema(pattern = "^(disable|enable|end-sessions|reset-password)$")]
    action: String,
    password: Option<String>,
}

/// Disables or enables the account, ends its sessions, or sets its password (which ends them
/// too).
#[utoipa::path(post, path = "/console/staff/{username}", tag = "console",
    params(("username" = String, Path)),
    request_body(content = AccountForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "HTML with what was done", content_type = "text/html"),
        (status = 400, description = "HTML with the error", content_type = "text/html"),
        (status = 403, description = "Not an admin"), (status = 404, description = "No such account")))]
async fn account_submit(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(username): Path<String>,
    form: Result<Form<AccountForm>, FormRejection>,
) -> Response {
    if let Some(refusal) = forbidden(&caller) {
        return refusal;
    }
    // The account must exist before anything is done to it.
    if let Err(r) = account_view(&state, &caller, &username).await {
        return r;
    }
    let store = state.store();
    let now = arbiter_app::now();
    let principal = Principal::user(&username);
    let outcome: Result<String, String> = match form.map(|f| f.0) {
        Ok(AccountForm { action, password }) => match action.as_str() {
            "disable" => store
                .set_staff_disabled(&username, true, now)
                .await
                .map(|_| format!("{username} is disabled; their sessions ended."))
                .map_err(|e| e.to_string()),
            "enable" => store
                .set_staff_disabled(&username, false, now)
                .await
                .map(|_| format!("{username} is enabled and may sign in again."))
                .map_err(|e| e.to_string()),
            "end-sessions" => store
                .end_sessions(principal.key(), now)
                .await
                .map(|n| format!("Ended {n} session(s) of {username}."))
                .map_err(|e| e.to_string()),
            "reset-password" => {
                let password = password.unwrap_or_default();
                match check_new_account(&username, &password) {
                    Err(e) => Err(e),
                    Ok(()) => match hash_password_async(password).await {
                        Err(e) => Err(e),
                        Ok(hash) => store
                            .set_staff_password(&username, &hash, now)
                            .await
                            .map(|_| {
                                format!("{username} has a new password; their sessions ended.")
                            })
                            .map_err(|e| e.to_string()),
                    },
                }
            }
            other => Err(format!("unknown action {other:?}")),
        },
        Err(_) => Err("the form was not complete".to_owned()),
    };
    if outcome.is_ok() {
        state.tokens().forget_principal(&principal);
        tracing::info!(by = %caller.principal.key(), user = %username, "staff account changed in the console");
    }
    let mut page = match account_view(&state, &caller, &username).await {
        Ok(page) => page,
        Err(r) => return r,
    };
    match outcome {
        Ok(notice) => {
            page.notice = Some(notice);
            render(&page)
        }
        Err(error) => {
            page.error = Some(error);
            (StatusCode::BAD_REQUEST, render(&page)).into_response()
        }
    }
}
