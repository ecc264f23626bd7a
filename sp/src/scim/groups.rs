//! `/Groups`: a team's groups and their members (Okta group push, Entra group provisioning).
//!
//! Members are referenced by member id (`members[].value`); an id that is not a member of the
//! team is 400 `invalidValue` (the database's composite keys refuse it). displayName is unique
//! per team (409 `uniqueness`). `excludedAttributes=members` skips loading members at all.

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::auth::Tenant;
use super::patch::{self, PatchSchema, Shape};
use super::resource::{self, Projection, get_ci, list_query, list_response, location, meta};
use super::sql::{self, GROUP_SCHEMA};
use super::users::{opt_string, respond_no_content};
use super::{ScimError, Shared, json_body, respond};
use crate::model::{Group, GroupFields, Id};
use crate::store::{SqlWhere, Store, StoreError};
use time::OffsetDateTime;

pub static PATCH_SCHEMA: PatchSchema = PatchSchema {
    uri: GROUP_SCHEMA,
    attributes: &[
        ("schemas", Shape::ReadOnly),
        ("id", Shape::ReadOnly),
        ("meta", Shape::ReadOnly),
        ("displayName", Shape::Simple),
        ("externalId", Shape::Simple),
        (
            "members",
            Shape::Multi {
                value_case_exact: true,
            },
        ),
    ],
    extensions: &[],
};

pub fn to_json(g: &Group, base_url: &str, with_members: bool) -> Value {
    let mut out = Map::new();
    out.insert("schemas".into(), json!([GROUP_SCHEMA]));
    out.insert("id".into(), g.id.0.clone().into());
    if let Some(external_id) = &g.external_id {
        out.insert("externalId".into(), external_id.clone().into());
    }
    out.insert("displayName".into(), g.display_name.clone().into());
    if with_members {
        let members = g
            .members
            .iter()
            .map(|m| {
                json!({
                    "value": m.id.0,
                    "display": m.display,
                    "$ref": location(base_url, &format!("Users/{}", m.id)),
                })
            })
            .collect();
        out.insert("members".into(), Value::Array(members));
    }
    out.insert(
        "meta".into(),
        meta(
            "Group",
            g.created_at,
            g.updated_at,
            &location(base_url, &format!("Groups/{}", g.id)),
            g.version,
        ),
    );
    Value::Object(out)
}

pub fn fields_from_json(body: &Value) -> Result<GroupFields, ScimError> {
    let object = body
        .as_object()
        .ok_or_else(|| ScimError::InvalidSyntax("a Group is a JSON object".into()))?;
    let display_name = opt_string(object, "displayName", "displayName")?
        .ok_or_else(|| ScimError::invalid_value("displayName", "required: the group's name"))?;
    let mut members: Vec<Id> = Vec::new();
    match get_ci(object, "members") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let label = format!("members[{i}].value");
                let value = item
                    .as_object()
                    .and_then(|o| opt_string(o, "value", &label).transpose())
                    .transpose()?
                    .ok_or_else(|| ScimError::invalid_value(&label, "required: the member's id"))?;
                let id = Id(value);
                if !members.contains(&id) {
                    members.push(id);
                }
            }
        }
        Some(_) => return Err(ScimError::invalid_value("members", "must be an array")),
    }
    Ok(GroupFields {
        display_name,
        external_id: opt_string(object, "externalId", "externalId")?,
        members,
    })
}

fn not_found(id: &str) -> ScimError {
    ScimError::NotFound {
        resource: "Group",
        id: id.to_owned(),
    }
}

fn store_error(e: crate::store::StoreError) -> ScimError {
    ScimError::from_store("Group", e)
}

fn group_response(
    state: &Shared,
    status: StatusCode,
    g: &Group,
    projection: &Projection,
) -> Response {
    let body = projection.apply(to_json(
        g,
        &state.app.sp.base_url,
        projection.includes("members"),
    ));
    let loc = location(&state.app.sp.base_url, &format!("Groups/{}", g.id));
    respond(status, &body, Some(g.version), Some(&loc))
}

pub async fn create(
    State(state): State<Shared>,
    Tenant(team): Tenant,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ScimError> {
    let fields = fields_from_json(&json_body(&headers, body).await?)?;
    let group = state
        .app
        .store
        .create_group(&team.id, &fields, state.app.clock.now())
        .await
        .map_err(store_error)?;
    tracing::info!(team = %team.slug, group = %group.id, "SCIM group created");
    Ok(group_response(
        &state,
        StatusCode::CREATED,
        &group,
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
    let group = state
        .app
        .store
        .group(&team.id, &Id(id.clone()))
        .await
        .map_err(store_error)?;
    let group = group.ok_or_else(|| not_found(&id))?;
    Ok(group_response(
        &state,
        StatusCode::OK,
        &group,
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
        Some(f) => sql::to_sql(f, &sql::GROUPS, state.app.store.backend())?,
        None => SqlWhere::all(),
    };
    let with_members = query.projection.includes("members");
    let page = state
        .app
        .store
        .list_groups(
            &team.id,
            &filter,
            query.start_index - 1,
            query.count,
            with_members,
        )
        .await
        .map_err(store_error)?;
    let resources = page
        .items
        .iter()
        .map(|g| {
            query
                .projection
                .apply(to_json(g, &state.app.sp.base_url, with_members))
        })
        .collect();
    Ok(respond(
        StatusCode::OK,
        &list_response(page.total, query.start_index, resources),
        None,
        None,
    ))
}

impl resource::Versioned for Group {
    const RESOURCE: &'static str = "Group";
    type Fields = GroupFields;

    fn version(&self) -> i64 {
        self.version
    }

    async fn read(store: &Store, team: &Id, id: &Id) -> Result<Option<Self>, StoreError> {
        store.group(team, id).await
    }

    async fn update(
        store: &Store,
        team: &Id,
        id: &Id,
        expected_version: i64,
        fields: &GroupFields,
        now: OffsetDateTime,
    ) -> Result<Option<Self>, StoreError> {
        store
            .update_group(team, id, expected_version, fields, now)
            .await
    }

    async fn delete(
        store: &Store,
        team: &Id,
        id: &Id,
        version: Option<i64>,
    ) -> Result<bool, StoreError> {
        store.delete_group(team, id, version).await
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
    Ok(group_response(
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
        let Value::Object(mut copy) = to_json(current, &base_url, true) else {
            return Err(ScimError::Internal);
        };
        patch::apply(&mut copy, &ops, &PATCH_SCHEMA)?;
        fields_from_json(&Value::Object(copy))
    })
    .await?;
    tracing::info!(team = %team.slug, group = %id, "SCIM group patched");
    Ok(group_response(
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
    resource::delete_guarded::<Group>(&state.app, &team.id, &id, &headers).await?;
    tracing::info!(team = %team.slug, group = %id, "SCIM group deleted");
    Ok(respond_no_content())
}
