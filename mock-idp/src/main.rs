//! `mock-idp`: serve a simulated IdP, print its metadata, build a SAML response with any knob or
//! fault, or post one to an SP as a browser does and check the SP's answer. Thin glue over the
//! library: `main` → `run` → exit code (0 ok, or the SP answered as expected; 1 `post`: the SP
//! answered otherwise; 2 usage, input or I/O errors, or the SP could not be reached).

use clap::{Args, Parser, Subcommand, ValueEnum};
use mock_idp::build::BuildError;
use mock_idp::catalogue;
use mock_idp::check;
use mock_idp::expect::Expected;
use mock_idp::keys::{KeyError, KeyType};
use mock_idp::knobs::{KnobError, Knobs, named, parse_now, parse_preset, parse_url};
use mock_idp::metadata::{self, Published};
use mock_idp::post::{self, PostError, Redirect};
use mock_idp::presets::Preset;
use mock_idp::server::{self, AppState, Config, shape};
use mock_idp::spec::{DEFAULT_SP_ENTITY_ID, HttpMethod, LOCAL_ACS_URL};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use time::OffsetDateTime;

#[derive(Parser)]
#[command(
    name = "mock-idp",
    version,
    about = "The ssolab SAML IdP simulator: real IdPs' responses, every knob, every fault",
    long_about = "The ssolab SAML IdP simulator: responses shaped like real IdPs (presets), with \
                  every field adjustable (knobs) and every known fault and attack (faults).\n\n\
                  Signing uses the published test keys in fixtures/keys (SSOLAB_FIXTURES \
                  overrides the folder). With --now the output is byte-for-byte reproducible.\n\n\
                  Exit status: 0 ok (for `post`: the SP answered what --expect says); 1 `post`: \
                  the SP answered something else; 2 a usage, input or I/O error, or the SP \
                  could not be reached (connection refused, TLS error, timeout)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve metadata (with key rotation and outages), the SSO endpoint, a login page and
    /// IdP-initiated launch; see the route list in `mock-idp serve --help`
    #[command(long_about = SERVE_HELP)]
    Serve(ServeArgs),
    /// Print the IdP's metadata
    Metadata(MetadataArgs),
    /// Build a response and print its SAMLResponse form value (base64), or the XML with --xml
    Response(ResponseArgs),
    /// Post a response as a browser does and check the SP's answer
    #[command(long_about = POST_HELP)]
    Post(PostArgs),
    /// List the faults: name, class, what it does, what a correct SP answers
    Faults(FaultsArgs),
    /// List the presets: name, issuer, what is characteristic, where the shape comes from
    Presets,
}

const POST_HELP: &str = "Post a response to the SP as a browser does, print every hop and the \
final body, and compare the SP's answer with what a correct SP answers (--expect; by default \
the fault's own expectation, or `accepted` without a fault).\n\n\
Redirects are followed by hand: 301/302/303 become a GET without the body, 307/308 re-post it. \
A login is a 302/303 that sets a cookie; any other answer is read as its status and its code \
(the X-SSOLab-Code header, else the <code> on the page).\n\n\
Exit status: 0 the answer agrees with the expectation; 1 it does not; 2 the SP could not be \
reached, or a usage error.";

