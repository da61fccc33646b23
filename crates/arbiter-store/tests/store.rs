//! The storage contract, run against SQLite always and PostgreSQL when
//! `ARBITER_TEST_DATABASE_URL` is set: both backends must behave the same.

use arbiter_model::{Event, Role};
use arbiter_store::testing::TestDatabase;
use arbiter_store::{
    Backend, EventFilter, NewToken, SignInRecord, StaffUser, Store, StoreError, TokenKind,
};

/// Runs each listed test body once per backend.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test] async fn $name() { super::run(arbiter_store::Backend::Sqlite, super::$name).await } )* }
        mod postgres { $( #[tokio::test] #[ignore = "PostgreSQL: set ARBITER_TEST_DATABASE_URL and pass --ignored"] async fn $name() { super::run(arbiter_store::Backend::Postgres, super::$name).await } )* }
    };
}

on_both_backends!(
    appends_are_idempotent_by_id,
    events_keep_their_body_verbatim,
    listing_filters_and_pages_newest_first,
    reopening_keeps_everything_and_migrations_are_not_reapplied,
    tokens_are_found_by_hash_and_can_be_revoked,
    staff_user_names_are_unique,
    concurrent_appends_each_get_their_own_count,
    party_listings_page_across_days,
    committed_events_are_handed_on_with_their_seqs,
    small_concurrent_appends_share_statements_and_keep_their_counts,
    a_schema_4_database_upgrades_keeping_its_webhook_deliveries,
    writes_of_their_own_take_turns_with_the_group_commit,
    a_decided_batch_stored_twice_delivers_each_effect_once,
    sessions_end_with_the_principal_that_made_them,
    staff_accounts_are_disabled_enabled_and_reset,
    sign_ins_are_audited_and_failures_counted_since_the_last_success,
    a_schema_7_database_names_principals_for_its_labels,
    links_and_queue_counts_agree_on_which_cases_are_open,
);

async fn run<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(Store, TestDatabase) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let Some(db) = TestDatabase::new(backend).await else {
        panic!(
            "{} is not set: the PostgreSQL tests need a server",
            arbiter_store::testing::POSTGRES_URL_VAR
        );
    };
    let store = db.open().await;
    assert_eq!(store.backend(), backend);
    test(store, db).await;
}

/// The ids of every event matching `filter`, following the cursor page by page, and checking
/// that no page is larger than asked.
async fn all_ids(store: &Store, filter: &EventFilter, page_size: u32) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor = None;
    loop {
        let page = store.list_events(filter, cursor, page_size).await.unwrap();
        assert!(page.events.len() <= page_size as usize);
        ids.extend(page.events.into_iter().map(|e| e.id));
        match page.next {
            Some(next) => cursor = Some(next),
            None => return ids,
        }
    }
}

fn event(id: &str, kind: &str, at: &str, actor: &str, market: &str) -> Event {
    let text = format!(
        r#"{{"id":"{id}","type":"{kind}","occurred_at":"{at}","market":"{market}","actor":{{"id":"{actor}","role":"client"}},"subject":{{"id":"k_{actor}","role":"tasker"}},"task_id":"t_{id}","amount":{{"minor":1250,"currency":"EUR"}},"data":{{"text":"hi","rating":5,"kind":"theft","by":"client"}},"extra":{{"kept":true}}}}"#
    );
    Event::parse(&text).expect("valid test event")
}

async fn appends_are_idempotent_by_id(store: Store, _db: TestDatabase) {
    let a = event("e1", "task.booked", "2026-10-01T10:00:00Z", "c1", "FR");
    let b = event("e2", "task.booked", "2026-10-01T11:00:00Z", "c1", "FR");
    assert_eq!(
        store
            .append_events(vec![a.clone(), b.clone()], 1)
            .await
            .unwrap(),
        2
    );
    // The same ids again, and one repeated inside the batch: nothing new is stored.
    assert_eq!(
        store
            .append_events(vec![a.clone(), b, a.clone()], 2)
            .await
            .unwrap(),
        0
    );
    let c = event("e3", "task.booked", "2026-10-01T12:00:00Z", "c1", "FR");
    assert_eq!(store.append_events(vec![c.clone(), c], 3).await.unwrap(), 1);
    assert_eq!(store.count_events().await.unwrap(), 3);
    // A batch larger than one statement.
    let many: Vec<Event> = (0..700)
        .map(|i| {
            event(
                &format!("m{i}"),
                "message.sent",
                "2026-10-02T00:00:00Z",
                "c2",
                "DE",
            )
        })
        .collect();
    assert_eq!(store.append_events(many.clone(), 4).await.unwrap(), 700);
    assert_eq!(store.append_events(many, 5).await.unwrap(), 0);
    assert_eq!(store.count_events().await.unwrap(), 703);
}

