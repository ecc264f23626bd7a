//! Metadata events, each a script on a team of its own: logins through static and dynamic
//! metadata, a key rotation with and without an overlap, an outage survived on the last good
//! copy (and refused once that copy is past its validUntil), and unusable metadata refused when
//! it is saved, the previous settings staying in force.
//!
//! A signature by a key the team's metadata does not publish is `signature_invalid`: the SP
//! verifies only against the pinned certificates (DESIGN, Validation), so a key it has not been
//! told about is indistinguishable from an attacker's.

use crate::scenario::{
    InvalidMetadata, MetadataSetup, Response, Scenario, Script, Step, Stimulus, TeamSetup,
};
use mock_idp::expect::{Code, Expected};
use mock_idp::keys::KeyRole;
use mock_idp::metadata::Published;
use mock_idp::spec::ResponseSpec;
use time::Duration;

/// Far enough for any refresh the SP scheduled after a successful fetch to be due
/// (`sp::saml::refresh::DEFAULT_INTERVAL` is 6 h).
const PAST_NEXT_REFRESH: Duration = Duration::hours(7);

pub fn scenarios() -> Vec<Scenario> {
    let mut out = vec![
        event(
            "static",
            "A login through pasted (static) metadata",
            "DESIGN, Metadata: static XML parsed and checked at configuration time",
            MetadataSetup::Static(Published::Current),
            vec![
                post(KeyRole::Current, Expected::Accepted),
                post(KeyRole::Attacker, Expected::Refused(Code::SignatureInvalid)),
            ],
        ),
        event(
            "dynamic",
            "A login through metadata the SP fetched from the IdP's URL",
            "DESIGN, Metadata: a dynamic URL fetched with a timeout and size cap, cached in the database",
            MetadataSetup::Dynamic(Published::Current),
            vec![
                post(KeyRole::Current, Expected::Accepted),
                post(KeyRole::Attacker, Expected::Refused(Code::SignatureInvalid)),
            ],
        ),
        event(
            "rotation-with-overlap",
            "Key rotation with both keys published: both accepted during the overlap, the old one refused once the IdP drops it",
            "SAML metadata §2.4.1.1 (several KeyDescriptors); DESIGN, Validation: several certificates for rollover",
            MetadataSetup::Dynamic(Published::Current),
            vec![
                publish(Published::Both),
                Step::Advance(PAST_NEXT_REFRESH),
                refreshed(),
                post(KeyRole::Current, Expected::Accepted),
                post(KeyRole::Next, Expected::Accepted),
                publish(Published::Next),
                Step::Advance(PAST_NEXT_REFRESH),
                refreshed(),
                post(KeyRole::Current, Expected::Refused(Code::SignatureInvalid)),
                post(KeyRole::Next, Expected::Accepted),
            ],
        ),
        event(
            "rotation-without-overlap",
            "The IdP switches to its next key before the SP refreshed: refused until the refresh, accepted after",
            "Field problem: an IdP certificate rolled over without publishing the next one in advance",
            MetadataSetup::Dynamic(Published::Current),
            vec![
                publish(Published::Next),
                post(KeyRole::Next, Expected::Refused(Code::SignatureInvalid)),
                Step::Advance(PAST_NEXT_REFRESH),
                refreshed(),
                post(KeyRole::Next, Expected::Accepted),
                post(KeyRole::Current, Expected::Refused(Code::SignatureInvalid)),
            ],
        ),
        event(
            "outage-last-good",
            "The metadata URL is down: the refresh fails and logins go on with the last good copy",
            "DESIGN, Metadata: on failure the last good copy stays in force, the error and its time are recorded",
            MetadataSetup::Dynamic(Published::Current),
            vec![
                Step::MetadataOutage,
                Step::Advance(PAST_NEXT_REFRESH),
                Step::Refresh {
                    fails_with: Some("status"),
                },
                post(KeyRole::Current, Expected::Accepted),
                post(KeyRole::Attacker, Expected::Refused(Code::SignatureInvalid)),
            ],
        ),
        event(
            "outage-past-valid-until",
            "The metadata URL stays down past the last good copy's validUntil: logins refused with metadata_expired",
            "SAML metadata §2.3.1 (validUntil: the document must not be used after it); sp/src/trust.rs",
            MetadataSetup::Dynamic(Published::Current),
            vec![
                Step::Publish {
                    keys: Published::Current,
                    valid_for: Some(PAST_NEXT_REFRESH + Duration::hours(1)),
                },
                Step::Advance(PAST_NEXT_REFRESH),
                refreshed(),
                post(KeyRole::Current, Expected::Accepted),
                Step::MetadataOutage,
                Step::Advance(Duration::hours(2)),
                Step::Refresh {
                    fails_with: Some("status"),
                },
                post(KeyRole::Current, Expected::Refused(Code::MetadataExpired)),
            ],
        ),
    ];
    for (name, metadata, code, title) in [
        (
            "invalid-not-xml",
            InvalidMetadata::NotXml,
            "malformed_xml",
            "An HTML page pasted as metadata is refused at configuration",
        ),
        (
            "invalid-no-signing-certificate",
            InvalidMetadata::NoSigningCertificate,
            "no_signing_certificate",
            "Metadata without a signing certificate is refused at configuration (samael would then skip signature checks)",
        ),
        (
            "invalid-entity-id-mismatch",
            InvalidMetadata::OtherEntityId,
            "entity_id_mismatch",
            "Another IdP's metadata (entityID is not the form's issuer) is refused at configuration",
        ),
        (
            "invalid-no-sso-url",
            InvalidMetadata::NoSsoUrl,
            "no_sso_url",
            "Metadata without a SingleSignOnService is refused at configuration",
        ),
        (
            "invalid-expired",
            InvalidMetadata::Expired,
            "metadata_expired",
            "Metadata past its validUntil is refused at configuration",
        ),
    ] {
        out.push(event(
            name,
            title,
            "DESIGN, Metadata: static XML checked at configuration time (entityID equals the issuer, a signing certificate, an SSO URL), a clear error otherwise",
            MetadataSetup::Dynamic(Published::Current),
            vec![
                Step::ConfigureInvalidMetadata { metadata, code },
                // The refused form changed nothing: the working settings still log people in.
                post(KeyRole::Current, Expected::Accepted),
            ],
        ));
    }
    out
}

