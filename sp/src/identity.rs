//! The one rule by which a member is recognised: SAML logins (email or NameID) and SCIM
//! userNames go through [`member_key`] and nothing else.
//!
//! ASCII letters compare case-insensitively (`Alice@Corp.com` is `alice@corp.com`: IdPs and
//! SCIM clients change the case of emails freely); every other code point compares exactly.
//! Unicode case folding is not used because it maps strings that an IdP treats as different
//! users onto one (`ǅ`, `ß`/`ẞ`, the Kelvin sign `K` lower-cases to an ASCII `k`), and Unicode
//! normalisation is not applied either, because NFC alone turns some non-ASCII code points into
//! ASCII letters (U+212A KELVIN SIGN becomes `K`). Instead an identity that compatibility
//! normalisation (NFKC) would change is refused outright: then no two accepted identities can
//! look alike through a fullwidth letter, a ligature, a composed/decomposed accent or a
//! compatibility character, and none can fold onto an existing member.

use std::fmt;
use unicode_normalization::UnicodeNormalization;

/// The comparison key of a member identity, or why the identity is refused.
pub fn member_key(identity: &str) -> Result<String, IdentityError> {
    if identity.is_empty() {
        return Err(IdentityError::Empty);
    }
    if let Some(c) = identity.chars().find(|c| c.is_control()) {
        return Err(IdentityError::ControlCharacter(c));
    }
    if !identity.is_ascii() && !identity.chars().eq(identity.nfkc()) {
        return Err(IdentityError::NotNormalized {
            normalized: identity.nfkc().collect(),
        });
    }
    Ok(identity.to_ascii_lowercase())
}

/// Whether two identities name the same member; false when either is refused.
pub fn same_member(a: &str, b: &str) -> bool {
    matches!((member_key(a), member_key(b)), (Ok(a), Ok(b)) if a == b)
}

/// Why an identity cannot name a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityError {
    Empty,
    /// A control character (a tab, a newline, U+0000…) has no place in an email or userName.
    ControlCharacter(char),
    /// NFKC changes it: it is a look-alike of `normalized`, or a composed twin of it.
    NotNormalized {
        normalized: String,
    },
}

impl IdentityError {
    /// The stable snake_case code, for logs and SCIM error details.
    pub fn code(&self) -> &'static str {
        match self {
            IdentityError::Empty => "identity_empty",
            IdentityError::ControlCharacter(_) => "identity_control_character",
            IdentityError::NotNormalized { .. } => "identity_not_normalized",
        }
    }
}

impl fmt::Display for IdentityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdentityError::Empty => f.write_str("the identity is empty"),
            IdentityError::ControlCharacter(c) => {
                write!(
                    f,
                    "the identity contains the control character U+{:04X}",
                    *c as u32
                )
            }
            IdentityError::NotNormalized { normalized } => write!(
                f,
                "the identity is not in Unicode NFKC form (it would read as {normalized:?}); send it as {normalized:?}"
            ),
        }
    }
}

impl std::error::Error for IdentityError {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ascii_letters_compare_case_insensitively() {
        assert_eq!(
            member_key("Alice@Corp.COM"),
            Ok("alice@corp.com".to_owned())
        );
        assert!(same_member("Alice@Corp.com", "alice@corp.com"));
    }

    #[test]
    fn non_ascii_letters_compare_exactly() {
        // Unicode lowercasing would make these one member.
        assert!(!same_member("ÉLODIE@corp.com", "élodie@corp.com"));
        assert_eq!(
            member_key("élodie@corp.com"),
            Ok("élodie@corp.com".to_owned())
        );
        assert!(!same_member("straße@corp.com", "STRASSE@corp.com"));
    }

    #[test]
    fn refuses_what_nfkc_would_change() {
        for lookalike in [
            "\u{212A}ate@corp.com",   // KELVIN SIGN, NFC makes it an ASCII K
            "ａlice@corp.com",        // fullwidth a
            "alice@corp.com\u{FB01}", // the fi ligature
            "e\u{301}lodie@corp.com", // decomposed é
            "alice@corp\u{2024}com",  // ONE DOT LEADER
        ] {
            assert!(
                matches!(
                    member_key(lookalike),
                    Err(IdentityError::NotNormalized { .. })
                ),
                "{lookalike:?} is refused"
            );
        }
    }

    #[test]
    fn refuses_empty_and_control_characters() {
        assert_eq!(member_key(""), Err(IdentityError::Empty));
        assert_eq!(
            member_key("alice@corp.com\n"),
            Err(IdentityError::ControlCharacter('\n'))
        );
    }

    proptest! {
        /// The rule, stated independently: two accepted identities are one member exactly when
        /// they are equal after lower-casing ASCII letters alone.
        #[test]
        fn same_member_iff_equal_up_to_ascii_case(a in "[a-zA-Z0-9@.éÉßẞ\u{212A}ǅ]{1,8}", b in "[a-zA-Z0-9@.éÉßẞ\u{212A}ǅ]{1,8}") {
            let by_rule = a.chars().zip(b.chars()).all(|(x, y)| x.eq_ignore_ascii_case(&y))
                && a.chars().count() == b.chars().count();
            match (member_key(&a), member_key(&b)) {
                (Ok(ka), Ok(kb)) => prop_assert_eq!(ka == kb, by_rule),
                _ => prop_assert!(!same_member(&a, &b)),
            }
        }

        /// Accepted keys never contain an ASCII upper-case letter and keep every other code point.
        #[test]
        fn key_changes_only_ascii_upper_case(s in "\\PC{1,16}") {
            if let Ok(key) = member_key(&s) {
                prop_assert_eq!(key.chars().count(), s.chars().count());
                for (k, c) in key.chars().zip(s.chars()) {
                    prop_assert_eq!(k, c.to_ascii_lowercase());
                }
            }
        }
    }
}