const SERVE_HELP: &str = "Serve the simulated IdP.\n\n\
Routes:\n  \
GET  /metadata, /metadata/{preset}   metadata (the --preset's entity ID, or any preset's)\n  \
GET  /sso, POST /sso [/{preset}]     SP-initiated login: SAMLRequest (HTTP-Redirect or HTTP-POST)\n  \
GET  /, /login; POST /login          the login page; the response it leads to\n  \
POST /autopost                       the auto-submitting form for a shown response\n  \
GET  /launch?preset=&fault=&user=&first_name=&last_name=&acs=&reply_url=&relay_state=\n                                       \
IdP-initiated login straight to the auto-submitting form\n  \
GET|POST /redirect/{301|302|303|307|308}?to=URL\n                                       \
that redirect to URL: the site in front of a Reply URL (used by the reply-url-redirect-* faults)\n\n\
Control (GET or POST, for tests and demos; answers the new state):\n  \
/control                             show the state\n  \
/control/rotate                      publish and sign with the next key\n  \
/control/publish-both                publish current and next keys\n  \
/control/revert                      current key, no outage\n  \
/control/publish/{current|both|next} which certificates metadata publishes\n  \
/control/sign/{current|next}         which key signs responses\n  \
/control/outage/{ok|down|slow|invalid|html}[?seconds=N]\n                                       \
metadata answers 503 / after N s / truncated XML / an HTML page\n\n\
No route is authenticated: this IdP signs anything with published test keys. Keep it on \
loopback.";

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8081")]
    listen: String,
    /// The IdP this server is by default: its issuer is the entity ID of /metadata
    #[arg(long, value_name = "NAME", default_value = "okta", value_parser = parse_preset)]
    preset: &'static Preset,
    /// Public base URL (SSO is BASE/sso); default http://LISTEN
    #[arg(long, value_name = "URL", value_parser = parse_url)]
    base_url: Option<String>,
    /// A registered ACS URL ("Reply URL") of the SP, where the login page sends the browser;
    /// repeat for several; the first is the default. The production ACS is never the default:
    /// pass --acs https://www.qualified.io/api/saml/consume to post there
    #[arg(long = "acs", value_name = "URL", value_parser = parse_url, default_value = LOCAL_ACS_URL)]
    acs: Vec<String>,
    /// The SP's entity ID: the Audience, and the Issuer AuthnRequests must carry
    #[arg(long, value_name = "ID", default_value = DEFAULT_SP_ENTITY_ID)]
    sp_entity_id: String,
    /// Fixed clock (RFC 3339, e.g. 2026-11-28T12:00:00Z); default: the real time
    #[arg(long, value_name = "RFC3339", value_parser = parse_now)]
    now: Option<OffsetDateTime>,
}

#[derive(Args)]
struct MetadataArgs {
    /// The IdP whose entity ID the metadata names
    #[arg(long, value_name = "NAME", default_value = "okta", value_parser = parse_preset)]
    preset: &'static Preset,
    /// The SSO endpoint to advertise
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:8081/sso", value_parser = parse_url)]
    sso_url: String,
    /// Which signing certificates to publish (both: a rotation's overlap)
    #[arg(long, default_value = "current", value_parser = named(&Published::ALL, Published::name))]
    publish: Published,
    /// Key type of the published certificates [default: the preset's]
    #[arg(long, value_parser = named(&KeyType::ALL, KeyType::name))]
    key_type: Option<KeyType>,
}

#[derive(Args)]
struct ResponseArgs {
    /// The SP's ACS URL: Destination and Recipient
    /// [default: https://www.qualified.io/api/saml/consume]
    #[arg(long, value_name = "URL", value_parser = parse_url, help_heading = "Where")]
    acs: Option<String>,
    #[command(flatten)]
    knobs: Knobs,
    /// Print the XML instead of the base64 form value
    #[arg(long)]
    xml: bool,
}

#[derive(Args)]
struct PostArgs {
    /// The SP's ACS URL: Destination and Recipient, and where the browser posts unless
    /// --reply-url says otherwise
    #[arg(long, value_name = "URL", value_parser = parse_url, help_heading = "Where")]
    to: String,
    /// Where the browser posts instead of --to, while Destination and Recipient stay --to: an
    /// IdP configured with a stale or mistyped Reply URL
    #[arg(long, value_name = "URL", value_parser = parse_url, help_heading = "Where")]
    reply_url: Option<String>,
    /// How the browser sends it: post (a form) or get (the query string, as when the IdP's
    /// Sign-on URL is set to the ACS) [default: post]
    #[arg(long, value_parser = named(&HttpMethod::ALL, HttpMethod::name), help_heading = "Where")]
    method: Option<HttpMethod>,
    /// First post to a local server on 127.0.0.1 that answers with this redirect to the Reply
    /// URL, and follow it as a browser does: the http:// → https:// or apex → www. redirect
    /// in front of a Reply URL [default: the fault's own, if any]
    #[arg(long, value_name = "STATUS", value_parser = named(&Redirect::ALL, Redirect::name), help_heading = "Where")]
    via_redirect: Option<Redirect>,
    /// What a correct SP answers: `accepted` or a code (e.g. audience_mismatch, acs_get)
    /// [default: the fault's expectation; without --fault, accepted]
    #[arg(long, value_name = "CODE|accepted", value_parser = parse_expected, help_heading = "Check")]
    expect: Option<Expected>,
    /// RelayState sent with the response
    #[arg(long, value_name = "VALUE", help_heading = "Protocol")]
    relay_state: Option<String>,
    #[command(flatten)]
    knobs: Knobs,
}

