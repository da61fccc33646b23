//! Effects (the actions of fired rules) and their delivery to webhook subscribers.

use crate::{Backend, Store, StoreError};
use arbiter_model::Micros;
use sqlx::Row;
use sqlx::any::AnyRow;

/// An effect to record with its decision.
#[derive(Debug, Clone)]
pub struct NewEffect {
    pub event_seq: i64,
    pub event_id: String,
    pub user_id: Option<String>,
    /// The action's type: `review`, `block`, …
    pub action: String,
    /// The action as JSON.
    pub detail: String,
    pub rules: Vec<String>,
    pub ruleset_version: i64,
    pub created_at: Micros,
}

/// A recorded effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectRecord {
    pub id: i64,
    pub event_seq: i64,
    pub event_id: String,
    pub user_id: Option<String>,
    pub action: String,
    pub detail: String,
    pub rules: Vec<String>,
    pub ruleset_version: i64,
    pub created_at: Micros,
}

/// Which effects to list.
#[derive(Debug, Clone, Default)]
pub struct EffectFilter {
    pub user: Option<String>,
    pub event: Option<String>,
    pub action: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRecord {
    pub id: String,
    pub url: String,
    pub secret: String,
    /// What it receives: [`TOPIC_EFFECTS`], [`TOPIC_POLICY_CHANGES`] or both.
    pub topics: Vec<String>,
    /// Effect actions delivered; empty for every action.
    pub actions: Vec<String>,
    pub description: String,
    pub created_by: String,
    pub created_at: Micros,
    pub disabled_at: Option<Micros>,
}

/// A delivery, with what is needed to send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    pub id: i64,
    pub webhook_id: String,
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: Micros,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: Micros,
    pub delivered_at: Option<Micros>,
    pub subject: DeliverySubject,
}

/// What a delivery carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliverySubject {
    Effect(EffectRecord),
    PolicyChange(crate::PolicyChange),
    /// A message to a case's party, for the marketplace to deliver.
    CaseMessage(crate::MessageRecord),
}

/// The topic of effects: the actions of fired rules.
pub const TOPIC_EFFECTS: &str = "effects";
/// The topic of the policy library's change feed: every version stored.
pub const TOPIC_POLICY_CHANGES: &str = "policy_changes";
/// The topic of messages to the parties of cases, which the marketplace delivers.
pub const TOPIC_CASE_MESSAGES: &str = "case_messages";
/// Every topic a webhook may subscribe to.
pub const TOPICS: &[&str] = &[TOPIC_EFFECTS, TOPIC_POLICY_CHANGES, TOPIC_CASE_MESSAGES];

/// A due delivery and where it goes.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub delivery: DeliveryRecord,
    pub url: String,
    pub secret: String,
}

const EFFECT_COLUMNS: &str = "e.id, e.event_seq, e.event_id, e.user_id, e.action, e.detail, e.rules, e.ruleset_version, e.created_at";
const DELIVERY_COLUMNS: &str = "d.id AS delivery_id, d.webhook_id, d.state, d.attempts, d.next_attempt_at, d.last_status, d.last_error, d.created_at AS delivery_created_at, d.delivered_at, d.effect_id, d.message_id";
/// The message a delivery carries.
const MESSAGE_COLUMNS: &str = "m.case_number AS m_case_number, m.direction AS m_direction, m.party AS m_party, \
    m.recipient AS m_recipient, m.locale AS m_locale, m.template AS m_template, m.body AS m_body, \
    m.sent_by AS m_sent_by, m.at AS m_at";
/// The policy version a delivery carries, with what the change feed shows of it.
const POLICY_CHANGE_COLUMNS: &str = "v.document_id AS pv_document_id, v.version AS pv_version, v.source AS pv_source, \
    v.status AS pv_status, v.author AS pv_author, v.reviewed_by AS pv_reviewed_by, v.author_principal AS pv_author_principal, \
    v.reviewer_principal AS pv_reviewer_principal, v.summary AS pv_summary, \
    v.created_at AS pv_created_at, before.status AS pv_previous_status, pd.title AS pv_title";
/// Joins a delivery (`d`) to its effect (`e`) or its policy version (`v`).
const DELIVERY_JOINS: &str = "LEFT JOIN effects e ON e.id = d.effect_id \
    LEFT JOIN policy_versions v ON v.document_id = d.policy_document AND v.version = d.policy_version \
    LEFT JOIN policy_versions before ON before.document_id = d.policy_document AND before.version = d.policy_version - 1 \
    LEFT JOIN policy_documents pd ON pd.id = d.policy_document \
    LEFT JOIN case_messages m ON m.id = d.message_id";

