//! `/Users`: team members as SCIM Users.
//!
//! A member's userName is its SSO key (the one identity rule, [`crate::identity::member_key`]):
//! renaming it by PUT or PATCH is what the next SAML login looks up, and a name the rule refuses
//! is 400 `invalidValue` naming userName and the reason. Inactive members stay readable (Okta
//! reads them back after deactivating); DELETE removes the member.
//!
//! A User may carry the enterprise extension (RFC 7643 §4.3) under its URN
//! ([`ENTERPRISE_SCHEMA`]): kept as sent and returned, never read by the SP (Entra writes the
//! department and reads it back). It is not filterable.

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::auth::Tenant;
use super::patch::{self, PatchSchema, Shape};
use super::resource::{self, Projection, get_ci, list_query, list_response, location, meta};
use super::sql::{self, ENTERPRISE_SCHEMA, USER_SCHEMA};
use super::{ScimError, Shared, json_body, respond};
use crate::identity::member_key;
use crate::model::{Email, EnterpriseUser, Id, Manager, MemberFields, ScimMember};
use crate::store::{SqlWhere, Store, StoreError};
use time::OffsetDateTime;

/// Longest string attribute accepted.
pub const MAX_STRING_CHARS: usize = 1024;
/// Most emails per user.
pub const MAX_EMAILS: usize = 50;

pub static PATCH_SCHEMA: PatchSchema = PatchSchema {
    uri: USER_SCHEMA,
    attributes: &[
        ("schemas", Shape::ReadOnly),
        ("id", Shape::ReadOnly),
        ("meta", Shape::ReadOnly),
        ("groups", Shape::ReadOnly),
        ("userName", Shape::Simple),
        ("externalId", Shape::Simple),
        ("displayName", Shape::Simple),
        ("active", Shape::Simple),
        ("name", Shape::Complex(&["givenName", "familyName"])),
        (
            "emails",
            Shape::Multi {
                value_case_exact: false,
            },
        ),
    ],
    extensions: &[(
        ENTERPRISE_SCHEMA,
        &[
            ("employeeNumber", Shape::Simple),
            ("costCenter", Shape::Simple),
            ("organization", Shape::Simple),
            ("division", Shape::Simple),
            ("department", Shape::Simple),
            ("manager", Shape::Complex(&["value", "$ref", "displayName"])),
        ],
    )],
};

/// The User resource of a member.
pub fn to_json(m: &ScimMember, base_url: &str) -> Value {
    let member = &m.member;
    let mut out = Map::new();
    let enterprise = m.enterprise.to_scim_json();
    // RFC 7643 §3: `schemas` names the extensions the resource carries.
    if enterprise.is_some() {
        out.insert("schemas".into(), json!([USER_SCHEMA, ENTERPRISE_SCHEMA]));
    } else {
        out.insert("schemas".into(), json!([USER_SCHEMA]));
    }
    out.insert("id".into(), member.id.0.clone().into());
    if let Some(external_id) = &member.external_id {
        out.insert("externalId".into(), external_id.clone().into());
    }
    out.insert("userName".into(), member.user_name.clone().into());
    let mut name = Map::new();
    if let Some(given) = &member.given_name {
        name.insert("givenName".into(), given.clone().into());
    }
    if let Some(family) = &member.family_name {
        name.insert("familyName".into(), family.clone().into());
    }
    if !name.is_empty() {
        out.insert("name".into(), Value::Object(name));
    }
    if let Some(display) = &member.display_name {
        out.insert("displayName".into(), display.clone().into());
    }
    if !m.emails.is_empty() {
        let emails = m
            .emails
            .iter()
            .map(|e| {
                let mut o = Map::new();
                o.insert("value".into(), e.value.clone().into());
                if let Some(kind) = &e.kind {
                    o.insert("type".into(), kind.clone().into());
                }
                o.insert("primary".into(), e.primary.into());
                Value::Object(o)
            })
            .collect();
        out.insert("emails".into(), Value::Array(emails));
    }
    out.insert("active".into(), member.active.into());
    if let Some(enterprise) = enterprise {
        out.insert(ENTERPRISE_SCHEMA.into(), enterprise);
    }
    out.insert(
        "meta".into(),
        meta(
            "User",
            member.created_at,
            member.updated_at,
            &location(base_url, &format!("Users/{}", member.id)),
            m.version,
        ),
    );
    Value::Object(out)
}

/// An optional string attribute: absent, null and "" are none.
pub(crate) fn opt_string(
    object: &Map<String, Value>,
    key: &str,
    label: &str,
) -> Result<Option<String>, ScimError> {
    match get_ci(object, key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) if s.chars().count() > MAX_STRING_CHARS => Err(
            ScimError::invalid_value(label, format!("longer than {MAX_STRING_CHARS} characters")),
        ),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(ScimError::invalid_value(
            label,
            format!("must be a string, not {other}"),
        )),
    }
}

