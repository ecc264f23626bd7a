//! `sp`: run the Service Provider, and configure its teams (the operator's side of the form a
//! customer fills in). Thin glue over the library: `main` → `run` → exit code.

use clap::{Args, Parser, Subcommand};
use sp::admin::{self, SsoForm};
use sp::clock::SystemClock;
use sp::config::SpConfig;
use sp::model::{MemberKey, MetadataSource, Plan, Provisioning};
use sp::saml::fetch::{FetchLimits, MetadataFetcher};
use sp::saml::refresh;
use sp::store::Store;
use sp::web::{self, AppState};
use std::process::ExitCode;
use std::sync::Arc;
use time::OffsetDateTime;

#[derive(Parser)]
#[command(
    name = "sp",
    version,
    about = "The ssolab Service Provider: multi-tenant SAML SSO on SQLite or PostgreSQL"
)]
struct Cli {
    /// Database URL: sqlite://FILE (created if missing) or postgres://…
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        default_value = "sqlite://ssolab.db"
    )]
    database: String,
    /// Fetch metadata URLs from loopback, private, link-local, unique-local, CGNAT,
    /// documentation and benchmark addresses too (for labs and tests whose IdP runs beside the
    /// SP; never in production, where a customer's URL could then reach the SP's own network).
    /// Unspecified, multicast, broadcast and reserved addresses stay refused
    #[arg(long, global = true)]
    allow_private_metadata: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the SP (runs pending migrations first)
    Serve(ServeArgs),
    /// Configure and inspect teams
    #[command(subcommand)]
    Team(TeamCommand),
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Public base URL; the ACS is BASE/api/saml/consume
    #[arg(long, default_value = "https://www.qualified.io")]
    base_url: String,
    /// The ACS path as IdPs and browsers see it, when a proxy in front maps it onto
    /// /api/saml/consume: responses must then be addressed to BASE followed by this path, and
    /// the SP metadata publishes it
    #[arg(long, default_value = sp::config::ACS_PATH, value_parser = parse_acs_path)]
    public_acs_path: String,
    /// SP entity ID, the Audience assertions must name
    #[arg(long, default_value = "https://qualified.io")]
    entity_id: String,
    /// Leave `Secure` off cookies (for plain http://localhost only)
    #[arg(long)]
    insecure_cookies: bool,
    /// Redirect (301) every other Host to this one, as production redirects to www; the
    /// redirect keeps the scheme of --base-url
    #[arg(long)]
    canonical_host: Option<String>,
    /// Redirect (301) plain http to the https --base-url, as production does behind a
    /// TLS-terminating proxy: "plain http" is what the proxy's `X-Forwarded-Proto: http` says
    #[arg(long)]
    redirect_http: bool,
    /// Operator token for the admin HTTP API under /admin (at least 16 visible characters, e.g.
    /// `openssl rand -hex 32`); without it the admin API is off
    #[arg(long, env = "SSOLAB_OPERATOR_TOKEN", hide_env_values = true)]
    operator_token: Option<sp::web::admin_api::OperatorToken>,
    /// SP private key (PEM) for encrypted assertions; with --sp-cert
    #[arg(long, requires = "sp_cert")]
    sp_key: Option<std::path::PathBuf>,
    /// SP certificate (PEM) published in SP metadata for encryption
    #[arg(long, requires = "sp_key")]
    sp_cert: Option<std::path::PathBuf>,
    /// Refuse AES-CBC encrypted assertions (GCM only): for SPs whose IdPs all encrypt with GCM
    #[arg(long)]
    refuse_cbc: bool,
    /// Allowed clock difference with IdPs, in seconds
    #[arg(long, default_value_t = 180)]
    clock_skew: i64,
}

