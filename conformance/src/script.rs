//! Scripts against the in-process SP: a team of their own, reconfigured, provisioned and moved
//! through time between posts (metadata rotation and outage, SSO after SCIM deactivation).

use crate::deliver::{self, Ran, SamlTarget};
use crate::inprocess::{InProcess, sso_form};
use crate::metadata_host::MetadataHost;
use crate::result::{Evidence, Outcome};
use crate::scenario::{InvalidMetadata, Script, Step};
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
    for other in &script.others {
        if let Err(e) = sp.team(other).await {
            return Ran::error("team not set up", e.to_string());
        }
    }
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
            Step::Publish { keys, valid_for } => {
                let valid_until = valid_for.map(|d| sp.clock.now() + d);
                match sp.metadata.publish(
                    &script.team.slug,
                    &script.team.issuer,
                    *keys,
                    valid_until,
                ) {
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
            Step::Refresh { fails_with } => refresh(sp, &script.team.slug, *fails_with).await,
            Step::ConfigureInvalidMetadata { metadata, code } => {
                configure_invalid(sp, &script.team, *metadata, code).await
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
        Step::Publish { keys, valid_for } => match valid_for {
            Some(d) => format!(
                "the metadata URL publishes {} keys, valid for {} s",
                keys.name(),
                d.whole_seconds()
            ),
            None => format!("the metadata URL publishes {} keys", keys.name()),
        },
        Step::MetadataOutage => "the metadata URL answers 503".to_owned(),
        Step::Advance(by) => format!("the clock moves {} s on", by.whole_seconds()),
        Step::Refresh { fails_with: None } => "the SP refreshes the team's metadata".to_owned(),
        Step::Refresh {
            fails_with: Some(code),
        } => format!("the SP's refresh of the team's metadata fails with {code}"),
        Step::ConfigureInvalidMetadata { metadata, code } => {
            format!("configuring {} is refused with {code}", metadata.describe())
        }
        Step::ScimCreate { email } => format!("SCIM creates {email}"),
        Step::ScimSetActive { email, active } => format!("SCIM sets {email} active={active}"),
    }
}

async fn configure_invalid(
    sp: &InProcess,
    team: &crate::scenario::TeamSetup,
    metadata: InvalidMetadata,
    code: &str,
) -> Ran {
    let xml = match MetadataHost::invalid(&team.issuer, metadata, sp.clock.now()) {
        Ok(xml) => xml,
        Err(e) => return Ran::error("metadata not rendered", e.to_string()),
    };
    let form = sso_form(team, MetadataSource::Static(xml.clone()));
    match admin::set_sso(&sp.store, &sp.fetcher, &team.slug, form, sp.clock.now()).await {
        Ok(_) => Ran {
            outcome: Outcome::Fail,
            got: "saved".to_owned(),
            evidence: Some(Evidence {
                request: xml.clone(),
                response: String::new(),
                diagnosis: format!("invalid metadata was saved; expected refusal {code}"),
            }),
        },
        Err(e) if e.reason().unwrap_or(e.code()) == code => Ran {
            outcome: Outcome::Pass,
            got: format!("refused: {code}"),
            evidence: None,
        },
        Err(e) => Ran {
            outcome: Outcome::Fail,
            got: format!("refused: {}", e.reason().unwrap_or(e.code())),
            evidence: Some(Evidence {
                request: xml.clone(),
                response: String::new(),
                diagnosis: e.to_string(),
            }),
        },
    }
}

/// One refresh pass at the SP's now, judged by what it did to the team `slug`.
async fn refresh(sp: &InProcess, slug: &str, fails_with: Option<&str>) -> Ran {
    let team_id = match sp.store.team_by_slug(slug).await {
        Ok(Some(team)) => team.id,
        Ok(None) => return Ran::error("team not found", format!("no team {slug}")),
        Err(e) => return Ran::error("team lookup failed", e.to_string()),
    };
    let pass = match sp::saml::refresh::run_due(&sp.store, &sp.fetcher, sp.clock.now()).await {
        Ok(pass) => pass,
        Err(e) => return Ran::error("refresh pass failed", e.to_string()),
    };
    let failed = pass
        .failed
        .iter()
        .find(|(id, _)| *id == team_id)
        .map(|(_, code)| *code);
    let got = match (pass.refreshed.contains(&team_id), failed) {
        (true, _) => "refreshed".to_owned(),
        (false, Some(code)) => format!("failed: {code}"),
        (false, None) => "not due, not fetched".to_owned(),
    };
    let want = fails_with.map_or_else(|| "refreshed".to_owned(), |c| format!("failed: {c}"));
    if got == want {
        return Ran {
            outcome: Outcome::Pass,
            got,
            evidence: None,
        };
    }
    Ran {
        outcome: Outcome::Fail,
        got: got.clone(),
        evidence: Some(Evidence {
            request: "a metadata refresh pass".to_owned(),
            response: String::new(),
            diagnosis: format!("expected the team's metadata {want}, got {got}"),
        }),
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
