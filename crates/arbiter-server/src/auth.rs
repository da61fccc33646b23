//! How the HTTP shell learns who is calling: the bearer token of the API, the session
//! cookie of the console, and the connection's address.

use crate::AppState;
use crate::problem::Problem;
use arbiter_app::access::{Caller, SESSION_COOKIE};
use arbiter_store::TokenKind;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

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

/// The client's address, as the connection reports it (`unknown` where the server was not
/// started with connection info).
pub struct ClientAddress(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map_or_else(|| "unknown".to_owned(), |info| info.0.ip().to_string()),
        ))
    }
}

/// API callers authenticate with `Authorization: Bearer TOKEN`: an API token, never a
/// console session.
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
        let caller = state
            .tokens()
            .authenticate(state.store(), secret, arbiter_app::now())
            .await?
            .ok_or_else(|| Problem::unauthorized("the token is unknown, expired or revoked"))?;
        if caller.kind != TokenKind::Api {
            return Err(Problem::unauthorized(
                "a console session is not an API token: create one with `arbiter token create`",
            ));
        }
        Ok(caller)
    }
}
