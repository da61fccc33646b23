//! Arbiter's service layer, between the shells (HTTP API, console, CLI, demo) and the store:
//! every operation a person or a process asks of Arbiter, once, whichever shell asks.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let store = arbiter_store::Store::open("sqlite://arbiter.db").await?;
//! let app = arbiter_app::App::start(store, arbiter_app::Settings::default());
//! # let _ = app; Ok(()) }
//! ```
//!
//! [`App::start`] starts the background workers (the decider, case intake, the webhook
//! sender); each module holds one capability's operations, which take the store and what
//! they need of the [`App`], and do their I/O through the store. The rules of the business
//! live in the pure crates (`arbiter-rules`, `arbiter-resolve`, `arbiter-policy`).

pub mod access;
pub mod backtests;
pub mod cases;
pub mod cpu;
pub mod decider;
pub mod intake;
pub mod lists;
pub mod policies;
pub mod rulesets;
pub mod webhooks;

use arbiter_model::Micros;
use arbiter_store::Store;
use std::sync::Arc;

/// The clock every service reads: microseconds since the epoch, UTC.
pub fn now() -> Micros {
    arbiter_model::to_micros(time::OffsetDateTime::now_utc())
}

/// How the services are configured.
pub struct Settings {
    /// Webhook pacing and the internal networks webhooks may reach.
    pub webhooks: webhooks::WebhookSettings,
    /// The resolution center: markets, queues, SLAs, automation, playbooks.
    pub resolution: arbiter_resolve::Config,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            webhooks: webhooks::WebhookSettings::default(),
            resolution: arbiter_resolve::Config::default_config(),
        }
    }
}

/// The running services over one store. Cheap to clone; the workers stop when the last clone
/// is dropped.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    decider: decider::Decider,
    webhook_sender: tokio::task::JoinHandle<()>,
    case_intake: tokio::task::JoinHandle<()>,
    policy_search: policies::SearchCache,
    help: policies::HelpCache,
    resolution: Arc<arbiter_resolve::Config>,
    tokens: access::TokenCache,
    webhook_allow: webhooks::AllowList,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.webhook_sender.abort();
        self.case_intake.abort();
    }
}

impl App {
    /// Starts the background workers on `store`: the decider, the webhook sender and case
    /// intake. Must be called inside a Tokio runtime.
    pub fn start(store: Store, settings: Settings) -> App {
        let effects_recorded = Arc::new(tokio::sync::Notify::new());
        let resolution = Arc::new(settings.resolution);
        let webhook_allow = settings.webhooks.allow.clone();
        let decider = decider::Decider::start(store.clone(), effects_recorded.clone());
        App {
            inner: Arc::new(Inner {
                webhook_sender: webhooks::start(store.clone(), settings.webhooks, effects_recorded),
                case_intake: intake::start_intake(
                    store.clone(),
                    resolution.clone(),
                    decider.follow(),
                ),
                decider,
                policy_search: policies::SearchCache::default(),
                help: policies::HelpCache::default(),
                resolution,
                tokens: access::TokenCache::default(),
                webhook_allow,
                store,
            }),
        }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The decider following the log.
    pub fn decider(&self) -> &decider::Decider {
        &self.inner.decider
    }

    /// Recently checked API tokens and sessions.
    pub fn tokens(&self) -> &access::TokenCache {
        &self.inner.tokens
    }

    /// The internal networks webhooks may be sent to.
    pub fn webhook_allow(&self) -> &webhooks::AllowList {
        &self.inner.webhook_allow
    }

    /// The resolution center's configuration: markets, queues, SLAs, automation, playbooks.
    pub fn resolution(&self) -> &arbiter_resolve::Config {
        &self.inner.resolution
    }

    /// The search index of the policy library's newest versions.
    pub fn policy_search(&self) -> &policies::SearchCache {
        &self.inner.policy_search
    }

    /// The help center's published public documents, parsed.
    pub fn help_documents(&self) -> &policies::HelpCache {
        &self.inner.help
    }
}
