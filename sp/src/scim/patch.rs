//! PATCH (RFC 7644 §3.5.2) in two phases: every operation is read and checked into a typed
//! [`Op`] first (op in any case, path parsed, value present where needed), then the ops are
//! applied in order to a copy of the resource's JSON. The caller parses the result with the same
//! code as a PUT body, so a PATCH can produce nothing a PUT could not, and writes it once.
//!
//! What clients send, and how it is read:
//! - `"op": "Replace"` (Entra) is `replace`.
//! - No path, a value object: each key is a path, so nested objects (`{"name": {"givenName":
//!   …}}`), dotted keys (`"name.givenName"`) and URN-prefixed keys all work; read-only keys in
//!   it (`id`, `meta`, as Okta sends in a group rename) are ignored.
//! - A complex attribute (`name`) is merged, never replaced whole: replacing `name.givenName`
//!   leaves `name.familyName`.
//! - Filtered paths (`emails[type eq "work"].value`, `members[value eq "…"]`). A replace whose
//!   filter matches nothing adds an element built from the filter's `eq` terms (Entra's way of
//!   setting a work email the user did not have yet); a remove whose filter matches nothing
//!   changes nothing (removing an absent group member is not an error for Okta).
//! - `remove` without a path is 400 `noTarget` (§3.5.2.2); `remove` of `members` with a value
//!   list removes those members (Entra).
//! - Extension attributes by URN-prefixed path (`urn:…:enterprise:2.0:User:department`,
//!   `…:User:manager.value`) or under the extension's URN key (`{"urn:…:enterprise:2.0:User":
//!   {"department": …}}`, merged like `name`); `remove` of the bare URN removes the extension.
//! - A complex attribute with a `value` sub-attribute given a plain string sets that `value`:
//!   Entra adds `…:manager` as the manager's id. A `null` value removes the attribute.
//! - A path naming an attribute this server does not keep (an unknown extension, `nickName`) is
//!   ignored, as unknown attributes are in POST and PUT; a path naming a read-only one is
//!   `mutability`.

use serde_json::{Map, Value};

use super::ScimError;
use super::filter::{CompareOp, Filter, Literal, PathExpr, parse_path};
use super::resource::{get_ci, key_ci};
use crate::model::case_key;

pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// Most operations in one PATCH.
pub const MAX_OPERATIONS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Add,
    Replace,
    Remove,
}

/// One checked operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Op {
    pub kind: OpKind,
    pub path: Option<PathExpr>,
    pub value: Option<Value>,
}

/// The shape of a top-level attribute, for applying operations to it.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    Simple,
    /// A single complex attribute and its sub-attributes' canonical spellings.
    Complex(&'static [&'static str]),
    /// A multi-valued complex attribute; whether its `value` sub-attribute is case-exact.
    Multi {
        value_case_exact: bool,
    },
    /// Set by the server only (`id`, `meta`, `groups`, `schemas`).
    ReadOnly,
}

/// The attributes of a resource type that PATCH may reach.
pub struct PatchSchema {
    pub uri: &'static str,
    pub attributes: &'static [(&'static str, Shape)],
    /// Schema extensions: each URN, the object kept under it in the resource, and its
    /// attributes.
    pub extensions: &'static [(&'static str, &'static [(&'static str, Shape)])],
}

