//! Every knob of a response as the command line turns it, and the spec the knobs describe.
//!
//! The options are declared here, on the library's own types, so that the binary only parses
//! and calls: a value parser maps each name straight to the library's enum (no mirror enums), and
//! [`Knobs::spec`] is the one place where knobs become a [`ResponseSpec`].

use crate::faults::{self, Fault};
use crate::keys::{KeyRole, KeyType};
use crate::presets::{self, Preset};
use crate::server::shape;
use crate::spec::{Attribute, EncryptTo, Encryption, NameId, Placement, ResponseSpec};
use clap::Args;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use time::{Duration, OffsetDateTime};
use xmldsig::{BlockCipher, DigestAlgorithm, KeyKind, KeyTransport, SignatureAlgorithm};

/// The key transports `--key-transport` offers, with the digests IdPs use with them.
pub const KEY_TRANSPORTS: [KeyTransport; 3] = [
    // What AD FS and most IdPs send: OAEP with a SHA-1 digest.
    KeyTransport::RsaOaepMgf1p {
        digest: DigestAlgorithm::Sha1,
    },
    KeyTransport::RsaOaep {
        digest: DigestAlgorithm::Sha256,
        mgf: DigestAlgorithm::Sha256,
    },
    // Refused by a careful SP.
    KeyTransport::RsaV15,
];

/// The short name of an XML-DSig / XML-Enc algorithm: its URI's fragment (`rsa-sha256`,
/// `aes256-gcm`, `rsa-oaep-mgf1p`), the names the specifications themselves use.
pub fn algorithm_name(uri: &'static str) -> &'static str {
    uri.rsplit('#').next().unwrap_or(uri)
}

/// A value parser that accepts exactly the names of `all` and yields the named value; `--help`
/// lists the names and a wrong one gets them in the error.
pub fn named<T: Copy + Send + Sync + 'static>(
    all: &'static [T],
    name: fn(T) -> &'static str,
) -> impl TypedValueParser<Value = T> {
    PossibleValuesParser::new(all.iter().map(move |t| name(*t))).map(move |chosen: String| {
        let found = all.iter().copied().find(|t| name(*t) == chosen);
        // PossibleValuesParser lets through only the names listed from `all` above.
        found.expect("a listed name")
    })
}

pub fn parse_preset(name: &str) -> Result<&'static Preset, String> {
    presets::by_name(name).map_err(|e| e.to_string())
}

fn parse_fault(name: &str) -> Result<&'static Fault, String> {
    faults::by_name(name).map_err(|e| e.to_string())
}

/// Checks that `value` is an absolute http(s) URL, and keeps it exactly as typed: a URL that
/// differs from the ACS by case or a slash is often the point.
pub fn parse_url(value: &str) -> Result<String, String> {
    match url::Url::parse(value) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(value.to_owned()),
        Ok(u) => Err(format!(
            "malformed URL {value:?}: scheme {:?}; choose one of: http, https",
            u.scheme()
        )),
        Err(e) => Err(format!(
            "malformed URL {value:?}: {e}; give an absolute http(s) URL such as http://127.0.0.1:8080/api/saml/consume"
        )),
    }
}

