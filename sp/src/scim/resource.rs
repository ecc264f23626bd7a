//! What Users and Groups share: case-insensitive attribute access, `meta`, ETags and
//! `If-Match`, list parameters and ListResponse, `attributes`/`excludedAttributes`.

use axum::http::{HeaderMap, header};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::filter::{Filter, parse_filter};
use super::{DEFAULT_COUNT, MAX_COUNT, ScimError};
use crate::model::Id;
use crate::store::{Store, StoreError};
use crate::web::AppState;

pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// The value of `key` in `object`, compared case-insensitively (RFC 7643 §2.1: attribute names
/// are case-insensitive).
pub fn get_ci<'v>(object: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    object
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// The key of `object` equal to `key` case-insensitively, as spelled there.
pub fn key_ci(object: &Map<String, Value>, key: &str) -> Option<String> {
    object.keys().find(|k| k.eq_ignore_ascii_case(key)).cloned()
}

/// A weak ETag of a version.
pub fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

/// Whether an `If-Match` header (absent: yes) admits `version`.
pub fn if_match(
    headers: &HeaderMap,
    resource: &'static str,
    version: i64,
) -> Result<(), ScimError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(());
    };
    let text = value.to_str().unwrap_or("");
    let matches = text.split(',').map(str::trim).any(|tag| {
        tag == "*" || tag.trim_start_matches("W/").trim_matches('"') == version.to_string()
    });
    if matches {
        Ok(())
    } else {
        Err(ScimError::PreconditionFailed {
            resource,
            expected: text.to_owned(),
        })
    }
}

/// Whether the request names a version with `If-Match` (then a concurrent change is a 412, not
/// a retry).
pub fn has_if_match(headers: &HeaderMap) -> bool {
    headers.contains_key(header::IF_MATCH)
}

/// How often a PUT or PATCH re-reads after a concurrent write changed the resource.
pub const WRITE_ATTEMPTS: usize = 20;

