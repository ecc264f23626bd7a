//! SAML: IdP metadata, the response validation pipeline, AuthnRequests and SP metadata.

pub mod attributes;
pub mod authn_request;
pub mod fetch;
pub mod metadata;
pub mod read;
pub mod refresh;
pub mod rejection;
pub mod sp_metadata;
pub mod validate;
