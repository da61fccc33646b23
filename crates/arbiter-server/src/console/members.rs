//! A member's page: one Client or Tasker as their events, bookings, cases, decisions, flagged
//! messages and the effects rules asked for show them. The standards capability adds their
//! standing and actions here.

use super::protect::{DecisionRow, EffectRow};
use super::{AREAS, Area, SignedIn, Staff, percent_encode, render, when};
use crate::AppState;
use arbiter_store::{CaseFilter, DecisionFilter, EffectFilter, EventFilter, StoredEvent};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::collections::BTreeSet;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(member_page))
}

/// Most of each kind of record read for the page.
const RECENT: u32 = 50;

struct BookingRow {
    at: String,
    task: String,
    task_href: String,
    /// The member's part: `booked` (as the Client) or `was booked` (as the Tasker).
    part: &'static str,
    other: String,
    other_href: String,
    price: String,
}

struct CaseRow {
    id: String,
    href: String,
    case_type: String,
    state: String,
    /// `claimant`, `client` or `tasker`.
    part: &'static str,
    opened: String,
}

struct MessageRow {
    at: String,
    event_href: String,
    text: String,
    rules: String,
    verdict: String,
}

#[derive(Template)]
#[template(path = "member.html")]
struct MemberPage {
    signed_in: Option<SignedIn>,
    area: &'static str,
    areas: &'static [Area],
    id: String,
    id_encoded: String,
    /// What the events say of the member: `(fact, value)`.
    facts: Vec<(&'static str, String)>,
    seen: bool,
    bookings: Vec<BookingRow>,
    cases: Vec<CaseRow>,
    messages: Vec<MessageRow>,
    decisions: Vec<DecisionRow>,
    effects: Vec<EffectRow>,
}

fn json(event: &StoredEvent) -> Value {
    serde_json::from_str(&event.body).unwrap_or_default()
}

fn text_at(value: &Value, path: &[&str]) -> Option<String> {
    let mut at = value;
    for key in path {
        at = at.get(key)?;
    }
    at.as_str().map(str::to_owned)
}

fn money(value: &Value) -> String {
    let (Some(minor), Some(currency)) = (
        value.pointer("/amount/minor").and_then(Value::as_i64),
        value.pointer("/amount/currency").and_then(Value::as_str),
    ) else {
        return String::new();
    };
    match arbiter_model::Currency::parse(currency) {
        Ok(c) => arbiter_model::Money::new(minor, c).to_string(),
        Err(_) => format!("{minor} {currency}"),
    }
}

/// One Client or Tasker: who they are as their events tell it, their bookings, the cases they
/// are a party to, the decisions on their events and their flagged messages.
#[utoipa::path(get, path = "/console/users/{id}", tag = "console",
    params(("id" = String, Path, description = "The member's id, as events name them")),
    responses((status = 200, description = "HTML", content_type = "text/html"), (status = 303, description = "To sign-in")))]
async fn member_page(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(id): Path<String>,
) -> Response {
    match member(&state, &id).await {
        Ok(mut page) => {
            page.signed_in = Some(SignedIn::from(&caller));
            render(&page)
        }
        Err(e) => crate::problem::Problem::from(e).into_response(),
    }
}

