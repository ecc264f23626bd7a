//! SAML: IdP metadata, the response validation pipeline, AuthnRequests and SP metadata.

pub mod attributes;
pub mod authn_request;
pub mod checks;
pub mod fetch;
pub mod metadata;
pub mod near_miss;
pub mod read;
pub mod refresh;
pub mod rejection;
pub mod sp_metadata;
pub mod validate;

/// Escapes a value for the XML the SP writes itself (AuthnRequests, SP metadata): element
/// content and double-quoted attribute values.
fn escape_xml(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
}
