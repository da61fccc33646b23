//! The decider: follows the event log in order and decides every new event with the ruleset in
//! force, writing the decisions and its progress in one transaction per batch.
//!
//! Decisions are derived from the log, so nothing is lost to a crash: on start the decider
//! replays the history its velocity features look back over, then goes on from its progress.
//! A ruleset or list change (from this process, or seen by polling the store) takes effect on
//! the next batch without a restart.
//!
//! The decider is the one follower of the log: case intake (and, later, enforcement) follows
//! the decider instead. Each batch, once committed, is handed to the decider's followers in
//! memory as a [`Decided`]: the events parsed, each with its decision and its effects typed
//! ([`arbiter_rules::Action`]s). The batches are kept in a window of recent ones (a `watch`,
//! which also wakes the followers), bounded by events, so the decider never waits for a
//! follower: one that falls behind the window, or has just started, reads the same batches
//! from the log ([`Decided::read`]) until it reaches the window again.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use arbiter_model::{Event, Micros};
use arbiter_rules::{Action, Decision, Engine, Facts, Lists, Ruleset, Verdict};
use arbiter_store::{
    Committing, DecisionBatch, DecisionRecord, EffectRecord, NewEffect, Store, StoreError,
};
use tokio::sync::{Notify, watch};

/// Events read from the log per batch.
const BATCH: i64 = 2_000;
/// How often the decider looks for rulesets or lists changed by another process.
const POLL: Duration = Duration::from_secs(2);

/// The ruleset in force, as compiled.
#[derive(Clone)]
pub struct Active {
    pub version: i64,
    pub ruleset: Arc<Ruleset>,
}

/// A stored ruleset version that does not load (it was stored before a check it now fails, or
/// changed behind the server's back): the decider keeps deciding with the newest version that
/// loads, and says so in the log and on `/healthz`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    /// The version that does not load.
    pub version: i64,
    /// Why, as the rule checker put it.
    pub reason: String,
    /// The version in force instead; absent when none loads.
    pub in_force: Option<i64>,
}

/// The handle the HTTP layer holds. The decider stops when the last handle is dropped.
#[derive(Clone)]
pub struct Decider {
    shared: Arc<Shared>,
    _running: Arc<watch::Sender<()>>,
}

struct Shared {
    store: Store,
    active: RwLock<Option<Active>>,
    refused: RwLock<Option<Refused>>,
    /// Set when a ruleset or list changed; checked before every batch, so an event stored
    /// after a change is decided with it.
    stale: std::sync::atomic::AtomicBool,
    changed: Notify,
    /// The last event (by seq) decided with whatever its decision stored committed.
    progress: watch::Sender<i64>,
    /// Decisions just made, by event id, before they are committed: a synchronous caller is
    /// answered from here as soon as its event is decided. Bounded; oldest first out.
    recent: std::sync::Mutex<Recent>,
    /// The last event (by seq) decided, before its commit.
    decided: watch::Sender<i64>,
    /// Wakes the webhook sender when effects were recorded.
    effects_recorded: Arc<Notify>,
    /// The batches committed lately, for the decider's followers; sending wakes them.
    handed_on: watch::Sender<HandedOn>,
}

/// What a synchronous caller hears: the ruleset version, and the decision when a rule fired
/// or failed.
type Made = (i64, Option<DecisionRecord>);

/// The last decisions made, by event id, and the callers waiting for one.
#[derive(Default)]
struct Recent {
    by_event: std::collections::HashMap<String, Made>,
    order: std::collections::VecDeque<String>,
    waiting: std::collections::HashMap<String, Vec<tokio::sync::oneshot::Sender<Made>>>,
}

/// How many decisions [`Recent`] keeps.
const RECENT: usize = 50_000;

impl Recent {
    fn insert(&mut self, event_id: String, made: Made) {
        if let Some(waiters) = self.waiting.remove(&event_id) {
            for waiter in waiters {
                let _ = waiter.send(made.clone());
            }
        }
        if self.by_event.insert(event_id.clone(), made).is_none() {
            self.order.push_back(event_id);
        }
        while self.order.len() > RECENT {
            if let Some(old) = self.order.pop_front() {
                self.by_event.remove(&old);
            }
        }
    }
}

impl Decider {
    /// Starts the decider on `store`; `effects_recorded` is notified after each batch that
    /// recorded effects.
    pub fn start(store: Store, effects_recorded: Arc<Notify>) -> Decider {
        let (progress, _) = watch::channel(0);
        let (decided, _) = watch::channel(0);
        let shared = Arc::new(Shared {
            store,
            active: RwLock::new(None),
            refused: RwLock::new(None),
            stale: std::sync::atomic::AtomicBool::new(false),
            changed: Notify::new(),
            progress,
            recent: std::sync::Mutex::new(Recent::default()),
            decided,
            effects_recorded,
            handed_on: watch::channel(HandedOn::default()).0,
        });
        let (running, stop) = watch::channel(());
        tokio::spawn(run(shared.clone(), stop));
        Decider {
            shared,
            _running: Arc::new(running),
        }
    }

