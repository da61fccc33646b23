-- Identity is an account or a token, never a label.
--
-- Every token and session names the principal it acts for: `token:<id>` for an API token (its
-- own id), and for a console session the account (`user:<username>`) or API token it was
-- made from. Checks compare principals; labels and names are only shown.
ALTER TABLE access_tokens ADD COLUMN principal TEXT;
UPDATE access_tokens SET principal = 'token:' || id WHERE kind = 'api';
-- Sessions were labelled `token tok_…` when made from a token, else with the username.
UPDATE access_tokens SET principal = CASE
        WHEN label LIKE 'token tok\_%' ESCAPE '\' THEN 'token:' || substr(label, 7)
        ELSE 'user:' || label
    END
    WHERE kind = 'session';
CREATE INDEX access_tokens_by_principal ON access_tokens (principal, kind);

-- A disabled account cannot sign in, and its sessions are ended.
ALTER TABLE staff_users ADD COLUMN disabled_at BIGINT;

-- Who wrote and who reviewed each policy version, as principals. Existing versions named
-- people by label: a session's `token tok_…`, a username, an API token's label (when exactly
-- one token has it) or a name given to `arbiter policy import`, read as a username.
ALTER TABLE policy_versions ADD COLUMN author_principal TEXT;
ALTER TABLE policy_versions ADD COLUMN reviewer_principal TEXT;
UPDATE policy_versions SET
    author_principal = CASE
        WHEN author LIKE 'token tok\_%' ESCAPE '\' THEN 'token:' || substr(author, 7)
        WHEN EXISTS (SELECT 1 FROM staff_users u WHERE u.username = author) THEN 'user:' || author
        WHEN (SELECT COUNT(*) FROM access_tokens t WHERE t.kind = 'api' AND t.label = author) = 1
            THEN (SELECT 'token:' || t.id FROM access_tokens t WHERE t.kind = 'api' AND t.label = author)
        ELSE 'user:' || author
    END,
    reviewer_principal = CASE
        WHEN reviewed_by IS NULL THEN NULL
        WHEN reviewed_by LIKE 'token tok\_%' ESCAPE '\' THEN 'token:' || substr(reviewed_by, 7)
        WHEN EXISTS (SELECT 1 FROM staff_users u WHERE u.username = reviewed_by) THEN 'user:' || reviewed_by
        WHEN (SELECT COUNT(*) FROM access_tokens t WHERE t.kind = 'api' AND t.label = reviewed_by) = 1
            THEN (SELECT 'token:' || t.id FROM access_tokens t WHERE t.kind = 'api' AND t.label = reviewed_by)
        ELSE 'user:' || reviewed_by
    END;

-- Every console sign-in attempt: when, from where, the username tried (or none, for a token),
-- the principal that signed in, and how it ended. Lockouts and address limits count from here.
CREATE TABLE sign_ins (
    id        INTEGER PRIMARY KEY,
    at        BIGINT NOT NULL,
    method    TEXT   NOT NULL,      -- password | token
    username  TEXT,
    principal TEXT,
    address   TEXT   NOT NULL,
    outcome   TEXT   NOT NULL       -- signed_in | wrong_credentials | disabled | locked | limited
);
CREATE INDEX sign_ins_by_time     ON sign_ins (at);
CREATE INDEX sign_ins_by_username ON sign_ins (username, at);
CREATE INDEX sign_ins_by_address  ON sign_ins (address, at);
