-- ssolab SP schema, version 1.
--
-- One dialect for SQLite and PostgreSQL (both read this file through sqlx's Any driver):
--   * ids are TEXT made by the application (model::Id), so no SERIAL/AUTOINCREMENT dialect;
--   * times are BIGINT unix seconds, so no timestamp-type differences;
--   * flags are INTEGER 0/1, because sqlx's Any driver cannot decode a SQLite BOOLEAN column;
--   * hashes are lowercase hex TEXT, because BYTEA and BLOB are spelled differently;
--   * every uniqueness rule the SP relies on is a PRIMARY KEY or UNIQUE constraint here, so that
--     concurrent requests and several SP replicas cannot create duplicates or accept a replay.

CREATE TABLE teams (
    id           TEXT    NOT NULL PRIMARY KEY,
    -- The URL name (`/api/saml/login/{slug}`).
    slug         TEXT    NOT NULL UNIQUE,
    plan         TEXT    NOT NULL CHECK (plan IN ('free', 'team', 'custom')),
    api_access   INTEGER NOT NULL CHECK (api_access IN (0, 1)),
    scim_enabled INTEGER NOT NULL CHECK (scim_enabled IN (0, 1)),
    created_at   BIGINT  NOT NULL
);

CREATE TABLE sso_settings (
    team_id             TEXT    NOT NULL PRIMARY KEY REFERENCES teams (id) ON DELETE CASCADE,
    -- The one ACS selects the team by the response's Issuer, so an issuer names one team only.
    idp_issuer          TEXT    NOT NULL UNIQUE,
    metadata_kind       TEXT    NOT NULL CHECK (metadata_kind IN ('static', 'url')),
    -- The XML itself for 'static', the URL for 'url'.
    metadata_value      TEXT    NOT NULL,
    allow_idp_initiated INTEGER NOT NULL CHECK (allow_idp_initiated IN (0, 1)),
    provisioning        TEXT    NOT NULL CHECK (provisioning IN ('jit', 'scim')),
    allow_sha1          INTEGER NOT NULL CHECK (allow_sha1 IN (0, 1))
);

-- The last good copy of URL-sourced metadata and the state of its refresh. A row always belongs
-- to the team's current metadata URL: changing the source deletes it.
CREATE TABLE metadata_cache (
    team_id              TEXT    NOT NULL PRIMARY KEY REFERENCES teams (id) ON DELETE CASCADE,
    source               TEXT    NOT NULL,
    -- NULL until a fetch has succeeded; a failure never clears it.
    body                 TEXT,
    fetched_at           BIGINT,
    last_error           TEXT,
    last_error_at        BIGINT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_refresh_at      BIGINT  NOT NULL
);

CREATE INDEX metadata_cache_next_refresh_at ON metadata_cache (next_refresh_at);

CREATE TABLE members (
    id            TEXT    NOT NULL PRIMARY KEY,
    team_id       TEXT    NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    -- As given; shown and returned to SCIM clients unchanged.
    user_name     TEXT    NOT NULL,
    -- user_name lowercased by the application (Unicode-aware, identical on both backends, unlike
    -- SQL LOWER(), which is ASCII-only on SQLite): userName is unique per team case-insensitively.
    user_name_key TEXT    NOT NULL,
    given_name    TEXT,
    family_name   TEXT,
    display_name  TEXT,
    external_id   TEXT,
    -- A JSON array of SCIM email objects; NULL until SCIM sets it.
    emails        TEXT,
    active        INTEGER NOT NULL CHECK (active IN (0, 1)),
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL,
    UNIQUE (team_id, user_name_key),
    -- The target of sessions' composite foreign key (a session's member is in the session's team).
    UNIQUE (id, team_id)
);

-- SP-initiated logins: the AuthnRequest IDs awaiting a Response's InResponseTo.
CREATE TABLE authn_requests (
    id         TEXT   NOT NULL PRIMARY KEY,
    team_id    TEXT   NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX authn_requests_expires_at ON authn_requests (expires_at);

-- The replay cache. The primary key is what refuses a second use of an assertion ID, in one
-- statement, across every SP process that shares the database.
CREATE TABLE used_assertions (
    team_id         TEXT   NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    assertion_id    TEXT   NOT NULL,
    -- The entry blocks replays while now < not_on_or_after; purged afterwards.
    not_on_or_after BIGINT NOT NULL,
    recorded_at     BIGINT NOT NULL,
    PRIMARY KEY (team_id, assertion_id)
);

CREATE INDEX used_assertions_not_on_or_after ON used_assertions (not_on_or_after);

CREATE TABLE sessions (
    -- SHA-256 of the cookie's token, hex: a database leak yields no usable cookie.
    token_hash TEXT   NOT NULL PRIMARY KEY,
    team_id    TEXT   NOT NULL,
    member_id  TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    FOREIGN KEY (member_id, team_id) REFERENCES members (id, team_id) ON DELETE CASCADE
);

CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE api_keys (
    -- SHA-256 of the key, hex: looking a key up by its hash compares nothing secret in the clear.
    key_hash   TEXT   NOT NULL PRIMARY KEY,
    team_id    TEXT   NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    label      TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE INDEX api_keys_team_id ON api_keys (team_id);
