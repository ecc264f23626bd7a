//! Presets: responses shaped like what real IdPs send (issuer form, what is signed, attribute
//! names, NameID format), each documenting where its shape comes from.

use crate::names::{UnknownName, find};
use crate::spec::{Attribute, NAMEID_EMAIL, NameId, Prefixes, ResponseSpec};

/// A real IdP's shape.
pub struct Preset {
    pub name: &'static str,
    /// One line: which IdP, and what is characteristic of its responses.
    pub summary: &'static str,
    /// Where the shape comes from (a capture in ../shared/fixtures-real, vendor documentation).
    pub source: &'static str,
    /// The IdP's entity ID (the Issuer of its responses).
    pub issuer: &'static str,
    spec: fn(&'static str) -> ResponseSpec,
}

impl Preset {
    /// A valid response in this IdP's shape for the default SP (production values); use
    /// [`ResponseSpec::for_sp`] to aim it elsewhere.
    pub fn spec(&self) -> ResponseSpec {
        (self.spec)(self.issuer)
    }
}

fn okta(issuer: &'static str) -> ResponseSpec {
    let mut spec = ResponseSpec::valid(issuer);
    spec.prefixes = Prefixes {
        protocol: "saml2p".to_owned(),
        assertion: "saml2".to_owned(),
    };
    spec.name_id = Some(NameId {
        value: "alice@example.com".to_owned(),
        format: Some(NAMEID_EMAIL.to_owned()),
        sp_name_qualifier: None,
    });
    spec.attributes = vec![
        Attribute::new("email", &["alice@example.com"]),
        Attribute::new("firstName", &["Alice"]),
        Attribute::new("lastName", &["Liddell"]),
    ];
    spec
}

/// Every preset.
pub const PRESETS: &[Preset] = &[Preset {
    name: "okta",
    summary: "Okta: issuer http://www.okta.com/exk…, Response and Assertion signed (RSA-SHA256), saml2p/saml2 prefixes, email/firstName/lastName",
    source: "../shared/fixtures-real/responses/okta-ssoready.xml and okta-gosaml2-signed-both.xml; Okta's SAML app setup guide",
    issuer: "http://www.okta.com/exk1mockidp0000000d7",
    spec: okta,
}];

/// The preset named `name`.
pub fn by_name(name: &str) -> Result<&'static Preset, UnknownName> {
    find(PRESETS, name, "preset", |p| p.name)
}
