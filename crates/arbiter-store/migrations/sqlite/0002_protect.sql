-- Published rulesets. Every version is kept; the newest is in force. A rollback publishes a
-- new version repeating an older text (restores names it), so history only grows.
CREATE TABLE rulesets (
    version      BIGINT PRIMARY KEY,
    source       TEXT   NOT NULL,
    note         TEXT   NOT NULL,
    published_by TEXT   NOT NULL,
    published_at BIGINT NOT NULL,
    restores     BIGINT
);

-- Named lists read by rules. Each change is a new version holding every entry, one a line.
CREATE TABLE list_versions (
    name        TEXT   NOT NULL,
    version     BIGINT NOT NULL,
    description TEXT   NOT NULL,
    entries     TEXT   NOT NULL,
    entry_count BIGINT NOT NULL,
    changed_by  TEXT   NOT NULL,
    changed_at  BIGINT NOT NULL,
    note        TEXT   NOT NULL,
    PRIMARY KEY (name, version)
);

-- Decisions on events where a rule fired or failed. Events up to decider_progress.last_seq
-- with no row here were decided "allow" with no rule firing.
CREATE TABLE decisions (
    event_seq       BIGINT PRIMARY KEY,
    event_id        TEXT   NOT NULL UNIQUE,
    event_type      TEXT   NOT NULL,
    occurred_at     BIGINT NOT NULL,
    actor_id        TEXT   NOT NULL,
    subject_id      TEXT,
    ruleset_version BIGINT NOT NULL,
    verdict         TEXT   NOT NULL,
    score           REAL NOT NULL,
    fired           TEXT   NOT NULL,   -- ",RULE-A,RULE-B," : the rules that fired
    decided_at      BIGINT NOT NULL,
    body            TEXT   NOT NULL    -- the decision as JSON: actions, hits and their evidence
);
CREATE INDEX decisions_by_time    ON decisions (occurred_at);
CREATE INDEX decisions_by_actor   ON decisions (actor_id, occurred_at);
CREATE INDEX decisions_by_subject ON decisions (subject_id, occurred_at);

-- How far the decider has read the event log, and under which ruleset.
CREATE TABLE decider_progress (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq        BIGINT NOT NULL,
    ruleset_version BIGINT NOT NULL
);
