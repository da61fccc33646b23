-- The event log: every marketplace event, once, verbatim.
CREATE TABLE events (
    seq          INTEGER PRIMARY KEY,   -- arrival order; with occurred_at, the paging cursor
    id           TEXT    NOT NULL UNIQUE,
    type         TEXT    NOT NULL,
    occurred_at  BIGINT  NOT NULL,      -- microseconds since the Unix epoch, UTC
    day          BIGINT  NOT NULL,      -- occurred_at in whole days since the epoch
    market       TEXT    NOT NULL,
    actor_id     TEXT    NOT NULL,
    actor_role   TEXT    NOT NULL,
    subject_id   TEXT,
    subject_role TEXT,
    task_id      TEXT,
    amount_minor BIGINT,
    currency     TEXT,
    received_at  BIGINT  NOT NULL,
    body         TEXT    NOT NULL       -- the event as received, unknown fields included
);
-- SQLite appends the rowid (seq) to every index, so each also orders ties by arrival.
-- Filters by type or market walk the time index: both are too coarse to pay for an index
-- on every append.
CREATE INDEX events_by_time    ON events (occurred_at);
-- Party and task indexes lead with the day: events arrive roughly in time order, so appends
-- touch only the recent end of each index instead of pages all over it. Lookups walk the days.
CREATE INDEX events_by_actor   ON events (day, actor_id, occurred_at);
CREATE INDEX events_by_subject ON events (day, subject_id, occurred_at);
CREATE INDEX events_by_task    ON events (day, task_id);

-- API tokens and console sessions: only a SHA-256 of the secret is kept.
CREATE TABLE access_tokens (
    id          TEXT    PRIMARY KEY,    -- public handle, e.g. tok_1a2b3c4d
    secret_hash TEXT    NOT NULL UNIQUE,
    kind        TEXT    NOT NULL,       -- api | session
    role        TEXT    NOT NULL,
    label       TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT,
    revoked_at  BIGINT
);

-- Staff accounts for the console; passwords hashed with argon2id.
CREATE TABLE staff_users (
    username      TEXT   PRIMARY KEY,
    password_hash TEXT   NOT NULL,
    role          TEXT   NOT NULL,
    created_at    BIGINT NOT NULL
);
