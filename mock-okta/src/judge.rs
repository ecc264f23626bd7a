//! Each answer judged as Okta's client judges it.
//!
//! A [`Failure`] carries a stable code ([`Judgement::code`]), what Okta expected and what came
//! back; the step adds what Okta does in the field when it meets that answer.

use crate::http::Received;
use serde::Serialize;
use serde_json::Value;

pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// Why a step failed. Codes are a contract (reports and tests match on them): add, never rename.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Judgement {
    /// No HTTP response: connection refused or reset, or no answer within the timeout.
    TransportFailed,
    /// A 5xx.
    ServerError,
    /// 429 on every attempt, or a `Retry-After` that cannot be honoured.
    RateLimited,
    /// A status other than the one Okta needs.
    StatusUnexpected,
    /// A body Okta reads is not JSON.
    BodyNotJson,
    /// An error answer without `urn:ietf:params:scim:api:messages:2.0:Error` in `schemas`.
    ErrorSchemaMissing,
    /// An error answer whose `status` is not the HTTP status as a string (RFC 7644 §3.12).
    ErrorStatusNotString,
    /// An error answer without a `detail`.
    ErrorDetailMissing,
    /// A list answer that is not a ListResponse (schema, `Resources` not an array).
    ListResponseInvalid,
    /// `totalResults`, `startIndex` or `itemsPerPage` missing or not an integer.
    ListNumberNotInteger,
    /// `itemsPerPage` is not the number of `Resources` returned.
    ItemsPerPageMismatch,
    /// More `Resources` than the `count` asked for.
    PageTooLarge,
    /// A resource without an `id`, or one that is not a non-empty string.
    IdInvalid,
    /// An attribute Okta sent or expects is not what came back.
    AttributeMismatch,
    /// A filter found a different set of resources than it must.
    FilterResultWrong,
    /// Okta's SPEC test needs at least one user on the server.
    ListEmpty,
    /// An import missed a resource that exists.
    ImportMemberMissing,
    /// An import returned one resource on two pages.
    ImportMemberDuplicated,
    /// `totalResults` changed between pages with no write in between, or the page past the end
    /// reported another total.
    TotalResultsChanged,
    /// An answer slower than Okta's SPEC test allows.
    TooSlow,
    /// A page asked for past `totalResults` returned resources.
    PagePastEndNotEmpty,
}

impl Judgement {
    /// The stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            Judgement::TransportFailed => "transport_failed",
            Judgement::ServerError => "server_error",
            Judgement::RateLimited => "rate_limited",
            Judgement::StatusUnexpected => "status_unexpected",
            Judgement::BodyNotJson => "body_not_json",
            Judgement::ErrorSchemaMissing => "error_schema_missing",
            Judgement::ErrorStatusNotString => "error_status_not_string",
            Judgement::ErrorDetailMissing => "error_detail_missing",
            Judgement::ListResponseInvalid => "list_response_invalid",
            Judgement::ListNumberNotInteger => "list_number_not_integer",
            Judgement::ItemsPerPageMismatch => "items_per_page_mismatch",
            Judgement::PageTooLarge => "page_too_large",
            Judgement::IdInvalid => "id_invalid",
            Judgement::AttributeMismatch => "attribute_mismatch",
            Judgement::FilterResultWrong => "filter_result_wrong",
            Judgement::ListEmpty => "list_empty",
            Judgement::ImportMemberMissing => "import_member_missing",
            Judgement::ImportMemberDuplicated => "import_member_duplicated",
            Judgement::TotalResultsChanged => "total_results_changed",
            Judgement::TooSlow => "too_slow",
            Judgement::PagePastEndNotEmpty => "page_past_end_not_empty",
        }
    }
}

/// A step's failure: the code, what Okta expected, what came back, and (set by the step) what
/// Okta does in the field when it meets this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub judgement: Judgement,
    pub code: &'static str,
    pub expected: String,
    pub got: String,
    pub okta_consequence: String,
}

impl Failure {
    pub fn new(judgement: Judgement, expected: impl Into<String>, got: impl Into<String>) -> Self {
        Self {
            judgement,
            code: judgement.code(),
            expected: expected.into(),
            got: got.into(),
            okta_consequence: String::new(),
        }
    }
}

