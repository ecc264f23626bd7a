//! The SP's domain: teams, their SSO settings and members. Storage, the SAML pipeline, the web
//! layer and (later) SCIM all speak these types.

use std::fmt;
use time::OffsetDateTime;

/// Opaque identifier of a stored row: 32 lowercase hex characters from 16 random bytes, made by
/// the application so that SQLite and PostgreSQL need no dialect for it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(pub String);

impl Id {
    /// A fresh random identifier.
    pub fn random() -> Id {
        let mut bytes = [0u8; 16];
        // OpenSSL's CSPRNG; failure means the process cannot make secrets at all.
        openssl::rand::rand_bytes(&mut bytes).expect("the OS random source is available");
        Id(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A team's plan. SAML SSO is sold on the custom plan only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    Free,
    Team,
    Custom,
}

impl Plan {
    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Free => "free",
            Plan::Team => "team",
            Plan::Custom => "custom",
        }
    }

    pub fn parse(s: &str) -> Option<Plan> {
        match s {
            "free" => Some(Plan::Free),
            "team" => Some(Plan::Team),
            "custom" => Some(Plan::Custom),
            _ => None,
        }
    }
}

/// A customer team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub id: Id,
    /// URL-safe name, unique: `acme` in `/api/saml/login/acme`.
    pub slug: String,
    pub plan: Plan,
    pub api_access: bool,
    pub scim_enabled: bool,
    pub created_at: OffsetDateTime,
}

/// Where a team's IdP metadata comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetadataSource {
    /// XML pasted into the form, checked when saved.
    Static(String),
    /// A URL fetched and refreshed in the background (preferred: it follows certificate rotation).
    Url(String),
}

/// How members come to exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provisioning {
    /// A first SSO login creates the member.
    Jit,
    /// Only SCIM creates members; an unknown member's login is refused (`member_unknown`).
    ScimOnly,
}

impl Provisioning {
    pub fn as_str(self) -> &'static str {
        match self {
            Provisioning::Jit => "jit",
            Provisioning::ScimOnly => "scim",
        }
    }

    pub fn parse(s: &str) -> Option<Provisioning> {
        match s {
            "jit" => Some(Provisioning::Jit),
            "scim" => Some(Provisioning::ScimOnly),
            _ => None,
        }
    }
}

/// Which value of a verified assertion names the member: it is compared with the member's
/// `user_name` (SCIM `userName`), and is the `user_name` of a member created by JIT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MemberKey {
    /// The email: the NameID when it is an email, else the usual email attributes.
    #[default]
    Email,
    /// The NameID as sent, whatever its format: for IdPs whose NameID is the same identifier
    /// their SCIM client sends as `userName` (a PingOne UUID, an Okta username that is not an
    /// email), and which send no email at all.
    NameId,
}

impl MemberKey {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberKey::Email => "email",
            MemberKey::NameId => "name_id",
        }
    }

    pub fn parse(s: &str) -> Option<MemberKey> {
        match s {
            "email" => Some(MemberKey::Email),
            "name_id" => Some(MemberKey::NameId),
            _ => None,
        }
    }
}

/// A team's SAML settings: the form a customer fills in, plus the SP-side switches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoSettings {
    pub team_id: Id,
    /// The IdP's entity ID; the Issuer of its responses. Unique across teams, since it is how the
    /// one ACS finds the team.
    pub idp_issuer: String,
    pub metadata: MetadataSource,
    /// IdP-initiated (unsolicited) responses; on by default, since the first login comes from the
    /// IdP's portal.
    pub allow_idp_initiated: bool,
    pub provisioning: Provisioning,
    /// Accept SHA-1 signatures and digests from this IdP (off by default).
    pub allow_sha1: bool,
    /// How a login finds its member (by email unless the team says otherwise).
    pub member_key: MemberKey,
    /// The IdP encrypts assertions for this team. Only then does the SP decrypt one (a
    /// private-key operation, made after the Issuer resolved this team and the Response
    /// signature, when there is one, verified); off by default.
    pub encrypted_assertions: bool,
}

/// A member of a team (a SCIM User).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: Id,
    pub team_id: Id,
    /// The primary email, or the IdP's NameID under [`MemberKey::NameId`]; unique per team,
    /// compared case-insensitively.
    pub user_name: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub display_name: Option<String>,
    pub external_id: Option<String>,
    pub active: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// Whether `slug` can name a team: 1 to 63 of `a-z`, `0-9` and `-`, not starting or ending with
/// `-`. It appears in URLs and cookies unescaped, so nothing else is allowed.
pub fn valid_slug(slug: &str) -> bool {
    (1..=63).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
}

