//! Named faults: each a transform of a valid response, with what a correct SP must answer.

use crate::build::{BuildError, Built, build};
use crate::names::{UnknownName, find};
use crate::spec::ResponseSpec;
use time::OffsetDateTime;

/// How a fault changes the response.
pub enum Transform {
    /// Edits the spec before building (a wrong audience, an expired window…).
    Spec(fn(&mut ResponseSpec)),
    /// Rewrites the built XML (wrapping attacks, stripped signatures, DOCTYPE…), given the spec
    /// it was built from.
    Xml(fn(&ResponseSpec, String) -> String),
}

/// A fault.
pub struct Fault {
    pub name: &'static str,
    /// One line: what the fault does.
    pub summary: &'static str,
    /// What a correct SP answers: a rejection code (`audience_mismatch`), or e.g.
    /// "accepted once, then replayed_assertion".
    pub expected: &'static str,
    /// How many times the browser posts the response (2 for replay).
    pub posts: u8,
    pub transform: Transform,
}

impl Fault {
    /// `spec` built at `now` with this fault applied.
    pub fn build(&self, spec: &ResponseSpec, now: OffsetDateTime) -> Result<Built, BuildError> {
        match &self.transform {
            Transform::Spec(edit) => {
                let mut spec = spec.clone();
                edit(&mut spec);
                build(&spec, now)
            }
            Transform::Xml(rewrite) => {
                let built = build(spec, now)?;
                Ok(Built {
                    xml: rewrite(spec, built.xml),
                })
            }
        }
    }
}

/// Every fault.
pub const FAULTS: &[Fault] = &[Fault {
    name: "wrong-issuer",
    summary: "Response and Assertion Issuer set to another IdP's entity ID",
    expected: "unknown_issuer (no team has that issuer) or issuer_mismatch",
    posts: 1,
    transform: Transform::Spec(|spec| {
        spec.response_issuer = Some("http://www.okta.com/exkSOMEONEELSE".to_owned());
        spec.assertion_issuer = spec.response_issuer.clone();
    }),
}];

/// The fault named `name`.
pub fn by_name(name: &str) -> Result<&'static Fault, UnknownName> {
    find(FAULTS, name, "fault", |f| f.name)
}
