-- SCIM 2.0: what the members table needs for filters, ETags and `sp team members`, the member's
-- emails as rows (so `emails.value eq` is an index lookup), and groups with their members.
--
-- The *_key columns hold the value with ASCII letters lower-cased by the application (the same
-- fold as identity::member_key, identical on both backends; SQL LOWER() is ASCII-only on SQLite
-- but Unicode-aware on PostgreSQL, so it cannot be the comparison). They serve SCIM's
-- caseExact=false comparisons. The backfill below uses LOWER() once for rows written before
-- this migration; every later write sets the keys from the application.

ALTER TABLE members ADD COLUMN display_name_key TEXT;
ALTER TABLE members ADD COLUMN given_name_key TEXT;
ALTER TABLE members ADD COLUMN family_name_key TEXT;
-- Bumped by every write; the ETag (`W/"version"`) and the guard of every update
-- (`WHERE version = $read`), so that two concurrent PATCHes cannot lose one another's change.
ALTER TABLE members ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
-- Who created the member: a first SSO login ('jit') or a SCIM client ('scim').
ALTER TABLE members ADD COLUMN source TEXT NOT NULL DEFAULT 'jit' CHECK (source IN ('jit', 'scim'));

UPDATE members SET display_name_key = LOWER(display_name), given_name_key = LOWER(given_name),
                   family_name_key = LOWER(family_name);

-- Paging order (team, id) and the indexed filter attributes.
CREATE INDEX members_team_id ON members (team_id, id);
CREATE INDEX members_external_id ON members (team_id, external_id);
CREATE INDEX members_display_name_key ON members (team_id, display_name_key);
CREATE INDEX members_given_name_key ON members (team_id, given_name_key);
CREATE INDEX members_family_name_key ON members (team_id, family_name_key);
CREATE INDEX members_created_at ON members (team_id, created_at);
CREATE INDEX members_updated_at ON members (team_id, updated_at);

-- One row per email of a member, for filtering only: what SCIM returns is members.emails (JSON),
-- written in the same transaction.
CREATE TABLE member_emails (
    team_id    TEXT    NOT NULL,
    member_id  TEXT    NOT NULL,
    position   INTEGER NOT NULL,
    value_key  TEXT    NOT NULL,
    type_key   TEXT,
    is_primary INTEGER NOT NULL CHECK (is_primary IN (0, 1)),
    PRIMARY KEY (member_id, position),
    FOREIGN KEY (member_id, team_id) REFERENCES members (id, team_id) ON DELETE CASCADE
);

CREATE INDEX member_emails_value_key ON member_emails (team_id, value_key);

CREATE TABLE scim_groups (
    id               TEXT   NOT NULL PRIMARY KEY,
    team_id          TEXT   NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    display_name     TEXT   NOT NULL,
    display_name_key TEXT   NOT NULL,
    external_id      TEXT,
    version          BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    -- Okta and Entra treat displayName as the group's name: two groups of one team may not share it.
    UNIQUE (team_id, display_name_key),
    UNIQUE (id, team_id)
);

CREATE INDEX scim_groups_team_id ON scim_groups (team_id, id);

-- The composite keys keep a group's members inside the group's team: a member id of another
-- team fails the foreign key instead of joining.
CREATE TABLE scim_group_members (
    group_id  TEXT NOT NULL,
    team_id   TEXT NOT NULL,
    member_id TEXT NOT NULL,
    PRIMARY KEY (group_id, member_id),
    FOREIGN KEY (group_id, team_id) REFERENCES scim_groups (id, team_id) ON DELETE CASCADE,
    FOREIGN KEY (member_id, team_id) REFERENCES members (id, team_id) ON DELETE CASCADE
);

CREATE INDEX scim_group_members_member ON scim_group_members (member_id);
