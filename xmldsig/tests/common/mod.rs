//! Shared by the integration tests: fixture keys and a realistic SAML response to sign.
#![allow(dead_code)] // each test binary uses its own part of this module

use std::path::PathBuf;
use xmldsig::keys::{Certificate, PrivateKey};

pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/keys")
}

pub fn fixture_path(name: &str) -> PathBuf {
    fixtures_dir().join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// A fixture key with its certificate: `key("idp-rsa-current")`.
pub fn key(stem: &str) -> PrivateKey {
    PrivateKey::from_pem(
        &read(&format!("{stem}.key")),
        Some(&read(&format!("{stem}.crt"))),
    )
    .expect("fixture key and certificate match")
}

pub fn cert(stem: &str) -> Certificate {
    Certificate::from_pem(&read(&format!("{stem}.crt"))).expect("fixture certificate parses")
}

/// Attributes as Okta and Entra ID send them for one user (Okta's short names, Entra's claim
/// URIs, a multi-valued group claim).
pub const FULL_ATTRIBUTES: &[(&str, &str)] = &[
    ("email", "alice@example.com"),
    ("firstName", "Alice"),
    ("lastName", "Liddell"),
    (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        "alice@example.com",
    ),
    (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
        "Alice",
    ),
    (
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
        "Liddell",
    ),
    (
        "http://schemas.microsoft.com/identity/claims/tenantid",
        "6f1f3b9e-2b1a-4c4e-9a53-0c5cbb1f2a11",
    ),
    (
        "http://schemas.microsoft.com/identity/claims/objectidentifier",
        "1f7a2b3c-4d5e-6f70-8192-a3b4c5d6e7f8",
    ),
    ("groups", "engineering"),
    ("groups", "hiring-managers"),
];

/// The attributes of a plain Okta app: email, first and last name.
pub const OKTA_ATTRIBUTES: &[(&str, &str)] = &[
    ("email", "alice@example.com"),
    ("firstName", "Alice"),
    ("lastName", "Liddell"),
];

/// A SAML 2.0 Response in the shape real IdPs send: namespaces declared on the Response and used
/// from the Assertion, an `xs` prefix only used inside attribute values' xsi:type (so it matters
/// for InclusiveNamespaces), several attributes. About 4 KB unsigned, 6.6 KB once signed.
pub fn saml_response(response_id: &str, assertion_id: &str) -> String {
    saml_response_with(response_id, assertion_id, FULL_ATTRIBUTES)
}

/// [`saml_response`] with the given attributes.
pub fn saml_response_with(
    response_id: &str,
    assertion_id: &str,
    attributes: &[(&str, &str)],
) -> String {
    let attributes: String = attributes
    .iter()
    .map(|(name, value)| {
        format!(
            "\n      <saml:Attribute Name=\"{name}\" NameFormat=\"urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified\">\n        <saml:AttributeValue xsi:type=\"xs:string\">{value}</saml:AttributeValue>\n      </saml:Attribute>"
        )
    })
    .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="{response_id}" Version="2.0" IssueInstant="2026-11-28T12:00:00Z" Destination="https://www.qualified.io/api/saml/consume">
  <saml:Issuer>http://www.okta.com/exk1a2b3c4d5e6f7g8h9</saml:Issuer>
  <samlp:Status>
    <samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>
  </samlp:Status>
  <saml:Assertion ID="{assertion_id}" Version="2.0" IssueInstant="2026-11-28T12:00:00Z">
    <saml:Issuer>http://www.okta.com/exk1a2b3c4d5e6f7g8h9</saml:Issuer>
    <saml:Subject>
      <saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">alice@example.com</saml:NameID>
      <saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
        <saml:SubjectConfirmationData NotOnOrAfter="2026-11-28T12:05:00Z" Recipient="https://www.qualified.io/api/saml/consume"/>
      </saml:SubjectConfirmation>
    </saml:Subject>
    <saml:Conditions NotBefore="2026-11-28T11:55:00Z" NotOnOrAfter="2026-11-28T12:05:00Z">
      <saml:AudienceRestriction>
        <saml:Audience>https://qualified.io</saml:Audience>
      </saml:AudienceRestriction>
    </saml:Conditions>
    <saml:AuthnStatement AuthnInstant="2026-11-28T12:00:00Z" SessionIndex="{assertion_id}" SessionNotOnOrAfter="2026-11-28T20:00:00Z">
      <saml:AuthnContext>
        <saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>
      </saml:AuthnContext>
    </saml:AuthnStatement>
    <saml:AttributeStatement>{attributes}
    </saml:AttributeStatement>
  </saml:Assertion>
</samlp:Response>
"#
    )
}
