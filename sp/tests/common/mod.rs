//! Test support for the ACS pipeline: fixture keys, a SAML response builder, a team, in-memory
//! stores, and [`Acs`], which runs `judge` → `consume` like the web layer does.
#![allow(dead_code)] // each test binary uses its own part of this module

pub mod keys;
pub mod response;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

use sp::config::SpConfig;
use sp::model::{Id, MemberKey, MetadataSource, Plan, Provisioning, SsoSettings, Team};
use sp::saml::rejection::{Code, Rejection};
use sp::saml::validate::{self, AcsError, Login, ReplayCache, RequestStore, StoreFuture, TeamSso};
use time::{Duration, OffsetDateTime};

pub use keys::{FixtureKey, sp_decryption_key};
pub use response::*;

/// A custom-plan team whose IdP is [`ISSUER`], trusting `idp-rsa-current`, IdP-initiated login
/// allowed, JIT provisioning.
pub fn team() -> TeamSso {
    team_with(ISSUER, Id("0123456789abcdef0123456789abcdef".to_owned()))
}

/// [`team`] with another issuer and ID.
pub fn team_with(issuer: &str, id: Id) -> TeamSso {
    TeamSso {
        team: Team {
            id: id.clone(),
            slug: "acme".to_owned(),
            plan: Plan::Custom,
            api_access: false,
            scim_enabled: false,
            created_at: NOW - Duration::days(30),
        },
        settings: SsoSettings {
            team_id: id,
            idp_issuer: issuer.to_owned(),
            metadata: MetadataSource::Url(
                "https://corp.okta.com/app/exk1fixture/sso/saml/metadata".to_owned(),
            ),
            allow_idp_initiated: true,
            provisioning: Provisioning::Jit,
            allow_sha1: false,
            member_key: MemberKey::Email,
            // Many pipeline tests post encrypted assertions; the refusal when the team does not
            // expect them is tested on its own.
            encrypted_assertions: true,
        },
        certificates: vec![FixtureKey::RsaCurrent.certificate()],
    }
}

/// The entity ID of `fixtures/metadata/okta-one-cert.xml`, the Okta-like fixture IdP (signing
/// with idp-rsa-current), which mock-idp's okta preset shares.
pub const OKTA_FIXTURE_ISSUER: &str = "http://www.okta.com/exk1ssolab0test0000d7";

/// The customer's form for the Okta-like fixture IdP (`fixtures/metadata/okta-one-cert.xml`,
/// whose entity ID mock-idp's okta preset shares), with `sp team sso`'s defaults.
pub fn okta_fixture_form(provisioning: Provisioning) -> sp::admin::SsoForm {
    let metadata = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/metadata/okta-one-cert.xml"
    ))
    .expect("fixture metadata");
    sp::admin::SsoForm {
        issuer: OKTA_FIXTURE_ISSUER.to_owned(),
        metadata: MetadataSource::Static(metadata),
        allow_idp_initiated: true,
        provisioning,
        allow_sha1: false,
        member_key: MemberKey::Email,
        encrypted_assertions: false,
    }
}

/// The replay cache, in memory, with the database store's semantics: keyed by (team, assertion
/// ID); an entry blocks while `now < until`, and an expired entry counts as absent.
#[derive(Debug, Default)]
pub struct MemoryReplayCache {
    seen: Mutex<HashMap<(Id, String), OffsetDateTime>>,
}

impl MemoryReplayCache {
    pub fn len(&self) -> usize {
        self.seen.lock().map(|s| s.len()).unwrap_or(0)
    }

    pub fn until(&self, team: &Id, assertion_id: &str) -> Option<OffsetDateTime> {
        self.seen
            .lock()
            .ok()?
            .get(&(team.clone(), assertion_id.to_owned()))
            .copied()
    }
}

impl ReplayCache for MemoryReplayCache {
    fn record<'a>(
        &'a self,
        team: &'a Id,
        assertion_id: &'a str,
        until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let mut seen = self.seen.lock().map_err(|e| e.to_string())?;
            let key = (team.clone(), assertion_id.to_owned());
            match seen.get(&key) {
                Some(blocked_until) if now < *blocked_until => Ok(false),
                _ => {
                    seen.insert(key, until);
                    Ok(true)
                }
            }
        })
    }
}

/// Outstanding AuthnRequest IDs, in memory: taken once, per team, until they expire.
#[derive(Debug, Default)]
pub struct MemoryRequestStore {
    outstanding: Mutex<HashMap<(Id, String), OffsetDateTime>>,
}

