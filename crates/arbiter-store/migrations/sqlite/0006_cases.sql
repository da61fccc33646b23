-- The resolution center: cases, their links, audit trail, decisions, loss ledger, messages,
-- and the playbook versions cases were worked under. Everything but the case row itself is
-- append-only; the case row carries a version that every change raises, so that two people
-- changing one case at once cannot overwrite each other.
CREATE TABLE cases (
    number             INTEGER PRIMARY KEY,
    case_type          TEXT   NOT NULL,
    state              TEXT   NOT NULL,
    priority           TEXT   NOT NULL,
    queue              TEXT   NOT NULL,
    assignee           TEXT,
    market             TEXT   NOT NULL,
    currency           TEXT   NOT NULL,
    claimant_id        TEXT,             -- who asked: the claim's or report's actor
    client_id          TEXT,
    tasker_id          TEXT,
    task_id            TEXT,
    intake_key         TEXT,             -- "task:type": one open case per Task and kind
    source             TEXT   NOT NULL,  -- event, rule, api, console
    source_ref         TEXT,             -- the event, or the rule, that opened it
    claimed_minor      BIGINT,
    risk_score         BIGINT NOT NULL,
    eligibility        TEXT,             -- JSON, claims only
    summary            TEXT   NOT NULL,
    playbook_version   BIGINT NOT NULL,
    steps_done         TEXT   NOT NULL,  -- ",intake,eligibility,"
    opened_at          BIGINT NOT NULL,
    first_response_due BIGINT NOT NULL,
    resolution_due     BIGINT NOT NULL,
    first_response_at  BIGINT,
    resolved_at        BIGINT,
    closed_at          BIGINT,
    reopened           BIGINT NOT NULL,
    touches            BIGINT NOT NULL,
    automated          BIGINT NOT NULL,  -- 1 when decided with no person
    version            BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX cases_by_queue  ON cases (queue, state, resolution_due);
CREATE INDEX cases_by_state  ON cases (state, resolution_due);
CREATE INDEX cases_by_intake ON cases (intake_key, state);
CREATE INDEX cases_by_party  ON cases (claimant_id);
CREATE INDEX cases_by_opened ON cases (opened_at);

-- Events and decisions linked to a case.
CREATE TABLE case_links (
    case_number BIGINT NOT NULL,
    kind        TEXT   NOT NULL,   -- event
    ref         TEXT   NOT NULL,
    added_at    BIGINT NOT NULL,
    PRIMARY KEY (case_number, kind, ref)
);
CREATE INDEX case_links_by_ref ON case_links (ref);

-- Every change: who (a person, a rule or the automation), when, what, before and after.
CREATE TABLE case_audit (
    id          INTEGER PRIMARY KEY,
    case_number BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    actor       TEXT   NOT NULL,
    actor_kind  TEXT   NOT NULL,   -- person, rule, automation, system
    action      TEXT   NOT NULL,
    before      TEXT,
    after       TEXT,
    note        TEXT   NOT NULL
);
CREATE INDEX case_audit_by_case ON case_audit (case_number, id);

CREATE TABLE case_decisions (
    id               INTEGER PRIMARY KEY,
    case_number      BIGINT NOT NULL,
    outcome          TEXT   NOT NULL,
    amount_minor     BIGINT,
    currency         TEXT   NOT NULL,
    clauses          TEXT   NOT NULL,   -- JSON array
    text             TEXT   NOT NULL,
    decided_by       TEXT   NOT NULL,
    automated        BIGINT NOT NULL,
    playbook_version BIGINT NOT NULL,
    decided_at       BIGINT NOT NULL
);
CREATE INDEX case_decisions_by_case ON case_decisions (case_number, id);
CREATE INDEX case_decisions_by_time ON case_decisions (decided_at);

-- The loss ledger: append-only; a correction is a reversal entry naming the one it undoes.
CREATE TABLE ledger_entries (
    id              INTEGER PRIMARY KEY,
    case_number     BIGINT NOT NULL,
    kind            TEXT   NOT NULL,
    counterparty    TEXT   NOT NULL,
    amount_minor    BIGINT NOT NULL CHECK (amount_minor > 0),
    currency        TEXT   NOT NULL,
    market          TEXT   NOT NULL,
    reverses        BIGINT,
    override_reason TEXT,
    note            TEXT   NOT NULL,
    recorded_by     TEXT   NOT NULL,
    recorded_at     BIGINT NOT NULL,
    UNIQUE (reverses)
);
CREATE INDEX ledger_by_case ON ledger_entries (case_number, id);
CREATE INDEX ledger_by_time ON ledger_entries (recorded_at);

-- Messages to and from the parties; each is a customer touch.
CREATE TABLE case_messages (
    id          INTEGER PRIMARY KEY,
    case_number BIGINT NOT NULL,
    direction   TEXT   NOT NULL,   -- out, in
    party       TEXT   NOT NULL,   -- client, tasker
    recipient   TEXT,
    locale      TEXT   NOT NULL,
    template    TEXT,
    body        TEXT   NOT NULL,
    sent_by     TEXT   NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX case_messages_by_case ON case_messages (case_number, id);

-- Playbooks as each version was: a case names the version it was worked under.
CREATE TABLE playbook_versions (
    case_type     TEXT   NOT NULL,
    version       BIGINT NOT NULL,
    body          TEXT   NOT NULL,   -- JSON
    registered_at BIGINT NOT NULL,
    PRIMARY KEY (case_type, version)
);

-- How far case intake has read the event log (it follows the decider).
CREATE TABLE intake_progress (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq BIGINT NOT NULL
);

-- Evidence files, checked by content before they are stored; never changed once stored.
CREATE TABLE case_evidence (
    id           INTEGER PRIMARY KEY,
    case_number  BIGINT NOT NULL,
    filename     TEXT   NOT NULL,
    content_type TEXT   NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT   NOT NULL,
    data         BLOB   NOT NULL,
    uploaded_by  TEXT   NOT NULL,
    uploaded_at  BIGINT NOT NULL
);
CREATE INDEX case_evidence_by_case ON case_evidence (case_number, id);
