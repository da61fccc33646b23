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
//!
//! Deliveries go over HTTPS (rustls; the system's root certificates) or plain HTTP, never
//! follow redirects, and reach only public addresses: loopback, private, link-local,
//! unspecified, multicast, shared (CGNAT), reserved and documentation addresses, IPv6 unique
//! local and link-local ones, and IPv4 addresses mapped or translated into IPv6 from any of
//! those, are refused unless the administrator's allow-list ([`AllowList`]) names their
//! network. The address is checked when a webhook is subscribed (a literal IP) and again on
//! every connection, after DNS resolution, so a name that later resolves inward is refused too.
//! The delivery log keeps the status and a short reason, never the receiver's answer.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use arbiter_model::Micros;
use arbiter_store::{AttemptOutcome, DeliverySubject, DueDelivery, Store, StoreError};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tokio::sync::Notify;

/// How deliveries are paced, and where they may go.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// How long one request may take.
    pub timeout: Duration,
    /// The wait before the first retry; each later wait is four times the one before.
    pub first_retry: Duration,
    /// The longest wait between attempts.
    pub max_retry: Duration,
    /// Attempts before a delivery is given up as failed.
    pub max_attempts: i64,
    /// Internal networks deliveries may reach; empty (the default) for public addresses only.
    pub allow: AllowList,
}

impl Default for WebhookSettings {
    /// 30 s, 2 min, 8 min, 32 min, 2 h 8 min, then every 6 h: eight attempts over about 17 h.
    fn default() -> WebhookSettings {
        WebhookSettings {
            timeout: Duration::from_secs(10),
            first_retry: Duration::from_secs(30),
            max_retry: Duration::from_secs(6 * 3_600),
            max_attempts: 8,
            allow: AllowList::default(),
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
            "created_at": arbiter_model::format_micros(effect.created_at),
            "action": serde_json::from_str::<serde_json::Value>(&effect.detail).unwrap_or_default(),
            "rules": effect.rules,
            "ruleset_version": effect.ruleset_version,
            "event_id": effect.event_id,
            "user_id": effect.user_id,
        }),
        DeliverySubject::CaseMessage(message) => serde_json::json!({
            "id": format!("msg_{}", message.id),
            "type": "case_message",
            "created_at": arbiter_model::format_micros(message.at),
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
                "created_at": arbiter_model::format_micros(version.created_at),
                "document_id": version.document_id,
                "title": change.title,
                "version": version.version,
                "change": crate::policies::change_kind(change),
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
        let sender = Sender::new(&settings);
        loop {
            match send_due(&store, &sender, &settings).await {
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
    sender: &Sender,
    settings: &WebhookSettings,
) -> Result<usize, StoreError> {
    use futures_util::StreamExt;
    let due = store.due_deliveries(crate::now(), 200).await?;
    let count = due.len();
    let results: Vec<Result<(), StoreError>> = futures_util::stream::iter(due)
        .map(|delivery| attempt(store, sender, settings, delivery))
        .buffer_unordered(8)
        .collect()
        .await;
    results.into_iter().collect::<Result<(), _>>()?;
    Ok(count)
}

async fn attempt(
    store: &Store,
    sender: &Sender,
    settings: &WebhookSettings,
    due: DueDelivery,
) -> Result<(), StoreError> {
    let body = payload(&due.delivery).to_string();
    let now = crate::now();
    let signature = sign(&due.secret, now / 1_000_000, body.as_bytes());
    let started = Instant::now();
    let answer = sender
        .post(
            &due.url,
            &[
                ("arbiter-signature", signature),
                ("arbiter-delivery", due.delivery.id.to_string()),
            ],
            body,
        )
        .await;
    let duration_ms = started.elapsed().as_millis() as i64;
    let (status, error) = match answer {
        Ok(status) if status.is_success() => (Some(i64::from(status.as_u16())), None),
        Ok(status) => (Some(i64::from(status.as_u16())), Some(answered(status))),
        Err(failure) => (None, Some(failure.to_string())),
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

/// The log's reason for an answer that is not a success: the status alone, never the body.
fn answered(status: hyper::StatusCode) -> String {
    if status.is_redirection() {
        format!("answered {status} (redirects are not followed)")
    } else {
        format!("answered {status}")
    }
}

/// The networks an administrator allows deliveries to reach although they are internal
/// (`10.0.0.0/8`, `127.0.0.1`, `fd00::/8`): receivers on the operator's own network.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    networks: Vec<(IpAddr, u8)>,
}

impl AllowList {
    /// Reads networks written as `ADDRESS/PREFIX` or a single `ADDRESS`.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<AllowList, String> {
        let mut networks = Vec::new();
        for entry in entries {
            let entry = entry.as_ref().trim();
            if entry.is_empty() {
                continue;
            }
            let (address, prefix) = match entry.split_once('/') {
                Some((a, p)) => (a, Some(p)),
                None => (entry, None),
            };
            let address: IpAddr = address.parse().map_err(|_| {
                format!(
                    "webhook allow-list: {entry:?} is not an IP address or ADDRESS/PREFIX network"
                )
            })?;
            let most = if address.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                None => most,
                Some(p) => p.parse::<u8>().ok().filter(|p| *p <= most).ok_or_else(|| {
                    format!(
                        "webhook allow-list: {entry:?} has a prefix length that is not 0 to {most}"
                    )
                })?,
            };
            networks.push((address, prefix));
        }
        Ok(AllowList { networks })
    }

    pub fn is_empty(&self) -> bool {
        self.networks.is_empty()
    }

    /// Whether `ip` (an IPv4-mapped IPv6 address as its IPv4 address) is in a listed network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.networks
            .iter()
            .any(|&(network, prefix)| match (canonical(network), ip) {
                (IpAddr::V4(n), IpAddr::V4(a)) => {
                    let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
                    u32::from(n) & mask == u32::from(a) & mask
                }
                (IpAddr::V6(n), IpAddr::V6(a)) => {
                    let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
                    u128::from(n) & mask == u128::from(a) & mask
                }
                _ => false,
            })
    }

    /// Why a delivery may not go to `ip`, if it may not.
    pub fn refuses(&self, ip: IpAddr) -> Option<&'static str> {
        internal(ip).filter(|_| !self.contains(ip))
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// What kind of internal address `ip` is; `None` for a public one.
pub fn internal(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => internal_v6(v6),
    }
}

fn internal_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        _ if ip.is_unspecified() => "an unspecified address",
        (0, _, _) => "a \"this network\" address",
        (127, _, _) => "a loopback address",
        (10, _, _) | (192, 168, _) => "a private address",
        (172, 16..=31, _) => "a private address",
        (100, 64..=127, _) => "a shared (CGNAT) address",
        (169, 254, _) => "a link-local address",
        (192, 0, 0) => "an IETF protocol address",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "a documentation address",
        (198, 18..=19, _) => "a benchmarking address",
        (224..=239, _, _) => "a multicast address",
        (240..=255, _, _) => "a reserved or broadcast address",
        _ => return None,
    })
}

