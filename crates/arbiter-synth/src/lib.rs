//! A deterministic synthetic marketplace: a seeded history of Clients and Taskers in six
//! markets, their tasks, messages, payments, reviews, reports, chargebacks and claims, with the
//! abuse patterns a Trust & Safety team hunts for mixed in at realistic rates.
//!
//! ```
//! use arbiter_synth::{Config, Marketplace};
//! let start = time::macros::date!(2026 - 08 - 01);
//! let lines: Vec<String> = Marketplace::new(Config::new(7, 1_000, start)).collect();
//! assert_eq!(lines.len(), 1_000); // JSON Lines, oldest first, ids evt_00000001…
//! ```
//!
//! Architecture invariant: pure. No I/O, no clock, no global randomness: the same [`Config`]
//! gives the same bytes. Memory is bounded by a few days of activity, whatever the size: the
//! history is generated day by day, and events scheduled later (reviews, claims, chargebacks)
//! wait in a heap until their day comes.

mod text;

/// Every chat message the generator writes, as (off-platform solicitations, everyday messages),
/// over all locales: what rules on messages are measured against.
pub fn message_samples() -> (Vec<&'static str>, Vec<&'static str>) {
    let mut off = Vec::new();
    let mut everyday = Vec::new();
    for locale in [Locale::En, Locale::Fr, Locale::De, Locale::Es] {
        off.extend_from_slice(text::off_platform_messages(locale));
        everyday.extend_from_slice(text::everyday_messages(locale));
    }
    (off, everyday)
}

use fastrand::Rng;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use text::Locale;

/// How long a history should look, whatever its size: a larger history is a busier one.
const HISTORY_DAYS: u64 = 90;
/// Average events a task produces (posted, booked, messages, outcome, payment, review, …).
/// Events a task leads to on average, sign-ups included (measured: 7.35 on a million events),
/// rounded down so that a history ends a little before `start` + `HISTORY_DAYS`.
const EVENTS_PER_TASK: u64 = 7;
const DAY: i64 = 86_400;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    pub seed: u64,
    /// Number of events to produce in total (the iterator yields exactly this many).
    pub events: u64,
    /// First day of the history (UTC midnight).
    pub start: time::Date,
    /// Seconds added to every time of the history: the same events, moved (see
    /// [`Config::ending_at`]).
    pub shift_seconds: i64,
}

impl Config {
    pub fn new(seed: u64, events: u64, start: time::Date) -> Config {
        Config {
            seed,
            events,
            start,
            shift_seconds: 0,
        }
    }

    /// The history of `events` events for `seed` moved so that its last event happens at `end`
    /// (a demo's history ends at the moment it is made): the same events as starting 90 days
    /// before `end`, every time shifted by the same amount. Finding the end generates the
    /// history once without keeping it.
    pub fn ending_at(seed: u64, events: u64, end: time::OffsetDateTime) -> Config {
        let start = (end - time::Duration::days(HISTORY_DAYS as i64)).date();
        let mut dry = Marketplace::new(Config::new(seed, events, start));
        for _ in dry.by_ref() {}
        Config {
            shift_seconds: match dry.last_at {
                Some(last) => end.unix_timestamp() - last,
                None => 0,
            },
            ..Config::new(seed, events, start)
        }
    }
}

struct MarketSpec {
    code: &'static str,
    currency: &'static str,
    /// Share of the marketplace's tasks, in percent.
    weight: u32,
    /// Prices relative to USD, in percent.
    price_percent: i64,
    phone_country: &'static str,
    locales: &'static [Locale],
}

#[rustfmt::skip]
const MARKETS: &[MarketSpec] = &[
    MarketSpec { code: "US", currency: "USD", weight: 36, price_percent: 100, phone_country: "+1", locales: &[Locale::En] },
    MarketSpec { code: "CA", currency: "CAD", weight: 9, price_percent: 135, phone_country: "+1", locales: &[Locale::En, Locale::En, Locale::Fr] },
    MarketSpec { code: "GB", currency: "GBP", weight: 18, price_percent: 80, phone_country: "+44", locales: &[Locale::En] },
    MarketSpec { code: "FR", currency: "EUR", weight: 15, price_percent: 92, phone_country: "+33", locales: &[Locale::Fr] },
    MarketSpec { code: "DE", currency: "EUR", weight: 12, price_percent: 95, phone_country: "+49", locales: &[Locale::De] },
    MarketSpec { code: "ES", currency: "EUR", weight: 10, price_percent: 80, phone_country: "+34", locales: &[Locale::Es] },
];

