//! `conformance explain`: a captured IdP response judged offline by the SP's own pipeline
//! ([`sp::saml::validate::explain`]), every check with its verdict, expected and got, and the fix.
//!
//! The team is what `sp team sso` would save from the same metadata (checked by
//! [`check_static`], so metadata the SP would refuse is refused here too), on the custom plan,
//! taking IdP-initiated logins; the SP is `SpConfig::qualified()` unless `--entity-id`, `--acs`
//! or `--base-url` say otherwise. Only the pure checks run: whether InResponseTo names an
//! outstanding request, whether the assertion ID was used before and whether the member exists
//! depend on the SP's state, and the report says so.
//!
//! Exit status: 0 the SP would accept the response, 1 it would refuse it, 2 the input is bad (a
//! file unreadable, metadata the SP would not take, a response that is not SAML, a URL that
//! cannot be fetched), with one line `error: <code>: <message>`.
//!
//! `--format json` prints one object; fields are only ever added:
//!
//! ```text
//! {
//!   "verdict": "accepted" | "refused",
//!   "response": { "source": "<path>", "encoding": "xml" | "base64" | "url_encoded_base64" | "form_body" },
//!   "metadata": { "source": "<path or URL>", "entity_id": "…", "signing_certificates": 1 },
//!   "sp": { "entity_id": "…", "acs": "…" },
//!   "now": "<RFC 3339>",
//!   "checks": [ { "check": "audience", "title": "…", "outcome": "pass" | "fail" | "not_run",
//!                 "code": "…", "expected": "…", "got": "…", "fix": "…",   (fail only; expected/got when known)
//!                 "reason": "…" } ],                                      (not_run only)
//!   "refusal": { "code": "…", "expected": "…", "got": "…", "fix": "…" },  (refused only)
//!   "login": { "user_name": "…", "name_id": "…", "email": "…", "in_response_to": "…" },  (accepted only)
//!   "read_unverified": false,
//!   "notes": [ "…" ]
//! }
//! ```

mod capture;
mod report;

pub use capture::{Captured, Encoding, NotSaml};
pub use report::{Report, Verdict};

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use sp::config::{ACS_PATH, SpConfig};
use sp::model::{Id, MemberKey, MetadataSource, Plan, Provisioning, SsoSettings, Team};
use sp::saml::fetch::{FetchError, FetchLimits, MetadataFetcher};
use sp::saml::metadata::{
    IdpMetadata, MAX_METADATA_BYTES, MetadataError, check_static, parse_metadata,
};
use sp::saml::validate::{self, TeamSso};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use xmldsig::PrivateKey;

/// `conformance explain`'s flags.
#[derive(Debug, Clone, clap::Args)]
pub struct ExplainArgs {
    /// The IdP's metadata: a file, or its https:// URL (fetched as `sp team sso --metadata-url`
    /// fetches it)
    #[arg(long, value_name = "FILE|URL")]
    pub metadata: String,
    /// The captured response: raw XML, base64 as posted (line breaks allowed), the URL-encoded
    /// value, or the whole form body `SAMLResponse=…&RelayState=…`
    #[arg(long, value_name = "FILE")]
    pub response: PathBuf,
    /// The team's IdP issuer [default: the metadata's entityID]; picks the IdP out of an
    /// aggregate
    #[arg(long, value_name = "ENTITY_ID")]
    pub issuer: Option<String>,
    /// The SP's entity ID, which the Audience must name [default: https://qualified.io]
    #[arg(long, value_name = "ID", value_parser = non_empty)]
    pub entity_id: Option<String>,
    /// The ACS URL that Destination and Recipient must equal
    /// [default: https://www.qualified.io/api/saml/consume]
    #[arg(long, value_name = "URL", value_parser = absolute_url, conflicts_with = "base_url")]
    pub acs: Option<String>,
    /// The SP's public base URL, as `sp serve --base-url`: the ACS is it followed by
    /// /api/saml/consume
    #[arg(long, value_name = "URL", value_parser = absolute_url)]
    pub base_url: Option<String>,
    /// The instant to judge at [default: now]. A captured response is usually old: pass its
    /// IssueInstant to judge it as at that moment
    #[arg(long, value_name = "RFC3339", value_parser = rfc3339)]
    pub now: Option<OffsetDateTime>,
    /// The SP's private key (PEM), for a response whose assertion is encrypted
    #[arg(long, value_name = "PEM")]
    pub decryption_key: Option<PathBuf>,
    /// Accept SHA-1 signatures and digests, as a team saved with --allow-sha1 does
    #[arg(long)]
    pub allow_sha1: bool,
    /// How the team finds its member: by email (NameID or email attribute) or by the NameID
    #[arg(long, value_enum, default_value_t = MemberKeyArg::Email)]
    pub member_key: MemberKeyArg,
    /// Fetch a metadata URL from loopback and private addresses too (a lab's IdP), as
    /// `sp --allow-private-metadata` does
    #[arg(long)]
    pub allow_private_metadata: bool,
    /// Text for people, or one JSON object (its shape is documented in `conformance::explain`)
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// `--member-key`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MemberKeyArg {
    Email,
    #[value(name = "name_id")]
    NameId,
}