/// The scenario `saml.metadata.<name>` on a team of its own, trusting `metadata`.
fn event(
    name: &str,
    title: &str,
    source: &str,
    metadata: MetadataSetup,
    steps: Vec<Step>,
) -> Scenario {
    let slug = format!("metadata-{name}");
    let team = TeamSetup {
        metadata,
        ..TeamSetup::static_metadata(
            &slug,
            &format!("https://idp.mock.example/{slug}"),
            Published::Current,
        )
    };
    // Every post of the script is signed for this team's issuer; `post` leaves it to here.
    let steps = steps
        .into_iter()
        .map(|step| match step {
            Step::Post {
                mut response,
                expected,
            } => {
                response.spec.response_issuer = Some(team.issuer.clone());
                response.spec.assertion_issuer = Some(team.issuer.clone());
                Step::Post { response, expected }
            }
            other => other,
        })
        .collect();
    Scenario {
        id: format!("saml.metadata.{name}"),
        title: title.to_owned(),
        source: source.to_owned(),
        stimulus: Stimulus::Script(Script {
            team,
            others: Vec::new(),
            steps,
        }),
    }
}

/// A valid response signed with `key`; [`event`] names the team's issuer in it.
fn post(key: KeyRole, expected: Expected) -> Step {
    let mut spec = ResponseSpec::valid("");
    spec.signing.key = key;
    Step::Post {
        response: Box::new(Response::valid(spec)),
        expected,
    }
}

fn publish(keys: Published) -> Step {
    Step::Publish {
        keys,
        valid_for: None,
    }
}

fn refreshed() -> Step {
    Step::Refresh { fails_with: None }
}
