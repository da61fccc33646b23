//! The public help center: published documents written for the public, readable without
//! signing in, by market and locale. Nothing else of the library is ever served here: a
//! draft, a retired or an internal document answers exactly as one that does not exist.

use crate::AppState;
use crate::console::render;
use crate::security::filters;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(help_index))
        .routes(routes!(help_page))
}

/// An article as the index lists it.
struct Article {
    id: String,
    title: String,
    locale: String,
    markets: String,
}

#[derive(Template)]
#[template(path = "help_index.html")]
struct HelpIndex {
    articles: Vec<Article>,
    locales: Vec<String>,
    locale: String,
    market: String,
}

#[derive(Template)]
#[template(path = "help_page.html")]
struct HelpPage {
    id: String,
    title: String,
    locale: String,
    markets: String,
    effective: String,
    /// Rendered by `arbiter_policy::render_html`: raw HTML and unsafe links removed.
    body: String,
}

#[derive(Template)]
#[template(path = "help_missing.html")]
struct HelpMissing {
    id: String,
}

#[derive(Deserialize)]
struct HelpQuery {
    locale: Option<String>,
    market: Option<String>,
}

fn markets(document: &arbiter_policy::Document) -> String {
    if document.markets.is_empty() {
        "every market".into()
    } else {
        document.markets.join(", ")
    }
}

/// The help center's index: published public articles, by locale and market.
#[utoipa::path(get, path = "/help", tag = "help",
    params(("locale" = Option<String>, Query), ("market" = Option<String>, Query)),
    responses((status = 200, description = "HTML", content_type = "text/html")))]
async fn help_index(
    State(state): State<AppState>,
    Query(query): Query<HelpQuery>,
) -> Result<Response, crate::problem::Problem> {
    let documents = state.help_documents().documents(state.store()).await?;
    let mut locales: Vec<String> = documents.iter().map(|d| d.locale.clone()).collect();
    locales.sort();
    locales.dedup();
    let locale = query.locale.unwrap_or_default();
    let market = query.market.unwrap_or_default().to_ascii_uppercase();
    let articles = documents
        .iter()
        .filter(|d| locale.is_empty() || d.locale == locale)
        .filter(|d| market.is_empty() || d.markets.is_empty() || d.markets.contains(&market))
        .map(|d| Article {
            id: d.id.clone(),
            title: d.title.clone(),
            locale: d.locale.clone(),
            markets: markets(d),
        })
        .collect();
    Ok(render(&HelpIndex {
        articles,
        locales,
        locale,
        market,
    }))
}

/// One published public article.
#[utoipa::path(get, path = "/help/{id}", tag = "help",
    params(("id" = String, Path, description = "Document id, e.g. POL-GUARANTEE")),
    responses((status = 200, description = "HTML", content_type = "text/html"),
        (status = 404, description = "No published public article with this id")))]
async fn help_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, crate::problem::Problem> {
    let documents = state.help_documents().documents(state.store()).await?;
    let Some(document) = documents.iter().find(|d| d.id == id) else {
        let mut page = render(&HelpMissing { id });
        *page.status_mut() = StatusCode::NOT_FOUND;
        return Ok(page);
    };
    Ok(render(&HelpPage {
        title: document.title.clone(),
        locale: document.locale.clone(),
        markets: markets(document),
        effective: document
            .effective
            .map(|d| d.to_string())
            .unwrap_or_default(),
        body: arbiter_policy::render_html(&document.body),
        id: document.id.clone(),
    })
    .into_response())
}