    /// Tells the decider that a ruleset or a list changed.
    pub fn changed(&self) {
        self.shared
            .stale
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.shared.changed.notify_one();
    }

    /// The ruleset the decider holds now.
    pub fn active(&self) -> Option<Active> {
        self.shared.active.read().map(|a| a.clone()).unwrap_or(None)
    }

    /// The stored version the decider refused to load, and why, while it decides with an
    /// earlier one (or none).
    pub fn refused(&self) -> Option<Refused> {
        self.shared
            .refused
            .read()
            .map(|r| r.clone())
            .unwrap_or(None)
    }

    /// `record` compiled: the decider's own when it holds that version, else compiled afresh.
    pub async fn compiled(&self, record: &arbiter_store::RulesetRecord) -> Option<Arc<Ruleset>> {
        match self.active() {
            Some(active) if active.version == record.version => Some(active.ruleset),
            _ => crate::cpu::compile(&record.source)
                .await
                .ok()
                .map(|(ruleset, _)| ruleset),
        }
    }

    /// Waits for the decision on a newly stored event, answered as soon as it is made (its
    /// commit follows within the batch; after a crash it is made again from the log). The
    /// version of the ruleset, and the decision when a rule fired or failed; `None` on timeout.
    pub async fn wait_for_decision(&self, event_id: &str, timeout: Duration) -> Option<Made> {
        let made = {
            let mut recent = self.shared.recent.lock().ok()?;
            if let Some(made) = recent.by_event.get(event_id) {
                return Some(made.clone());
            }
            let (tell, made) = tokio::sync::oneshot::channel();
            recent
                .waiting
                .entry(event_id.to_owned())
                .or_default()
                .push(tell);
            made
        };
        let outcome = tokio::time::timeout(timeout, made).await;
        if outcome.is_err()
            && let Ok(mut recent) = self.shared.recent.lock()
            && let Some(waiters) = recent.waiting.get_mut(event_id)
        {
            waiters.retain(|w| !w.is_closed());
            if waiters.is_empty() {
                recent.waiting.remove(event_id);
            }
        }
        outcome.ok()?.ok()
    }

    /// Read-your-writes for readers of stored decisions: when the event at `seq` is decided
    /// but its commit is still on the way (a synchronous caller was answered first), waits
    /// briefly for that commit. True when the decision is committed.
    pub async fn committed(&self, seq: i64) -> bool {
        if self.progress() >= seq {
            return true;
        }
        if *self.shared.decided.borrow() < seq {
            return false;
        }
        self.wait_for(seq, Duration::from_secs(2)).await
    }

    /// The last event (by seq) decided, with whatever its decision stored committed.
    pub fn progress(&self) -> i64 {
        *self.shared.progress.borrow()
    }

    /// Waits until the event at `seq` is decided; false on timeout.
    pub async fn wait_for(&self, seq: i64, timeout: Duration) -> bool {
        let mut progress = self.shared.progress.subscribe();
        tokio::time::timeout(timeout, progress.wait_for(|p| *p >= seq))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Follows the decider: every batch it commits from now on, in memory while it is among
    /// the recent ones.
    pub fn follow(&self) -> Follower {
        Follower {
            handed_on: self.shared.handed_on.subscribe(),
        }
    }
}

/// A batch of the decider's, committed: every event of the log in `(after, last_seq]` (but one
/// that no longer parses), in log order, each with its decision and effects as the decider
/// made them. The log holds the same ([`Decided::read`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Decided {
    /// The event the batch continues from.
    pub after: i64,
    /// The last event it covers.
    pub last_seq: i64,
    pub events: Vec<DecidedEvent>,
}

/// An event decided, with what its decision stored.
#[derive(Debug, Clone, PartialEq)]
pub struct DecidedEvent {
    pub seq: i64,
    pub event: Event,
    /// The decision when a rule fired or failed; `None` for an event allowed with no rule
    /// firing (the store keeps no decision for it either).
    pub decision: Option<Decision>,
    /// The actions of the active rules that fired, one effect each.
    pub effects: Vec<Effect>,
}

/// An action a fired rule asked for, and whom it addresses.
#[derive(Debug, Clone, PartialEq)]
pub struct Effect {
    pub action: Action,
    /// The member the rules that asked for it are about (see [`effects_of`]).
    pub user_id: Option<String>,
    /// The active rules that fired and asked for it.
    pub rules: Vec<String>,
}