/// Reads and checks the body's operations (phase one).
pub fn parse_ops(body: &Value) -> Result<Vec<Op>, ScimError> {
    let syntax = |m: &str| ScimError::InvalidSyntax(m.to_owned());
    let object = body
        .as_object()
        .ok_or_else(|| syntax("a PATCH body is a JSON object"))?;
    let ops = get_ci(object, "Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| syntax("\"Operations\" must be an array of operations"))?;
    if ops.is_empty() || ops.len() > MAX_OPERATIONS {
        return Err(ScimError::InvalidSyntax(format!(
            "\"Operations\" must hold 1 to {MAX_OPERATIONS} operations, not {}",
            ops.len()
        )));
    }
    ops.iter()
        .enumerate()
        .map(|(i, op)| {
            let op = op
                .as_object()
                .ok_or_else(|| ScimError::InvalidSyntax(format!("Operations[{i}] is not an object")))?;
            let kind = match get_ci(op, "op").and_then(Value::as_str).map(str::to_ascii_lowercase).as_deref() {
                Some("add") => OpKind::Add,
                Some("replace") => OpKind::Replace,
                Some("remove") => OpKind::Remove,
                _ => {
                    return Err(ScimError::InvalidSyntax(format!(
                        "Operations[{i}].op must be \"add\", \"replace\" or \"remove\""
                    )));
                }
            };
            let path = match get_ci(op, "path") {
                None | Some(Value::Null) => None,
                Some(Value::String(p)) => Some(parse_one_path(p)?),
                Some(_) => {
                    return Err(ScimError::InvalidPath {
                        path: String::new(),
                        reason: format!("Operations[{i}].path must be a string"),
                    });
                }
            };
            let value = get_ci(op, "value").cloned();
            match (kind, &path, &value) {
                (OpKind::Remove, None, _) => Err(ScimError::NoTarget(format!(
                    "Operations[{i}]: remove needs a \"path\" naming what to remove (RFC 7644 §3.5.2.2)"
                ))),
                (OpKind::Add | OpKind::Replace, _, None) => Err(ScimError::InvalidSyntax(format!(
                    "Operations[{i}]: {} needs a \"value\"",
                    if kind == OpKind::Add { "add" } else { "replace" }
                ))),
                (OpKind::Add | OpKind::Replace, None, Some(v)) if !v.is_object() => {
                    Err(ScimError::InvalidSyntax(format!(
                        "Operations[{i}]: without a \"path\" the value must be an object of attributes"
                    )))
                }
                _ => Ok(Op { kind, path, value }),
            }
        })
        .collect()
}

fn parse_one_path(path: &str) -> Result<PathExpr, ScimError> {
    parse_path(path).map_err(|e| ScimError::InvalidPath {
        path: path.to_owned(),
        reason: format!("at position {}: {}", e.position, e.reason),
    })
}

/// Applies checked operations to `resource` in order (phase two, on the caller's copy).
pub fn apply(
    resource: &mut Map<String, Value>,
    ops: &[Op],
    schema: &PatchSchema,
) -> Result<(), ScimError> {
    for op in ops {
        match &op.path {
            Some(path) => apply_at(resource, op.kind, path, op.value.as_ref(), false, schema)?,
            None => {
                let Some(Value::Object(values)) = &op.value else {
                    continue; // parse_ops admits no other shape
                };
                for (key, value) in values {
                    let path = parse_one_path(key)?;
                    apply_at(resource, op.kind, &path, Some(value), true, schema)?;
                }
            }
        }
    }
    Ok(())
}