pub fn parse_now(value: &str) -> Result<OffsetDateTime, String> {
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

/// Every knob of the response XML, shared by `response` and `post`. Where the response is
/// addressed (the ACS) is each command's own option (`response --acs`, `post --to`), and how
/// the browser carries it (Reply URL, method, RelayState) is `post`'s alone: `response` prints
/// the XML and sends nothing.
#[derive(Clone, Args)]
pub struct Knobs {
    /// The real IdP whose response shape to start from (see `mock-idp presets`)
    #[arg(long, value_name = "NAME", default_value = "okta", value_parser = parse_preset, help_heading = "Response")]
    pub preset: &'static Preset,
    /// A fault applied to the response (see `mock-idp faults`)
    #[arg(long, value_name = "NAME", value_parser = parse_fault, help_heading = "Response")]
    pub fault: Option<&'static Fault>,
    /// The Response's Destination [default: the ACS] (kept as typed, so case and slashes can
    /// differ)
    #[arg(long, value_name = "URL", value_parser = parse_url, help_heading = "Where")]
    pub destination: Option<String>,
    /// The bearer SubjectConfirmationData's Recipient [default: the ACS]
    #[arg(long, value_name = "URL", value_parser = parse_url, help_heading = "Where")]
    pub recipient: Option<String>,
    /// An Audience; repeat for several [default: https://qualified.io]
    #[arg(long, value_name = "ID", help_heading = "Who")]
    pub audience: Vec<String>,
    /// Leave out the AudienceRestriction
    #[arg(long, conflicts_with = "audience", help_heading = "Who")]
    pub no_audience: bool,
    /// Issuer of the Response and the Assertion [default: the preset's]
    #[arg(long, value_name = "ID", help_heading = "Who")]
    pub issuer: Option<String>,
    /// NameID value [default: the user's email]
    #[arg(long, value_name = "VALUE", help_heading = "Who")]
    pub name_id: Option<String>,
    /// NameID Format URI [default: the preset's]
    #[arg(long, value_name = "URI", help_heading = "Who")]
    pub name_id_format: Option<String>,
    /// The user's email (NameID and email attributes) [default: alice@example.com]
    #[arg(long, value_name = "EMAIL", help_heading = "Who")]
    pub email: Option<String>,
    /// The user's first name
    #[arg(long, value_name = "NAME", help_heading = "Who")]
    pub first_name: Option<String>,
    /// The user's last name
    #[arg(long, value_name = "NAME", help_heading = "Who")]
    pub last_name: Option<String>,
    /// An attribute NAME=VALUE (replaces the preset's attribute of that name); repeat a NAME
    /// for several values
    #[arg(long = "attribute", value_name = "NAME=VALUE", value_parser = parse_attribute, help_heading = "Who")]
    pub attributes: Vec<(String, String)>,
    /// What is signed [default: the preset's]
    #[arg(long, value_parser = named(&Placement::ALL, Placement::name), help_heading = "Signing")]
    pub sign: Option<Placement>,
    /// Which key signs [default: current]
    #[arg(long, value_parser = named(&KeyRole::ALL, KeyRole::name), help_heading = "Signing")]
    pub key: Option<KeyRole>,
    /// RSA or EC key (ec picks ecdsa-sha256 unless --signature-algorithm says otherwise)
    #[arg(long, value_parser = named(&KeyType::ALL, KeyType::name), help_heading = "Signing")]
    pub key_type: Option<KeyType>,
    /// SignatureMethod [default: the preset's, rsa-sha256]
    #[arg(long, value_parser = named(&SignatureAlgorithm::ALL, |a| algorithm_name(a.uri())), help_heading = "Signing")]
    pub signature_algorithm: Option<SignatureAlgorithm>,
    /// DigestMethod [default: the preset's, sha256]
    #[arg(long, value_parser = named(&DigestAlgorithm::ALL, |d| algorithm_name(d.uri())), help_heading = "Signing")]
    pub digest: Option<DigestAlgorithm>,
    /// Leave the certificate out of KeyInfo (as PingFederate does)
    #[arg(long, help_heading = "Signing")]
    pub no_keyinfo_cert: bool,
    /// Encrypt the Assertion to the SP's certificate (fixtures/keys/sp-rsa.crt)
    #[arg(long, value_parser = named(&BlockCipher::ALL, |c| algorithm_name(c.uri())), help_heading = "Encryption")]
    pub encrypt: Option<BlockCipher>,
    /// Key transport for --encrypt: rsa-oaep-mgf1p (SHA-1 OAEP digest, what AD FS and most IdPs
    /// send), rsa-oaep (SHA-256 and MGF1-SHA-256), rsa-1_5 (refused by a careful SP)
    /// [default: rsa-oaep-mgf1p]
    #[arg(long, value_parser = named(&KEY_TRANSPORTS, |t| algorithm_name(t.uri())), help_heading = "Encryption")]
    pub key_transport: Option<KeyTransport>,
    /// InResponseTo (the AuthnRequest's ID) on the Response and the confirmation
    #[arg(long, value_name = "ID", help_heading = "Protocol")]
    pub in_response_to: Option<String>,
    /// The IdP's clock minus the true time, in seconds (300: the IdP runs 5 minutes fast)
    #[arg(
        long,
        value_name = "SECONDS",
        allow_negative_numbers = true,
        help_heading = "Time"
    )]
    pub clock_offset: Option<i64>,
    /// Seconds from issue to Conditions and confirmation NotOnOrAfter [default: the preset's]
    #[arg(
        long,
        value_name = "SECONDS",
        allow_negative_numbers = true,
        help_heading = "Time"
    )]
    pub lifetime: Option<i64>,
    /// The time the response is built at (RFC 3339) [default: now]; with it the output is
    /// reproducible and the preset's IDs are kept
    #[arg(long, value_name = "RFC3339", value_parser = parse_now, help_heading = "Time")]
    pub now: Option<OffsetDateTime>,
    /// Response ID [default: the preset's with --now; otherwise `_mock-response-N` from the
    /// time, so repeated posts pass an SP's replay cache]
    #[arg(long, value_name = "ID", help_heading = "Protocol")]
    pub response_id: Option<String>,
    /// Assertion ID [default: as --response-id]
    #[arg(long, value_name = "ID", help_heading = "Protocol")]
    pub assertion_id: Option<String>,
}