/// A SCIM resource as PUT and PATCH write it: read by id, and updated only over the version it
/// was read at (its ETag).
pub trait Versioned: Sized + Send + Sync {
    /// `User` or `Group`, as errors name it.
    const RESOURCE: &'static str;
    /// The attributes a write sets.
    type Fields: Sync;
    fn version(&self) -> i64;
    fn read(
        store: &Store,
        team: &Id,
        id: &Id,
    ) -> impl Future<Output = Result<Option<Self>, StoreError>> + Send;
    /// `None` when the stored version is no longer `expected_version`.
    fn update(
        store: &Store,
        team: &Id,
        id: &Id,
        expected_version: i64,
        fields: &Self::Fields,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Option<Self>, StoreError>> + Send;
    /// Deletes the resource (only at `version` when given); whether a row went.
    fn delete(
        store: &Store,
        team: &Id,
        id: &Id,
        version: Option<i64>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// The write half of PUT and PATCH: reads the team's resource `id`, checks `If-Match`, and
/// writes what `compute` makes of it, guarded by the version it read. When a concurrent write
/// got in between, it reads and computes again, so no update is lost; with `If-Match` that is a
/// 412 instead.
pub async fn write_guarded<R: Versioned>(
    app: &AppState,
    team: &Id,
    id: &str,
    headers: &HeaderMap,
    compute: impl Fn(&R) -> Result<R::Fields, ScimError> + Sync,
) -> Result<R, ScimError> {
    let resource = R::RESOURCE;
    let store_error = |e| ScimError::from_store(resource, e);
    let key = Id(id.to_owned());
    for _ in 0..WRITE_ATTEMPTS {
        let current = R::read(&app.store, team, &key)
            .await
            .map_err(store_error)?
            .ok_or_else(|| ScimError::NotFound {
                resource,
                id: id.to_owned(),
            })?;
        if_match(headers, resource, current.version())?;
        let fields = compute(&current)?;
        let written = R::update(
            &app.store,
            team,
            &key,
            current.version(),
            &fields,
            app.clock.now(),
        )
        .await
        .map_err(store_error)?;
        if let Some(written) = written {
            return Ok(written);
        }
        if has_if_match(headers) {
            return Err(ScimError::PreconditionFailed {
                resource,
                expected: etag(current.version()),
            });
        }
    }
    tracing::error!(
        resource,
        id,
        "SCIM write gave up after {WRITE_ATTEMPTS} concurrent changes"
    );
    Err(ScimError::Internal)
}

/// DELETE of the team's resource `id`. With `If-Match` the delete is guarded by the version that
/// matched, so a change in between is a 412, not a deleted newer version.
pub async fn delete_guarded<R: Versioned>(
    app: &AppState,
    team: &Id,
    id: &str,
    headers: &HeaderMap,
) -> Result<(), ScimError> {
    let resource = R::RESOURCE;
    let store_error = |e| ScimError::from_store(resource, e);
    let not_found = || ScimError::NotFound {
        resource,
        id: id.to_owned(),
    };
    let key = Id(id.to_owned());
    let version = if has_if_match(headers) {
        let current = R::read(&app.store, team, &key)
            .await
            .map_err(store_error)?
            .ok_or_else(not_found)?;
        if_match(headers, resource, current.version())?;
        Some(current.version())
    } else {
        None
    };
    let deleted = R::delete(&app.store, team, &key, version)
        .await
        .map_err(store_error)?;
    match (deleted, version) {
        (true, _) => Ok(()),
        (false, None) => Err(not_found()),
        (false, Some(v)) => Err(ScimError::PreconditionFailed {
            resource,
            expected: etag(v),
        }),
    }
}

/// A PUT body's `id`: Okta sends the whole object back, so the resource's own id is ignored,
/// while an id naming another resource is a change of a read-only attribute.
pub fn check_put_id(body: &Value, id: &str) -> Result<(), ScimError> {
    match body.as_object().and_then(|o| get_ci(o, "id")) {
        Some(sent) if sent.as_str() != Some(id) => Err(ScimError::Mutability {
            attribute: "id".into(),
            kind: "readOnly",
        }),
        _ => Ok(()),
    }
}

pub fn instant(t: OffsetDateTime) -> String {
    // A stored time is whole seconds in UTC, which RFC 3339 always formats.
    t.format(&Rfc3339).unwrap_or_default()
}

pub fn meta(
    resource_type: &str,
    created: OffsetDateTime,
    modified: OffsetDateTime,
    location: &str,
    version: i64,
) -> Value {
    json!({
        "resourceType": resource_type,
        "created": instant(created),
        "lastModified": instant(modified),
        "location": location,
        "version": etag(version),
    })
}

/// The absolute URL of `/scim/v2/{path}` under the SP's public base URL.
pub fn location(base_url: &str, path: &str) -> String {
    format!("{}/scim/v2/{path}", base_url.trim_end_matches('/'))
}

/// The query of a list request.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    pub filter: Option<Filter>,
    /// 1-based.
    pub start_index: u64,
    pub count: u64,
    pub projection: Projection,
}

/// Which attributes to return: each path as its attribute names, outermost first
/// (`name.givenName` is `["name", "givenName"]`; an extension's attribute is under its URN:
/// `urn:…:enterprise:2.0:User:manager.value` is `[URN, "manager", "value"]`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Projection {
    pub attributes: Vec<Vec<String>>,
    pub excluded: Vec<Vec<String>>,
}

/// The schema extensions whose attributes a resource keeps under the extension's URN.
const EXTENSIONS: &[&str] = &[super::sql::ENTERPRISE_SCHEMA];

/// One `attributes`/`excludedAttributes` path as attribute names. A core schema's URN prefix
/// is dropped; an extension's URN is the first name.
fn projection_path(path: &str) -> Vec<String> {
    let split = |p: &str| p.split('.').map(str::to_owned).collect::<Vec<_>>();
    if !path
        .get(..4)
        .is_some_and(|s| s.eq_ignore_ascii_case("urn:"))
    {
        return split(path);
    }
    for urn in EXTENSIONS {
        let Some(head) = path.get(..urn.len()) else {
            continue;
        };
        if !head.eq_ignore_ascii_case(urn) {
            continue;
        }
        let rest = &path[urn.len()..];
        if rest.is_empty() {
            return vec![(*urn).to_owned()];
        }
        if let Some(attr) = rest.strip_prefix(':') {
            let mut out = vec![(*urn).to_owned()];
            out.extend(split(attr));
            return out;
        }
    }
    split(path.rsplit(':').next().unwrap_or(path))
}

impl Projection {
    /// From `attributes` and `excludedAttributes` query values (comma-separated paths).
    pub fn parse(attributes: Option<&str>, excluded: Option<&str>) -> Projection {
        let list = |s: Option<&str>| -> Vec<Vec<String>> {
            s.unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(projection_path)
                .collect()
        };
        Projection {
            attributes: list(attributes),
            excluded: list(excluded),
        }
    }

