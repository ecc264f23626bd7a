//! The ssolab IdP simulator: SAML responses with every field, key and fault a real IdP (or an
//! attacker) can produce, presets that behave like real IdPs, and a server with metadata and a
//! login page. It is an independent witness: it never depends on the `sp` crate, so a
//! misunderstanding in the SP cannot hide by being mirrored here.

pub mod authn_request;
pub mod build;
pub mod catalogue;
pub mod check;
pub mod expect;
pub mod faults;
pub mod keys;
pub mod knobs;
pub mod metadata;
pub mod names;
pub mod post;
pub mod presets;
pub mod render;
pub mod server;
pub mod spec;
