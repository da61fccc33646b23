//! What the lifecycle tests share: the built-in configuration, a claim opened by intake at a
//! fixed time, the starter library, and a ledger that grows as changes are stored.

#![allow(dead_code)]

use arbiter_model::{Currency, Micros, Money};
use arbiter_resolve::{
    Case, CaseType, Change, ChangedBy, ClaimDetails, Config, Entry, LogFacts, Opening, Parties,
    Priority, Screening, Source, ops,
};

pub const HOUR: Micros = 3_600_000_000;
pub const DAY: Micros = 24 * HOUR;
/// 2026-10-03T00:00:00Z.
pub const T0: Micros = 1_790_985_600_000_000;

/// The built-in configuration, parsed once.
pub fn config() -> &'static Config {
    static CONFIG: std::sync::LazyLock<Config> = std::sync::LazyLock::new(Config::default_config);
    &CONFIG
}

pub fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::parse("USD").unwrap())
}

pub fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::parse("EUR").unwrap())
}

pub fn staff() -> ChangedBy {
    ChangedBy::Staff("user:ana".into())
}

/// Screened by the rules and clean, booked on the platform, a claimant with no violation.
pub fn clean_log() -> LogFacts {
    LogFacts {
        screening: Screening::Screened {
            flagged: false,
            risk_score: 0,
        },
        claimant_violations: Some(Vec::new()),
        other_violations: Vec::new(),
        booked_on_platform: true,
    }
}

/// A claim filed by Client `u_1` against Tasker `u_2` on Task `t_1` in the US.
pub fn claim_opening(case_type: CaseType, claimed: Money) -> Opening {
    Opening {
        case_type,
        priority: Priority::Normal,
        market: "US".into(),
        parties: Parties {
            claimant: Some("u_1".into()),
            client: Some("u_1".into()),
            tasker: Some("u_2".into()),
        },
        task_id: Some("t_1".into()),
        claimed: Some(claimed),
        claim: ClaimDetails {
            incident_at: Some(T0 - DAY),
            items: vec!["furniture".into()],
        },
        summary: "A broken table".into(),
        source: Source::Event,
        source_ref: Some("evt_1".into()),
        opened_at: T0,
        events: vec!["evt_1".into()],
        log: clean_log(),
    }
}

/// A case and its ledger as the store would hold them after each change.
#[derive(Debug, Clone)]
pub struct Stored {
    pub case: Case,
    pub ledger: Vec<Entry>,
    pub changes: Vec<Change>,
}

impl Stored {
    pub fn new(case: Case, change: Change) -> Stored {
        let mut stored = Stored {
            case: Case { number: 1, ..case },
            ledger: Vec::new(),
            changes: Vec::new(),
        };
        stored.append(change);
        stored
    }

    /// Stores an operation's result: the case, and its entries numbered on.
    pub fn apply(&mut self, (case, change): (Case, Change)) {
        self.case = Case {
            version: self.case.version + 1,
            ..case
        };
        self.append(change);
    }

    fn append(&mut self, change: Change) {
        for e in &change.ledger {
            let id = self.ledger.len() as i64 + 1;
            self.ledger.push(Entry {
                id,
                kind: e.kind,
                counterparty: e.counterparty,
                amount: e.amount,
                reverses: e.reverses,
            });
        }
        self.changes.push(change);
    }

    pub fn context<'a>(&'a self, config: &'a Config) -> ops::CaseContext<'a> {
        ops::CaseContext {
            config,
            ledger: &self.ledger,
        }
    }
}

/// A claim of `claimed` opened by intake and left to a person (over the automatic limits).
pub fn open_claim(config: &Config, claimed: Money) -> Stored {
    let opened = ops::open(
        config,
        claim_opening(CaseType::PropertyDamageClaim, claimed),
        &ChangedBy::Intake,
    )
    .unwrap();
    Stored::new(opened.0, opened.1)
}

/// The starter policy library, checked once.
pub fn library() -> &'static [arbiter_policy::Document] {
    static LIBRARY: std::sync::LazyLock<Vec<arbiter_policy::Document>> =
        std::sync::LazyLock::new(|| {
            let files: Vec<(String, String)> = arbiter_policy::STARTER_LIBRARY
                .iter()
                .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
                .collect();
            arbiter_policy::check_library(&files, &[]).unwrap()
        });
    &LIBRARY
}
