//! The ssolab scenario catalogue and runner: every SAML and SCIM scenario against the in-process
//! `sp`, or against a partner's SP, SCIM server or captured IdP response, with text, JSON, JUnit
//! and HTML reports.
//!
//! Not built yet: the catalogue, runner and reports come with their own issue. Until then this
//! crate holds the test where the two independent sides meet
//! (`tests/mock_idp_against_sp.rs`): every mock-idp preset logs a member in to the real SP over
//! HTTP, and every mock-idp fault gets the answer the mock's catalogue names.