fn apply_at(
    resource: &mut Map<String, Value>,
    kind: OpKind,
    path: &PathExpr,
    value: Option<&Value>,
    from_value_object: bool,
    schema: &PatchSchema,
) -> Result<(), ScimError> {
    if let Some(uri) = &path.attr.uri
        && !uri.eq_ignore_ascii_case(schema.uri)
    {
        // The bare URN of an extension parses as `urn:…:2.0` and attribute `User`.
        let whole = format!("{uri}:{}", path.attr.attr);
        if let Some(&(urn, attributes)) = schema
            .extensions
            .iter()
            .find(|(urn, _)| urn.eq_ignore_ascii_case(&whole))
            && path.attr.sub.is_none()
            && path.filter.is_none()
        {
            return apply_extension(resource, kind, urn, attributes, None, value);
        }
        if let Some(&(urn, attributes)) = schema
            .extensions
            .iter()
            .find(|(urn, _)| urn.eq_ignore_ascii_case(uri))
        {
            let mut inner = path.clone();
            inner.attr.uri = None;
            return apply_extension(resource, kind, urn, attributes, Some(&inner), value);
        }
        // An extension schema this server does not keep: ignored like any unknown attribute.
        return Ok(());
    }
    let Some(&(name, shape)) = schema
        .attributes
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(&path.attr.attr))
    else {
        return Ok(());
    };
    let invalid_path = |reason: &str| ScimError::InvalidPath {
        path: render(path),
        reason: reason.to_owned(),
    };
    match shape {
        Shape::ReadOnly if from_value_object => Ok(()),
        Shape::ReadOnly => Err(ScimError::Mutability {
            attribute: name.to_owned(),
            kind: "readOnly",
        }),
        Shape::Simple => {
            if path.filter.is_some() || path.attr.sub.is_some() {
                return Err(invalid_path(&format!("{name} has no sub-attributes")));
            }
            set_or_remove(resource, name, kind, value);
            Ok(())
        }
        Shape::Complex(subs) => {
            if path.filter.is_some() {
                return Err(invalid_path(&format!(
                    "{name} is single-valued and takes no filter"
                )));
            }
            let string_value;
            let value = match value {
                // Entra's `add` of the enterprise manager: its id as a plain string.
                Some(Value::String(s)) if path.attr.sub.is_none() && subs.contains(&"value") => {
                    let mut object = Map::new();
                    object.insert("value".to_owned(), Value::String(s.clone()));
                    string_value = Value::Object(object);
                    Some(&string_value)
                }
                other => other,
            };
            match (&path.attr.sub, kind) {
                (None, OpKind::Remove) => {
                    resource.remove(name);
                }
                (None, _) if value.is_none_or(Value::is_null) => {
                    resource.remove(name);
                }
                (None, _) => {
                    let Some(Value::Object(values)) = value else {
                        return Err(ScimError::invalid_value(
                            name,
                            "must be an object of sub-attributes",
                        ));
                    };
                    let target = object_entry(resource, name);
                    for (k, v) in values {
                        set_or_remove(target, &canonical(subs, k), kind, Some(v));
                    }
                }
                (Some(sub), _) => {
                    let target = object_entry(resource, name);
                    set_or_remove(target, &canonical(subs, sub), kind, value);
                }
            }
            if resource
                .get(name)
                .and_then(Value::as_object)
                .is_some_and(Map::is_empty)
            {
                resource.remove(name);
            }
            Ok(())
        }
        Shape::Multi { value_case_exact } => {
            apply_multi(resource, name, kind, path, value, value_case_exact)
        }
    }
}

/// An operation inside the extension `urn`: on the attribute `path` names (its URN taken off),
/// or on the whole extension object when `path` is none. The object is kept under its URN and
/// dropped once empty.
fn apply_extension(
    resource: &mut Map<String, Value>,
    kind: OpKind,
    urn: &'static str,
    attributes: &'static [(&'static str, Shape)],
    path: Option<&PathExpr>,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let schema = PatchSchema {
        uri: urn,
        attributes,
        extensions: &[],
    };
    let key = key_ci(resource, urn).unwrap_or_else(|| urn.to_owned());
    match path {
        Some(path) => {
            let target = object_entry(resource, &key);
            apply_at(target, kind, path, value, false, &schema)?;
        }
        None => match (kind, value) {
            (OpKind::Remove, _) | (_, None | Some(Value::Null)) => {
                resource.remove(&key);
            }
            (_, Some(Value::Object(values))) => {
                let target = object_entry(resource, &key);
                for (k, v) in values {
                    let path = parse_one_path(k)?;
                    apply_at(target, kind, &path, Some(v), true, &schema)?;
                }
            }
            (_, Some(_)) => {
                return Err(ScimError::invalid_value(
                    urn,
                    "must be an object of the extension's attributes",
                ));
            }
        },
    }
    if resource
        .get(&key)
        .and_then(Value::as_object)
        .is_some_and(Map::is_empty)
    {
        resource.remove(&key);
    }
    Ok(())
}