fn internal_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let segments = ip.segments();
    let embedded = |high: u16, low: u16| Ipv4Addr::from((u32::from(high) << 16) | u32::from(low));
    if ip.is_unspecified() {
        return Some("an unspecified address");
    }
    if ip.is_loopback() {
        return Some("a loopback address");
    }
    if let Some(v4) = ip.to_ipv4_mapped() {
        return internal_v4(v4).map(|_| "an IPv4-mapped internal address");
    }
    Some(match segments[0] {
        // IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:a.b::): the
        // IPv4 address inside decides.
        0 if segments[1..6] == [0; 5] => {
            return internal_v4(embedded(segments[6], segments[7]))
                .map(|_| "an IPv4-compatible internal address");
        }
        0x64 if segments[1..6] == [0xff9b, 0, 0, 0, 0] => {
            return internal_v4(embedded(segments[6], segments[7]))
                .map(|_| "a NAT64 address of an internal IPv4 address");
        }
        0x2002 => {
            return internal_v4(embedded(segments[1], segments[2]))
                .map(|_| "a 6to4 address of an internal IPv4 address");
        }
        s if s & 0xfe00 == 0xfc00 => "a unique local address",
        s if s & 0xffc0 == 0xfe80 => "a link-local address",
        s if s & 0xffc0 == 0xfec0 => "a site-local address",
        s if s & 0xff00 == 0xff00 => "a multicast address",
        0x2001 if segments[1] == 0x0db8 => "a documentation address",
        0x0100 if segments[1..4] == [0; 3] => "a discard address",
        _ => return None,
    })
}

/// A webhook address that may be subscribed: checked before it is stored.
pub struct CheckedUrl {
    pub url: String,
}

