//! Edits of a preset's spec that the login page, the launch URL and the CLI share: who logs in,
//! and which response a fault leads to.
//!
//! These belong beside [`ResponseSpec`] in spirit; they live here because they need only its
//! public fields, and so that the spec module stays the single description of a response.

use crate::build::{BuildError, Built};
use crate::faults::{Fault, Transform};
use crate::spec::{NAMEID_EMAIL, ResponseSpec};
use time::OffsetDateTime;

/// The user the presets log in (every preset writes this person; see presets.rs).
pub const DEFAULT_EMAIL: &str = "alice@example.com";
pub const DEFAULT_FIRST_NAME: &str = "Alice";
pub const DEFAULT_LAST_NAME: &str = "Liddell";

/// What an attribute name says about its value, from the names real IdPs use: Okta `email`,
/// Entra and AD FS claim URIs (`…/claims/emailaddress`, `…/givenname`, `…/surname`), OneLogin
/// `User.email`, PingFederate and JumpCloud `firstname`, LDAP `mail`, `sn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Email,
    First,
    Last,
}

fn role_of(name: &str) -> Option<Role> {
    let lower = name.to_ascii_lowercase();
    let last = lower
        .rsplit(['/', ':', '.'])
        .next()
        .unwrap_or(lower.as_str());
    match last {
        "email" | "emailaddress" | "mail" | "e-mail" => Some(Role::Email),
        "firstname" | "givenname" | "given_name" | "first_name" | "fname" => Some(Role::First),
        "lastname" | "surname" | "sn" | "family_name" | "last_name" | "lname" => Some(Role::Last),
        _ => None,
    }
}

/// The user a spec logs in: (email, first name, last name), read from its attributes by name,
/// the NameID standing in for a missing email attribute when it looks like one.
pub fn user_of(spec: &ResponseSpec) -> (String, String, String) {
    let find = |role: Role| {
        spec.attributes
            .iter()
            .find(|a| role_of(&a.name) == Some(role))
            .and_then(|a| a.values.first().cloned())
    };
    let email = find(Role::Email)
        .or_else(|| {
            spec.name_id
                .as_ref()
                .filter(|n| n.value.contains('@'))
                .map(|n| n.value.clone())
        })
        .unwrap_or_else(|| DEFAULT_EMAIL.to_owned());
    let first = find(Role::First).unwrap_or_else(|| DEFAULT_FIRST_NAME.to_owned());
    let last = find(Role::Last).unwrap_or_else(|| DEFAULT_LAST_NAME.to_owned());
    (email, first, last)
}

/// Logs in another user: every value that was the old user's email, first name, last name or
/// "first last" (display names) becomes the new one, wherever the preset put it (NameID, UPN,
/// `name` claim…). An email-format NameID always becomes the new email. Values that are not
/// the user's (tenant IDs, object IDs, PingOne's subject) are left alone.
pub fn set_user(
    spec: &mut ResponseSpec,
    email: Option<&str>,
    first: Option<&str>,
    last: Option<&str>,
) {
    let (old_email, old_first, old_last) = user_of(spec);
    let old_display = format!("{old_first} {old_last}");
    let new_email = email.unwrap_or(&old_email).to_owned();
    let new_first = first.unwrap_or(&old_first).to_owned();
    let new_last = last.unwrap_or(&old_last).to_owned();
    let new_display = format!("{new_first} {new_last}");
    let replace = |value: &str| -> Option<String> {
        if value.is_empty() {
            None
        } else if value == old_email {
            Some(new_email.clone())
        } else if value == old_display {
            Some(new_display.clone())
        } else if value == old_first {
            Some(new_first.clone())
        } else if value == old_last {
            Some(new_last.clone())
        } else {
            None
        }
    };
    for attribute in &mut spec.attributes {
        for value in &mut attribute.values {
            if let Some(new) = replace(value) {
                *value = new;
            }
        }
    }
    if let Some(name_id) = &mut spec.name_id {
        if name_id.format.as_deref() == Some(NAMEID_EMAIL) {
            name_id.value = new_email.clone();
        } else if let Some(new) = replace(&name_id.value) {
            name_id.value = new;
        }
    }
}

/// The spec a fault leads to: spec faults edit it (possibly moving the Reply URL, the method
/// or RelayState, which decide where the browser goes); XML faults leave it as it is.
///
/// `Fault::build` applies the edit internally and returns only the XML, so the edit is
/// replayed here to learn where to send the result.
pub fn effective_spec(fault: Option<&Fault>, spec: &ResponseSpec) -> ResponseSpec {
    let mut spec = spec.clone();
    if let Some(Fault {
        transform: Transform::Spec(edit),
        ..
    }) = fault
    {
        edit(&mut spec);
    }
    spec
}

/// A response ready to deliver: the spec as the fault left it (for the Reply URL, method and
/// RelayState) and the XML.
#[derive(Clone)]
pub struct Prepared {
    pub spec: ResponseSpec,
    pub built: Built,
    pub fault: Option<&'static Fault>,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("spec", &self.spec)
            .field("built", &self.built)
            .field("fault", &self.fault.map(|fault| fault.name))
            .finish()
    }
}

/// Builds `spec` at `now`, with `fault` applied when given.
pub fn prepare(
    spec: &ResponseSpec,
    fault: Option<&'static Fault>,
    now: OffsetDateTime,
) -> Result<Prepared, BuildError> {
    let built = match fault {
        Some(fault) => fault.build(spec, now)?,
        None => crate::build::build(spec, now)?,
    };
    Ok(Prepared {
        spec: effective_spec(fault, spec),
        built,
        fault,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::PRESETS;

    #[test]
    fn every_preset_starts_with_the_default_user() {
        for preset in PRESETS {
            let (email, _, _) = user_of(&preset.spec());
            assert_eq!(email, DEFAULT_EMAIL, "{}", preset.name);
        }
    }

    #[test]
    fn set_user_replaces_the_user_everywhere_in_every_preset() {
        for preset in PRESETS {
            let mut spec = preset.spec();
            set_user(
                &mut spec,
                Some("bob@corp.example"),
                Some("Bob"),
                Some("Builder"),
            );
            let values: Vec<&str> = spec
                .attributes
                .iter()
                .flat_map(|a| a.values.iter().map(String::as_str))
                .chain(spec.name_id.iter().map(|n| n.value.as_str()))
                .collect();
            for old in [DEFAULT_EMAIL, DEFAULT_FIRST_NAME, DEFAULT_LAST_NAME] {
                assert!(
                    !values.contains(&old),
                    "{} still has {old}: {values:?}",
                    preset.name
                );
            }
            let (email, first, last) = user_of(&spec);
            assert_eq!(email, "bob@corp.example", "{}", preset.name);
            if preset
                .spec()
                .attributes
                .iter()
                .any(|a| role_of(&a.name) == Some(Role::First))
            {
                assert_eq!((first.as_str(), last.as_str()), ("Bob", "Builder"));
            }
        }
    }

    #[test]
    fn attribute_roles_follow_real_idp_names() {
        for (name, role) in [
            ("email", Some(Role::Email)),
            ("User.email", Some(Role::Email)),
            (
                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
                Some(Role::Email),
            ),
            ("urn:oid:0.9.2342.19200300.100.1.3", None),
            ("User.FirstName", Some(Role::First)),
            (
                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
                Some(Role::Last),
            ),
            ("memberOf", None),
        ] {
            assert_eq!(role_of(name), role, "{name}");
        }
    }
}
