//! Every fault of mock-idp's catalogue, refused with exactly the code its catalogue line names
//! (or, for the Reply-URL causes, the SP's named diagnosis with its real status). The fault's
//! own note is the scenario's source; its class is the scenario's group.

use super::teams;
use crate::scenario::{Post, Response, Scenario, Stimulus};
use mock_idp::faults::{Class, FAULTS};

pub fn scenarios() -> Vec<Scenario> {
    let preset = mock_idp::presets::by_name("okta");
    let Ok(preset) = preset else {
        return Vec::new();
    };
    FAULTS
        .iter()
        .map(|fault| {
            let team = if fault.name == "other-team-issuer" {
                // Its response names the other team; that team is set up so the lookup succeeds.
                teams::other()
            } else {
                teams::acme()
            };
            let source = if fault.note.is_empty() {
                format!("mock-idp fault {} ({})", fault.name, fault.class.name())
            } else {
                format!("mock-idp fault {}: {}", fault.name, fault.note)
            };
            Scenario {
                id: format!("saml.{}.{}", group(fault.class), fault.name),
                title: fault.summary.to_owned(),
                source,
                stimulus: Stimulus::Post(Box::new(Post {
                    team,
                    response: Response {
                        fault: Some(fault),
                        ..Response::valid(preset.spec())
                    },
                    via: None,
                    expected: fault.expected,
                })),
            }
        })
        .collect()
}

/// The scenario group of a fault class; wrapping attacks are `xsw`, the name the field knows.
fn group(class: Class) -> &'static str {
    match class {
        Class::Wrapping => "xsw",
        other => other.name(),
    }
}
