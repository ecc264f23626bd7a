//! `mock-idp`: serve a simulated IdP, print its metadata, build a SAML response with any knob or
//! fault, or post one to an SP as a browser does. Thin glue over the library: `main` → `run` →
//! exit code (0 ok; 1 the post's final answer was an error; 2 usage, input or I/O errors).

use clap::{Args, Parser, Subcommand, ValueEnum};
use mock_idp::build::BuildError;
use mock_idp::faults::{self, FAULTS, Fault};
use mock_idp::keys::{KeyError, KeyRole, KeyType};
use mock_idp::metadata::{self, Published};
use mock_idp::post::{self, PostError, Submission};
use mock_idp::presets::{self, PRESETS, Preset};
use mock_idp::server::{self, AppState, Config, shape};
use mock_idp::spec::{
    Attribute, DEFAULT_ACS_URL, DEFAULT_SP_ENTITY_ID, EncryptTo, Encryption, HttpMethod, NameId,
    Placement, ResponseSpec,
};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use time::{Duration, OffsetDateTime};
use xmldsig::{BlockCipher, DigestAlgorithm, KeyKind, KeyTransport, SignatureAlgorithm};

#[derive(Parser)]
#[command(
    name = "mock-idp",
    version,
    about = "The ssolab SAML IdP simulator: real IdPs' responses, every knob, every fault",
    long_about = "The ssolab SAML IdP simulator: responses shaped like real IdPs (presets), with \
                  every field adjustable (knobs) and every known fault and attack (faults).\n\n\
                  Signing uses the published test keys in fixtures/keys (SSOLAB_FIXTURES \
                  overrides the folder). With --now the output is byte-for-byte reproducible.\n\n\
                  Exit status: 0 ok; 1 `post` ended in an HTTP error (4xx/5xx or a redirect \
                  loop); 2 a usage, input or I/O error."
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
    /// Post a response to a URL as a browser does (redirects followed by hand: 301/302/303
    /// become a GET without the body, 307/308 re-post) and print every hop and the final body
    Post(PostArgs),
    /// List the faults: name, what it does, what a correct SP answers
    Faults,
    /// List the presets: name, issuer, what is characteristic, where the shape comes from
    Presets,
}

const SERVE_HELP: &str = "Serve the simulated IdP.\n\n\
Routes:\n  \
GET  /metadata, /metadata/{preset}   metadata (the --preset's entity ID, or any preset's)\n  \
GET  /sso, POST /sso [/{preset}]     SP-initiated login: SAMLRequest (HTTP-Redirect or HTTP-POST)\n  \
GET  /, /login; POST /login          the login page; the response it leads to\n  \
POST /autopost                       the auto-submitting form for a shown response\n  \
GET  /launch?preset=&fault=&user=&first_name=&last_name=&acs=&reply_url=&relay_state=\n                                       \
IdP-initiated login straight to the auto-submitting form\n\n\
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
    /// A registered ACS URL ("Reply URL") of the SP; repeat for several; the first is the
    /// default [default: https://www.qualified.io/api/saml/consume]
    #[arg(long = "acs", value_name = "URL", value_parser = parse_url)]
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
    #[arg(long, value_enum, default_value_t = PublishArg::Current)]
    publish: PublishArg,
    /// Key type of the published certificates [default: the preset's]
    #[arg(long, value_enum)]
    key_type: Option<KeyTypeArg>,
}

#[derive(Args)]
struct ResponseArgs {
    #[command(flatten)]
    knobs: Knobs,
    /// Print the XML instead of the base64 form value
    #[arg(long)]
    xml: bool,
}

#[derive(Args)]
struct PostArgs {
    /// Where the browser posts (the Reply URL); also Destination and Recipient unless --acs is
    /// given
    #[arg(long, value_name = "URL", value_parser = parse_url)]
    to: String,
    #[command(flatten)]
    knobs: Knobs,
}

