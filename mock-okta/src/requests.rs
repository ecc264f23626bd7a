//! The bodies and query strings each profile's client sends, as pure functions of what it knows.
//!
//! Sources: Okta's SCIM 2.0 reference (request examples for lookup, create, update, deactivate
//! and group push), Microsoft's "Tutorial: Develop and plan provisioning for a SCIM endpoint"
//! (request/response examples) and the `aadOptscim062020` behaviour notes, summarised in
//! `shared/research/scim.md`.

use crate::judge::{ENTERPRISE_SCHEMA, GROUP_SCHEMA, PATCH_SCHEMA, USER_SCHEMA};
use crate::profile::Profile;
use serde_json::{Value, json};

/// A person as Okta's profile holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub user_name: String,
    /// The primary work email; the userName until a profile change moves it.
    pub email: String,
    pub given_name: String,
    pub family_name: String,
    pub external_id: String,
    pub password: String,
}

impl Person {
    /// The `n`-th person of a sequence; `scope` keeps runs against one server apart.
    pub fn new(scope: &str, sequence: &str, n: u32) -> Self {
        Self {
            user_name: format!("{sequence}-{n}-{scope}@example.com"),
            email: format!("{sequence}-{n}-{scope}@example.com"),
            given_name: "Ada".to_string(),
            family_name: format!("Lovelace{n}"),
            external_id: format!("00u{scope}{sequence}{n}").replace('-', ""),
            password: format!("Pw-{scope}-{n}!"),
        }
    }

    /// The same person after a profile change in Okta: a new first name and a new work email
    /// (the userName stays: it is the key Okta matches on).
    pub fn changed(&self, given_name: &str) -> Self {
        Self {
            given_name: given_name.to_string(),
            email: format!("new.{}", self.user_name),
            ..self.clone()
        }
    }

    pub fn display_name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters, as Okta encodes the value
/// in `filter=userName%20eq%20%22a%40b.c%22`.
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `/Users/{id}`: the id the server chose, percent-encoded so that any string the server
/// returns stays one path segment.
pub fn resource_path(kind: &str, id: &str) -> String {
    format!("/{kind}/{}", percent_encode(id))
}

/// The lookup that starts a push: Okta pages it (`startIndex=1&count=100`) and encodes spaces
/// as `%20`; Entra sends no paging and encodes spaces as `+`.
pub fn user_filter(profile: Profile, user_name: &str) -> String {
    let value = percent_encode(user_name);
    match profile {
        Profile::Okta | Profile::OktaAiw => {
            format!("/Users?filter=userName%20eq%20%22{value}%22&startIndex=1&count=100")
        }
        Profile::Entra => format!("/Users?filter=userName+eq+%22{value}%22"),
    }
}

/// The POST /Users body.
pub fn create_user(profile: Profile, person: &Person) -> Value {
    let email = json!([{"primary": true, "value": person.email, "type": "work"}]);
    match profile {
        Profile::Okta | Profile::OktaAiw => json!({
            "schemas": [USER_SCHEMA],
            "userName": person.user_name,
            "name": {"givenName": person.given_name, "familyName": person.family_name},
            "emails": email,
            "displayName": person.display_name(),
            "locale": "en-US",
            "externalId": person.external_id,
            "groups": [],
            "password": person.password,
            "active": true,
        }),
        Profile::Entra => json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
            "externalId": person.external_id,
            "userName": person.user_name,
            "active": true,
            "displayName": person.display_name(),
            "emails": email,
            "meta": {"resourceType": "User"},
            "name": {
                "formatted": person.display_name(),
                "familyName": person.family_name,
                "givenName": person.given_name,
            },
            "roles": [],
        }),
    }
}

