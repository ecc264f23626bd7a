//! SCIM Users over real HTTP, on SQLite and PostgreSQL: Okta's SPEC test, CRUD, PUT and PATCH
//! in Okta's and Entra's shapes, bad input that changes nothing, auth and tenancy.

mod db;
mod scim_support;

use db::{TestDb, on_both_backends};
use reqwest::{Method, StatusCode};
use scim_support::{Mount, Server, okta_user, redact};
use serde_json::json;

async fn server(db: &TestDb) -> Server {
    Server::unlimited(db.store().await).await
}

/// Okta's "SCIM 2.0 SPEC test" (its 12 requests), in its order and with its expectations.
async fn okta_spec_test(db: TestDb) {
    let sp = server(&db).await;
    let okta = sp.team("acme").await;
    okta.create_user("existing@corp.com").await;

    // 1. GET /Users?count=1&startIndex=1: a list with non-empty fields.
    let r = okta.get("/Users?count=1&startIndex=1").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("application/scim+json"));
    assert_eq!(
        (
            r.body["totalResults"].as_u64(),
            r.body["itemsPerPage"].as_u64(),
            r.body["startIndex"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    let first = &r.body["Resources"][0];
    for field in ["id", "userName", "name", "emails", "active", "meta"] {
        assert!(!first[field].is_null(), "{field} in {}", r.text);
    }
    // 2. GET /Users/{id} of that user.
    let id = first["id"].as_str().expect("id").to_owned();
    let r = okta.get(&format!("/Users/{id}")).await;
    assert_eq!(
        (r.status, r.body["userName"].as_str()),
        (StatusCode::OK, Some("existing@corp.com"))
    );
    // 3. A filter on a user that does not exist: 0 results.
    let r = okta
        .get("/Users?filter=userName%20eq%20%22invalid-user%40corp.com%22")
        .await;
    assert_eq!(
        (
            r.status,
            r.body["totalResults"].as_u64(),
            r.body["itemsPerPage"].as_u64()
        ),
        (StatusCode::OK, Some(0), Some(0))
    );
    // 4. An unknown id: 404 with a SCIM Error and a detail.
    let r = okta.get("/Users/010101001010101011001010101011").await;
    r.assert_error(404, None);
    assert!(!r.detail().is_empty());
    // 5. The random user is absent before it is created.
    let r = okta
        .get("/Users?filter=userName+eq+%22Random.User%40corp.com%22")
        .await;
    assert_eq!(r.body["totalResults"].as_u64(), Some(0));
    // 6. POST creates: 201, the full resource, a string id.
    let r = okta
        .post(
            "/Users",
            okta_user("Random.User@corp.com", "Random", "User"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(r.body["id"].is_string());
    assert_eq!(r.body["userName"], "Random.User@corp.com");
    assert_eq!(
        r.body["name"],
        json!({"givenName": "Random", "familyName": "User"})
    );
    assert_eq!(r.body["active"], true);
    let created = r.id();
    // 7. GET the created user.
    let r = okta.get(&format!("/Users/{created}")).await;
    assert_eq!(
        (r.status, r.body["id"].as_str()),
        (StatusCode::OK, Some(created.as_str()))
    );
    // 8. POST the same user again: 409 uniqueness.
    okta.post(
        "/Users",
        okta_user("random.user@CORP.com", "Random", "User"),
    )
    .await
    .assert_error(409, Some("uniqueness"));
    // 9. A filter with the userName in capitals finds the user.
    let r = okta
        .get("/Users?filter=userName%20eq%20%22RANDOM.USER%40CORP.COM%22")
        .await;
    assert_eq!(
        (r.status, r.body["totalResults"].as_u64()),
        (StatusCode::OK, Some(1))
    );
    assert_eq!(
        r.body["Resources"][0]["id"].as_str(),
        Some(created.as_str())
    );
    // 10. GET /Groups answers (Okta times it: < 600 ms).
    let started = std::time::Instant::now();
    let r = okta.get("/Groups?startIndex=1&count=100").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(started.elapsed() < std::time::Duration::from_millis(600));
    // 11. A non-token Authorization: 401 with a SCIM Error whose status is the string "401".
    let mut bad = okta.clone();
    bad.key = "not-a-token".into();
    bad.get("/Users").await.assert_error(401, None);
    // 12. GET /Users/00919288221112222: 404, status "404".
    okta.get("/Users/00919288221112222")
        .await
        .assert_error(404, None);
}

async fn create_read_delete(db: TestDb) {
    let sp = server(&db).await;
    let okta = sp.team("acme").await;
    let r = okta
        .post("/Users", okta_user("Alice@Corp.com", "Alice", "Liddell"))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let id = r.id();
    assert_eq!(
        r.header("location"),
        Some(format!("https://www.qualified.io/scim/v2/Users/{id}").as_str())
    );
    assert_eq!(r.header("etag"), Some("W/\"1\""));
    insta::assert_snapshot!("user_created", redact(&r.body, &[&id]));
    // The member in the team is this user.
    let member = sp
        .store
        .member_by_user_name(&okta.team.id, "alice@corp.com")
        .await
        .expect("lookup")
        .expect("member");
    assert_eq!(
        (
            member.id.0.as_str(),
            member.given_name.as_deref(),
            member.active
        ),
        (id.as_str(), Some("Alice"), true)
    );
    // DELETE: 204, then 404.
    let r = okta.delete(&format!("/Users/{id}")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    okta.get(&format!("/Users/{id}"))
        .await
        .assert_error(404, None);
    okta.delete(&format!("/Users/{id}"))
        .await
        .assert_error(404, None);
    assert!(
        sp.store
            .member_by_user_name(&okta.team.id, "alice@corp.com")
            .await
            .expect("lookup")
            .is_none()
    );
}

/// Okta's deactivation (PATCH active false) keeps the user readable; reactivation restores it.
async fn deactivated_users_stay_readable(db: TestDb) {
    let sp = server(&db).await;
    let okta = sp.team("acme").await;
    let id = okta.create_user("alice@corp.com").await;
    let r = okta
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "value": {"active": false}}]),
        )
        .await;
    assert_eq!(
        (r.status, &r.body["active"]),
        (StatusCode::OK, &json!(false)),
        "{}",
        r.text
    );
    let r = okta.get(&format!("/Users/{id}")).await;
    assert_eq!(
        (r.status, &r.body["active"]),
        (StatusCode::OK, &json!(false))
    );
    let r = okta.get("/Users?filter=active%20eq%20false").await;
    assert_eq!(r.body["totalResults"], 1);
    let member = sp
        .store
        .member_by_user_name(&okta.team.id, "alice@corp.com")
        .await
        .expect("lookup")
        .expect("member");
    assert!(!member.active);
    // Entra's shape: capitalised op, path, string boolean.
    let r = okta
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "Replace", "path": "active", "value": "True"}]),
        )
        .await;
    assert_eq!(
        (r.status, &r.body["active"]),
        (StatusCode::OK, &json!(true)),
        "{}",
        r.text
    );
}

