//! Cases of the resolution center and what hangs off them: links to events, the audit trail,
//! decisions, the loss ledger and messages. The case row is the only thing ever updated, and
//! only by a writer that names the version it read; everything else is appended.

use crate::{Store, StoreError, framed, unframed};
use arbiter_model::Micros;
use sqlx::Row;
use sqlx::any::AnyRow;

/// A case as stored: the domain's own stored form, which `arbiter_resolve::Case::parse` reads.
pub use arbiter_resolve::CaseRecord;

/// One change in the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAudit {
    pub actor: String,
    /// `person`, `rule`, `automation` or `system`.
    pub actor_kind: String,
    pub action: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: i64,
    pub case_number: i64,
    pub at: Micros,
    pub entry: NewAudit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCaseDecision {
    pub outcome: String,
    pub amount_minor: Option<i64>,
    pub currency: String,
    pub clauses: Vec<String>,
    pub text: String,
    pub decided_by: String,
    pub automated: bool,
    pub playbook_version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseDecisionRecord {
    pub id: i64,
    pub case_number: i64,
    pub decided_at: Micros,
    pub decision: NewCaseDecision,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLedgerEntry {
    pub kind: String,
    pub counterparty: String,
    pub amount_minor: i64,
    pub currency: String,
    pub market: String,
    pub reverses: Option<i64>,
    pub override_reason: Option<String>,
    pub note: String,
    pub recorded_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRecord {
    pub id: i64,
    pub case_number: i64,
    pub recorded_at: Micros,
    pub entry: NewLedgerEntry,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// `out` to a party, `in` from one.
    pub direction: String,
    /// `client` or `tasker`.
    pub party: String,
    pub recipient: Option<String>,
    pub locale: String,
    pub template: Option<String>,
    pub body: String,
    pub sent_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    pub id: i64,
    pub case_number: i64,
    pub at: Micros,
    pub message: NewMessage,
}

/// An evidence file to store, already checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvidence {
    pub filename: String,
    pub content_type: String,
    pub sha256: String,
    pub data: Vec<u8>,
    pub uploaded_by: String,
}

/// A stored evidence file, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceRecord {
    pub id: i64,
    pub case_number: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: Micros,
}

/// What a change appends beside the case row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseAdditions {
    pub audit: Vec<NewAudit>,
    pub evidence: Vec<NewEvidence>,
    pub decision: Option<NewCaseDecision>,
    pub ledger: Vec<NewLedgerEntry>,
    pub messages: Vec<NewMessage>,
    /// Event ids to link.
    pub events: Vec<String>,
}

/// What intake did with a case it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intake {
    Opened(i64),
    /// An open case with the same intake key took it.
    Linked(i64),
}

/// Which cases to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseFilter {
    pub queue: Option<String>,
    /// Any of these states; every state when empty.
    pub states: Vec<arbiter_resolve::State>,
    pub case_type: Option<arbiter_resolve::CaseType>,
    pub market: Option<String>,
    pub priority: Option<arbiter_resolve::Priority>,
    pub assignee: Option<String>,
    /// Only cases nobody is assigned to.
    pub unassigned: bool,
    pub party: Option<String>,
    /// Open cases whose resolution deadline is before this time.
    pub due_before: Option<Micros>,
}

/// The one SQL condition for a case still needing work, from the domain's definition
/// ([`arbiter_resolve::State::open_states`]): intake links to such a case and the queues count
/// them, so both always mean the same cases. The names are the vocabulary's own, never input.
fn open_condition() -> String {
    let names: Vec<String> = arbiter_resolve::State::open_states()
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    format!("state IN ({})", names.join(", "))
}

const CASE_COLUMNS: &str = "number, case_type, state, priority, queue, assignee, market, currency, claimant_id, client_id, tasker_id, task_id, intake_key, source, source_ref, claimed_minor, risk_score, eligibility, summary, playbook_version, steps_done, opened_at, first_response_due, resolution_due, first_response_at, resolved_at, closed_at, reopened, touches, automated, version, updated_at";