fn apply_multi(
    resource: &mut Map<String, Value>,
    name: &str,
    kind: OpKind,
    path: &PathExpr,
    value: Option<&Value>,
    value_case_exact: bool,
) -> Result<(), ScimError> {
    let mut items: Vec<Value> = match resource.remove(name) {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    };
    let sub = path.sub.as_deref().or(path.attr.sub.as_deref());
    let result = (|| -> Result<(), ScimError> {
        let Some(filter) = &path.filter else {
            match (kind, sub) {
                (OpKind::Remove, None) => match value {
                    // Entra: {"op":"Remove","path":"members","value":[{"value":"id"}]}.
                    Some(Value::Array(gone)) => {
                        let gone: Vec<&Value> =
                            gone.iter().filter_map(|g| g.get("value")).collect();
                        items.retain(|item| {
                            !gone
                                .iter()
                                .any(|g| same_value(item.get("value"), g, value_case_exact))
                        });
                    }
                    _ => items.clear(),
                },
                (OpKind::Add, None) => {
                    for new in as_items(name, value)? {
                        if is_primary(&new) {
                            clear_primary(&mut items);
                        }
                        let duplicate = new.get("value").is_some_and(|v| {
                            items
                                .iter()
                                .any(|item| same_value(item.get("value"), v, value_case_exact))
                        });
                        if !duplicate {
                            items.push(new);
                        }
                    }
                }
                (OpKind::Replace, None) => items = as_items(name, value)?,
                (_, Some(sub)) => {
                    for item in items.iter_mut() {
                        if let Value::Object(item) = item {
                            set_or_remove(item, sub, kind, value);
                        }
                    }
                }
            }
            return Ok(());
        };
        let mut matched = Vec::new();
        for (i, item) in items.iter().enumerate() {
            if element_matches(filter, item, value_case_exact)? {
                matched.push(i);
            }
        }
        match kind {
            OpKind::Remove => {
                if let Some(sub) = sub {
                    for &i in &matched {
                        if let Value::Object(item) = &mut items[i] {
                            set_or_remove(item, sub, kind, None);
                        }
                    }
                } else {
                    let mut i = 0;
                    items.retain(|_| {
                        let keep = !matched.contains(&i);
                        i += 1;
                        keep
                    });
                }
            }
            OpKind::Add | OpKind::Replace => {
                let sets_primary = match sub {
                    Some(s) => s.eq_ignore_ascii_case("primary") && value.is_some_and(truthy),
                    None => value.is_some_and(is_primary),
                };
                if sets_primary {
                    clear_primary(&mut items);
                }
                if matched.is_empty() {
                    let Some(mut element) = eq_terms(filter) else {
                        return Err(ScimError::NoTarget(format!(
                            "{} matches no element of {name}",
                            render(path)
                        )));
                    };
                    merge_into(&mut element, sub, value)?;
                    items.push(Value::Object(element));
                } else {
                    for &i in &matched {
                        if let Value::Object(item) = &mut items[i] {
                            merge_into(item, sub, value)?;
                        }
                    }
                }
            }
        }
        Ok(())
    })();
    if !items.is_empty() {
        resource.insert(name.to_owned(), Value::Array(items));
    }
    result
}

fn merge_into(
    element: &mut Map<String, Value>,
    sub: Option<&str>,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    match sub {
        Some(sub) => set_or_remove(element, sub, OpKind::Replace, value),
        None => {
            let Some(Value::Object(values)) = value else {
                return Err(ScimError::invalid_value(
                    "value",
                    "must be an object for a filtered path without a sub-attribute",
                ));
            };
            for (k, v) in values {
                set_or_remove(element, k, OpKind::Replace, Some(v));
            }
        }
    }
    Ok(())
}

