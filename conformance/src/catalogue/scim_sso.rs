//! SSO after SCIM, on teams whose members are provisioned by SCIM only: a member SCIM created
//! logs in, is refused once SCIM deactivates them and logs in again once SCIM reactivates them;
//! someone SCIM never created is refused (DESIGN, Tenancy: "An inactive member cannot log in by
//! SSO"; provisioning mode "SCIM only").

use crate::scenario::{Response, Scenario, Script, Step, Stimulus, TeamSetup};
use mock_idp::expect::{Code, Expected};
use mock_idp::metadata::Published;
use mock_idp::server::shape;
use mock_idp::spec::ResponseSpec;

pub fn scenarios() -> Vec<Scenario> {
    const ALICE: &str = "alice@scim-sso.example";
    const BOB: &str = "bob@scim-sso.example";
    let login = |name: &str, email: &str, expected: Expected| {
        let mut spec = ResponseSpec::valid(&team(name).issuer);
        shape::set_user(&mut spec, Some(email), None, None);
        Step::Post {
            response: Box::new(Response::valid(spec)),
            expected,
        }
    };
    vec![
        scripted(
            "deactivate-reactivate",
            "SCIM creates a member: SSO accepted; SCIM deactivates them: refused; SCIM reactivates them: accepted again",
            "DESIGN, Tenancy: an inactive member cannot log in by SSO; Okta deactivates with PATCH active=false (RFC 7644 §3.5.2)",
            vec![
                Step::ScimCreate { email: ALICE },
                login("deactivate-reactivate", ALICE, Expected::Accepted),
                Step::ScimSetActive {
                    email: ALICE,
                    active: false,
                },
                login(
                    "deactivate-reactivate",
                    ALICE,
                    Expected::Refused(Code::MemberInactive),
                ),
                Step::ScimSetActive {
                    email: ALICE,
                    active: true,
                },
                login("deactivate-reactivate", ALICE, Expected::Accepted),
            ],
        ),
        scripted(
            "never-provisioned",
            "SSO of someone SCIM never created is refused on a SCIM-only team, and accepted once SCIM creates them",
            "DESIGN, Tenancy: provisioning mode SCIM only (no JIT); member exists and is active",
            vec![
                login(
                    "never-provisioned",
                    BOB,
                    Expected::Refused(Code::MemberUnknown),
                ),
                Step::ScimCreate { email: BOB },
                login("never-provisioned", BOB, Expected::Accepted),
            ],
        ),
    ]
}

/// The scenario `saml.scim-sso.<name>` on a SCIM-only team of its own.
fn scripted(name: &str, title: &str, source: &str, steps: Vec<Step>) -> Scenario {
    Scenario {
        id: format!("saml.scim-sso.{name}"),
        title: title.to_owned(),
        source: source.to_owned(),
        stimulus: Stimulus::Script(Script {
            team: team(name),
            others: Vec::new(),
            steps,
        }),
    }
}

fn team(name: &str) -> TeamSetup {
    let slug = format!("scim-sso-{name}");
    TeamSetup {
        scim: true,
        scim_provisioning: true,
        ..TeamSetup::static_metadata(
            &slug,
            &format!("https://idp.mock.example/{slug}"),
            Published::Current,
        )
    }
}
