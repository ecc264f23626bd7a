//! SAML properties: the valid specs a correct SP must accept, the attack faults it must refuse,
//! and who the SP logged in.

use crate::Lab;
use conformance::catalogue::teams;
use conformance::deliver::{self, SamlTarget};
use conformance::inprocess::{ENTITY_ID, InProcess};
use conformance::scenario::{Response, TeamSetup};
use mock_idp::check::{self, Checked};
use mock_idp::expect::{Expected, Outcome};
use mock_idp::faults::{COMMENT_SUFFIX, Class, FAULTS, Fault, signature_for};
use mock_idp::keys::KeyType;
use mock_idp::presets::{PRESETS, Preset};
use mock_idp::server::shape;
use mock_idp::spec::{
    ATTRNAME_BASIC, ATTRNAME_UNSPECIFIED, ATTRNAME_URI, Attribute, EncryptTo, Encryption,
    NAMEID_EMAIL, NAMEID_PERSISTENT, NAMEID_UNSPECIFIED, NameId, Placement, Prefixes, ResponseSpec,
};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;
use sp::clock::Clock;
use sp::web::session::{SESSION_COOKIE, token_hash};
use std::fmt;
use time::Duration;
use xmldsig::{BlockCipher, DigestAlgorithm, KeyTransport};

// =============================================================================================
// Valid specs.

/// A preset, shown by name.
#[derive(Clone, Copy)]
pub struct PresetRef(&'static Preset);

impl fmt::Debug for PresetRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name)
    }
}

/// Who logs in. Every case has its own user, so JIT creates members as it goes and a login
/// can only be this case's.
#[derive(Clone, Debug)]
pub struct User {
    pub local: String,
    pub domain: &'static str,
    /// The IdP writes the address in capitals: the SP compares member keys case-insensitively.
    pub shout: bool,
    pub given: &'static str,
    pub family: &'static str,
}

impl User {
    pub fn email(&self) -> String {
        let email = format!("{}@{}", self.local, self.domain);
        if self.shout {
            email.to_ascii_uppercase()
        } else {
            email
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Email,
    Unspecified,
    Persistent,
    Omitted,
}

impl Format {
    fn uri(self) -> Option<String> {
        match self {
            Format::Email => Some(NAMEID_EMAIL.to_owned()),
            Format::Unspecified => Some(NAMEID_UNSPECIFIED.to_owned()),
            Format::Persistent => Some(NAMEID_PERSISTENT.to_owned()),
            Format::Omitted => None,
        }
    }
}

/// What the NameID holds. The team keys members by email, so an opaque NameID is valid only
/// beside an email attribute; [`ValidShape::spec`] adds Okta's `email` attribute to a preset
/// that has none (Google sends the email in the NameID only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NameIdChoice {
    /// The user's email, with this Format (emailAddress, unspecified or none).
    Email(Format),
    /// An IdP user ID such as Okta's `00u…` or PingOne's UUID.
    Opaque(String, Format),
}

/// An attribute no role reader takes for the email or a name, with its values.
#[derive(Clone, Debug)]
pub struct Extra {
    pub name: &'static str,
    pub values: Vec<&'static str>,
    pub name_format: Option<&'static str>,
    pub typed: bool,
    /// Where it goes among the preset's attributes (modulo their count plus one).
    pub at: usize,
}

/// The validity window, in seconds from the IdP's clock reading; the IdP's clock itself is off
/// by `clock_offset`.
#[derive(Clone, Debug)]
pub struct Window {
    /// Within ±150 s: inside the 180 s skew with room for the seconds the test takes.
    pub clock_offset: i64,
    pub not_before: Option<i64>,
    pub not_on_or_after: Option<i64>,
    pub confirmation_not_on_or_after: i64,
    pub authn_instant: i64,
    pub session_not_on_or_after: Option<i64>,
}

/// The knobs of a valid response, each within what DESIGN.md says a correct SP accepts. Shown
/// as these knobs (not as the whole spec) when a property fails.
#[derive(Clone, Debug)]
pub struct ValidShape {
    pub preset: PresetRef,
    pub user: User,
    pub name_id: NameIdChoice,
    pub sp_name_qualifier: bool,
    /// The preset's attributes rotated by this much, then reversed if asked, then the extras.
    pub rotate: usize,
    pub reverse: bool,
    pub extras: Vec<Extra>,
    pub placement: Placement,
    /// The hash of RSA-SHA-x: only RSA keys are published in the teams' metadata.
    pub signature_hash: DigestAlgorithm,
    pub reference_digest: DigestAlgorithm,
    pub include_certificate: bool,
    pub encryption: Option<(BlockCipher, KeyTransport)>,
    /// Protocol and assertion prefixes; `None` keeps the preset's.
    pub prefixes: Option<(String, String)>,
    pub window: Window,
}

impl ValidShape {
    pub fn preset(&self) -> &'static Preset {
        self.preset.0
    }

