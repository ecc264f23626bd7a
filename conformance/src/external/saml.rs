//! A partner's SP as a target: `conformance saml --acs URL --entity-id ID`.
//!
//! The partner configures one IdP, once: the mock IdP under the okta preset's issuer (the
//! shared `acme` team's), with the metadata [`idp_metadata`] prints, which publishes the mock's
//! current signing key. What can run against that one configuration:
//!
//! - every scenario of the `acme` team, as is;
//! - a valid response of another IdP's team (the presets: Entra, Google, AD FS…) re-issued under
//!   the acme issuer. Their point is the shape (prefixes, which element is signed, NameID
//!   format, attribute names, validity windows), which the issuer does not change; only the
//!   issuer's own spelling (JumpCloud's free text) is lost.
//!
//! Not run, and counted as such: scripts (they reconfigure the SP), SCIM scenarios (`conformance
//! scim`), responses that need a second IdP at the SP, Assertions encrypted to ssolab's test SP
//! key (the partner's SP does not hold it), and posts that do not go straight to the ACS (a
//! redirect in front of it, a near-miss path, a GET: they test where a browser's post lands and
//! the names ssolab's `sp` gives a miss, not SAML processing).
//!
//! Judging: a partner's SP owes us no status or code, so "logged in" is the partner's
//! [`LoginRule`], and a refusal is any answer that is not a login (4xx, 5xx, a 200 error page,
//! a redirect to a login page). The code ssolab's `sp` answers is shown as what a refusal would
//! be about; when the partner's SP names a code in the `X-SSOLab-Code` header, it is reported,
//! never required. A 5xx passes as a refusal (the browser is not logged in, which is what
//! security asks) but its status shows in the report, where a crash is plain to see.

use super::login_rule::LoginRule;
use super::{ExternalError, NotRun, error_chain, http_url};
use crate::catalogue::teams;
use crate::deliver::{self, Ran, SamlTarget};
use crate::inprocess::IDP_SSO_URL;
use crate::result::{Evidence, Outcome};
use crate::runner::Target;
use crate::scenario::{Post, Scenario, Stimulus};
use mock_idp::expect::{CODE_HEADER, Expected};
use mock_idp::faults::Transform;
use mock_idp::keys::{KeyRole, KeyType};
use mock_idp::metadata::Published;
use mock_idp::post::Delivery;
use mock_idp::spec::{EncryptTo, HttpMethod};
use openssl::hash::MessageDigest;
use std::fmt;
use time::OffsetDateTime;

const SCRIPTS: &str =
    "scripts: they reconfigure the SP (metadata, clock, SCIM), which only the in-process sp allows";
const SCIM: &str = "SCIM scenarios: run them against your SCIM server with `conformance scim`";
const OTHER_IDP: &str = "scenarios that need a second IdP configured at your SP";
const ENCRYPTED: &str =
    "scenarios with the Assertion encrypted to ssolab's test SP key, which your SP does not hold";
const REPLY_URL: &str = "Reply-URL scenarios whose post does not go straight to your ACS (a redirect in front, a near-miss path, a GET): they test how ssolab's sp names a miss";

/// The mock IdP's entity ID: the okta preset's issuer, which the `acme` team trusts.
pub fn idp_issuer() -> String {
    teams::acme().issuer
}

/// The mock IdP's metadata for the partner's SP: its issuer, its SSO URL and its current RSA
/// signing certificate (the key every valid response is signed with).
pub fn idp_metadata() -> Result<String, ExternalError> {
    mock_idp::metadata::render(&idp_issuer(), IDP_SSO_URL, Published::Current, KeyType::Rsa)
        .map_err(|e| ExternalError::IdpKey(e.to_string()))
}

