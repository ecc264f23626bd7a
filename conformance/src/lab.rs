//! `conformance lab`: the SP and the mock IdP side by side on 127.0.0.1, with team `acme` set up
//! the way a customer fills in the SSO form — the mock's issuer and its dynamic metadata URL —
//! plus a SCIM key, so that a person can log in through the mock's login page, reproduce the
//! Reply URL problems and watch the SP's diagnosis pages and log lines.
//!
//! Both servers are the libraries the binaries `sp serve` and `mock-idp serve` run, started the
//! same way (the SP with its metadata refresh loop), so what the lab shows is what they do.

use mock_idp::presets::{self, Preset};
use mock_idp::server as idp;
use sp::admin::{self, AdminError, SsoForm};
use sp::clock::SystemClock;
use sp::config::SpConfig;
use sp::model::{MemberKey, MetadataSource, Plan, Provisioning};
use sp::saml::fetch::{FetchError, FetchLimits, MetadataFetcher};
use sp::saml::refresh;
use sp::store::{Store, StoreError};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use time::OffsetDateTime;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The team the lab seeds.
pub const TEAM: &str = "acme";
/// Where the SP listens unless told otherwise (the port of `sp serve`).
pub const DEFAULT_SP_LISTEN: &str = "127.0.0.1:8080";
/// Where the mock IdP listens unless told otherwise (the port of `mock-idp serve`).
pub const DEFAULT_IDP_LISTEN: &str = "127.0.0.1:8081";
/// The IdP the mock plays: its issuer is what team `acme` trusts.
const IDP_PRESET: &str = "okta";

/// How to start the lab.
#[derive(Debug, Clone)]
pub struct LabOptions {
    /// The SP's address; port 0 picks a free one.
    pub sp_listen: SocketAddr,
    /// The mock IdP's address; port 0 picks a free one.
    pub idp_listen: SocketAddr,
    /// The SP's database; `None`: a SQLite file in a temporary folder, removed with the lab.
    pub database: Option<String>,
}

impl LabOptions {
    /// Both servers on free ports of 127.0.0.1 and a temporary database: for tests.
    pub fn ephemeral() -> LabOptions {
        LabOptions {
            sp_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            idp_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database: None,
        }
    }
}

impl Default for LabOptions {
    /// The ports of `sp serve` and `mock-idp serve`, which the README's commands use.
    fn default() -> LabOptions {
        LabOptions {
            sp_listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            idp_listen: SocketAddr::from(([127, 0, 0, 1], 8081)),
            database: None,
        }
    }
}

/// Why the lab could not start or stop; each names the option or the step, and the fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LabError {
    /// The mock IdP signs anything for anyone, and the SP's lab settings (plain http, private
    /// metadata addresses) are unsafe beyond this machine.
    #[error(
        "{option} {addr}: the lab listens on loopback only (its IdP signs anything, unauthenticated); give 127.0.0.1:PORT"
    )]
    NotLoopback {
        option: &'static str,
        addr: SocketAddr,
    },
    #[error(
        "{option} {addr}: cannot listen there ({source}); stop what uses that port or give another, e.g. {option} 127.0.0.1:0 for any free port"
    )]
    Listen {
        option: &'static str,
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("creating the temporary folder for the lab's database: {0}")]
    TempDir(#[source] std::io::Error),
    #[error("--database: {0}")]
    Database(#[source] StoreError),
    #[error("the SP's metadata fetcher: {0}")]
    Fetcher(#[source] FetchError),
    #[error(
        "reading the SP's encryption key from the fixtures: {0} (set SSOLAB_FIXTURES to the fixtures folder)"
    )]
    SpKey(String),
    #[error("setting up team {TEAM}: {0}")]
    Seed(#[source] AdminError),
    #[error("the {server} stopped with an error: {source}")]
    Serve {
        server: &'static str,
        #[source]
        source: std::io::Error,
    },
}

impl LabError {
    pub fn code(&self) -> &'static str {
        match self {
            LabError::NotLoopback { .. } => "not_loopback",
            LabError::Listen { .. } => "listen_failed",
            LabError::TempDir(_) => "temp_dir_failed",
            LabError::Database(e) => e.code(),
            LabError::Fetcher(e) => e.code(),
            LabError::SpKey(_) => "sp_key_unreadable",
            LabError::Seed(e) => e.code(),
            LabError::Serve { .. } => "serve_failed",
        }
    }
}

