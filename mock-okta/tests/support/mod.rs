//! A minimal in-memory SCIM 2.0 server written for these tests from RFC 7643/7644 and the
//! research notes (not from `sp`), and its deliberately wrong variants, each one [`Fault`].
//!
//! It serves only what Okta and Entra use: /Users and /Groups with `eq` filters, paging,
//! `excludedAttributes=members`, POST, GET, PUT, PATCH (with and without paths, value filters,
//! dotted and URN keys, any-case ops, `"True"`/`"False"`) and DELETE of groups.

#![allow(dead_code)] // each test file uses part of the support module

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const TOKEN: &str = "s3cret-token";
const PREFIX: &str = "/scim/v2";
const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// Seconds a rate-limited answer asks the client to wait.
pub const RETRY_AFTER: u64 = 7;

/// One way to be wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// `itemsPerPage` is the `count` asked for, not the number returned.
    ItemsPerPageIsCount,
    /// GET of a deactivated user answers 404.
    InactiveNotFound,
    /// Lists leave deactivated users out.
    InactiveUnlisted,
    /// A second POST of a userName answers 200 with the existing user instead of 409.
    DuplicateAccepted,
    /// Error bodies have no `schemas`.
    ErrorWithoutSchema,
    /// Error bodies carry `status` as a number.
    NumericErrorStatus,
    /// `userName eq` compares case-sensitively.
    CaseSensitiveUserName,
    /// `id` is a JSON number.
    NumericIds,
    /// The first GET and the first POST answer 429 with `Retry-After`.
    RateLimitedOnce,
    /// Every request answers 429 with `Retry-After`.
    RateLimitedAlways,
    /// POST /Users answers 500.
    CreateFails,
    /// Every answer takes this long.
    Slow(Duration),
    /// POST /Users answers 201 with an empty body.
    EmptyCreateBody,
    /// A path-less replace of `name` replaces the whole complex attribute (SCIM-SDK #327).
    PatchWipesSiblings,
    /// PATCH paths with a value filter (`emails[type eq "work"].value`) answer 200 and change
    /// nothing.
    FilteredPathIgnored,
    /// `"True"`/`"False"` for `active` are refused with 400 (strict servers, SCIMMY #51).
    StringBooleansRefused,
    /// Error details quote the Authorization header received.
    EchoesAuthorization,
    /// 404 answers carry 5 MiB of text.
    HugeNotFound,
}

#[derive(Default)]
struct Store {
    users: BTreeMap<u64, Value>,
    groups: BTreeMap<u64, Value>,
    next: u64,
    limited: Vec<Method>,
}

struct Shared {
    fault: Option<Fault>,
    store: Mutex<Store>,
}

/// A running server; its task ends with the test's runtime.
pub struct Server {
    pub base_url: String,
}

pub async fn start(fault: Option<Fault>) -> Server {
    let shared = Arc::new(Shared {
        fault,
        store: Mutex::new(Store::default()),
    });
    let app = Router::new().fallback(handle).with_state(shared);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    Server {
        base_url: format!("http://{addr}{PREFIX}"),
    }
}

type Answer = (StatusCode, Value);

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(Fault::Slow(delay)) = shared.fault {
        tokio::time::sleep(delay).await;
    }
    let fault = shared.fault;
    if matches!(
        fault,
        Some(Fault::RateLimitedOnce | Fault::RateLimitedAlways)
    ) {
        let mut store = shared.store.lock().expect("store");
        let first =
            (method == Method::GET || method == Method::POST) && !store.limited.contains(&method);
        if first || fault == Some(Fault::RateLimitedAlways) {
            store.limited.push(method.clone());
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, RETRY_AFTER.to_string())],
                "slow down",
            )
                .into_response();
        }
    }
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (status, body) = if authorization != format!("Bearer {TOKEN}") && authorization != TOKEN {
        error(
            fault,
            StatusCode::UNAUTHORIZED,
            None,
            "missing or wrong API token",
        )
    } else {
        let mut store = shared.store.lock().expect("store");
        route(fault, &mut store, &method, &uri, &body)
    };
    if status == StatusCode::NO_CONTENT {
        return status.into_response();
    }
    if fault == Some(Fault::HugeNotFound) && status == StatusCode::NOT_FOUND {
        return (status, "x".repeat(5 * 1024 * 1024)).into_response();
    }
    let mut body = body;
    if fault == Some(Fault::EchoesAuthorization) && status.is_client_error() {
        body["detail"] = json!(format!("rejected; Authorization was {authorization:?}"));
    }
    if fault == Some(Fault::EmptyCreateBody)
        && method == Method::POST
        && status == StatusCode::CREATED
    {
        return status.into_response();
    }
    let body = if fault == Some(Fault::NumericIds) {
        numeric_ids(body)
    } else {
        body
    };
    (
        status,
        [(header::CONTENT_TYPE, "application/scim+json")],
        body.to_string(),
    )
        .into_response()
}

