//! A scenario is data: an id, a title, where it comes from, the team it needs, what is done to
//! the target and what a correct target answers. The runner and the targets interpret it; the
//! catalogue (`crate::catalogue`) only builds values of these types.

use mock_idp::expect::Expected;
use mock_idp::faults::Fault;
use mock_idp::metadata::Published;
use mock_idp::post::Redirect;
use mock_idp::spec::ResponseSpec;
use mock_okta::{Profile, Sequence};
use time::Duration;

/// One entry of the catalogue.
#[derive(Clone)]
pub struct Scenario {
    /// Stable and dotted: `saml.audience.wrong-audience`. The first two segments are its area.
    pub id: String,
    pub title: String,
    /// The spec section, CVE, IdP quirk or field problem it comes from.
    pub source: String,
    pub stimulus: Stimulus,
}

impl Scenario {
    /// The id's first two segments (`saml.xsw`, `scim.entra`): how reports group scenarios.
    pub fn area(&self) -> &str {
        let mut dots = self.id.match_indices('.').map(|(i, _)| i);
        match (dots.next(), dots.next()) {
            (Some(_), Some(second)) => &self.id[..second],
            _ => &self.id,
        }
    }

    /// What a correct target does, in the words reports use.
    pub fn expected(&self) -> String {
        match &self.stimulus {
            Stimulus::Post(post) => expectation(&post.expected),
            Stimulus::Script(script) => script
                .last_expectation()
                .map_or_else(|| "every step as expected".to_owned(), expectation),
            Stimulus::Okta { .. } => "every step passes as Okta judges it".to_owned(),
        }
    }
}

/// `accepted`, or the code and the status a correct SP answers with: `audience_mismatch (4xx)`.
fn expectation(expected: &Expected) -> String {
    match expected {
        Expected::Accepted => "accepted".to_owned(),
        refused => refused.to_string(),
    }
}

/// What is done to the target.
#[derive(Clone)]
pub enum Stimulus {
    /// One response from the mock IdP, delivered to the ACS the way a browser does.
    Post(Box<Post>),
    /// Several steps against one team of its own (metadata events, SCIM then SSO): in-process
    /// only, since they reconfigure the SP.
    Script(Script),
    /// One mock-okta sequence against the team's SCIM server.
    Okta {
        profile: Profile,
        sequence: Sequence,
    },
}

/// A response, where the browser takes it, and what a correct SP answers.
#[derive(Clone)]
pub struct Post {
    pub team: TeamSetup,
    pub response: Response,
    /// The browser first meets this redirect in front of the Reply URL.
    pub via: Option<Redirect>,
    pub expected: Expected,
}

/// How the mock IdP makes the response. A target first aims `spec` at itself (Reply URL,
/// Destination and Recipient at its ACS, the audience at its entity ID: [`ResponseSpec::for_sp`])
/// and numbers it so that no two scenarios share an ID; then `adjust`, the fault and `edit`
/// apply, in that order, so each is written against the target's real values.
#[derive(Clone)]
pub struct Response {
    pub spec: ResponseSpec,
    pub adjust: Option<fn(&mut ResponseSpec)>,
    pub fault: Option<&'static Fault>,
    /// Applied to the rendered XML before signing (a field made empty or malformed).
    pub edit: Option<fn(String) -> String>,
}

impl Response {
    /// A valid response in `spec`'s shape.
    pub fn valid(spec: ResponseSpec) -> Response {
        Response {
            spec,
            adjust: None,
            fault: None,
            edit: None,
        }
    }
}

/// The team a scenario runs against. Equal slugs must mean equal setups: the catalogue's test
/// checks that, and targets create each slug once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamSetup {
    pub slug: String,
    pub issuer: String,
    pub metadata: MetadataSetup,
    pub scim: bool,
    /// Members are created by SCIM only (no JIT): SSO of an unknown member is refused.
    pub scim_provisioning: bool,
    pub encrypted_assertions: bool,
    pub member_key_name_id: bool,
}

