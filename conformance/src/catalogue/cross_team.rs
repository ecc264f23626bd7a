//! One ACS serves every team, so a response must never log anyone into a team other than the one
//! whose IdP both is named by its Issuer and made its signature (DESIGN, Routes: "the response's
//! Issuer selects the team's configuration, and nothing is trusted until the signature verifies
//! against that team's pinned certificates"; Tenancy: members belong to one team).
//!
//! The response naming team B's issuer signed with team A's key is mock-idp's fault
//! `other-team-issuer` (`saml.issuer.other-team-issuer`); its positive control is here.

use super::teams;
use crate::scenario::{Post, Response, Scenario, Script, Step, Stimulus, TeamSetup};
use mock_idp::expect::{Code, Expected};
use mock_idp::keys::KeyRole;
use mock_idp::metadata::Published;
use mock_idp::server::shape;
use mock_idp::spec::ResponseSpec;

pub fn scenarios() -> Vec<Scenario> {
    let okta = mock_idp::presets::by_name("okta").map(|p| p.spec());
    let Ok(okta) = okta else {
        return Vec::new();
    };
    let mut signed_by_other_team = okta;
    signed_by_other_team.signing.key = KeyRole::Next;
    let mut other_team_own = ResponseSpec::valid(mock_idp::faults::OTHER_TEAM_ISSUER);
    other_team_own.signing.key = KeyRole::Next;
    vec![
        member_of_other_team(),
        post(
            "issuer-with-other-teams-key",
            "Team A's issuer on a response signed with team B's IdP key: refused",
            "DESIGN, Validation: verified only against the issuer's team's pinned certificates (KeyInfo never trusted)",
            teams::acme(),
            signed_by_other_team,
            // Team B's certificate is not in team A's metadata: for team A it is any stranger's.
            Expected::Refused(Code::SignatureInvalid),
        ),
        post(
            "other-team-own-key",
            "Team B's issuer signed with team B's own key: accepted (the control for saml.issuer.other-team-issuer)",
            "DESIGN, Routes: the response's Issuer selects the team's configuration",
            teams::other(),
            other_team_own,
            Expected::Accepted,
        ),
    ]
}

fn post(
    name: &str,
    title: &str,
    source: &str,
    team: TeamSetup,
    spec: ResponseSpec,
    expected: Expected,
) -> Scenario {
    Scenario {
        id: format!("saml.cross-team.{name}"),
        title: title.to_owned(),
        source: source.to_owned(),
        stimulus: Stimulus::Post(Box::new(Post {
            team,
            response: Response::valid(spec),
            via: None,
            expected,
        })),
    }
}

/// Team A's IdP asserts a member that only team B has. Both teams provision by SCIM only, so a
/// login into team A needs a team A member: refused with `member_unknown`, and no session of
/// either team is opened. (With JIT, team A's IdP may create its own member of that address:
/// it speaks for team A, never for team B.)
fn member_of_other_team() -> Scenario {
    const BOB: &str = "bob@cross-team-b.example";
    let scim_only = |slug: &str, published| TeamSetup {
        scim: true,
        scim_provisioning: true,
        ..TeamSetup::static_metadata(slug, &format!("https://idp.mock.example/{slug}"), published)
    };
    let team_a = scim_only("cross-team-a", Published::Current);
    let team_b = scim_only("cross-team-b", Published::Next);
    let login = |team: &TeamSetup, key, expected| {
        let mut spec = ResponseSpec::valid(&team.issuer);
        spec.signing.key = key;
        shape::set_user(&mut spec, Some(BOB), None, None);
        Step::Post {
            response: Box::new(Response::valid(spec)),
            expected,
        }
    };
    let steps = vec![
        Step::ScimCreate { email: BOB },
        // Control: team B's own IdP logs its member in.
        login(&team_b, KeyRole::Next, Expected::Accepted),
        login(
            &team_a,
            KeyRole::Current,
            Expected::Refused(Code::MemberUnknown),
        ),
    ];
    Scenario {
        id: "saml.cross-team.member-of-other-team".to_owned(),
        title: "Team A's IdP asserting a member of team B: refused (member_unknown), no session for either team".to_owned(),
        source: "DESIGN, Tenancy: a member belongs to one team; the Issuer selects the team".to_owned(),
        stimulus: Stimulus::Script(Script {
            team: team_b,
            others: vec![team_a],
            steps,
        }),
    }
}