/// Okta's PUT sends the whole object back, read-only attributes included.
async fn put_replaces_and_ignores_read_only_echoes(db: TestDb) {
    let sp = server(&db).await;
    let okta = sp.team("acme").await;
    let id = okta.create_user("alice@corp.com").await;
    let mut user = okta.get(&format!("/Users/{id}")).await.body;
    user["name"]["givenName"] = json!("Alicia");
    user["name"]["middleName"] = json!("");
    user["groups"] = json!([]);
    user["meta"]["created"] = json!("1999-01-01T00:00:00Z");
    let r = okta.put(&format!("/Users/{id}"), user).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["name"]["givenName"], "Alicia");
    assert_eq!(r.body["meta"]["created"], "2026-11-28T12:00:00Z");
    assert_eq!(r.body["meta"]["version"], "W/\"2\"");
    // An id naming another resource is a change of a read-only attribute.
    let mut other = okta_user("alice@corp.com", "A", "L");
    other["id"] = json!("someone-else");
    okta.put(&format!("/Users/{id}"), other)
        .await
        .assert_error(400, Some("mutability"));
    // PUT replaces: what is not sent is gone.
    let r = okta
        .put(
            &format!("/Users/{id}"),
            json!({"userName": "alice@corp.com"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body["name"].is_null() && r.body["emails"].is_null(),
        "{}",
        r.text
    );
    okta.put("/Users/nope", json!({"userName": "x@corp.com"}))
        .await
        .assert_error(404, None);
}

/// Okta's profile update renames the member: the SSO key follows; a rename onto another
/// member's userName is 409 and changes nothing.
async fn rename_is_the_sso_key_change(db: TestDb) {
    let sp = server(&db).await;
    let okta = sp.team("acme").await;
    let alice = okta.create_user("alice@corp.com").await;
    okta.create_user("bob@corp.com").await;
    let r = okta.patch(&format!("/Users/{alice}"), json!([{"op": "replace", "value": {"userName": "alice.liddell@corp.com", "emails": [{"value": "alice.liddell@corp.com", "primary": true, "type": "work"}]}}])).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let found = sp
        .store
        .member_by_user_name(&okta.team.id, "ALICE.LIDDELL@corp.com")
        .await
        .expect("lookup")
        .expect("renamed");
    assert_eq!(found.id.0, alice);
    assert!(
        sp.store
            .member_by_user_name(&okta.team.id, "alice@corp.com")
            .await
            .expect("lookup")
            .is_none()
    );
    // Onto Bob's name, by PATCH and by PUT: 409, Alice unchanged.
    okta.patch(
        &format!("/Users/{alice}"),
        json!([{"op": "replace", "path": "userName", "value": "Bob@corp.com"}]),
    )
    .await
    .assert_error(409, Some("uniqueness"));
    okta.put(
        &format!("/Users/{alice}"),
        okta_user("BOB@corp.com", "A", "L"),
    )
    .await
    .assert_error(409, Some("uniqueness"));
    let r = okta.get(&format!("/Users/{alice}")).await;
    assert_eq!(
        (
            r.body["userName"].as_str(),
            r.body["meta"]["version"].as_str()
        ),
        (Some("alice.liddell@corp.com"), Some("W/\"2\""))
    );
}

/// PATCH as Entra sends it (with its `aadOptscim062020` flag and without).
async fn patch_in_entra_shapes(db: TestDb) {
    let sp = server(&db).await;
    let entra = sp.team("acme").await;
    let id = entra.create_user("alice@corp.com").await;
    let path = format!("/Users/{id}");
    // Path-less, dotted and URN-prefixed keys; familyName survives a givenName change.
    let r = entra
        .patch(
            &path,
            json!([{"op": "Replace", "value": {
                "name.givenName": "Alicia",
                "urn:ietf:params:scim:schemas:core:2.0:User:displayName": "Alicia L",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "42"
            }}]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body["name"],
        json!({"givenName": "Alicia", "familyName": "Liddell"})
    );
    assert_eq!(r.body["displayName"], "Alicia L");
    // Filtered path on the work email.
    let r = entra.patch(&path, json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "alicia@corp.com"}])).await;
    assert_eq!(
        r.body["emails"],
        json!([{"value": "alicia@corp.com", "type": "work", "primary": true}]),
        "{}",
        r.text
    );
    let r = entra
        .get("/Users?filter=emails.value+eq+%22ALICIA%40corp.com%22")
        .await;
    assert_eq!(r.body["totalResults"], 1);
    // Add (another email), remove by filter.
    let r = entra.patch(&path, json!([{"op": "add", "path": "emails", "value": [{"value": "home@x.org", "type": "home"}]}])).await;
    assert_eq!(r.body["emails"].as_array().map(Vec::len), Some(2));
    let r = entra
        .patch(
            &path,
            json!([{"op": "remove", "path": "emails[type eq \"home\"]"}]),
        )
        .await;
    assert_eq!(r.body["emails"].as_array().map(Vec::len), Some(1));
    // The enterprise extension is kept: the employeeNumber set above, then Entra's manager
    // add (the id as a plain string), replace and remove.
    let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let manager = format!("{enterprise}:manager");
    let r = entra
        .patch(
            &path,
            json!([{"op": "add", "path": manager, "value": "m-1"}]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body[enterprise],
        json!({"employeeNumber": "42", "manager": {"value": "m-1"}})
    );
    let r = entra
        .patch(
            &path,
            json!([{"op": "Replace", "path": manager, "value": {"value": "m-2"}}]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body[enterprise]["manager"], json!({"value": "m-2"}));
    let r = entra
        .patch(&path, json!([{"op": "Remove", "path": manager}]))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body[enterprise], json!({"employeeNumber": "42"}));
    // Remove without a path: noTarget, and nothing changed.
    let before = entra.get(&path).await.body;
    entra
        .patch(&path, json!([{"op": "remove"}]))
        .await
        .assert_error(400, Some("noTarget"));
    entra
        .patch(
            &path,
            json!([{"op": "replace", "path": "id", "value": "x"}]),
        )
        .await
        .assert_error(400, Some("mutability"));
    entra
        .patch(
            &path,
            json!([{"op": "replace", "path": "emails[type eq ]", "value": "x"}]),
        )
        .await
        .assert_error(400, Some("invalidPath"));
    entra
        .patch(
            &path,
            json!([{"op": "replace", "path": "userName", "value": ""}]),
        )
        .await
        .assert_error(400, Some("invalidValue"));
    entra
        .patch(&path, json!([{"op": "remove", "path": "userName"}]))
        .await
        .assert_error(400, Some("invalidValue"));
    assert_eq!(
        entra.get(&path).await.body,
        before,
        "refused PATCHes change nothing"
    );
}