impl From<MemberKeyArg> for MemberKey {
    fn from(k: MemberKeyArg) -> MemberKey {
        match k {
            MemberKeyArg::Email => MemberKey::Email,
            MemberKeyArg::NameId => MemberKey::NameId,
        }
    }
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

fn non_empty(s: &str) -> Result<String, String> {
    match s.trim() {
        "" => Err("an entity ID cannot be empty; pass the SP's entity ID as the IdP has it (its Audience URI / Identifier)".to_owned()),
        t => Ok(t.to_owned()),
    }
}

/// Checked for shape, and kept as written: Destination is compared with the ACS string as the
/// SP publishes it, and URL normalisation would add a `/` to a bare origin.
fn absolute_url(s: &str) -> Result<String, String> {
    match url::Url::parse(s) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(s.to_owned()),
        _ => Err("not an absolute http(s) URL; pass it as the IdP has it, like https://sp.example.com/api/saml/consume".to_owned()),
    }
}

fn rfc3339(s: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(s, &Rfc3339).map_err(|e| {
        format!("not an RFC 3339 instant ({e}); write it like 2024-04-25T20:31:55Z, as a response's IssueInstant is written")
    })
}

/// Why the explanation could not be made. Exit status 2.
#[derive(Debug, thiserror::Error)]
pub enum ExplainError {
    #[error("{flag} {}: cannot read it ({source}); check the path", path.display())]
    Unreadable {
        flag: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error("{flag} {}: more than {limit} bytes; {}", path.display(), too_large_hint(flag))]
    TooLarge {
        flag: &'static str,
        path: PathBuf,
        limit: u64,
    },
    #[error("--response {}: {reason}", path.display())]
    NotSaml { path: PathBuf, reason: NotSaml },
    #[error("--metadata {origin}: {error}")]
    Metadata {
        origin: String,
        error: MetadataError,
    },
    #[error("--metadata: {error}{}", lab_hint(error))]
    Fetch { error: FetchError },
    #[error(
        "--decryption-key {}: not a usable PEM private key ({reason}); pass the SP's private \
         key, the one whose certificate the IdP encrypts to",
        path.display()
    )]
    DecryptionKey {
        path: PathBuf,
        reason: xmldsig::Error,
    },
    #[error("writing the report failed: {0}")]
    Output(io::Error),
}

impl ExplainError {
    /// The stable snake_case code of the `error:` line.
    pub fn code(&self) -> &'static str {
        match self {
            ExplainError::Unreadable { .. } => "file_unreadable",
            ExplainError::TooLarge { flag, .. } => match *flag {
                "--response" => "response_too_large",
                "--metadata" => "metadata_too_large",
                _ => "file_too_large",
            },
            ExplainError::NotSaml { .. } => "response_not_saml",
            // The SP's own codes for the same refusal of the same document.
            ExplainError::Metadata { error, .. } => error.code(),
            ExplainError::Fetch { error } => error.code(),
            ExplainError::DecryptionKey { .. } => "decryption_key_invalid",
            ExplainError::Output(_) => "output_failed",
        }
    }
}

/// A PEM private key with its certificate chain fits many times over.
const KEY_FILE_CAP: u64 = 256 * 1024;

fn too_large_hint(flag: &str) -> &'static str {
    match flag {
        "--response" => {
            "more than a SAMLResponse form the ACS reads; save only the SAMLResponse field of the POST to the ACS"
        }
        "--metadata" => {
            "more than the SP accepts as metadata; give the IdP's own metadata document"
        }
        _ => "give the PEM file of the key alone",
    }
}