/// A boolean attribute; the strings "true"/"false" in any case count (Entra sends "False").
fn boolean(value: Option<&Value>, label: &str, default: bool) -> Result<bool, ScimError> {
    match value {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(true),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(false),
        Some(other) => Err(ScimError::invalid_value(
            label,
            format!("must be true or false, not {other}"),
        )),
    }
}

/// The writable attributes of a User body (POST, PUT, or a PATCHed copy). Unknown attributes
/// and read-only ones (`id`, `meta`, `groups`) are ignored; `active` defaults to true.
pub fn fields_from_json(body: &Value) -> Result<MemberFields, ScimError> {
    let object = body
        .as_object()
        .ok_or_else(|| ScimError::InvalidSyntax("a User is a JSON object".into()))?;
    let user_name = opt_string(object, "userName", "userName")?.ok_or_else(|| {
        ScimError::invalid_value("userName", "required: the member's primary email or login")
    })?;
    if let Err(error) = member_key(&user_name) {
        return Err(ScimError::invalid_value("userName", error.to_string()));
    }
    let (given_name, family_name) = match get_ci(object, "name") {
        None | Some(Value::Null) => (None, None),
        Some(Value::Object(name)) => (
            opt_string(name, "givenName", "name.givenName")?,
            opt_string(name, "familyName", "name.familyName")?,
        ),
        Some(_) => return Err(ScimError::invalid_value("name", "must be an object")),
    };
    let emails = match get_ci(object, "emails") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            if items.len() > MAX_EMAILS {
                return Err(ScimError::invalid_value(
                    "emails",
                    format!("more than {MAX_EMAILS} emails"),
                ));
            }
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let label = format!("emails[{i}]");
                    let item = item
                        .as_object()
                        .ok_or_else(|| ScimError::invalid_value(&label, "must be an object"))?;
                    Ok(Email {
                        value: opt_string(item, "value", &format!("{label}.value"))?.ok_or_else(
                            || ScimError::invalid_value(&format!("{label}.value"), "required"),
                        )?,
                        kind: opt_string(item, "type", &format!("{label}.type"))?,
                        primary: boolean(
                            get_ci(item, "primary"),
                            &format!("{label}.primary"),
                            false,
                        )?,
                    })
                })
                .collect::<Result<Vec<_>, ScimError>>()?
        }
        Some(_) => return Err(ScimError::invalid_value("emails", "must be an array")),
    };
    if emails.iter().filter(|e| e.primary).count() > 1 {
        return Err(ScimError::invalid_value(
            "emails",
            "at most one email may be primary",
        ));
    }
    Ok(MemberFields {
        user_name,
        given_name,
        family_name,
        display_name: opt_string(object, "displayName", "displayName")?,
        external_id: opt_string(object, "externalId", "externalId")?,
        active: boolean(get_ci(object, "active"), "active", true)?,
        emails,
        enterprise: enterprise_from_json(object)?,
    })
}

/// The enterprise extension of a User body: the object under its schema URN. Its attributes
/// are strings; `manager` is an object whose `value` is the manager's id, or that id as a
/// plain string (Entra's `add` of `…:manager`). Unknown sub-attributes are ignored; a bad type
/// is 400 `invalidValue` naming the attribute by its full URN path.
fn enterprise_from_json(user: &Map<String, Value>) -> Result<EnterpriseUser, ScimError> {
    let object = match get_ci(user, ENTERPRISE_SCHEMA) {
        None | Some(Value::Null) => return Ok(EnterpriseUser::default()),
        Some(Value::Object(object)) => object,
        Some(_) => {
            return Err(ScimError::invalid_value(
                ENTERPRISE_SCHEMA,
                "must be an object",
            ));
        }
    };
    let string = |object: &Map<String, Value>, key: &str| {
        opt_string(object, key, &format!("{ENTERPRISE_SCHEMA}:{key}"))
    };
    let manager = match get_ci(object, "manager") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) if id.is_empty() => None,
        Some(Value::String(_)) => Some(Manager {
            value: string(object, "manager")?,
            ..Manager::default()
        }),
        Some(Value::Object(m)) => {
            let label = |sub: &str| format!("{ENTERPRISE_SCHEMA}:manager.{sub}");
            Some(Manager {
                value: opt_string(m, "value", &label("value"))?,
                reference: opt_string(m, "$ref", &label("$ref"))?,
                display_name: opt_string(m, "displayName", &label("displayName"))?,
            })
            .filter(|m| *m != Manager::default())
        }
        Some(other) => {
            return Err(ScimError::invalid_value(
                &format!("{ENTERPRISE_SCHEMA}:manager"),
                format!("must be an object with a string \"value\", not {other}"),
            ));
        }
    };
    Ok(EnterpriseUser {
        employee_number: string(object, "employeeNumber")?,
        cost_center: string(object, "costCenter")?,
        organization: string(object, "organization")?,
        division: string(object, "division")?,
        department: string(object, "department")?,
        manager,
    })
}

fn not_found(id: &str) -> ScimError {
    ScimError::NotFound {
        resource: "User",
        id: id.to_owned(),
    }
}

