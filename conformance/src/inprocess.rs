//! The default target: `sp` in this process, on a temporary SQLite file (or the database given),
//! served on 127.0.0.1 by its own web stack exactly as `sp serve` serves it, with a clock that
//! starts at the run's fixed instant and advances in real time.

use crate::deliver::{self, Ran, SamlTarget};
use crate::metadata_host::MetadataHost;
use crate::runner::Target;
use crate::scenario::{MetadataSetup, Scenario, Stimulus, TeamSetup};
use mock_idp::keys::KeyType;
use sp::admin::{self, SsoForm};
use sp::clock::Clock;
use sp::config::SpConfig;
use sp::model::{MemberKey, MetadataSource, Plan, Provisioning};
use sp::saml::fetch::{FetchLimits, MetadataFetcher};
use sp::store::Store;
use sp::web::{self, AppState};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use time::{Duration, OffsetDateTime};

/// The SP's entity ID and audience in the catalogue (the product's default).
pub const ENTITY_ID: &str = "https://qualified.io";
/// Where the mock IdP's SSO service is said to be in the metadata the teams are given.
pub const IDP_SSO_URL: &str = "https://idp.mock.example/sso";

/// Why the in-process SP could not start or be set up.
#[derive(Debug, thiserror::Error)]
pub enum InProcessError {
    #[error(
        "database {url}: {detail} (give a sqlite:// path that can be created, or a reachable postgres:// URL)"
    )]
    Database { url: String, detail: String },
    #[error(
        "database {url} already holds {teams} team(s), from an earlier run or another use: the catalogue needs an empty database or schema (or omit --database for a temporary SQLite file)"
    )]
    DatabaseNotEmpty { url: String, teams: usize },
    #[error("cannot listen on 127.0.0.1: {0}")]
    Listen(std::io::Error),
    #[error("team {slug}: {detail}")]
    Team { slug: String, detail: String },
    #[error("{0}")]
    Setup(String),
}

impl InProcessError {
    pub fn code(&self) -> &'static str {
        match self {
            InProcessError::Database { .. } => "database_unreachable",
            InProcessError::DatabaseNotEmpty { .. } => "database_not_empty",
            InProcessError::Listen(_) => "listen_failed",
            InProcessError::Team { .. } => "team_setup_failed",
            InProcessError::Setup(_) => "setup_failed",
        }
    }
}

/// A clock that reads `start` when the run begins and runs on in real time; scripts may move it
/// forward (never back), for metadata refreshes and expiry.
pub struct RunClock {
    started: std::time::Instant,
    base: Mutex<OffsetDateTime>,
}

impl RunClock {
    pub fn starting_at(start: OffsetDateTime) -> RunClock {
        RunClock {
            started: std::time::Instant::now(),
            base: Mutex::new(start),
        }
    }

    pub fn advance(&self, by: Duration) {
        *self.base.lock().unwrap_or_else(PoisonError::into_inner) += by.max(Duration::ZERO);
    }
}

impl Clock for RunClock {
    fn now(&self) -> OffsetDateTime {
        let base = *self.base.lock().unwrap_or_else(PoisonError::into_inner);
        base + self.started.elapsed()
    }
}

