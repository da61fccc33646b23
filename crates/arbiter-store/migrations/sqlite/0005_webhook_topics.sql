-- Webhooks carry more than effects: each subscribes to topics (effects, policy_changes,
-- case_messages), and a delivery is of an effect, a policy version or a message to a party.
-- SQLite cannot relax NOT NULL in place, so the deliveries table is rebuilt with its rows.
ALTER TABLE webhooks ADD COLUMN topics TEXT NOT NULL DEFAULT ',effects,';

CREATE TABLE webhook_deliveries_new (
    id              INTEGER PRIMARY KEY,
    webhook_id      TEXT   NOT NULL,
    effect_id       BIGINT,            -- a delivery of an effect ...
    policy_document TEXT,              -- ... or of a policy version
    policy_version  BIGINT,
    message_id      BIGINT,            -- ... or of a message to a case's party
    state           TEXT   NOT NULL,   -- pending, delivered, failed
    attempts        BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_status     BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    delivered_at    BIGINT,
    UNIQUE (webhook_id, effect_id),
    UNIQUE (webhook_id, policy_document, policy_version),
    UNIQUE (webhook_id, message_id),
    CHECK ((effect_id IS NOT NULL) + (policy_document IS NOT NULL) + (message_id IS NOT NULL) = 1)
);
INSERT INTO webhook_deliveries_new (id, webhook_id, effect_id, state, attempts, next_attempt_at, last_status, last_error, created_at, delivered_at)
    SELECT id, webhook_id, effect_id, state, attempts, next_attempt_at, last_status, last_error, created_at, delivered_at
    FROM webhook_deliveries;
DROP TABLE webhook_deliveries;
ALTER TABLE webhook_deliveries_new RENAME TO webhook_deliveries;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, id);
