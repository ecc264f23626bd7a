//! What a correct SP answers, and whether an SP's answer agrees.
//!
//! A fault's catalogue line carries an [`Expected`]: `accepted`, or a [`Code`] a correct SP
//! refuses with. `mock-idp post` reads the SP's answer from the hops of a delivery
//! ([`Outcome::of`]) and compares ([`judge`]). The codes are DESIGN.md's contract, written here
//! from that document and not imported from `sp`: this crate is an independent witness.

use crate::names::{UnknownName, find};
use crate::post::{Delivery, Hop};
use std::fmt;

/// The response header in which our SP names the code of a refusal or a diagnosis page; when it
/// is absent the code is read from the page (`<code>…</code>`).
pub const CODE_HEADER: &str = "x-ssolab-code";

/// A code an SP answers with: DESIGN.md's rejection codes for the ACS, and the codes of the
/// pages that diagnose a request that missed the ACS (a Reply URL problem).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    NotBase64,
    TooLarge,
    MalformedXml,
    DoctypeForbidden,
    UnknownIssuer,
    IssuerMismatch,
    Unsigned,
    SignatureInvalid,
    DigestMismatch,
    AlgorithmForbidden,
    TransformForbidden,
    ReferenceMismatch,
    DuplicateId,
    NoAssertion,
    MultipleAssertions,
    VersionMismatch,
    StatusNotSuccess,
    DestinationMismatch,
    RecipientMismatch,
    AudienceMismatch,
    AudienceMissing,
    NotYetValid,
    Expired,
    IssueInstantStale,
    NoBearerConfirmation,
    InResponseToUnknown,
    UnsolicitedForbidden,
    ReplayedAssertion,
    NameIdMissing,
    EmailMissing,
    DecryptionFailed,
    SsoNotEnabled,
    MemberInactive,
    MemberUnknown,
    /// The ACS reached with GET (a Sign-on URL set to the ACS, or a 301/302/303 on the way).
    AcsGet,
    /// A path that differs from the ACS's by a trailing slash, a double slash or letter case.
    AcsPathNearMiss,
    /// A POST carrying a SAMLResponse to a path that is not the ACS (a stale Reply URL).
    SamlResponseMisdirected,
    /// An email or NameID with look-alike or compatibility characters.
    IdentityNotNormalized,
    /// A POST to the ACS without a SAMLResponse field.
    SamlResponseMissing,
    /// A DEFLATE-compressed (HTTP-Redirect binding) response posted to the ACS.
    RedirectBinding,
    /// A post that is not an HTML form (multipart, JSON).
    ContentTypeUnsupported,
    /// An answer to an SP-initiated login another browser started.
    RequestFromAnotherBrowser,
    /// The SP too busy to judge the response (503).
    Busy,
    /// The team's URL metadata past its validUntil.
    MetadataExpired,
    /// The ACS reached with a method other than POST or GET (405).
    AcsMethodNotAllowed,
    /// XML past a structure cap (depth, elements, attributes or namespaces per element, …).
    TooComplex,
}

