//! The ssolab Service Provider: SAML 2.0 Web Browser SSO for many teams through one ACS, sessions,
//! and a SCIM 2.0 server whose users are team members; on SQLite or PostgreSQL.
//!
//! Layout: [`model`] (teams, settings, members), [`store`] (sqlx storage), [`saml`] (metadata,
//! the validation pipeline, AuthnRequests), [`scim`] (Users, Groups, discovery).

pub mod admin;
pub mod clock;
pub mod config;
pub mod identity;
pub mod model;
pub mod saml;
pub mod scim;
pub mod store;
pub mod trust;
pub mod web;
