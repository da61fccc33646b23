//! Webhook delivery: the outbox sender. Effects are written with one pending delivery per
//! subscriber in the decider's transaction, and policy versions with one per subscriber to the
//! change feed in the library's transaction, and messages to a case's parties with the case's
//! change; this task sends them, signed, and retries with
//! exponential backoff. A subscriber that is slow, down or answering 500 delays only its own
//! deliveries: nothing upstream waits for it, and nothing is dropped before the last attempt.
//!
//! Each request carries `Arbiter-Signature: t=UNIX_SECONDS,v1=HEX` where `HEX` is
//! HMAC-SHA256 of `"{t}.{body}"` with the webhook's secret (see [`sign`] and [`verify`]), and
//! `Arbiter-Delivery: ID`, the same for every attempt of a delivery, for idempotent receivers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use arbiter_model::Micros;
use arbiter_store::{AttemptOutcome, DeliverySubject, DueDelivery, Store, StoreError};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tokio::sync::Notify;

/// How deliveries are paced.
#[derive(Debug, Clone, Copy)]
pub struct WebhookSettings {
    /// How long one request may take.
    pub timeout: Duration,
    /// The wait before the first retry; each later wait is four times the one before.
    pub first_retry: Duration,
    /// The longest wait between attempts.
    pub max_retry: Duration,
    /// Attempts before a delivery is given up as failed.
    pub max_attempts: i64,
}

impl Default for WebhookSettings {
    /// 30 s, 2 min, 8 min, 32 min, 2 h 8 min, then every 6 h: eight attempts over about 17 h.
    fn default() -> WebhookSettings {
        WebhookSettings {
            timeout: Duration::from_secs(10),
            first_retry: Duration::from_secs(30),
            max_retry: Duration::from_secs(6 * 3_600),
            max_attempts: 8,
        }
    }
}

impl WebhookSettings {
    /// The wait after failed attempt number `attempt` (1-based).
    pub fn backoff(&self, attempt: i64) -> Duration {
        let factor = 4u32.saturating_pow(attempt.clamp(1, 16) as u32 - 1);
        self.first_retry.saturating_mul(factor).min(self.max_retry)
    }
}

type HmacSha256 = Hmac<Sha256>;

/// The `Arbiter-Signature` header value for `body` sent at `timestamp` (Unix seconds).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={timestamp},v1={digest}")
}

/// Checks a signature header as a receiver should: the MAC matches (compared in constant
/// time) and the timestamp is within `tolerance` seconds of `now`, which stops replays.
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64, tolerance: i64) -> bool {
    let mut timestamp = None;
    let mut signature = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", s)) => signature = Some(s),
            _ => {}
        }
    }
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
        return false;
    };
    if (now - timestamp).abs() > tolerance || signature.len() != 64 {
        return false;
    }
    let Ok(expected) = (0..32)
        .map(|i| u8::from_str_radix(&signature[2 * i..2 * i + 2], 16))
        .collect::<Result<Vec<u8>, _>>()
    else {
        return false;
    };
    let mut mac =
        HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// The JSON a subscriber receives: an effect, or a version in the policy change feed.
pub fn payload(delivery: &arbiter_store::DeliveryRecord) -> serde_json::Value {
    match &delivery.subject {
        DeliverySubject::Effect(effect) => serde_json::json!({
            "id": format!("eff_{}", effect.id),
            "type": "effect",
            "created_at": crate::api::format_time(effect.created_at),
            "action": serde_json::from_str::<serde_json::Value>(&effect.detail).unwrap_or_default(),
            "rules": effect.rules,
            "ruleset_version": effect.ruleset_version,
            "event_id": effect.event_id,
            "user_id": effect.user_id,
        }),
        DeliverySubject::CaseMessage(message) => serde_json::json!({
            "id": format!("msg_{}", message.id),
            "type": "case_message",
            "created_at": crate::api::format_time(message.at),
            "case_id": format!("case_{}", message.case_number),
            "party": message.message.party,
            "recipient": message.message.recipient,
            "locale": message.message.locale,
            "template": message.message.template,
            "body": message.message.body,
        }),
        DeliverySubject::PolicyChange(change) => {
            let version = &change.version;
            serde_json::json!({
                "id": format!("pol_{}_v{}", version.document_id, version.version),
                "type": "policy_change",
                "created_at": crate::api::format_time(version.created_at),
                "document_id": version.document_id,
                "title": change.title,
                "version": version.version,
                "change": crate::policy::change_kind(change),
                "status": version.status,
                "author": version.author,
                "reviewed_by": version.reviewed_by,
                "summary": version.summary,
            })
        }
    }
}