/// `value` as the elements of a multi-valued attribute: an array of objects, or one object.
fn as_items(name: &str, value: Option<&Value>) -> Result<Vec<Value>, ScimError> {
    match value {
        Some(Value::Array(items)) if items.iter().all(Value::is_object) => Ok(items.clone()),
        Some(item @ Value::Object(_)) => Ok(vec![item.clone()]),
        _ => Err(ScimError::invalid_value(
            name,
            "must be an array of objects",
        )),
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::String(s) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn is_primary(v: &Value) -> bool {
    v.as_object()
        .and_then(|o| get_ci(o, "primary"))
        .is_some_and(truthy)
}

fn clear_primary(items: &mut [Value]) {
    for item in items {
        if let Value::Object(o) = item
            && let Some(k) = key_ci(o, "primary")
        {
            o.insert(k, Value::Bool(false));
        }
    }
}

fn same_value(a: Option<&Value>, b: &Value, case_exact: bool) -> bool {
    match (a, b) {
        (Some(Value::String(a)), Value::String(b)) if !case_exact => case_key(a) == case_key(b),
        (Some(a), b) => a == b,
        (None, _) => false,
    }
}

/// Sets `key` (matched case-insensitively, created with the given spelling) or removes it for
/// `remove` and for a `null` value.
fn set_or_remove(object: &mut Map<String, Value>, key: &str, kind: OpKind, value: Option<&Value>) {
    let existing = key_ci(object, key);
    match (kind, value) {
        (OpKind::Remove, _) | (_, None | Some(Value::Null)) => {
            if let Some(k) = existing {
                object.remove(&k);
            }
        }
        (_, Some(v)) => {
            object.insert(existing.unwrap_or_else(|| key.to_owned()), v.clone());
        }
    }
}

fn object_entry<'m>(
    resource: &'m mut Map<String, Value>,
    name: &str,
) -> &'m mut Map<String, Value> {
    let entry = resource
        .entry(name.to_owned())
        .or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    match entry {
        Value::Object(map) => map,
        // Made an object just above.
        _ => unreachable!("entry is an object"),
    }
}

