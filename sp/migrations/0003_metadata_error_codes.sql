-- metadata_cache.last_error now holds the error's code (sp::saml::refresh::describe words it).
-- Rows written before held a message, which could quote what a remote server answered; they are
-- replaced by a code that says the cause was not recorded. The next refresh records a real code.
UPDATE metadata_cache SET last_error = 'unrecorded' WHERE last_error IS NOT NULL;