async fn committed_events_are_handed_on_with_their_seqs(store: Store, _db: TestDatabase) {
    let mut appended = store.appended();
    let a = event("h1", "task.booked", "2026-10-01T10:00:00Z", "c1", "FR");
    let b = event("h2", "task.booked", "2026-10-01T11:00:00Z", "c1", "FR");
    store.append_events(vec![a.clone()], 1).await.unwrap();
    // A repeat is not handed on; the new event of the same batch is.
    store
        .append_events(vec![a.clone(), b.clone()], 2)
        .await
        .unwrap();
    let first = appended.recv().await.unwrap();
    let second = appended.recv().await.unwrap();
    let handed: Vec<(i64, String)> = first
        .iter()
        .chain(second.iter())
        .map(|e| (e.seq, e.body.clone()))
        .collect();
    let logged: Vec<(i64, String)> = store
        .events_after(0, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.seq, e.body))
        .collect();
    assert_eq!(handed, logged);
    assert_eq!(handed[0].1, a.raw);
    assert_eq!(handed[1].1, b.raw);
}

async fn events_keep_their_body_verbatim(store: Store, _db: TestDatabase) {
    let e = event(
        "é/1",
        "claim.filed",
        "2026-10-01T10:00:00+02:00",
        "c1",
        "ES",
    );
    store.append_events(vec![e.clone()], 7).await.unwrap();
    let stored = store.event("é/1").await.unwrap().expect("stored");
    assert_eq!(stored.body, e.raw);
    assert!(stored.body.contains(r#""extra":{"kept":true}"#));
    assert_eq!(stored.occurred_at, arbiter_model::to_micros(e.occurred_at));
    assert_eq!(stored.received_at, 7);
    assert_eq!(stored.task_id.as_deref(), Some("t_é/1"));
    assert!(store.event("missing").await.unwrap().is_none());
}

async fn listing_filters_and_pages_newest_first(store: Store, _db: TestDatabase) {
    let mut events = Vec::new();
    for i in 0..25 {
        let market = if i % 2 == 0 { "US" } else { "GB" };
        let kind = if i % 5 == 0 {
            "claim.filed"
        } else {
            "task.booked"
        };
        // Pairs share a timestamp so that paging must break ties by arrival.
        let at = format!("2026-10-01T10:{:02}:00Z", i / 2);
        events.push(event(
            &format!("e{i:02}"),
            kind,
            &at,
            &format!("c{}", i % 3),
            market,
        ));
    }
    store.append_events(events.clone(), 1).await.unwrap();

    let seen = all_ids(&store, &EventFilter::default(), 7).await;
    let mut expected: Vec<String> = (0..25).map(|i| format!("e{i:02}")).collect();
    expected.reverse();
    assert_eq!(
        seen, expected,
        "every event once, newest first, ties by arrival"
    );

    let filter = EventFilter {
        market: Some("US".into()),
        event_type: Some("claim.filed".into()),
        ..EventFilter::default()
    };
    let ids = all_ids(&store, &filter, 100).await;
    assert_eq!(ids, ["e20", "e10", "e00"]);

    let filter = EventFilter {
        actor: Some("c1".into()),
        from: Some(arbiter_model::to_micros(events[4].occurred_at)),
        to: Some(arbiter_model::to_micros(events[16].occurred_at)),
        ..EventFilter::default()
    };
    let ids = all_ids(&store, &filter, 100).await;
    assert_eq!(
        ids,
        ["e13", "e10", "e07", "e04"],
        "from inclusive, to exclusive"
    );

    let filter = EventFilter {
        subject: Some("k_c2".into()),
        task: Some("t_e05".into()),
        ..EventFilter::default()
    };
    assert_eq!(
        store
            .list_events(&filter, None, 100)
            .await
            .unwrap()
            .events
            .len(),
        1
    );
    let days = store.events_per_day(30).await.unwrap();
    let day = arbiter_model::to_micros(events[0].occurred_at) / 86_400_000_000;
    assert_eq!(days, [(day, 25)]);
    assert_eq!(
        store.event_type_counts().await.unwrap(),
        [
            ("task.booked".to_owned(), 20),
            ("claim.filed".to_owned(), 5)
        ]
    );
}

/// Party lookups walk the days: pages must cross days, skip empty ones and respect bounds.
async fn party_listings_page_across_days(store: Store, _db: TestDatabase) {
    let mut events = Vec::new();
    for day in [1, 2, 5, 9] {
        for hour in [8, 12, 12, 20] {
            let at = format!("2026-10-{day:02}T{hour:02}:00:00Z");
            let id = format!("d{day}_{hour}_{}", events.len());
            events.push(event(&id, "task.booked", &at, "c1", "US"));
            events.push(event(
                &format!("other_{id}"),
                "task.booked",
                &at,
                "c9",
                "US",
            ));
        }
    }
    store.append_events(events.clone(), 1).await.unwrap();
    // Appended in time order, so newest first is the reverse.
    let mine: Vec<String> = events
        .iter()
        .filter(|e| e.actor.id.as_str() == "c1")
        .rev()
        .map(|e| e.id.to_string())
        .collect();
    let filter = EventFilter {
        actor: Some("c1".into()),
        ..EventFilter::default()
    };
    let seen = all_ids(&store, &filter, 3).await;
    // Newest first; the two events at 12:00 of each day come newest arrival first.
    assert_eq!(seen, mine);

    let bounded = EventFilter {
        subject: Some("k_c1".into()),
        from: Some(arbiter_model::to_micros(events[8].occurred_at)),
        to: Some(arbiter_model::to_micros(events[24].occurred_at)),
        ..EventFilter::default()
    };
    let ids = all_ids(&store, &bounded, 100).await;
    assert_eq!(ids.len(), 8, "days 2 and 5 only: {ids:?}");
    assert!(
        ids.iter()
            .all(|id| id.starts_with("d2_") || id.starts_with("d5_")),
        "{ids:?}"
    );
    let task = EventFilter {
        task: Some(format!("t_{}", events[30].id)),
        ..EventFilter::default()
    };
    assert_eq!(
        store
            .list_events(&task, None, 10)
            .await
            .unwrap()
            .events
            .len(),
        1
    );
}

async fn reopening_keeps_everything_and_migrations_are_not_reapplied(
    store: Store,
    db: TestDatabase,
) {
    store
        .append_events(
            vec![event(
                "e1",
                "task.booked",
                "2026-10-01T10:00:00Z",
                "c1",
                "US",
            )],
            1,
        )
        .await
        .unwrap();
    store.close().await;
    let again = db.open().await;
    assert_eq!(again.count_events().await.unwrap(), 1);
}

async fn tokens_are_found_by_hash_and_can_be_revoked(store: Store, _db: TestDatabase) {
    store
        .create_token(NewToken {
            id: "tok_1",
            secret_hash: "hash-1",
            kind: TokenKind::Api,
            role: Role::Analyst,
            label: "ingest",
            principal: None,
            created_at: 10,
            expires_at: None,
        })
        .await
        .unwrap();
    store
        .create_token(NewToken {
            id: "tok_2",
            secret_hash: "hash-2",
            kind: TokenKind::Session,
            role: Role::Viewer,
            label: "console",
            principal: Some("user:ana"),
            created_at: 11,
            expires_at: Some(100),
        })
        .await
        .unwrap();
    let token = store.token_by_secret_hash("hash-1").await.unwrap().unwrap();
    assert_eq!(
        (token.id.as_str(), token.role, token.kind),
        ("tok_1", Role::Analyst, TokenKind::Api)
    );
    assert!(token.is_live(1_000_000));
    let session = store.token_by_secret_hash("hash-2").await.unwrap().unwrap();
    assert!(session.is_live(99) && !session.is_live(100));
    assert!(store.token_by_secret_hash("nope").await.unwrap().is_none());
    assert_eq!(
        store.api_tokens().await.unwrap().len(),
        1,
        "sessions are not listed"
    );

    assert!(store.revoke_token("tok_1", 50).await.unwrap());
    assert!(
        !store.revoke_token("tok_1", 60).await.unwrap(),
        "already revoked"
    );
    assert!(
        !store
            .token_by_secret_hash("hash-1")
            .await
            .unwrap()
            .unwrap()
            .is_live(51)
    );
}

async fn staff_user_names_are_unique(store: Store, _db: TestDatabase) {
    let user = StaffUser {
        username: "ana".into(),
        password_hash: "$argon2id$...".into(),
        role: Role::Agent,
    };
    store.create_staff_user(&user, 1).await.unwrap();
    assert!(matches!(
        store.create_staff_user(&user, 2).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.staff_user("ana").await.unwrap(), Some(user));
    assert_eq!(store.staff_user("bob").await.unwrap(), None);
}

/// Concurrent appends share commits; each caller still gets its own count.
async fn concurrent_appends_each_get_their_own_count(store: Store, _db: TestDatabase) {
    let mut tasks = Vec::new();
    for caller in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            // Callers overlap: each sends 300 new events and 100 that caller 0 also sends.
            let mut events: Vec<Event> = (0..300)
                .map(|i| {
                    event(
                        &format!("c{caller}_{i}"),
                        "task.posted",
                        "2026-10-01T10:00:00Z",
                        "c1",
                        "US",
                    )
                })
                .collect();
            events.extend((0..100).map(|i| {
                event(
                    &format!("shared_{i}"),
                    "task.posted",
                    "2026-10-01T10:00:00Z",
                    "c1",
                    "US",
                )
            }));
            store.append_events(events, caller).await.unwrap()
        }));
    }
    let mut total = 0;
    for task in tasks {
        let count = task.await.unwrap();
        assert!((300..=400).contains(&count), "{count}");
        total += count;
    }
    assert_eq!(total, 8 * 300 + 100, "the shared events are stored once");
    assert_eq!(store.count_events().await.unwrap(), 2_500);
}