fn route(
    fault: Option<Fault>,
    store: &mut Store,
    method: &Method,
    uri: &Uri,
    body: &[u8],
) -> Answer {
    let path = uri.path().strip_prefix(PREFIX).unwrap_or("");
    let query = decode_query(uri.query().unwrap_or(""));
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let id = segments.get(1).map(|s| parse_id(s));
    match (
        method.as_str(),
        segments.first().copied(),
        id,
        segments.len(),
    ) {
        ("GET", Some("Users"), None, 1) => list(fault, store, "Users", &query),
        ("GET", Some("Groups"), None, 1) => list(fault, store, "Groups", &query),
        ("POST", Some("Users"), None, 1) => create_user(fault, store, body),
        ("POST", Some("Groups"), None, 1) => create_group(fault, store, body),
        (_, Some(kind @ ("Users" | "Groups")), Some(id), 2) => {
            let Some(id) = id else {
                return not_found(fault, kind);
            };
            match (method.as_str(), kind) {
                ("GET", "Users") => get_user(fault, store, id),
                ("PUT", "Users") => put_user(fault, store, id, body),
                ("PATCH", "Users") => patch_user(fault, store, id, body),
                ("GET", "Groups") => get_group(fault, store, id, &query),
                ("PATCH", "Groups") => patch_group(fault, store, id, body),
                ("DELETE", "Groups") => match store.groups.remove(&id) {
                    Some(_) => (StatusCode::NO_CONTENT, Value::Null),
                    None => not_found(fault, "Groups"),
                },
                _ => error(
                    fault,
                    StatusCode::METHOD_NOT_ALLOWED,
                    None,
                    "method not supported",
                ),
            }
        }
        _ => error(fault, StatusCode::NOT_FOUND, None, "no such endpoint"),
    }
}

/// `u000012` → 12; anything else → None (a 404, never a panic).
fn parse_id(segment: &str) -> Option<u64> {
    segment
        .strip_prefix('u')
        .or_else(|| segment.strip_prefix('g'))
        .unwrap_or(segment)
        .parse()
        .ok()
        .filter(|_| segment.len() <= 12)
}

fn decode_query(query: &str) -> BTreeMap<String, String> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// application/x-www-form-urlencoded decoding: `+` is a space, `%XX` a byte.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn error(
    fault: Option<Fault>,
    status: StatusCode,
    scim_type: Option<&str>,
    detail: &str,
) -> Answer {
    let mut body = Map::new();
    if fault != Some(Fault::ErrorWithoutSchema) {
        body.insert("schemas".into(), json!([ERROR]));
    }
    let code = status.as_u16();
    body.insert(
        "status".into(),
        if fault == Some(Fault::NumericErrorStatus) {
            json!(code)
        } else {
            json!(code.to_string())
        },
    );
    if let Some(scim_type) = scim_type {
        body.insert("scimType".into(), json!(scim_type));
    }
    body.insert("detail".into(), json!(detail));
    (status, Value::Object(body))
}

fn not_found(fault: Option<Fault>, kind: &str) -> Answer {
    error(
        fault,
        StatusCode::NOT_FOUND,
        None,
        &format!("{kind} resource not found"),
    )
}

fn parse_body(fault: Option<Fault>, body: &[u8]) -> Result<Map<String, Value>, Answer> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(error(
            fault,
            StatusCode::BAD_REQUEST,
            Some("invalidSyntax"),
            "body must be a JSON object",
        )),
        Err(e) => Err(error(
            fault,
            StatusCode::BAD_REQUEST,
            Some("invalidSyntax"),
            &format!("body is not JSON: {e}"),
        )),
    }
}