    /// Whether the top-level attribute `name` is returned at all.
    pub fn includes(&self, name: &str) -> bool {
        let top = |p: &Vec<String>| p.first().is_some_and(|t| t.eq_ignore_ascii_case(name));
        if !self.attributes.is_empty() {
            return self.attributes.iter().any(top);
        }
        !self.excluded.iter().any(|p| p.len() == 1 && top(p))
    }

    /// Applies the projection to a resource. `id` and `schemas` are always returned
    /// (RFC 7643 `returned: always`).
    pub fn apply(&self, resource: Value) -> Value {
        let Value::Object(full) = resource else {
            return resource;
        };
        let always = |k: &str| k == "id" || k == "schemas";
        if self.attributes.is_empty() {
            let mut out = full;
            for path in &self.excluded {
                remove_path(&mut out, path, &always);
            }
            return Value::Object(out);
        }
        let mut out = Map::new();
        for (k, v) in &full {
            if always(k) {
                out.insert(k.clone(), v.clone());
            }
        }
        let full = Value::Object(full);
        for path in &self.attributes {
            if let Some(Value::Object(picked)) = pick(&full, path) {
                merge(&mut out, picked);
            }
        }
        Value::Object(out)
    }
}

/// The part of `value` that `path` names, in its place (`{"name": {"givenName": …}}`); for
/// a multi-valued attribute, that part of each element that has it.
fn pick(value: &Value, path: &[String]) -> Option<Value> {
    let Some((first, rest)) = path.split_first() else {
        return Some(value.clone());
    };
    match value {
        Value::Object(object) => {
            let key = key_ci(object, first)?;
            let inner = pick(&object[&key], rest)?;
            let mut out = Map::new();
            out.insert(key, inner);
            Some(Value::Object(out))
        }
        Value::Array(items) => Some(Value::Array(
            items.iter().filter_map(|item| pick(item, path)).collect(),
        )),
        _ => None,
    }
}

/// Adds what [`pick`] returned to `target`, merging objects (`name.givenName` and
/// `name.familyName` both land in one `name`).
fn merge(target: &mut Map<String, Value>, picked: Map<String, Value>) {
    for (key, value) in picked {
        match (target.get_mut(&key), value) {
            (Some(Value::Object(existing)), Value::Object(more)) => merge(existing, more),
            (_, value) => {
                target.insert(key, value);
            }
        }
    }
}

fn remove_path(object: &mut Map<String, Value>, path: &[String], always: &dyn Fn(&str) -> bool) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let Some(key) = key_ci(object, first) else {
        return;
    };
    if always(&key) {
        return;
    }
    if rest.is_empty() {
        object.remove(&key);
        return;
    }
    let never = |_: &str| false;
    match object.get_mut(&key) {
        Some(Value::Object(inner)) => {
            remove_path(inner, rest, &never);
            if inner.is_empty() {
                object.remove(&key);
            }
        }
        Some(Value::Array(items)) => {
            for item in items.iter_mut() {
                if let Value::Object(inner) = item {
                    remove_path(inner, rest, &never);
                }
            }
        }
        _ => {}
    }
}

/// Reads a list request's query string (`+` and `%20` are spaces). Parameter names are
/// matched case-insensitively. RFC 7644 §3.4.2.4: `startIndex` below 1 is 1, `count` below 0
/// is 0; `count` above [`MAX_COUNT`] is capped.
pub fn list_query(raw: Option<&str>) -> Result<ListQuery, ScimError> {
    let mut filter = None;
    let mut start_index = 1u64;
    let mut count = DEFAULT_COUNT;
    let (mut attributes, mut excluded) = (None, None);
    for (name, value) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        let integer = |what: &str| -> Result<i64, ScimError> {
            value
                .trim()
                .parse::<i64>()
                .map_err(|_| ScimError::invalid_value(what, format!("{value:?} is not an integer")))
        };
        match name.to_ascii_lowercase().as_str() {
            "filter" => {
                let parsed = parse_filter(&value).map_err(|e| ScimError::InvalidFilter {
                    position: e.position,
                    reason: e.reason,
                })?;
                filter = Some(parsed);
            }
            "startindex" => start_index = u64::try_from(integer("startIndex")?.max(1)).unwrap_or(1),
            "count" => {
                count = u64::try_from(integer("count")?.max(0))
                    .unwrap_or(0)
                    .min(MAX_COUNT);
            }
            "attributes" => attributes = Some(value.into_owned()),
            "excludedattributes" => excluded = Some(value.into_owned()),
            // sortBy/sortOrder are not supported (advertised so); other parameters are ignored.
            _ => {}
        }
    }
    Ok(ListQuery {
        filter,
        start_index,
        count,
        projection: Projection::parse(attributes.as_deref(), excluded.as_deref()),
    })
}