/// Small requests share statements when the decider follows the log: each is still credited
/// with exactly its own new events, and every new event is handed on once.
async fn small_concurrent_appends_share_statements_and_keep_their_counts(
    store: Store,
    _db: TestDatabase,
) {
    let mut follower = store.appended();
    let mut tasks = Vec::new();
    for caller in 0..40 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut events: Vec<Event> = (0..2)
                .map(|i| {
                    event(
                        &format!("own{caller}_{i}"),
                        "task.posted",
                        "2026-10-01T10:00:00Z",
                        "c1",
                        "US",
                    )
                })
                .collect();
            events.push(event(
                &format!("shared_{}", caller % 5),
                "task.posted",
                "2026-10-01T10:00:00Z",
                "c1",
                "US",
            ));
            // The same id twice in one request is one event.
            events.push(events[0].clone());
            store.append_events(events, caller).await.unwrap()
        }));
    }
    let mut total = 0;
    for task in tasks {
        let count = task.await.unwrap();
        assert!((2..=3).contains(&count), "{count}");
        total += count;
    }
    assert_eq!(total, 40 * 2 + 5, "each shared event is credited once");
    assert_eq!(store.count_events().await.unwrap(), 85);
    let mut seqs = Vec::new();
    while seqs.len() < 85 {
        let batch = tokio::time::timeout(std::time::Duration::from_secs(5), follower.recv())
            .await
            .expect("every commit is handed on")
            .unwrap();
        seqs.extend(batch.iter().map(|e| e.seq));
    }
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(seqs.len(), 85, "every new event handed on once");
}