fn store_error(e: crate::store::StoreError) -> ScimError {
    ScimError::from_store("User", e)
}

fn user_response(
    state: &Shared,
    status: StatusCode,
    m: &ScimMember,
    projection: &Projection,
) -> Response {
    let body = projection.apply(to_json(m, &state.app.sp.base_url));
    let loc = location(&state.app.sp.base_url, &format!("Users/{}", m.member.id));
    respond(status, &body, Some(m.version), Some(&loc))
}

pub async fn create(
    State(state): State<Shared>,
    Tenant(team): Tenant,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ScimError> {
    let fields = fields_from_json(&json_body(&headers, body).await?)?;
    let now = state.app.clock.now();
    let created = state
        .app
        .store
        .create_scim_member(&team.id, &fields, now)
        .await
        .map_err(store_error)?;
    tracing::info!(team = %team.slug, member = %created.member.id, "SCIM user created");
    Ok(user_response(
        &state,
        StatusCode::CREATED,
        &created,
        &Projection::default(),
    ))
}

pub async fn get(
    State(state): State<Shared>,
    Tenant(team): Tenant,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ScimError> {
    let query = list_query(query.as_deref())?;
    let member = state
        .app
        .store
        .scim_member(&team.id, &Id(id.clone()))
        .await
        .map_err(store_error)?;
    let member = member.ok_or_else(|| not_found(&id))?;
    Ok(user_response(
        &state,
        StatusCode::OK,
        &member,
        &query.projection,
    ))
}

pub async fn list(
    State(state): State<Shared>,
    Tenant(team): Tenant,
    RawQuery(query): RawQuery,
) -> Result<Response, ScimError> {
    let query = list_query(query.as_deref())?;
    let filter = match &query.filter {
        Some(f) => sql::to_sql(f, &sql::USERS, state.app.store.backend())?,
        None => SqlWhere::all(),
    };
    let page = state
        .app
        .store
        .list_scim_members(&team.id, &filter, query.start_index - 1, query.count)
        .await
        .map_err(store_error)?;
    let resources = page
        .items
        .iter()
        .map(|m| query.projection.apply(to_json(m, &state.app.sp.base_url)))
        .collect();
    Ok(respond(
        StatusCode::OK,
        &list_response(page.total, query.start_index, resources),
        None,
        None,
    ))
}

impl resource::Versioned for ScimMember {
    const RESOURCE: &'static str = "User";
    type Fields = MemberFields;

    fn version(&self) -> i64 {
        self.version
    }

    async fn read(store: &Store, team: &Id, id: &Id) -> Result<Option<Self>, StoreError> {
        store.scim_member(team, id).await
    }

    async fn update(
        store: &Store,
        team: &Id,
        id: &Id,
        expected_version: i64,
        fields: &MemberFields,
        now: OffsetDateTime,
    ) -> Result<Option<Self>, StoreError> {
        store
            .update_scim_member(team, id, expected_version, fields, now)
            .await
    }

    async fn delete(
        store: &Store,
        team: &Id,
        id: &Id,
        version: Option<i64>,
    ) -> Result<bool, StoreError> {
        store.delete_member(team, id, version).await
    }
}

pub async fn replace(
    State(state): State<Shared>,
    Tenant(team): Tenant,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ScimError> {
    let body = json_body(&headers, body).await?;
    resource::check_put_id(&body, &id)?;
    let fields = fields_from_json(&body)?;
    let written =
        resource::write_guarded(&state.app, &team.id, &id, &headers, |_| Ok(fields.clone()))
            .await?;
    tracing::info!(team = %team.slug, member = %id, "SCIM user replaced");
    Ok(user_response(
        &state,
        StatusCode::OK,
        &written,
        &Projection::default(),
    ))
}

pub async fn patch(
    State(state): State<Shared>,
    Tenant(team): Tenant,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ScimError> {
    let ops = patch::parse_ops(&json_body(&headers, body).await?)?;
    let base_url = state.app.sp.base_url.clone();
    let written = resource::write_guarded(&state.app, &team.id, &id, &headers, |current| {
        let Value::Object(mut copy) = to_json(current, &base_url) else {
            return Err(ScimError::Internal);
        };
        patch::apply(&mut copy, &ops, &PATCH_SCHEMA)?;
        fields_from_json(&Value::Object(copy))
    })
    .await?;
    tracing::info!(team = %team.slug, member = %id, "SCIM user patched");
    Ok(user_response(
        &state,
        StatusCode::OK,
        &written,
        &Projection::default(),
    ))
}

pub async fn delete(
    State(state): State<Shared>,
    Tenant(team): Tenant,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ScimError> {
    resource::delete_guarded::<ScimMember>(&state.app, &team.id, &id, &headers).await?;
    tracing::info!(team = %team.slug, member = %id, "SCIM user deleted");
    Ok(respond_no_content())
}

pub(crate) fn respond_no_content() -> Response {
    axum::response::IntoResponse::into_response(StatusCode::NO_CONTENT)
}