#[derive(Subcommand)]
enum TeamCommand {
    /// Create a team (prints its API key once when it has API access)
    Create {
        slug: String,
        /// The plan; SAML SSO needs custom
        #[arg(long, default_value = "custom", value_parser = plan_parser())]
        plan: Plan,
        /// API access: the team gets an API key (printed once), which SCIM clients send
        #[arg(long)]
        api_access: bool,
        /// SCIM provisioning at /scim/v2 (needs --api-access too)
        #[arg(long)]
        scim: bool,
    },
    /// Change a team's plan; API access and SCIM change only when given
    Plan {
        slug: String,
        /// The new plan; SAML SSO needs custom
        #[arg(long, value_parser = plan_parser())]
        plan: Plan,
        /// Turn API access on or off (left as it is when not given)
        #[arg(long, action = clap::ArgAction::Set)]
        api_access: Option<bool>,
        /// Turn SCIM provisioning on or off (left as it is when not given)
        #[arg(long, action = clap::ArgAction::Set)]
        scim: Option<bool>,
    },
    /// Set a team's SSO: the IdP issuer plus its metadata, static or by URL
    Sso {
        slug: String,
        /// The IdP's entity ID (the Issuer of its responses)
        #[arg(long)]
        issuer: String,
        /// Static metadata XML file
        #[arg(
            long,
            conflicts_with = "metadata_url",
            required_unless_present = "metadata_url"
        )]
        metadata_file: Option<std::path::PathBuf>,
        /// Dynamic metadata URL (https; http only for loopback), refreshed in the background
        #[arg(long)]
        metadata_url: Option<String>,
        /// Accept IdP-initiated (unsolicited) responses
        #[arg(long, action = clap::ArgAction::Set, default_value_t = true)]
        allow_idp_initiated: bool,
        /// jit: first login creates the member; scim: only SCIM does
        #[arg(long, default_value = "jit", value_parser = parse_provisioning)]
        provisioning: Provisioning,
        /// Accept SHA-1 signatures from this IdP
        #[arg(long)]
        allow_sha1: bool,
        /// email: a login finds its member by email; name_id: by the NameID as sent (for IdPs
        /// whose NameID is the members' SCIM userName and which send no email)
        #[arg(long, default_value = "email", value_parser = parse_member_key)]
        member_key: MemberKey,
        /// The IdP encrypts assertions for this team: only then are they decrypted (with the
        /// key of `sp serve --sp-key/--sp-cert`); off, an encrypted assertion is refused unread
        #[arg(long)]
        encrypted_assertions: bool,
    },
    /// Issue another API key (printed once)
    ApiKey { slug: String },
    /// Show a team: settings, metadata status, certificate expiry
    Show { slug: String },
    /// List a team's members: userName, active, source (SCIM or JIT), last login
    Members { slug: String },
}

/// The plans, listed in `--help` and in the error for any other value.
fn plan_parser() -> impl clap::builder::TypedValueParser<Value = Plan> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(["free", "team", "custom"]).try_map(|s| {
        Plan::parse(&s).ok_or_else(|| format!("unknown plan {s:?}; use free, team or custom"))
    })
}

fn parse_provisioning(s: &str) -> Result<Provisioning, String> {
    Provisioning::parse(s).ok_or_else(|| format!("unknown provisioning {s:?}; use jit or scim"))
}

fn parse_acs_path(s: &str) -> Result<String, String> {
    if s.starts_with('/') {
        Ok(s.to_owned())
    } else {
        Err(format!(
            "{s:?} is not a path; give it with its leading slash, like /session/sso/saml/acs"
        ))
    }
}

fn parse_member_key(s: &str) -> Result<MemberKey, String> {
    MemberKey::parse(s).ok_or_else(|| format!("unknown member key {s:?}; use email or name_id"))
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("sp: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sp: {e:#}");
            ExitCode::from(1)
        }
    }
}