/// Text from the server made safe to print: control characters other than newline and tab
/// (terminal escape sequences among them) become U+FFFD, so a body cannot rewrite the screen
/// of the person reading the report.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// A body shortened for a one-line message.
pub fn excerpt(body: &str) -> String {
    const MAX: usize = 200;
    let flat: String = printable(body)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if flat.is_empty() {
        return "(empty body)".to_string();
    }
    match flat.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

/// The status must be one of `expected`.
pub fn status(received: &Received, expected: &[u16]) -> Result<(), Failure> {
    if expected.contains(&received.status) {
        return Ok(());
    }
    let wanted: Vec<String> = expected.iter().map(u16::to_string).collect();
    Err(Failure::new(
        Judgement::StatusUnexpected,
        wanted.join(" or "),
        format!("{} {}", received.status, excerpt(&received.body)),
    ))
}

/// A SCIM error answer with this status: the status itself, the Error schema, `status` as the
/// status in a string (Okta's SPEC test compares it with `"404"`), and a `detail`.
pub fn scim_error(received: &Received, expected: u16) -> Result<(), Failure> {
    status(received, &[expected])?;
    let body = received.json()?;
    if !has_schema(&body, ERROR_SCHEMA) {
        return Err(Failure::new(
            Judgement::ErrorSchemaMissing,
            format!("schemas containing {ERROR_SCHEMA}"),
            format!("schemas {}", show(body.get("schemas"))),
        ));
    }
    let wanted = expected.to_string();
    match body.get("status") {
        Some(Value::String(s)) if *s == wanted => {}
        other => {
            return Err(Failure::new(
                Judgement::ErrorStatusNotString,
                format!("\"status\": \"{wanted}\" (a string)"),
                format!("\"status\": {}", show(other)),
            ));
        }
    }
    match body.get("detail") {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(()),
        other => Err(Failure::new(
            Judgement::ErrorDetailMissing,
            "a non-empty \"detail\" saying what went wrong",
            format!("\"detail\": {}", show(other)),
        )),
    }
}

/// A ListResponse page as Okta reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub total_results: u64,
    pub start_index: u64,
    pub resources: Vec<Value>,
}

/// A 200 ListResponse: integer numbers, `itemsPerPage` equal to the resources returned, no more
/// than `count` of them.
pub fn list(received: &Received, count: Option<u64>) -> Result<Page, Failure> {
    status(received, &[200])?;
    let body = received.json()?;
    if !has_schema(&body, LIST_SCHEMA) {
        return Err(Failure::new(
            Judgement::ListResponseInvalid,
            format!("schemas containing {LIST_SCHEMA}"),
            format!("schemas {}", show(body.get("schemas"))),
        ));
    }
    let resources = match body.get("Resources") {
        // RFC 7644 §3.4.2 lets an empty page leave `Resources` out.
        None => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(other) => {
            return Err(Failure::new(
                Judgement::ListResponseInvalid,
                "\"Resources\" as an array",
                format!("\"Resources\": {}", excerpt(&other.to_string())),
            ));
        }
    };
    let total_results = integer(&body, "totalResults")?;
    let start_index = integer(&body, "startIndex")?;
    let items_per_page = integer(&body, "itemsPerPage")?;
    if items_per_page != resources.len() as u64 {
        return Err(Failure::new(
            Judgement::ItemsPerPageMismatch,
            format!(
                "\"itemsPerPage\": {} (the number of Resources returned)",
                resources.len()
            ),
            format!("\"itemsPerPage\": {items_per_page}"),
        ));
    }
    if let Some(count) = count
        && resources.len() as u64 > count
    {
        return Err(Failure::new(
            Judgement::PageTooLarge,
            format!("at most {count} Resources (the count asked for)"),
            format!("{} Resources", resources.len()),
        ));
    }
    Ok(Page {
        total_results,
        start_index,
        resources,
    })
}

fn integer(body: &Value, name: &str) -> Result<u64, Failure> {
    // `as_u64` is `None` for strings, floats and negatives alike: all are refused.
    body.get(name).and_then(Value::as_u64).ok_or_else(|| {
        Failure::new(
            Judgement::ListNumberNotInteger,
            format!("\"{name}\" as a JSON integer"),
            format!("\"{name}\": {}", show(body.get(name))),
        )
    })
}

/// The resource's `id`: a non-empty string (Okta stores it as the external id of the app user
/// and sends it back in every later URL).
pub fn id(resource: &Value) -> Result<String, Failure> {
    match resource.get("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        other => Err(Failure::new(
            Judgement::IdInvalid,
            "\"id\" as a non-empty string",
            format!("\"id\": {}", show(other)),
        )),
    }
}

/// The attribute at a dotted `path`; `emails[primary].value` reads the primary email's value,
/// and `urn:…:User:department` an extension's attribute (the URN has dots of its own).
pub fn attribute<'a>(resource: &'a Value, path: &str) -> Option<&'a Value> {
    if path.starts_with("urn:") {
        let (schema, name) = path.rsplit_once(':')?;
        return resource.get(schema)?.get(name);
    }
    if path == "emails[primary].value" {
        let emails = resource.get("emails")?.as_array()?;
        let primary = emails
            .iter()
            .find(|e| e.get("primary") == Some(&Value::Bool(true)))
            .or_else(|| emails.first())?;
        return primary.get("value");
    }
    path.split('.')
        .try_fold(resource, |value, key| value.get(key))
}

/// The attribute at `path` must equal `expected` (strings compared exactly: Okta compares
/// what it sent with what it reads back).
pub fn echoed(resource: &Value, path: &str, expected: &Value) -> Result<(), Failure> {
    let got = attribute(resource, path);
    if got == Some(expected) {
        return Ok(());
    }
    Err(Failure::new(
        Judgement::AttributeMismatch,
        format!("\"{path}\": {expected}"),
        format!("\"{path}\": {}", show(got)),
    ))
}