impl Code {
    pub const ALL: [Code; 46] = [
        Code::NotBase64,
        Code::TooLarge,
        Code::MalformedXml,
        Code::DoctypeForbidden,
        Code::UnknownIssuer,
        Code::IssuerMismatch,
        Code::Unsigned,
        Code::SignatureInvalid,
        Code::DigestMismatch,
        Code::AlgorithmForbidden,
        Code::TransformForbidden,
        Code::ReferenceMismatch,
        Code::DuplicateId,
        Code::NoAssertion,
        Code::MultipleAssertions,
        Code::VersionMismatch,
        Code::StatusNotSuccess,
        Code::DestinationMismatch,
        Code::RecipientMismatch,
        Code::AudienceMismatch,
        Code::AudienceMissing,
        Code::NotYetValid,
        Code::Expired,
        Code::IssueInstantStale,
        Code::NoBearerConfirmation,
        Code::InResponseToUnknown,
        Code::UnsolicitedForbidden,
        Code::ReplayedAssertion,
        Code::NameIdMissing,
        Code::EmailMissing,
        Code::DecryptionFailed,
        Code::SsoNotEnabled,
        Code::MemberInactive,
        Code::MemberUnknown,
        Code::AcsGet,
        Code::AcsPathNearMiss,
        Code::SamlResponseMisdirected,
        Code::IdentityNotNormalized,
        Code::SamlResponseMissing,
        Code::RedirectBinding,
        Code::ContentTypeUnsupported,
        Code::RequestFromAnotherBrowser,
        Code::Busy,
        Code::MetadataExpired,
        Code::AcsMethodNotAllowed,
        Code::TooComplex,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::NotBase64 => "not_base64",
            Code::TooLarge => "too_large",
            Code::MalformedXml => "malformed_xml",
            Code::DoctypeForbidden => "doctype_forbidden",
            Code::UnknownIssuer => "unknown_issuer",
            Code::IssuerMismatch => "issuer_mismatch",
            Code::Unsigned => "unsigned",
            Code::SignatureInvalid => "signature_invalid",
            Code::DigestMismatch => "digest_mismatch",
            Code::AlgorithmForbidden => "algorithm_forbidden",
            Code::TransformForbidden => "transform_forbidden",
            Code::ReferenceMismatch => "reference_mismatch",
            Code::DuplicateId => "duplicate_id",
            Code::NoAssertion => "no_assertion",
            Code::MultipleAssertions => "multiple_assertions",
            Code::VersionMismatch => "version_mismatch",
            Code::StatusNotSuccess => "status_not_success",
            Code::DestinationMismatch => "destination_mismatch",
            Code::RecipientMismatch => "recipient_mismatch",
            Code::AudienceMismatch => "audience_mismatch",
            Code::AudienceMissing => "audience_missing",
            Code::NotYetValid => "not_yet_valid",
            Code::Expired => "expired",
            Code::IssueInstantStale => "issue_instant_stale",
            Code::NoBearerConfirmation => "no_bearer_confirmation",
            Code::InResponseToUnknown => "in_response_to_unknown",
            Code::UnsolicitedForbidden => "unsolicited_forbidden",
            Code::ReplayedAssertion => "replayed_assertion",
            Code::NameIdMissing => "name_id_missing",
            Code::EmailMissing => "email_missing",
            Code::DecryptionFailed => "decryption_failed",
            Code::SsoNotEnabled => "sso_not_enabled",
            Code::MemberInactive => "member_inactive",
            Code::MemberUnknown => "member_unknown",
            Code::AcsGet => "acs_get",
            Code::AcsPathNearMiss => "acs_path_near_miss",
            Code::SamlResponseMisdirected => "saml_response_misdirected",
            Code::IdentityNotNormalized => "identity_not_normalized",
            Code::SamlResponseMissing => "saml_response_missing",
            Code::RedirectBinding => "redirect_binding",
            Code::ContentTypeUnsupported => "content_type_unsupported",
            Code::RequestFromAnotherBrowser => "request_from_another_browser",
            Code::Busy => "busy",
            Code::MetadataExpired => "metadata_expired",
            Code::AcsMethodNotAllowed => "acs_method_not_allowed",
            Code::TooComplex => "too_complex",
        }
    }

    /// The code named `name`, or an error listing every code.
    pub fn parse(name: &str) -> Result<Code, UnknownName> {
        find(&Code::ALL, name, "code", |c| c.as_str()).copied()
    }

    /// The status of a diagnosis page (DESIGN.md: near misses "keep their real status"), the
    /// first of [`Code::diagnosis_statuses`]; `None` for an ACS rejection, which may be any 4xx.
    pub fn diagnosis_status(self) -> Option<u16> {
        self.diagnosis_statuses().map(|s| s[0])
    }

    /// Every real status a diagnosis page may keep. A response posted to a path the SP does not
    /// serve keeps 404; posted to one that it serves with other methods (its home or login
    /// page, GET only), the real status is 405.
    pub fn diagnosis_statuses(self) -> Option<&'static [u16]> {
        match self {
            Code::AcsGet | Code::AcsMethodNotAllowed => Some(&[405]),
            Code::AcsPathNearMiss => Some(&[404]),
            Code::SamlResponseMisdirected => Some(&[404, 405]),
            _ => None,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a correct SP answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Expected {
    /// A login: a 302/303 into the application that sets a session cookie.
    Accepted,
    /// A 4xx naming this code (with exactly [`Code::diagnosis_status`] for a diagnosis code).
    Refused(Code),
}

impl Expected {
    /// `accepted` or a code, as `--expect` and the JSON catalogue write it.
    pub fn parse(text: &str) -> Result<Expected, UnknownName> {
        if text == "accepted" {
            return Ok(Expected::Accepted);
        }
        Code::parse(text).map(Expected::Refused).map_err(|mut e| {
            e.what = "expectation";
            e.choices.insert(0, "accepted");
            e
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Expected::Accepted => "accepted",
            Expected::Refused(code) => code.as_str(),
        }
    }

    /// Whether `got` is this answer.
    pub fn is_met_by(self, got: &Outcome) -> bool {
        match (self, got) {
            (Expected::Accepted, Outcome::Accepted { .. }) => true,
            (Expected::Refused(code), Outcome::Answered { status, code: got }) => {
                let status_ok = match code.diagnosis_statuses() {
                    Some(real) => real.contains(status),
                    None => (400..500).contains(status),
                };
                status_ok && got.as_deref() == Some(code.as_str())
            }
            _ => false,
        }
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expected::Refused(code) => match code.diagnosis_statuses() {
                Some(real) => {
                    let real: Vec<String> = real.iter().map(u16::to_string).collect();
                    write!(f, "{code} ({})", real.join(" or "))
                }
                None => write!(f, "{code} (4xx)"),
            },
            Expected::Accepted => f.write_str("accepted (302/303 with a session cookie)"),
        }
    }
}

/// What an SP answered to one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A 302/303 that set a cookie: the SP logged the browser in.
    Accepted { status: u16 },
    /// Any other final answer, with the code the SP named (header, else page), if any.
    Answered { status: u16, code: Option<String> },
    /// Still redirecting when the poster gave up.
    RedirectLoop,
}

