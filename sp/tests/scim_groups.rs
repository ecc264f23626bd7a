//! SCIM Groups and discovery over real HTTP, on SQLite and PostgreSQL: Okta's group push, the
//! Entra validator's group checks, membership kept inside the team, the discovery documents.

mod db;
mod scim_support;

use db::{TestDb, on_both_backends};
use reqwest::StatusCode;
use scim_support::{Server, redact};
use serde_json::json;

fn member_ids(group: &serde_json::Value) -> Vec<String> {
    let mut ids: Vec<String> = group["members"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|m| m["value"].as_str().expect("value").to_owned())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

fn sorted(ids: &[&String]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(|s| (*s).clone()).collect();
    ids.sort();
    ids
}

/// Okta's group push: create, rename with the read-only id in the value, add and remove members
/// by filter, replace members, delete.
async fn okta_group_push(db: TestDb) {
    let sp = Server::unlimited(db.store().await).await;
    let okta = sp.team("acme").await;
    let alice = okta.create_user("alice@corp.com").await;
    let bob = okta.create_user("bob@corp.com").await;
    let carol = okta.create_user("carol@corp.com").await;

    let r = okta.post("/Groups", json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Engineering", "members": []})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let gid = r.id();
    let path = format!("/Groups/{gid}");
    insta::assert_snapshot!("group_created", redact(&r.body, &[&gid]));

    // Rename: the value carries the read-only id, which is ignored.
    let r = okta
        .patch(
            &path,
            json!([{"op": "replace", "value": {"id": gid, "displayName": "Eng"}}]),
        )
        .await;
    assert_eq!(
        (r.status, r.body["displayName"].as_str()),
        (StatusCode::OK, Some("Eng")),
        "{}",
        r.text
    );
    // Add members.
    let r = okta.patch(&path, json!([{"op": "add", "path": "members", "value": [{"value": alice, "display": "alice@corp.com"}, {"value": bob, "display": "bob@corp.com"}]}])).await;
    assert_eq!(member_ids(&r.body), sorted(&[&alice, &bob]), "{}", r.text);
    // Members are listed in id order, so the redaction names them in that order too.
    let (first, second) = (
        alice.as_str().min(bob.as_str()),
        alice.as_str().max(bob.as_str()),
    );
    insta::assert_snapshot!(
        "group_with_members",
        redact(&r.body, &[&gid, first, second])
    );
    // Remove one by filter; removing it again changes nothing.
    let remove = json!([{"op": "remove", "path": format!("members[value eq \"{alice}\"]")}]);
    let r = okta.patch(&path, remove.clone()).await;
    assert_eq!(member_ids(&r.body), sorted(&[&bob]));
    let r = okta.patch(&path, remove).await;
    assert_eq!(
        (r.status, member_ids(&r.body)),
        (StatusCode::OK, sorted(&[&bob]))
    );
    // Replace the member list.
    let r = okta.patch(&path, json!([{"op": "replace", "path": "members", "value": [{"value": carol}, {"value": alice}]}])).await;
    assert_eq!(member_ids(&r.body), sorted(&[&alice, &carol]));
    // A member deleted by SCIM leaves its groups.
    okta.delete(&format!("/Users/{carol}")).await;
    assert_eq!(member_ids(&okta.get(&path).await.body), sorted(&[&alice]));
    // Delete the group.
    assert_eq!(okta.delete(&path).await.status, StatusCode::NO_CONTENT);
    okta.get(&path).await.assert_error(404, None);
}

/// The Entra validator's group checks: create, get without members, filter by displayName (any
/// case), duplicate 409, add and remove members in Entra's shapes, delete.
async fn entra_group_checks(db: TestDb) {
    let sp = Server::unlimited(db.store().await).await;
    let entra = sp.team("acme").await;
    let alice = entra.create_user("alice@corp.com").await;
    let r = entra
        .post(
            "/Groups",
            json!({"displayName": "Sales", "externalId": "8aa1", "members": [{"value": alice}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let gid = r.id();
    let r = entra
        .get(&format!("/Groups/{gid}?excludedAttributes=members"))
        .await;
    assert!(
        r.body["members"].is_null() && r.body["displayName"] == "Sales",
        "{}",
        r.text
    );
    let r = entra
        .get("/Groups?excludedAttributes=members&filter=displayName+eq+%22SALES%22")
        .await;
    assert_eq!(r.body["totalResults"], 1);
    assert!(r.body["Resources"][0]["members"].is_null());
    let r = entra
        .get(&format!("/Groups?filter=members.value+eq+%22{alice}%22"))
        .await;
    assert_eq!(r.body["totalResults"], 1);
    entra
        .post("/Groups", json!({"displayName": "sales"}))
        .await
        .assert_error(409, Some("uniqueness"));
    // Entra removes with a value list, and adds with a capitalised op.
    let bob = entra.create_user("bob@corp.com").await;
    let path = format!("/Groups/{gid}");
    let r = entra
        .patch(
            &path,
            json!([{"op": "Add", "path": "members", "value": [{"value": bob}]}]),
        )
        .await;
    assert_eq!(member_ids(&r.body), sorted(&[&alice, &bob]));
    let r = entra
        .patch(
            &path,
            json!([{"op": "Remove", "path": "members", "value": [{"value": alice}]}]),
        )
        .await;
    assert_eq!(member_ids(&r.body), sorted(&[&bob]));
    let r = entra
        .patch(
            &path,
            json!([{"op": "Replace", "path": "displayName", "value": "Sales EMEA"}]),
        )
        .await;
    assert_eq!(r.body["displayName"], "Sales EMEA");
    assert_eq!(entra.delete(&path).await.status, StatusCode::NO_CONTENT);
}

/// A group's members are members of its team: another team's member id is refused, and
/// nothing changes.
async fn group_members_stay_inside_the_team(db: TestDb) {
    let sp = Server::unlimited(db.store().await).await;
    let acme = sp.team("acme").await;
    let globex = sp.team("globex").await;
    let outsider = globex.create_user("eve@globex.com").await;
    let r = acme
        .post(
            "/Groups",
            json!({"displayName": "Eng", "members": [{"value": outsider}]}),
        )
        .await;
    r.assert_error(400, Some("invalidValue"));
    assert!(r.detail().contains(&outsider), "{}", r.detail());
    assert_eq!(acme.get("/Groups").await.body["totalResults"], 0);
    let gid = acme
        .post("/Groups", json!({"displayName": "Eng"}))
        .await
        .id();
    acme.patch(
        &format!("/Groups/{gid}"),
        json!([{"op": "add", "path": "members", "value": [{"value": "no-such-member"}]}]),
    )
    .await
    .assert_error(400, Some("invalidValue"));
    assert_eq!(
        acme.get(&format!("/Groups/{gid}")).await.body["meta"]["version"],
        "W/\"1\""
    );
    // Globex cannot see or touch Acme's group.
    globex
        .get(&format!("/Groups/{gid}"))
        .await
        .assert_error(404, None);
    globex
        .delete(&format!("/Groups/{gid}"))
        .await
        .assert_error(404, None);
    acme.post("/Groups", json!({"members": []}))
        .await
        .assert_error(400, Some("invalidValue"));
}

/// The discovery documents describe what is implemented.
async fn discovery_documents(db: TestDb) {
    let sp = Server::unlimited(db.store().await).await;
    let t = sp.team("acme").await;
    let spc = t.get("/ServiceProviderConfig").await;
    assert_eq!(spc.status, StatusCode::OK);
    insta::assert_snapshot!(
        "service_provider_config",
        serde_json::to_string_pretty(&spc.body).expect("json")
    );
    let types = t.get("/ResourceTypes").await;
    insta::assert_snapshot!(
        "resource_types",
        serde_json::to_string_pretty(&types.body).expect("json")
    );
    let schemas = t.get("/Schemas").await;
    insta::assert_snapshot!(
        "schemas",
        serde_json::to_string_pretty(&schemas.body).expect("json")
    );
    let user = t
        .get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User")
        .await;
    assert_eq!(user.body["name"], "User");
    assert_eq!(
        t.get("/ResourceTypes/Group").await.body["endpoint"],
        "/Groups"
    );
    t.get("/Schemas/urn:nope").await.assert_error(404, None);
    t.get("/ResourceTypes/Device").await.assert_error(404, None);
}

/// Every error shape, as a client reads it.
async fn error_shapes(db: TestDb) {
    let sp = Server::unlimited(db.store().await).await;
    let t = sp.team("acme").await;
    t.create_user("alice@corp.com").await;
    let mut shapes = String::new();
    for (what, reply) in [
        ("404", t.get("/Users/nope").await),
        (
            "409",
            t.post("/Users", json!({"userName": "ALICE@corp.com"}))
                .await,
        ),
        (
            "400 invalidFilter",
            t.get("/Users?filter=userName+eq").await,
        ),
        (
            "400 invalidValue",
            t.post("/Users", json!({"displayName": "x"})).await,
        ),
        (
            "400 noTarget",
            t.patch("/Users/nope", json!([{"op": "remove"}])).await,
        ),
    ] {
        shapes.push_str(&format!(
            "{what}:\n{}\n",
            serde_json::to_string_pretty(&reply.body).expect("json")
        ));
    }
    insta::assert_snapshot!("error_shapes", shapes);
}

on_both_backends!(
    okta_group_push,
    entra_group_checks,
    group_members_stay_inside_the_team,
    discovery_documents,
    error_shapes,
);