    /// The spec the knobs describe, for the preset's IdP (still aimed at the production SP:
    /// delivery aims it at the SP under test).
    pub fn spec(&self) -> ResponseSpec {
        let mut spec = self.preset().spec();
        let email = self.user.email();
        shape::set_user(
            &mut spec,
            Some(&email),
            Some(self.user.given),
            Some(self.user.family),
        );
        let (value, format) = match &self.name_id {
            NameIdChoice::Email(format) => (email.clone(), *format),
            NameIdChoice::Opaque(id, format) => {
                if !has_email_attribute(&spec, &email) {
                    spec.attributes.push(Attribute::new("email", &[&email]));
                }
                (id.clone(), *format)
            }
        };
        spec.name_id = Some(NameId {
            value,
            format: format.uri(),
            sp_name_qualifier: self.sp_name_qualifier.then(|| ENTITY_ID.to_owned()),
        });
        let count = spec.attributes.len().max(1);
        spec.attributes.rotate_left(self.rotate % count);
        if self.reverse {
            spec.attributes.reverse();
        }
        for extra in &self.extras {
            let at = extra.at % (spec.attributes.len() + 1);
            spec.attributes.insert(
                at,
                Attribute {
                    name: extra.name.to_owned(),
                    name_format: extra.name_format.map(str::to_owned),
                    friendly_name: None,
                    values: extra.values.iter().map(|v| (*v).to_owned()).collect(),
                    typed: extra.typed,
                },
            );
        }
        let signing = &mut spec.signing;
        signing.placement = self.placement;
        signing.key_type = KeyType::Rsa;
        signing.signature = signature_for(KeyType::Rsa, self.signature_hash);
        signing.digest = self.reference_digest;
        signing.include_certificate = self.include_certificate;
        spec.encryption = self.encryption.map(|(cipher, transport)| Encryption {
            cipher,
            transport,
            to: EncryptTo::Sp,
        });
        if let Some((protocol, assertion)) = &self.prefixes {
            spec.prefixes = Prefixes {
                protocol: protocol.clone(),
                assertion: assertion.clone(),
            };
        }
        let w = &self.window;
        let t = &mut spec.times;
        t.clock_offset = Duration::seconds(w.clock_offset);
        t.issue_instant = Duration::ZERO;
        t.not_before = w.not_before.map(Duration::seconds);
        t.not_on_or_after = w.not_on_or_after.map(Duration::seconds);
        t.confirmation_not_before = None;
        t.confirmation_not_on_or_after = Some(Duration::seconds(w.confirmation_not_on_or_after));
        t.authn_instant = Duration::seconds(w.authn_instant);
        t.session_not_on_or_after = w.session_not_on_or_after.map(Duration::seconds);
        // IdP-initiated: an InResponseTo would name a request this SP never sent.
        spec.in_response_to = None;
        spec
    }
}

/// Whether an attribute the SP reads as the email (its name says mail, as Okta's `email`,
/// Entra's `…/emailaddress` and OneLogin's `User.email` do) holds `email`.
fn has_email_attribute(spec: &ResponseSpec, email: &str) -> bool {
    spec.attributes.iter().any(|a| {
        a.name.to_ascii_lowercase().contains("mail") && a.values.iter().any(|v| v == email)
    })
}

fn user() -> impl Strategy<Value = User> {
    (
        "[a-z][a-z0-9]{0,7}([.+-][a-z0-9]{1,5})?",
        select(vec![
            "example.com",
            "corp.example.org",
            "xn--bcher-kva.example",
        ]),
        proptest::bool::weighted(0.2),
        select(vec![
            "Alice", "Zoë", "José", "Łukasz", "李", "Mary Ann", "O'Brien",
        ]),
        select(vec![
            "Liddell",
            "Müller",
            "García",
            "Nguyễn",
            "Smith-Jones",
            "<b>&amp;",
        ]),
    )
        .prop_map(|(local, domain, shout, given, family)| User {
            local,
            domain,
            shout,
            given,
            family,
        })
}

