//! Who logged in: email and names from the NameID and the attribute names real IdPs use.
//!
//! IdPs disagree on names: Okta sends `email`/`firstName`/`lastName` (whatever the admin typed),
//! Entra ID and AD FS send WS-Federation claim URIs, Shibboleth and Google-style directories send
//! LDAP OIDs, OneLogin sends `User.email`. Short names are compared ignoring case, since admins
//! type them by hand; URIs and OIDs exactly.

/// Attribute names that carry the email address, most specific first.
pub const EMAIL_NAMES: &[&str] = &[
    "email",
    "emailaddress",
    "mail",
    "user.email",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    "http://schemas.xmlsoap.org/claims/EmailAddress",
    "urn:oid:0.9.2342.19200300.100.1.3",
    // Okta apps often send the Okta username, which is usually the email, under this name
    // (../shared/fixtures-real/responses/okta-gosaml2-signed-both.xml); it counts only when it
    // has an email's shape.
    "username",
];

/// Attribute names for the given (first) name.
pub const GIVEN_NAME_NAMES: &[&str] = &[
    "firstName",
    "givenName",
    "given_name",
    "user.firstName",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
    "urn:oid:2.5.4.42",
];

/// Attribute names for the family (last) name.
pub const FAMILY_NAME_NAMES: &[&str] = &[
    "lastName",
    "surname",
    "sn",
    "family_name",
    "user.lastName",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
    "urn:oid:2.5.4.4",
];

/// Attribute names for a display name.
pub const DISPLAY_NAME_NAMES: &[&str] = &[
    "displayName",
    "http://schemas.microsoft.com/identity/claims/displayname",
    "urn:oid:2.16.840.1.113730.3.1.241",
];

pub const NAME_ID_FORMAT_EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";

/// A name matches when equal, ignoring ASCII case for names that are not URIs or OIDs.
fn name_matches(candidate: &str, wanted: &str) -> bool {
    if wanted.contains(':') {
        candidate == wanted
    } else {
        candidate.eq_ignore_ascii_case(wanted)
    }
}

/// The first non-empty value of the first attribute, in `names` order, that has one.
pub fn first_value<'v>(attributes: &'v [(String, Vec<String>)], names: &[&str]) -> Option<&'v str> {
    names.iter().find_map(|wanted| {
        attributes
            .iter()
            .filter(|(name, _)| name_matches(name, wanted))
            .flat_map(|(_, values)| values.iter())
            .map(|v| v.trim())
            .find(|v| !v.is_empty())
    })
}

/// Whether `value` has the shape of an email address: one `@`, something before it, a dotted
/// domain after it, no whitespace. Deliverability is not the SP's business; shape is.
pub fn looks_like_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !value.chars().any(char::is_whitespace)
}

/// The user's email: the NameID when it is one (by format or by shape), else the first email
/// attribute that is one.
pub fn email(
    name_id: &str,
    name_id_format: Option<&str>,
    attributes: &[(String, Vec<String>)],
) -> Option<String> {
    let name_id = name_id.trim();
    if looks_like_email(name_id)
        || (name_id_format == Some(NAME_ID_FORMAT_EMAIL) && looks_like_email(name_id))
    {
        return Some(name_id.to_owned());
    }
    EMAIL_NAMES.iter().find_map(|wanted| {
        attributes
            .iter()
            .filter(|(name, _)| name_matches(name, wanted))
            .flat_map(|(_, values)| values.iter())
            .map(|v| v.trim())
            .find(|v| looks_like_email(v))
            .map(str::to_owned)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(list: &[(&str, &str)]) -> Vec<(String, Vec<String>)> {
        list.iter()
            .map(|(n, v)| ((*n).to_owned(), vec![(*v).to_owned()]))
            .collect()
    }

    #[test]
    fn email_comes_from_an_email_shaped_name_id_first() {
        assert_eq!(
            email("alice@corp.com", None, &[]).as_deref(),
            Some("alice@corp.com")
        );
        let a = attrs(&[("email", "other@corp.com")]);
        assert_eq!(
            email("alice@corp.com", None, &a).as_deref(),
            Some("alice@corp.com")
        );
    }

    #[test]
    fn email_falls_back_to_the_usual_attribute_names() {
        // Entra sends a UPN or an opaque ID as NameID, and the email as a claim URI.
        let entra = attrs(&[(
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
            "bob@corp.com",
        )]);
        assert_eq!(
            email("5f1c-opaque", None, &entra).as_deref(),
            Some("bob@corp.com")
        );
        let okta = attrs(&[("Email", "carol@corp.com")]);
        assert_eq!(
            email("00u1abc", None, &okta).as_deref(),
            Some("carol@corp.com")
        );
        let onelogin = attrs(&[("User.email", "dan@corp.com")]);
        assert_eq!(
            email("12345", None, &onelogin).as_deref(),
            Some("dan@corp.com")
        );
        let ldap = attrs(&[("urn:oid:0.9.2342.19200300.100.1.3", "erin@corp.com")]);
        assert_eq!(email("erin", None, &ldap).as_deref(), Some("erin@corp.com"));
        let adfs = attrs(&[(
            "http://schemas.xmlsoap.org/claims/EmailAddress",
            "fay@corp.com",
        )]);
        assert_eq!(
            email("CORP\\fay", None, &adfs).as_deref(),
            Some("fay@corp.com")
        );
    }

    #[test]
    fn no_email_anywhere_is_none() {
        assert_eq!(
            email(
                "alice",
                None,
                &attrs(&[("firstName", "Alice"), ("email", "not an email")])
            ),
            None
        );
        assert_eq!(email("alice", Some(NAME_ID_FORMAT_EMAIL), &[]), None);
    }

    #[test]
    fn uri_names_match_exactly_and_short_names_ignore_case() {
        let a = attrs(&[(
            "HTTP://SCHEMAS.XMLSOAP.ORG/ws/2005/05/identity/claims/emailaddress",
            "x@y.com",
        )]);
        assert_eq!(email("nope", None, &a), None);
        let a = attrs(&[("FIRSTNAME", "Alice")]);
        assert_eq!(first_value(&a, GIVEN_NAME_NAMES), Some("Alice"));
    }

    #[test]
    fn email_shape() {
        for good in ["a@b.co", "first.last+tag@sub.corp.com"] {
            assert!(looks_like_email(good), "{good}");
        }
        for bad in [
            "", "a", "@b.co", "a@", "a@b", "a@@b.co", "a b@c.co", "a@.co", "a@co.",
        ] {
            assert!(!looks_like_email(bad), "{bad}");
        }
    }
}
