//! The `arbiter` binary as an operator runs it: real processes, real files, real databases.
//!
//! One module per area of the command line, so that the tests of a command are found where
//! its name says:
//!
//! | module | commands |
//! |---|---|
//! | `ingest` | `ingest`, `generate`, `demo` |
//! | `rules` | `rules` (check, test, publish, rollback, the starter pack), `lists` |
//! | `policy` | `policy` (import, export, diff, search, bulletin, packet) |
//! | `access` | `token`, `user` |
//! | `serve` | `serve`, configuration, `resolution`, and the help of every command |
//! | `architecture` | no crate's modules import each other in a circle |
//!
//! `backtest` and `openapi` have only their help tested here; the backtests and the OpenAPI
//! document they print are tested in the server's suites. Tests that must hold on both databases are declared with
//! `common::on_both_backends!` as `sqlite::NAME` and `postgres::NAME`; the PostgreSQL ones run
//! with `ARBITER_TEST_DATABASE_URL=postgres://… cargo test -- --ignored`. The modules are one
//! test binary so that it is linked once.

mod architecture;
mod common;

mod access;
mod ingest;
mod policy;
mod rules;
mod serve;
