//! The ssolab Service Provider: SAML 2.0 Web Browser SSO (one ACS for every team), sessions, and a
//! SCIM 2.0 server whose users are team members, on SQLite or PostgreSQL.
//!
//! Not built yet: this crate holds no code until its own issue ("sp: SAML single sign-on, complete
//! and multi-tenant"). Signature verification and decryption will come from `xmldsig`; see
//! DESIGN.md for the routes, the validation pipeline and the rejection codes.