impl Outcome {
    /// The SP's answer in `delivery`: the first hop that is a login, else the final hop.
    /// Redirects without a cookie (canonical host, http → https, a redirector) are the way
    /// there, not the answer.
    pub fn of(delivery: &Delivery) -> Outcome {
        if let Some(login) = delivery.hops.iter().find(|h| is_login(h)) {
            return Outcome::Accepted {
                status: login.status,
            };
        }
        if delivery.redirect_limit_hit {
            return Outcome::RedirectLoop;
        }
        // `post::deliver` records a hop before it returns; without one there is no answer,
        // which status 0 (never a 4xx, never a login) says.
        let Some(last) = delivery.hops.last() else {
            return Outcome::Answered {
                status: 0,
                code: None,
            };
        };
        let from_header = last
            .headers
            .iter()
            .find(|(name, _)| name == CODE_HEADER)
            .map(|(_, value)| value.trim().to_owned());
        Outcome::Answered {
            status: last.status,
            code: from_header.or_else(|| code_on_page(&delivery.body).map(str::to_owned)),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Accepted { status } => write!(f, "accepted ({status} with a session cookie)"),
            Outcome::Answered { status, code } => {
                write!(f, "{} ({status})", code.as_deref().unwrap_or("no code"))
            }
            Outcome::RedirectLoop => f.write_str("a redirect loop"),
        }
    }
}

/// A 302/303 that sets a cookie. A header that deletes a cookie (a logout, a refusal clearing
/// a half-started session) is not a login.
fn is_login(hop: &Hop) -> bool {
    matches!(hop.status, 302 | 303)
        && hop
            .set_cookies
            .iter()
            .any(|c| crate::post::cookie_set_by(c).is_some())
}