/// Appends (through the group committer, on SQLite a thread with a connection of its own)
/// and writes of their own (tokens) run side by side: none meets the other's lock.
async fn writes_of_their_own_take_turns_with_the_group_commit(store: Store, _db: TestDatabase) {
    let mut tasks = Vec::new();
    for n in 0..120 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            if n % 4 == 0 {
                let (id, hash) = (format!("tok_{n}"), format!("hash_{n}"));
                store
                    .create_token(NewToken {
                        id: &id,
                        secret_hash: &hash,
                        kind: TokenKind::Api,
                        role: Role::Analyst,
                        label: "turns",
                        principal: None,
                        created_at: n,
                        expires_at: None,
                    })
                    .await
                    .map(|()| 0)
            } else {
                let e = event(
                    &format!("turn_{n}"),
                    "task.posted",
                    "2026-10-01T10:00:00Z",
                    "c1",
                    "US",
                );
                store.append_events(vec![e], n).await
            }
        }));
    }
    let mut appended = 0;
    for task in tasks {
        appended += task.await.unwrap().expect("every write succeeds");
    }
    assert_eq!(appended, 90);
    assert_eq!(store.count_events().await.unwrap(), 90);
    for n in (0..120).step_by(4) {
        let hash = format!("hash_{n}");
        assert!(store.token_by_secret_hash(&hash).await.unwrap().is_some());
    }
}

/// A batch decided again (after a crash, before its progress was stored) writes its effect
/// once and gives each subscriber one delivery of it.
async fn a_decided_batch_stored_twice_delivers_each_effect_once(store: Store, _db: TestDatabase) {
    use arbiter_store::{DecisionBatch, NewEffect, WebhookRecord};
    store
        .append_events(
            vec![event(
                "e_1",
                "task.posted",
                "2026-10-01T10:00:00Z",
                "c1",
                "US",
            )],
            1,
        )
        .await
        .unwrap();
    let seq = store.event_seq("e_1").await.unwrap().unwrap();
    store
        .create_webhook(&WebhookRecord {
            id: "wh_1".into(),
            url: "http://127.0.0.1:9/hook".into(),
            secret: "s".into(),
            topics: vec!["effects".into()],
            actions: Vec::new(),
            description: "all effects".into(),
            created_by: "ana".into(),
            created_at: 1,
            disabled_at: None,
        })
        .await
        .unwrap();
    let batch = |decided_at| DecisionBatch {
        decisions: Vec::new(),
        effects: vec![NewEffect {
            event_seq: seq,
            event_id: "e_1".into(),
            user_id: Some("c1".into()),
            action: "review".into(),
            detail: r#"{"type":"review","queue":"fraud"}"#.into(),
            rules: vec!["R-1".into()],
            ruleset_version: 1,
            created_at: decided_at,
        }],
        last_seq: seq,
        ruleset_version: 1,
    };
    for decided_at in [10, 20] {
        store
            .record_decisions(batch(decided_at))
            .await
            .unwrap()
            .await
            .unwrap();
    }
    let deliveries = store.deliveries("wh_1", None, 10).await.unwrap();
    assert_eq!(deliveries.len(), 1, "{deliveries:?}");
    assert_eq!(store.decider_progress().await.unwrap(), Some((seq, 1)));
}

