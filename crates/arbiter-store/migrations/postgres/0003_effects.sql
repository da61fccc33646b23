-- What fired rules asked for: one row per action per decision. The one way actions reach the
-- rest of the system: webhooks, and the case and enforcement capabilities, read them here.
CREATE TABLE effects (
    id              BIGSERIAL PRIMARY KEY,
    event_seq       BIGINT NOT NULL,
    event_id        TEXT   NOT NULL,
    user_id         TEXT,              -- whom the event is about: its actor, or its subject when the actor is staff or a system
    action          TEXT   NOT NULL,   -- review, block, hold_payout, ...
    detail          TEXT   NOT NULL,   -- the action as JSON
    rules           TEXT   NOT NULL,   -- ",RULE-A,RULE-B," : the rules that asked for it
    ruleset_version BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    UNIQUE (event_seq, detail)
);
CREATE INDEX effects_by_user  ON effects (user_id, id);
CREATE INDEX effects_by_event ON effects (event_id);

-- Subscribers to effects. The secret signs every delivery (HMAC-SHA256).
CREATE TABLE webhooks (
    id          TEXT   PRIMARY KEY,
    url         TEXT   NOT NULL,
    secret      TEXT   NOT NULL,
    actions     TEXT   NOT NULL,       -- ",review,block," ; empty for every action
    description TEXT   NOT NULL,
    created_by  TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    disabled_at BIGINT
);

-- The outbox: one delivery per effect per subscriber, written with the effect, retried
-- with backoff until delivered or out of attempts.
CREATE TABLE webhook_deliveries (
    id              BIGSERIAL PRIMARY KEY,
    webhook_id      TEXT   NOT NULL,
    effect_id       BIGINT NOT NULL,
    state           TEXT   NOT NULL,   -- pending, delivered, failed
    attempts        BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_status     BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    delivered_at    BIGINT,
    UNIQUE (webhook_id, effect_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, id);

-- Every attempt, for the delivery log.
CREATE TABLE webhook_attempts (
    delivery_id BIGINT NOT NULL,
    attempt     BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    status      BIGINT,
    error       TEXT,
    duration_ms BIGINT NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