/// Every knob of a response, shared by `response` and `post`.
#[derive(Args)]
struct Knobs {
    /// The real IdP whose response shape to start from (see `mock-idp presets`)
    #[arg(long, value_name = "NAME", default_value = "okta", value_parser = parse_preset, help_heading = "Response")]
    preset: &'static Preset,
    /// A fault applied to the response (see `mock-idp faults`)
    #[arg(long, value_name = "NAME", value_parser = parse_fault, help_heading = "Response")]
    fault: Option<&'static Fault>,
    /// The SP's ACS URL: sets Destination, Recipient and the Reply URL
    /// [default: https://www.qualified.io/api/saml/consume]
    #[arg(long, value_name = "URL", value_parser = parse_url, help_heading = "Where")]
    acs: Option<String>,
    /// Where the browser posts, when it differs from the ACS (a mistyped Reply URL)
    #[arg(long, value_name = "URL", value_parser = parse_url, help_heading = "Where")]
    reply_url: Option<String>,
    /// The Response's Destination (kept as typed, so case and slashes can differ)
    #[arg(long, value_name = "URL", value_parser = parse_url, help_heading = "Where")]
    destination: Option<String>,
    /// The bearer SubjectConfirmationData's Recipient
    #[arg(long, value_name = "URL", value_parser = parse_url, help_heading = "Where")]
    recipient: Option<String>,
    /// How the browser sends it: post (a form) or get (the query string, as when a Sign-on URL
    /// is set to the ACS)
    #[arg(long, value_enum, help_heading = "Where")]
    method: Option<MethodArg>,
    /// An Audience; repeat for several [default: https://qualified.io]
    #[arg(long, value_name = "ID", help_heading = "Who")]
    audience: Vec<String>,
    /// Leave out the AudienceRestriction
    #[arg(long, conflicts_with = "audience", help_heading = "Who")]
    no_audience: bool,
    /// Issuer of the Response and the Assertion [default: the preset's]
    #[arg(long, value_name = "ID", help_heading = "Who")]
    issuer: Option<String>,
    /// NameID value [default: the user's email]
    #[arg(long, value_name = "VALUE", help_heading = "Who")]
    name_id: Option<String>,
    /// NameID Format URI [default: the preset's]
    #[arg(long, value_name = "URI", help_heading = "Who")]
    name_id_format: Option<String>,
    /// The user's email (NameID and email attributes) [default: alice@example.com]
    #[arg(long, value_name = "EMAIL", help_heading = "Who")]
    email: Option<String>,
    /// The user's first name
    #[arg(long, value_name = "NAME", help_heading = "Who")]
    first_name: Option<String>,
    /// The user's last name
    #[arg(long, value_name = "NAME", help_heading = "Who")]
    last_name: Option<String>,
    /// An attribute NAME=VALUE (replaces the preset's attribute of that name); repeat a NAME
    /// for several values
    #[arg(long = "attribute", value_name = "NAME=VALUE", value_parser = parse_attribute, help_heading = "Who")]
    attributes: Vec<(String, String)>,
    /// What is signed [default: the preset's]
    #[arg(long, value_enum, help_heading = "Signing")]
    sign: Option<SignArg>,
    /// Which key signs
    #[arg(long, value_enum, help_heading = "Signing")]
    key: Option<KeyArg>,
    /// RSA or EC key (ec picks ecdsa-sha256 unless --signature-algorithm says otherwise)
    #[arg(long, value_enum, help_heading = "Signing")]
    key_type: Option<KeyTypeArg>,
    /// SignatureMethod [default: the preset's, rsa-sha256]
    #[arg(long, value_enum, help_heading = "Signing")]
    signature_algorithm: Option<SignatureArg>,
    /// DigestMethod [default: the preset's, sha256]
    #[arg(long, value_enum, help_heading = "Signing")]
    digest: Option<DigestArg>,
    /// Leave the certificate out of KeyInfo (as PingFederate does)
    #[arg(long, help_heading = "Signing")]
    no_keyinfo_cert: bool,
    /// Encrypt the Assertion to the SP's certificate (fixtures/keys/sp-rsa.crt)
    #[arg(long, value_enum, help_heading = "Encryption")]
    encrypt: Option<EncryptArg>,
    /// Key transport for --encrypt
    #[arg(long, value_enum, default_value_t = KeyTransportArg::RsaOaepMgf1p, help_heading = "Encryption")]
    key_transport: KeyTransportArg,
    /// InResponseTo (the AuthnRequest's ID) on the Response and the confirmation
    #[arg(long, value_name = "ID", help_heading = "Protocol")]
    in_response_to: Option<String>,
    /// The IdP's clock minus the true time, in seconds (300: the IdP runs 5 minutes fast)
    #[arg(
        long,
        value_name = "SECONDS",
        allow_negative_numbers = true,
        help_heading = "Time"
    )]
    clock_offset: Option<i64>,
    /// Seconds from issue to Conditions and confirmation NotOnOrAfter [default: the preset's]
    #[arg(
        long,
        value_name = "SECONDS",
        allow_negative_numbers = true,
        help_heading = "Time"
    )]
    lifetime: Option<i64>,
    /// The time the response is built at (RFC 3339) [default: now]; with it the output is
    /// reproducible and the preset's IDs are kept
    #[arg(long, value_name = "RFC3339", value_parser = parse_now, help_heading = "Time")]
    now: Option<OffsetDateTime>,
    /// Response ID [default: the preset's with --now; otherwise `_mock-response-N` from the
    /// time, so repeated posts pass an SP's replay cache]
    #[arg(long, value_name = "ID", help_heading = "Protocol")]
    response_id: Option<String>,
    /// Assertion ID [default: as --response-id]
    #[arg(long, value_name = "ID", help_heading = "Protocol")]
    assertion_id: Option<String>,
    /// RelayState sent with the response
    #[arg(long, value_name = "VALUE", help_heading = "Protocol")]
    relay_state: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum PublishArg {
    Current,
    Both,
    Next,
}

