//! The ssolab scenario catalogue and runner: every SAML and SCIM scenario against the in-process
//! `sp`, or against a partner's SP, SCIM server or captured IdP response, with text, JSON, JUnit
//! and HTML reports.

pub mod lab;
pub mod result;
