//! Operator operations, shared by the `sp` CLI and the admin HTTP API so that both do exactly the
//! same thing: create a team, set its plan, set its SSO (the customer's form), issue an API key,
//! and show everything an operator needs to debug a login.

use crate::model::{MemberKey, MetadataSource, Plan, Provisioning, SsoSettings, Team, valid_slug};
use crate::saml::fetch::{FetchError, MetadataFetcher};
use crate::saml::metadata::{MetadataError, check_static};
use crate::saml::refresh::{describe, next_refresh_for};
use crate::store::{MetadataCache, Store, StoreError};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Why an operation was refused; each names the field and the fix.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(
        "slug {0:?} is not valid: use 1-63 characters of a-z, 0-9 and '-', not starting or ending with '-'"
    )]
    BadSlug(String),
    #[error("no team has slug {0:?}; create it first with `sp team create {0}`")]
    NoSuchTeam(String),
    /// The metadata (pasted, or fetched from `url`) is not usable.
    #[error("metadata{}: {error}", url.as_deref().map(|u| format!(" from {u}")).unwrap_or_default())]
    Metadata {
        url: Option<String>,
        #[source]
        error: MetadataError,
    },
    /// Every [`FetchError`] message names the metadata URL itself.
    #[error("{0}")]
    Fetch(#[source] FetchError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AdminError {
    pub fn code(&self) -> &'static str {
        match self {
            AdminError::BadSlug(_) => "bad_slug",
            AdminError::NoSuchTeam(_) => "no_such_team",
            AdminError::Metadata { .. } => "bad_metadata",
            AdminError::Fetch(_) => "metadata_fetch_failed",
            AdminError::Store(e) => e.code(),
        }
    }

    /// The code of the underlying metadata or fetch error (`entity_id_mismatch`,
    /// `address_forbidden`, …), which says what to fix.
    pub fn reason(&self) -> Option<&'static str> {
        match self {
            AdminError::Metadata { error, .. } => Some(error.code()),
            AdminError::Fetch(e) => Some(e.code()),
            _ => None,
        }
    }
}

/// Something an operator should hear about a saved change that does not stop it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdminWarning {
    /// SSO was saved on a plan that cannot use it: logins are refused until the plan changes.
    #[error(
        "team {slug} is on the {} plan, and SAML SSO works on the custom plan only: logins are \
         refused (sso_not_enabled) until `sp team plan {slug} --plan custom`",
        plan.as_str()
    )]
    PlanWithoutSso { slug: String, plan: Plan },
}

impl AdminWarning {
    pub fn code(&self) -> &'static str {
        match self {
            AdminWarning::PlanWithoutSso { .. } => "plan_without_sso",
        }
    }
}