#[derive(Clone, Copy, ValueEnum)]
enum KeyTypeArg {
    Rsa,
    Ec,
}

impl KeyTypeArg {
    fn key_type(self) -> KeyType {
        match self {
            KeyTypeArg::Rsa => KeyType::Rsa,
            KeyTypeArg::Ec => KeyType::Ec,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum MethodArg {
    Post,
    Get,
}

#[derive(Clone, Copy, ValueEnum)]
enum SignArg {
    None,
    Response,
    Assertion,
    Both,
}

#[derive(Clone, Copy, ValueEnum)]
enum KeyArg {
    Current,
    Next,
    Attacker,
    Expired,
}

#[derive(Clone, Copy, ValueEnum)]
enum SignatureArg {
    RsaSha256,
    RsaSha384,
    RsaSha512,
    RsaSha1,
    EcdsaSha256,
    EcdsaSha384,
    EcdsaSha512,
    EcdsaSha1,
}

impl SignatureArg {
    fn algorithm(self) -> SignatureAlgorithm {
        match self {
            SignatureArg::RsaSha256 => SignatureAlgorithm::RsaSha256,
            SignatureArg::RsaSha384 => SignatureAlgorithm::RsaSha384,
            SignatureArg::RsaSha512 => SignatureAlgorithm::RsaSha512,
            SignatureArg::RsaSha1 => SignatureAlgorithm::RsaSha1,
            SignatureArg::EcdsaSha256 => SignatureAlgorithm::EcdsaSha256,
            SignatureArg::EcdsaSha384 => SignatureAlgorithm::EcdsaSha384,
            SignatureArg::EcdsaSha512 => SignatureAlgorithm::EcdsaSha512,
            SignatureArg::EcdsaSha1 => SignatureAlgorithm::EcdsaSha1,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum DigestArg {
    Sha256,
    Sha384,
    Sha512,
    Sha1,
}

impl DigestArg {
    fn algorithm(self) -> DigestAlgorithm {
        match self {
            DigestArg::Sha256 => DigestAlgorithm::Sha256,
            DigestArg::Sha384 => DigestAlgorithm::Sha384,
            DigestArg::Sha512 => DigestAlgorithm::Sha512,
            DigestArg::Sha1 => DigestAlgorithm::Sha1,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum EncryptArg {
    Aes128Gcm,
    Aes256Gcm,
    Aes128Cbc,
    Aes192Cbc,
    Aes256Cbc,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum KeyTransportArg {
    /// xmlenc#rsa-oaep-mgf1p with a SHA-1 OAEP digest (what AD FS and most IdPs send)
    RsaOaepMgf1p,
    /// xmlenc11#rsa-oaep with SHA-256 and MGF1-SHA-256
    RsaOaep,
    /// xmlenc#rsa-1_5 (refused by a careful SP)
    #[value(name = "rsa-1_5")]
    Rsa15,
}

fn parse_preset(name: &str) -> Result<&'static Preset, String> {
    presets::by_name(name).map_err(|e| e.to_string())
}

fn parse_fault(name: &str) -> Result<&'static Fault, String> {
    faults::by_name(name).map_err(|e| e.to_string())
}

/// Checks that `value` is an absolute http(s) URL, and keeps it exactly as typed: a URL that
/// differs from the ACS by case or a slash is often the point.
fn parse_url(value: &str) -> Result<String, String> {
    match url::Url::parse(value) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(value.to_owned()),
        Ok(u) => Err(format!(
            "malformed URL {value:?}: scheme {:?}; choose one of: http, https",
            u.scheme()
        )),
        Err(e) => Err(format!(
            "malformed URL {value:?}: {e}; give an absolute http(s) URL such as {DEFAULT_ACS_URL}"
        )),
    }
}

fn parse_now(value: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339).map_err(|e| {
        format!("{value:?} is not an RFC 3339 time such as 2026-11-28T12:00:00Z ({e})")
    })
}

fn parse_attribute(value: &str) -> Result<(String, String), String> {
    match value.split_once('=') {
        Some((name, v)) if !name.is_empty() => Ok((name.to_owned(), v.to_owned())),
        _ => Err(format!(
            "{value:?} is not NAME=VALUE (e.g. email=alice@example.com)"
        )),
    }
}

/// Why a command could not run (exit 2).
#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error("{0}")]
    Usage(String),
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
            CliError::Usage(_) => "usage",
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
            let key_type = args
                .key_type
                .map_or(args.preset.spec().signing.key_type, KeyTypeArg::key_type);
            let published = match args.publish {
                PublishArg::Current => Published::Current,
                PublishArg::Both => Published::Both,
                PublishArg::Next => Published::Next,
            };
            let xml = metadata::render(args.preset.issuer, &args.sso_url, published, key_type)?;
            emit(&xml)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Response(args) => {
            let (spec, now) = spec_from(&args.knobs, None)?;
            let prepared = shape::prepare(&spec, args.knobs.fault, now)?;
            if args.xml {
                emit(&format!("{}\n", prepared.built.xml))?;
            } else {
                emit(&format!("{}\n", prepared.built.form_value()))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Post(args) => post_command(args),
        Command::Faults => {
            emit(&faults_table())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Presets => {
            emit(&presets_table())?;
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

fn faults_table() -> String {
    let name_width = FAULTS
        .iter()
        .map(|f| f.name.len())
        .max()
        .unwrap_or(0)
        .max(4);
    let summary_width = FAULTS
        .iter()
        .map(|f| f.summary.chars().count())
        .max()
        .unwrap_or(0)
        .max(7);
    let mut out = format!(
        "{:name_width$}  {:summary_width$}  A CORRECT SP ANSWERS\n",
        "NAME", "SUMMARY"
    );
    for fault in FAULTS {
        // Pad by characters: summaries hold non-ASCII (→, …) that `{:width$}` counts right,
        // but be explicit about it.
        let pad = summary_width - fault.summary.chars().count();
        out.push_str(&format!(
            "{:name_width$}  {}{}  {}\n",
            fault.name,
            fault.summary,
            " ".repeat(pad),
            fault.expected
        ));
    }
    out
}

fn presets_table() -> String {
    let name_width = PRESETS
        .iter()
        .map(|p| p.name.len())
        .max()
        .unwrap_or(0)
        .max(4);
    let issuer_width = PRESETS
        .iter()
        .map(|p| p.issuer.chars().count())
        .max()
        .unwrap_or(0)
        .max(6);
    let mut out = format!(
        "{:name_width$}  {:issuer_width$}  SUMMARY / SOURCE\n",
        "NAME", "ISSUER"
    );
    for preset in PRESETS {
        let pad = issuer_width - preset.issuer.chars().count();
        out.push_str(&format!(
            "{:name_width$}  {}{}  {}\n{:name_width$}  {:issuer_width$}  source: {}\n",
            preset.name,
            preset.issuer,
            " ".repeat(pad),
            preset.summary,
            "",
            "",
            preset.source
        ));
    }
    out
}

/// The spec the knobs describe, and the time to build it at. `to` is `post`'s target.
fn spec_from(knobs: &Knobs, to: Option<&str>) -> Result<(ResponseSpec, OffsetDateTime), CliError> {
    let now = knobs.now.unwrap_or_else(OffsetDateTime::now_utc);
    let mut spec = knobs.preset.spec();
    if knobs.now.is_none() {
        // Without a fixed time the output differs anyway; IDs from the time keep repeated
        // posts clear of the SP's replay cache.
        let millis = now.unix_timestamp_nanos() / 1_000_000;
        spec = spec.numbered(u64::try_from(millis).unwrap_or(0));
    }
    if let Some(acs) = knobs.acs.as_deref().or(to) {
        spec.destination = Some(acs.to_owned());
        spec.recipient = Some(acs.to_owned());
        spec.reply_url = acs.to_owned();
    }
    if let Some(reply_url) = &knobs.reply_url {
        if to.is_some() {
            return Err(CliError::Usage(
                "post sends to --to; --reply-url is for `response` and the server".to_owned(),
            ));
        }
        spec.reply_url = reply_url.clone();
    }
    if let Some(to) = to {
        spec.reply_url = to.to_owned();
    }
    if let Some(destination) = &knobs.destination {
        spec.destination = Some(destination.clone());
    }
    if let Some(recipient) = &knobs.recipient {
        spec.recipient = Some(recipient.clone());
    }
    if let Some(method) = knobs.method {
        spec.method = match method {
            MethodArg::Post => HttpMethod::Post,
            MethodArg::Get => HttpMethod::Get,
        };
    }
    if knobs.no_audience {
        spec.audiences.clear();
    } else if !knobs.audience.is_empty() {
        spec.audiences = knobs.audience.clone();
    }
    if let Some(issuer) = &knobs.issuer {
        spec.response_issuer = Some(issuer.clone());
        spec.assertion_issuer = Some(issuer.clone());
    }
    shape::set_user(
        &mut spec,
        knobs.email.as_deref(),
        knobs.first_name.as_deref(),
        knobs.last_name.as_deref(),
    );
    if knobs.name_id.is_some() || knobs.name_id_format.is_some() {
        let mut name_id = spec.name_id.take().unwrap_or_else(|| NameId {
            value: shape::user_of(&spec).0,
            format: None,
            sp_name_qualifier: None,
        });
        if let Some(value) = &knobs.name_id {
            name_id.value = value.clone();
        }
        if let Some(format) = &knobs.name_id_format {
            name_id.format = Some(format.clone());
        }
        spec.name_id = Some(name_id);
    }
    set_attributes(&mut spec, &knobs.attributes);
    apply_signing(&mut spec, knobs)?;
    if let Some(encrypt) = knobs.encrypt {
        spec.encryption = Some(Encryption {
            cipher: match encrypt {
                EncryptArg::Aes128Gcm => BlockCipher::Aes128Gcm,
                EncryptArg::Aes256Gcm => BlockCipher::Aes256Gcm,
                EncryptArg::Aes128Cbc => BlockCipher::Aes128Cbc,
                EncryptArg::Aes192Cbc => BlockCipher::Aes192Cbc,
                EncryptArg::Aes256Cbc => BlockCipher::Aes256Cbc,
            },
            transport: match knobs.key_transport {
                KeyTransportArg::RsaOaepMgf1p => KeyTransport::RsaOaepMgf1p {
                    digest: DigestAlgorithm::Sha1,
                },
                KeyTransportArg::RsaOaep => KeyTransport::RsaOaep {
                    digest: DigestAlgorithm::Sha256,
                    mgf: DigestAlgorithm::Sha256,
                },
                KeyTransportArg::Rsa15 => KeyTransport::RsaV15,
            },
            to: EncryptTo::Sp,
        });
    } else if knobs.key_transport != KeyTransportArg::RsaOaepMgf1p {
        return Err(CliError::Usage(
            "--key-transport applies to --encrypt; add --encrypt aes256-gcm (or another cipher)"
                .to_owned(),
        ));
    }
    if let Some(id) = &knobs.in_response_to {
        spec = spec.answering(id);
    }
    if let Some(seconds) = knobs.clock_offset {
        spec.times.clock_offset = Duration::seconds(seconds);
    }
    if let Some(seconds) = knobs.lifetime {
        let lifetime = spec.times.issue_instant + Duration::seconds(seconds);
        spec.times.not_on_or_after = Some(lifetime);
        spec.times.confirmation_not_on_or_after = Some(lifetime);
    }
    if let Some(id) = &knobs.response_id {
        spec.response_id = id.clone();
    }
    if let Some(id) = &knobs.assertion_id {
        spec.assertion_id = id.clone();
    }
    if let Some(relay_state) = &knobs.relay_state {
        spec.relay_state = Some(relay_state.clone());
    }
    Ok((spec, now))
}

/// Replaces the values of the named attributes, or appends new ones, in command-line order.
fn set_attributes(spec: &mut ResponseSpec, pairs: &[(String, String)]) {
    let mut replaced: Vec<&str> = Vec::new();
    for (name, value) in pairs {
        match spec.attributes.iter_mut().find(|a| a.name == *name) {
            Some(attribute) => {
                // The first value given for a preset's attribute replaces its values; later
                // ones add to them.
                if !replaced.contains(&name.as_str()) {
                    attribute.values.clear();
                    replaced.push(name);
                }
                attribute.values.push(value.clone());
            }
            None => {
                spec.attributes.push(Attribute::new(name, &[value]));
                replaced.push(name);
            }
        }
    }
}

fn apply_signing(spec: &mut ResponseSpec, knobs: &Knobs) -> Result<(), CliError> {
    let signing = &mut spec.signing;
    if let Some(sign) = knobs.sign {
        signing.placement = match sign {
            SignArg::None => Placement::None,
            SignArg::Response => Placement::Response,
            SignArg::Assertion => Placement::Assertion,
            SignArg::Both => Placement::Both,
        };
    }
    if let Some(key) = knobs.key {
        signing.key = match key {
            KeyArg::Current => KeyRole::Current,
            KeyArg::Next => KeyRole::Next,
            KeyArg::Attacker => KeyRole::Attacker,
            KeyArg::Expired => KeyRole::Expired,
        };
    }
    if let Some(digest) = knobs.digest {
        signing.digest = digest.algorithm();
    }
    if let Some(key_type) = knobs.key_type {
        signing.key_type = key_type.key_type();
    }
    let wanted = match signing.key_type {
        KeyType::Rsa => KeyKind::Rsa,
        KeyType::Ec => KeyKind::Ec,
    };
    match knobs.signature_algorithm {
        Some(algorithm) => {
            let algorithm = algorithm.algorithm();
            if algorithm.key_kind() != wanted {
                return Err(CliError::Usage(format!(
                    "--signature-algorithm {} needs an {} key, but the key is {}; pass --key-type {}",
                    algorithm.uri(),
                    algorithm.key_kind().name(),
                    wanted.name(),
                    match algorithm.key_kind() {
                        KeyKind::Rsa => "rsa",
                        KeyKind::Ec => "ec",
                    }
                )));
            }
            signing.signature = algorithm;
        }
        None if signing.signature.key_kind() != wanted => {
            // Switching the key type alone keeps the hash and changes the algorithm family.
            signing.signature = match (wanted, signing.signature.digest()) {
                (KeyKind::Ec, DigestAlgorithm::Sha1) => SignatureAlgorithm::EcdsaSha1,
                (KeyKind::Ec, DigestAlgorithm::Sha384) => SignatureAlgorithm::EcdsaSha384,
                (KeyKind::Ec, DigestAlgorithm::Sha512) => SignatureAlgorithm::EcdsaSha512,
                (KeyKind::Ec, DigestAlgorithm::Sha256) => SignatureAlgorithm::EcdsaSha256,
                (KeyKind::Rsa, DigestAlgorithm::Sha1) => SignatureAlgorithm::RsaSha1,
                (KeyKind::Rsa, DigestAlgorithm::Sha384) => SignatureAlgorithm::RsaSha384,
                (KeyKind::Rsa, DigestAlgorithm::Sha512) => SignatureAlgorithm::RsaSha512,
                (KeyKind::Rsa, DigestAlgorithm::Sha256) => SignatureAlgorithm::RsaSha256,
            };
        }
        None => {}
    }
    if knobs.no_keyinfo_cert {
        signing.include_certificate = false;
    }
    Ok(())
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
    let (spec, now) = spec_from(&args.knobs, Some(&args.to))?;
    let fault = args.knobs.fault;
    let prepared = shape::prepare(&spec, fault, now)?;
    // A fault may move the Reply URL or change the method: go where the faulty IdP would.
    let target = prepared.spec.reply_url.clone();
    let url = url::Url::parse(&target)
        .map_err(|e| CliError::Usage(format!("the Reply URL {target:?} is malformed: {e}")))?;
    let submission = Submission {
        url,
        method: prepared.spec.method,
        saml_response: prepared.built.form_value(),
        relay_state: prepared.spec.relay_state.clone(),
    };
    let posts = fault.map_or(1, |f| f.posts);
    let deliveries = runtime()?.block_on(async {
        let client = post::client()?;
        post::deliver_times(&client, &submission, posts).await
    })?;
    let mut out = String::new();
    if let Some(fault) = fault {
        out.push_str(&format!(
            "fault {}: {}\na correct SP answers: {}\n\n",
            fault.name, fault.summary, fault.expected
        ));
    }
    let count = deliveries.len();
    for (i, delivery) in deliveries.iter().enumerate() {
        if count > 1 {
            out.push_str(&format!("=== post {} of {count} ===\n", i + 1));
        }
        out.push_str(&delivery.transcript());
    }
    emit(&out)?;
    let failed = deliveries.last().is_some_and(post::Delivery::failed);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
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
    if !args.acs.is_empty() {
        config.acs_urls = args.acs;
    }
    config.sp_entity_id = args.sp_entity_id;
    config.now = args.now;
    let base_url = config.base_url.clone();
    let issuer = config.preset.issuer;
    let runtime = runtime()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .map_err(|source| CliError::Io {
                what: format!("binding {}", args.listen),
                source,
            })?;
        eprintln!(
            "mock-idp serving {issuer}\n  login:    {base_url}/login\n  metadata: {base_url}/metadata\n  SSO:      {base_url}/sso\n  control:  {base_url}/control (no authentication: keep on loopback)"
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