/// A running in-process SP and what the scenarios need to reach it.
pub struct InProcess {
    pub acs: String,
    pub base_url: String,
    pub store: Store,
    pub clock: Arc<RunClock>,
    pub fetcher: MetadataFetcher,
    pub metadata: MetadataHost,
    /// What the target is, for reports: `in-process sp (sqlite)`.
    pub description: String,
    teams: tokio::sync::Mutex<HashMap<String, Team>>,
    /// The browser's HTTP client, made once: building one loads the system's CA store, which
    /// cost more than the scenario itself. (Deliveries keep their own cookies.)
    client: reqwest::Client,
    _dir: Option<tempfile::TempDir>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// A team made for the run, with its SCIM key when it has one.
#[derive(Clone)]
pub struct Team {
    pub setup: TeamSetup,
    pub scim_key: Option<String>,
}

impl InProcess {
    /// Starts the SP on `database` (a fresh temporary SQLite file when `None`) at `now`.
    pub async fn start(
        database: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<InProcess, InProcessError> {
        let (dir, url) = match database {
            Some(url) => (None, url.to_owned()),
            None => {
                let dir = tempfile::tempdir()
                    .map_err(|e| InProcessError::Setup(format!("temporary directory: {e}")))?;
                let url = format!("sqlite://{}", dir.path().join("sp.db").display());
                (Some(dir), url)
            }
        };
        let database_error = |detail: String| InProcessError::Database {
            url: url.clone(),
            detail,
        };
        let store = Store::connect(&url)
            .await
            .map_err(|e| database_error(e.to_string()))?;
        store
            .migrate()
            .await
            .map_err(|e| database_error(e.to_string()))?;
        // Scenarios make their teams with fixed slugs; a database that has teams already would
        // fail half-way, or worse, run against settings nobody chose.
        let teams = store
            .list_teams()
            .await
            .map_err(|e| database_error(e.to_string()))?
            .len();
        if teams > 0 {
            return Err(InProcessError::DatabaseNotEmpty { url, teams });
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(InProcessError::Listen)?;
        let address = listener.local_addr().map_err(InProcessError::Listen)?;
        let base_url = format!("http://{address}");
        let mut config = SpConfig::qualified();
        config.base_url = base_url.clone();
        config.entity_id = ENTITY_ID.to_owned();
        let (key, _) =
            fixture_sp_key().map_err(|e| InProcessError::Setup(format!("SP key: {e}")))?;
        config.decryption_key = Some(key);
        let acs = config.acs_url();
        // The teams' dynamic metadata is served on loopback, which the SP refuses by default.
        let fetcher = MetadataFetcher::new(FetchLimits {
            allow_private: true,
            ..Default::default()
        })
        .map_err(|e| InProcessError::Setup(format!("metadata fetcher: {e}")))?;
        let clock = Arc::new(RunClock::starting_at(now));
        let mut state = AppState::new(store.clone(), config, clock.clone(), fetcher.clone());
        state.secure_cookies = false;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(web::serve(listener, state, async move {
            let _ = stopped.await;
        }));
        let metadata = MetadataHost::start()
            .await
            .map_err(|e| InProcessError::Setup(format!("metadata host: {e}")))?;
        let kind = if url.starts_with("postgres") {
            "postgresql"
        } else {
            "sqlite"
        };
        Ok(InProcess {
            acs,
            base_url,
            store,
            clock,
            fetcher,
            metadata,
            description: format!("in-process sp ({kind})"),
            teams: tokio::sync::Mutex::new(HashMap::new()),
            client: mock_idp::post::client()
                .map_err(|e| InProcessError::Setup(format!("HTTP client: {e}")))?,
            _dir: dir,
            _stop: stop,
        })
    }

    /// The team `setup` names, made the first time it is asked for.
    pub async fn team(&self, setup: &TeamSetup) -> Result<Team, InProcessError> {
        let mut teams = self.teams.lock().await;
        if let Some(team) = teams.get(&setup.slug) {
            if team.setup != *setup {
                return Err(InProcessError::Team {
                    slug: setup.slug.clone(),
                    detail: "two scenarios ask for this slug with different setups".to_owned(),
                });
            }
            return Ok(team.clone());
        }
        let team = self
            .create(setup)
            .await
            .map_err(|detail| InProcessError::Team {
                slug: setup.slug.clone(),
                detail,
            })?;
        teams.insert(setup.slug.clone(), team.clone());
        Ok(team)
    }

    async fn create(&self, setup: &TeamSetup) -> Result<Team, String> {
        let now = self.clock.now();
        let (_, scim_key) = admin::create_team(
            &self.store,
            &setup.slug,
            Plan::Custom,
            setup.scim,
            setup.scim,
            now,
        )
        .await
        .map_err(|e| e.to_string())?;
        let metadata = match setup.metadata {
            MetadataSetup::Static(published) => MetadataSource::Static(
                mock_idp::metadata::render(&setup.issuer, IDP_SSO_URL, published, KeyType::Rsa)
                    .map_err(|e| e.to_string())?,
            ),
            MetadataSetup::Dynamic(published) => MetadataSource::Url(
                self.metadata
                    .publish(&setup.slug, &setup.issuer, published, None)
                    .map_err(|e| e.to_string())?,
            ),
        };
        let form = sso_form(setup, metadata);
        admin::set_sso(&self.store, &self.fetcher, &setup.slug, form, now)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Team {
            setup: setup.clone(),
            scim_key,
        })
    }

    /// The SCIM base URL.
    pub fn scim_base(&self) -> String {
        format!("{}/scim/v2", self.base_url)
    }
}

/// The customer's SSO form for `setup` with `metadata`.
pub fn sso_form(setup: &TeamSetup, metadata: MetadataSource) -> SsoForm {
    SsoForm {
        issuer: setup.issuer.clone(),
        metadata,
        allow_idp_initiated: true,
        provisioning: if setup.scim_provisioning {
            Provisioning::ScimOnly
        } else {
            Provisioning::Jit
        },
        allow_sha1: false,
        member_key: if setup.member_key_name_id {
            MemberKey::NameId
        } else {
            MemberKey::Email
        },
        encrypted_assertions: setup.encrypted_assertions,
    }
}

/// The SP's key pair from `fixtures/` (the mock IdP encrypts to its certificate): the
/// decryption key, and the certificate as base64 DER for the SP's metadata.
pub fn fixture_sp_key() -> Result<(xmldsig::PrivateKey, String), String> {
    let dir = mock_idp::keys::keys_dir();
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))
    };
    let key = xmldsig::PrivateKey::from_pem(&read("sp-rsa.key")?, Some(&read("sp-rsa.crt")?))
        .map_err(|e| e.to_string())?;
    let certificate = key
        .certificate()
        .map(|c| c.to_base64())
        .transpose()
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "sp-rsa.key came without its certificate".to_owned())?;
    Ok((key, certificate))
}

