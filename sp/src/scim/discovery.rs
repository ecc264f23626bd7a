//! `/ServiceProviderConfig`, `/ResourceTypes` and `/Schemas` (RFC 7644 §4), describing exactly
//! what this server implements: PATCH yes, bulk/sort/changePassword no, filters up to
//! [`MAX_COUNT`] results, ETags yes, the team API key as a bearer token. The schemas list only
//! the attributes that are stored; anything else a client sends is ignored. Users take the
//! enterprise extension (RFC 7643 §4.3), optional.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::auth::Tenant;
use super::resource::{list_response, location};
use super::sql::{ENTERPRISE_SCHEMA, GROUP_SCHEMA, USER_SCHEMA};
use super::{MAX_COUNT, ScimError, Shared, respond};

const SPC_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

fn attr(name: &str, kind: &str, mutability: &str, extra: Value) -> Value {
    let mut a = json!({
        "name": name,
        "type": kind,
        "multiValued": false,
        "required": false,
        "caseExact": false,
        "mutability": mutability,
        "returned": "default",
        "uniqueness": "none",
    });
    if let (Value::Object(a), Value::Object(extra)) = (&mut a, extra) {
        a.extend(extra);
    }
    a
}

fn user_schema(base_url: &str) -> Value {
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": USER_SCHEMA,
        "name": "User",
        "description": "A team member",
        "attributes": [
            attr("userName", "string", "readWrite", json!({"required": true, "uniqueness": "server",
                "description": "The primary email (or the IdP's NameID); unique per team, ASCII letters compared case-insensitively; the SSO login key"})),
            attr("externalId", "string", "readWrite", json!({"caseExact": true})),
            attr("name", "complex", "readWrite", json!({"subAttributes": [
                attr("givenName", "string", "readWrite", json!({})),
                attr("familyName", "string", "readWrite", json!({})),
            ]})),
            attr("displayName", "string", "readWrite", json!({})),
            attr("emails", "complex", "readWrite", json!({"multiValued": true, "subAttributes": [
                attr("value", "string", "readWrite", json!({"required": true})),
                attr("type", "string", "readWrite", json!({})),
                attr("primary", "boolean", "readWrite", json!({})),
            ]})),
            attr("active", "boolean", "readWrite", json!({"description": "false: the member cannot log in by SSO"})),
        ],
        "meta": {"resourceType": "Schema", "location": location(base_url, &format!("Schemas/{USER_SCHEMA}"))},
    })
}

/// RFC 7643 §4.3 and §8.7.1. `manager.displayName` and `manager.$ref` are kept as the client
/// sends them (the SP does not resolve the manager), so they are readWrite here.
fn enterprise_schema(base_url: &str) -> Value {
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": ENTERPRISE_SCHEMA,
        "name": "EnterpriseUser",
        "description": "Enterprise User",
        "attributes": [
            attr("employeeNumber", "string", "readWrite", json!({})),
            attr("costCenter", "string", "readWrite", json!({})),
            attr("organization", "string", "readWrite", json!({})),
            attr("division", "string", "readWrite", json!({})),
            attr("department", "string", "readWrite", json!({})),
            attr("manager", "complex", "readWrite", json!({"subAttributes": [
                attr("value", "string", "readWrite", json!({"description": "The id of the manager's User"})),
                attr("$ref", "reference", "readWrite", json!({"referenceTypes": ["User"]})),
                attr("displayName", "string", "readWrite", json!({})),
            ]})),
        ],
        "meta": {"resourceType": "Schema", "location": location(base_url, &format!("Schemas/{ENTERPRISE_SCHEMA}"))},
    })
}

fn group_schema(base_url: &str) -> Value {
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": GROUP_SCHEMA,
        "name": "Group",
        "description": "A group of team members",
        "attributes": [
            attr("displayName", "string", "readWrite", json!({"required": true, "uniqueness": "server"})),
            attr("externalId", "string", "readWrite", json!({"caseExact": true})),
            attr("members", "complex", "readWrite", json!({"multiValued": true, "subAttributes": [
                attr("value", "string", "immutable", json!({"caseExact": true})),
                attr("display", "string", "readOnly", json!({})),
                attr("$ref", "reference", "immutable", json!({"referenceTypes": ["User"]})),
            ]})),
        ],
        "meta": {"resourceType": "Schema", "location": location(base_url, &format!("Schemas/{GROUP_SCHEMA}"))},
    })
}

fn resource_type(base_url: &str, name: &str) -> Value {
    let (endpoint, schema, description, extensions) = match name {
        "User" => (
            "/Users",
            USER_SCHEMA,
            "Team members",
            json!([{"schema": ENTERPRISE_SCHEMA, "required": false}]),
        ),
        _ => ("/Groups", GROUP_SCHEMA, "Groups of team members", json!([])),
    };
    json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": name,
        "name": name,
        "endpoint": endpoint,
        "description": description,
        "schema": schema,
        "schemaExtensions": extensions,
        "meta": {"resourceType": "ResourceType", "location": location(base_url, &format!("ResourceTypes/{name}"))},
    })
}

pub async fn service_provider_config(State(state): State<Shared>, Tenant(_): Tenant) -> Response {
    let base = &state.app.sp.base_url;
    let body = json!({
        "schemas": [SPC_SCHEMA],
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_COUNT},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Team API key",
            "description": "The team's API key as `Authorization: Bearer <key>`, or the raw key",
            "primary": true,
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": location(base, "ServiceProviderConfig")},
    });
    respond(StatusCode::OK, &body, None, None)
}

pub async fn resource_types(State(state): State<Shared>, Tenant(_): Tenant) -> Response {
    let base = &state.app.sp.base_url;
    let body = list_response(
        2,
        1,
        vec![resource_type(base, "User"), resource_type(base, "Group")],
    );
    respond(StatusCode::OK, &body, None, None)
}

pub async fn resource_type_by_id(
    State(state): State<Shared>,
    Tenant(_): Tenant,
    Path(id): Path<String>,
) -> Result<Response, ScimError> {
    match id.as_str() {
        "User" | "Group" => Ok(respond(
            StatusCode::OK,
            &resource_type(&state.app.sp.base_url, &id),
            None,
            None,
        )),
        _ => Err(ScimError::NotFound {
            resource: "ResourceType",
            id,
        }),
    }
}

pub async fn schemas(State(state): State<Shared>, Tenant(_): Tenant) -> Response {
    let base = &state.app.sp.base_url;
    let body = list_response(
        3,
        1,
        vec![
            user_schema(base),
            enterprise_schema(base),
            group_schema(base),
        ],
    );
    respond(StatusCode::OK, &body, None, None)
}

pub async fn schema(
    State(state): State<Shared>,
    Tenant(_): Tenant,
    Path(id): Path<String>,
) -> Result<Response, ScimError> {
    let base = &state.app.sp.base_url;
    let body = match id.as_str() {
        USER_SCHEMA => user_schema(base),
        ENTERPRISE_SCHEMA => enterprise_schema(base),
        GROUP_SCHEMA => group_schema(base),
        _ => {
            return Err(ScimError::NotFound {
                resource: "Schema",
                id,
            });
        }
    };
    Ok(respond(StatusCode::OK, &body, None, None))
}
