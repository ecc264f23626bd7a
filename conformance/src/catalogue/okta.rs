//! Every mock-okta sequence for each client profile (Okta OIN template, Okta App Integration
//! Wizard, Microsoft Entra ID) passes against the team's SCIM server, judged as Okta judges.

use crate::scenario::{Scenario, Stimulus};
use mock_okta::{Profile, Sequence};

pub fn scenarios() -> Vec<Scenario> {
    let mut out = Vec::new();
    for profile in Profile::ALL {
        for sequence in Sequence::ALL {
            out.push(Scenario {
                id: format!("scim.{}.{}", profile.name(), sequence.name()),
                title: format!("{}: {}", client(profile), sequence.about()),
                source: source(profile).to_owned(),
                stimulus: Stimulus::Okta { profile, sequence },
            });
        }
    }
    out
}

fn client(profile: Profile) -> &'static str {
    match profile {
        Profile::Okta => "Okta (OIN SCIM template)",
        Profile::OktaAiw => "Okta (App Integration Wizard)",
        Profile::Entra => "Microsoft Entra ID",
    }
}

fn source(profile: Profile) -> &'static str {
    match profile {
        Profile::Okta | Profile::OktaAiw => {
            "Okta SCIM 2.0 reference and Runscope SPEC test (../shared/research, Okta's SCIM guide); RFC 7644"
        }
        Profile::Entra => {
            "Microsoft Entra provisioning: known SCIM 2.0 compliance issues (../shared/research); RFC 7644"
        }
    }
}
