-- 0012 review of the reported figures (issue 10: R1.5, R1.6, R2.4).
-- Corrections become a workflow in the spirit of DHIS2's data approval: a correction is
-- proposed, then approved or rejected by the district; only approved corrections make the
-- effective figure. The proposal row is never changed except for its decision columns, so
-- the original, the proposal and the decision all stay. Rows written before this migration
-- were applied at once: they are approved, decided by whoever made them.
ALTER TABLE actual_corrections ADD COLUMN state TEXT NOT NULL DEFAULT 'approved'; -- proposed | approved | rejected
ALTER TABLE actual_corrections ADD COLUMN decided_by TEXT NOT NULL DEFAULT '';
ALTER TABLE actual_corrections ADD COLUMN decided_at {{BIGINT}} NOT NULL DEFAULT 0;
ALTER TABLE actual_corrections ADD COLUMN comment TEXT NOT NULL DEFAULT '';
UPDATE actual_corrections SET decided_by = actor, decided_at = corrected_at;
CREATE INDEX actual_corrections_state ON actual_corrections (state, id);
-- At most one pending proposal per report (the domain checks first under the row lock;
-- this is the backstop).
CREATE UNIQUE INDEX actual_corrections_pending ON actual_corrections (actual_id) WHERE state = 'proposed';

-- A round (plan) locked by the district refuses new reports, proposals and decisions.
ALTER TABLE plans ADD COLUMN locked_at {{BIGINT}} NOT NULL DEFAULT 0;  -- 0 = open
ALTER TABLE plans ADD COLUMN locked_by TEXT NOT NULL DEFAULT '';

-- Corrections of a sample's fields by its source (PATCH /api/v1/samples/{id}): every
-- version before a correction, written in the same transaction. Personal fields stay
-- sealed with the ad of the samples column they came from.
CREATE TABLE sample_history (
    id           {{ID}},
    sample_id    {{BIGINT}} NOT NULL REFERENCES samples (id),
    changed_at   {{BIGINT}} NOT NULL,
    actor        TEXT NOT NULL,
    reason       TEXT NOT NULL,
    fields       TEXT NOT NULL,                  -- comma-separated names of the fields changed
    person_bidx  {{BIGINT}} NOT NULL,
    id_number    {{BLOB}} NOT NULL,              -- sealed, ad "samples.id_number"
    name         {{BLOB}} NOT NULL,              -- sealed, ad "samples.name"
    phone        {{BLOB}},                       -- sealed, ad "samples.phone"
    tube_code    TEXT NOT NULL,
    mix_size     INTEGER NOT NULL,
    mix_index    INTEGER NOT NULL,
    collector    {{BLOB}}                        -- sealed, ad "samples.collector"
);
CREATE INDEX sample_history_sample ON sample_history (sample_id, id);