/// The first `<code>…</code>` of a page: where our SP's pages name the code.
fn code_on_page(body: &str) -> Option<&str> {
    let code = body.split("<code>").nth(1)?.split("</code>").next()?.trim();
    // A code is snake_case; anything else in a <code> element is not one.
    let is_code = !code.is_empty()
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    is_code.then_some(code)
}

/// The comparison of what a correct SP answers with what the SP answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub expected: Expected,
    /// One outcome per delivery (two for a replay).
    pub got: Vec<Outcome>,
    pub agree: bool,
}

/// Judges `deliveries` of one response: every delivery before the last must be a login (a
/// replay is only a replay of something accepted), and the last must be `expected`.
pub fn judge(expected: Expected, deliveries: &[Delivery]) -> Verdict {
    let got: Vec<Outcome> = deliveries.iter().map(Outcome::of).collect();
    let agree = match got.split_last() {
        Some((last, earlier)) => {
            earlier.iter().all(|o| Expected::Accepted.is_met_by(o)) && expected.is_met_by(last)
        }
        None => false,
    };
    Verdict {
        expected,
        got,
        agree,
    }
}

impl Verdict {
    /// Lines for people: expected, got (per post), and whether they agree.
    pub fn report(&self) -> String {
        let mut out = format!("expected: {}\n", self.expected);
        let count = self.got.len();
        for (i, outcome) in self.got.iter().enumerate() {
            if count > 1 {
                out.push_str(&format!("got (post {} of {count}): {outcome}\n", i + 1));
            } else {
                out.push_str(&format!("got:      {outcome}\n"));
            }
        }
        out.push_str(if self.agree {
            "verdict:  agree\n"
        } else {
            "verdict:  DISAGREE\n"
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misdirected_response_keeps_404_or_the_405_of_a_page_served_with_get() {
        let answered = |status| Outcome::Answered {
            status,
            code: Some("saml_response_misdirected".to_owned()),
        };
        let misdirected = Expected::Refused(Code::SamlResponseMisdirected);
        assert!(misdirected.is_met_by(&answered(404)));
        assert!(misdirected.is_met_by(&answered(405)));
        assert!(!misdirected.is_met_by(&answered(400)));
        // Near misses of the ACS path keep exactly 404.
        let near = Outcome::Answered {
            status: 405,
            code: Some("acs_path_near_miss".to_owned()),
        };
        assert!(!Expected::Refused(Code::AcsPathNearMiss).is_met_by(&near));
        assert_eq!(
            misdirected.to_string(),
            "saml_response_misdirected (404 or 405)"
        );
    }

    fn hop(status: u16, headers: &[(&str, &str)], set_cookies: &[&str]) -> Hop {
        Hop {
            method: "POST",
            url: "http://sp/api/saml/consume".to_owned(),
            sent_body: true,
            status,
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            location: None,
            set_cookies: set_cookies.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    fn delivery(hops: Vec<Hop>, body: &str) -> Delivery {
        Delivery {
            hops,
            body: body.to_owned(),
            redirect_limit_hit: false,
        }
    }

    const REFUSAL_PAGE: &str =
        "<h1>Single sign-on failed</h1><p>Code: <code>audience_mismatch</code></p>";

    #[test]
    fn every_code_parses_back_and_unknown_codes_list_the_choices() {
        for code in Code::ALL {
            assert_eq!(Code::parse(code.as_str()), Ok(code));
            assert_eq!(Expected::parse(code.as_str()), Ok(Expected::Refused(code)));
        }
        assert_eq!(Expected::parse("accepted"), Ok(Expected::Accepted));
        let error = Expected::parse("audience_mismach").expect_err("a typo");
        assert_eq!(error.what, "expectation");
        assert_eq!(error.choices.first(), Some(&"accepted"));
        assert!(error.choices.contains(&"audience_mismatch"));
    }

    #[test]
    fn the_header_names_the_code_before_the_page_does() {
        let answer = delivery(
            vec![hop(403, &[(CODE_HEADER, "recipient_mismatch")], &[])],
            REFUSAL_PAGE,
        );
        assert_eq!(
            Outcome::of(&answer),
            Outcome::Answered {
                status: 403,
                code: Some("recipient_mismatch".to_owned())
            }
        );
        let without_header = delivery(vec![hop(403, &[], &[])], REFUSAL_PAGE);
        assert_eq!(
            Outcome::of(&without_header),
            Outcome::Answered {
                status: 403,
                code: Some("audience_mismatch".to_owned())
            }
        );
    }

    #[test]
    fn a_redirect_with_a_cookie_is_a_login_and_one_without_is_the_way_there() {
        let login = delivery(
            vec![
                hop(301, &[], &[]),
                hop(303, &[], &["session=abc; HttpOnly"]),
                hop(200, &[], &[]),
            ],
            "<code>acme</code>",
        );
        assert_eq!(Outcome::of(&login), Outcome::Accepted { status: 303 });
        let lost = delivery(
            vec![
                hop(301, &[], &[]),
                hop(405, &[(CODE_HEADER, "acs_get")], &[]),
            ],
            "",
        );
        assert!(Expected::Refused(Code::AcsGet).is_met_by(&Outcome::of(&lost)));
        assert!(!Expected::Accepted.is_met_by(&Outcome::of(&lost)));
    }

    #[test]
    fn a_redirect_that_only_deletes_a_cookie_is_not_a_login() {
        let cleared = delivery(vec![hop(302, &[], &["session=; Max-Age=0"])], "");
        assert!(!Expected::Accepted.is_met_by(&Outcome::of(&cleared)));
    }

    #[test]
    fn a_diagnosis_code_needs_its_exact_status_and_a_rejection_any_4xx() {
        let near_miss = |status| Outcome::Answered {
            status,
            code: Some("acs_path_near_miss".to_owned()),
        };
        let near = Expected::Refused(Code::AcsPathNearMiss);
        assert!(near.is_met_by(&near_miss(404)));
        assert!(!near.is_met_by(&near_miss(400)));
        let refused = |status| Outcome::Answered {
            status,
            code: Some("audience_mismatch".to_owned()),
        };
        let audience = Expected::Refused(Code::AudienceMismatch);
        assert!(audience.is_met_by(&refused(403)));
        assert!(audience.is_met_by(&refused(400)));
        assert!(!audience.is_met_by(&refused(500)));
        assert!(!audience.is_met_by(&refused(200)));
        assert!(!Expected::Refused(Code::Expired).is_met_by(&refused(403)));
    }

    #[test]
    fn a_replay_agrees_only_when_the_first_post_logged_in() {
        let accepted = delivery(vec![hop(303, &[], &["session=1"])], "");
        let replayed = delivery(
            vec![hop(403, &[(CODE_HEADER, "replayed_assertion")], &[])],
            "",
        );
        let expected = Expected::Refused(Code::ReplayedAssertion);
        assert!(judge(expected, &[accepted.clone(), replayed.clone()]).agree);
        assert!(!judge(expected, &[replayed.clone(), replayed]).agree);
        assert!(!judge(expected, &[]).agree);
        let verdict = judge(Expected::Accepted, &[accepted]);
        assert!(verdict.agree);
        assert_eq!(
            verdict.report(),
            "expected: accepted (302/303 with a session cookie)\ngot:      accepted (303 with a session cookie)\nverdict:  agree\n"
        );
    }

    #[test]
    fn page_text_that_is_not_a_code_is_not_read_as_one() {
        assert_eq!(code_on_page("<p><code>Not A Code</code></p>"), None);
        assert_eq!(code_on_page("no code here"), None);
        assert_eq!(code_on_page("<code>acs_get</code>"), Some("acs_get"));
    }
}