/// Okta's PUT: the object the server returned (read-only attributes such as `id`, `meta` and
/// `groups` echoed back, as Okta does) with Okta's profile written over it.
pub fn put_user(current: &Value, person: &Person, active: bool) -> Value {
    let mut body = match current {
        Value::Object(_) => current.clone(),
        _ => json!({}),
    };
    let okta = json!({
        "schemas": [USER_SCHEMA],
        "userName": person.user_name,
        "name": {
            "givenName": person.given_name,
            "middleName": "",
            "familyName": person.family_name,
        },
        "emails": [{"primary": true, "value": person.email, "type": "work"}],
        "displayName": person.display_name(),
        "externalId": person.external_id,
        "active": active,
    });
    if let (Value::Object(body), Value::Object(okta)) = (&mut body, okta) {
        body.extend(okta);
    }
    body
}

fn patch(operations: Value) -> Value {
    json!({"schemas": [PATCH_SCHEMA], "Operations": operations})
}

/// Deactivate (`active: false`) or reactivate by PATCH: Okta's OIN template sends a path-less
/// replace with a boolean; Entra a capitalised op with `path` and a string boolean.
pub fn patch_active(profile: Profile, active: bool) -> Value {
    match profile {
        Profile::Okta | Profile::OktaAiw => {
            patch(json!([{"op": "replace", "value": {"active": active}}]))
        }
        Profile::Entra => patch(json!([{
            "op": "Replace",
            "path": "active",
            "value": if active { "True" } else { "False" },
        }])),
    }
}

/// The department Entra's PATCH sets through the enterprise extension's URN key.
pub const DEPARTMENT: &str = "Analytical Engines";

/// A profile change by PATCH. Okta's PATCH body for profile updates is not documented (research
/// notes); the `okta` profile sends RFC 7644 §3.5.2.3's path-less replace of a sub-attribute,
/// which must leave `familyName` alone. Entra sends dotted and URN keys path-less and changes
/// the work email through a filtered path.
pub fn patch_profile(profile: Profile, person: &Person) -> Value {
    match profile {
        Profile::Okta | Profile::OktaAiw => patch(json!([{
            "op": "replace",
            "value": {"name": {"givenName": person.given_name}},
        }])),
        Profile::Entra => patch(json!([
            {
                "op": "Replace",
                "value": {
                    "name.givenName": person.given_name,
                    format!("{ENTERPRISE_SCHEMA}:department"): DEPARTMENT,
                },
            },
            {
                "op": "Replace",
                "path": "emails[type eq \"work\"].value",
                "value": person.email,
            },
        ])),
    }
}

/// POST /Groups.
pub fn create_group(profile: Profile, display_name: &str, external_id: &str) -> Value {
    match profile {
        Profile::Okta | Profile::OktaAiw => json!({
            "schemas": [GROUP_SCHEMA],
            "displayName": display_name,
            "members": [],
        }),
        Profile::Entra => json!({
            "schemas": [GROUP_SCHEMA],
            "externalId": external_id,
            "displayName": display_name,
            "meta": {"resourceType": "Group"},
            "members": [],
        }),
    }
}

/// Entra's lookup of a group, without its members.
pub fn group_filter(display_name: &str) -> String {
    format!(
        "/Groups?filter=displayName+eq+%22{}%22&excludedAttributes=members",
        percent_encode(display_name)
    )
}

/// A group rename: Okta sends `{id, displayName}` path-less (the server must ignore `id`),
/// Entra a `displayName` path.
pub fn rename_group(profile: Profile, id: &str, display_name: &str) -> Value {
    match profile {
        Profile::Okta | Profile::OktaAiw => patch(json!([{
            "op": "replace",
            "value": {"id": id, "displayName": display_name},
        }])),
        Profile::Entra => patch(json!([{
            "op": "Replace",
            "path": "displayName",
            "value": display_name,
        }])),
    }
}

/// A member as Okta sends it (`display` is the user's userName).
pub fn member(id: &str, user_name: &str) -> Value {
    json!({"value": id, "display": user_name})
}

/// Adding members.
pub fn add_members(profile: Profile, members: &[(&str, &str)]) -> Value {
    match profile {
        Profile::Okta | Profile::OktaAiw => {
            let value: Vec<Value> = members.iter().map(|(id, un)| member(id, un)).collect();
            patch(json!([{"op": "add", "path": "members", "value": value}]))
        }
        Profile::Entra => {
            let value: Vec<Value> = members.iter().map(|(id, _)| json!({"value": id})).collect();
            patch(json!([{"op": "Add", "path": "members", "value": value}]))
        }
    }
}

