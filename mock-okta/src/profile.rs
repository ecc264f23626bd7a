//! Whose client is simulated, and how it authenticates.

use serde::Serialize;

/// The SCIM client whose requests are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// An Okta Integration Network (OIN) SCIM template app: PATCH `active` to deactivate.
    Okta,
    /// An app made with Okta's App Integration Wizard: PUT of the whole user for every change,
    /// `active: false` included.
    OktaAiw,
    /// Microsoft Entra ID provisioning: capitalised PATCH ops, `"True"`/`"False"` strings,
    /// path-less replace with dotted and URN keys, filtered paths, `+` for spaces in filters.
    Entra,
}

impl Profile {
    pub const ALL: [Profile; 3] = [Profile::Okta, Profile::OktaAiw, Profile::Entra];

    pub fn name(self) -> &'static str {
        match self {
            Profile::Okta => "okta",
            Profile::OktaAiw => "okta-aiw",
            Profile::Entra => "entra",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Okta's client names itself on every request (Okta SCIM 2.0 reference, request examples).
    /// Entra's user agent is not documented, so none is claimed for it.
    pub fn user_agent(self) -> Option<&'static str> {
        match self {
            Profile::Okta | Profile::OktaAiw => Some("Okta SCIM Client 1.0.0"),
            Profile::Entra => None,
        }
    }

    /// The Content-Type of request bodies.
    pub fn content_type(self) -> &'static str {
        match self {
            Profile::Okta | Profile::OktaAiw => "application/scim+json; charset=utf-8",
            Profile::Entra => "application/scim+json",
        }
    }

    /// Whether a user is deactivated and reactivated by PUT of the whole object (AIW apps)
    /// rather than PATCH.
    pub fn puts_active(self) -> bool {
        self == Profile::OktaAiw
    }
}

/// How the token travels in `Authorization` (Okta's "Authentication Mode" setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMode {
    /// `Authorization: Bearer <token>` (Okta's "HTTP Header" mode with a Bearer token, and Entra).
    Bearer,
    /// `Authorization: <token>`, the raw value (Okta's "HTTP Header" mode as many servers expect).
    Header,
}

impl AuthMode {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "bearer" => Some(AuthMode::Bearer),
            "header" => Some(AuthMode::Header),
            _ => None,
        }
    }
}