/// Under a steady stream of single-event commits the WAL keeps rewinding: without it, each
/// commit's pages would be appended to an ever larger file.
#[tokio::test]
async fn a_steady_stream_of_commits_keeps_the_wal_small() {
    let db = TestDatabase::new(Backend::Sqlite).await.unwrap();
    let store = db.open().await;
    // A follower of the log, as the server's decider is, makes every commit a small one.
    let _follower = store.appended();
    let started = std::time::Instant::now();
    let mut n = 0;
    // The WAL rewinds at 32 MiB; without rewinding, these commits (about seven pages each)
    // grow it to some 170 MB.
    while n < 6_000 || started.elapsed() < std::time::Duration::from_millis(600) {
        let e = event(
            &format!("steady_{n}"),
            "task.posted",
            "2026-10-01T10:00:00Z",
            &format!("c{}", n % 97),
            "US",
        );
        store.append_events(vec![e], n).await.unwrap();
        n += 1;
    }
    let path = db.url.trim_start_matches("sqlite://").to_owned() + "-wal";
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(
        size < 48 * 1024 * 1024,
        "the WAL holds {size} bytes after {n} commits"
    );
}

/// Closing the store closes the group committer's connection too: the last connection to go
/// copies the WAL into the database file and removes it.
#[tokio::test]
async fn a_closed_store_leaves_the_database_file_complete() {
    let db = TestDatabase::new(Backend::Sqlite).await.unwrap();
    let store = db.open().await;
    let e = event("c_1", "task.posted", "2026-10-01T10:00:00Z", "c1", "US");
    assert_eq!(store.append_events(vec![e.clone()], 1).await.unwrap(), 1);
    store.close().await;
    let path = db.url.trim_start_matches("sqlite://").to_owned();
    assert!(
        !std::path::Path::new(&(path.clone() + "-wal")).exists(),
        "the WAL is gone"
    );
    assert!(matches!(
        store.append_events(vec![e], 2).await,
        Err(StoreError::Failed(_) | StoreError::Closed)
    ));
    let reopened = db.open().await;
    assert_eq!(reopened.count_events().await.unwrap(), 1);
}

/// A database in memory lives in one connection, so its group commits go through that
/// connection rather than a thread of their own; it behaves the same.
#[tokio::test]
async fn an_in_memory_database_stores_and_hands_on_events() {
    let store = Store::open("sqlite::memory:").await.unwrap();
    let mut follower = store.appended();
    let events: Vec<Event> = (0..3)
        .map(|i| {
            event(
                &format!("m_{i}"),
                "task.posted",
                "2026-10-01T10:00:00Z",
                "c1",
                "US",
            )
        })
        .collect();
    assert_eq!(store.append_events(events.clone(), 1).await.unwrap(), 3);
    assert_eq!(store.append_events(events, 2).await.unwrap(), 0);
    let handed_on = follower.recv().await.unwrap();
    assert_eq!(handed_on.len(), 3);
    assert_eq!(store.count_events().await.unwrap(), 3);
}

#[tokio::test]
async fn unsupported_urls_are_refused_with_the_accepted_forms() {
    let err = Store::open("mysql://localhost/x")
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("sqlite://PATH"));
}