/// Bad input: each answer a SCIM Error, none changes anything.
async fn bad_input_is_refused_and_changes_nothing(db: TestDb) {
    let sp = server(&db).await;
    let okta = sp.team("acme").await;
    let send_raw = |body: &'static str, content_type: &'static str| {
        let okta = okta.clone();
        async move {
            scim_support::reply(
                scim_support::http()
                    .post(format!("{}/Users", okta.base))
                    .header("authorization", format!("Bearer {}", okta.key))
                    .header("content-type", content_type)
                    .body(body)
                    .send()
                    .await
                    .expect("send"),
            )
            .await
        }
    };
    let r = send_raw("{\"userName\": ", "application/scim+json").await;
    r.assert_error(400, Some("invalidSyntax"));
    let r = okta
        .post("/Users", json!({"name": {"givenName": "A"}}))
        .await;
    r.assert_error(400, Some("invalidValue"));
    assert!(r.detail().contains("userName"), "{}", r.detail());
    // The identity rule refuses look-alikes, naming userName and the reason.
    let r = okta
        .post("/Users", json!({"userName": "\u{212A}ate@corp.com"}))
        .await;
    r.assert_error(400, Some("invalidValue"));
    assert!(
        r.detail().starts_with("userName:") && r.detail().contains("NFKC"),
        "{}",
        r.detail()
    );
    okta.post(
        "/Users",
        json!({"userName": "a@corp.com", "active": "maybe"}),
    )
    .await
    .assert_error(400, Some("invalidValue"));
    okta.post(
        "/Users",
        json!({"userName": "a@corp.com", "emails": "a@corp.com"}),
    )
    .await
    .assert_error(400, Some("invalidValue"));
    let r = send_raw("{\"userName\": \"a@corp.com\"}", "text/plain").await;
    r.assert_error(415, None);
    let huge = format!(
        "{{\"userName\": \"a@corp.com\", \"pad\": \"{}\"}}",
        "x".repeat(300 * 1024)
    );
    let r = scim_support::reply(
        scim_support::http()
            .post(format!("{}/Users", okta.base))
            .header("authorization", format!("Bearer {}", okta.key))
            .header("content-type", "application/json")
            .body(huge)
            .send()
            .await
            .expect("send"),
    )
    .await;
    r.assert_error(413, None);
    // Nothing was created.
    assert_eq!(okta.get("/Users").await.body["totalResults"], 0);
    // Positive controls: application/json with a charset, unknown attributes ignored.
    let r = send_raw(
        "{\"userName\": \"a@corp.com\", \"nickName\": \"A\", \"x-custom\": {\"y\": 1}}",
        "application/json; charset=UTF-8",
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(r.body["nickName"].is_null());
}

/// Auth: Bearer or raw key; 401 otherwise; 403 when the team may not use SCIM; one team's key
/// never reaches another team's members.
async fn auth_and_tenancy(db: TestDb) {
    let sp = server(&db).await;
    let acme = sp.team("acme").await;
    let globex = sp.team("globex").await;
    let alice = acme.create_user("alice@corp.com").await;
    // The raw key, as Okta's "HTTP Header" mode sends it.
    let raw = scim_support::reply(
        scim_support::http()
            .get(format!("{}/Users/{alice}", acme.base))
            .header("authorization", acme.key.clone())
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(raw.status, StatusCode::OK);
    // No header at all.
    let none = scim_support::reply(
        scim_support::http()
            .get(format!("{}/Users", acme.base))
            .send()
            .await
            .expect("send"),
    )
    .await;
    none.assert_error(401, None);
    assert!(none.header("www-authenticate").is_some());
    // Globex's key: Alice does not exist for it, whatever the method.
    globex
        .get(&format!("/Users/{alice}"))
        .await
        .assert_error(404, None);
    globex
        .put(
            &format!("/Users/{alice}"),
            okta_user("evil@corp.com", "E", "V"),
        )
        .await
        .assert_error(404, None);
    globex
        .patch(
            &format!("/Users/{alice}"),
            json!([{"op": "replace", "value": {"active": false}}]),
        )
        .await
        .assert_error(404, None);
    globex
        .delete(&format!("/Users/{alice}"))
        .await
        .assert_error(404, None);
    assert_eq!(globex.get("/Users").await.body["totalResults"], 0);
    assert_eq!(
        globex
            .get(&format!("/Users?filter=id+eq+%22{alice}%22"))
            .await
            .body["totalResults"],
        0
    );
    // The same userName is free in another team.
    globex.create_user("alice@corp.com").await;
    let r = acme.get(&format!("/Users/{alice}")).await;
    assert_eq!(
        (r.status, &r.body["active"]),
        (StatusCode::OK, &json!(true))
    );
    // Teams without API access or SCIM: 403 naming the switch.
    let no_scim = sp.team_with("initech", true, false).await;
    let r = no_scim.get("/Users").await;
    r.assert_error(403, None);
    assert!(r.detail().contains("SCIM is not enabled"), "{}", r.detail());
    let no_api = sp.team_with("hooli", false, true).await;
    let r = no_api.get("/Users").await;
    r.assert_error(403, None);
    assert!(r.detail().contains("no API access"), "{}", r.detail());
}

/// Every answer under /scim/v2 is SCIM JSON, never an HTML page or a redirect, even with the
/// canonical-host redirect on for the HTML pages.
async fn scim_is_outside_the_html_site(db: TestDb) {
    let sp = Server::start(
        db.store().await,
        Mount::Full {
            canonical_host: Some("www.qualified.io".into()),
        },
    )
    .await;
    let okta = sp.team("acme").await;
    okta.get("/Nope").await.assert_error(404, None);
    okta.get("").await.assert_error(404, None);
    okta.get("/").await.assert_error(404, None);
    okta.get("/Users/a/b").await.assert_error(404, None);
    okta.send(Method::POST, "/ServiceProviderConfig", Some(json!({})))
        .await
        .assert_error(405, None);
    let r = okta.get("/Users").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Positive control: the HTML site does redirect to the canonical host.
    let home = scim_support::http()
        .get(sp.url("/login"))
        .send()
        .await
        .expect("send");
    assert_eq!(home.status(), StatusCode::MOVED_PERMANENTLY);
}

/// ETags: every resource has one; If-Match with an old version is 412 and changes nothing.
async fn if_match_is_honoured(db: TestDb) {
    let sp = server(&db).await;
    let okta = sp.team("acme").await;
    let id = okta.create_user("alice@corp.com").await;
    let path = format!("/Users/{id}");
    let ops = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "value": {"displayName": "A"}}]});
    let r = okta
        .send_with(
            Method::PATCH,
            &path,
            Some(ops.clone()),
            &[("if-match", "W/\"1\"")],
        )
        .await;
    assert_eq!(
        (r.status, r.header("etag")),
        (StatusCode::OK, Some("W/\"2\""))
    );
    let r = okta
        .send_with(
            Method::PATCH,
            &path,
            Some(ops.clone()),
            &[("if-match", "W/\"1\"")],
        )
        .await;
    r.assert_error(412, None);
    okta.send_with(Method::DELETE, &path, None, &[("if-match", "W/\"1\"")])
        .await
        .assert_error(412, None);
    assert_eq!(okta.get(&path).await.body["meta"]["version"], "W/\"2\"");
    let r = okta
        .send_with(Method::DELETE, &path, None, &[("if-match", "W/\"2\"")])
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
}