/// A new API key: shown once, stored only as its SHA-256.
pub fn new_api_key() -> String {
    let mut bytes = [0u8; 24];
    // The OS random source failing means no secret can be made at all.
    openssl::rand::rand_bytes(&mut bytes).expect("the OS random source is available");
    format!(
        "ssolab_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

pub fn api_key_hash(key: &str) -> [u8; 32] {
    openssl::sha::sha256(key.as_bytes())
}

async fn team(store: &Store, slug: &str) -> Result<Team, AdminError> {
    store
        .team_by_slug(slug)
        .await?
        .ok_or_else(|| AdminError::NoSuchTeam(slug.to_owned()))
}

/// Creates a team; with API access, also its first API key (returned, never stored in clear).
pub async fn create_team(
    store: &Store,
    slug: &str,
    plan: Plan,
    api_access: bool,
    scim: bool,
    now: OffsetDateTime,
) -> Result<(Team, Option<String>), AdminError> {
    if !valid_slug(slug) {
        return Err(AdminError::BadSlug(slug.to_owned()));
    }
    let team = store.create_team(slug, plan, api_access, scim, now).await?;
    let key = if api_access {
        Some(issue_api_key(store, slug, now).await?)
    } else {
        None
    };
    Ok((team, key))
}

/// Sets a team's plan, and API access and SCIM when given (`None` leaves a switch as it is: a
/// plan change must not quietly turn a customer's provisioning off).
pub async fn set_plan(
    store: &Store,
    slug: &str,
    plan: Plan,
    api_access: impl Into<Option<bool>>,
    scim: impl Into<Option<bool>>,
) -> Result<Team, AdminError> {
    match store.set_team_plan(slug, plan, api_access, scim).await {
        Err(StoreError::NotFound { .. }) => Err(AdminError::NoSuchTeam(slug.to_owned())),
        other => Ok(other?),
    }
}

pub async fn issue_api_key(
    store: &Store,
    slug: &str,
    now: OffsetDateTime,
) -> Result<String, AdminError> {
    let team = team(store, slug).await?;
    let key = new_api_key();
    store
        .create_api_key(&team.id, &api_key_hash(&key), "issued by operator", now)
        .await?;
    Ok(key)
}

/// The customer's form: issuer plus static XML or a metadata URL. Static XML is checked before
/// saving; a URL is fetched and checked once now, so a mistake shows here rather than at the
/// first login. Metadata without a signing certificate is never saved.
pub struct SsoForm {
    pub issuer: String,
    pub metadata: MetadataSource,
    pub allow_idp_initiated: bool,
    pub provisioning: Provisioning,
    pub allow_sha1: bool,
    pub member_key: MemberKey,
    /// The IdP encrypts assertions (the SP needs its key: `sp serve --sp-key/--sp-cert`).
    pub encrypted_assertions: bool,
}

/// Saved SSO settings, and what the operator should hear about them.
#[derive(Debug, Clone)]
pub struct SsoSaved {
    pub settings: SsoSettings,
    pub warnings: Vec<AdminWarning>,
}

pub async fn set_sso(
    store: &Store,
    http: &MetadataFetcher,
    slug: &str,
    form: SsoForm,
    now: OffsetDateTime,
) -> Result<SsoSaved, AdminError> {
    let team = team(store, slug).await?;
    let issuer = form.issuer.trim().to_owned();
    let fetched = match &form.metadata {
        MetadataSource::Static(xml) => {
            check_static(xml, &issuer, now)
                .map_err(|error| AdminError::Metadata { url: None, error })?;
            None
        }
        MetadataSource::Url(url) => {
            let body = http.fetch(url).await.map_err(AdminError::Fetch)?;
            let metadata =
                check_static(&body, &issuer, now).map_err(|error| AdminError::Metadata {
                    url: Some(url.clone()),
                    error,
                })?;
            Some((url.clone(), body, next_refresh_for(now, &metadata)))
        }
    };
    let settings = SsoSettings {
        team_id: team.id.clone(),
        idp_issuer: issuer,
        metadata: form.metadata,
        allow_idp_initiated: form.allow_idp_initiated,
        provisioning: form.provisioning,
        allow_sha1: form.allow_sha1,
        member_key: form.member_key,
        encrypted_assertions: form.encrypted_assertions,
    };
    store.set_sso(&settings).await?;
    if let Some((url, body, next)) = fetched {
        store
            .record_metadata_success(&team.id, &url, &body, now, next)
            .await?;
    }
    // Saved all the same: the customer's IdP details are right, and the plan is a separate,
    // commercial decision that may follow.
    let warnings = if team.plan == Plan::Custom {
        Vec::new()
    } else {
        vec![AdminWarning::PlanWithoutSso {
            slug: team.slug.clone(),
            plan: team.plan,
        }]
    };
    Ok(SsoSaved { settings, warnings })
}

fn instant(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

/// The state of a team's metadata URL fetches, when its metadata comes from a URL and a fetch
/// has been recorded (for the admin API's JSON; [`show`] words the same for people).
pub async fn metadata_status(
    store: &Store,
    slug: &str,
) -> Result<Option<MetadataCache>, AdminError> {
    let team = team(store, slug).await?;
    Ok(store.metadata_cache(&team.id).await?)
}

/// Everything about a team, as an operator reads it (`sp team show`, `GET /admin/teams/{slug}`).
pub async fn show(store: &Store, slug: &str, now: OffsetDateTime) -> Result<String, AdminError> {
    let team = team(store, slug).await?;
    let mut out = format!(
        "team {}\n  id: {}\n  plan: {}\n  api access: {}\n  scim: {}\n",
        team.slug,
        team.id,
        team.plan.as_str(),
        team.api_access,
        team.scim_enabled
    );
    let Some(sso) = store.sso_by_team(&team.id).await? else {
        out.push_str("sso: not configured (sp team sso SLUG --issuer ID --metadata-file F | --metadata-url U)\n");
        return Ok(out);
    };
    out.push_str(&format!(
        "sso:\n  issuer: {}\n  idp-initiated login: {}\n  provisioning: {}\n  members found by: {}\n  sha-1 allowed: {}\n  encrypted assertions: {}\n",
        sso.idp_issuer,
        if sso.allow_idp_initiated {
            "allowed (a response the IdP sends unasked logs in whichever browser posts it, as \
             the IdP portal's first login needs; answers to SSO LOG IN are bound to the browser \
             that started them either way)"
        } else {
            "refused (only answers to SSO LOG IN, in the browser that started it)"
        },
        sso.provisioning.as_str(),
        sso.member_key.as_str(),
        sso.allow_sha1,
        if sso.encrypted_assertions {
            "expected (decrypted with the SP's key)"
        } else {
            "refused (never decrypted for this team)"
        }
    ));
    if team.plan != Plan::Custom {
        out.push_str("  note: logins are refused (sso_not_enabled) until the plan is custom\n");
    }
    let document = match &sso.metadata {
        MetadataSource::Static(xml) => {
            out.push_str("  metadata: static XML\n");
            Some(xml.clone())
        }
        MetadataSource::Url(url) => {
            out.push_str(&format!("  metadata: {url}\n"));
            let cache = store.metadata_cache(&team.id).await?;
            describe_cache(&mut out, cache.as_ref());
            cache.and_then(|c| c.body)
        }
    };
    if let Some(xml) = document {
        match check_static(&xml, &sso.idp_issuer, now) {
            Ok(metadata) => {
                for cert in metadata.certificate_report(now) {
                    out.push_str(&format!(
                        "  signing certificate: {} (valid {} to {}){}\n",
                        cert.subject,
                        instant(cert.not_before),
                        instant(cert.not_after),
                        if cert.expired {
                            " EXPIRED"
                        } else if cert.not_yet_valid {
                            " NOT YET VALID"
                        } else {
                            ""
                        }
                    ));
                }
                if let Some(sso_url) = metadata.preferred_sso() {
                    out.push_str(&format!(
                        "  idp sso url: {} ({})\n",
                        sso_url.location,
                        sso_url.binding.uri()
                    ));
                }
            }
            Err(e) => out.push_str(&format!(
                "  metadata in force does not pass the checks: {e}\n"
            )),
        }
    }
    Ok(out)
}

fn describe_cache(out: &mut String, cache: Option<&MetadataCache>) {
    let Some(cache) = cache else {
        out.push_str("  fetched: never\n");
        return;
    };
    match cache.fetched_at {
        Some(t) => out.push_str(&format!("  last good copy fetched: {}\n", instant(t))),
        None => out.push_str("  last good copy fetched: never\n"),
    }
    if let (Some(code), Some(at)) = (&cache.last_error, cache.last_error_at) {
        out.push_str(&format!(
            "  last fetch failed at {} ({} failure(s) in a row): {code}: {}\n",
            instant(at),
            cache.consecutive_failures,
            describe(code)
        ));
    }
    out.push_str(&format!(
        "  next refresh: {}\n",
        instant(cache.next_refresh_at)
    ));
}

/// A team's members for the operator (`sp team members SLUG`, `GET /admin/teams/{slug}/members`),
/// ordered by userName.
pub async fn members(
    store: &Store,
    slug: &str,
) -> Result<Vec<crate::model::MemberOverview>, AdminError> {
    let team = team(store, slug).await?;
    Ok(store.member_overview(&team.id).await?)
}

/// [`members`] as the table `sp team members SLUG` prints: userName, active, source (SCIM or
/// JIT) and last login (the start of the latest stored session).
pub fn render_members(slug: &str, members: &[crate::model::MemberOverview]) -> String {
    let width = members
        .iter()
        .map(|m| m.user_name.chars().count())
        .chain(["userName".len()])
        .max()
        .unwrap_or(8);
    let mut out = format!("team {slug}: {} members\n", members.len());
    out.push_str(&format!(
        "{:<width$}  {:<8}  {:<6}  last login\n",
        "userName", "active", "source"
    ));
    for m in members {
        out.push_str(&format!(
            "{:<width$}  {:<8}  {:<6}  {}\n",
            m.user_name,
            if m.active { "active" } else { "inactive" },
            m.source.as_str().to_ascii_uppercase(),
            m.last_login.map_or_else(|| "never".to_owned(), instant),
        ));
    }
    out
}