/// A database written by a build that knew schema 4 (webhooks for effects only) opens with its
/// subscribers and their delivery log intact, subscribed to effects.
async fn a_schema_4_database_upgrades_keeping_its_webhook_deliveries(
    store: Store,
    db: TestDatabase,
) {
    use sqlx::Connection;
    store.close().await;
    let dir = match store.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let schema_4 = [
        ("0001_foundation", 1),
        ("0002_protect", 2),
        ("0003_effects", 3),
        ("0004_policy", 4),
    ];
    // A fresh database of its own, built to schema 4 by hand.
    let old = TestDatabase::new(store.backend()).await.unwrap();
    sqlx::any::install_default_drivers();
    let url = match store.backend() {
        Backend::Sqlite => format!("{}?mode=rwc", old.url),
        Backend::Postgres => old.url.clone(),
    };
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    sqlx::raw_sql(
        "CREATE TABLE arbiter_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    for (name, version) in schema_4 {
        let path = format!("{}/migrations/{dir}/{name}.sql", env!("CARGO_MANIFEST_DIR"));
        let sql = std::fs::read_to_string(path).unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "INSERT INTO arbiter_migrations VALUES ({version}, '{name}', 'then')"
        )))
        .execute(&mut conn)
        .await
        .unwrap();
    }
    sqlx::raw_sql(
        "INSERT INTO webhooks (id, url, secret, actions, description, created_by, created_at) \
         VALUES ('whk_old', 'http://127.0.0.1:9/hook', 'whsec_x', ',review,', 'case tool', 'admin', 1); \
         INSERT INTO effects (id, event_seq, event_id, user_id, action, detail, rules, ruleset_version, created_at) \
         VALUES (7, 1, 'm_1', 'k_1', 'review', '{\"type\":\"review\",\"queue\":\"q\"}', ',R1,', 1, 2); \
         INSERT INTO webhook_deliveries (webhook_id, effect_id, state, attempts, next_attempt_at, last_status, created_at, delivered_at) \
         VALUES ('whk_old', 7, 'delivered', 2, 3, 204, 2, 3);",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();

    let upgraded = old.open().await;
    let webhooks = upgraded.webhooks().await.unwrap();
    assert_eq!(webhooks.len(), 1);
    assert_eq!(webhooks[0].topics, vec!["effects".to_owned()]);
    assert_eq!(webhooks[0].actions, vec!["review".to_owned()]);
    let log = upgraded.deliveries("whk_old", None, 10).await.unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(
        (log[0].state.as_str(), log[0].attempts, log[0].last_status),
        ("delivered", 2, Some(204))
    );
    match &log[0].subject {
        arbiter_store::DeliverySubject::Effect(effect) => {
            assert_eq!((effect.id, effect.event_id.as_str()), (7, "m_1"))
        }
        other => panic!("an effect's delivery became {other:?}"),
    }
    upgraded.close().await;
    drop(db);
}

async fn new_token(store: &Store, id: &str, kind: TokenKind, principal: Option<&str>) {
    store
        .create_token(NewToken {
            id,
            secret_hash: &format!("hash-{id}"),
            kind,
            role: Role::PolicyEditor,
            label: "same label",
            principal,
            created_at: 10,
            expires_at: (kind == TokenKind::Session).then_some(1_000),
        })
        .await
        .unwrap();
}

async fn is_live(store: &Store, id: &str, now: i64) -> bool {
    store
        .token_by_secret_hash(&format!("hash-{id}"))
        .await
        .unwrap()
        .unwrap()
        .is_live(now)
}