/// A ListResponse: `itemsPerPage` is the number of resources returned.
pub fn list_response(total: u64, start_index: u64, resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_parameters_are_clamped_as_rfc_7644_says() {
        let q = list_query(Some("startIndex=0&count=-5")).expect("parses");
        assert_eq!((q.start_index, q.count), (1, 0));
        let q = list_query(Some("StartIndex=7&COUNT=100000")).expect("parses");
        assert_eq!((q.start_index, q.count), (7, MAX_COUNT));
        let q = list_query(None).expect("parses");
        assert_eq!((q.start_index, q.count), (1, DEFAULT_COUNT));
        let err = list_query(Some("count=ten")).expect_err("not a number");
        assert_eq!(err.scim_type(), Some("invalidValue"));
    }

    #[test]
    fn plus_and_percent_20_are_spaces_in_filters() {
        let a = list_query(Some("filter=userName+eq+%22a%40b.c%22")).expect("parses");
        let b = list_query(Some("filter=userName%20eq%20%22a%40b.c%22")).expect("parses");
        assert_eq!(a.filter, b.filter);
        assert!(a.filter.is_some());
    }

    #[test]
    fn malformed_filter_names_the_position() {
        let err = list_query(Some("filter=userName+eq")).expect_err("malformed");
        assert_eq!(err.scim_type(), Some("invalidFilter"));
        assert!(err.to_string().contains("position 12"), "{err}");
    }

    #[test]
    fn projection_keeps_id_and_schemas() {
        let user = json!({"schemas": ["s"], "id": "1", "userName": "a", "name": {"givenName": "A", "familyName": "B"}, "emails": [{"value": "a", "type": "work"}]});
        let p = Projection::parse(Some("name.givenName,EMAILS.value"), None);
        assert_eq!(
            p.apply(user.clone()),
            json!({"schemas": ["s"], "id": "1", "name": {"givenName": "A"}, "emails": [{"value": "a"}]})
        );
        let p = Projection::parse(None, Some("emails,name.familyName,id"));
        assert_eq!(
            p.apply(user),
            json!({"schemas": ["s"], "id": "1", "userName": "a", "name": {"givenName": "A"}})
        );
    }

    #[test]
    fn projection_reaches_into_extensions_by_their_urn() {
        let ent = crate::scim::sql::ENTERPRISE_SCHEMA;
        let user = json!({"schemas": ["s"], "id": "1", "userName": "a",
            ent: {"department": "D", "manager": {"value": "m", "displayName": "M"}}});
        let p = Projection::parse(Some(&format!("{ent}:manager.value")), None);
        assert_eq!(
            p.apply(user.clone()),
            json!({"schemas": ["s"], "id": "1", ent: {"manager": {"value": "m"}}})
        );
        let p = Projection::parse(Some(&format!("{ent}:department,{ent}:manager")), None);
        assert_eq!(
            p.apply(user.clone()),
            json!({"schemas": ["s"], "id": "1", ent: {"department": "D", "manager": {"value": "m", "displayName": "M"}}})
        );
        let p = Projection::parse(None, Some(&format!("{ent}:department,{ent}:manager")));
        assert_eq!(
            p.apply(user.clone()),
            json!({"schemas": ["s"], "id": "1", "userName": "a"})
        );
        let p = Projection::parse(None, Some(&ent.to_uppercase()));
        assert_eq!(
            p.apply(user),
            json!({"schemas": ["s"], "id": "1", "userName": "a"})
        );
    }
}