/// Why an address may not be subscribed; the message names the field.
#[derive(Debug, PartialEq, Eq)]
pub enum UrlProblem {
    /// Not an http(s) address at all (400).
    Malformed(String),
    /// Well formed but refused: credentials, an internal or numeric host (422).
    Refused(String),
}

/// Checks a webhook address as given at subscription: `http://` or `https://`, a host, no
/// credentials, no numeric host but a dotted IPv4 or bracketed IPv6 address, and no literal
/// internal address that `allow` does not list. Names are checked on every connection.
pub fn check_url(url: &str, allow: &AllowList) -> Result<CheckedUrl, UrlProblem> {
    // The API document bounds the text as sent, white space included.
    let sent_chars = url.chars().count();
    let url = url.trim();
    let malformed = || {
        UrlProblem::Malformed(format!(
            "url: {:?} is not an https:// or http:// address",
            redact_url(url)
        ))
    };
    // The shape the API document states (400 when it is broken): http(s)://, then printable
    // ASCII. Anything of that shape that is still no usable address is refused with 422.
    let shaped = (url.starts_with("http://") || url.starts_with("https://"))
        && url.len() > "http://".len()
        && sent_chars <= 2_000
        && url.bytes().all(|b| b.is_ascii_graphic());
    if !shaped {
        return Err(malformed());
    }
    let unusable = || {
        UrlProblem::Refused(format!(
            "url: {:?} is not a usable address: give a host, and a port from 1 to 65535 if any",
            redact_url(url)
        ))
    };
    let uri: hyper::Uri = url.parse().map_err(|_| unusable())?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err(unusable());
    }
    let Some(authority) = uri.authority() else {
        return Err(unusable());
    };
    if authority.as_str().contains('@') {
        return Err(UrlProblem::Refused(
            "url: credentials in the address (user:password@) are not accepted: they would be stored and shown; receivers authenticate deliveries by their signature".into(),
        ));
    }
    let host = authority.host();
    if host.is_empty() || authority.port_u16() == Some(0) {
        return Err(unusable());
    }
    let refused = |what: String| {
        UrlProblem::Refused(format!(
            "url: {host} is {what}; webhooks go only to public addresses unless the server's webhook allow-list (--webhook-allow) names the network"
        ))
    };
    match host_address(host) {
        HostKind::Address(ip) => match allow.refuses(ip) {
            Some(why) => Err(refused(why.to_owned())),
            None => Ok(CheckedUrl {
                url: url.to_owned(),
            }),
        },
        HostKind::Numeric => Err(UrlProblem::Refused(format!(
            "url: {host} is a numeric host that is not a dotted IPv4 address; write the address as a.b.c.d or use a name"
        ))),
        HostKind::Name => {
            let lower = host.to_ascii_lowercase();
            let lower = lower.trim_end_matches('.');
            if (lower == "localhost" || lower.ends_with(".localhost"))
                && allow.refuses(IpAddr::V4(Ipv4Addr::LOCALHOST)).is_some()
            {
                return Err(refused("a loopback name".to_owned()));
            }
            Ok(CheckedUrl {
                url: url.to_owned(),
            })
        }
    }
}

enum HostKind {
    Address(IpAddr),
    /// A host that some resolvers read as an IPv4 address in another form (`2130706433`,
    /// `0x7f.1`, `127.1`): ends in a number, as the URL standard puts it.
    Numeric,
    Name,
}

fn host_address(host: &str) -> HostKind {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.parse().map_or(HostKind::Numeric, HostKind::Address);
    }
    if let Ok(v4) = host.parse::<Ipv4Addr>() {
        return HostKind::Address(IpAddr::V4(v4));
    }
    let last = host.trim_end_matches('.').rsplit('.').next().unwrap_or("");
    let hex = last
        .strip_prefix("0x")
        .or_else(|| last.strip_prefix("0X"))
        .is_some_and(|h| h.chars().all(|c| c.is_ascii_hexdigit()));
    if !last.is_empty() && (hex || last.chars().all(|c| c.is_ascii_digit())) {
        HostKind::Numeric
    } else {
        HostKind::Name
    }
}

/// `url` with any credentials in it replaced by `***`, for showing and logging addresses
/// stored before credentials were refused.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

