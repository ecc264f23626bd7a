//! The SCIM enterprise User extension (RFC 7643 §4.3) over real HTTP, on SQLite and
//! PostgreSQL: stored by POST, PUT and PATCH in Okta's and Entra's shapes, returned by GET and
//! lists (with `attributes`/`excludedAttributes`), advertised in /Schemas and /ResourceTypes,
//! and bad types refused with `invalidValue` naming the attribute.

mod db;
mod scim_support;

use db::{TestDb, on_both_backends};
use reqwest::StatusCode;
use scim_support::{Server, Tenant, okta_user};
use serde_json::{Value, json};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

async fn server(db: &TestDb) -> Server {
    Server::unlimited(db.store().await).await
}

fn full_extension() -> Value {
    json!({
        "employeeNumber": "701984",
        "costCenter": "4130",
        "organization": "Universal Studios",
        "division": "Theme Park",
        "department": "Tour Operations",
        "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d", "$ref": "../Users/26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"},
    })
}

fn user_with(user_name: &str, extension: Value) -> Value {
    let mut body = okta_user(user_name, "Barbara", "Jensen");
    body["schemas"] = json!([USER, ENTERPRISE]);
    body[ENTERPRISE] = extension;
    body
}

async fn create(tenant: &Tenant, body: Value) -> (String, Value) {
    let r = tenant.post("/Users", body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    (r.id(), r.body)
}

async fn post_stores_and_get_returns_the_extension(db: TestDb) {
    let sp = server(&db).await;
    let okta = sp.team("acme").await;
    let (id, created) = create(&okta, user_with("bjensen@corp.com", full_extension())).await;
    assert_eq!(created[ENTERPRISE], full_extension());
    assert_eq!(created["schemas"], json!([USER, ENTERPRISE]));
    let r = okta.get(&format!("/Users/{id}")).await;
    assert_eq!(r.body[ENTERPRISE], full_extension(), "{}", r.text);
    let r = okta
        .get("/Users?filter=userName+eq+%22bjensen%40corp.com%22")
        .await;
    assert_eq!(r.body["Resources"][0][ENTERPRISE], full_extension());
    // Positive control: a user without the extension carries neither it nor its schema.
    let (_, plain) = create(&okta, okta_user("plain@corp.com", "P", "Lain")).await;
    assert!(plain.get(ENTERPRISE).is_none(), "{plain}");
    assert_eq!(plain["schemas"], json!([USER]));
}

async fn unknown_sub_attributes_are_ignored_and_empty_ones_dropped(db: TestDb) {
    let sp = server(&db).await;
    let okta = sp.team("acme").await;
    let (_, created) = create(
        &okta,
        user_with(
            "a@corp.com",
            json!({"department": "R&D", "badge": 7, "costCenter": "", "manager": {}}),
        ),
    )
    .await;
    assert_eq!(created[ENTERPRISE], json!({"department": "R&D"}));
    let (_, created) = create(&okta, user_with("b@corp.com", json!({"division": null}))).await;
    assert!(created.get(ENTERPRISE).is_none(), "{created}");
}

async fn bad_types_are_invalid_values_naming_the_attribute(db: TestDb) {
    let sp = server(&db).await;
    let okta = sp.team("acme").await;
    for (extension, attribute) in [
        (json!({"department": 5}), format!("{ENTERPRISE}:department")),
        (
            json!({"employeeNumber": ["1"]}),
            format!("{ENTERPRISE}:employeeNumber"),
        ),
        (
            json!({"manager": {"value": 42}}),
            format!("{ENTERPRISE}:manager.value"),
        ),
        (json!({"manager": true}), format!("{ENTERPRISE}:manager")),
        (json!("Sales"), ENTERPRISE.to_owned()),
    ] {
        let r = okta
            .post("/Users", user_with("bad@corp.com", extension.clone()))
            .await;
        r.assert_error(400, Some("invalidValue"));
        assert!(r.detail().contains(&attribute), "{extension}: {}", r.text);
    }
    // Nothing was created; the same user with a good extension is.
    let r = okta.get("/Users").await;
    assert_eq!(r.body["totalResults"], 0);
    create(&okta, user_with("bad@corp.com", json!({"department": "5"}))).await;
    // A PATCH with a bad type changes nothing.
    let (id, _) = create(&okta, user_with("c@corp.com", json!({"department": "X"}))).await;
    let path = format!("/Users/{id}");
    okta.patch(
        &path,
        json!([{"op": "replace", "path": format!("{ENTERPRISE}:department"), "value": 1}]),
    )
    .await
    .assert_error(400, Some("invalidValue"));
    okta.patch(
        &path,
        json!([{"op": "replace", "path": format!("{ENTERPRISE}:manager"), "value": {"value": false}}]),
    )
    .await
    .assert_error(400, Some("invalidValue"));
    let r = okta.get(&path).await;
    assert_eq!(r.body[ENTERPRISE], json!({"department": "X"}));
    assert_eq!(r.body["meta"]["version"], "W/\"1\"");
}

async fn put_replaces_the_extension(db: TestDb) {
    let sp = server(&db).await;
    let okta = sp.team("acme").await;
    let (id, created) = create(&okta, user_with("a@corp.com", full_extension())).await;
    let path = format!("/Users/{id}");
    let mut body = created.clone();
    body[ENTERPRISE] = json!({"department": "Sales"});
    let r = okta.put(&path, body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body[ENTERPRISE], json!({"department": "Sales"}));
    // A PUT without the extension removes it.
    let mut body = created;
    body.as_object_mut().expect("object").remove(ENTERPRISE);
    let r = okta.put(&path, body).await;
    assert!(r.body.get(ENTERPRISE).is_none(), "{}", r.text);
    assert_eq!(r.body["schemas"], json!([USER]));
    assert!(okta.get(&path).await.body.get(ENTERPRISE).is_none());
}

async fn patch_reaches_the_extension_in_every_shape(db: TestDb) {
    let sp = server(&db).await;
    let entra = sp.team("acme").await;
    let id = entra.create_user("alice@corp.com").await;
    let path = format!("/Users/{id}");
    let patch = |ops: Value| {
        let entra = entra.clone();
        let path = path.clone();
        async move {
            let r = entra.patch(&path, ops).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            let read = entra.get(&path).await.body;
            assert_eq!(read, r.body, "the PATCH answer is what GET reads");
            read.get(ENTERPRISE).cloned()
        }
    };
    // Entra: a path-less replace with the URN-prefixed key.
    let got = patch(json!([{"op": "Replace", "value": {
        format!("{ENTERPRISE}:department"): "Analytical Engines"
    }}]))
    .await;
    assert_eq!(got, Some(json!({"department": "Analytical Engines"})));
    // A path-less add with the extension's object under its URN key: merged.
    let got = patch(json!([{"op": "add", "value": {
        ENTERPRISE: {"costCenter": "4130", "manager": {"value": "m-1"}}
    }}]))
    .await;
    assert_eq!(
        got,
        Some(
            json!({"department": "Analytical Engines", "costCenter": "4130", "manager": {"value": "m-1"}})
        )
    );
    // URN-prefixed paths, a manager sub-attribute, and the URN in another case.
    let got = patch(json!([
        {"op": "replace", "path": format!("{ENTERPRISE}:manager.displayName"), "value": "Ada"},
        {"op": "remove", "path": format!("{}:costCenter", ENTERPRISE.to_uppercase())},
        {"op": "add", "path": format!("{ENTERPRISE}:division"), "value": "Engines"},
    ]))
    .await;
    assert_eq!(
        got,
        Some(
            json!({"department": "Analytical Engines", "division": "Engines", "manager": {"value": "m-1", "displayName": "Ada"}})
        )
    );
    // Entra's manager: add as a plain id, replace as an object, remove.
    let manager = format!("{ENTERPRISE}:manager");
    let got = patch(json!([{"op": "Add", "path": manager, "value": "m-2"}])).await;
    assert_eq!(
        got.as_ref().map(|e| &e["manager"]),
        Some(&json!({"value": "m-2", "displayName": "Ada"}))
    );
    let got = patch(json!([{"op": "Replace", "path": manager, "value": {"value": "m-3"}}])).await;
    assert_eq!(
        got.as_ref().map(|e| &e["manager"]["value"]),
        Some(&json!("m-3"))
    );
    let got = patch(json!([{"op": "Remove", "path": manager}])).await;
    assert_eq!(
        got,
        Some(json!({"department": "Analytical Engines", "division": "Engines"}))
    );
    // Removing the last attributes removes the extension and its schema.
    let got = patch(json!([{"op": "remove", "path": ENTERPRISE}])).await;
    assert_eq!(got, None);
    assert_eq!(entra.get(&path).await.body["schemas"], json!([USER]));
    // An unknown extension attribute is ignored, as unknown core attributes are.
    let got =
        patch(json!([{"op": "add", "path": format!("{ENTERPRISE}:badge"), "value": "7"}])).await;
    assert_eq!(got, None);
}

async fn projection_reaches_extension_attributes(db: TestDb) {
    let sp = server(&db).await;
    let okta = sp.team("acme").await;
    let (id, _) = create(&okta, user_with("a@corp.com", full_extension())).await;
    let path = format!("/Users/{id}");
    let department = format!("{ENTERPRISE}:department");
    let r = okta.get(&format!("{path}?attributes={department}")).await;
    assert_eq!(
        r.body,
        json!({"schemas": [USER, ENTERPRISE], "id": id, ENTERPRISE: {"department": "Tour Operations"}})
    );
    let r = okta
        .get(&format!(
            "{path}?attributes=userName,{ENTERPRISE}:manager.value"
        ))
        .await;
    assert_eq!(
        r.body[ENTERPRISE],
        json!({"manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}})
    );
    assert_eq!(r.body["userName"], "a@corp.com");
    let r = okta.get(&format!("/Users?attributes={ENTERPRISE}")).await;
    assert_eq!(r.body["Resources"][0][ENTERPRISE], full_extension());
    assert!(r.body["Resources"][0].get("userName").is_none());
    // Excluded: one attribute, then the whole extension.
    let r = okta
        .get(&format!("{path}?excludedAttributes={department}"))
        .await;
    let mut expected = full_extension();
    expected
        .as_object_mut()
        .expect("object")
        .remove("department");
    assert_eq!(r.body[ENTERPRISE], expected);
    assert_eq!(r.body["userName"], "a@corp.com");
    let r = okta
        .get(&format!("{path}?excludedAttributes={ENTERPRISE}"))
        .await;
    assert!(r.body.get(ENTERPRISE).is_none(), "{}", r.text);
    // Positive control: a core attribute under the core URN still projects.
    let r = okta
        .get(&format!("{path}?attributes={USER}:userName"))
        .await;
    assert_eq!(
        r.body,
        json!({"schemas": [USER, ENTERPRISE], "id": id, "userName": "a@corp.com"})
    );
}

async fn discovery_advertises_the_extension(db: TestDb) {
    let sp = server(&db).await;
    let okta = sp.team("acme").await;
    let r = okta.get("/ResourceTypes/User").await;
    assert_eq!(
        r.body["schemaExtensions"],
        json!([{"schema": ENTERPRISE, "required": false}])
    );
    let r = okta.get("/ResourceTypes/Group").await;
    assert_eq!(r.body["schemaExtensions"], json!([]));
    let r = okta.get(&format!("/Schemas/{ENTERPRISE}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let names: Vec<&str> = r.body["attributes"]
        .as_array()
        .expect("attributes")
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "employeeNumber",
            "costCenter",
            "organization",
            "division",
            "department",
            "manager"
        ]
    );
    let r = okta.get("/Schemas").await;
    assert_eq!(r.body["totalResults"], 3);
    let ids: Vec<&str> = r.body["Resources"]
        .as_array()
        .expect("Resources")
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    assert!(ids.contains(&ENTERPRISE), "{ids:?}");
}

on_both_backends!(
    post_stores_and_get_returns_the_extension,
    unknown_sub_attributes_are_ignored_and_empty_ones_dropped,
    bad_types_are_invalid_values_naming_the_attribute,
    put_replaces_the_extension,
    patch_reaches_the_extension_in_every_shape,
    projection_reaches_extension_attributes,
    discovery_advertises_the_extension,
);
