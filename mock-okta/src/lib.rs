//! The ssolab simulation of Okta's (and Entra's) SCIM provisioning client: push, import, update,
//! deactivate, reactivate and group push, sent the way Okta sends them, against any SCIM server.
//!
//! Not built yet: this crate holds no code until its own issue. It must never depend on `sp`.