/// Adds to `script` the statements that store one effect and a pending webhook delivery for
/// each subscriber to its action. Deliveries find their effect by its key, and an effect
/// stored before (its batch decided again after a crash) gets none it already has.
pub(crate) fn insert_effect<'a>(
    backend: Backend,
    script: &mut crate::script::Script<'a>,
    effect: &'a NewEffect,
) {
    script.push(
        format!(
            "INSERT INTO effects (event_seq, event_id, user_id, action, detail, rules, ruleset_version, created_at) \
             VALUES ({}) ON CONFLICT (event_seq, detail) DO NOTHING",
            crate::placeholders(backend, 8)
        ),
        vec![
            effect.event_seq.into(),
            effect.event_id.as_str().into(),
            effect.user_id.as_deref().into(),
            effect.action.as_str().into(),
            effect.detail.as_str().into(),
            crate::framed(&effect.rules).into(),
            effect.ruleset_version.into(),
            effect.created_at.into(),
        ],
    );
    script.push(
        format!(
            "INSERT INTO webhook_deliveries (webhook_id, effect_id, state, attempts, next_attempt_at, created_at) \
             SELECT w.id, e.id, 'pending', 0, {}, {} FROM webhooks w JOIN effects e ON e.event_seq = {} AND e.detail = {} \
             WHERE w.disabled_at IS NULL AND w.topics LIKE '%,effects,%' AND (w.actions = '' OR w.actions LIKE {}) \
             AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.effect_id = e.id AND d.webhook_id = w.id)",
            p(backend, 1),
            p(backend, 2),
            p(backend, 3),
            p(backend, 4),
            p(backend, 5)
        ),
        vec![
            effect.created_at.into(),
            effect.created_at.into(),
            effect.event_seq.into(),
            effect.detail.as_str().into(),
            format!("%,{},%", effect.action).into(),
        ],
    );
}

impl Store {
    /// Effects newest first, before the effect `before` (the previous page's last id).
    /// At most [`crate::MAX_PAGE`] + 1: a page and the row that tells another follows.
    pub async fn list_effects(
        &self,
        filter: &EffectFilter,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<EffectRecord>, StoreError> {
        let mut clauses = Vec::new();
        let mut texts: Vec<String> = Vec::new();
        let mut n = 0;
        let mut next = || {
            n += 1;
            p(self.backend, n)
        };
        if let Some(user) = &filter.user {
            clauses.push(format!("e.user_id = {}", next()));
            texts.push(user.clone());
        }
        if let Some(event) = &filter.event {
            clauses.push(format!("e.event_id = {}", next()));
            texts.push(event.clone());
        }
        if let Some(action) = &filter.action {
            clauses.push(format!("e.action = {}", next()));
            texts.push(action.clone());
        }
        if before.is_some() {
            clauses.push(format!("e.id < {}", next()));
        }
        let filter_sql = if clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", clauses.join(" AND "))
        };
        let sql = format!(
            "SELECT {EFFECT_COLUMNS} FROM effects e{filter_sql} ORDER BY e.id DESC LIMIT {}",
            limit.clamp(1, crate::MAX_PAGE + 1)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for text in texts {
            query = query.bind(text);
        }
        if let Some(before) = before {
            query = query.bind(before);
        }
        let rows = query.fetch_all(&self.reader).await?;
        rows.iter().map(effect_record).collect()
    }

    pub async fn create_webhook(&self, webhook: &WebhookRecord) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO webhooks (id, url, secret, topics, actions, description, created_by, created_at) VALUES ({})",
            self.placeholders(8)
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(webhook.id.as_str())
            .bind(webhook.url.as_str())
            .bind(webhook.secret.as_str())
            .bind(crate::framed(&webhook.topics))
            .bind(if webhook.actions.is_empty() {
                String::new()
            } else {
                crate::framed(&webhook.actions)
            })
            .bind(webhook.description.as_str())
            .bind(webhook.created_by.as_str())
            .bind(webhook.created_at)
            .execute(self.writer().await?.conn())
            .await?;
        Ok(())
    }