/// Task categories with their usual price range in USD cents.
const CATEGORIES: &[(&str, i64, i64)] = &[
    ("cleaning", 6_000, 22_000),
    ("moving", 15_000, 90_000),
    ("furniture_assembly", 5_000, 25_000),
    ("handyman", 6_000, 30_000),
    ("plumbing", 9_000, 45_000),
    ("electrical", 9_000, 50_000),
    ("mounting", 5_000, 18_000),
    ("yard_work", 6_000, 30_000),
    ("painting", 15_000, 120_000),
    ("delivery", 3_000, 12_000),
];

const EMAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "gmail.com",
    "gmail.com",
    "outlook.com",
    "yahoo.com",
    "icloud.com",
    "hotmail.com",
    "proton.me",
    "orange.fr",
    "web.de",
    "gmx.de",
    "telefonica.es",
];
const DISPOSABLE_DOMAINS: &[&str] = &[
    "mailinator.com",
    "guerrillamail.com",
    "yopmail.com",
    "tempmail.dev",
];

/// What kind of user someone is; most are ordinary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Persona {
    Ordinary,
    /// A Client who files claims on many tasks.
    SerialClaimant,
    /// A Client who disputes card payments after the work is done.
    ChargebackFraud,
    /// A Tasker who asks to be paid or contacted outside the platform.
    OffPlatform,
    /// A Tasker who often fails to show up or cancels late.
    Unreliable,
    /// One of several accounts run from a shared device, reviewing each other.
    Ring,
}

struct User {
    id: String,
    locale: Locale,
    persona: Persona,
    device: u32,
    signed_up: i64,
}

/// An event waiting for its time. `rest` is its JSON without the leading `{"id":…,`, which is
/// given at emission so that ids follow the order of the log.
struct Pending {
    at: i64,
    order: u64,
    rest: String,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.order) == (other.at, other.order)
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.order).cmp(&(other.at, other.order))
    }
}

/// The generator: an iterator of JSON lines, oldest first.
pub struct Marketplace {
    config: Config,
    rng: Rng,
    start: i64,
    day: i64,
    tasks_per_day: u64,
    clients: Vec<Vec<User>>,
    taskers: Vec<Vec<User>>,
    next_user: u64,
    next_task: u64,
    next_device: u32,
    ring_devices: Vec<u32>,
    scheduled: BinaryHeap<Reverse<Pending>>,
    order: u64,
    ready: VecDeque<Pending>,
    emitted: u64,
    /// When the last event yielded happened (Unix seconds).
    last_at: Option<i64>,
}

fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned())
}