/// At most `limit` bytes of `path`, for `flag`; a longer file is refused without reading the
/// rest. The size on disk is not trusted: a device (`/dev/zero`) or a file still growing has
/// none worth believing.
fn read_capped(path: &Path, flag: &'static str, limit: u64) -> Result<Vec<u8>, ExplainError> {
    let unreadable = |source| ExplainError::Unreadable {
        flag,
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let mut bytes = Vec::new();
    io::Read::read_to_end(&mut io::Read::take(file, limit + 1), &mut bytes).map_err(unreadable)?;
    if bytes.len() as u64 > limit {
        return Err(ExplainError::TooLarge {
            flag,
            path: path.to_owned(),
            limit,
        });
    }
    Ok(bytes)
}

fn fetch_failed(error: FetchError) -> ExplainError {
    ExplainError::Fetch { error }
}

/// The SP's message names `sp`'s own flag for a lab address; this command has its twin.
fn lab_hint(error: &FetchError) -> &'static str {
    match error {
        FetchError::AddressForbidden { class, .. } if class.allowed_in_labs() => {
            " (here: conformance explain --allow-private-metadata)"
        }
        _ => "",
    }
}

/// The metadata as the team would hold it.
struct Metadata {
    source: String,
    xml: String,
    idp: IdpMetadata,
}

/// Explains the captured response `args.response` and writes the report to `out` in
/// `args.format`.
pub async fn run(args: &ExplainArgs, out: &mut impl Write) -> Result<Verdict, ExplainError> {
    let report = explain(args).await?;
    report
        .write(args.format, out)
        .map_err(ExplainError::Output)?;
    Ok(report.verdict)
}

/// Explains the captured response `args.response`.
pub async fn explain(args: &ExplainArgs) -> Result<Report, ExplainError> {
    let now = args.now.unwrap_or_else(OffsetDateTime::now_utc);
    let sp = sp_config(args)?;
    let captured = read_response(&args.response, &sp)?;
    let metadata = load_metadata(args, now).await?;
    let team = team(args, &metadata);
    let explanation = validate::explain(&captured.form_value, Some(&team), &sp, now);
    Ok(Report::new(
        report::Context {
            args,
            sp: &sp,
            now,
            captured: &captured,
            metadata_source: &metadata.source,
            idp: &metadata.idp,
        },
        explanation,
    ))
}

fn sp_config(args: &ExplainArgs) -> Result<SpConfig, ExplainError> {
    let mut sp = SpConfig::qualified();
    if let Some(entity_id) = &args.entity_id {
        sp.entity_id = entity_id.clone();
    }
    if let Some(base_url) = &args.base_url {
        sp.base_url = base_url.clone();
        sp.acs_path = ACS_PATH.to_owned();
    }
    if let Some(acs) = &args.acs {
        let (base_url, acs_path) = split_acs(acs);
        sp.base_url = base_url.to_owned();
        sp.acs_path = acs_path.to_owned();
    }
    if let Some(path) = &args.decryption_key {
        let pem = read_capped(path, "--decryption-key", KEY_FILE_CAP)?;
        let key =
            PrivateKey::from_pem(&pem, None).map_err(|reason| ExplainError::DecryptionKey {
                path: path.clone(),
                reason,
            })?;
        sp.decryption_key = Some(key);
    }
    Ok(sp)
}

/// An ACS URL as `SpConfig` holds it: the origin, and the path with its query (empty for a bare
/// origin), so that `acs_url()` gives back exactly `acs`.
fn split_acs(acs: &str) -> (&str, &str) {
    let host_start = acs.find("://").map_or(0, |i| i + 3);
    let path_start = acs[host_start..]
        .find(['/', '?'])
        .map_or(acs.len(), |i| host_start + i);
    acs.split_at(path_start)
}

fn read_response(path: &Path, sp: &SpConfig) -> Result<Captured, ExplainError> {
    // Whatever shape the capture has, it is no larger than the form the ACS would read, plus
    // room for the other fields of a saved form body or curl line.
    let bytes = read_capped(path, "--response", sp.form_body_cap() as u64 * 2)?;
    let text = String::from_utf8(bytes).map_err(|_| ExplainError::NotSaml {
        path: path.to_owned(),
        reason: NotSaml::NotText,
    })?;
    capture::read(&text, sp).map_err(|reason| ExplainError::NotSaml {
        path: path.to_owned(),
        reason,
    })
}