/// What to enter at the partner's SP, for people.
pub fn settings() -> Result<String, ExternalError> {
    let certificate = mock_idp::keys::certificate(KeyRole::Current, KeyType::Rsa)
        .map_err(|e| ExternalError::IdpKey(e.to_string()))?;
    let x509 = certificate.x509();
    let fingerprint = x509
        .digest(MessageDigest::sha256())
        .map_err(|e| ExternalError::IdpKey(e.to_string()))?
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    let pem = x509
        .to_pem()
        .map_err(|e| ExternalError::IdpKey(e.to_string()))?;
    Ok(format!(
        "Configure ONE IdP at your SP, the ssolab mock IdP (the metadata on stdout says the same):\n\
         \x20 IdP entity ID (issuer):  {issuer}\n\
         \x20 SSO URL:                 {IDP_SSO_URL} (never visited: every scenario is IdP-initiated)\n\
         \x20 Signing certificate:     the mock IdP's current RSA key, SHA-256 fingerprint {fingerprint}\n\
         \x20 IdP-initiated (unsolicited) responses: allowed; no scenario sends an AuthnRequest first\n\
         \x20 Member:                  alice@example.com must be able to log in (exists and is active, or JIT)\n\
         \x20 Assertion encryption:    off (scenarios encrypted to ssolab's test key are not run)\n\
         Then run `conformance saml --acs URL --entity-id ID`: Destination, Recipient and Audience \
         are set from them.\n\n{pem}",
        issuer = idp_issuer(),
        pem = String::from_utf8_lossy(&pem),
    ))
}

/// The scenarios of `selected` that run against a partner's SP (presets of other IdPs
/// re-issued under the mock's one issuer), and the rest counted by reason.
pub fn portable(selected: Vec<Scenario>) -> (Vec<Scenario>, NotRun) {
    let acme = teams::acme();
    let mut run = Vec::new();
    let mut not_run = NotRun::default();
    for mut scenario in selected {
        let post = match &mut scenario.stimulus {
            Stimulus::Script(_) => {
                not_run.add(SCRIPTS);
                continue;
            }
            Stimulus::Okta { .. } => {
                not_run.add(SCIM);
                continue;
            }
            Stimulus::Post(post) => post,
        };
        if !straight_to_acs(post) {
            not_run.add(REPLY_URL);
            continue;
        }
        if post
            .response
            .spec
            .encryption
            .as_ref()
            .is_some_and(|e| e.to == EncryptTo::Sp)
        {
            not_run.add(ENCRYPTED);
            continue;
        }
        if post.team != acme {
            if !reissuable(post, &acme) {
                not_run.add(OTHER_IDP);
                continue;
            }
            reissue(post, &acme.issuer);
            scenario
                .title
                .push_str(" (issued under the mock IdP's one issuer)");
        }
        run.push(scenario);
    }
    (run, not_run)
}

/// Whether the browser's post goes straight to the ACS: no redirect in front of it, and, after
/// the scenario's adjustment and fault, a POST to the ACS itself.
fn straight_to_acs(post: &Post) -> bool {
    const ACS: &str = "https://sp.invalid/acs";
    let mut spec = post.response.spec.clone().for_sp(ACS, "https://sp.invalid");
    if let Some(adjust) = post.response.adjust {
        adjust(&mut spec);
    }
    if let Some(fault) = post.response.fault {
        if fault.via_redirect.is_some() {
            return false;
        }
        // The other transforms rewrite the XML, never where the browser takes it.
        if let Transform::Spec(edit) = &fault.transform {
            edit(&mut spec);
        }
    }
    post.via.is_none() && spec.reply_url == ACS && spec.method == HttpMethod::Post
}

/// A valid response in another IdP's shape, for a team set up like acme but for its issuer: its
/// point survives another issuer.
fn reissuable(post: &Post, acme: &crate::scenario::TeamSetup) -> bool {
    let as_acme = crate::scenario::TeamSetup {
        slug: acme.slug.clone(),
        issuer: acme.issuer.clone(),
        ..post.team.clone()
    };
    as_acme == *acme
        && post.expected == Expected::Accepted
        && post.response.fault.is_none()
        && post.response.edit.is_none()
        && post.response.adjust.is_none()
}

fn reissue(post: &mut Post, issuer: &str) {
    let spec = &mut post.response.spec;
    // An issuer the shape omits stays omitted (SAML lets the Response go without one).
    for field in [&mut spec.response_issuer, &mut spec.assertion_issuer] {
        if field.is_some() {
            *field = Some(issuer.to_owned());
        }
    }
    post.team = teams::acme();
}