/// A parsed `attribute eq "value"` filter: the only form Okta and Entra send.
fn parse_filter(filter: &str) -> Option<(String, String)> {
    let (attribute, rest) = filter.trim().split_once(' ')?;
    let (op, value) = rest.trim_start().split_once(' ')?;
    if !op.eq_ignore_ascii_case("eq") {
        return None;
    }
    let value = value.trim();
    let inner = value.strip_prefix('"')?.strip_suffix('"')?;
    if inner.contains('"') && !inner.contains("\\\"") {
        return None;
    }
    Some((attribute.to_string(), inner.replace("\\\"", "\"")))
}

fn list(
    fault: Option<Fault>,
    store: &Store,
    kind: &str,
    query: &BTreeMap<String, String>,
) -> Answer {
    let resources = if kind == "Users" {
        &store.users
    } else {
        &store.groups
    };
    let filter = match query.get("filter") {
        None => None,
        Some(f) => match parse_filter(f) {
            Some(parsed) => Some(parsed),
            None => {
                return error(
                    fault,
                    StatusCode::BAD_REQUEST,
                    Some("invalidFilter"),
                    &format!("cannot parse filter {f:?}"),
                );
            }
        },
    };
    let number = |name: &str, default: i64| -> Result<i64, Answer> {
        match query.get(name) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| {
                error(
                    fault,
                    StatusCode::BAD_REQUEST,
                    Some("invalidValue"),
                    &format!("{name} must be an integer"),
                )
            }),
        }
    };
    let (start, count) = match (number("startIndex", 1), number("count", 100)) {
        (Ok(s), Ok(c)) => (s.max(1) as usize, c.clamp(0, 1000) as usize),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let mut matching = Vec::new();
    for resource in resources.values() {
        if fault == Some(Fault::InactiveUnlisted) && resource["active"] == json!(false) {
            continue;
        }
        if let Some((attribute, value)) = &filter {
            let got = resource.get(attribute.as_str()).and_then(Value::as_str);
            let Some(got) = got else { continue };
            let case_exact = attribute == "externalId"
                || attribute == "id"
                || (attribute == "userName" && fault == Some(Fault::CaseSensitiveUserName));
            let hit = if case_exact {
                got == value
            } else {
                got.eq_ignore_ascii_case(value)
            };
            if !hit {
                continue;
            }
        }
        matching.push(resource.clone());
    }
    let total = matching.len();
    let mut page: Vec<Value> = matching.into_iter().skip(start - 1).take(count).collect();
    if query
        .get("excludedAttributes")
        .is_some_and(|a| a.eq_ignore_ascii_case("members"))
    {
        for group in &mut page {
            if let Value::Object(g) = group {
                g.remove("members");
            }
        }
    }
    let items = if fault == Some(Fault::ItemsPerPageIsCount) {
        count
    } else {
        page.len()
    };
    (
        StatusCode::OK,
        json!({"schemas": [LIST], "totalResults": total, "startIndex": start,
               "itemsPerPage": items, "Resources": page}),
    )
}

fn meta(kind: &str, id: &str) -> Value {
    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format time");
    json!({"resourceType": kind, "created": now, "lastModified": now,
           "location": format!("https://scim.example{PREFIX}/{kind}s/{id}")})
}

fn user_name_taken(store: &Store, user_name: &str, except: Option<u64>) -> Option<u64> {
    store.users.iter().find_map(|(id, u)| {
        let same = u["userName"]
            .as_str()
            .is_some_and(|n| n.eq_ignore_ascii_case(user_name));
        (same && Some(*id) != except).then_some(*id)
    })
}

fn user_name(fault: Option<Fault>, body: &Map<String, Value>) -> Result<String, Answer> {
    match body.get("userName") {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        _ => Err(error(
            fault,
            StatusCode::BAD_REQUEST,
            Some("invalidValue"),
            "userName is required",
        )),
    }
}