impl MemoryRequestStore {
    /// Records that this SP sent AuthnRequest `request_id` for `team`, valid for ten minutes.
    pub fn issue(&self, team: &Id, request_id: &str, now: OffsetDateTime) {
        self.outstanding.lock().expect("request store lock").insert(
            (team.clone(), request_id.to_owned()),
            now + Duration::minutes(10),
        );
    }

    pub fn is_outstanding(&self, team: &Id, request_id: &str) -> bool {
        self.outstanding
            .lock()
            .expect("request store lock")
            .contains_key(&(team.clone(), request_id.to_owned()))
    }
}

impl RequestStore for MemoryRequestStore {
    fn take<'a>(
        &'a self,
        team: &'a Id,
        request_id: &'a str,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let mut outstanding = self.outstanding.lock().map_err(|e| e.to_string())?;
            Ok(
                match outstanding.remove(&(team.clone(), request_id.to_owned())) {
                    Some(expires_at) => now < expires_at,
                    None => false,
                },
            )
        })
    }
}

/// Runs a future to completion on a fresh single-threaded runtime (the stores never wait).
pub fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime")
        .block_on(future)
}

/// The SP side of one test: its configuration, one team, the two stores and the clock.
pub struct Acs {
    pub sp: SpConfig,
    pub team: TeamSso,
    pub replay: MemoryReplayCache,
    pub requests: MemoryRequestStore,
    pub now: OffsetDateTime,
}

impl Default for Acs {
    fn default() -> Self {
        Acs::new()
    }
}

impl Acs {
    /// `SpConfig::qualified()` with the SP's decryption key, [`team`], empty stores, [`NOW`].
    pub fn new() -> Acs {
        let mut sp = SpConfig::qualified();
        sp.decryption_key = Some(sp_decryption_key());
        Acs {
            sp,
            team: team(),
            replay: MemoryReplayCache::default(),
            requests: MemoryRequestStore::default(),
            now: NOW,
        }
    }

    /// What the ACS does with a posted `SAMLResponse`: `validate::judge` (the web handler's own
    /// entry point), then `consume`. The team lookup finds [`Acs::team`] whatever the Issuer
    /// says, so that a test of a wrong Issuer reaches the checks that compare it with the team's
    /// (the ACS's own lookup by Issuer is tested over HTTP).
    pub fn post(&self, form_value: &str) -> Result<Login, Rejection> {
        let mut find = |_issuer: &str| Ok(Some(self.team.clone()));
        let judged = validate::judge(form_value, &self.sp, self.now, &mut find);
        let login = judged.outcome.map_err(rejection_of)?;
        block_on(validate::consume(
            &login,
            &self.team,
            &self.replay,
            &self.requests,
            self.now,
        ))
        .map_err(rejection_of)?;
        Ok(login)
    }

    pub fn post_spec(&self, spec: &ResponseSpec) -> Result<Login, Rejection> {
        self.post(&spec.form_value())
    }

    /// `validate` alone, on XML text.
    pub fn validate_xml(&self, xml: &str) -> Result<Login, Rejection> {
        block_on(validate::validate(
            xml,
            &self.team,
            &self.sp,
            self.now,
            &self.replay,
            &self.requests,
        ))
        .map_err(rejection_of)
    }
}

fn rejection_of(e: AcsError) -> Rejection {
    match e {
        AcsError::Rejected(r) => r,
        AcsError::Storage(s) => panic!("an in-memory store failed: {s}"),
    }
}

/// Asserts that `result` is a rejection with exactly `code`, and returns it.
#[track_caller]
pub fn assert_rejected<T: std::fmt::Debug>(result: Result<T, Rejection>, code: Code) -> Rejection {
    match result {
        Err(rejection) => {
            assert_eq!(
                rejection.code, code,
                "wrong code; the rejection: {rejection}"
            );
            rejection
        }
        Ok(accepted) => panic!("expected {code}, but it was accepted: {accepted:#?}"),
    }
}

/// [`assert_rejected`] for one case of several, named by `label` in the failure message.
#[track_caller]
pub fn assert_rejected_in<T: std::fmt::Debug>(
    label: &str,
    result: Result<T, Rejection>,
    code: Code,
) -> Rejection {
    match result {
        Err(rejection) => {
            assert_eq!(
                rejection.code, code,
                "{label}: wrong code; the rejection: {rejection}"
            );
            rejection
        }
        Ok(accepted) => panic!("{label}: expected {code}, but it was accepted: {accepted:#?}"),
    }
}

/// Asserts that `result` is accepted, and returns the login.
#[track_caller]
pub fn assert_accepted(result: Result<Login, Rejection>) -> Login {
    match result {
        Ok(login) => login,
        Err(rejection) => panic!("expected acceptance, got {rejection}"),
    }
}
