-- Webhooks carry more than effects: each subscribes to topics (effects, policy_changes,
-- case_messages), and a delivery is of an effect, a policy version or a message to a party.
ALTER TABLE webhooks ADD COLUMN topics TEXT NOT NULL DEFAULT ',effects,';
ALTER TABLE webhook_deliveries ALTER COLUMN effect_id DROP NOT NULL;
ALTER TABLE webhook_deliveries ADD COLUMN policy_document TEXT;
ALTER TABLE webhook_deliveries ADD COLUMN policy_version BIGINT;
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_policy UNIQUE (webhook_id, policy_document, policy_version);
ALTER TABLE webhook_deliveries ADD COLUMN message_id BIGINT;
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_message UNIQUE (webhook_id, message_id);
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_one_subject
    CHECK ((effect_id IS NOT NULL)::int + (policy_document IS NOT NULL)::int + (message_id IS NOT NULL)::int = 1);
