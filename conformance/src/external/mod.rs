//! Targets ssolab does not run: a partner's SP, reached at its ACS URL ([`saml`]), and a
//! partner's SCIM server, reached at its base URL with a token ([`scim`]). Neither can be
//! reconfigured from here, so each runs the part of the catalogue that needs only what the
//! partner set up once, and counts the rest as not run ([`NotRun`]) rather than as failures.
//!
//! Before any scenario, one request checks that the target answers (and, for SCIM, accepts the
//! token), so that an unreachable target or a wrong token is one clear line, not a report of
//! identical errors.

pub mod login_rule;
pub mod saml;
pub mod scim;

/// Why an external run could not start.
#[derive(Debug, thiserror::Error)]
pub enum ExternalError {
    #[error(
        "--acs {url:?} is not an absolute http(s) URL ({reason}); give the ACS URL your SP publishes, e.g. https://sp.example/saml/acs"
    )]
    BadAcsUrl { url: String, reason: String },
    #[error("--entity-id is empty: give your SP's entity ID, the Audience it requires")]
    EmptyEntityId,
    #[error("the ACS {url} could not be reached: {reason} (is the SP running, and --acs right?)")]
    AcsUnreachable { url: String, reason: String },
    #[error(
        "--base-url {url:?} is not an absolute http(s) URL ({reason}); give the SCIM root, e.g. https://example.com/scim/v2"
    )]
    BadBaseUrl { url: String, reason: String },
    #[error("--token is empty: pass the API token your SCIM server issued")]
    EmptyToken,
    #[error("GET {url} failed: {reason} (is the SCIM server running, and --base-url right?)")]
    ScimUnreachable { url: String, reason: String },
    #[error(
        "GET {url} answered {status}: the SCIM server refused the token given with --token; pass the token it issued for this client"
    )]
    TokenRejected { url: String, status: u16 },
    #[error(
        "GET {url} answered 404: --base-url must be the SCIM root that /Users hangs from, e.g. https://example.com/scim/v2"
    )]
    ScimNotFound { url: String },
    #[error(
        "GET {url} answered {status}; a SCIM server answers 200 with a ListResponse (RFC 7644 §3.4.2)"
    )]
    ScimUnexpectedAnswer { url: String, status: u16 },
    #[error("--profile {given:?}: use okta, okta-aiw, entra or all")]
    UnknownProfile { given: String },
    #[error("the mock IdP's signing certificate: {0}")]
    IdpKey(String),
    #[error("cannot create the HTTP client: {0}")]
    Client(String),
}

impl ExternalError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            ExternalError::BadAcsUrl { .. } => "bad_acs_url",
            ExternalError::EmptyEntityId => "entity_id_empty",
            ExternalError::AcsUnreachable { .. } => "acs_unreachable",
            ExternalError::BadBaseUrl { .. } => "bad_base_url",
            ExternalError::EmptyToken => "token_empty",
            ExternalError::ScimUnreachable { .. } => "scim_unreachable",
            ExternalError::TokenRejected { .. } => "token_rejected",
            ExternalError::ScimNotFound { .. } => "scim_not_found",
            ExternalError::ScimUnexpectedAnswer { .. } => "scim_unexpected_answer",
            ExternalError::UnknownProfile { .. } => "unknown_profile",
            ExternalError::IdpKey(_) => "idp_key_unreadable",
            ExternalError::Client(_) => "client_failed",
        }
    }
}

/// `text` as an absolute http(s) URL, or why it is not one.
fn http_url(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text.trim()).map_err(|e| e.to_string())?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(format!("scheme {other}")),
    }
}

/// What went wrong under an HTTP client's error, on one line: its causes (reqwest's own text
/// repeats the URL the caller already prints, and the cause, "Connection refused", sits below
/// it), or the error itself when it has none.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut causes = Vec::new();
    let mut source = error.source();
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    if causes.is_empty() {
        error.to_string()
    } else {
        causes.join(": ")
    }
}

/// The selected scenarios a target cannot run, counted by reason, in the order reasons were met.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotRun {
    reasons: Vec<(&'static str, usize)>,
}

impl NotRun {
    fn add(&mut self, reason: &'static str) {
        match self.reasons.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, count)) => *count += 1,
            None => self.reasons.push((reason, 1)),
        }
    }

    pub fn total(&self) -> usize {
        self.reasons.iter().map(|(_, n)| n).sum()
    }

    /// For the report's summary: each reason with its count, in the order met.
    pub fn counts(&self) -> Vec<crate::result::NotRun> {
        self.reasons
            .iter()
            .map(|(reason, count)| crate::result::NotRun {
                reason: (*reason).to_owned(),
                count: *count,
            })
            .collect()
    }

    /// For people: one line for the total, then one per reason; empty when every scenario ran.
    pub fn lines(&self) -> Vec<String> {
        if self.reasons.is_empty() {
            return Vec::new();
        }
        let mut lines = vec![format!(
            "not run (not failures): {} selected scenario(s) do not apply to this target:",
            self.total()
        )];
        lines.extend(
            self.reasons
                .iter()
                .map(|(reason, count)| format!("  {count} {reason}")),
        );
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_run_counts_each_reason_once_in_the_order_met() {
        let mut not_run = NotRun::default();
        assert!(not_run.lines().is_empty());
        not_run.add("scripts: they reconfigure the SP");
        not_run.add("SCIM scenarios: use conformance scim");
        not_run.add("scripts: they reconfigure the SP");
        assert_eq!(not_run.total(), 3);
        assert_eq!(
            not_run.lines(),
            vec![
                "not run (not failures): 3 selected scenario(s) do not apply to this target:",
                "  2 scripts: they reconfigure the SP",
                "  1 SCIM scenarios: use conformance scim",
            ]
        );
    }

    #[test]
    fn only_absolute_http_urls_are_targets() {
        assert!(http_url(" https://sp.example/acs ").is_ok());
        assert_eq!(
            http_url("ftp://sp.example/acs"),
            Err("scheme ftp".to_owned())
        );
        assert!(http_url("sp.example/acs").is_err());
    }
}