/// A session names the account or token that made it, and ends with it.
async fn sessions_end_with_the_principal_that_made_them(store: Store, _db: TestDatabase) {
    new_token(&store, "tok_a", TokenKind::Api, None).await;
    new_token(&store, "tok_b", TokenKind::Api, None).await;
    new_token(&store, "tok_s1", TokenKind::Session, Some("token:tok_a")).await;
    new_token(&store, "tok_s2", TokenKind::Session, Some("token:tok_b")).await;
    let a = store
        .token_by_secret_hash("hash-tok_a")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        a.principal, "token:tok_a",
        "an API token is its own principal"
    );
    let s1 = store
        .token_by_secret_hash("hash-tok_s1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s1.principal, "token:tok_a");
    assert!(store.principal_is_live("token:tok_a", 20).await.unwrap());
    assert!(
        !store.principal_is_live("token:tok_s1", 20).await.unwrap(),
        "a session is no principal of its own"
    );
    assert_eq!(
        store.live_sessions("token:tok_a", 20).await.unwrap().len(),
        1
    );

    // Two tokens with one label are two principals: revoking one ends only its sessions.
    assert!(store.revoke_token("tok_a", 30).await.unwrap());
    assert!(!is_live(&store, "tok_s1", 31).await);
    assert!(is_live(&store, "tok_s2", 31).await);
    assert!(!store.principal_is_live("token:tok_a", 31).await.unwrap());
    assert!(store.principal_is_live("token:tok_b", 31).await.unwrap());
    assert!(
        store
            .live_sessions("token:tok_a", 31)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(!store.principal_is_live("nobody", 31).await.unwrap());
}

async fn staff_accounts_are_disabled_enabled_and_reset(store: Store, _db: TestDatabase) {
    for name in ["ana", "bob"] {
        store
            .create_staff_user(
                &StaffUser {
                    username: name.into(),
                    password_hash: "old-hash".into(),
                    role: Role::Agent,
                },
                1,
            )
            .await
            .unwrap();
    }
    new_token(&store, "tok_1", TokenKind::Session, Some("user:ana")).await;
    new_token(&store, "tok_2", TokenKind::Session, Some("user:ana")).await;
    new_token(&store, "tok_3", TokenKind::Session, Some("user:bob")).await;
    let accounts = store.staff_accounts(20).await.unwrap();
    assert_eq!(
        accounts
            .iter()
            .map(|a| (a.username.as_str(), a.live_sessions, a.disabled_at))
            .collect::<Vec<_>>(),
        vec![("ana", 2, None), ("bob", 1, None)]
    );
    assert!(store.principal_is_live("user:ana", 20).await.unwrap());

    assert!(store.set_staff_disabled("ana", true, 30).await.unwrap());
    assert!(!store.principal_is_live("user:ana", 31).await.unwrap());
    assert!(!is_live(&store, "tok_1", 31).await && !is_live(&store, "tok_2", 31).await);
    assert!(is_live(&store, "tok_3", 31).await, "only her sessions end");
    let ana = store.staff_account("ana", 31).await.unwrap().unwrap();
    assert_eq!((ana.disabled_at, ana.live_sessions), (Some(30), 0));
    assert!(store.set_staff_disabled("ana", false, 40).await.unwrap());
    assert!(store.principal_is_live("user:ana", 41).await.unwrap());
    assert!(!store.set_staff_disabled("nobody", true, 40).await.unwrap());

    assert!(
        store
            .set_staff_password("bob", "new-hash", 50)
            .await
            .unwrap()
    );
    let bob = store.staff_account("bob", 51).await.unwrap().unwrap();
    assert_eq!(
        (bob.password_hash.as_str(), bob.live_sessions),
        ("new-hash", 0)
    );
    assert!(!is_live(&store, "tok_3", 51).await);
    assert!(!store.set_staff_password("nobody", "x", 50).await.unwrap());
    assert_eq!(store.end_sessions("user:bob", 60).await.unwrap(), 0);
}

async fn sign_ins_are_audited_and_failures_counted_since_the_last_success(
    store: Store,
    _db: TestDatabase,
) {
    let attempt = |at: i64, username: Option<&str>, address: &str, outcome: &str| SignInRecord {
        at,
        method: if username.is_some() {
            "password"
        } else {
            "token"
        }
        .into(),
        username: username.map(str::to_owned),
        principal: (outcome == "signed_in").then(|| format!("user:{}", username.unwrap_or("?"))),
        address: address.into(),
        outcome: outcome.into(),
    };
    let attempts = [
        attempt(10, Some("ana"), "10.0.0.1", "wrong_credentials"),
        attempt(20, Some("ana"), "10.0.0.1", "signed_in"),
        attempt(30, Some("ana"), "10.0.0.2", "wrong_credentials"),
        attempt(40, Some("ana"), "10.0.0.2", "wrong_credentials"),
        attempt(50, Some("bob"), "10.0.0.2", "wrong_credentials"),
        attempt(60, None, "10.0.0.2", "wrong_credentials"),
        attempt(70, Some("ana"), "10.0.0.2", "locked"),
    ];
    for a in &attempts {
        store.record_sign_in(a).await.unwrap();
    }
    let listed = store.sign_ins(100).await.unwrap();
    assert_eq!(listed.len(), 7);
    assert_eq!(listed[0], attempts[6], "newest first");
    assert_eq!(listed[5].principal.as_deref(), Some("user:ana"));
    assert_eq!(store.sign_ins(2).await.unwrap().len(), 2);
    // Failures of an account count after its last success; refusals are not failures.
    assert_eq!(
        store.failed_sign_ins_of_user("ana", 0, 10).await.unwrap(),
        vec![40, 30]
    );
    assert_eq!(
        store.failed_sign_ins_of_user("ana", 35, 10).await.unwrap(),
        vec![40]
    );
    assert_eq!(
        store.failed_sign_ins_of_user("bob", 0, 10).await.unwrap(),
        vec![50]
    );
    assert!(
        store
            .failed_sign_ins_of_user("cy", 0, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .last_sign_in("10.0.0.2", Some("ana"), "wrong_credentials")
            .await
            .unwrap(),
        Some(40)
    );
    assert_eq!(
        store
            .last_sign_in("10.0.0.2", None, "wrong_credentials")
            .await
            .unwrap(),
        Some(60)
    );
    assert_eq!(
        store
            .last_sign_in("10.0.0.9", None, "locked")
            .await
            .unwrap(),
        None
    );
    // An address's failures count across usernames and tokens.
    assert_eq!(
        store.failed_sign_ins_from("10.0.0.2", 0, 10).await.unwrap(),
        vec![60, 50, 40, 30]
    );
    assert_eq!(
        store.failed_sign_ins_from("10.0.0.2", 0, 2).await.unwrap(),
        vec![60, 50]
    );
}

/// Labels stored before principals existed are read as the principals they stood for.
async fn a_schema_7_database_names_principals_for_its_labels(store: Store, db: TestDatabase) {
    use sqlx::Connection;
    store.close().await;
    let dir = match store.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let old = TestDatabase::new(store.backend()).await.unwrap();
    sqlx::any::install_default_drivers();
    let url = match store.backend() {
        Backend::Sqlite => format!("{}?mode=rwc", old.url),
        Backend::Postgres => old.url.clone(),
    };
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    sqlx::raw_sql(
        "CREATE TABLE arbiter_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let schema_7 = [
        "0001_foundation",
        "0002_protect",
        "0003_effects",
        "0004_policy",
        "0005_webhook_topics",
        "0006_cases",
        "0007_deliveries_by_effect",
    ];
    for (n, name) in schema_7.iter().enumerate() {
        let path = format!("{}/migrations/{dir}/{name}.sql", env!("CARGO_MANIFEST_DIR"));
        let sql = std::fs::read_to_string(path).unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "INSERT INTO arbiter_migrations VALUES ({}, '{name}', 'then')",
            n + 1
        )))
        .execute(&mut conn)
        .await
        .unwrap();
    }
    sqlx::raw_sql(
        "INSERT INTO staff_users (username, password_hash, role, created_at) VALUES ('petra', 'h', 'policy_editor', 1); \
         INSERT INTO access_tokens (id, secret_hash, kind, role, label, created_at) VALUES \
             ('tok_ann', 'h1', 'api', 'policy_editor', 'ann', 1), \
             ('tok_t1', 'h2', 'api', 'policy_editor', 'team', 1), \
             ('tok_t2', 'h3', 'api', 'policy_editor', 'team', 1); \
         INSERT INTO access_tokens (id, secret_hash, kind, role, label, created_at, expires_at) VALUES \
             ('tok_s1', 'h4', 'session', 'policy_editor', 'token tok_ann', 1, 99999999999999), \
             ('tok_s2', 'h5', 'session', 'policy_editor', 'petra', 1, 99999999999999); \
         INSERT INTO policy_versions (document_id, version, source, status, author, reviewed_by, summary, created_at) VALUES \
             ('POL-A', 1, 'x', 'draft', 'token tok_ann', NULL, 's', 1), \
             ('POL-A', 2, 'y', 'published', 'petra', 'ann', 's', 2), \
             ('POL-A', 3, 'z', 'draft', 'team', NULL, 's', 3);",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();

    let upgraded = old.open().await;
    let principal = |hash: &'static str| {
        let upgraded = upgraded.clone();
        async move {
            upgraded
                .token_by_secret_hash(hash)
                .await
                .unwrap()
                .unwrap()
                .principal
        }
    };
    assert_eq!(principal("h1").await, "token:tok_ann");
    assert_eq!(principal("h4").await, "token:tok_ann");
    assert_eq!(principal("h5").await, "user:petra");
    let versions = upgraded.policy_versions("POL-A").await.unwrap();
    let principals: Vec<(&str, Option<&str>)> = versions
        .iter()
        .map(|v| (v.author_principal.as_str(), v.reviewer_principal.as_deref()))
        .collect();
    assert_eq!(
        principals,
        vec![
            ("token:tok_ann", None),
            // A username, and the one token labelled `ann`.
            ("user:petra", Some("token:tok_ann")),
            // A label two tokens share names neither of them.
            ("user:team", None),
        ]
    );
    assert_eq!(versions[1].author, "petra", "names are kept as shown");
    upgraded.close().await;
    drop(db);
}