/// Reads or fetches the metadata and checks it as saving a team does, for `--issuer` or else
/// the (first IdP's) entityID.
async fn load_metadata(args: &ExplainArgs, now: OffsetDateTime) -> Result<Metadata, ExplainError> {
    let source = args.metadata.clone();
    let xml = if source.contains("://") {
        let fetcher = MetadataFetcher::new(FetchLimits {
            allow_private: args.allow_private_metadata,
            ..FetchLimits::default()
        })
        .map_err(fetch_failed)?;
        fetcher.fetch(&source).await.map_err(fetch_failed)?
    } else {
        let path = PathBuf::from(&source);
        // The cap a metadata URL is fetched under: the SP takes no larger document either way.
        let bytes = read_capped(&path, "--metadata", MAX_METADATA_BYTES as u64)?;
        String::from_utf8(bytes).map_err(|e| ExplainError::Unreadable {
            flag: "--metadata",
            path,
            source: io::Error::new(io::ErrorKind::InvalidData, e.utf8_error()),
        })?
    };
    let refused = |error| ExplainError::Metadata {
        origin: source.clone(),
        error,
    };
    let issuer = match &args.issuer {
        Some(issuer) => issuer.trim().to_owned(),
        None => parse_metadata(&xml, None)
            .map_err(refused)?
            .entity_id()
            .to_owned(),
    };
    let idp = check_static(&xml, &issuer, now).map_err(refused)?;
    Ok(Metadata { source, xml, idp })
}

/// The team `sp team sso` would save with this metadata, on the plan that includes SSO.
fn team(args: &ExplainArgs, metadata: &Metadata) -> TeamSso {
    // Nothing is stored: the ID only has to have an ID's shape.
    let id = Id("0".repeat(32));
    TeamSso {
        team: Team {
            id: id.clone(),
            slug: "explain".to_owned(),
            plan: Plan::Custom,
            api_access: false,
            scim_enabled: false,
            created_at: OffsetDateTime::UNIX_EPOCH,
        },
        settings: SsoSettings {
            team_id: id,
            idp_issuer: metadata.idp.entity_id().to_owned(),
            metadata: MetadataSource::Static(metadata.xml.clone()),
            allow_idp_initiated: true,
            provisioning: Provisioning::Jit,
            allow_sha1: args.allow_sha1,
            member_key: args.member_key.into(),
            // A key given means the IdP encrypts; without one an encrypted assertion is
            // reported undecryptable, with the flag to pass.
            encrypted_assertions: args.decryption_key.is_some(),
        },
        certificates: metadata.idp.certificates(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_acs_gives_back_every_shape_real_deployments_publish() {
        for (acs, base, path) in [
            (
                "https://www.qualified.io/api/saml/consume",
                "https://www.qualified.io",
                "/api/saml/consume",
            ),
            (
                "http://sp.example.com/demo1/index.php?acs",
                "http://sp.example.com",
                "/demo1/index.php?acs",
            ),
            ("http://localhost:8080", "http://localhost:8080", ""),
            ("http://localhost?acs", "http://localhost", "?acs"),
        ] {
            assert_eq!(split_acs(acs), (base, path), "{acs}");
            let mut sp = SpConfig::qualified();
            (sp.base_url, sp.acs_path) = (base.to_owned(), path.to_owned());
            assert_eq!(sp.acs_url(), acs);
        }
    }

    #[test]
    fn flag_values_are_refused_with_the_fix() {
        assert!(rfc3339("2024-04-25T20:31:55Z").is_ok());
        assert!(rfc3339("2024-04-25").is_err_and(|e| e.contains("2024-04-25T20:31:55Z")));
        assert_eq!(
            absolute_url("http://localhost:8080").as_deref(),
            Ok("http://localhost:8080")
        );
        assert!(absolute_url("/api/saml/consume").is_err_and(|e| e.contains("absolute")));
        assert!(absolute_url("ftp://sp.example.com/acs").is_err());
        assert!(non_empty("  ").is_err_and(|e| e.contains("Audience")));
        assert_eq!(
            non_empty(" ssoready-entity-id ").as_deref(),
            Ok("ssoready-entity-id")
        );
    }
}