/// A partner's SP, reached at its ACS.
pub struct ExternalSp {
    target: SamlTarget,
    rule: LoginRule,
    /// Added to each scenario's number so that response and assertion IDs differ from every
    /// earlier run's: a partner's replay cache outlives a run.
    id_base: u64,
    client: reqwest::Client,
}

impl ExternalSp {
    pub fn new(acs: &str, entity_id: &str, rule: LoginRule) -> Result<ExternalSp, ExternalError> {
        let acs = http_url(acs).map_err(|reason| ExternalError::BadAcsUrl {
            url: acs.to_owned(),
            reason,
        })?;
        if entity_id.trim().is_empty() {
            return Err(ExternalError::EmptyEntityId);
        }
        let client = mock_idp::post::client().map_err(|e| ExternalError::Client(e.to_string()))?;
        // Milliseconds since 1970 times a thousand: a thousand scenarios per millisecond of
        // start time before two runs' IDs could meet.
        let millis = (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).max(0) as u64;
        Ok(ExternalSp {
            target: SamlTarget {
                acs: acs.to_string(),
                entity_id: entity_id.trim().to_owned(),
            },
            rule,
            id_base: millis.saturating_mul(1000),
            client,
        })
    }

    /// One GET to the ACS: any HTTP answer (a 405 is usual) shows the SP is there.
    pub async fn preflight(&self) -> Result<(), ExternalError> {
        self.client
            .get(&self.target.acs)
            .send()
            .await
            .map(drop)
            .map_err(|e| ExternalError::AcsUnreachable {
                url: self.target.acs.clone(),
                reason: error_chain(&e),
            })
    }

    /// What the partner's SP must answer to `scenario`: a login, or a refusal of any kind, not
    /// ssolab's own statuses and codes.
    fn expectation(scenario: &Scenario) -> String {
        let Stimulus::Post(post) = &scenario.stimulus else {
            return scenario.expected();
        };
        let posts = post.response.fault.map_or(1, |f| f.posts).max(1);
        let mut text = "logged in, then ".repeat(usize::from(posts) - 1);
        match post.expected {
            Expected::Accepted => text.push_str("logged in"),
            Expected::Refused(code) => text.push_str(&format!("refused (ssolab's sp: {code})")),
        }
        text
    }

    fn judge(&self, expected: Expected, deliveries: &[Delivery]) -> (bool, String) {
        let answers: Vec<Answer> = deliveries
            .iter()
            .map(|d| Answer::of(d, &self.rule))
            .collect();
        let agree = match answers.split_last() {
            Some((last, earlier)) => {
                earlier.iter().all(Answer::logged_in)
                    && last.logged_in() == (expected == Expected::Accepted)
            }
            None => false,
        };
        let got = answers
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", then ");
        (agree, got)
    }
}

/// What the partner's SP did with one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    LoggedIn {
        status: u16,
    },
    /// Anything else; with the code the SP named in `X-SSOLab-Code`, if it did.
    NotLoggedIn {
        status: u16,
        code: Option<String>,
    },
    RedirectLoop,
}

impl Answer {
    fn of(delivery: &Delivery, rule: &LoginRule) -> Answer {
        if let Some(status) = rule.login(delivery) {
            return Answer::LoggedIn { status };
        }
        if delivery.redirect_limit_hit {
            return Answer::RedirectLoop;
        }
        let code = delivery.hops.last().and_then(|hop| {
            hop.headers
                .iter()
                .find(|(name, _)| name == CODE_HEADER)
                .map(|(_, value)| value.trim().to_owned())
        });
        Answer::NotLoggedIn {
            status: delivery.final_status(),
            code,
        }
    }

    fn logged_in(&self) -> bool {
        matches!(self, Answer::LoggedIn { .. })
    }
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Answer::LoggedIn { status } => write!(f, "logged in ({status})"),
            Answer::NotLoggedIn { status, code: None } => write!(f, "refused ({status})"),
            Answer::NotLoggedIn {
                status,
                code: Some(code),
            } => write!(f, "refused ({status}, X-SSOLab-Code {code})"),
            Answer::RedirectLoop => f.write_str("refused (a redirect loop)"),
        }
    }
}

impl Target for ExternalSp {
    fn expected(&self, scenario: &Scenario) -> String {
        Self::expectation(scenario)
    }

