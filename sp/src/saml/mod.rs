//! SAML: IdP metadata, the response validation pipeline, AuthnRequests and SP metadata.
