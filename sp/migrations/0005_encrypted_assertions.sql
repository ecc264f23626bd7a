-- Whether the team's IdP encrypts assertions. The SP decrypts (a private-key operation) only for
-- a team that says so, after its Issuer resolved the team: nobody can make the SP spend one on
-- behalf of a team that does not use encryption. Off for every team before this migration.
ALTER TABLE sso_settings
    ADD COLUMN encrypted_assertions INTEGER NOT NULL DEFAULT 0 CHECK (encrypted_assertions IN (0, 1));