/// A second filing links to a case of its Task and type only while that case is open, and the
/// queues count exactly those cases: one definition of "open", the domain's.
async fn links_and_queue_counts_agree_on_which_cases_are_open(store: Store, _db: TestDatabase) {
    use arbiter_resolve::State;
    use arbiter_store::{CaseAdditions, CaseRecord, Intake};
    // A case on Task `t_STATE` in each state, due at 100.
    let filing = |task_state: State, state: State| {
        let case = CaseRecord {
            case_type: "fraud".into(),
            state: state.as_str().into(),
            priority: "normal".into(),
            queue: "trust".into(),
            market: "US".into(),
            currency: "USD".into(),
            intake_key: Some(format!("t_{task_state}:fraud")),
            source: "event".into(),
            summary: "s".into(),
            playbook_version: 1,
            resolution_due: 100,
            version: 1,
            ..CaseRecord::default()
        };
        [(case, CaseAdditions::default())]
    };
    for &state in State::ALL {
        let taken = store
            .intake_cases(&filing(state, state), None, 1)
            .await
            .unwrap();
        assert!(matches!(taken[0], Intake::Opened(_)), "{state}");
    }
    // A second filing on each Task: linked while its case is open, else a case of its own.
    for &state in State::ALL {
        let taken = store
            .intake_cases(&filing(state, State::New), None, 2)
            .await
            .unwrap();
        assert_eq!(
            matches!(taken[0], Intake::Linked(_)),
            state.is_open(),
            "a second filing on a {state} case"
        );
    }
    let open = State::open_states().count() as i64;
    let opened_again = State::ALL.len() as i64 - open;
    assert_eq!(
        store.queue_counts(50).await.unwrap(),
        vec![("trust".to_owned(), open + opened_again, 0)],
        "every open case, none overdue before its deadline"
    );
    assert_eq!(
        store.queue_counts(101).await.unwrap(),
        vec![("trust".to_owned(), open + opened_again, open + opened_again)]
    );
}