impl InProcess {
    fn saml_target(&self) -> SamlTarget {
        SamlTarget {
            acs: self.acs.clone(),
            entity_id: ENTITY_ID.to_owned(),
        }
    }

    /// Makes every team `scenarios` use before any runs, so that concurrent scenarios never race
    /// to create one.
    pub async fn prepare(&self, scenarios: &[Scenario]) -> Result<(), InProcessError> {
        for scenario in scenarios {
            for team in crate::catalogue::teams::of(scenario) {
                self.team(&team).await?;
            }
        }
        Ok(())
    }
}

impl Target for InProcess {
    fn description(&self) -> String {
        self.description.clone()
    }

    async fn run(&self, scenario: &Scenario, n: u64) -> Ran {
        let client = &self.client;
        match &scenario.stimulus {
            Stimulus::Post(post) => {
                deliver::post(client, &self.saml_target(), post, n, self.clock.now()).await
            }
            Stimulus::Okta { profile, sequence } => {
                let team = match self.team(&crate::catalogue::teams::scim(*profile)).await {
                    Ok(team) => team,
                    Err(e) => return Ran::error("team not set up", e.to_string()),
                };
                let Some(key) = team.scim_key else {
                    return Ran::error("team has no SCIM key", "the scim team has no API key");
                };
                deliver::okta(
                    &self.scim_base(),
                    &key,
                    *profile,
                    *sequence,
                    format!("c{n}"),
                )
                .await
            }
            Stimulus::Script(script) => {
                crate::script::run(self, client, &self.saml_target(), script, n).await
            }
        }
    }
}
