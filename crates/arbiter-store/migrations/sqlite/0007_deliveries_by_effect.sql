-- An effect's deliveries, found by the effect: an effect stored again (its batch decided
-- again after a crash) gets no second delivery to a subscriber it already has one for.
CREATE INDEX webhook_deliveries_by_effect ON webhook_deliveries (effect_id, webhook_id);