    fn description(&self) -> String {
        format!(
            "SP at {} (entity ID {}; logged in = {})",
            self.target.acs, self.target.entity_id, self.rule
        )
    }

    async fn run(&self, scenario: &Scenario, n: u64) -> Ran {
        let Stimulus::Post(post) = &scenario.stimulus else {
            return Ran::error(
                "not run: not a single response",
                "only single responses run against a partner's SP; select scenarios with external::saml::portable",
            );
        };
        let sent = deliver::send(
            &self.client,
            &self.target,
            &post.response,
            post.via,
            post.expected,
            self.id_base + n,
            OffsetDateTime::now_utc(),
        )
        .await;
        let (request, checked) = match sent {
            Ok(sent) => sent,
            Err(ran) => return ran,
        };
        // mock-idp's verdict holds the SP to ssolab's statuses and codes; a partner's SP is
        // judged by its login rule alone.
        let (agree, got) = self.judge(post.expected, &checked.deliveries);
        let outcome = if agree { Outcome::Pass } else { Outcome::Fail };
        let evidence = (!agree).then(|| Evidence {
            request,
            response: deliver::transcripts(&checked.deliveries),
            diagnosis: format!(
                "expected: {}\ngot:      {got}\nlogged in means: {}\n",
                Self::expectation(scenario),
                self.rule
            ),
        });
        Ran {
            outcome,
            got,
            evidence,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mock_idp::post::Hop;

    fn by_id<'a>(scenarios: &'a [Scenario], id: &str) -> Option<&'a Scenario> {
        scenarios.iter().find(|s| s.id == id)
    }

    #[test]
    fn portable_keeps_acme_reissues_other_presets_and_counts_the_rest() {
        let all = crate::catalogue::all();
        let total = all.len();
        // The left-out ids below exist, so their absence from `run` is portable's doing.
        for id in [
            "saml.preset.entra.signed-response-encrypted",
            "saml.preset.adfs-encrypted",
            "saml.issuer.other-team-issuer",
            "saml.reply-url.reply-url-trailing-slash",
            "saml.reply-url.sign-on-url-get",
            "saml.reply-url.redirect-307",
            "saml.reply-url.idp-initiated-default-reply-url-home",
        ] {
            assert!(by_id(&all, id).is_some(), "{id} is in the catalogue");
        }
        let (run, not_run) = portable(all);
        assert_eq!(run.len() + not_run.total(), total);
        let acme = teams::acme();
        assert!(run.iter().all(|s| match &s.stimulus {
            Stimulus::Post(post) => post.team == acme,
            _ => false,
        }));
        // The Entra shape runs, under the mock's one issuer; its encrypted variant does not.
        let entra = by_id(&run, "saml.preset.entra").expect("the entra preset runs");
        let Stimulus::Post(post) = &entra.stimulus else {
            panic!("a post")
        };
        assert_eq!(
            post.response.spec.assertion_issuer.as_deref(),
            Some(acme.issuer.as_str())
        );
        assert!(by_id(&run, "saml.preset.entra.signed-response-encrypted").is_none());
        assert!(by_id(&run, "saml.preset.adfs-encrypted").is_none());
        // Attacks on the acme team run; the other team's and the Reply-URL misses do not.
        assert!(by_id(&run, "saml.xsw.xsw1").is_some());
        assert!(by_id(&run, "saml.protocol.replay").is_some());
        assert!(by_id(&run, "saml.issuer.other-team-issuer").is_none());
        for elsewhere in [
            "saml.reply-url.reply-url-trailing-slash",
            "saml.reply-url.sign-on-url-get",
            "saml.reply-url.redirect-307",
            "saml.reply-url.idp-initiated-default-reply-url-home",
        ] {
            assert!(by_id(&run, elsewhere).is_none(), "{elsewhere} ran");
        }
        // Posted straight to the ACS, with a Destination the SP must refuse: it runs.
        assert!(by_id(&run, "saml.reply-url.proxy-sees-http").is_some());
        let lines = not_run.lines().join("\n");
        for reason in [SCIM, OTHER_IDP, ENCRYPTED, REPLY_URL] {
            assert!(lines.contains(reason), "{reason} missing from:\n{lines}");
        }
    }