/// Every URL of a running lab.
#[derive(Debug, Clone)]
pub struct LabUrls {
    /// The SP's base URL, `http://127.0.0.1:PORT`.
    pub sp_base: String,
    /// The SP's ACS, where responses are posted.
    pub acs: String,
    /// The SP's login page (with "SSO LOG IN" once a first login set its cookie).
    pub sp_login: String,
    /// The SP-initiated login of team `acme` (what "SSO LOG IN" opens).
    pub sp_initiated: String,
    /// The SP's own metadata.
    pub sp_metadata: String,
    /// The SP's SCIM base URL.
    pub scim_base: String,
    /// The mock IdP's base URL.
    pub idp_base: String,
    /// The mock IdP's login page: pick a user, a preset and a fault.
    pub idp_login: String,
    /// The mock IdP's dynamic metadata: team `acme`'s metadata URL.
    pub idp_metadata: String,
    /// The mock IdP's control state (key rotation, metadata outages).
    pub idp_control: String,
}

impl LabUrls {
    fn new(sp: SocketAddr, idp: SocketAddr) -> LabUrls {
        let sp_base = format!("http://{sp}");
        let idp_base = format!("http://{idp}");
        LabUrls {
            acs: format!("{sp_base}{}", sp::config::ACS_PATH),
            sp_login: format!("{sp_base}/login"),
            sp_initiated: format!("{sp_base}/api/saml/login/{TEAM}"),
            sp_metadata: format!("{sp_base}/saml/metadata"),
            scim_base: format!("{sp_base}/scim/v2"),
            idp_login: format!("{idp_base}/login"),
            idp_metadata: format!("{idp_base}/metadata"),
            idp_control: format!("{idp_base}/control"),
            sp_base,
            idp_base,
        }
    }
}

/// A running lab. Dropping it stops both servers; [`Lab::shutdown`] also waits for them.
pub struct Lab {
    urls: LabUrls,
    database: String,
    scim_key: String,
    preset: &'static Preset,
    stop: watch::Sender<()>,
    servers: Vec<(&'static str, JoinHandle<std::io::Result<()>>)>,
    refresher: JoinHandle<()>,
    /// The temporary database's folder, kept for as long as the lab runs.
    temp_dir: Option<tempfile::TempDir>,
}

impl Lab {
    /// Binds both addresses, opens the database (running migrations), starts the mock IdP, seeds
    /// team `acme` against the mock's metadata URL (fetched now, as the SSO form does), then
    /// starts the SP and its metadata refresh.
    pub async fn start(options: LabOptions) -> Result<Lab, LabError> {
        let (sp_listener, sp_addr) = bind("--listen", options.sp_listen).await?;
        let (idp_listener, idp_addr) = bind("--idp-listen", options.idp_listen).await?;
        let urls = LabUrls::new(sp_addr, idp_addr);

        let (temp_dir, database) = match options.database {
            Some(url) => (None, url),
            None => {
                let dir = tempfile::Builder::new()
                    .prefix("ssolab-lab-")
                    .tempdir()
                    .map_err(LabError::TempDir)?;
                let url = format!("sqlite://{}", dir.path().join("sp.db").display());
                (Some(dir), url)
            }
        };
        let store = Store::connect(&database)
            .await
            .map_err(LabError::Database)?;
        store.migrate().await.map_err(LabError::Database)?;
        // The IdP is this machine's own mock: the fetcher must reach 127.0.0.1, as
        // `sp --allow-private-metadata` does.
        let fetcher = MetadataFetcher::new(FetchLimits {
            allow_private: true,
            ..FetchLimits::default()
        })
        .map_err(LabError::Fetcher)?;

        let (stop, stopped) = watch::channel(());
        let until_stopped = |mut stopped: watch::Receiver<()>| async move {
            // Completes on a send or when the sender is dropped with the lab.
            let _ = stopped.changed().await;
        };

        // The mock first: seeding fetches its metadata.
        // IDP_PRESET is one of mock-idp's presets (the default of `mock-idp serve`).
        let preset = presets::by_name(IDP_PRESET).expect("a mock-idp preset");
        let mut idp_config = idp::Config::new(preset);
        idp_config.base_url = urls.idp_base.clone();
        idp_config.acs_urls = vec![urls.acs.clone()];
        let idp_server = tokio::spawn(idp::serve(
            idp_listener,
            idp::AppState::new(idp_config),
            until_stopped(stopped.clone()),
        ));
        let mut servers = vec![("mock IdP", idp_server)];

        let scim_key = match seed(&store, &fetcher, preset, &urls).await {
            Ok(key) => key,
            Err(e) => {
                drop(stop);
                for (_, server) in servers {
                    let _ = server.await;
                }
                return Err(e);
            }
        };

        let (sp_config, encryption_certificate) = sp_config(&urls)?;
        let mut state = sp::web::AppState::new(
            store.clone(),
            sp_config,
            Arc::new(SystemClock),
            fetcher.clone(),
        );
        // Plain http on loopback: a `Secure` session cookie would never come back.
        state.secure_cookies = false;
        state.encryption_certificate = Some(encryption_certificate);
        servers.push((
            "SP",
            tokio::spawn(sp::web::serve(
                sp_listener,
                state,
                until_stopped(stopped.clone()),
            )),
        ));
        let refresher = tokio::spawn(refresh::run(
            store,
            fetcher,
            Arc::new(SystemClock),
            refresh::POLL_INTERVAL,
            until_stopped(stopped),
        ));
        Ok(Lab {
            urls,
            database,
            scim_key,
            preset,
            stop,
            servers,
            refresher,
            temp_dir,
        })
    }