fn format(choices: Vec<Format>) -> impl Strategy<Value = Format> {
    select(choices)
}

fn name_id() -> impl Strategy<Value = NameIdChoice> {
    prop_oneof![
        3 => format(vec![Format::Email, Format::Unspecified, Format::Omitted])
            .prop_map(NameIdChoice::Email),
        1 => (
            "(00u|_)[a-z0-9]{8,20}",
            format(vec![Format::Persistent, Format::Unspecified, Format::Omitted])
        )
            .prop_map(|(id, format)| NameIdChoice::Opaque(id, format)),
    ]
}

fn extra() -> impl Strategy<Value = Extra> {
    (
        select(vec![
            "department",
            "groups",
            "memberOf",
            "title",
            "employeeNumber",
            "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
            "urn:oid:2.5.4.11",
        ]),
        proptest::collection::vec(
            select(vec![
                "Engineering",
                "Everyone",
                "R&D <West>",
                "42",
                "Zoë's team",
            ]),
            0..4,
        ),
        select(vec![
            None,
            Some(ATTRNAME_BASIC),
            Some(ATTRNAME_URI),
            Some(ATTRNAME_UNSPECIFIED),
        ]),
        any::<bool>(),
        0..8usize,
    )
        .prop_map(|(name, values, name_format, typed, at)| Extra {
            name,
            values,
            name_format,
            typed,
            at,
        })
}

const SHA2: [DigestAlgorithm; 3] = [
    DigestAlgorithm::Sha256,
    DigestAlgorithm::Sha384,
    DigestAlgorithm::Sha512,
];

/// DESIGN.md: "RSA-OAEP key transport, AES-128/256-GCM and -CBC content" (the OAEP digest may
/// be SHA-1: it is the key transport's hash, not a signature's).
fn encryption() -> impl Strategy<Value = (BlockCipher, KeyTransport)> {
    let cipher = select(vec![
        BlockCipher::Aes128Cbc,
        BlockCipher::Aes256Cbc,
        BlockCipher::Aes128Gcm,
        BlockCipher::Aes256Gcm,
    ]);
    let transport = prop_oneof![
        select(vec![DigestAlgorithm::Sha1, DigestAlgorithm::Sha256])
            .prop_map(|digest| KeyTransport::RsaOaepMgf1p { digest }),
        (
            select(vec![
                DigestAlgorithm::Sha1,
                DigestAlgorithm::Sha256,
                DigestAlgorithm::Sha512
            ]),
            select(vec![DigestAlgorithm::Sha1, DigestAlgorithm::Sha256]),
        )
            .prop_map(|(digest, mgf)| KeyTransport::RsaOaep { digest, mgf }),
    ];
    (cipher, transport)
}

/// Any two distinct prefixes an XML writer may choose. Not `xml…` (reserved by Namespaces in
/// XML), and the assertion's not `xs`/`xsi`, which the Assertion element declares beside it.
fn prefixes() -> impl Strategy<Value = Option<(String, String)>> {
    let own = ("[a-z][a-z0-9]{0,5}", "[a-z][a-z0-9]{0,5}")
        .prop_filter("distinct prefixes a writer may declare", |(p, a)| {
            p != a
                && !p.starts_with("xml")
                && !a.starts_with("xml")
                && !["xs", "xsi"].contains(&a.as_str())
        })
        .prop_map(Some);
    prop_oneof![
        Just(None),
        Just(Some(("samlp".to_owned(), "saml".to_owned()))),
        Just(Some(("saml2p".to_owned(), "saml2".to_owned()))),
        own,
    ]
}

fn window() -> impl Strategy<Value = Window> {
    (
        -150i64..=150,
        proptest::option::of(-600i64..=0),
        proptest::option::of(120i64..=3600),
        120i64..=3600,
        -600i64..=-1,
        proptest::option::of(600i64..=8 * 3600),
    )
        .prop_map(
            |(
                clock_offset,
                not_before,
                not_on_or_after,
                confirmation_not_on_or_after,
                authn_instant,
                session_not_on_or_after,
            )| Window {
                clock_offset,
                not_before,
                not_on_or_after,
                confirmation_not_on_or_after,
                authn_instant,
                session_not_on_or_after,
            },
        )
}

