//! A fixed run for the report tests and snapshots: a pass, a failure with evidence, an error and
//! a pass whose cells are too long for the terminal table, at a fixed time.

use crate::result::{Evidence, Outcome, RunReport, ScenarioResult};

pub fn report() -> RunReport {
    RunReport::new(
        "in-process sp (sqlite)".to_string(),
        None,
        "2026-01-15T10:00:00Z".to_string(),
        8_349,
        vec![
            ScenarioResult {
                id: "saml.audience.present".to_string(),
                title: "An Audience naming the SP is accepted".to_string(),
                area: "saml.audience".to_string(),
                source: "SAML 2.0 core §2.5.1.4".to_string(),
                outcome: Outcome::Pass,
                expected: "accepted".to_string(),
                got: "accepted".to_string(),
                ms: 12,
                evidence: None,
            },
            ScenarioResult {
                id: "saml.audience.missing".to_string(),
                title: "A response without an Audience is refused".to_string(),
                area: "saml.audience".to_string(),
                source: "SAML 2.0 profiles §4.1.4.2".to_string(),
                outcome: Outcome::Fail,
                expected: "refused: audience_missing".to_string(),
                got: "accepted".to_string(),
                ms: 15,
                evidence: Some(Evidence {
                    request: "POST http://127.0.0.1:41234/api/saml/consume\n\
                              SAMLResponse=<samlp:Response ID=\"_r1\">…</samlp:Response>"
                        .to_string(),
                    response: "303 See Other\nlocation: /app\nset-cookie: session=…".to_string(),
                    diagnosis: "the SP logged the member in although the assertion names no \
                                Audience\nfix: require an Audience equal to the SP entity ID"
                        .to_string(),
                }),
            },
            ScenarioResult {
                id: "scim.okta.deactivate".to_string(),
                title: "Okta deactivates a member with PATCH active=false".to_string(),
                area: "scim.okta".to_string(),
                source: "Okta SCIM 2.0 guide, deactivate".to_string(),
                outcome: Outcome::Error,
                expected: "every step passes".to_string(),
                got: "could not run: connection refused".to_string(),
                ms: 3_003,
                evidence: Some(Evidence {
                    request: "PATCH http://127.0.0.1:9/scim/v2/Users/u1".to_string(),
                    response: String::new(),
                    diagnosis: "connection refused (os error 111)".to_string(),
                }),
            },
            ScenarioResult {
                id: "saml.fault.xsw3-wrapped-assertion-before-signed-one".to_string(),
                title: "XSW3: an unsigned assertion placed before the signed one is refused"
                    .to_string(),
                area: "saml.fault".to_string(),
                source: "Somorovsky et al., On Breaking SAML (2012)".to_string(),
                outcome: Outcome::Pass,
                expected: "refused: one of multiple_assertions, reference_mismatch, \
                           signature_invalid"
                    .to_string(),
                got: "refused: multiple_assertions".to_string(),
                ms: 7,
                evidence: None,
            },
        ],
    )
}
