//! The ssolab IdP simulator: SAML responses with every field, key and fault a real IdP (or an
//! attacker) can produce, presets that behave like Okta, Entra ID, Google, OneLogin, AD FS,
//! PingFederate and JumpCloud, and a server with metadata and a login page.
//!
//! Not built yet: this crate holds no code until its own issue. It will sign and encrypt with
//! `xmldsig` and must never depend on `sp` (it is an independent witness).