    fn sp(rule: &[&str]) -> ExternalSp {
        ExternalSp::new(
            "https://sp.example/saml/acs",
            "https://sp.example",
            LoginRule::parse(rule).expect("rule"),
        )
        .expect("target")
    }

    fn answer(status: u16, headers: &[(&str, &str)], cookies: &[&str]) -> Delivery {
        Delivery {
            hops: vec![Hop {
                method: "POST",
                url: "https://sp.example/saml/acs".to_owned(),
                sent_body: true,
                status,
                headers: headers
                    .iter()
                    .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                    .collect(),
                location: Some("/".to_owned()),
                set_cookies: cookies.iter().map(|c| (*c).to_owned()).collect(),
            }],
            body: String::new(),
            redirect_limit_hit: false,
        }
    }

    #[test]
    fn any_answer_but_a_login_is_a_refusal_and_a_named_code_is_reported() {
        use mock_idp::expect::Code;
        let sp = sp(&[]);
        let refused = Expected::Refused(Code::AudienceMismatch);
        assert_eq!(
            sp.judge(refused, &[answer(500, &[], &[])]),
            (true, "refused (500)".to_owned())
        );
        assert_eq!(
            sp.judge(refused, &[answer(403, &[(CODE_HEADER, "expired")], &[])]),
            (true, "refused (403, X-SSOLab-Code expired)".to_owned())
        );
        assert_eq!(
            sp.judge(refused, &[answer(303, &[], &["sid=1"])]),
            (false, "logged in (303)".to_owned())
        );
        assert_eq!(
            sp.judge(Expected::Accepted, &[answer(303, &[], &["sid=1"])]),
            (true, "logged in (303)".to_owned())
        );
        assert_eq!(
            sp.judge(Expected::Accepted, &[answer(200, &[], &[])]),
            (false, "refused (200)".to_owned())
        );
    }

    #[test]
    fn a_replay_passes_only_when_the_first_post_logged_in() {
        use mock_idp::expect::Code;
        let sp = sp(&["status=302"]);
        let replayed = Expected::Refused(Code::ReplayedAssertion);
        let login = answer(302, &[], &[]);
        let refusal = answer(403, &[], &[]);
        assert_eq!(
            sp.judge(replayed, &[login.clone(), refusal.clone()]),
            (true, "logged in (302), then refused (403)".to_owned())
        );
        assert!(!sp.judge(replayed, &[refusal.clone(), refusal]).0);
        assert!(!sp.judge(replayed, &[login.clone(), login]).0);
        let scenario = crate::catalogue::all()
            .into_iter()
            .find(|s| s.id == "saml.protocol.replay")
            .expect("the replay scenario");
        assert_eq!(
            sp.expected(&scenario),
            "logged in, then refused (ssolab's sp: replayed_assertion)"
        );
    }

    #[test]
    fn a_bad_acs_or_an_empty_entity_id_is_refused_before_any_request() {
        let rule = LoginRule::default();
        let bad = ExternalSp::new("sp.example/acs", "x", rule.clone()).err();
        assert_eq!(bad.map(|e| e.code()), Some("bad_acs_url"));
        let empty = ExternalSp::new("https://sp.example/acs", " ", rule).err();
        assert_eq!(empty.map(|e| e.code()), Some("entity_id_empty"));
    }

    #[test]
    fn the_metadata_publishes_the_issuer_and_the_current_key_only() {
        let xml = idp_metadata().expect("metadata");
        assert!(xml.contains(&format!("entityID=\"{}\"", idp_issuer())));
        let current = mock_idp::keys::certificate(KeyRole::Current, KeyType::Rsa)
            .and_then(|c| {
                c.to_base64()
                    .map_err(|source| mock_idp::keys::KeyError::Key {
                        path: "current".to_owned(),
                        source,
                    })
            })
            .expect("current certificate");
        assert_eq!(xml.matches("<ds:X509Certificate>").count(), 1);
        assert!(xml.contains(&current));
        let settings = settings().expect("settings");
        assert!(settings.contains(&idp_issuer()));
        assert!(settings.contains("-----BEGIN CERTIFICATE-----"));
    }
}