fn create_user(fault: Option<Fault>, store: &mut Store, body: &[u8]) -> Answer {
    let mut user = match parse_body(fault, body) {
        Ok(user) => user,
        Err(answer) => return answer,
    };
    let name = match user_name(fault, &user) {
        Ok(name) => name,
        Err(answer) => return answer,
    };
    if fault == Some(Fault::CreateFails) {
        return error(
            fault,
            StatusCode::INTERNAL_SERVER_ERROR,
            None,
            "database unavailable",
        );
    }
    if let Some(existing) = user_name_taken(store, &name, None) {
        if fault == Some(Fault::DuplicateAccepted) {
            return (StatusCode::OK, store.users[&existing].clone());
        }
        return error(
            fault,
            StatusCode::CONFLICT,
            Some("uniqueness"),
            "userName is already taken",
        );
    }
    store.next += 1;
    let id = format!("u{:06}", store.next);
    user.remove("password");
    user.remove("meta");
    user.insert("id".into(), json!(id));
    user.entry("active").or_insert(json!(true));
    user.insert("groups".into(), json!([]));
    user.insert("meta".into(), meta("User", &id));
    let user = Value::Object(user);
    store.users.insert(store.next, user.clone());
    (StatusCode::CREATED, user)
}

fn get_user(fault: Option<Fault>, store: &Store, id: u64) -> Answer {
    match store.users.get(&id) {
        Some(user) if fault == Some(Fault::InactiveNotFound) && user["active"] == json!(false) => {
            not_found(fault, "Users")
        }
        Some(user) => (StatusCode::OK, user.clone()),
        None => not_found(fault, "Users"),
    }
}

fn put_user(fault: Option<Fault>, store: &mut Store, id: u64, body: &[u8]) -> Answer {
    let Some(current) = store.users.get(&id).cloned() else {
        return not_found(fault, "Users");
    };
    let mut user = match parse_body(fault, body) {
        Ok(user) => user,
        Err(answer) => return answer,
    };
    let name = match user_name(fault, &user) {
        Ok(name) => name,
        Err(answer) => return answer,
    };
    if user_name_taken(store, &name, Some(id)).is_some() {
        return error(
            fault,
            StatusCode::CONFLICT,
            Some("uniqueness"),
            "userName is already taken",
        );
    }
    // Read-only attributes echoed by the client are ignored (RFC 7644 §3.5.1).
    user.remove("password");
    for read_only in ["id", "meta", "groups"] {
        user.insert(read_only.into(), current[read_only].clone());
    }
    if let Err(answer) = normalise_active(fault, &mut user) {
        return answer;
    }
    let user = Value::Object(user);
    store.users.insert(id, user.clone());
    (StatusCode::OK, user)
}

/// Entra's `"True"`/`"False"` strings become booleans; any other non-boolean is refused.
fn normalise_active(fault: Option<Fault>, user: &mut Map<String, Value>) -> Result<(), Answer> {
    let active = match user.get("active") {
        None | Some(Value::Bool(_)) => return Ok(()),
        Some(Value::String(_)) if fault == Some(Fault::StringBooleansRefused) => None,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Some(true),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Some(false),
        Some(_) => None,
    };
    let Some(active) = active else {
        let got = user.get("active").map(Value::to_string).unwrap_or_default();
        return Err(error(
            fault,
            StatusCode::BAD_REQUEST,
            Some("invalidValue"),
            &format!("active must be a boolean, got {got}"),
        ));
    };
    user.insert("active".into(), json!(active));
    Ok(())
}

struct Op {
    op: String,
    path: Option<String>,
    value: Option<Value>,
}

fn operations(fault: Option<Fault>, body: &[u8]) -> Result<Vec<Op>, Answer> {
    let body = parse_body(fault, body)?;
    let bad = |detail: &str| {
        error(
            fault,
            StatusCode::BAD_REQUEST,
            Some("invalidSyntax"),
            detail,
        )
    };
    let Some(Value::Array(ops)) = body.get("Operations") else {
        return Err(bad("Operations must be an array"));
    };
    ops.iter()
        .map(|op| {
            let name = op
                .get("op")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase);
            let Some(name) = name.filter(|n| ["add", "replace", "remove"].contains(&n.as_str()))
            else {
                return Err(bad("op must be add, replace or remove"));
            };
            Ok(Op {
                op: name,
                path: op.get("path").and_then(Value::as_str).map(str::to_string),
                value: op.get("value").cloned(),
            })
        })
        .collect()
}