/// Why a delivery did not reach its receiver: short, for the delivery log.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryFailure {
    #[error("could not deliver: {0} is not an https:// or http:// address without credentials")]
    BadAddress(String),
    #[error("could not deliver: destination not allowed ({0} is {1})")]
    NotAllowed(IpAddr, &'static str),
    #[error("could not deliver: the host name did not resolve")]
    Dns,
    #[error("could not deliver: connection refused")]
    Refused,
    #[error("could not deliver: TLS handshake failed{0}")]
    Tls(&'static str),
    #[error("could not deliver: the connection failed")]
    Connection,
    #[error("no answer within {0} s")]
    Timeout(f32),
}

/// The resolver of every delivery's connection: DNS, then only the addresses allowed.
#[derive(Clone)]
struct GuardedResolver {
    allow: Arc<AllowList>,
}

impl tower_service::Service<hyper_util::client::legacy::connect::dns::Name> for GuardedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = DeliveryFailure;
    type Future =
        Pin<Box<dyn Future<Output = Result<Self::Response, DeliveryFailure>> + Send + 'static>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), DeliveryFailure>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: hyper_util::client::legacy::connect::dns::Name) -> Self::Future {
        let allow = self.allow.clone();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await
                .map_err(|_| DeliveryFailure::Dns)?
                .collect();
            let mut refused = None;
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| match allow.refuses(a.ip()) {
                    Some(why) => {
                        refused.get_or_insert((a.ip(), why));
                        false
                    }
                    None => true,
                })
                .collect();
            match (allowed.is_empty(), refused) {
                (true, Some((ip, why))) => Err(DeliveryFailure::NotAllowed(ip, why)),
                (true, None) => Err(DeliveryFailure::Dns),
                (false, _) => Ok(allowed.into_iter()),
            }
        })
    }
}

type Connector = hyper_rustls::HttpsConnector<
    hyper_util::client::legacy::connect::HttpConnector<GuardedResolver>,
>;

/// Posts deliveries: HTTP/1.1 over TLS or plain TCP, to allowed addresses only, no redirects
/// followed, no proxy.
pub struct Sender {
    client: hyper_util::client::legacy::Client<Connector, http_body_util::Full<hyper::body::Bytes>>,
    allow: Arc<AllowList>,
    timeout: Duration,
}

impl Sender {
    pub fn new(settings: &WebhookSettings) -> Sender {
        let allow = Arc::new(settings.allow.clone());
        let mut http = hyper_util::client::legacy::connect::HttpConnector::new_with_resolver(
            GuardedResolver {
                allow: allow.clone(),
            },
        );
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(settings.timeout));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = match hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(provider.clone())
        {
            Ok(builder) => builder,
            Err(error) => {
                tracing::warn!(%error, "webhook sender: no system root certificates; https:// deliveries will fail");
                let config = rustls::ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .expect("ring supports the default protocol versions")
                    .with_root_certificates(rustls::RootCertStore::empty())
                    .with_no_client_auth();
                hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(config)
            }
        };
        let connector = tls.https_or_http().enable_http1().wrap_connector(http);
        Sender {
            client: hyper_util::client::legacy::Client::builder(
                hyper_util::rt::TokioExecutor::new(),
            )
            .build(connector),
            allow,
            timeout: settings.timeout,
        }
    }

    /// POSTs `body` as JSON with `headers`; the answer's status, or why there was none.
    pub async fn post(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: String,
    ) -> Result<hyper::StatusCode, DeliveryFailure> {
        let bad = || DeliveryFailure::BadAddress(redact_url(url));
        let uri: hyper::Uri = url.parse().map_err(|_| bad())?;
        let authority = uri.authority().ok_or_else(bad)?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || authority.as_str().contains('@') {
            return Err(bad());
        }
        // A literal address is not resolved, so the resolver cannot check it: check it here.
        match host_address(authority.host()) {
            HostKind::Address(ip) => {
                if let Some(why) = self.allow.refuses(ip) {
                    return Err(DeliveryFailure::NotAllowed(ip, why));
                }
            }
            HostKind::Numeric | HostKind::Name => {}
        }
        let mut request = hyper::Request::post(uri)
            .header("content-type", "application/json")
            .header(
                "user-agent",
                concat!("arbiter-webhooks/", env!("CARGO_PKG_VERSION")),
            );
        for (name, value) in headers {
            request = request.header(*name, value.as_str());
        }
        let request = request
            .body(http_body_util::Full::new(hyper::body::Bytes::from(body)))
            .map_err(|_| bad())?;
        match tokio::time::timeout(self.timeout, self.client.request(request)).await {
            Err(_) => Err(DeliveryFailure::Timeout(self.timeout.as_secs_f32())),
            Ok(Ok(response)) => Ok(response.status()),
            Ok(Err(error)) => Err(classify(&error)),
        }
    }
}