/// One email of a member, as SCIM carries it (`emails[]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub value: String,
    /// `work`, `home`, `other`… as the client sent it.
    pub kind: Option<String>,
    pub primary: bool,
}

/// Who created a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberSource {
    /// A first SSO login (JIT provisioning).
    Jit,
    /// A SCIM client.
    Scim,
}

impl MemberSource {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberSource::Jit => "jit",
            MemberSource::Scim => "scim",
        }
    }

    pub fn parse(s: &str) -> Option<MemberSource> {
        match s {
            "jit" => Some(MemberSource::Jit),
            "scim" => Some(MemberSource::Scim),
            _ => None,
        }
    }
}

/// The writable attributes of a SCIM User, validated: what POST, PUT and PATCH store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberFields {
    pub user_name: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub display_name: Option<String>,
    pub external_id: Option<String>,
    pub active: bool,
    pub emails: Vec<Email>,
    pub enterprise: EnterpriseUser,
}

/// The SCIM enterprise User extension (RFC 7643 §4.3,
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`), kept as the client sent it:
/// the SP reads none of it, Entra and Okta read it back. Every attribute may be absent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EnterpriseUser {
    pub employee_number: Option<String>,
    pub cost_center: Option<String>,
    pub organization: Option<String>,
    pub division: Option<String>,
    pub department: Option<String>,
    pub manager: Option<Manager>,
}

impl EnterpriseUser {
    /// Whether no attribute is set (then the resource carries no extension at all).
    pub fn is_empty(&self) -> bool {
        *self == EnterpriseUser::default()
    }

    /// The extension's SCIM object (attributes in RFC 7643 §4.3's spelling, absent ones left
    /// out), also its stored form; none when empty.
    pub fn to_scim_json(&self) -> Option<serde_json::Value> {
        if self.is_empty() {
            return None;
        }
        let mut out = serde_json::Map::new();
        let put = |object: &mut serde_json::Map<String, serde_json::Value>,
                   key: &str,
                   value: &Option<String>| {
            if let Some(value) = value {
                object.insert(key.to_owned(), value.clone().into());
            }
        };
        put(&mut out, "employeeNumber", &self.employee_number);
        put(&mut out, "costCenter", &self.cost_center);
        put(&mut out, "organization", &self.organization);
        put(&mut out, "division", &self.division);
        put(&mut out, "department", &self.department);
        if let Some(manager) = &self.manager {
            let mut m = serde_json::Map::new();
            put(&mut m, "value", &manager.value);
            put(&mut m, "$ref", &manager.reference);
            put(&mut m, "displayName", &manager.display_name);
            out.insert("manager".to_owned(), serde_json::Value::Object(m));
        }
        Some(serde_json::Value::Object(out))
    }
}

/// The enterprise extension's `manager`, as sent: `value` is the manager's SCIM id, which the SP
/// does not resolve; `$ref` and `displayName` are kept as the client sent them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Manager {
    pub value: Option<String>,
    pub reference: Option<String>,
    pub display_name: Option<String>,
}

/// A member as SCIM sees it: the member, its emails, its version (the ETag) and its origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimMember {
    pub member: Member,
    pub emails: Vec<Email>,
    pub enterprise: EnterpriseUser,
    /// Bumped by every write.
    pub version: i64,
    pub source: MemberSource,
}

/// What the operator sees of a member (`sp team members SLUG`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberOverview {
    pub id: Id,
    pub user_name: String,
    pub active: bool,
    pub source: MemberSource,
    /// The start of the member's latest session still stored (sessions are purged after they
    /// expire, so an old login may show as none).
    pub last_login: Option<OffsetDateTime>,
}

/// The writable attributes of a SCIM Group, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupFields {
    pub display_name: String,
    pub external_id: Option<String>,
    /// Member ids, each a member of the group's team, without repeats.
    pub members: Vec<Id>,
}

/// A member of a group as a Group resource lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMember {
    pub id: Id,
    /// The member's displayName, else its userName.
    pub display: String,
}

/// A SCIM Group of a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: Id,
    pub team_id: Id,
    pub display_name: String,
    pub external_id: Option<String>,
    /// Ordered by member id; empty when listed without members.
    pub members: Vec<GroupMember>,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// The comparison key of a SCIM attribute whose `caseExact` is false (displayName, name.*,
/// emails): ASCII letters lower-cased, every other code point kept, as
/// [`crate::identity::member_key`] does for userName, so that the application, SQLite and
/// PostgreSQL all agree on what is equal.
pub fn case_key(value: &str) -> String {
    value.to_ascii_lowercase()
}