fn patch_user(fault: Option<Fault>, store: &mut Store, id: u64, body: &[u8]) -> Answer {
    let Some(Value::Object(mut user)) = store.users.get(&id).cloned() else {
        return not_found(fault, "Users");
    };
    let ops = match operations(fault, body) {
        Ok(ops) => ops,
        Err(answer) => return answer,
    };
    let invalid_path =
        |detail: &str| error(fault, StatusCode::BAD_REQUEST, Some("invalidPath"), detail);
    for op in ops {
        match (op.op.as_str(), op.path.as_deref(), op.value) {
            ("add" | "replace", None, Some(Value::Object(values))) => {
                for (key, value) in values {
                    set_attribute(fault, &mut user, &key, value);
                }
            }
            ("add" | "replace", Some(path), Some(value)) => {
                if fault == Some(Fault::FilteredPathIgnored) && path.contains('[') {
                    continue;
                }
                if let Some((attribute, filter, sub)) = value_path(path) {
                    let Some((fattr, fvalue)) = parse_filter(filter) else {
                        return invalid_path(&format!("cannot parse filter in {path:?}"));
                    };
                    let Some(Value::Array(items)) = user.get_mut(attribute) else {
                        return error(
                            fault,
                            StatusCode::BAD_REQUEST,
                            Some("noTarget"),
                            &format!("{attribute} is empty"),
                        );
                    };
                    let target = items.iter_mut().find(|i| {
                        i.get(&fattr)
                            .and_then(Value::as_str)
                            .is_some_and(|v| v.eq_ignore_ascii_case(&fvalue))
                    });
                    let Some(Value::Object(target)) = target else {
                        return error(
                            fault,
                            StatusCode::BAD_REQUEST,
                            Some("noTarget"),
                            &format!("no {attribute} matches {filter:?}"),
                        );
                    };
                    match sub {
                        Some(sub) => {
                            target.insert(sub.to_string(), value);
                        }
                        None => return invalid_path("a value filter needs a sub-attribute here"),
                    }
                } else {
                    set_attribute(fault, &mut user, path, value);
                }
            }
            ("remove", Some(path), None) if !path.contains('[') => {
                user.remove(path);
            }
            _ => return invalid_path("unsupported PATCH operation"),
        }
    }
    if let Err(answer) = normalise_active(fault, &mut user) {
        return answer;
    }
    let user = Value::Object(user);
    store.users.insert(id, user.clone());
    (StatusCode::OK, user)
}

/// `emails[type eq "work"].value` → (`emails`, `type eq "work"`, Some(`value`)).
fn value_path(path: &str) -> Option<(&str, &str, Option<&str>)> {
    let (attribute, rest) = path.split_once('[')?;
    let (filter, rest) = rest.split_once(']')?;
    Some((attribute, filter, rest.strip_prefix('.')))
}

/// Sets one attribute from a path-less PATCH key: core-URN prefixes dropped, enterprise URN
/// keys into the extension, dotted keys into sub-attributes, complex values merged.
fn set_attribute(fault: Option<Fault>, user: &mut Map<String, Value>, key: &str, value: Value) {
    let key = key.strip_prefix(&format!("{USER}:")).unwrap_or(key);
    if let Some(name) = key.strip_prefix(&format!("{ENTERPRISE}:")) {
        let extension = user.entry(ENTERPRISE).or_insert_with(|| json!({}));
        if let Value::Object(extension) = extension {
            extension.insert(name.to_string(), value);
        }
        return;
    }
    if let Some((parent, sub)) = key.split_once('.') {
        let parent = user.entry(parent).or_insert_with(|| json!({}));
        if let Value::Object(parent) = parent {
            parent.insert(sub.to_string(), value);
        }
        return;
    }
    match (user.get_mut(key), value) {
        // RFC 7644 §3.5.2.3: sub-attributes not named are left unchanged.
        (Some(Value::Object(current)), Value::Object(values))
            if fault != Some(Fault::PatchWipesSiblings) =>
        {
            current.extend(values);
        }
        (_, value) => {
            user.insert(key.to_string(), value);
        }
    }
}