/// A valid response's knobs.
pub fn valid_shape() -> impl Strategy<Value = ValidShape> {
    let who = (
        select(PRESETS.iter().map(PresetRef).collect::<Vec<_>>()),
        user(),
        name_id(),
        any::<bool>(),
        0..6usize,
        any::<bool>(),
        proptest::collection::vec(extra(), 0..3),
    );
    let how = (
        select(vec![
            Placement::Response,
            Placement::Assertion,
            Placement::Both,
        ]),
        select(SHA2.to_vec()),
        select(SHA2.to_vec()),
        any::<bool>(),
        proptest::option::of(encryption()),
        prefixes(),
        window(),
    );
    (who, how).prop_map(
        |(
            (preset, user, name_id, sp_name_qualifier, rotate, reverse, extras),
            (
                placement,
                signature_hash,
                reference_digest,
                include_certificate,
                encryption,
                prefixes,
                window,
            ),
        )| ValidShape {
            preset,
            user,
            name_id,
            sp_name_qualifier,
            rotate,
            reverse,
            extras,
            placement,
            signature_hash,
            reference_digest,
            include_certificate,
            encryption,
            prefixes,
            window,
        },
    )
}

// =============================================================================================
// Attacks.

/// A fault, shown by name.
#[derive(Clone, Copy)]
pub struct FaultRef(pub &'static Fault);

impl fmt::Debug for FaultRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.name)
    }
}

/// The classes whose faults are attacks on the signature's meaning, each of which a correct SP
/// refuses whatever the response's shape:
/// - `signature`: unsigned, stripped, re-signed with the attacker's key, an expired key, SHA-1
///   (no team here opts in), HMAC confusion, XPath/XSLT transforms, and an assertion encrypted
///   to another key (not an attack, but refused all the same: nothing can be verified);
/// - `wrapping`: XSW1–XSW8 and the further permutations, each built with the signature it
///   attacks whatever the spec's placement;
/// - `parser`: DOCTYPE, entity expansion, duplicate IDs;
/// - `reading`: comment injection. The SP may accept it, but only as the whole signed value
///   (`…@domain.evil.com`), never as the victim.
///
/// Left out: issuer, audience, destination, recipient, time and protocol faults break a single
/// field and are checked with their exact codes by the catalogue; reply-url faults are
/// deliveries, not responses.
pub const ATTACK_CLASSES: [Class; 4] = [
    Class::Signature,
    Class::Wrapping,
    Class::Parser,
    Class::Reading,
];

/// A valid response's knobs and an attack fault to apply to it. For the reading faults the
/// NameID is the user's email (an opaque NameID becomes it, keeping its Format): comment
/// injection splits the NameID, and only an email NameID makes the split name someone. No
/// other mapping is needed: every attack fault builds from every valid shape (the wrapping
/// faults choose their own placement, the others work in the clear when they must), and a
/// build error fails the case with its reason rather than being skipped.
pub fn attack() -> impl Strategy<Value = (ValidShape, FaultRef)> {
    let attacks: Vec<FaultRef> = FAULTS
        .iter()
        .filter(|f| ATTACK_CLASSES.contains(&f.class))
        .map(FaultRef)
        .collect();
    (valid_shape(), select(attacks)).prop_map(|(mut shape, fault)| {
        if fault.0.class == Class::Reading {
            if let NameIdChoice::Opaque(_, format) = shape.name_id {
                shape.name_id = NameIdChoice::Email(format);
            }
        }
        (shape, fault)
    })
}

// =============================================================================================
// Delivery and who logged in.

/// A response delivered and judged, with whom the SP logged in.
struct Delivered {
    checked: Checked,
    /// (team id, member userName) per session the SP's answers created.
    sessions: Vec<(String, String)>,
}

impl Delivered {
    fn logged_in(&self) -> bool {
        self.checked
            .deliveries
            .iter()
            .any(|d| matches!(Outcome::of(d), Outcome::Accepted { .. }))
            || !self.sessions.is_empty()
    }
}

/// Posts `shape`'s response (with `fault`) for `team` as a browser does, judged against
/// `expected` by mock-idp's rules.
async fn deliver(
    lab: &Lab,
    team: &TeamSetup,
    shape: &ValidShape,
    fault: Option<&'static Fault>,
    expected: Expected,
) -> Result<Delivered, TestCaseError> {
    lab.sp
        .team(team)
        .await
        .map_err(|e| TestCaseError::fail(format!("team {}: {e}", team.slug)))?;
    let target = SamlTarget {
        acs: lab.sp.acs.clone(),
        entity_id: ENTITY_ID.to_owned(),
    };
    let response = Response {
        fault,
        ..Response::valid(shape.spec())
    };
    let prepared = deliver::prepare(&response, &target, lab.next(), lab.sp.clock.now())
        .map_err(|e| TestCaseError::fail(format!("the response could not be built: {e}")))?;
    let via = check::redirect_for(&prepared, None);
    let checked = check::post_and_judge(&lab.client, prepared, via, expected)
        .await
        .map_err(|e| TestCaseError::fail(format!("the SP was not reached: {e}")))?;
    let sessions = sessions(&lab.sp, &checked).await?;
    Ok(Delivered { checked, sessions })
}