/// The short reason for a failed request, from the error's causes.
fn classify(error: &(dyn std::error::Error + 'static)) -> DeliveryFailure {
    let tls = |e: &rustls::Error| {
        DeliveryFailure::Tls(match e {
            rustls::Error::InvalidCertificate(_) => " (certificate not trusted)",
            _ => "",
        })
    };
    let mut refused = false;
    let mut cause = Some(error);
    while let Some(e) = cause {
        if let Some(failure) = e.downcast_ref::<DeliveryFailure>() {
            return match failure {
                DeliveryFailure::NotAllowed(ip, why) => DeliveryFailure::NotAllowed(*ip, why),
                DeliveryFailure::Dns => DeliveryFailure::Dns,
                _ => DeliveryFailure::Connection,
            };
        }
        if let Some(e) = e.downcast_ref::<rustls::Error>() {
            return tls(e);
        }
        // An I/O error's `source` skips the error it wraps: step into it instead.
        cause = match e.downcast_ref::<std::io::Error>() {
            Some(io) => {
                refused |= io.kind() == std::io::ErrorKind::ConnectionRefused;
                io.get_ref()
                    .map(|inner| inner as &(dyn std::error::Error + 'static))
            }
            None => e.source(),
        };
    }
    if refused {
        DeliveryFailure::Refused
    } else {
        DeliveryFailure::Connection
    }
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
    fn internal_addresses_are_told_apart() {
        for internal in [
            "127.0.0.1",
            "10.2.3.4",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "0.1.2.3",
            "100.64.0.1",
            "100.127.255.254",
            "224.0.0.1",
            "239.255.255.250",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "::",
            "::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:a00:1::",
            "2001:db8::1",
        ] {
            let ip: IpAddr = internal.parse().unwrap();
            assert!(internal_addr_is_refused(ip), "{internal} should be refused");
        }
        for public in [
            "93.184.216.34",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            let ip: IpAddr = public.parse().unwrap();
            assert_eq!(internal(ip), None, "{public} is public");
        }
    }

    fn internal_addr_is_refused(ip: IpAddr) -> bool {
        AllowList::default().refuses(ip).is_some()
    }

    #[test]
    fn the_allow_list_opens_only_its_networks() {
        let allow = AllowList::parse(&["10.1.0.0/16", "127.0.0.1", "fd00::/8"]).unwrap();
        assert_eq!(allow.refuses("10.1.200.3".parse().unwrap()), None);
        assert_eq!(allow.refuses("127.0.0.1".parse().unwrap()), None);
        assert_eq!(allow.refuses("::ffff:127.0.0.1".parse().unwrap()), None);
        assert_eq!(allow.refuses("fd00::5".parse().unwrap()), None);
        assert!(allow.refuses("10.2.0.1".parse().unwrap()).is_some());
        assert!(allow.refuses("127.0.0.2".parse().unwrap()).is_some());
        assert!(allow.refuses("169.254.169.254".parse().unwrap()).is_some());
        for bad in ["10.0.0.0/33", "nope", "10.0.0.0/x", "::/129"] {
            assert!(AllowList::parse(&[bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn subscriptions_refuse_internal_numeric_and_credentialed_addresses() {
        let none = AllowList::default();
        let refused = |url: &str| match check_url(url, &none) {
            Err(UrlProblem::Refused(why)) => why,
            other => panic!("{url}: {:?}", other.map(|c| c.url)),
        };
        for url in [
            "http://127.0.0.1:6379/",
            "http://169.254.169.254/latest/meta-data",
            "http://0.0.0.0:8080/",
            "http://[::1]/hook",
            "http://[::ffff:10.0.0.1]/hook",
            "http://[fe80::1]/hook",
            "http://100.64.1.1/hook",
            "https://localhost/hook",
            "http://2130706433/hook",
            "http://0x7f.1/hook",
            "http://127.1/hook",
            "http://017700000001/",
        ] {
            let why = refused(url);
            assert!(why.starts_with("url: "), "{why}");
        }
        let why = refused("https://user:hunter2@hooks.example.com/x");
        assert!(!why.contains("hunter2"), "{why}");
        assert!(matches!(
            check_url("ftp://x", &none),
            Err(UrlProblem::Malformed(_))
        ));
        assert!(matches!(
            check_url("http://", &none),
            Err(UrlProblem::Malformed(_))
        ));
        assert!(matches!(
            check_url("http://a b/", &none),
            Err(UrlProblem::Malformed(_))
        ));
        for ok in [
            "https://hooks.example.com/arbiter",
            "http://93.184.216.34:8443/x",
            "https://[2606:4700::1111]/",
        ] {
            assert_eq!(check_url(ok, &none).map(|c| c.url), Ok(ok.to_owned()));
        }
        let allow = AllowList::parse(&["127.0.0.1"]).unwrap();
        assert!(check_url("http://127.0.0.1:9/hook", &allow).is_ok());
        assert!(check_url("http://localhost:9/hook", &allow).is_ok());
    }

    #[test]
    fn credentials_are_redacted() {
        assert_eq!(
            redact_url("https://u:p@h.example/x?y=@"),
            "https://***@h.example/x?y=@"
        );
        assert_eq!(redact_url("https://h.example/a@b"), "https://h.example/a@b");
    }

    fn settings(allow: &[&str]) -> WebhookSettings {
        WebhookSettings {
            timeout: Duration::from_secs(2),
            allow: AllowList::parse(allow).unwrap(),
            ..WebhookSettings::default()
        }
    }

    /// A listener that counts the connections it accepts and keeps what the first one sent.
    async fn listener() -> (
        u16,
        Arc<std::sync::atomic::AtomicUsize>,
        tokio::sync::oneshot::Receiver<Vec<u8>>,
    ) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = socket.local_addr().unwrap().port();
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (first_tx, first) = tokio::sync::oneshot::channel();
        let count = accepted.clone();
        tokio::spawn(async move {
            let mut first_tx = Some(first_tx);
            while let Ok((mut stream, _)) = socket.accept().await {
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut buffer = vec![0u8; 4096];
                let n = stream.read(&mut buffer).await.unwrap_or(0);
                if let Some(tx) = first_tx.take() {
                    let _ = tx.send(buffer[..n].to_vec());
                }
                let _ = stream
                    .write_all(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 31\r\n\r\nstack trace: secret internals!!")
                    .await;
            }
        });
        (port, accepted, first)
    }

    #[tokio::test]
    async fn names_resolving_inward_are_refused_when_connecting() {
        // `localhost` passes no subscription check for literal addresses; it resolves to
        // loopback, which the resolver drops before any connection is made.
        let (port, accepted, _) = listener().await;
        let sender = Sender::new(&settings(&[]));
        for url in [
            format!("http://localhost:{port}/hook"),
            format!("http://127.0.0.1:{port}/hook"),
            format!("http://2130706433:{port}/hook"),
        ] {
            let failure = sender.post(&url, &[], "{}".into()).await.unwrap_err();
            assert!(
                matches!(failure, DeliveryFailure::NotAllowed(ip, _) if ip.is_loopback()),
                "{url}: {failure}"
            );
            assert!(
                failure
                    .to_string()
                    .starts_with("could not deliver: destination not allowed")
            );
        }
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn the_log_keeps_the_status_not_the_body() {
        let (port, accepted, _) = listener().await;
        let sender = Sender::new(&settings(&["127.0.0.1"]));
        let status = sender
            .post(&format!("http://localhost:{port}/hook"), &[], "{}".into())
            .await
            .unwrap();
        assert_eq!(answered(status), "answered 500 Internal Server Error");
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn https_addresses_are_sent_over_tls() {
        let (port, _, first) = listener().await;
        let sender = Sender::new(&settings(&["127.0.0.1"]));
        let failure = sender
            .post(&format!("https://127.0.0.1:{port}/hook"), &[], "{}".into())
            .await
            .unwrap_err();
        // The receiver saw a TLS ClientHello (a handshake record), not a plain request; its
        // plain answer failed the handshake, which the log names briefly.
        let hello = first.await.unwrap();
        assert_eq!(hello.first(), Some(&0x16), "{hello:?}");
        assert!(!hello.windows(4).any(|w| w == b"POST"));
        assert!(matches!(failure, DeliveryFailure::Tls(_)), "{failure}");
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