async fn member(state: &AppState, id: &str) -> Result<MemberPage, arbiter_store::StoreError> {
    let store = state.store();
    let events =
        |filter: EventFilter| async move { store.list_events(&filter, None, RECENT).await };
    let by = |kind: Option<&str>| EventFilter {
        actor: Some(id.to_owned()),
        event_type: kind.map(str::to_owned),
        ..Default::default()
    };
    let about = |kind: Option<&str>| EventFilter {
        subject: Some(id.to_owned()),
        event_type: kind.map(str::to_owned),
        ..Default::default()
    };
    let acted = events(by(None)).await?.events;
    let subject_of = events(about(None)).await?.events;
    let signed_up = events(EventFilter {
        actor: Some(id.to_owned()),
        event_type: Some("user.signed_up".into()),
        ..Default::default()
    })
    .await?
    .events;

    // Roles and markets as the events name them; first and last seen among those read.
    let mut roles = BTreeSet::new();
    let mut markets = BTreeSet::new();
    for event in acted.iter().chain(&subject_of) {
        let body = json(event);
        for side in ["actor", "subject"] {
            if text_at(&body, &[side, "id"]).as_deref() == Some(id)
                && let Some(role) = text_at(&body, &[side, "role"])
            {
                roles.insert(role);
            }
        }
        markets.insert(event.market.clone());
    }
    let latest = acted.iter().chain(&subject_of).map(|e| e.occurred_at).max();
    let mut facts = Vec::new();
    if !roles.is_empty() {
        facts.push(("Role", roles.into_iter().collect::<Vec<_>>().join(", ")));
    }
    if !markets.is_empty() {
        facts.push((
            "Markets",
            markets.into_iter().collect::<Vec<_>>().join(", "),
        ));
    }
    if let Some(signup) = signed_up.first() {
        let body = json(signup);
        facts.push(("Signed up", format!("{} UTC", when(signup.occurred_at))));
        for (label, key) in [
            ("Email domain", "email_domain"),
            ("Phone country", "phone_country"),
            ("Device at sign-up", "device_id"),
        ] {
            if let Some(value) = text_at(&body, &["data", key]) {
                facts.push((label, value));
            }
        }
    }
    if let Some(at) = latest {
        facts.push(("Last seen", format!("{} UTC", when(at))));
    }

    let mut bookings: Vec<BookingRow> = Vec::new();
    for (event, part) in events(by(Some("task.booked")))
        .await?
        .events
        .iter()
        .map(|e| (e, "booked"))
        .chain(
            events(about(Some("task.booked")))
                .await?
                .events
                .iter()
                .map(|e| (e, "was booked"))
                .collect::<Vec<_>>(),
        )
        .collect::<Vec<_>>()
    {
        let body = json(event);
        let other = if part == "booked" {
            event.subject_id.clone().unwrap_or_default()
        } else {
            event.actor_id.clone()
        };
        let task = event.task_id.clone().unwrap_or_default();
        bookings.push(BookingRow {
            at: when(event.occurred_at),
            task_href: format!("/console/events?task={}", percent_encode(&task)),
            task,
            part,
            other_href: format!("/console/users/{}", percent_encode(&other)),
            other,
            price: money(&body),
        });
    }
    bookings.sort_by(|a, b| b.at.cmp(&a.at));
    bookings.truncate(RECENT as usize);

    let cases = store
        .list_cases(
            &CaseFilter {
                party: Some(id.to_owned()),
                ..Default::default()
            },
            None,
            RECENT,
        )
        .await?
        .into_iter()
        .map(|c| CaseRow {
            id: arbiter_app::cases::case_id(c.number),
            href: format!("/console/resolve/cases/{}", c.number),
            part: if c.claimant_id.as_deref() == Some(id) {
                "claimant"
            } else if c.client_id.as_deref() == Some(id) {
                "client"
            } else {
                "tasker"
            },
            case_type: c.case_type,
            state: c.state,
            opened: when(c.opened_at),
        })
        .collect();

    let decisions = store
        .list_decisions(
            &DecisionFilter {
                user: Some(id.to_owned()),
                ..Default::default()
            },
            None,
            100,
        )
        .await?;
    let messages = decisions
        .iter()
        .filter(|d| d.event_type == "message.sent" && d.actor_id == id)
        .map(|d| {
            let body: Value = serde_json::from_str(&d.body).unwrap_or_default();
            MessageRow {
                at: when(d.occurred_at),
                event_href: format!("/console/events/{}", percent_encode(&d.event_id)),
                text: text_at(&body, &["data", "text"]).unwrap_or_default(),
                rules: d.fired.join(", "),
                verdict: d.verdict.clone(),
            }
        })
        .collect();
    let effects = store
        .list_effects(
            &EffectFilter {
                user: Some(id.to_owned()),
                ..Default::default()
            },
            None,
            100,
        )
        .await?;
    Ok(MemberPage {
        signed_in: None,
        area: "protect",
        areas: AREAS,
        id: id.to_owned(),
        id_encoded: percent_encode(id),
        seen: latest.is_some(),
        facts,
        bookings,
        cases,
        messages,
        decisions: decisions.iter().map(DecisionRow::from).collect(),
        effects: effects.iter().map(EffectRow::from).collect(),
    })
}