on_both_backends!(
    okta_spec_test,
    create_read_delete,
    deactivated_users_stay_readable,
    put_replaces_and_ignores_read_only_echoes,
    rename_is_the_sso_key_change,
    patch_in_entra_shapes,
    bad_input_is_refused_and_changes_nothing,
    auth_and_tenancy,
    scim_is_outside_the_html_site,
    if_match_is_honoured,
);

/// The default per-team rate limit answers 429 with Retry-After, per team.
#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    use sp::scim::ScimSettings;
    use sp::scim::ratelimit::RateLimit;
    let db = db::sqlite_db();
    let limit = RateLimit {
        per_second: 1.0,
        burst: 3.0,
    };
    let sp = Server::start(
        db.store().await,
        Mount::ScimOnly(ScimSettings {
            rate_limit: Some(limit),
        }),
    )
    .await;
    let acme = sp.team("acme").await;
    let globex = sp.team("globex").await;
    for _ in 0..3 {
        assert_eq!(acme.get("/Users").await.status, StatusCode::OK);
    }
    let r = acme.get("/Users").await;
    r.assert_error(429, None);
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(
        globex.get("/Users").await.status,
        StatusCode::OK,
        "another team's budget is its own"
    );
    sp.clock.set(scim_support::T0 + time::Duration::seconds(1));
    assert_eq!(
        acme.get("/Users").await.status,
        StatusCode::OK,
        "a token is back after a second"
    );
}