fn party(user: &User, role: &str) -> String {
    format!(r#"{{"id":"{}","role":"{role}"}}"#, user.id)
}

fn money(minor: i64, market: usize) -> String {
    format!(
        r#"{{"minor":{minor},"currency":"{}"}}"#,
        MARKETS[market].currency
    )
}

impl Marketplace {
    pub fn new(config: Config) -> Marketplace {
        let tasks_per_day = (config.events / (HISTORY_DAYS * EVENTS_PER_TASK)).max(2);
        let start = config.start.midnight().assume_utc().unix_timestamp() + config.shift_seconds;
        Marketplace {
            config,
            rng: Rng::with_seed(config.seed),
            start,
            day: 0,
            tasks_per_day,
            clients: MARKETS.iter().map(|_| Vec::new()).collect(),
            taskers: MARKETS.iter().map(|_| Vec::new()).collect(),
            next_user: 0,
            next_task: 0,
            next_device: 0,
            ring_devices: Vec::new(),
            scheduled: BinaryHeap::new(),
            order: 0,
            ready: VecDeque::new(),
            emitted: 0,
            last_at: None,
        }
    }

    fn schedule(&mut self, at: i64, rest: String) {
        self.order += 1;
        self.scheduled.push(Reverse(Pending {
            at,
            order: self.order,
            rest,
        }));
    }

    /// Schedules an event; `fields` are the JSON members after `occurred_at`.
    fn event(&mut self, at: i64, kind: &str, market: usize, fields: String) {
        let rest = format!(
            r#""type":"{kind}","occurred_at":"{}","market":"{}",{fields}}}"#,
            rfc3339(at),
            MARKETS[market].code
        );
        self.schedule(at, rest);
    }

    fn pick_market(&mut self) -> usize {
        let total: u32 = MARKETS.iter().map(|m| m.weight).sum();
        let mut roll = self.rng.u32(0..total);
        for (i, m) in MARKETS.iter().enumerate() {
            if roll < m.weight {
                return i;
            }
            roll -= m.weight;
        }
        0
    }

    /// A daytime moment of day `day`: most tasks are booked between 7:00 and 21:00.
    fn daytime(&mut self, day: i64) -> i64 {
        let hour = if self.rng.u8(0..10) < 9 {
            self.rng.i64(7..21)
        } else {
            self.rng.i64(0..24)
        };
        self.start + day * DAY + hour * 3_600 + self.rng.i64(0..3_600)
    }

    fn sign_up(&mut self, market: usize, tasker: bool, at: i64) {
        self.next_user += 1;
        let roll = self.rng.u8(0..100);
        let persona = match (tasker, roll) {
            (false, 0..=1) => Persona::SerialClaimant,
            (false, 2..=3) => Persona::ChargebackFraud,
            (true, 0..=3) => Persona::OffPlatform,
            (true, 4..=6) => Persona::Unreliable,
            (_, 7..=8) => Persona::Ring,
            _ => Persona::Ordinary,
        };
        let device = if persona == Persona::Ring && !self.ring_devices.is_empty() && self.rng.bool()
        {
            self.ring_devices[self.rng.usize(0..self.ring_devices.len())]
        } else {
            self.next_device += 1;
            if persona == Persona::Ring {
                self.ring_devices.push(self.next_device);
            }
            self.next_device
        };
        let spec = &MARKETS[market];
        let locale = spec.locales[self.rng.usize(0..spec.locales.len())];
        let prefix = if tasker { 'k' } else { 'c' };
        let user = User {
            id: format!("{prefix}_{}_{:06}", spec.code, self.next_user),
            locale,
            persona,
            device,
            signed_up: at,
        };
        let suspicious = persona != Persona::Ordinary;
        let domain = if self.rng.u8(0..100) < if suspicious { 35 } else { 2 } {
            DISPOSABLE_DOMAINS[self.rng.usize(0..DISPOSABLE_DOMAINS.len())]
        } else {
            EMAIL_DOMAINS[self.rng.usize(0..EMAIL_DOMAINS.len())]
        };
        let role = if tasker { "tasker" } else { "client" };
        // Addresses from the documentation ranges: realistic, and nobody's.
        let ip = format!(
            "{}.{}",
            ["192.0.2", "198.51.100", "203.0.113"][self.rng.usize(0..3)],
            self.rng.u8(1..255)
        );
        let fields = format!(
            r#""actor":{},"data":{{"email_domain":"{domain}","phone_country":"{}","device_id":"dev_{:06x}","ip":"{ip}"}}"#,
            party(&user, role),
            spec.phone_country,
            device
        );
        self.event(at, "user.signed_up", market, fields);
        if tasker {
            let checked = at + self.rng.i64(3_600..2 * DAY);
            let fields = format!(
                r#""actor":{},"data":{{"method":"id_document"}}"#,
                party(&user, role)
            );
            self.event(checked, "user.verified", market, fields);
            if self.rng.u8(0..100) < 80 {
                let at = checked + self.rng.i64(DAY..4 * DAY);
                let fields = format!(
                    r#""actor":{},"data":{{"method":"background_check"}}"#,
                    party(&user, role)
                );
                self.event(at, "user.verified", market, fields);
            }
        } else if self.rng.u8(0..100) < 30 {
            let at = at + self.rng.i64(60..3_600);
            let fields = format!(
                r#""actor":{},"data":{{"method":"phone"}}"#,
                party(&user, role)
            );
            self.event(at, "user.verified", market, fields);
        }
        if tasker {
            self.taskers[market].push(user);
        } else {
            self.clients[market].push(user);
        }
    }

    /// Generates one day: new sign-ups, then the day's tasks and everything they lead to.
    fn generate_day(&mut self) {
        let day = self.day;
        let day_start = self.start + day * DAY;
        let tasks = self.tasks_per_day;
        // The launch day brings the first population; afterwards a steady trickle.
        let (new_clients, new_taskers) = if day == 0 {
            (tasks * 3 + 12, tasks + 6)
        } else {
            (
                tasks / 12 + u64::from(self.rng.u8(0..3) == 0),
                tasks / 40 + u64::from(self.rng.u8(0..4) == 0),
            )
        };
        // Only users who joined before today take part today, so every actor signed up first.
        let known_clients: Vec<usize> = self.clients.iter().map(Vec::len).collect();
        let known_taskers: Vec<usize> = self.taskers.iter().map(Vec::len).collect();
        for i in 0..new_clients + new_taskers {
            let market = if day == 0 {
                (i as usize) % MARKETS.len()
            } else {
                self.pick_market()
            };
            let at = day_start + self.rng.i64(0..DAY);
            self.sign_up(market, i >= new_clients, at);
        }
        if day > 0 {
            for _ in 0..tasks {
                let market = self.pick_market();
                if known_clients[market] == 0 || known_taskers[market] == 0 {
                    continue;
                }
                let client = self.rng.usize(0..known_clients[market]);
                let tasker = self.rng.usize(0..known_taskers[market]);
                let at = self.daytime(day);
                self.task(market, client, tasker, at);
            }
        }
        let day_end = day_start + DAY;
        while let Some(Reverse(next)) = self.scheduled.peek() {
            if next.at >= day_end {
                break;
            }
            if let Some(Reverse(next)) = self.scheduled.pop() {
                self.ready.push_back(next);
            }
        }
        self.day += 1;
    }

    fn task(&mut self, market: usize, client_index: usize, tasker_index: usize, posted: i64) {
        self.next_task += 1;
        let task_id = format!("t_{:08}", self.next_task);
        let (category, low, high) = CATEGORIES[self.rng.usize(0..CATEGORIES.len())];
        let price = self.rng.i64(low..=high) * MARKETS[market].price_percent / 100 / 100 * 100;
        let client = &self.clients[market][client_index];
        let tasker = &self.taskers[market][tasker_index];
        let (c, k) = (party(client, "client"), party(tasker, "tasker"));
        let (client_persona, tasker_persona) = (client.persona, tasker.persona);
        let client_signed_up = client.signed_up;
        let (client_locale, tasker_locale) = (client.locale, tasker.locale);
        let same_device = client.device == tasker.device;
        let amount = money(price, market);

        self.event(posted, "task.posted", market, format!(
            r#""actor":{c},"task_id":"{task_id}","amount":{amount},"data":{{"category":"{category}"}}"#
        ));
        if self.rng.u8(0..100) < 7 {
            return; // Nobody booked it.
        }
        let booked = posted + self.rng.i64(600..4 * 3_600);
        let starts = booked + self.rng.i64(4 * 3_600..3 * DAY);
        self.event(booked, "task.booked", market, format!(
            r#""actor":{c},"subject":{k},"task_id":"{task_id}","amount":{amount},"data":{{"category":"{category}","starts_at":"{}"}}"#,
            rfc3339(starts)
        ));

        let messages = self.rng.u8(1..6);
        let solicits = tasker_persona == Persona::OffPlatform && self.rng.u8(0..100) < 60
            || self.rng.u16(0..1_000) < 5;
        let solicit_at = if solicits {
            Some(self.rng.u8(0..messages))
        } else {
            None
        };
        for n in 0..messages {
            let at = booked + (starts - booked) * i64::from(n + 1) / i64::from(messages + 2);
            let from_tasker = n % 2 == 0;
            let locale = if from_tasker {
                tasker_locale
            } else {
                client_locale
            };
            let text = if solicit_at == Some(n) {
                let pool = text::off_platform_messages(locale);
                pool[self.rng.usize(0..pool.len())]
            } else {
                let pool = text::everyday_messages(locale);
                pool[self.rng.usize(0..pool.len())]
            };
            let (from, to) = if from_tasker { (&k, &c) } else { (&c, &k) };
            self.event(at, "message.sent", market, format!(
                r#""actor":{from},"subject":{to},"task_id":"{task_id}","data":{{"text":{},"thread_id":"th_{task_id}"}}"#,
                quoted(text)
            ));
        }

        let outcome = self.rng.u16(0..1_000);
        let no_show_rate = if tasker_persona == Persona::Unreliable {
            220
        } else {
            15
        };
        let cancel_rate = if tasker_persona == Persona::Unreliable {
            200
        } else {
            90
        };
        if outcome < no_show_rate {
            self.event(
                starts + 3_600,
                "task.no_show",
                market,
                format!(r#""actor":{c},"subject":{k},"task_id":"{task_id}""#),
            );
            if self.rng.u8(0..100) < 30 {
                self.report(market, &c, &k, "no_show", client_locale, starts + 2 * 3_600);
            }
            return;
        }
        if outcome < no_show_rate + cancel_rate {
            let by_tasker = tasker_persona == Persona::Unreliable || self.rng.u8(0..100) < 30;
            let hours_before = if by_tasker && self.rng.bool() {
                self.rng.i64(0..3)
            } else {
                self.rng.i64(2..48)
            };
            let at = (starts - hours_before * 3_600).max(booked + 60);
            let (actor, by, reason) = if by_tasker {
                (
                    &k,
                    "tasker",
                    ["schedule_conflict", "illness", "too_far"][self.rng.usize(0..3)],
                )
            } else {
                (
                    &c,
                    "client",
                    ["plans_changed", "found_someone_else", "price"][self.rng.usize(0..3)],
                )
            };
            self.event(at, "task.cancelled", market, format!(
                r#""actor":{actor},"subject":{},"task_id":"{task_id}","data":{{"by":"{by}","hours_before_start":{},"reason":"{reason}"}}"#,
                if by_tasker { &c } else { &k },
                (starts - at) / 3_600
            ));
            return;
        }

        let done = starts + self.rng.i64(3_600..6 * 3_600);
        self.event(done, "task.completed", market, format!(
            r#""actor":{k},"subject":{c},"task_id":"{task_id}","amount":{amount},"data":{{"category":"{category}"}}"#
        ));
        self.event(done + 60, "payment.captured", market, format!(
            r#""actor":{{"id":"system","role":"system"}},"subject":{c},"task_id":"{task_id}","amount":{amount}"#
        ));

        let trouble = self.rng.u8(0..100) < 8;
        if same_device || self.rng.u8(0..100) < 55 {
            let rating = if same_device {
                5
            } else if trouble {
                self.rng.u8(1..4)
            } else {
                [3, 4, 4, 5, 5, 5, 5, 5][self.rng.usize(0..8)]
            };
            let at = done + self.rng.i64(1_800..3 * DAY);
            self.event(at, "review.posted", market, format!(
                r#""actor":{c},"subject":{k},"task_id":"{task_id}","data":{{"rating":{rating},"text":{}}}"#,
                quoted(text::review_text(client_locale, rating))
            ));
        }
        if self.rng.u8(0..100) < 25 {
            let rating = [4, 5, 5, 5][self.rng.usize(0..4)];
            let at = done + self.rng.i64(1_800..2 * DAY);
            self.event(at, "review.posted", market, format!(
                r#""actor":{k},"subject":{c},"task_id":"{task_id}","data":{{"rating":{rating}}}"#
            ));
        }
        if trouble && self.rng.u8(0..100) < 25 {
            let refund = money(price * i64::from(self.rng.u8(20..101)) / 100, market);
            let at = done + self.rng.i64(DAY..4 * DAY);
            self.event(at, "payment.refunded", market, format!(
                r#""actor":{{"id":"support","role":"staff"}},"subject":{c},"task_id":"{task_id}","amount":{refund},"data":{{"reason":"quality"}}"#
            ));
        }
        if solicits && self.rng.u8(0..100) < 15 {
            self.report(
                market,
                &c,
                &k,
                "off_platform_payment",
                client_locale,
                done + 3_600,
            );
        } else if self.rng.u16(0..1_000) < 4 {
            let category = if self.rng.bool() {
                "harassment"
            } else {
                "safety"
            };
            self.report(market, &c, &k, category, client_locale, done + 7_200);
        }

        let chargeback_rate = if client_persona == Persona::ChargebackFraud {
            300
        } else {
            3
        };
        if self.rng.u16(0..1_000) < chargeback_rate {
            let at = done + self.rng.i64(5 * DAY..25 * DAY);
            let code = if client_persona == Persona::ChargebackFraud {
                "10.4"
            } else {
                ["13.1", "13.3", "10.4"][self.rng.usize(0..3)]
            };
            self.event(at, "payment.chargeback", market, format!(
                r#""actor":{{"id":"card_network","role":"system"}},"subject":{c},"task_id":"{task_id}","amount":{amount},"data":{{"reason_code":"{code}"}}"#
            ));
        }

        let new_account = done - client_signed_up < 7 * DAY;
        let claim_rate = match client_persona {
            Persona::SerialClaimant => 350,
            _ if new_account => 30,
            _ if trouble => 60,
            _ => 8,
        };
        if self.rng.u16(0..1_000) < claim_rate {
            self.claim(market, &c, &k, &task_id, price, done, client_locale);
        }
    }

    fn report(
        &mut self,
        market: usize,
        from: &str,
        about: &str,
        category: &str,
        locale: Locale,
        at: i64,
    ) {
        self.event(
            at,
            "report.filed",
            market,
            format!(
                r#""actor":{from},"subject":{about},"data":{{"category":"{category}","text":{}}}"#,
                quoted(text::report_text(locale, category))
            ),
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn claim(
        &mut self,
        market: usize,
        client: &str,
        tasker: &str,
        task_id: &str,
        price: i64,
        done: i64,
        locale: Locale,
    ) {
        let kind = match self.rng.u8(0..100) {
            0..=64 => "property_damage",
            65..=79 => "theft",
            80..=87 => "injury",
            _ => "other",
        };
        // Most claims come within days; some after the 14-day window; a few are very large.
        let filed = done
            + if self.rng.u8(0..100) < 88 {
                self.rng.i64(3_600..10 * DAY)
            } else {
                self.rng.i64(15 * DAY..21 * DAY)
            };
        let claimed = if self.rng.u8(0..100) < 5 {
            self.rng.i64(1_000_000..2_500_000)
        } else {
            (price * i64::from(self.rng.u8(50..255)) / 100).max(2_000)
        };
        let (actor, subject) = if kind == "injury" && self.rng.u8(0..100) < 40 {
            (tasker, client)
        } else {
            (client, tasker)
        };
        self.event(filed, "claim.filed", market, format!(
            r#""actor":{actor},"subject":{subject},"task_id":"{task_id}","amount":{},"data":{{"kind":"{kind}","incident_at":"{}","description":{}}}"#,
            money(claimed, market),
            rfc3339(done - 1_800),
            quoted(text::claim_description(locale, kind))
        ));
    }
}

impl Iterator for Marketplace {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        if self.emitted >= self.config.events {
            return None;
        }
        while self.ready.is_empty() {
            self.generate_day();
        }
        let next = self.ready.pop_front()?;
        self.emitted += 1;
        self.last_at = Some(next.at);
        Some(format!(r#"{{"id":"evt_{:08}",{}"#, self.emitted, next.rest))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = (self.config.events - self.emitted) as usize;
        (left, Some(left))
    }
}

#[cfg(test)]
mod tests;