async fn open(database: &str) -> Result<Store, Box<dyn std::error::Error>> {
    let store = Store::connect(database).await?;
    store.migrate().await?;
    Ok(store)
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let store = open(&cli.database).await?;
    let now = OffsetDateTime::now_utc();
    let http = MetadataFetcher::new(FetchLimits {
        allow_private: cli.allow_private_metadata,
        ..FetchLimits::default()
    })?;
    match cli.command {
        Command::Serve(args) => serve(store, http, args).await,
        Command::Team(TeamCommand::Create {
            slug,
            plan,
            api_access,
            scim,
        }) => {
            let (team, key) =
                admin::create_team(&store, &slug, plan, api_access, scim, now).await?;
            println!("created team {} (plan {})", team.slug, team.plan.as_str());
            if let Some(key) = key {
                println!("API key (shown once, store it now): {key}");
            }
            Ok(())
        }
        Command::Team(TeamCommand::Plan {
            slug,
            plan,
            api_access,
            scim,
        }) => {
            let team = admin::set_plan(&store, &slug, plan, api_access, scim).await?;
            // Said every time, since a plan change is where SSO is most often lost.
            if team.plan != Plan::Custom && store.sso_by_team(&team.id).await?.is_some() {
                eprintln!(
                    "warning: team {} has SSO settings, and SAML SSO works on the custom plan only: its logins are refused (sso_not_enabled)",
                    team.slug
                );
            }
            println!(
                "team {}: plan {}, api access {}, scim {}",
                team.slug,
                team.plan.as_str(),
                team.api_access,
                team.scim_enabled
            );
            Ok(())
        }
        Command::Team(TeamCommand::Sso {
            slug,
            issuer,
            metadata_file,
            metadata_url,
            allow_idp_initiated,
            provisioning,
            allow_sha1,
            member_key,
            encrypted_assertions,
        }) => {
            let metadata = match (metadata_file, metadata_url) {
                (Some(path), _) => MetadataSource::Static(
                    std::fs::read_to_string(&path)
                        .map_err(|e| format!("--metadata-file {}: {e}", path.display()))?,
                ),
                (None, Some(url)) => MetadataSource::Url(url),
                (None, None) => return Err("give --metadata-file or --metadata-url".into()),
            };
            let form = SsoForm {
                issuer,
                metadata,
                allow_idp_initiated,
                provisioning,
                allow_sha1,
                member_key,
                encrypted_assertions,
            };
            let saved = admin::set_sso(&store, &http, &slug, form, now).await?;
            for warning in &saved.warnings {
                eprintln!("warning: {warning}");
            }
            print!("{}", admin::show(&store, &slug, now).await?);
            Ok(())
        }
        Command::Team(TeamCommand::ApiKey { slug }) => {
            println!(
                "API key (shown once, store it now): {}",
                admin::issue_api_key(&store, &slug, now).await?
            );
            Ok(())
        }
        Command::Team(TeamCommand::Show { slug }) => {
            print!("{}", admin::show(&store, &slug, now).await?);
            Ok(())
        }
        Command::Team(TeamCommand::Members { slug }) => {
            let members = admin::members(&store, &slug).await?;
            print!("{}", admin::render_members(&slug, &members));
            Ok(())
        }
    }
}

async fn serve(
    store: Store,
    http: MetadataFetcher,
    args: ServeArgs,
) -> Result<(), Box<dyn std::error::Error>> {
    if args.redirect_http && !args.base_url.starts_with("https://") {
        return Err(format!(
            "--redirect-http sends plain http to the --base-url, which is {}: give an https:// --base-url, or leave --redirect-http off",
            args.base_url
        )
        .into());
    }
    let mut sp = SpConfig::qualified();
    sp.base_url = args.base_url;
    sp.acs_path = args.public_acs_path;
    sp.entity_id = args.entity_id;
    sp.clock_skew = time::Duration::seconds(args.clock_skew);
    sp.allow_cbc = !args.refuse_cbc;
    let mut encryption_certificate = None;
    if let (Some(key), Some(cert)) = (&args.sp_key, &args.sp_cert) {
        let key_pem = std::fs::read(key).map_err(|e| format!("--sp-key {}: {e}", key.display()))?;
        let cert_pem =
            std::fs::read(cert).map_err(|e| format!("--sp-cert {}: {e}", cert.display()))?;
        let private = xmldsig::PrivateKey::from_pem(&key_pem, Some(&cert_pem))?;
        encryption_certificate = private.certificate().map(|c| c.to_base64()).transpose()?;
        sp.decryption_key = Some(private);
    }
    let mut state = AppState::new(store.clone(), sp, Arc::new(SystemClock), http.clone());
    state.secure_cookies = !args.insecure_cookies;
    state.canonical_host = args.canonical_host;
    state.redirect_http = args.redirect_http;
    state.encryption_certificate = encryption_certificate;
    state.operator_token = args.operator_token;
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .map_err(|e| format!("--listen {}: {e}", args.listen))?;
    tracing::info!(
        "sp listening on http://{} (ACS {})",
        listener.local_addr()?,
        state.sp.acs_url()
    );

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let refresher = tokio::spawn(refresh::run(
        store,
        http,
        Arc::new(SystemClock),
        refresh::POLL_INTERVAL,
        async move {
            let _ = stopped.await;
        },
    ));
    web::serve(listener, state, shutdown_signal()).await?;
    let _ = stop.send(());
    let _ = refresher.await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
