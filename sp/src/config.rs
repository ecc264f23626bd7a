//! The SP's own identity and tolerances, the same for every team.

use time::Duration;

/// What the SP is called and how strict it is. Built once at start-up; the CLI exposes each field.
#[derive(Debug, Clone)]
pub struct SpConfig {
    /// The SP's entity ID, which assertions must name as their Audience.
    pub entity_id: String,
    /// The public base URL of the SP (`https://www.qualified.io`); the ACS URL is derived from it.
    pub base_url: String,
    /// The ACS's path (and query, if any) as IdPs and browsers see it, appended to `base_url` to
    /// form [`SpConfig::acs_url`]; [`ACS_PATH`] by default. Real deployments publish other
    /// shapes (`/session/sso/saml/acs/dknhyszjl7`, `/demo1/index.php?acs`, or the bare host), and
    /// a TLS-terminating proxy may map such a public path onto the SP's own route: Destination
    /// and Recipient are compared with the public URL. The SP's router still serves
    /// [`ACS_PATH`]; this field (`sp serve --public-acs-path`) changes what responses must be
    /// addressed to and what the SP metadata publishes, not where they are received.
    pub acs_path: String,
    /// Tolerated clock difference with IdPs, both ways.
    pub clock_skew: Duration,
    /// How old an IssueInstant may be (plus the skew) before the response is stale.
    pub max_issue_age: Duration,
    /// Caps for the decoded response document.
    pub limits: xmldsig::Limits,
    /// The SP's private key for encrypted assertions, if it publishes an encryption certificate.
    pub decryption_key: Option<xmldsig::PrivateKey>,
    /// Accept AES-CBC content encryption (GCM is always accepted). CBC without an integrity
    /// check is what the XML Encryption padding-oracle attack needs; every failure after the
    /// key is used answers alike, but an SP whose IdPs all use GCM can refuse CBC outright
    /// (`sp serve --refuse-cbc`).
    pub allow_cbc: bool,
}

/// The ACS path: one ACS serves every team.
pub const ACS_PATH: &str = "/api/saml/consume";

impl SpConfig {
    /// The production defaults of the product this SP reproduces.
    pub fn qualified() -> SpConfig {
        SpConfig {
            entity_id: "https://qualified.io".to_owned(),
            base_url: "https://www.qualified.io".to_owned(),
            acs_path: ACS_PATH.to_owned(),
            clock_skew: Duration::seconds(180),
            max_issue_age: Duration::minutes(5),
            limits: xmldsig::Limits {
                max_bytes: 256 * 1024,
                ..xmldsig::Limits::default()
            },
            decryption_key: None,
            allow_cbc: true,
        }
    }

    /// The ACS URL that Destination and Recipient must equal: `base_url` (without a trailing
    /// slash) followed by `acs_path`.
    pub fn acs_url(&self) -> String {
        format!("{}{}", self.base_url.trim_end_matches('/'), self.acs_path)
    }

    /// The largest form body the ACS reads. The form carries base64 (4/3 of the XML) and
    /// URL-encoding: twice the XML cap bounds it. Whatever else inspects a posted form (the
    /// diagnostics for responses posted elsewhere) reads no more than the ACS would.
    pub fn form_body_cap(&self) -> usize {
        self.limits.max_bytes * 2
    }

    /// The scheme of `base_url` (`https` when it names none), which redirects keep.
    pub fn base_scheme(&self) -> &str {
        self.base_url
            .split_once("://")
            .map_or("https", |(scheme, _)| scheme)
    }

    /// The host (and port) of `base_url`.
    pub fn base_host(&self) -> &str {
        let rest = self
            .base_url
            .split_once("://")
            .map_or(self.base_url.as_str(), |(_, rest)| rest);
        rest.split(['/', '?', '#']).next().unwrap_or(rest)
    }

    /// The login page's public URL, where a person starts "SSO LOG IN".
    pub fn login_url(&self) -> String {
        format!("{}/login", self.base_url.trim_end_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acs_url_defaults_to_base_url_plus_acs_path() {
        let sp = SpConfig::qualified();
        assert_eq!(sp.acs_url(), "https://www.qualified.io/api/saml/consume");
        let mut sp = SpConfig::qualified();
        sp.base_url = "https://www.qualified.io/".to_owned();
        assert_eq!(sp.acs_url(), "https://www.qualified.io/api/saml/consume");
    }

    #[test]
    fn base_scheme_and_host_come_from_the_base_url() {
        let mut sp = SpConfig::qualified();
        assert_eq!(
            (sp.base_scheme(), sp.base_host()),
            ("https", "www.qualified.io")
        );
        sp.base_url = "http://127.0.0.1:8080/".to_owned();
        assert_eq!(
            (sp.base_scheme(), sp.base_host()),
            ("http", "127.0.0.1:8080")
        );
        assert_eq!(sp.login_url(), "http://127.0.0.1:8080/login");
    }

    #[test]
    fn acs_path_takes_the_shapes_real_deployments_publish() {
        // Corpus (../shared/fixtures-real/SOURCES.md): gosaml2's AD FS capture, crewjam's
        // OneLogin example IdP (a query string), ssoready's Okta capture (the bare origin).
        let mut sp = SpConfig::qualified();
        sp.base_url = "https://saml.test.nope".to_owned();
        sp.acs_path = "/session/sso/saml/acs/dknhyszjl7".to_owned();
        assert_eq!(
            sp.acs_url(),
            "https://saml.test.nope/session/sso/saml/acs/dknhyszjl7"
        );
        sp.base_url = "http://sp.example.com".to_owned();
        sp.acs_path = "/demo1/index.php?acs".to_owned();
        assert_eq!(sp.acs_url(), "http://sp.example.com/demo1/index.php?acs");
        sp.base_url = "http://localhost:8080".to_owned();
        sp.acs_path = String::new();
        assert_eq!(sp.acs_url(), "http://localhost:8080");
    }
}
