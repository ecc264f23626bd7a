//! Scripts against the in-process SP: a team of their own, reconfigured, provisioned and moved
//! through time between posts (metadata rotation and outage, SSO after SCIM deactivation).

use crate::deliver::{self, Ran, SamlTarget};
use crate::inprocess::{InProcess, sso_form};
use crate::result::{Evidence, Outcome};
use crate::scenario::{Script, Step};
use serde_json::json;
use sp::admin;
use sp::clock::Clock;
use sp::model::MetadataSource;

/// Runs `script`'s steps in order; the first step that does not go as expected ends it.
pub async fn run(
    sp: &InProcess,
    client: &reqwest::Client,
    target: &SamlTarget,
    script: &Script,
    n: u64,
) -> Ran {
    let team = match sp.team(&script.team).await {
        Ok(team) => team,
        Err(e) => return Ran::error("team not set up", e.to_string()),
    };
    let mut log = Vec::new();
    let mut last = Ran {
        outcome: Outcome::Pass,
        got: "every step as expected".to_owned(),
        evidence: None,
    };
    for (i, step) in script.steps.iter().enumerate() {
        let label = format!("step {}: {}", i + 1, describe(step));
        let ran = match step {
            Step::Post { response, expected } => {
                // Posts of one script get numbers of their own: n·100 + step.
                let number = n * 100 + i as u64;
                deliver::post_expecting(
                    client,
                    target,
                    response,
                    None,
                    *expected,
                    number,
                    sp.clock.now(),
                )
                .await
            }
            Step::Publish(published) => {
                match sp
                    .metadata
                    .publish(&script.team.slug, &script.team.issuer, *published)
                {
                    Ok(_) => done(),
                    Err(e) => Ran::error("metadata not published", e.to_string()),
                }
            }
            Step::MetadataOutage => {
                sp.metadata.outage(&script.team.slug);
                done()
            }
            Step::Advance(by) => {
                sp.clock.advance(*by);
                done()
            }
            Step::Refresh => {
                match sp::saml::refresh::run_due(&sp.store, &sp.fetcher, sp.clock.now()).await {
                    Ok(_) => done(),
                    Err(e) => Ran::error("refresh failed", e.to_string()),
                }
            }
            Step::ConfigureInvalidMetadata { xml, code } => {
                configure_invalid(sp, &script.team, xml, code).await
            }
            Step::ScimCreate { email } => match team.scim_key.as_deref() {
                Some(key) => scim_create(client, sp, key, email).await,
                None => Ran::error("no SCIM key", "the script's team has SCIM off"),
            },
            Step::ScimSetActive { email, active } => match team.scim_key.as_deref() {
                Some(key) => scim_set_active(client, sp, key, email, *active).await,
                None => Ran::error("no SCIM key", "the script's team has SCIM off"),
            },
        };
        log.push(format!("{label}: {}", ran.got));
        if ran.outcome != Outcome::Pass {
            let mut evidence = ran.evidence.unwrap_or_default();
            evidence.diagnosis = format!("{}\n\n{}", log.join("\n"), evidence.diagnosis);
            return Ran {
                outcome: ran.outcome,
                got: format!("{label}: {}", ran.got),
                evidence: Some(evidence),
            };
        }
        if matches!(step, Step::Post { .. }) {
            last = ran;
        }
    }
    last
}

fn done() -> Ran {
    Ran {
        outcome: Outcome::Pass,
        got: "done".to_owned(),
        evidence: None,
    }
}

fn describe(step: &Step) -> String {
    match step {
        Step::Post { expected, .. } => format!("post a response, expecting {}", expected.as_str()),
        Step::Publish(published) => format!("the metadata URL publishes {} keys", published.name()),
        Step::MetadataOutage => "the metadata URL answers 503".to_owned(),
        Step::Advance(by) => format!("the clock moves {} s on", by.whole_seconds()),
        Step::Refresh => "the SP refreshes due metadata".to_owned(),
        Step::ConfigureInvalidMetadata { code, .. } => {
            format!("configuring invalid metadata is refused with {code}")
        }
        Step::ScimCreate { email } => format!("SCIM creates {email}"),
        Step::ScimSetActive { email, active } => format!("SCIM sets {email} active={active}"),
    }
}

async fn configure_invalid(
    sp: &InProcess,
    team: &crate::scenario::TeamSetup,
    xml: &str,
    code: &str,
) -> Ran {
    let form = sso_form(team, MetadataSource::Static(xml.to_owned()));
    match admin::set_sso(&sp.store, &sp.fetcher, &team.slug, form, sp.clock.now()).await {
        Ok(_) => Ran {
            outcome: Outcome::Fail,
            got: "saved".to_owned(),
            evidence: Some(Evidence {
                request: xml.to_owned(),
                response: String::new(),
                diagnosis: format!("invalid metadata was saved; expected refusal {code}"),
            }),
        },
        Err(e) if e.code() == code => Ran {
            outcome: Outcome::Pass,
            got: format!("refused: {code}"),
            evidence: None,
        },
        Err(e) => Ran {
            outcome: Outcome::Fail,
            got: format!("refused: {}", e.code()),
            evidence: Some(Evidence {
                request: xml.to_owned(),
                response: String::new(),
                diagnosis: e.to_string(),
            }),
        },
    }
}

/// One SCIM exchange, judged by its status.
async fn scim(
    request: reqwest::RequestBuilder,
    want: u16,
    what: &str,
) -> Result<serde_json::Value, Ran> {
    let response = request
        .header("Content-Type", "application/scim+json")
        .send()
        .await
        .map_err(|e| Ran::error(format!("{what}: not reached"), e.to_string()))?;
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    if status != want {
        return Err(Ran {
            outcome: Outcome::Fail,
            got: format!("{what}: {status}"),
            evidence: Some(Evidence {
                request: what.to_owned(),
                response: format!("{status}\n{body}"),
                diagnosis: format!("expected {want}"),
            }),
        });
    }
    Ok(serde_json::from_str(&body).unwrap_or(serde_json::Value::Null))
}

async fn scim_create(client: &reqwest::Client, sp: &InProcess, key: &str, email: &str) -> Ran {
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": email,
        "active": true,
        "name": {"givenName": "Alice", "familyName": "Liddell"},
        "emails": [{"value": email, "primary": true, "type": "work"}],
    });
    let request = client
        .post(format!("{}/Users", sp.scim_base()))
        .bearer_auth(key)
        .body(body.to_string());
    match scim(request, 201, "POST /Users").await {
        Ok(_) => done(),
        Err(ran) => ran,
    }
}

async fn scim_set_active(
    client: &reqwest::Client,
    sp: &InProcess,
    key: &str,
    email: &str,
    active: bool,
) -> Ran {
    let filter = format!("userName eq \"{email}\"");
    let request = client
        .get(format!("{}/Users", sp.scim_base()))
        .query(&[("filter", filter.as_str())])
        .bearer_auth(key);
    let found = match scim(request, 200, "GET /Users?filter").await {
        Ok(found) => found,
        Err(ran) => return ran,
    };
    let Some(id) = found["Resources"][0]["id"].as_str() else {
        return Ran::error("member not found", format!("no SCIM user {email}"));
    };
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": active}}],
    });
    let request = client
        .patch(format!("{}/Users/{id}", sp.scim_base()))
        .bearer_auth(key)
        .body(body.to_string());
    match scim(request, 200, "PATCH /Users/{id}").await {
        Ok(_) => done(),
        Err(ran) => ran,
    }
}