impl Decided {
    /// The decided events after `after`, at most `limit`, read from the log up to the
    /// decider's stored progress: the batches followers were handed, for one that was not
    /// (on start, or fallen behind). `None` when the decider has stored nothing past `after`.
    pub async fn read(
        store: &Store,
        after: i64,
        limit: i64,
    ) -> Result<Option<Decided>, StoreError> {
        let Some((decided, _)) = store.decider_progress().await? else {
            return Ok(None);
        };
        if decided <= after {
            return Ok(None);
        }
        let mut logged = store
            .events_after(after, limit.min(decided - after))
            .await?;
        // The seqs of a PostgreSQL log may skip: never past what the decider stored.
        logged.retain(|e| e.seq <= decided);
        let Some(last_seq) = logged.last().map(|e| e.seq) else {
            return Ok(None);
        };
        let mut decisions = store
            .decisions_between(after, last_seq)
            .await?
            .into_iter()
            .peekable();
        let mut effects = store
            .effects_of_events(after, last_seq)
            .await?
            .into_iter()
            .peekable();
        let mut events = Vec::with_capacity(logged.len());
        for logged in logged {
            let seq = logged.seq;
            let mut decision = None;
            while let Some(stored) = decisions.next_if(|d| d.event_seq <= seq) {
                if stored.event_seq == seq {
                    decision = Some(stored_decision(&stored));
                }
            }
            let mut made = Vec::new();
            while let Some(effect) = effects.next_if(|e| e.event_seq <= seq) {
                if effect.event_seq == seq
                    && let Some(effect) = stored_effect(effect)
                {
                    made.push(effect);
                }
            }
            let Ok(event) = Event::parse(&logged.body) else {
                tracing::warn!(seq, "a stored event no longer parses; skipped");
                continue;
            };
            events.push(DecidedEvent {
                seq,
                event,
                decision,
                effects: made,
            });
        }
        Ok(Some(Decided {
            after,
            last_seq,
            events,
        }))
    }
}

/// A stored decision as the decider made it; one whose body no longer reads keeps its verdict
/// and score.
fn stored_decision(record: &DecisionRecord) -> Decision {
    serde_json::from_str(&record.body).unwrap_or_else(|error| {
        tracing::warn!(seq = record.event_seq, %error, "a stored decision no longer reads; its verdict and score are kept");
        Decision {
            verdict: Verdict::parse(&record.verdict).unwrap_or(Verdict::Allow),
            score: record.score,
            actions: Vec::new(),
            hits: Vec::new(),
        }
    })
}

/// A stored effect, typed; `None` when its action no longer reads.
fn stored_effect(record: EffectRecord) -> Option<Effect> {
    match serde_json::from_str(&record.detail) {
        Ok(action) => Some(Effect {
            action,
            user_id: record.user_id,
            rules: record.rules,
        }),
        Err(error) => {
            tracing::warn!(effect = record.id, detail = %record.detail, %error, "a stored effect no longer reads; skipped");
            None
        }
    }
}

/// A follower's view of the decider's recent batches: see [`Decider::follow`].
pub struct Follower {
    handed_on: watch::Receiver<HandedOn>,
}

/// What a follower whose progress is at some event takes next.
#[derive(Debug)]
pub enum Handoff {
    /// Batches in log order, each continuing from the one before, the first from the
    /// follower's progress or before it (its events up to the progress are taken already).
    Take(Vec<Arc<Decided>>),
    /// What follows the progress is no longer (or was never) in memory: read the log.
    ReadLog,
    /// Nothing past the progress has been committed since the follower last looked.
    Wait,
}

impl Follower {
    /// The batches that continue from `progress`, as many as hold about `most` events (at
    /// least one).
    pub fn after(&mut self, progress: i64, most: usize) -> Handoff {
        self.handed_on.borrow_and_update().after(progress, most)
    }

    /// Waits until the decider hands on another batch; false once the decider has stopped.
    pub async fn changed(&mut self) -> bool {
        self.handed_on.changed().await.is_ok()
    }
}

/// A hand-off with no decider behind it: a test hands batches to the follower itself.
#[cfg(test)]
pub(crate) fn test_handoff() -> (impl Fn(Decided) + Send + Sync, Follower) {
    let (sender, handed_on) = watch::channel(HandedOn::default());
    (
        move |batch| sender.send_modify(|h| h.push(batch)),
        Follower { handed_on },
    )
}

/// The decider's recent batches, oldest first, bounded by their events.
#[derive(Default)]
struct HandedOn {
    batches: std::collections::VecDeque<Arc<Decided>>,
    events: usize,
}

/// About how many events of recent batches are kept for the followers: at a steady rate of
/// 2,000 events a second, five seconds' worth, a few megabytes.
const HANDED_ON_EVENTS: usize = 10_000;

impl HandedOn {
    fn push(&mut self, batch: Decided) {
        self.events += batch.events.len();
        self.batches.push_back(Arc::new(batch));
        while self.events > HANDED_ON_EVENTS && self.batches.len() > 1 {
            if let Some(old) = self.batches.pop_front() {
                self.events -= old.events.len();
            }
        }
    }

    /// What follows `progress`. The decider pushes its batches in log order, so the first
    /// batch past `progress` tells: it continues from there, or something is missing.
    fn after(&self, progress: i64, most: usize) -> Handoff {
        let mut newer = self.batches.iter().filter(|b| b.last_seq > progress);
        let Some(first) = newer.next() else {
            return Handoff::Wait;
        };
        if first.after > progress {
            return Handoff::ReadLog;
        }
        let mut events = first.events.len();
        let mut taken = vec![first.clone()];
        for batch in newer {
            let continues = taken.last().is_some_and(|b| b.last_seq == batch.after);
            if !continues || events + batch.events.len() > most {
                break;
            }
            events += batch.events.len();
            taken.push(batch.clone());
        }
        Handoff::Take(taken)
    }
}

