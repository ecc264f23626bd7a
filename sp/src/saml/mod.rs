//! SAML: IdP metadata, the response validation pipeline, AuthnRequests and SP metadata.

pub mod fetch;
pub mod metadata;
pub mod refresh;