    pub fn urls(&self) -> &LabUrls {
        &self.urls
    }

    /// Team `acme`'s API key, which SCIM clients send as `Authorization: Bearer <key>`.
    pub fn scim_key(&self) -> &str {
        &self.scim_key
    }

    /// The SP's database URL (the temporary SQLite file unless `--database` named one).
    pub fn database(&self) -> &str {
        &self.database
    }

    /// The mock IdP's entity ID, which team `acme` trusts.
    pub fn idp_issuer(&self) -> &'static str {
        self.preset.issuer
    }

    /// What to print for a person: every URL, and commands that work against this lab as
    /// written (the README's `target/release` binaries).
    pub fn instructions(&self) -> String {
        let u = &self.urls;
        let issuer = self.idp_issuer();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "ssolab lab: the SP and a mock IdP on this machine; team {TEAM} (custom plan, SCIM on) trusts the mock IdP through its metadata URL.\n\
             \n\
             SP             {sp}\n  \
             ACS            {acs}\n  \
             login page     {login}   (\"SSO LOG IN\" appears after a first login)\n  \
             SSO LOG IN     {sp_initiated}\n  \
             SP metadata    {sp_metadata}\n  \
             SCIM           {scim}\n  \
             SCIM key       {key}\n  \
             database       {db}\n\
             mock IdP       {idp}   ({preset} preset, issuer {issuer})\n  \
             login page     {idp_login}\n  \
             metadata       {idp_metadata}   (team {TEAM}'s dynamic metadata URL)\n  \
             control        {idp_control}",
            sp = u.sp_base,
            acs = u.acs,
            login = u.sp_login,
            sp_initiated = u.sp_initiated,
            sp_metadata = u.sp_metadata,
            scim = u.scim_base,
            key = self.scim_key,
            db = self.database,
            idp = u.idp_base,
            preset = self.preset.name,
            idp_login = u.idp_login,
            idp_metadata = u.idp_metadata,
            idp_control = u.idp_control,
        );
        let _ = writeln!(
            out,
            "\nTry (build the binaries first: cargo build --release):\n\
             \n\
             # Log in: open the mock IdP's login page in a browser, keep or change the user, press\n\
             # \"Show the response\", then \"Continue to the Reply URL\"; then {login}\n\
             # shows \"SSO LOG IN\", the SP-initiated login.\n\
             #   {idp_login}\n\
             # The same login without a browser (prints every hop):\n\
             target/release/mock-idp post --to {acs}\n\
             \n\
             # The 404 of a Reply URL with a trailing slash, and the SP's diagnosis (acs_path_near_miss);\n\
             # on the login page: fault reply-url-trailing-slash.\n\
             target/release/mock-idp post --to {acs} --fault reply-url-trailing-slash\n\
             # A 301 in front of the ACS turns the POST into a GET (405 acs_get).\n\
             target/release/mock-idp post --to {acs} --fault reply-url-redirect-301\n\
             \n\
             # Rotate the IdP's signing key: metadata now publishes the next certificate and the login\n\
             # page signs with the next key. The SP keeps the certificate it fetched until its refresh\n\
             # (hours away), so a login is refused until the team's metadata URL is fetched again.\n\
             curl -s {idp_control}/rotate\n\
             target/release/mock-idp post --to {acs} --key next --expect signature_invalid\n\
             target/release/sp --database '{db}' --allow-private-metadata team sso {TEAM} --issuer '{issuer}' --metadata-url {idp_metadata} --encrypted-assertions\n\
             target/release/mock-idp post --to {acs} --key next\n\
             curl -s {idp_control}/revert   # back to the current key (fetch again as above)\n\
             \n\
             # Okta's SCIM client against the SP's SCIM server:\n\
             target/release/mock-okta run --base-url {scim} --token {key}\n\
             \n\
             Ctrl-C stops the lab{temporary}.",
            login = u.sp_login,
            idp_login = u.idp_login,
            acs = u.acs,
            idp_control = u.idp_control,
            db = self.database,
            idp_metadata = u.idp_metadata,
            scim = u.scim_base,
            key = self.scim_key,
            temporary = if self.temp_dir.is_some() {
                " and removes its temporary database"
            } else {
                ""
            },
        );
        out
    }

    /// Stops both servers and the metadata refresh, and waits for them to drain.
    pub async fn shutdown(self) -> Result<(), LabError> {
        let _ = self.stop.send(());
        let mut first_error = None;
        for (server, task) in self.servers {
            let result = match task.await {
                Ok(result) => result,
                Err(join) => Err(std::io::Error::other(join)),
            };
            if let Err(source) = result {
                first_error.get_or_insert(LabError::Serve { server, source });
            }
        }
        let _ = self.refresher.await;
        first_error.map_or(Ok(()), Err)
    }
}