/// Starts the sender; it wakes on `wake` and every second.
pub fn start(
    store: Store,
    settings: WebhookSettings,
    wake: Arc<Notify>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let client = match reqwest::Client::builder()
            .timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("arbiter-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
        {
            Ok(client) => client,
            Err(error) => {
                tracing::error!(%error, "webhook sender could not start");
                return;
            }
        };
        loop {
            match send_due(&store, &client, &settings).await {
                Ok(0) => {
                    tokio::select! {
                        _ = wake.notified() => {}
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
                Ok(_) => {}
                Err(StoreError::Closed) => return,
                Err(error) => {
                    tracing::warn!(%error, "webhook sender: the store failed; trying again shortly");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    })
}

/// Sends every due delivery (up to a batch, eight at a time); returns how many were tried.
async fn send_due(
    store: &Store,
    client: &reqwest::Client,
    settings: &WebhookSettings,
) -> Result<usize, StoreError> {
    use futures_util::StreamExt;
    let due = store.due_deliveries(crate::now(), 200).await?;
    let count = due.len();
    let results: Vec<Result<(), StoreError>> = futures_util::stream::iter(due)
        .map(|delivery| attempt(store, client, settings, delivery))
        .buffer_unordered(8)
        .collect()
        .await;
    results.into_iter().collect::<Result<(), _>>()?;
    Ok(count)
}

async fn attempt(
    store: &Store,
    client: &reqwest::Client,
    settings: &WebhookSettings,
    due: DueDelivery,
) -> Result<(), StoreError> {
    let body = payload(&due.delivery).to_string();
    let now = crate::now();
    let signature = sign(&due.secret, now / 1_000_000, body.as_bytes());
    let started = Instant::now();
    let response = client
        .post(&due.url)
        .header("content-type", "application/json")
        .header("arbiter-signature", signature)
        .header("arbiter-delivery", due.delivery.id.to_string())
        .body(body)
        .send()
        .await;
    let duration_ms = started.elapsed().as_millis() as i64;
    let (status, error) = match response {
        Ok(r) if r.status().is_success() => (Some(i64::from(r.status().as_u16())), None),
        Ok(r) => (
            Some(i64::from(r.status().as_u16())),
            Some(format!("answered {}", r.status())),
        ),
        Err(e) if e.is_timeout() => (
            None,
            Some(format!(
                "no answer within {} s",
                settings.timeout.as_secs_f32()
            )),
        ),
        Err(e) => (
            None,
            Some(format!("could not deliver: {}", error_chain(&e))),
        ),
    };
    let attempt = due.delivery.attempts + 1;
    let outcome = if error.is_none() {
        AttemptOutcome::Delivered
    } else if attempt >= settings.max_attempts {
        AttemptOutcome::GaveUp
    } else {
        AttemptOutcome::RetryAt(now + settings.backoff(attempt).as_micros() as Micros)
    };
    metrics::counter!("arbiter_webhook_attempts_total", "outcome" => match outcome {
        AttemptOutcome::Delivered => "delivered",
        AttemptOutcome::RetryAt(_) => "retry",
        AttemptOutcome::GaveUp => "failed",
    })
    .increment(1);
    if let Some(error) = &error {
        tracing::warn!(delivery = due.delivery.id, webhook = %due.delivery.webhook_id, attempt, %error, "webhook delivery failed");
    }
    store
        .record_attempt(
            due.delivery.id,
            attempt,
            now,
            status,
            error.as_deref(),
            duration_ms,
            outcome,
        )
        .await
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_expire() {
        let header = sign("whsec", 1_700_000_000, b"{\"a\":1}");
        assert!(header.starts_with("t=1700000000,v1="));
        assert!(verify("whsec", &header, b"{\"a\":1}", 1_700_000_100, 300));
        assert!(!verify("whsec", &header, b"{\"a\":2}", 1_700_000_100, 300));
        assert!(!verify("other", &header, b"{\"a\":1}", 1_700_000_100, 300));
        assert!(!verify("whsec", &header, b"{\"a\":1}", 1_700_001_000, 300));
        assert!(!verify("whsec", "t=x,v1=zz", b"", 0, 300));
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let mut mac = HmacSha256::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn backoff_grows_fourfold_to_a_cap() {
        let s = WebhookSettings::default();
        assert_eq!(s.backoff(1), Duration::from_secs(30));
        assert_eq!(s.backoff(2), Duration::from_secs(120));
        assert_eq!(s.backoff(5), Duration::from_secs(30 * 256));
        assert_eq!(s.backoff(7), Duration::from_secs(6 * 3_600));
        assert_eq!(s.backoff(40), Duration::from_secs(6 * 3_600));
    }
}
