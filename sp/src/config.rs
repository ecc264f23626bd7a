//! The SP's own identity and tolerances, the same for every team.

use time::Duration;

/// What the SP is called and how strict it is. Built once at start-up; the CLI exposes each field.
#[derive(Debug, Clone)]
pub struct SpConfig {
    /// The SP's entity ID, which assertions must name as their Audience.
    pub entity_id: String,
    /// The public base URL of the SP (`https://www.qualified.io`); the ACS URL is derived from it.
    pub base_url: String,
    /// Tolerated clock difference with IdPs, both ways.
    pub clock_skew: Duration,
    /// How old an IssueInstant may be (plus the skew) before the response is stale.
    pub max_issue_age: Duration,
    /// Caps for the decoded response document.
    pub limits: xmldsig::Limits,
    /// The SP's private key for encrypted assertions, if it publishes an encryption certificate.
    pub decryption_key: Option<xmldsig::PrivateKey>,
}

/// The ACS path: one ACS serves every team.
pub const ACS_PATH: &str = "/api/saml/consume";

impl SpConfig {
    /// The production defaults of the product this SP reproduces.
    pub fn qualified() -> SpConfig {
        SpConfig {
            entity_id: "https://qualified.io".to_owned(),
            base_url: "https://www.qualified.io".to_owned(),
            clock_skew: Duration::seconds(180),
            max_issue_age: Duration::minutes(5),
            limits: xmldsig::Limits {
                max_bytes: 256 * 1024,
                ..xmldsig::Limits::default()
            },
            decryption_key: None,
        }
    }

    /// The ACS URL that Destination and Recipient must equal.
    pub fn acs_url(&self) -> String {
        format!("{}{ACS_PATH}", self.base_url.trim_end_matches('/'))
    }
}