pub fn has_schema(body: &Value, schema: &str) -> bool {
    body.get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|v| v.as_str() == Some(schema)))
}

fn show(value: Option<&Value>) -> String {
    value.map_or_else(|| "(absent)".to_string(), |v| excerpt(&v.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    fn received(status: u16, body: &Value) -> Received {
        Received {
            status,
            body: body.to_string(),
            latency: Duration::ZERO,
        }
    }

    fn error_body(status: Value) -> Value {
        json!({"schemas": [ERROR_SCHEMA], "status": status, "detail": "no such user"})
    }

    #[test]
    fn accepts_error_with_schema_string_status_and_detail() {
        assert_eq!(
            scim_error(&received(404, &error_body(json!("404"))), 404),
            Ok(())
        );
    }

    #[test]
    fn rejects_error_status_as_number() {
        let failure = scim_error(&received(404, &error_body(json!(404))), 404).unwrap_err();
        assert_eq!(failure.code, "error_status_not_string");
    }

    #[test]
    fn rejects_error_without_schema() {
        let body = json!({"status": "404", "detail": "no such user"});
        let failure = scim_error(&received(404, &body), 404).unwrap_err();
        assert_eq!(failure.code, "error_schema_missing");
    }

    #[test]
    fn rejects_error_without_detail() {
        let body = json!({"schemas": [ERROR_SCHEMA], "status": "404"});
        let failure = scim_error(&received(404, &body), 404).unwrap_err();
        assert_eq!(failure.code, "error_detail_missing");
    }

    fn page(items_per_page: Value, resources: usize) -> Value {
        let resources: Vec<Value> = (0..resources)
            .map(|i| json!({"id": i.to_string()}))
            .collect();
        json!({"schemas": [LIST_SCHEMA], "totalResults": 5, "startIndex": 1,
               "itemsPerPage": items_per_page, "Resources": resources})
    }

    #[test]
    fn accepts_list_with_items_per_page_equal_to_returned() {
        let page = list(&received(200, &page(json!(2), 2)), Some(2)).unwrap();
        assert_eq!((page.total_results, page.resources.len()), (5, 2));
    }

    #[test]
    fn rejects_items_per_page_that_is_not_the_number_returned() {
        let failure = list(&received(200, &page(json!(100), 2)), Some(100)).unwrap_err();
        assert_eq!(failure.code, "items_per_page_mismatch");
    }

    #[test]
    fn rejects_list_numbers_as_strings() {
        let failure = list(&received(200, &page(json!("2"), 2)), Some(100)).unwrap_err();
        assert_eq!(failure.code, "list_number_not_integer");
    }

    #[test]
    fn rejects_more_resources_than_asked_for() {
        let failure = list(&received(200, &page(json!(3), 3)), Some(2)).unwrap_err();
        assert_eq!(failure.code, "page_too_large");
    }

    proptest::proptest! {
        /// A page is accepted iff its numbers are integers, `itemsPerPage` is the number of
        /// Resources returned and that number is within `count`; otherwise exactly the first
        /// broken rule's code comes back.
        #[test]
        fn list_accepts_a_page_iff_every_paging_rule_holds(
            returned in 0usize..6,
            items_per_page in 0u64..7,
            count in 0u64..7,
            as_string in proptest::bool::weighted(0.2),
        ) {
            let items = if as_string {
                json!(items_per_page.to_string())
            } else {
                json!(items_per_page)
            };
            let result = list(&received(200, &page(items, returned)), Some(count));
            let expected = if as_string {
                Err("list_number_not_integer")
            } else if items_per_page != returned as u64 {
                Err("items_per_page_mismatch")
            } else if returned as u64 > count {
                Err("page_too_large")
            } else {
                Ok(returned)
            };
            proptest::prop_assert_eq!(
                result.map(|p| p.resources.len()).map_err(|f| f.code),
                expected
            );
        }
    }

    #[test]
    fn id_must_be_a_non_empty_string() {
        assert_eq!(id(&json!({"id": "a1"})), Ok("a1".to_string()));
        for bad in [json!({"id": 7}), json!({"id": ""}), json!({})] {
            assert_eq!(id(&bad).unwrap_err().code, "id_invalid", "{bad}");
        }
    }

    #[test]
    fn terminal_escapes_from_the_server_are_not_printed() {
        assert_eq!(excerpt("ok\u{1b}[2Jgone"), "ok\u{FFFD}[2Jgone");
        assert_eq!(printable("a\n\tb\r"), "a\n\tb\u{FFFD}");
    }

    #[test]
    fn primary_email_is_read_from_the_primary_entry() {
        let user = json!({"emails": [{"value": "b@x", "primary": false}, {"value": "a@x", "primary": true}]});
        assert_eq!(
            echoed(&user, "emails[primary].value", &json!("a@x")),
            Ok(())
        );
        let failure = echoed(&user, "emails[primary].value", &json!("b@x")).unwrap_err();
        assert_eq!(failure.code, "attribute_mismatch");
    }
}