fn canonical(subs: &[&'static str], key: &str) -> String {
    subs.iter()
        .find(|s| s.eq_ignore_ascii_case(key))
        .map_or_else(|| key.to_owned(), |s| (*s).to_owned())
}

fn render(path: &PathExpr) -> String {
    let mut out = path.attr.to_string();
    if let Some(filter) = &path.filter {
        out.push_str(&format!("[{filter}]"));
    }
    if let Some(sub) = &path.sub {
        out.push('.');
        out.push_str(sub);
    }
    out
}

/// The element a filter made only of `eq` terms describes (`type eq "work"` → `{"type":
/// "work"}`); none for any other filter.
fn eq_terms(filter: &Filter) -> Option<Map<String, Value>> {
    match filter {
        Filter::Compare(path, CompareOp::Eq, literal) if path.sub.is_none() => {
            let value = match literal {
                Literal::Str(s) => Value::String(s.clone()),
                Literal::Bool(b) => Value::Bool(*b),
                Literal::Num(n) => Value::Number(n.clone()),
                Literal::Null => return None,
            };
            let mut map = Map::new();
            map.insert(path.attr.clone(), value);
            Some(map)
        }
        Filter::And(a, b) => {
            let mut map = eq_terms(a)?;
            map.extend(eq_terms(b)?);
            Some(map)
        }
        _ => None,
    }
}

/// Whether one element of a multi-valued attribute satisfies a value filter. String
/// comparisons ignore ASCII case except on a case-exact `value` (member ids).
pub fn element_matches(
    filter: &Filter,
    element: &Value,
    value_case_exact: bool,
) -> Result<bool, ScimError> {
    let object = element.as_object();
    let field = |name: &str| object.and_then(|o| get_ci(o, name));
    Ok(match filter {
        Filter::And(a, b) => {
            element_matches(a, element, value_case_exact)?
                && element_matches(b, element, value_case_exact)?
        }
        Filter::Or(a, b) => {
            element_matches(a, element, value_case_exact)?
                || element_matches(b, element, value_case_exact)?
        }
        Filter::Not(a) => !element_matches(a, element, value_case_exact)?,
        Filter::ValuePath(..) => {
            return Err(ScimError::UnsupportedFilter(
                "value filters cannot be nested".into(),
            ));
        }
        Filter::Present(path) => match field(&path.attr) {
            None | Some(Value::Null) => false,
            Some(Value::String(s)) => !s.is_empty(),
            Some(_) => true,
        },
        Filter::Compare(path, op, literal) => {
            let case_exact = value_case_exact && path.attr.eq_ignore_ascii_case("value");
            compare(field(&path.attr), *op, literal, case_exact)
        }
    })
}

fn compare(actual: Option<&Value>, op: CompareOp, literal: &Literal, case_exact: bool) -> bool {
    match (actual, literal) {
        (Some(Value::String(a)), Literal::Str(b)) => {
            let (a, b) = if case_exact {
                (a.clone(), b.clone())
            } else {
                (case_key(a), case_key(b))
            };
            match op {
                CompareOp::Eq => a == b,
                CompareOp::Ne => a != b,
                CompareOp::Co => a.contains(&b),
                CompareOp::Sw => a.starts_with(&b),
                CompareOp::Ew => a.ends_with(&b),
                CompareOp::Gt => a > b,
                CompareOp::Ge => a >= b,
                CompareOp::Lt => a < b,
                CompareOp::Le => a <= b,
            }
        }
        (Some(actual), Literal::Bool(b)) if matches!(op, CompareOp::Eq | CompareOp::Ne) => {
            let is = match actual {
                Value::Bool(a) => Some(*a),
                Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
                Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
                _ => None,
            };
            (is == Some(*b)) == (op == CompareOp::Eq)
        }
        (None | Some(Value::Null), _) => op == CompareOp::Ne,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    static USER: PatchSchema = PatchSchema {
        uri: "urn:ietf:params:scim:schemas:core:2.0:User",
        attributes: &[
            ("id", Shape::ReadOnly),
            ("userName", Shape::Simple),
            ("active", Shape::Simple),
            ("name", Shape::Complex(&["givenName", "familyName"])),
            (
                "emails",
                Shape::Multi {
                    value_case_exact: false,
                },
            ),
        ],
        extensions: &[],
    };

    fn patch(resource: Value, body: Value) -> Result<Value, ScimError> {
        let Value::Object(mut map) = resource else {
            panic!("object")
        };
        apply(&mut map, &parse_ops(&body)?, &USER)?;
        Ok(Value::Object(map))
    }

    fn ops(list: Value) -> Value {
        json!({"schemas": [PATCH_SCHEMA], "Operations": list})
    }

    #[test]
    fn replacing_given_name_keeps_family_name() {
        let user = json!({"name": {"givenName": "A", "familyName": "B"}});
        for body in [
            ops(json!([{"op": "replace", "path": "name.givenName", "value": "C"}])),
            ops(json!([{"op": "Replace", "value": {"name.givenName": "C"}}])),
            ops(json!([{"op": "replace", "value": {"name": {"givenName": "C"}}}])),
            ops(
                json!([{"op": "replace", "value": {"urn:ietf:params:scim:schemas:core:2.0:User:name.givenName": "C"}}]),
            ),
        ] {
            assert_eq!(
                patch(user.clone(), body.clone()).expect("applies"),
                json!({"name": {"givenName": "C", "familyName": "B"}}),
                "{body}"
            );
        }
    }

    #[test]
    fn remove_without_path_is_no_target() {
        let err = patch(json!({}), ops(json!([{"op": "remove"}]))).expect_err("no target");
        assert_eq!(err.scim_type(), Some("noTarget"));
        assert!(
            patch(
                json!({"active": true}),
                ops(json!([{"op": "remove", "path": "active"}]))
            )
            .is_ok()
        );
    }

    #[test]
    fn unknown_ops_are_invalid_syntax() {
        let err = patch(
            json!({}),
            ops(json!([{"op": "merge", "path": "active", "value": true}])),
        )
        .expect_err("bad op");
        assert_eq!(err.scim_type(), Some("invalidSyntax"));
    }

    #[test]
    fn read_only_paths_are_mutability_but_ignored_in_value_objects() {
        let err = patch(
            json!({"id": "1"}),
            ops(json!([{"op": "replace", "path": "id", "value": "2"}])),
        )
        .expect_err("id");
        assert_eq!(err.scim_type(), Some("mutability"));
        assert_eq!(
            patch(
                json!({"id": "1"}),
                ops(json!([{"op": "replace", "value": {"id": "2", "active": false}}]))
            )
            .expect("applies"),
            json!({"id": "1", "active": false})
        );
    }

    #[test]
    fn filtered_replace_sets_the_matching_email_or_adds_it() {
        let user = json!({"emails": [{"value": "a@x", "type": "work", "primary": true}, {"value": "h@x", "type": "home"}]});
        let body = ops(
            json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "b@x"}]),
        );
        assert_eq!(
            patch(user, body.clone()).expect("applies"),
            json!({"emails": [{"value": "b@x", "type": "work", "primary": true}, {"value": "h@x", "type": "home"}]})
        );
        assert_eq!(
            patch(json!({}), body).expect("applies"),
            json!({"emails": [{"type": "work", "value": "b@x"}]})
        );
    }

    #[test]
    fn unknown_attributes_are_ignored() {
        let body = ops(json!([
            {"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "x"},
            {"op": "replace", "path": "nickName", "value": "x"}
        ]));
        assert_eq!(
            patch(json!({"active": true}), body).expect("applies"),
            json!({"active": true})
        );
    }

    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    static WITH_ENTERPRISE: PatchSchema = PatchSchema {
        uri: "urn:ietf:params:scim:schemas:core:2.0:User",
        attributes: &[("active", Shape::Simple)],
        extensions: &[(
            ENTERPRISE,
            &[
                ("department", Shape::Simple),
                ("manager", Shape::Complex(&["value", "$ref", "displayName"])),
            ],
        )],
    };

    fn patch_enterprise(resource: Value, list: Value) -> Result<Value, ScimError> {
        let Value::Object(mut map) = resource else {
            panic!("object")
        };
        apply(&mut map, &parse_ops(&ops(list))?, &WITH_ENTERPRISE)?;
        Ok(Value::Object(map))
    }

    #[test]
    fn extension_attributes_land_under_the_extension_urn() {
        let department = format!("{ENTERPRISE}:department");
        for list in [
            json!([{"op": "Replace", "value": {department.clone(): "D"}}]),
            json!([{"op": "add", "path": department, "value": "D"}]),
            json!([{"op": "add", "value": {ENTERPRISE: {"department": "D"}}}]),
            json!([{"op": "add", "path": ENTERPRISE.to_lowercase(), "value": {"department": "D"}}]),
        ] {
            assert_eq!(
                patch_enterprise(json!({}), list.clone()).expect("applies"),
                json!({ENTERPRISE: {"department": "D"}}),
                "{list}"
            );
        }
    }

    #[test]
    fn a_plain_string_manager_is_its_value_and_remove_drops_the_empty_extension() {
        let manager = format!("{ENTERPRISE}:manager");
        let user = patch_enterprise(
            json!({}),
            json!([{"op": "Add", "path": manager, "value": "m-1"}]),
        )
        .expect("applies");
        assert_eq!(user, json!({ENTERPRISE: {"manager": {"value": "m-1"}}}));
        let user =
            patch_enterprise(user, json!([{"op": "Remove", "path": manager}])).expect("applies");
        assert_eq!(user, json!({}));
        // Positive control for the string rule: a complex attribute without `value` refuses it.
        let err = patch(
            json!({}),
            ops(json!([{"op": "replace", "path": "name", "value": "A"}])),
        )
        .expect_err("name is an object");
        assert_eq!(err.scim_type(), Some("invalidValue"));
    }
}
