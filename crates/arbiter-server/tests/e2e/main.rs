//! Arbiter end to end: a real server on a random port, real requests, a real database, and for
//! the console a real headless Chromium.
//!
//! One module per capability, so that what proves an area works is found in one place:
//!
//! | module | what it covers |
//! |---|---|
//! | `events` | ingest over `POST /v1/events`, its limits, the log read back through `/v1/events` |
//! | `protect` | rulesets, lists, decisions and their listings, backtests |
//! | `resolve` | cases: intake, eligibility, the lifecycle, decisions, the ledger, messages |
//! | `policy` | the policy library, its reviews and change feed, the help center |
//! | `access` | API tokens and roles, sessions, staff accounts, sign-in and its limits |
//! | `webhooks` | subscriptions, signed deliveries, retries, effects as subscribers get them |
//! | `service` | `/healthz`, `/metrics`, `/openapi.json` and its contract, shutdown |
//! | `hardening` | hostile and careless clients: deep rule text, odd requests, full disks |
//! | `browser_safety` | cross-site forms, the headers on every answer, cookies, display safety |
//! | `console` | what holds for every console page: sessions, error pages |
//!
//! The console's journeys (an analyst publishing rules, a specialist working a claim) sit in
//! the module of the area they exercise, beside the API tests of that area, rather than in one
//! console file: someone changing an area then finds every test that can break in one module,
//! whichever face of the area it uses. Only what is true of the console as a whole is in
//! `console`. The browser tests need Debian's `chromium` and `chromium-driver`; where they are
//! missing a browser test says so and passes, unless `ARBITER_REQUIRE_BROWSER` is set (as
//! `.ci/run` sets it): then it fails.
//!
//! Tests that must hold on both databases are declared with `common::on_both_backends!` as
//! `sqlite::NAME` and `postgres::NAME`; the PostgreSQL ones run with
//! `ARBITER_TEST_DATABASE_URL=postgres://… cargo test -- --ignored`.
//!
//! The modules are one test binary rather than one per file: each binary links the whole
//! server, and on a small machine the links, not the tests, were most of the time. Run one
//! area with `cargo test -p arbiter-server --test e2e resolve::`.

mod common;

mod access;
mod browser_safety;
mod console;
mod events;
mod hardening;
mod policy;
mod protect;
mod resolve;
mod service;
mod webhooks;
