use super::*;
use arbiter_model::{Event, PartyRole};
use std::collections::{HashMap, HashSet};

fn history(seed: u64, events: u64) -> Vec<String> {
    Marketplace::new(Config::new(
        seed,
        events,
        time::macros::date!(2026 - 08 - 01),
    ))
    .collect()
}

#[test]
fn yields_exactly_the_events_asked_for() {
    for n in [0, 1, 17, 2_000] {
        assert_eq!(history(1, n).len() as u64, n);
    }
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    assert_eq!(history(7, 5_000), history(7, 5_000));
    assert_ne!(history(7, 5_000), history(8, 5_000));
}

#[test]
fn a_history_is_valid_ordered_and_realistic() {
    let lines = history(3, 50_000);
    let mut types: HashMap<String, u64> = HashMap::new();
    let mut markets = HashSet::new();
    let mut currencies = HashSet::new();
    let mut signed_up = HashSet::new();
    let mut last = None;
    let mut off_platform = HashSet::new();
    let mut late_claims = 0;
    for (n, line) in lines.iter().enumerate() {
        let event =
            Event::parse(line).unwrap_or_else(|e| panic!("line {}: {:?}\n{line}", n + 1, e.error));
        assert_eq!(event.id.as_str(), format!("evt_{:08}", n + 1));
        assert!(
            last.is_none_or(|t| t <= event.occurred_at),
            "out of order at line {}",
            n + 1
        );
        last = Some(event.occurred_at);
        *types.entry(event.event_type.to_string()).or_default() += 1;
        markets.insert(event.market.to_string());
        if let Some(amount) = event.amount {
            currencies.insert(amount.currency.to_string());
        }
        if event.event_type.as_str() == "user.signed_up" {
            signed_up.insert(event.actor.id.to_string());
        }
        for p in [Some(&event.actor), event.subject.as_ref()]
            .into_iter()
            .flatten()
        {
            if matches!(p.role, PartyRole::Client | PartyRole::Tasker) {
                assert!(
                    signed_up.contains(p.id.as_str()),
                    "{} acts before signing up",
                    p.id
                );
            }
        }
        if event.event_type.as_str() == "message.sent" {
            for marker in [
                "Venmo",
                "liquide",
                "WhatsApp",
                "Bizum",
                "five five five",
                "arroba",
            ] {
                if line.contains(marker) {
                    off_platform.insert(marker);
                }
            }
        }
        if event.event_type.as_str() == "claim.filed" {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            let incident = time::OffsetDateTime::parse(
                value["data"]["incident_at"].as_str().unwrap(),
                &time::format_description::well_known::Rfc3339,
            )
            .unwrap();
            if event.occurred_at - incident > time::Duration::days(14) {
                late_claims += 1;
            }
        }
    }
    assert_eq!(markets.len(), 6, "{markets:?}");
    assert!(currencies.len() >= 4, "{currencies:?}");
    for kind in [
        "user.signed_up",
        "user.verified",
        "task.posted",
        "task.booked",
        "task.completed",
        "task.cancelled",
        "task.no_show",
        "message.sent",
        "payment.captured",
        "payment.refunded",
        "payment.chargeback",
        "review.posted",
        "report.filed",
        "claim.filed",
    ] {
        assert!(
            types.get(kind).copied().unwrap_or(0) > 0,
            "no {kind}: {types:?}"
        );
    }
    let completed = types["task.completed"] as f64;
    let claims = types["claim.filed"] as f64;
    assert!(
        (0.005..0.06).contains(&(claims / completed)),
        "claims per completed task: {}",
        claims / completed
    );
    assert!(types["task.completed"] > types["task.cancelled"] * 4);
    assert!(off_platform.len() >= 3, "{off_platform:?}");
    assert!(late_claims > 0, "some claims come after the filing window");
}

#[test]
fn abuse_patterns_leave_traces() {
    let lines = history(5, 100_000);
    let mut devices: HashMap<String, HashSet<String>> = HashMap::new();
    let mut claims_by_actor: HashMap<String, u32> = HashMap::new();
    let mut disposable = 0;
    for line in &lines {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        match v["type"].as_str().unwrap() {
            "user.signed_up" => {
                let device = v["data"]["device_id"].as_str().unwrap().to_owned();
                devices
                    .entry(device)
                    .or_default()
                    .insert(v["actor"]["id"].as_str().unwrap().to_owned());
                if DISPOSABLE_DOMAINS.contains(&v["data"]["email_domain"].as_str().unwrap()) {
                    disposable += 1;
                }
            }
            "claim.filed" => {
                *claims_by_actor
                    .entry(v["actor"]["id"].as_str().unwrap().to_owned())
                    .or_default() += 1
            }
            _ => {}
        }
    }
    assert!(
        devices.values().any(|users| users.len() >= 3),
        "some devices carry several accounts"
    );
    assert!(
        claims_by_actor.values().any(|n| *n >= 3),
        "some clients claim again and again"
    );
    assert!(disposable > 0);
}

#[test]
fn a_history_can_end_at_a_chosen_moment_with_the_same_events() {
    let end = time::macros::datetime!(2026-12-01 18:30:15 UTC);
    let ended: Vec<String> = Marketplace::new(Config::ending_at(5, 3_000, end)).collect();
    let plain: Vec<String> = Marketplace::new(Config::new(
        5,
        3_000,
        (end - time::Duration::days(90)).date(),
    ))
    .collect();
    let at = |line: &String| Event::parse(line).unwrap().occurred_at;
    assert_eq!(at(ended.last().unwrap()), end);
    let shift = at(&ended[0]) - at(&plain[0]);
    for (moved, original) in ended.iter().zip(&plain) {
        assert_eq!(at(moved) - at(original), shift);
        let (moved, original) = (
            Event::parse(moved).unwrap(),
            Event::parse(original).unwrap(),
        );
        assert_eq!(
            (moved.id, moved.event_type, moved.actor.id),
            (original.id, original.event_type, original.actor.id)
        );
    }
}