async fn run(shared: Arc<Shared>, mut stop: watch::Receiver<()>) {
    loop {
        let result = tokio::select! {
            result = follow(&shared) => result,
            _ = stop.changed() => return,
        };
        match result {
            Ok(()) | Err(StoreError::Closed) => return,
            Err(error) => {
                tracing::error!(%error, "the decider stopped; starting again in a second");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// The decider's state between batches.
struct Loaded {
    version: i64,
    engine: Option<Engine>,
    lists: Arc<Lists>,
    stamp: (i64, i64),
}

async fn follow(shared: &Shared) -> Result<(), StoreError> {
    let store = &shared.store;
    let mut appended = store.appended();
    let mut in_memory = InMemory::new();
    // The last event decided; its decisions may still be on their way to the store.
    let (mut last_seq, _) = store.decider_progress().await?.unwrap_or((0, 0));
    advance(shared, last_seq);
    let mut decider = load(shared, last_seq).await?;
    let mut writes = Writes::default();
    let mut checked = Instant::now();
    loop {
        // `while`, not `if`: a change announced while loading (a ruleset published during a
        // list's reload) must be loaded before the next event is decided, since its publisher
        // has already been told it is in force.
        while shared
            .stale
            .swap(false, std::sync::atomic::Ordering::SeqCst)
        {
            checked = Instant::now();
            decider = load(shared, last_seq).await?;
        }
        if checked.elapsed() >= POLL {
            checked = Instant::now();
            if store.configuration_stamp().await? != decider.stamp {
                decider = load(shared, last_seq).await?;
            }
        }
        // Decided batches wait for the one being committed; past a bound, deciding waits too.
        if writes.unsent_events >= BATCH
            && let Some(mut pending) = writes.committing.take()
        {
            let outcome = (&mut pending.commit).await;
            pending.finish(shared, outcome)?;
            writes.send(shared).await?;
        }
        // The events this process commits arrive in memory; the log is read only to catch up
        // (on start, after missing a commit, or for events another process appended).
        loop {
            match appended.try_recv() {
                Ok(events) => in_memory.push(events),
                Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) => in_memory.missed(),
                Err(_) => break,
            }
        }
        let batch = match in_memory.next(last_seq) {
            Next::Decide(batch) => batch,
            Next::ReadLog => {
                let batch = store.events_after(last_seq, BATCH).await?;
                in_memory.read_log = !batch.is_empty();
                batch
            }
            Next::Wait => Vec::new(),
        };
        let Some(last) = batch.last() else {
            let due = writes.due();
            tokio::select! {
                received = appended.recv() => match received {
                    Ok(events) => in_memory.push(events),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => in_memory.missed(),
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return Ok(()),
                },
                // The change is picked up at the top of the loop.
                _ = shared.changed.notified() => {}
                _ = tokio::time::sleep(POLL) => in_memory.read_log = true,
                outcome = async {
                    match writes.committing.as_mut() {
                        Some(pending) => (&mut pending.commit).await,
                        None => std::future::pending().await,
                    }
                }, if writes.committing.is_some() => {
                    if let Some(pending) = writes.committing.take() {
                        pending.finish(shared, outcome)?;
                    }
                }
                // A quiet batch's progress is due to be stored.
                _ = tokio::time::sleep_until(due.unwrap_or_else(tokio::time::Instant::now)),
                    if due.is_some() => {}
            }
            writes.send(shared).await?;
            continue;
        };
        let batch_end = last.seq;
        let decided_at = crate::now();
        let mut records = Vec::new();
        let mut effects = Vec::new();
        let mut fresh: Vec<(String, Option<DecisionRecord>)> = Vec::with_capacity(batch.len());
        // The batch as followers take it, when any follows.
        let following = shared.handed_on.receiver_count() > 0;
        let mut handed = Vec::new();
        if let Some(engine) = &mut decider.engine {
            for logged in &batch {
                let Ok((event, object)) = Event::parse_with_object(&logged.body) else {
                    tracing::warn!(seq = logged.seq, "a stored event no longer parses; skipped");
                    continue;
                };
                let decision = engine.decide(
                    &Facts {
                        event: &event,
                        object: &object,
                    },
                    &decider.lists,
                );
                let quiet = decision.hits.is_empty();
                if quiet {
                    fresh.push((event.id.as_str().to_owned(), None));
                    if following {
                        handed.push(DecidedEvent {
                            seq: logged.seq,
                            event,
                            decision: None,
                            effects: Vec::new(),
                        });
                    }
                } else {
                    let made_effects = effects_of(&event, &decision);
                    effects.extend(made_effects.iter().map(|effect| {
                        to_store(logged.seq, &event, effect, decider.version, decided_at)
                    }));
                    let made = record(logged.seq, &event, &decision, decider.version, decided_at);
                    fresh.push((made.event_id.clone(), Some(made.clone())));
                    records.push(made);
                    if following {
                        handed.push(DecidedEvent {
                            seq: logged.seq,
                            event,
                            decision: Some(decision),
                            effects: made_effects,
                        });
                    }
                }
            }
        }
        if decider.engine.is_none() {
            // Nothing to decide: waiting callers need only the id, and only followers a
            // parsed event.
            #[derive(serde::Deserialize)]
            struct Id<'a> {
                #[serde(borrow)]
                id: std::borrow::Cow<'a, str>,
            }
            for logged in &batch {
                if following && let Ok(event) = Event::parse(&logged.body) {
                    fresh.push((event.id.as_str().to_owned(), None));
                    handed.push(DecidedEvent {
                        seq: logged.seq,
                        event,
                        decision: None,
                        effects: Vec::new(),
                    });
                } else if let Ok(Id { id }) = serde_json::from_str::<Id<'_>>(&logged.body) {
                    fresh.push((id.into_owned(), None));
                }
            }
        }
        // Waiting callers hear their decision now; the commit below makes it durable.
        if let Ok(mut recent) = shared.recent.lock() {
            for (event_id, record) in fresh {
                recent.insert(event_id, (decider.version, record));
            }
        }
        shared.decided.send_replace(batch_end);
        let mut verdicts: Vec<(String, u64)> = Vec::new();
        for r in &records {
            match verdicts.iter_mut().find(|(v, _)| *v == r.verdict) {
                Some((_, n)) => *n += 1,
                None => verdicts.push((r.verdict.clone(), 1)),
            }
        }
        metrics::counter!("arbiter_events_decided_total").increment(batch.len() as u64);
        for (verdict, n) in verdicts {
            metrics::counter!("arbiter_decisions_total", "verdict" => verdict).increment(n);
        }
        writes.add(
            DecisionBatch {
                decisions: records,
                effects,
                last_seq: batch_end,
                ruleset_version: decider.version,
            },
            batch.len(),
            following.then_some(Decided {
                after: last_seq,
                last_seq: batch_end,
                events: handed,
            }),
        );
        if let Some(pending) = &mut writes.committing
            && let Some(outcome) = futures_util::FutureExt::now_or_never(&mut pending.commit)
            && let Some(pending) = writes.committing.take()
        {
            pending.finish(shared, outcome)?;
        }
        writes.send(shared).await?;
        last_seq = batch_end;
    }
}

/// The decider's writes: the batch being committed, and the batches decided since, merged
/// into one to follow it. Deciding goes on while a commit is under way, so that events
/// committed meanwhile are decided (and their callers answered) without waiting for it.
///
/// Quiet batches (no rule fired or failed) store nothing but the decider's progress, which only
/// tells a restarted decider where to begin (deciding an event again changes nothing stored).
/// So their progress is stored with the next batch that has decisions, or [`QUIET_PROGRESS`]
/// after it was made, never in a commit of its own per batch: at a steady rate of single
/// events that halves the commits, and the disk waits, that the events' answers queue behind.
#[derive(Default)]
struct Writes {
    committing: Option<Pending>,
    unsent: Option<DecisionBatch>,
    /// The unsent batches as followers take them; `None` when one of them was decided with
    /// nobody following (a follower then reads them from the log).
    unsent_decided: Option<Decided>,
    /// Events decided in the unsent batches, and when the first of them was.
    unsent_events: i64,
    unsent_since: Option<tokio::time::Instant>,
}

/// How long the progress of quiet batches may wait for a batch with decisions to ride with.
const QUIET_PROGRESS: Duration = Duration::from_millis(50);

/// A batch of the decider's on its way to the store.
struct Pending {
    commit: Committing,
    last_seq: i64,
    effects: bool,
    decided: Option<Decided>,
}

impl Pending {
    /// Takes in the commit's outcome: the batch goes to the followers, the decider's progress
    /// moves on, and the webhook sender is woken for new effects.
    fn finish(self, shared: &Shared, outcome: Result<(), StoreError>) -> Result<(), StoreError> {
        outcome?;
        if let Some(decided) = self.decided {
            shared
                .handed_on
                .send_modify(|handed_on| handed_on.push(decided));
        }
        advance(shared, self.last_seq);
        if self.effects {
            shared.effects_recorded.notify_one();
        }
        Ok(())
    }
}

/// Moves the progress readers see: every decision up to `seq` can be read from the store.
fn advance(shared: &Shared, seq: i64) {
    shared.progress.send_if_modified(|progress| {
        let moved = seq > *progress;
        *progress = (*progress).max(seq);
        moved
    });
}

impl Writes {
    fn add(&mut self, batch: DecisionBatch, events: usize, decided: Option<Decided>) {
        self.unsent_events += events as i64;
        self.unsent_since
            .get_or_insert_with(tokio::time::Instant::now);
        match &mut self.unsent {
            Some(unsent) => {
                unsent.decisions.extend(batch.decisions);
                unsent.effects.extend(batch.effects);
                unsent.last_seq = batch.last_seq;
                unsent.ruleset_version = batch.ruleset_version;
                self.unsent_decided = match (self.unsent_decided.take(), decided) {
                    (Some(mut unsent), Some(decided)) if unsent.last_seq == decided.after => {
                        unsent.events.extend(decided.events);
                        unsent.last_seq = decided.last_seq;
                        Some(unsent)
                    }
                    _ => None,
                };
            }
            None => {
                self.unsent = Some(batch);
                self.unsent_decided = decided;
            }
        }
    }

    /// When the unsent batches, all quiet, must be stored even if nothing else comes.
    fn due(&self) -> Option<tokio::time::Instant> {
        if self.committing.is_some() {
            return None;
        }
        self.unsent
            .as_ref()
            .and(self.unsent_since)
            .map(|since| since + QUIET_PROGRESS)
    }

    /// Hands the decided batches to the store when nothing of the decider's is being
    /// committed: at once when they hold decisions, otherwise once they are due.
    async fn send(&mut self, shared: &Shared) -> Result<(), StoreError> {
        if self.committing.is_some() {
            return Ok(());
        }
        let Some(unsent) = &self.unsent else {
            return Ok(());
        };
        if unsent.decisions.is_empty() && unsent.effects.is_empty() {
            // Nothing to read: readers may go past these events now.
            advance(shared, unsent.last_seq);
            if self
                .due()
                .is_some_and(|due| due > tokio::time::Instant::now())
                && self.unsent_events < BATCH
            {
                return Ok(());
            }
        }
        let Some(batch) = self.unsent.take() else {
            return Ok(());
        };
        self.unsent_events = 0;
        self.unsent_since = None;
        let (last_seq, effects) = (batch.last_seq, !batch.effects.is_empty());
        let decided = self.unsent_decided.take();
        let commit = shared.store.record_decisions(batch).await?;
        self.committing = Some(Pending {
            commit,
            last_seq,
            effects,
            decided,
        });
        Ok(())
    }
}

/// Committed events received in memory, waiting to be decided.
struct InMemory {
    events: Vec<arbiter_store::LoggedEvent>,
    /// Set when the log must be read: on start, after missed commits or a gap in the seqs,
    /// and now and then for events another process appended. Cleared when a read finds nothing.
    read_log: bool,
}

/// What the decider does next.
enum Next {
    Decide(Vec<arbiter_store::LoggedEvent>),
    ReadLog,
    Wait,
}

impl InMemory {
    fn new() -> InMemory {
        InMemory {
            events: Vec::new(),
            read_log: true,
        }
    }

    /// Takes a commit's events; an empty hand-off means a commit whose events are to be read
    /// from the log.
    fn push(&mut self, events: arbiter_store::Appended) {
        if events.is_empty() {
            self.read_log = true;
        }
        self.events.extend(events.iter().cloned());
    }

    fn missed(&mut self) {
        self.read_log = true;
        self.events.clear();
    }

    /// The events after `last_seq` when they follow it without a gap.
    fn next(&mut self, last_seq: i64) -> Next {
        self.events.retain(|e| e.seq > last_seq);
        if self.read_log {
            return Next::ReadLog;
        }
        match self.events.first() {
            None => Next::Wait,
            // Seqs are consecutive in a SQLite log; anything else (another process's events,
            // a PostgreSQL sequence's gaps) is read from the log.
            Some(first) if first.seq == last_seq + 1 => {
                let contiguous = self
                    .events
                    .windows(2)
                    .position(|pair| pair[1].seq != pair[0].seq + 1)
                    .map_or(self.events.len(), |i| i + 1);
                let take = contiguous.min(BATCH as usize);
                Next::Decide(self.events.drain(..take).collect())
            }
            Some(_) => {
                self.read_log = true;
                Next::ReadLog
            }
        }
    }
}

/// The actions of the active rules that fired, one effect each, addressed to the member the
/// rule that asked for it is about (`RuleHit::member`: whose history it read, else the event's
/// actor, or its subject when the actor is staff or a system).
fn effects_of(event: &Event, decision: &Decision) -> Vec<Effect> {
    let party = arbiter_rules::party(event);
    decision
        .actions
        .iter()
        .map(|action| Effect {
            action: action.clone(),
            user_id: decision.member_for(action).or(party).map(str::to_owned),
            rules: decision
                .hits
                .iter()
                .filter(|h| {
                    h.fired && h.mode == arbiter_rules::Mode::Active && h.actions.contains(action)
                })
                .map(|h| h.rule_id.clone())
                .collect(),
        })
        .collect()
}

/// An effect as the store keeps it: its kind by name, and the action as JSON.
fn to_store(
    seq: i64,
    event: &Event,
    effect: &Effect,
    version: i64,
    created_at: Micros,
) -> NewEffect {
    NewEffect {
        event_seq: seq,
        event_id: event.id.as_str().to_owned(),
        user_id: effect.user_id.clone(),
        action: effect.action.kind().as_str().to_owned(),
        detail: serde_json::to_string(&effect.action).unwrap_or_default(),
        rules: effect.rules.clone(),
        ruleset_version: version,
        created_at,
    }
}

fn record(
    seq: i64,
    event: &Event,
    decision: &Decision,
    version: i64,
    decided_at: Micros,
) -> DecisionRecord {
    DecisionRecord {
        event_seq: seq,
        event_id: event.id.as_str().to_owned(),
        event_type: event.event_type.as_str().to_owned(),
        occurred_at: arbiter_model::to_micros(event.occurred_at),
        actor_id: event.actor.id.as_str().to_owned(),
        subject_id: event.subject.as_ref().map(|s| s.id.as_str().to_owned()),
        ruleset_version: version,
        verdict: decision.verdict.as_str().to_owned(),
        score: decision.score,
        fired: decision
            .hits
            .iter()
            .filter(|h| h.fired)
            .map(|h| h.rule_id.clone())
            .collect(),
        decided_at,
        body: serde_json::to_string(decision).unwrap_or_else(|_| "{}".into()),
    }
}

/// Loads the ruleset in force and the lists, and replays the history the ruleset's velocity
/// features look back over, up to `last_seq`.
async fn load(shared: &Shared, last_seq: i64) -> Result<Loaded, StoreError> {
    let store = &shared.store;
    let stamp = store.configuration_stamp().await?;
    let lists: Lists = store
        .current_lists()
        .await?
        .into_iter()
        .map(|l| (l.name, l.entries.into_iter().collect()))
        .collect();
    let (record, ruleset) = match loadable(store).await? {
        Loadable::Newest(record, ruleset) => {
            *shared.refused.write().unwrap_or_else(|e| e.into_inner()) = None;
            (record, ruleset)
        }
        Loadable::Earlier { refused, in_force } => {
            tracing::error!(
                version = refused.version,
                reason = %refused.reason,
                in_force = refused.in_force,
                "the ruleset in force does not load; deciding with the newest version that does"
            );
            *shared.refused.write().unwrap_or_else(|e| e.into_inner()) = Some(refused);
            match in_force {
                Some(loaded) => loaded,
                None => {
                    *shared.active.write().unwrap_or_else(|e| e.into_inner()) = None;
                    return Ok(Loaded {
                        version: 0,
                        engine: None,
                        lists: Arc::new(lists),
                        stamp,
                    });
                }
            }
        }
        Loadable::None => {
            *shared.active.write().unwrap_or_else(|e| e.into_inner()) = None;
            return Ok(Loaded {
                version: 0,
                engine: None,
                lists: Arc::new(lists),
                stamp,
            });
        }
    };
    let mut engine = Engine::new(ruleset.clone());
    let started = Instant::now();
    let mut replayed = 0u64;
    if ruleset.feature_names().next().is_some()
        && let Some(latest) = store.latest_occurrence(last_seq).await?
    {
        let since = ruleset.lookback().map_or(Micros::MIN, |w| latest - w);
        let mut after = (Micros::MIN, 0);
        loop {
            let page = store
                .events_for_replay(since, Micros::MAX, last_seq, after, 10_000)
                .await?;
            let Some(last) = page.last() else { break };
            after = (last.occurred_at, last.seq);
            for logged in &page {
                if let Ok((event, object)) = Event::parse_with_object(&logged.body) {
                    engine.observe(&Facts {
                        event: &event,
                        object: &object,
                    });
                    replayed += 1;
                }
            }
        }
    }
    tracing::info!(
        version = record.version,
        rules = ruleset.rules.len(),
        lists = lists.len(),
        replayed,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "decider loaded the ruleset in force"
    );
    *shared.active.write().unwrap_or_else(|e| e.into_inner()) = Some(Active {
        version: record.version,
        ruleset,
    });
    Ok(Loaded {
        version: record.version,
        engine: Some(engine),
        lists: Arc::new(lists),
        stamp,
    })
}

enum Loadable {
    /// The newest version, compiled.
    Newest(arbiter_store::RulesetRecord, Arc<Ruleset>),
    /// The newest version does not load; the newest that does, if any.
    Earlier {
        refused: Refused,
        in_force: Option<(arbiter_store::RulesetRecord, Arc<Ruleset>)>,
    },
    None,
}

/// The newest stored ruleset that compiles. Every version was checked when it was published,
/// but the checks grow stricter (nesting limits) and a database can be edited by hand: a
/// version that no longer loads is skipped, never a reason to stop deciding or to crash.
async fn loadable(store: &Store) -> Result<Loadable, StoreError> {
    let Some(newest) = store.current_ruleset().await? else {
        return Ok(Loadable::None);
    };
    let reason = match crate::cpu::compile(&newest.source).await {
        Ok((ruleset, _)) => return Ok(Loadable::Newest(newest, ruleset)),
        Err(diagnostics) => diagnostics
            .iter()
            .find(|d| d.severity == arbiter_rules::Severity::Error)
            .map(|d| d.render("rules", &newest.source))
            .unwrap_or_default(),
    };
    let mut in_force = None;
    for record in store.rulesets().await? {
        if record.version >= newest.version {
            continue;
        }
        if let Ok((ruleset, _)) = crate::cpu::compile(&record.source).await {
            in_force = Some((record, ruleset));
            break;
        }
    }
    Ok(Loadable::Earlier {
        refused: Refused {
            version: newest.version,
            reason,
            in_force: in_force.as_ref().map(|(record, _)| record.version),
        },
        in_force,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logged(seqs: &[i64]) -> arbiter_store::Appended {
        seqs.iter()
            .map(|&seq| arbiter_store::LoggedEvent {
                seq,
                occurred_at: 0,
                body: String::new(),
            })
            .collect::<Vec<_>>()
            .into()
    }

    fn seqs(next: Next) -> Option<Vec<i64>> {
        match next {
            Next::Decide(events) => Some(events.iter().map(|e| e.seq).collect()),
            Next::ReadLog => None,
            Next::Wait => Some(Vec::new()),
        }
    }

    #[test]
    fn events_in_memory_are_decided_only_when_they_follow_without_a_gap() {
        let mut in_memory = InMemory::new();
        // On start the log is read, until a read finds nothing.
        assert!(seqs(in_memory.next(0)).is_none());
        in_memory.read_log = false;
        assert_eq!(seqs(in_memory.next(0)), Some(vec![]));
        in_memory.push(logged(&[1, 2]));
        in_memory.push(logged(&[3]));
        assert_eq!(seqs(in_memory.next(0)), Some(vec![1, 2, 3]));
        // Events already decided (read from the log meanwhile) are dropped.
        in_memory.push(logged(&[3, 4]));
        assert_eq!(seqs(in_memory.next(3)), Some(vec![4]));
        // A gap (another process's event at 6): the log is read.
        in_memory.push(logged(&[7]));
        assert!(seqs(in_memory.next(5)).is_none());
        in_memory.read_log = false;
        assert_eq!(seqs(in_memory.next(6)), Some(vec![7]));
        // Missed commits: the log is read.
        in_memory.push(logged(&[8]));
        in_memory.missed();
        assert!(seqs(in_memory.next(7)).is_none());
        // A commit too large to hand on: the log is read.
        in_memory.read_log = false;
        in_memory.push(logged(&[]));
        assert!(seqs(in_memory.next(7)).is_none());
    }

    /// A batch of the decider's covering `(after, last_seq]`, one event per seq.
    fn decided(after: i64, last_seq: i64) -> Decided {
        let event = Event::parse(
            r#"{"id":"e","type":"user.signed_up","occurred_at":"2026-03-01T10:00:00Z","market":"US","actor":{"id":"c_1","role":"client"}}"#,
        )
        .expect("an event");
        Decided {
            after,
            last_seq,
            events: (after + 1..=last_seq)
                .map(|seq| DecidedEvent {
                    seq,
                    event: event.clone(),
                    decision: None,
                    effects: Vec::new(),
                })
                .collect(),
        }
    }

    fn spans(handoff: Handoff) -> Option<Vec<(i64, i64)>> {
        match handoff {
            Handoff::Take(batches) => Some(batches.iter().map(|b| (b.after, b.last_seq)).collect()),
            Handoff::ReadLog => None,
            Handoff::Wait => Some(Vec::new()),
        }
    }

    #[test]
    fn a_follower_takes_batches_in_memory_only_when_they_continue_from_its_progress() {
        let mut handed_on = HandedOn::default();
        // Nothing committed yet.
        assert_eq!(spans(handed_on.after(0, 100)), Some(vec![]));
        handed_on.push(decided(0, 3));
        handed_on.push(decided(3, 5));
        handed_on.push(decided(5, 9));
        // From the start, as many contiguous batches as hold about `most` events, at least one.
        assert_eq!(
            spans(handed_on.after(0, 100)),
            Some(vec![(0, 3), (3, 5), (5, 9)])
        );
        assert_eq!(spans(handed_on.after(0, 5)), Some(vec![(0, 3), (3, 5)]));
        assert_eq!(spans(handed_on.after(0, 1)), Some(vec![(0, 3)]));
        // From inside a batch: the rest of it is in memory too.
        assert_eq!(spans(handed_on.after(4, 100)), Some(vec![(3, 5), (5, 9)]));
        // Nothing past the progress.
        assert_eq!(spans(handed_on.after(9, 100)), Some(vec![]));
        // A batch nobody followed (or another process's decider): a gap, read from the log,
        // and the batches after the gap are not taken across it.
        handed_on.push(decided(12, 14));
        assert_eq!(spans(handed_on.after(9, 100)), None);
        assert_eq!(spans(handed_on.after(5, 100)), Some(vec![(5, 9)]));
        assert_eq!(spans(handed_on.after(12, 100)), Some(vec![(12, 14)]));
        // A follower behind the window reads the log; the window is bounded by events, and
        // keeps at least the newest batch, however large.
        let big = 14 + HANDED_ON_EVENTS as i64;
        handed_on.push(decided(14, big));
        assert_eq!(handed_on.batches.len(), 1);
        assert_eq!(handed_on.events, HANDED_ON_EVENTS);
        assert_eq!(spans(handed_on.after(9, 100)), None);
        assert_eq!(spans(handed_on.after(14, 100)), Some(vec![(14, big)]));
        handed_on.push(decided(big, big + 1));
        assert_eq!(handed_on.batches.len(), 1);
        assert_eq!(spans(handed_on.after(14, 100)), None);
        assert_eq!(spans(handed_on.after(big, 100)), Some(vec![(big, big + 1)]));
    }
}