#[derive(Args)]
struct FaultsArgs {
    /// text: a table for people; json: name, class, summary, expected (`accepted` or a code),
    /// status (for diagnosis codes), note, posts, via_redirect
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// How `faults` prints the catalogue.
#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

fn parse_expected(text: &str) -> Result<Expected, String> {
    Expected::parse(text).map_err(|e| e.to_string())
}

/// Why a command could not run (exit 2).
#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error(transparent)]
    Knob(#[from] KnobError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Build(#[from] BuildError),
    #[error(transparent)]
    Post(#[from] PostError),
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
}

impl CliError {
    fn code(&self) -> &'static str {
        match self {
            CliError::Knob(e) => e.code(),
            CliError::Key(_) => "key",
            CliError::Build(_) => "build",
            CliError::Post(e) => e.code(),
            CliError::Io { .. } => "io",
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("mock-idp: error [{}]: {e}", e.code());
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, CliError> {
    match cli.command {
        Command::Serve(args) => serve(args),
        Command::Metadata(args) => {
            let key_type = args.key_type.unwrap_or(args.preset.spec().signing.key_type);
            let xml = metadata::render(args.preset.issuer, &args.sso_url, args.publish, key_type)?;
            emit(&xml)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Response(args) => {
            let (spec, now) = args
                .knobs
                .spec(args.acs.as_deref(), OffsetDateTime::now_utc())?;
            let prepared = shape::prepare(&spec, args.knobs.fault, now)?;
            if args.xml {
                emit(&format!("{}\n", prepared.built.xml))?;
            } else {
                emit(&format!("{}\n", prepared.built.form_value()))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Post(args) => post_command(args),
        Command::Faults(args) => {
            match args.format {
                Format::Text => emit(&catalogue::faults_table())?,
                Format::Json => emit(&format!("{}\n", catalogue::faults_json()))?,
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Presets => {
            emit(&catalogue::presets_table())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Writes to stdout; a closed pipe (`| head`) ends quietly, as for any Unix filter.
fn emit(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::Io {
            what: "writing to stdout".to_owned(),
            source: e,
        }),
        _ => Ok(()),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| CliError::Io {
            what: "starting the async runtime".to_owned(),
            source,
        })
}

fn post_command(args: PostArgs) -> Result<ExitCode, CliError> {
    let (mut spec, now) = args.knobs.spec(Some(&args.to), OffsetDateTime::now_utc())?;
    if let Some(reply_url) = &args.reply_url {
        spec.reply_url = reply_url.clone();
    }
    if let Some(method) = args.method {
        spec.method = method;
    }
    if let Some(relay_state) = &args.relay_state {
        spec.relay_state = Some(relay_state.clone());
    }
    let prepared = shape::prepare(&spec, args.knobs.fault, now)?;
    let via = check::redirect_for(&prepared, args.via_redirect);
    let expected = check::expectation_for(&prepared, args.expect);
    let checked = runtime()?.block_on(async {
        let client = post::client()?;
        check::post_and_judge(&client, prepared, via, expected).await
    })?;
    emit(&checked.report())?;
    Ok(if checked.verdict.agree {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn serve(args: ServeArgs) -> Result<ExitCode, CliError> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let mut config = Config::new(args.preset);
    config.base_url = args
        .base_url
        .unwrap_or_else(|| format!("http://{}", args.listen))
        .trim_end_matches('/')
        .to_owned();
    config.acs_urls = args.acs;
    config.sp_entity_id = args.sp_entity_id;
    config.now = args.now;
    let base_url = config.base_url.clone();
    let issuer = config.preset.issuer;
    let acs = config.acs_urls.join(", ");
    let runtime = runtime()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .map_err(|source| CliError::Io {
                what: format!("binding {}", args.listen),
                source,
            })?;
        eprintln!(
            "mock-idp serving {issuer}\n  login:    {base_url}/login (posts to {acs})\n  metadata: {base_url}/metadata\n  SSO:      {base_url}/sso\n  control:  {base_url}/control (no authentication: keep on loopback)"
        );
        server::serve(listener, AppState::new(config), shutdown_signal())
            .await
            .map_err(|source| CliError::Io {
                what: "serving".to_owned(),
                source,
            })
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Completes on ctrl-c or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
