-- The SCIM enterprise User extension (RFC 7643 §4.3: employeeNumber, costCenter, organization,
-- division, department, manager) as the JSON object SCIM returns under its schema URN; NULL when
-- the member has none. Nothing filters on it, so it needs no rows or keys of its own (unlike
-- emails). TEXT holds the JSON on both backends, as members.emails does.
ALTER TABLE members ADD COLUMN enterprise TEXT;