type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

impl Store {
    /// Opens cases, or links each to the open case with its intake key, and records how far
    /// intake has read the log, in one transaction: a crash repeats the batch, never half of it.
    pub async fn intake_cases(
        &self,
        cases: &[(CaseRecord, CaseAdditions)],
        last_seq: Option<i64>,
        now: Micros,
    ) -> Result<Vec<Intake>, StoreError> {
        self.intake_dated(cases, last_seq, now, false).await
    }

    /// [`Store::intake_cases`] for a history taken in after the fact (a demo, a replay): what
    /// intake records for a case (its opening, an automatic decision and its ledger entries, a
    /// link) is dated when the case opened, the time of its event, never later than `now`, so
    /// its timeline reads in the order things happened.
    pub async fn intake_history(
        &self,
        cases: &[(CaseRecord, CaseAdditions)],
        last_seq: Option<i64>,
        now: Micros,
    ) -> Result<Vec<Intake>, StoreError> {
        self.intake_dated(cases, last_seq, now, true).await
    }

    async fn intake_dated(
        &self,
        cases: &[(CaseRecord, CaseAdditions)],
        last_seq: Option<i64>,
        now: Micros,
        at_opening: bool,
    ) -> Result<Vec<Intake>, StoreError> {
        let mut writer = self.writer().await?;
        let mut tx = sqlx::Connection::begin(writer.conn()).await?;
        let mut done = Vec::with_capacity(cases.len());
        for (case, additions) in cases {
            let at = if at_opening {
                case.opened_at.min(now)
            } else {
                now
            };
            done.push(self.intake_one(&mut tx, case, additions, at).await?);
        }
        if let Some(seq) = last_seq {
            sqlx::query(
                "INSERT INTO intake_progress (id, last_seq) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET last_seq = excluded.last_seq",
            )
            .bind(seq)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    async fn intake_one(
        &self,
        tx: &mut Tx<'_>,
        case: &CaseRecord,
        additions: &CaseAdditions,
        now: Micros,
    ) -> Result<Intake, StoreError> {
        // An event already linked to a case of this type was taken in before (a repeated
        // batch). One event may open cases of several types: a claim, and the fraud case a
        // rule opens on it.
        for event in &additions.events {
            let sql = format!(
                "SELECT l.case_number FROM case_links l JOIN cases c ON c.number = l.case_number \
                 WHERE l.kind = 'event' AND l.ref = {} AND c.case_type = {}",
                crate::placeholder(self.backend, 1),
                crate::placeholder(self.backend, 2)
            );
            if let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(event.as_str())
                .bind(case.case_type.as_str())
                .fetch_optional(&mut **tx)
                .await?
            {
                return Ok(Intake::Linked(row.try_get(0)?));
            }
        }
        if let Some(key) = &case.intake_key {
            let sql = format!(
                "SELECT number, version FROM cases WHERE intake_key = {} AND {} ORDER BY number LIMIT 1",
                self.placeholders(1),
                open_condition()
            );
            if let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(key.as_str())
                .fetch_optional(&mut **tx)
                .await?
            {
                let number: i64 = row.try_get(0)?;
                let version: i64 = row.try_get(1)?;
                let linked = CaseAdditions {
                    audit: additions
                        .audit
                        .iter()
                        .map(|a| NewAudit {
                            action: "linked".into(),
                            before: None,
                            after: None,
                            ..a.clone()
                        })
                        .take(1)
                        .collect(),
                    events: additions.events.clone(),
                    ..CaseAdditions::default()
                };
                let sql = format!(
                    "UPDATE cases SET version = version + 1, updated_at = {} WHERE number = {} AND version = {}",
                    crate::placeholder(self.backend, 1),
                    crate::placeholder(self.backend, 2),
                    crate::placeholder(self.backend, 3)
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(now)
                    .bind(number)
                    .bind(version)
                    .execute(&mut **tx)
                    .await?;
                self.append(tx, number, &linked, now).await?;
                return Ok(Intake::Linked(number));
            }
        }
        let sql = format!(
            "INSERT INTO cases ({}) VALUES ({}) RETURNING number",
            &CASE_COLUMNS["number, ".len()..],
            self.placeholders(31)
        );
        let row = bind_case(sqlx::query(sqlx::AssertSqlSafe(sql)), case, now)
            .fetch_one(&mut **tx)
            .await?;
        let number: i64 = row.try_get(0)?;
        self.append(tx, number, additions, now).await?;
        Ok(Intake::Opened(number))
    }

    /// Writes `case` over the stored row if nobody changed it since it was read at
    /// `read_version`, and appends `additions`. Answers the new version; a case changed in the
    /// meantime is refused with [`StoreError::Stale`] and nothing is written.
    pub async fn save_case(
        &self,
        case: &CaseRecord,
        read_version: i64,
        additions: &CaseAdditions,
        now: Micros,
    ) -> Result<i64, StoreError> {
        let mut writer = self.writer().await?;
        let mut tx = sqlx::Connection::begin(writer.conn()).await?;
        let assignments: Vec<String> = CASE_COLUMNS["number, ".len()..]
            .split(", ")
            .enumerate()
            .map(|(i, column)| format!("{column} = {}", crate::placeholder(self.backend, i + 1)))
            .collect();
        let sql = format!(
            "UPDATE cases SET {} WHERE number = {} AND version = {}",
            assignments.join(", "),
            crate::placeholder(self.backend, 32),
            crate::placeholder(self.backend, 33)
        );
        let mut stored = case.clone();
        stored.version = read_version + 1;
        let changed = bind_case(sqlx::query(sqlx::AssertSqlSafe(sql)), &stored, now)
            .bind(case.number)
            .bind(read_version)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed == 0 {
            let sql = format!(
                "SELECT version FROM cases WHERE number = {}",
                self.placeholders(1)
            );
            let current: Option<i64> = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(case.number)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.try_get(0))
                .transpose()?;
            return Err(match current {
                Some(v) => StoreError::Stale(format!(
                    "case {} changed since it was read (version {read_version}, now {v}): reload it and try again",
                    case.number
                )),
                None => StoreError::Failed(format!("there is no case {}", case.number)),
            });
        }
        self.append(&mut tx, case.number, additions, now).await?;
        tx.commit().await?;
        Ok(stored.version)
    }

    async fn append(
        &self,
        tx: &mut Tx<'_>,
        number: i64,
        additions: &CaseAdditions,
        now: Micros,
    ) -> Result<(), StoreError> {
        for event in &additions.events {
            let sql = format!(
                "INSERT INTO case_links (case_number, kind, ref, added_at) VALUES ({}) ON CONFLICT DO NOTHING",
                self.placeholders(4)
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(number)
                .bind("event")
                .bind(event.as_str())
                .bind(now)
                .execute(&mut **tx)
                .await?;
        }
        for audit in &additions.audit {
            let sql = format!(
                "INSERT INTO case_audit (case_number, at, actor, actor_kind, action, before, after, note) VALUES ({})",
                self.placeholders(8)
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(number)
                .bind(now)
                .bind(audit.actor.as_str())
                .bind(audit.actor_kind.as_str())
                .bind(audit.action.as_str())
                .bind(audit.before.as_deref())
                .bind(audit.after.as_deref())
                .bind(audit.note.as_str())
                .execute(&mut **tx)
                .await?;
        }
        if let Some(d) = &additions.decision {
            let sql = format!(
                "INSERT INTO case_decisions (case_number, outcome, amount_minor, currency, clauses, text, decided_by, automated, playbook_version, decided_at) VALUES ({})",
                self.placeholders(10)
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(number)
                .bind(d.outcome.as_str())
                .bind(d.amount_minor)
                .bind(d.currency.as_str())
                .bind(d.clauses.join("\n"))
                .bind(d.text.as_str())
                .bind(d.decided_by.as_str())
                .bind(i64::from(d.automated))
                .bind(d.playbook_version)
                .bind(now)
                .execute(&mut **tx)
                .await?;
        }
        for e in &additions.ledger {
            let sql = format!(
                "INSERT INTO ledger_entries (case_number, kind, counterparty, amount_minor, currency, market, reverses, override_reason, note, recorded_by, recorded_at) VALUES ({})",
                self.placeholders(11)
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(number)
                .bind(e.kind.as_str())
                .bind(e.counterparty.as_str())
                .bind(e.amount_minor)
                .bind(e.currency.as_str())
                .bind(e.market.as_str())
                .bind(e.reverses)
                .bind(e.override_reason.as_deref())
                .bind(e.note.as_str())
                .bind(e.recorded_by.as_str())
                .bind(now)
                .execute(&mut **tx)
                .await?;
        }
        for file in &additions.evidence {
            let sql = format!(
                "INSERT INTO case_evidence (case_number, filename, content_type, size, sha256, data, uploaded_by, uploaded_at) VALUES ({})",
                self.placeholders(8)
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(number)
                .bind(file.filename.as_str())
                .bind(file.content_type.as_str())
                .bind(file.data.len() as i64)
                .bind(file.sha256.as_str())
                .bind(file.data.clone())
                .bind(file.uploaded_by.as_str())
                .bind(now)
                .execute(&mut **tx)
                .await?;
        }
        for m in &additions.messages {
            let sql = format!(
                "INSERT INTO case_messages (case_number, direction, party, recipient, locale, template, body, sent_by, at) VALUES ({}) RETURNING id",
                self.placeholders(9)
            );
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(number)
                .bind(m.direction.as_str())
                .bind(m.party.as_str())
                .bind(m.recipient.as_deref())
                .bind(m.locale.as_str())
                .bind(m.template.as_deref())
                .bind(m.body.as_str())
                .bind(m.sent_by.as_str())
                .bind(now)
                .fetch_one(&mut **tx)
                .await?;
            let id: i64 = row.try_get(0)?;
            if m.direction == "out" {
                // The marketplace delivers it: one webhook delivery per subscriber, in this
                // transaction, so an acknowledged message is never lost.
                let sql = format!(
                    "INSERT INTO webhook_deliveries (webhook_id, message_id, state, attempts, next_attempt_at, created_at) \
                     SELECT id, {}, 'pending', 0, {}, {} FROM webhooks \
                     WHERE disabled_at IS NULL AND topics LIKE '%,case_messages,%'",
                    crate::placeholder(self.backend, 1),
                    crate::placeholder(self.backend, 2),
                    crate::placeholder(self.backend, 3)
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(id)
                    .bind(now)
                    .bind(now)
                    .execute(&mut **tx)
                    .await?;
            }
        }
        Ok(())
    }

    pub async fn case(&self, number: i64) -> Result<Option<CaseRecord>, StoreError> {
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE number = {}",
            self.placeholders(1)
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(number)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(case_record).transpose()
    }

    /// Cases matching `filter`, most urgent first (resolution deadline, then number), a page
    /// at a time after `(due, number)` of the previous page's last case.
    /// At most [`crate::MAX_PAGE`] + 1: a page and the row that tells another follows.
    pub async fn list_cases(
        &self,
        filter: &CaseFilter,
        after: Option<(Micros, i64)>,
        limit: u32,
    ) -> Result<Vec<CaseRecord>, StoreError> {
        let mut clauses: Vec<String> = Vec::new();
        let mut texts: Vec<String> = Vec::new();
        let mut n = 0;
        let mut next = |backend| {
            n += 1;
            crate::placeholder(backend, n)
        };
        let b = self.backend;
        for (column, value) in [
            ("queue", filter.queue.as_deref()),
            ("case_type", filter.case_type.map(|t| t.as_str())),
            ("market", filter.market.as_deref()),
            ("priority", filter.priority.map(|p| p.as_str())),
            ("assignee", filter.assignee.as_deref()),
        ] {
            if let Some(value) = value {
                clauses.push(format!("{column} = {}", next(b)));
                texts.push(value.to_owned());
            }
        }
        if let Some(party) = &filter.party {
            let (p1, p2, p3) = (next(b), next(b), next(b));
            clauses.push(format!(
                "(claimant_id = {p1} OR client_id = {p2} OR tasker_id = {p3})"
            ));
            texts.extend([party.clone(), party.clone(), party.clone()]);
        }
        if !filter.states.is_empty() {
            let marks: Vec<String> = filter.states.iter().map(|_| next(b)).collect();
            clauses.push(format!("state IN ({})", marks.join(", ")));
            texts.extend(filter.states.iter().map(|s| s.as_str().to_owned()));
        }
        if filter.unassigned {
            clauses.push("assignee IS NULL".into());
        }
        let mut numbers: Vec<i64> = Vec::new();
        if let Some(due) = filter.due_before {
            clauses.push(format!("resolution_due < {}", next(b)));
            numbers.push(due);
        }
        if let Some((due, number)) = after {
            let (p1, p2, p3) = (next(b), next(b), next(b));
            clauses.push(format!(
                "(resolution_due > {p1} OR (resolution_due = {p2} AND number > {p3}))"
            ));
            numbers.extend([due, due, number]);
        }
        let filter_sql = if clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", clauses.join(" AND "))
        };
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases{filter_sql} ORDER BY resolution_due, number LIMIT {}",
            limit.clamp(1, crate::MAX_PAGE + 1)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for text in texts {
            query = query.bind(text);
        }
        for number in numbers {
            query = query.bind(number);
        }
        let rows = query.fetch_all(&self.reader).await?;
        rows.iter().map(case_record).collect()
    }

    /// How many open cases each queue holds, and how many of them are past their resolution
    /// deadline (for an open case, the same as [`arbiter_resolve::Case::breaches`]).
    pub async fn queue_counts(&self, now: Micros) -> Result<Vec<(String, i64, i64)>, StoreError> {
        let sql = format!(
            "SELECT queue, COUNT(*), SUM(CASE WHEN resolution_due < {} THEN 1 ELSE 0 END) FROM cases \
             WHERE {} GROUP BY queue ORDER BY queue",
            self.placeholders(1),
            open_condition()
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now)
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get(0)?,
                    r.try_get(1)?,
                    r.try_get::<Option<i64>, _>(2)?.unwrap_or(0),
                ))
            })
            .collect()
    }

    pub async fn case_audit(&self, number: i64) -> Result<Vec<AuditRecord>, StoreError> {
        let sql = format!(
            "SELECT id, case_number, at, actor, actor_kind, action, before, after, note FROM case_audit WHERE case_number = {} ORDER BY id",
            self.placeholders(1)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(number)
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditRecord {
                    id: r.try_get(0)?,
                    case_number: r.try_get(1)?,
                    at: r.try_get(2)?,
                    entry: NewAudit {
                        actor: r.try_get(3)?,
                        actor_kind: r.try_get(4)?,
                        action: r.try_get(5)?,
                        before: r.try_get(6)?,
                        after: r.try_get(7)?,
                        note: r.try_get(8)?,
                    },
                })
            })
            .collect()
    }

    pub async fn case_decisions(&self, number: i64) -> Result<Vec<CaseDecisionRecord>, StoreError> {
        let sql = format!(
            "SELECT id, case_number, outcome, amount_minor, currency, clauses, text, decided_by, automated, playbook_version, decided_at \
             FROM case_decisions WHERE case_number = {} ORDER BY id",
            self.placeholders(1)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(number)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(decision_record).collect()
    }

    pub async fn ledger(&self, number: i64) -> Result<Vec<LedgerRecord>, StoreError> {
        let sql = format!(
            "SELECT id, case_number, kind, counterparty, amount_minor, currency, market, reverses, override_reason, note, recorded_by, recorded_at \
             FROM ledger_entries WHERE case_number = {} ORDER BY id",
            self.placeholders(1)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(number)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(ledger_record).collect()
    }

    /// Every ledger entry recorded in `[from, to)`, of every case, oldest first, each reversal
    /// with the kind of the entry it undoes: what totals by market, currency and month are
    /// added up from.
    pub async fn ledger_entries_between(
        &self,
        from: Micros,
        to: Micros,
    ) -> Result<Vec<(LedgerRecord, Option<String>)>, StoreError> {
        let sql = format!(
            "SELECT l.id, l.case_number, l.kind, l.counterparty, l.amount_minor, l.currency, l.market, l.reverses, \
             l.override_reason, l.note, l.recorded_by, l.recorded_at, o.kind AS reversed_kind \
             FROM ledger_entries l LEFT JOIN ledger_entries o ON o.id = l.reverses \
             WHERE l.recorded_at >= {} AND l.recorded_at < {} ORDER BY l.id",
            crate::placeholder(self.backend, 1),
            crate::placeholder(self.backend, 2)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(from)
            .bind(to)
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|r| Ok((ledger_record(r)?, r.try_get("reversed_kind")?)))
            .collect()
    }

    pub async fn case_messages(&self, number: i64) -> Result<Vec<MessageRecord>, StoreError> {
        let sql = format!(
            "SELECT id, case_number, direction, party, recipient, locale, template, body, sent_by, at \
             FROM case_messages WHERE case_number = {} ORDER BY id",
            self.placeholders(1)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(number)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(message_record).collect()
    }

    /// The evidence files of a case, oldest first, without their bytes.
    pub async fn case_evidence(&self, number: i64) -> Result<Vec<EvidenceRecord>, StoreError> {
        let sql = format!(
            "SELECT id, case_number, filename, content_type, size, sha256, uploaded_by, uploaded_at FROM case_evidence WHERE case_number = {} ORDER BY id",
            self.placeholders(1)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(number)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(evidence_record).collect()
    }

    /// One evidence file of a case, with its bytes.
    pub async fn evidence_file(
        &self,
        number: i64,
        id: i64,
    ) -> Result<Option<(EvidenceRecord, Vec<u8>)>, StoreError> {
        let sql = format!(
            "SELECT id, case_number, filename, content_type, size, sha256, uploaded_by, uploaded_at, data FROM case_evidence WHERE case_number = {} AND id = {}",
            crate::placeholder(self.backend, 1),
            crate::placeholder(self.backend, 2)
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(number)
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| Ok((evidence_record(&r)?, r.try_get::<Vec<u8>, _>("data")?)))
            .transpose()
    }

    /// The events linked to a case, oldest link first.
    pub async fn case_events(&self, number: i64) -> Result<Vec<String>, StoreError> {
        let sql = format!(
            "SELECT ref FROM case_links WHERE case_number = {} AND kind = 'event' ORDER BY added_at, ref",
            self.placeholders(1)
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(number)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    /// Records a playbook version the first time it is seen; a version seen before with other
    /// content is refused, since cases worked under it must keep meaning what they meant.
    pub async fn register_playbook(
        &self,
        case_type: &str,
        version: i64,
        body: &str,
        now: Micros,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "SELECT body FROM playbook_versions WHERE case_type = {} AND version = {}",
            crate::placeholder(self.backend, 1),
            crate::placeholder(self.backend, 2)
        );
        let known = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(case_type)
            .bind(version)
            .fetch_optional(&self.reader)
            .await?;
        match known {
            Some(row) if row.try_get::<String, _>(0)? == body => Ok(()),
            Some(_) => Err(StoreError::Failed(format!(
                "playbook {case_type} version {version} was stored with other content: raise its version when a playbook changes"
            ))),
            None => {
                let sql = format!(
                    "INSERT INTO playbook_versions (case_type, version, body, registered_at) VALUES ({}) ON CONFLICT DO NOTHING",
                    self.placeholders(4)
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(case_type)
                    .bind(version)
                    .bind(body)
                    .bind(now)
                    .execute(self.writer().await?.conn())
                    .await?;
                Ok(())
            }
        }
    }

    /// A playbook as it was at `version`, as JSON.
    pub async fn playbook_version(
        &self,
        case_type: &str,
        version: i64,
    ) -> Result<Option<String>, StoreError> {
        let sql = format!(
            "SELECT body FROM playbook_versions WHERE case_type = {} AND version = {}",
            crate::placeholder(self.backend, 1),
            crate::placeholder(self.backend, 2)
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(case_type)
            .bind(version)
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| Ok(r.try_get(0)?)).transpose()
    }

    /// How far case intake has read the event log.
    pub async fn intake_progress(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT last_seq FROM intake_progress WHERE id = 1")
            .fetch_optional(&self.reader)
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?.unwrap_or(0))
    }
}

fn bind_case<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    case: &CaseRecord,
    now: Micros,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    query
        .bind(case.case_type.clone())
        .bind(case.state.clone())
        .bind(case.priority.clone())
        .bind(case.queue.clone())
        .bind(case.assignee.clone())
        .bind(case.market.clone())
        .bind(case.currency.clone())
        .bind(case.claimant_id.clone())
        .bind(case.client_id.clone())
        .bind(case.tasker_id.clone())
        .bind(case.task_id.clone())
        .bind(case.intake_key.clone())
        .bind(case.source.clone())
        .bind(case.source_ref.clone())
        .bind(case.claimed_minor)
        .bind(case.risk_score)
        .bind(case.eligibility.clone())
        .bind(case.summary.clone())
        .bind(case.playbook_version)
        .bind(framed(&case.steps_done))
        .bind(case.opened_at)
        .bind(case.first_response_due)
        .bind(case.resolution_due)
        .bind(case.first_response_at)
        .bind(case.resolved_at)
        .bind(case.closed_at)
        .bind(case.reopened)
        .bind(case.touches)
        .bind(i64::from(case.automated))
        .bind(case.version.max(1))
        .bind(now)
}

fn case_record(row: &AnyRow) -> Result<CaseRecord, StoreError> {
    let steps: String = row.try_get("steps_done")?;
    Ok(CaseRecord {
        number: row.try_get("number")?,
        case_type: row.try_get("case_type")?,
        state: row.try_get("state")?,
        priority: row.try_get("priority")?,
        queue: row.try_get("queue")?,
        assignee: row.try_get("assignee")?,
        market: row.try_get("market")?,
        currency: row.try_get("currency")?,
        claimant_id: row.try_get("claimant_id")?,
        client_id: row.try_get("client_id")?,
        tasker_id: row.try_get("tasker_id")?,
        task_id: row.try_get("task_id")?,
        intake_key: row.try_get("intake_key")?,
        source: row.try_get("source")?,
        source_ref: row.try_get("source_ref")?,
        claimed_minor: row.try_get("claimed_minor")?,
        risk_score: row.try_get("risk_score")?,
        eligibility: row.try_get("eligibility")?,
        summary: row.try_get("summary")?,
        playbook_version: row.try_get("playbook_version")?,
        steps_done: unframed(&steps),
        opened_at: row.try_get("opened_at")?,
        first_response_due: row.try_get("first_response_due")?,
        resolution_due: row.try_get("resolution_due")?,
        first_response_at: row.try_get("first_response_at")?,
        resolved_at: row.try_get("resolved_at")?,
        closed_at: row.try_get("closed_at")?,
        reopened: row.try_get("reopened")?,
        touches: row.try_get("touches")?,
        automated: row.try_get::<i64, _>("automated")? != 0,
        version: row.try_get("version")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn decision_record(row: &AnyRow) -> Result<CaseDecisionRecord, StoreError> {
    let clauses: String = row.try_get("clauses")?;
    Ok(CaseDecisionRecord {
        id: row.try_get("id")?,
        case_number: row.try_get("case_number")?,
        decided_at: row.try_get("decided_at")?,
        decision: NewCaseDecision {
            outcome: row.try_get("outcome")?,
            amount_minor: row.try_get("amount_minor")?,
            currency: row.try_get("currency")?,
            clauses: clauses
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            text: row.try_get("text")?,
            decided_by: row.try_get("decided_by")?,
            automated: row.try_get::<i64, _>("automated")? != 0,
            playbook_version: row.try_get("playbook_version")?,
        },
    })
}

fn ledger_record(row: &AnyRow) -> Result<LedgerRecord, StoreError> {
    Ok(LedgerRecord {
        id: row.try_get("id")?,
        case_number: row.try_get("case_number")?,
        recorded_at: row.try_get("recorded_at")?,
        entry: NewLedgerEntry {
            kind: row.try_get("kind")?,
            counterparty: row.try_get("counterparty")?,
            amount_minor: row.try_get("amount_minor")?,
            currency: row.try_get("currency")?,
            market: row.try_get("market")?,
            reverses: row.try_get("reverses")?,
            override_reason: row.try_get("override_reason")?,
            note: row.try_get("note")?,
            recorded_by: row.try_get("recorded_by")?,
        },
    })
}

fn evidence_record(row: &AnyRow) -> Result<EvidenceRecord, StoreError> {
    Ok(EvidenceRecord {
        id: row.try_get("id")?,
        case_number: row.try_get("case_number")?,
        filename: row.try_get("filename")?,
        content_type: row.try_get("content_type")?,
        size: row.try_get("size")?,
        sha256: row.try_get("sha256")?,
        uploaded_by: row.try_get("uploaded_by")?,
        uploaded_at: row.try_get("uploaded_at")?,
    })
}

fn message_record(row: &AnyRow) -> Result<MessageRecord, StoreError> {
    Ok(MessageRecord {
        id: row.try_get("id")?,
        case_number: row.try_get("case_number")?,
        at: row.try_get("at")?,
        message: NewMessage {
            direction: row.try_get("direction")?,
            party: row.try_get("party")?,
            recipient: row.try_get("recipient")?,
            locale: row.try_get("locale")?,
            template: row.try_get("template")?,
            body: row.try_get("body")?,
            sent_by: row.try_get("sent_by")?,
        },
    })
}

impl Store {
    /// Whether an event of `event_type` names `task_id` and occurred on a day of
    /// `[from_day, to_day]` (days since the epoch, at most 400), and, given `before_seq`, came
    /// before that position of the log: one index seek per day.
    pub async fn task_has_event(
        &self,
        task_id: &str,
        event_type: &str,
        from_day: i64,
        to_day: i64,
        before_seq: Option<i64>,
    ) -> Result<bool, StoreError> {
        let days: Vec<String> = (from_day..=to_day.min(from_day + 400))
            .map(|d| d.to_string())
            .collect();
        if days.is_empty() {
            return Ok(false);
        }
        let sql = format!(
            "SELECT 1 FROM events WHERE day IN ({}) AND task_id = {} AND type = {} AND seq < {} LIMIT 1",
            days.join(", "),
            crate::placeholder(self.backend, 1),
            crate::placeholder(self.backend, 2),
            crate::placeholder(self.backend, 3)
        );
        Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(task_id)
            .bind(event_type)
            .bind(before_seq.unwrap_or(i64::MAX))
            .fetch_optional(&self.reader)
            .await?
            .is_some())
    }
}
