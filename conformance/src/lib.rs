//! The ssolab scenario catalogue and runner: every SAML and SCIM scenario against the in-process
//! `sp`, or against a partner's SP, SCIM server or captured IdP response, with text, JSON, JUnit
//! and HTML reports.

pub mod catalogue;
pub mod deliver;
pub mod explain;
pub mod external;
pub mod inprocess;
pub mod lab;
pub mod metadata_host;
pub mod report;
pub mod result;
pub mod runner;
pub mod scenario;
pub mod script;