/// Knobs that contradict each other.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KnobError {
    #[error("--key-transport applies to --encrypt; add --encrypt aes256-gcm (or another cipher)")]
    KeyTransportWithoutEncrypt,
    #[error(
        "--signature-algorithm {algorithm} needs an {needs} key, but the key is {has}; pass --key-type {fix}"
    )]
    AlgorithmKeyMismatch {
        algorithm: &'static str,
        needs: &'static str,
        has: &'static str,
        fix: &'static str,
    },
}

impl KnobError {
    pub fn code(&self) -> &'static str {
        match self {
            KnobError::KeyTransportWithoutEncrypt => "key_transport_without_encrypt",
            KnobError::AlgorithmKeyMismatch { .. } => "algorithm_key_mismatch",
        }
    }
}

impl Knobs {
    /// The spec the knobs describe, addressed to `acs` (Destination, Recipient and the Reply
    /// URL, unless `--destination`/`--recipient` say otherwise), and the time to build it at:
    /// `--now`, else `clock`.
    pub fn spec(
        &self,
        acs: Option<&str>,
        clock: OffsetDateTime,
    ) -> Result<(ResponseSpec, OffsetDateTime), KnobError> {
        let now = self.now.unwrap_or(clock);
        let mut spec = self.preset.spec();
        if self.now.is_none() {
            // Without a fixed time the output differs anyway; IDs from the time keep repeated
            // posts clear of the SP's replay cache.
            let millis = now.unix_timestamp_nanos() / 1_000_000;
            spec = spec.numbered(u64::try_from(millis).unwrap_or(0));
        }
        if let Some(acs) = acs {
            spec.destination = Some(acs.to_owned());
            spec.recipient = Some(acs.to_owned());
            spec.reply_url = acs.to_owned();
        }
        if let Some(destination) = &self.destination {
            spec.destination = Some(destination.clone());
        }
        if let Some(recipient) = &self.recipient {
            spec.recipient = Some(recipient.clone());
        }
        if self.no_audience {
            spec.audiences.clear();
        } else if !self.audience.is_empty() {
            spec.audiences = self.audience.clone();
        }
        if let Some(issuer) = &self.issuer {
            spec.response_issuer = Some(issuer.clone());
            spec.assertion_issuer = Some(issuer.clone());
        }
        shape::set_user(
            &mut spec,
            self.email.as_deref(),
            self.first_name.as_deref(),
            self.last_name.as_deref(),
        );
        if self.name_id.is_some() || self.name_id_format.is_some() {
            let mut name_id = spec.name_id.take().unwrap_or_else(|| NameId {
                value: shape::user_of(&spec).0,
                format: None,
                sp_name_qualifier: None,
            });
            if let Some(value) = &self.name_id {
                name_id.value = value.clone();
            }
            if let Some(format) = &self.name_id_format {
                name_id.format = Some(format.clone());
            }
            spec.name_id = Some(name_id);
        }
        set_attributes(&mut spec, &self.attributes);
        self.apply_signing(&mut spec)?;
        match (self.encrypt, self.key_transport) {
            (Some(cipher), transport) => {
                spec.encryption = Some(Encryption {
                    cipher,
                    transport: transport.unwrap_or(KEY_TRANSPORTS[0]),
                    to: EncryptTo::Sp,
                });
            }
            (None, Some(_)) => return Err(KnobError::KeyTransportWithoutEncrypt),
            (None, None) => {}
        }
        if let Some(id) = &self.in_response_to {
            spec = spec.answering(id);
        }
        if let Some(seconds) = self.clock_offset {
            spec.times.clock_offset = Duration::seconds(seconds);
        }
        if let Some(seconds) = self.lifetime {
            let lifetime = spec.times.issue_instant + Duration::seconds(seconds);
            spec.times.not_on_or_after = Some(lifetime);
            spec.times.confirmation_not_on_or_after = Some(lifetime);
        }
        if let Some(id) = &self.response_id {
            spec.response_id = id.clone();
        }
        if let Some(id) = &self.assertion_id {
            spec.assertion_id = id.clone();
        }
        Ok((spec, now))
    }