/// The listener and the address it got (the free port, when asked for port 0).
async fn bind(
    option: &'static str,
    addr: SocketAddr,
) -> Result<(TcpListener, SocketAddr), LabError> {
    if !addr.ip().is_loopback() {
        return Err(LabError::NotLoopback { option, addr });
    }
    let failed = |source| LabError::Listen {
        option,
        addr,
        source,
    };
    let listener = TcpListener::bind(addr).await.map_err(failed)?;
    let bound = listener.local_addr().map_err(failed)?;
    Ok((listener, bound))
}

/// The SP as `sp serve --base-url http://127.0.0.1:PORT --sp-key … --sp-cert …` configures it:
/// with the fixtures' SP key, so that the mock's encrypting presets and faults log in too.
fn sp_config(urls: &LabUrls) -> Result<(SpConfig, String), LabError> {
    let (key, certificate) = crate::inprocess::fixture_sp_key().map_err(LabError::SpKey)?;
    let mut config = SpConfig::qualified();
    config.base_url = urls.sp_base.clone();
    config.decryption_key = Some(key);
    Ok((config, certificate))
}

/// Team `acme` on the custom plan with API access and SCIM, trusting the mock through its
/// metadata URL; returns a new API key. A database that already has the team (a lab restarted
/// on the same `--database`) gets the same settings and a fresh key: the old one was shown
/// only once.
async fn seed(
    store: &Store,
    fetcher: &MetadataFetcher,
    preset: &Preset,
    urls: &LabUrls,
) -> Result<String, LabError> {
    let now = OffsetDateTime::now_utc();
    let existing = store.team_by_slug(TEAM).await.map_err(LabError::Database)?;
    if existing.is_none() {
        admin::create_team(store, TEAM, Plan::Custom, false, false, now)
            .await
            .map_err(LabError::Seed)?;
    }
    admin::set_plan(store, TEAM, Plan::Custom, true, true)
        .await
        .map_err(LabError::Seed)?;
    let key = admin::issue_api_key(store, TEAM, now)
        .await
        .map_err(LabError::Seed)?;
    let form = SsoForm {
        issuer: preset.issuer.to_owned(),
        metadata: MetadataSource::Url(urls.idp_metadata.clone()),
        allow_idp_initiated: true,
        provisioning: Provisioning::Jit,
        allow_sha1: false,
        member_key: MemberKey::Email,
        encrypted_assertions: true,
    };
    admin::set_sso(store, fetcher, TEAM, form, now)
        .await
        .map_err(LabError::Seed)?;
    Ok(key)
}
