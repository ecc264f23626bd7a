-- How a login finds its member: by email (every team before this migration) or by the NameID
-- as sent, for IdPs whose NameID is the userName their SCIM client uses and which send no email.
ALTER TABLE sso_settings
    ADD COLUMN member_key TEXT NOT NULL DEFAULT 'email' CHECK (member_key IN ('email', 'name_id'));