/// The sessions whose cookies the SP's answers set: who it logged in, on which team.
async fn sessions(
    sp: &InProcess,
    checked: &Checked,
) -> Result<Vec<(String, String)>, TestCaseError> {
    let tokens = checked
        .deliveries
        .iter()
        .flat_map(|d| &d.hops)
        .flat_map(|h| &h.set_cookies)
        .filter_map(|c| mock_idp::post::cookie_set_by(c))
        .filter(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, token)| token.to_owned())
        .collect::<Vec<_>>();
    let store_error = |e: sp::store::StoreError| TestCaseError::fail(format!("store: {e}"));
    let mut out = Vec::new();
    for token in tokens {
        let Some(session) = sp
            .store
            .session(&token_hash(&token), sp.clock.now())
            .await
            .map_err(store_error)?
        else {
            continue;
        };
        let member = sp
            .store
            .member_by_id(&session.team_id, &session.member_id)
            .await
            .map_err(store_error)?
            .ok_or_else(|| TestCaseError::fail("a session names a member that does not exist"))?;
        out.push((session.team_id.0, member.user_name));
    }
    Ok(out)
}

async fn team_id(sp: &InProcess, slug: &str) -> Result<String, TestCaseError> {
    sp.store
        .team_by_slug(slug)
        .await
        .map_err(|e| TestCaseError::fail(format!("store: {e}")))?
        .map(|t| t.id.0)
        .ok_or_else(|| TestCaseError::fail(format!("team {slug} does not exist")))
}

/// Property 1: the response logs in exactly its user, on the preset's team.
pub async fn logs_its_user_in(lab: &Lab, shape: &ValidShape) -> Result<(), TestCaseError> {
    let team = teams::for_preset(shape.preset());
    let delivered = deliver(lab, &team, shape, None, Expected::Accepted).await?;
    let report = delivered.checked.report();
    prop_assert!(
        delivered.checked.verdict.agree,
        "a valid response was not accepted:\n{report}"
    );
    let email = shape.user.email();
    let expected_team = team_id(&lab.sp, &team.slug).await?;
    prop_assert!(
        matches!(delivered.sessions.as_slice(), [(t, user)] if *t == expected_team && user.eq_ignore_ascii_case(&email)),
        "expected one session for {email} on team {}, got {:?}\n{report}",
        team.slug,
        delivered.sessions
    );
    Ok(())
}

/// Property 2: an attack logs nobody in and is answered with a clean refusal (a 4xx naming a
/// code: failing closed by crashing is still a bug); comment injection at most logs in the
/// whole signed value.
pub async fn logs_nobody_in(
    lab: &Lab,
    shape: &ValidShape,
    fault: FaultRef,
) -> Result<(), TestCaseError> {
    let fault = fault.0;
    let team = teams::for_preset(shape.preset());
    let delivered = deliver(lab, &team, shape, Some(fault), fault.expected).await?;
    let report = delivered.checked.report();
    if fault.class == Class::Reading {
        let victim = shape.user.email();
        let signed = format!("{victim}{COMMENT_SUFFIX}");
        for (_, user) in &delivered.sessions {
            prop_assert!(
                user.eq_ignore_ascii_case(&signed),
                "comment injection logged in {user}, not the signed value {signed}\n{report}"
            );
        }
        if delivered.logged_in() {
            return Ok(());
        }
    } else {
        prop_assert!(
            !delivered.logged_in(),
            "the attack logged in {:?}\n{report}",
            delivered.sessions
        );
    }
    for delivery in &delivered.checked.deliveries {
        let outcome = Outcome::of(delivery);
        prop_assert!(
            matches!(
                &outcome,
                Outcome::Answered {
                    status: 400..=499,
                    code: Some(_)
                }
            ),
            "the attack was refused, but not with a 4xx naming a code: {outcome}\n{report}"
        );
    }
    Ok(())
}
