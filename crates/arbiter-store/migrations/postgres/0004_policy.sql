-- The policy library. Every change to a document is a new version holding the whole file
-- (front matter and Markdown); policy_documents holds the newest version's fields for listing
-- and filtering. Versions are never changed or removed.
CREATE TABLE policy_versions (
    document_id TEXT   NOT NULL,
    version     BIGINT NOT NULL,
    source      TEXT   NOT NULL,
    status      TEXT   NOT NULL,
    author      TEXT   NOT NULL,
    reviewed_by TEXT,
    summary     TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (document_id, version)
);

CREATE TABLE policy_documents (
    id          TEXT   PRIMARY KEY,
    kind        TEXT   NOT NULL,
    title       TEXT   NOT NULL,
    status      TEXT   NOT NULL,
    locale      TEXT   NOT NULL,
    -- Comma-framed sets (",client,tasker,") so that one LIKE finds a member.
    audience    TEXT   NOT NULL,
    markets     TEXT   NOT NULL,
    tags        TEXT   NOT NULL,
    owner       TEXT   NOT NULL,
    variant_of  TEXT,
    next_review TEXT,
    version     BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX policy_documents_by_kind ON policy_documents (kind, id);