    pub async fn webhooks(&self) -> Result<Vec<WebhookRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, url, secret, topics, actions, description, created_by, created_at, disabled_at FROM webhooks ORDER BY created_at",
        )
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(webhook_record).collect()
    }

    /// Stops deliveries to a webhook; pending ones are dropped as failed. False when unknown.
    pub async fn disable_webhook(&self, id: &str, at: Micros) -> Result<bool, StoreError> {
        let mut writer = self.writer().await?;
        let mut tx = sqlx::Connection::begin(writer.conn()).await?;
        let sql = format!(
            "UPDATE webhooks SET disabled_at = {} WHERE id = {} AND disabled_at IS NULL",
            p(self.backend, 1),
            p(self.backend, 2)
        );
        let changed = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(at)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let sql = format!(
            "UPDATE webhook_deliveries SET state = 'failed', last_error = 'the webhook was disabled' \
             WHERE webhook_id = {} AND state = 'pending'",
            p(self.backend, 1)
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(changed > 0)
    }

    /// Pending deliveries whose next attempt is due, oldest first.
    pub async fn due_deliveries(
        &self,
        now: Micros,
        limit: i64,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS}, {EFFECT_COLUMNS}, {POLICY_CHANGE_COLUMNS}, {MESSAGE_COLUMNS}, w.url, w.secret FROM webhook_deliveries d \
             {DELIVERY_JOINS} JOIN webhooks w ON w.id = d.webhook_id \
             WHERE d.state = 'pending' AND d.next_attempt_at <= {} ORDER BY d.next_attempt_at, d.id LIMIT {}",
            p(self.backend, 1),
            limit.clamp(1, 1_000)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now)
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(DueDelivery {
                    delivery: delivery_record(row)?,
                    url: row.try_get("url")?,
                    secret: row.try_get("secret")?,
                })
            })
            .collect()
    }

    /// Records one attempt and the delivery's new state.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_attempt(
        &self,
        delivery_id: i64,
        attempt: i64,
        at: Micros,
        status: Option<i64>,
        error: Option<&str>,
        duration_ms: i64,
        next: AttemptOutcome,
    ) -> Result<(), StoreError> {
        let mut writer = self.writer().await?;
        let mut tx = sqlx::Connection::begin(writer.conn()).await?;
        let sql = format!(
            "INSERT INTO webhook_attempts (delivery_id, attempt, at, status, error, duration_ms) VALUES ({}) \
             ON CONFLICT (delivery_id, attempt) DO NOTHING",
            self.placeholders(6)
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(delivery_id)
            .bind(attempt)
            .bind(at)
            .bind(status)
            .bind(error)
            .bind(duration_ms)
            .execute(&mut *tx)
            .await?;
        let (state, next_at, delivered_at) = match next {
            AttemptOutcome::Delivered => ("delivered", at, Some(at)),
            AttemptOutcome::RetryAt(when) => ("pending", when, None),
            AttemptOutcome::GaveUp => ("failed", at, None),
        };
        let sql = format!(
            "UPDATE webhook_deliveries SET state = {}, attempts = {}, next_attempt_at = {}, last_status = {}, \
             last_error = {}, delivered_at = {} WHERE id = {}",
            p(self.backend, 1),
            p(self.backend, 2),
            p(self.backend, 3),
            p(self.backend, 4),
            p(self.backend, 5),
            p(self.backend, 6),
            p(self.backend, 7)
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(state)
            .bind(attempt)
            .bind(next_at)
            .bind(status)
            .bind(error)
            .bind(delivered_at)
            .bind(delivery_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A webhook's deliveries, newest first.
    pub async fn deliveries(
        &self,
        webhook_id: &str,
        state: Option<&str>,
        limit: u32,
    ) -> Result<Vec<DeliveryRecord>, StoreError> {
        let state_clause = if state.is_some() {
            format!(" AND d.state = {}", p(self.backend, 2))
        } else {
            String::new()
        };
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS}, {EFFECT_COLUMNS}, {POLICY_CHANGE_COLUMNS}, {MESSAGE_COLUMNS} FROM webhook_deliveries d {DELIVERY_JOINS} \
             WHERE d.webhook_id = {}{state_clause} ORDER BY d.id DESC LIMIT {}",
            p(self.backend, 1),
            limit.clamp(1, 1_000)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(webhook_id);
        if let Some(state) = state {
            query = query.bind(state);
        }
        let rows = query.fetch_all(&self.reader).await?;
        rows.iter().map(delivery_record).collect()
    }
}

/// What became of a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    Delivered,
    RetryAt(Micros),
    GaveUp,
}

use crate::placeholder as p;

fn effect_record(row: &AnyRow) -> Result<EffectRecord, StoreError> {
    let rules: String = row.try_get("rules")?;
    Ok(EffectRecord {
        id: row.try_get("id")?,
        event_seq: row.try_get("event_seq")?,
        event_id: row.try_get("event_id")?,
        user_id: row.try_get("user_id")?,
        action: row.try_get("action")?,
        detail: row.try_get("detail")?,
        rules: crate::unframed(&rules),
        ruleset_version: row.try_get("ruleset_version")?,
        created_at: row.try_get("created_at")?,
    })
}

fn delivery_record(row: &AnyRow) -> Result<DeliveryRecord, StoreError> {
    Ok(DeliveryRecord {
        id: row.try_get("delivery_id")?,
        webhook_id: row.try_get("webhook_id")?,
        state: row.try_get("state")?,
        attempts: row.try_get("attempts")?,
        next_attempt_at: row.try_get("next_attempt_at")?,
        last_status: row.try_get("last_status")?,
        last_error: row.try_get("last_error")?,
        created_at: row.try_get("delivery_created_at")?,
        delivered_at: row.try_get("delivered_at")?,
        subject: match (
            row.try_get::<Option<i64>, _>("effect_id")?,
            row.try_get::<Option<i64>, _>("message_id")?,
        ) {
            (Some(_), _) => DeliverySubject::Effect(effect_record(row)?),
            (None, Some(id)) => DeliverySubject::CaseMessage(crate::MessageRecord {
                id,
                case_number: row.try_get("m_case_number")?,
                at: row.try_get("m_at")?,
                message: crate::NewMessage {
                    direction: row.try_get("m_direction")?,
                    party: row.try_get("m_party")?,
                    recipient: row.try_get("m_recipient")?,
                    locale: row.try_get("m_locale")?,
                    template: row.try_get("m_template")?,
                    body: row.try_get("m_body")?,
                    sent_by: row.try_get("m_sent_by")?,
                },
            }),
            (None, None) => DeliverySubject::PolicyChange(crate::PolicyChange {
                version: crate::PolicyVersionRecord {
                    document_id: row.try_get("pv_document_id")?,
                    version: row.try_get("pv_version")?,
                    source: row.try_get("pv_source")?,
                    status: row.try_get("pv_status")?,
                    author: row.try_get("pv_author")?,
                    reviewed_by: row.try_get("pv_reviewed_by")?,
                    author_principal: row.try_get("pv_author_principal")?,
                    reviewer_principal: row.try_get("pv_reviewer_principal")?,
                    summary: row.try_get("pv_summary")?,
                    created_at: row.try_get("pv_created_at")?,
                },
                previous_status: row.try_get("pv_previous_status")?,
                title: row.try_get("pv_title")?,
            }),
        },
    })
}

fn webhook_record(row: &AnyRow) -> Result<WebhookRecord, StoreError> {
    let actions: String = row.try_get("actions")?;
    let topics: String = row.try_get("topics")?;
    Ok(WebhookRecord {
        id: row.try_get("id")?,
        url: row.try_get("url")?,
        secret: row.try_get("secret")?,
        topics: crate::unframed(&topics),
        actions: crate::unframed(&actions),
        description: row.try_get("description")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        disabled_at: row.try_get("disabled_at")?,
    })
}

impl Store {
    /// The effects of kind `action` (`violation`, …) recorded against `user` on events up to
    /// `up_to_seq` of the log, newest first, at most `limit`, each with the Task its event
    /// names: what a replay of the log up to that event would have found, however far the
    /// decider has gone since.
    pub async fn effects_on_user_up_to(
        &self,
        user: &str,
        action: &str,
        up_to_seq: i64,
        limit: u32,
    ) -> Result<Vec<(EffectRecord, Option<String>)>, StoreError> {
        let sql = format!(
            "SELECT {EFFECT_COLUMNS}, ev.task_id AS event_task_id FROM effects e JOIN events ev ON ev.seq = e.event_seq \
             WHERE e.user_id = {} AND e.action = {} AND e.event_seq <= {} ORDER BY e.id DESC LIMIT {}",
            p(self.backend, 1),
            p(self.backend, 2),
            p(self.backend, 3),
            limit.clamp(1, 1_000)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user)
            .bind(action)
            .bind(up_to_seq)
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|row| Ok((effect_record(row)?, row.try_get("event_task_id")?)))
            .collect()
    }

    /// The effects of the events in `(after_seq, up_to_seq]`, in log order and, for each
    /// event, in the order they were recorded.
    pub async fn effects_of_events(
        &self,
        after_seq: i64,
        up_to_seq: i64,
    ) -> Result<Vec<EffectRecord>, StoreError> {
        let sql = format!(
            "SELECT {EFFECT_COLUMNS} FROM effects e WHERE e.event_seq > {} AND e.event_seq <= {} ORDER BY e.event_seq, e.id",
            p(self.backend, 1),
            p(self.backend, 2)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(after_seq)
            .bind(up_to_seq)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(effect_record).collect()
    }
}