    fn apply_signing(&self, spec: &mut ResponseSpec) -> Result<(), KnobError> {
        let signing = &mut spec.signing;
        if let Some(placement) = self.sign {
            signing.placement = placement;
        }
        if let Some(key) = self.key {
            signing.key = key;
        }
        if let Some(digest) = self.digest {
            signing.digest = digest;
        }
        if let Some(key_type) = self.key_type {
            signing.key_type = key_type;
        }
        let wanted = match signing.key_type {
            KeyType::Rsa => KeyKind::Rsa,
            KeyType::Ec => KeyKind::Ec,
        };
        match self.signature_algorithm {
            Some(algorithm) if algorithm.key_kind() != wanted => {
                return Err(KnobError::AlgorithmKeyMismatch {
                    algorithm: algorithm.uri(),
                    needs: algorithm.key_kind().name(),
                    has: wanted.name(),
                    fix: match algorithm.key_kind() {
                        KeyKind::Rsa => KeyType::Rsa.name(),
                        KeyKind::Ec => KeyType::Ec.name(),
                    },
                });
            }
            Some(algorithm) => signing.signature = algorithm,
            None if signing.signature.key_kind() != wanted => {
                // Switching the key type alone keeps the hash and changes the algorithm family.
                signing.signature =
                    faults::signature_for(signing.key_type, signing.signature.digest());
            }
            None => {}
        }
        if self.no_keyinfo_cert {
            signing.include_certificate = false;
        }
        Ok(())
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_names_are_the_uri_fragments_the_cli_always_used() {
        let names: Vec<&str> = SignatureAlgorithm::ALL
            .iter()
            .map(|a| algorithm_name(a.uri()))
            .collect();
        assert!(names.contains(&"rsa-sha256") && names.contains(&"ecdsa-sha1"));
        let ciphers: Vec<&str> = BlockCipher::ALL
            .iter()
            .map(|c| algorithm_name(c.uri()))
            .collect();
        assert_eq!(
            ciphers,
            [
                "aes128-cbc",
                "aes192-cbc",
                "aes256-cbc",
                "aes128-gcm",
                "aes256-gcm"
            ]
        );
        let transports: Vec<&str> = KEY_TRANSPORTS
            .iter()
            .map(|t| algorithm_name(t.uri()))
            .collect();
        assert_eq!(transports, ["rsa-oaep-mgf1p", "rsa-oaep", "rsa-1_5"]);
    }
}