fn create_group(fault: Option<Fault>, store: &mut Store, body: &[u8]) -> Answer {
    let mut group = match parse_body(fault, body) {
        Ok(group) => group,
        Err(answer) => return answer,
    };
    let Some(name) = group
        .get("displayName")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return error(
            fault,
            StatusCode::BAD_REQUEST,
            Some("invalidValue"),
            "displayName is required",
        );
    };
    let taken = store.groups.values().any(|g| {
        g["displayName"]
            .as_str()
            .is_some_and(|n| n.eq_ignore_ascii_case(&name))
    });
    if taken {
        return error(
            fault,
            StatusCode::CONFLICT,
            Some("uniqueness"),
            "displayName is already taken",
        );
    }
    store.next += 1;
    let id = format!("g{:06}", store.next);
    group.insert("id".into(), json!(id));
    group.entry("members").or_insert(json!([]));
    group.insert("schemas".into(), json!([GROUP]));
    group.insert("meta".into(), meta("Group", &id));
    let group = Value::Object(group);
    store.groups.insert(store.next, group.clone());
    (StatusCode::CREATED, group)
}

fn get_group(
    fault: Option<Fault>,
    store: &Store,
    id: u64,
    query: &BTreeMap<String, String>,
) -> Answer {
    let Some(mut group) = store.groups.get(&id).cloned() else {
        return not_found(fault, "Groups");
    };
    if query
        .get("excludedAttributes")
        .is_some_and(|a| a.eq_ignore_ascii_case("members"))
        && let Value::Object(g) = &mut group
    {
        g.remove("members");
    }
    (StatusCode::OK, group)
}

fn patch_group(fault: Option<Fault>, store: &mut Store, id: u64, body: &[u8]) -> Answer {
    let Some(Value::Object(mut group)) = store.groups.get(&id).cloned() else {
        return not_found(fault, "Groups");
    };
    let ops = match operations(fault, body) {
        Ok(ops) => ops,
        Err(answer) => return answer,
    };
    let invalid = |detail: &str| error(fault, StatusCode::BAD_REQUEST, Some("invalidPath"), detail);
    let mut members: Vec<Value> = group
        .get("members")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let value_of = |m: &Value| m.get("value").and_then(Value::as_str).map(str::to_string);
    for op in ops {
        match (op.op.as_str(), op.path.as_deref(), op.value) {
            ("add", Some("members"), Some(Value::Array(added))) => {
                for member in added {
                    if !members.iter().any(|m| value_of(m) == value_of(&member)) {
                        members.push(member);
                    }
                }
            }
            ("replace", Some("members"), Some(Value::Array(all))) => members = all,
            ("remove", Some("members"), Some(Value::Array(removed))) => {
                members.retain(|m| !removed.iter().any(|r| value_of(r) == value_of(m)));
            }
            ("remove", Some("members"), None) => members.clear(),
            ("remove", Some(path), None) if path.starts_with("members[") => {
                let Some((_, filter, None)) = value_path(path) else {
                    return invalid(&format!("unsupported path {path:?}"));
                };
                let Some((_, value)) = parse_filter(filter).filter(|(a, _)| a == "value") else {
                    return invalid(&format!("unsupported filter {filter:?}"));
                };
                members.retain(|m| value_of(m).as_deref() != Some(value.as_str()));
            }
            ("replace", Some("displayName"), Some(Value::String(name))) => {
                group.insert("displayName".into(), json!(name));
            }
            ("replace", None, Some(Value::Object(values))) => {
                // Okta sends the id along with the new name; it is read-only and ignored.
                if let Some(name) = values.get("displayName") {
                    group.insert("displayName".into(), name.clone());
                }
                if let Some(Value::Array(all)) = values.get("members") {
                    members = all.clone();
                }
            }
            _ => return invalid("unsupported PATCH operation"),
        }
    }
    group.insert("members".into(), Value::Array(members));
    store.groups.insert(id, Value::Object(group));
    (StatusCode::NO_CONTENT, Value::Null)
}

/// The `NumericIds` fault: every `"id": "u000001"` becomes `"id": 1`.
fn numeric_ids(mut body: Value) -> Value {
    fn fix(value: &mut Value) {
        if let Some(id) = value.get("id").and_then(Value::as_str).and_then(parse_id) {
            value["id"] = json!(id);
        }
        if let Some(Value::Array(items)) = value.get_mut("Resources") {
            items.iter_mut().for_each(fix);
        }
    }
    fix(&mut body);
    body
}