/// Okta's membership change in one PATCH: remove one member by a value filter, add another.
/// Entra removes by a value list on the `members` path.
pub fn swap_member(profile: Profile, remove: &str, add: (&str, &str)) -> Value {
    match profile {
        Profile::Okta | Profile::OktaAiw => patch(json!([
            {"op": "remove", "path": format!("members[value eq \"{remove}\"]")},
            {"op": "add", "path": "members", "value": [member(add.0, add.1)]},
        ])),
        Profile::Entra => patch(json!([
            {"op": "Remove", "path": "members", "value": [{"value": remove}]},
            {"op": "Add", "path": "members", "value": [{"value": add.0}]},
        ])),
    }
}

/// Okta's "replace members" (a full membership push).
pub fn replace_members(members: &[(&str, &str)]) -> Value {
    let value: Vec<Value> = members.iter().map(|(id, un)| member(id, un)).collect();
    patch(json!([{"op": "replace", "path": "members", "value": value}]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person() -> Person {
        Person::new("t1", "push", 1)
    }

    /// RFC 3986 percent-decoding, to check the encoder against.
    fn decode(text: &str) -> Option<String> {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).ok()
    }

    proptest::proptest! {
        /// Any userName survives encoding, and the encoding holds nothing a query could
        /// misread (no space, quote, `&`, `+`, `#` or non-ASCII byte).
        #[test]
        fn percent_encoding_round_trips_and_is_query_safe(value in "\\PC{0,24}") {
            let encoded = percent_encode(&value);
            proptest::prop_assert_eq!(decode(&encoded), Some(value));
            proptest::prop_assert!(encoded
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)));
        }
    }

    #[test]
    fn ids_stay_one_path_segment() {
        assert_eq!(
            resource_path("Users", "2819c223-7f76"),
            "/Users/2819c223-7f76"
        );
        assert_eq!(resource_path("Groups", "a/b c"), "/Groups/a%2Fb%20c");
    }

    #[test]
    fn okta_filter_encodes_spaces_quotes_and_at_sign() {
        assert_eq!(
            user_filter(Profile::Okta, "a.b+c@x.io"),
            "/Users?filter=userName%20eq%20%22a.b%2Bc%40x.io%22&startIndex=1&count=100"
        );
    }

    #[test]
    fn entra_filter_uses_plus_for_spaces_and_no_paging() {
        assert_eq!(
            user_filter(Profile::Entra, "a@x.io"),
            "/Users?filter=userName+eq+%22a%40x.io%22"
        );
    }

    #[test]
    fn okta_create_has_every_attribute_okta_sends() {
        let body = create_user(Profile::Okta, &person());
        let keys: Vec<&str> = body
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let mut keys = keys;
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "active",
                "displayName",
                "emails",
                "externalId",
                "groups",
                "locale",
                "name",
                "password",
                "schemas",
                "userName"
            ]
        );
        assert_eq!(body["emails"][0]["primary"], json!(true));
        assert_eq!(body["emails"][0]["type"], json!("work"));
    }

    #[test]
    fn entra_deactivates_with_capitalised_op_and_string_boolean() {
        assert_eq!(
            patch_active(Profile::Entra, false)["Operations"],
            json!([{"op": "Replace", "path": "active", "value": "False"}])
        );
        assert_eq!(
            patch_active(Profile::Okta, false)["Operations"],
            json!([{"op": "replace", "value": {"active": false}}])
        );
    }

    #[test]
    fn put_echoes_read_only_attributes_and_overwrites_the_profile() {
        let current = json!({"id": "u1", "meta": {"resourceType": "User"}, "groups": [],
                             "userName": "old@x.io", "active": true});
        let body = put_user(&current, &person(), false);
        assert_eq!(body["id"], json!("u1"));
        assert_eq!(body["meta"], json!({"resourceType": "User"}));
        assert_eq!(body["userName"], json!(person().user_name));
        assert_eq!(body["active"], json!(false));
        assert_eq!(body["name"]["middleName"], json!(""));
    }
}