impl TeamSetup {
    /// A team trusting `issuer` through the mock's static metadata with `published` keys, JIT
    /// provisioning, encrypted assertions allowed.
    pub fn static_metadata(slug: &str, issuer: &str, published: Published) -> TeamSetup {
        TeamSetup {
            slug: slug.to_owned(),
            issuer: issuer.to_owned(),
            metadata: MetadataSetup::Static(published),
            scim: false,
            scim_provisioning: false,
            encrypted_assertions: true,
            member_key_name_id: false,
        }
    }
}

/// Where the team's IdP metadata comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetadataSetup {
    /// Pasted XML, publishing these keys.
    Static(Published),
    /// A URL the SP fetches (served by the target's metadata host), first publishing these keys.
    Dynamic(Published),
}

/// Metadata a customer might paste that the SP must refuse when it is saved (DESIGN, Metadata:
/// "entityID equals the configured issuer, at least one signing certificate, SSO URL present").
/// The target renders it for the script's team at its clock's now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvalidMetadata {
    /// Not XML at all: an HTML login page pasted instead of the metadata.
    NotXml,
    /// The team's IdP metadata with its `KeyDescriptor`s removed.
    NoSigningCertificate,
    /// Another IdP's metadata: the entityID is not the issuer the form names.
    OtherEntityId,
    /// The team's IdP metadata without `SingleSignOnService`.
    NoSsoUrl,
    /// The team's IdP metadata with a `validUntil` an hour in the past.
    Expired,
}

impl InvalidMetadata {
    pub fn describe(self) -> &'static str {
        match self {
            InvalidMetadata::NotXml => "an HTML page instead of metadata",
            InvalidMetadata::NoSigningCertificate => "metadata without a signing certificate",
            InvalidMetadata::OtherEntityId => "another IdP's metadata (entityID is not the issuer)",
            InvalidMetadata::NoSsoUrl => "metadata without a SingleSignOnService",
            InvalidMetadata::Expired => "metadata past its validUntil",
        }
    }
}

/// Steps run in order against the script's own team.
#[derive(Clone)]
pub struct Script {
    pub team: TeamSetup,
    /// Further teams the script's responses name (another team's IdP asserting one of this
    /// team's members); set up with it, never reconfigured by it.
    pub others: Vec<TeamSetup>,
    pub steps: Vec<Step>,
}

impl Script {
    fn last_expectation(&self) -> Option<&Expected> {
        self.steps.iter().rev().find_map(|step| match step {
            Step::Post { expected, .. } => Some(expected),
            _ => None,
        })
    }
}

/// One step of a [`Script`].
#[derive(Clone)]
pub enum Step {
    /// Post a response (its Issuer picks the team, usually the script's); the SP must answer
    /// `expected`.
    Post {
        response: Box<Response>,
        expected: Expected,
    },
    /// The metadata URL now publishes these keys, with a `validUntil` that far after the SP's
    /// clock when given.
    Publish {
        keys: Published,
        valid_for: Option<Duration>,
    },
    /// The metadata URL answers 503 from now on.
    MetadataOutage,
    /// The SP's clock moves forward (a following [`Step::Refresh`] runs what has come due).
    Advance(Duration),
    /// The SP's metadata refresh pass runs at its clock's now; the script's team must be among
    /// the teams it refreshed, or, with `fails_with`, among those that failed with that code
    /// (the last good copy staying in force).
    Refresh { fails_with: Option<&'static str> },
    /// Configuring the team with unusable static metadata is refused with `code` (the metadata
    /// error's own code, such as `entity_id_mismatch`, else the admin error's), and the team's
    /// previous settings stay.
    ConfigureInvalidMetadata {
        metadata: InvalidMetadata,
        code: &'static str,
    },
    /// SCIM: create the member `email` (active).
    ScimCreate { email: &'static str },
    /// SCIM: set the member's `active` flag.
    ScimSetActive { email: &'static str, active: bool },
}
