//! SCIM filters and pagination over real HTTP, on SQLite and PostgreSQL: every operator, the
//! logical forms, value paths, case rules, URL encodings, malformed filters; paging that visits
//! every member exactly once.

mod db;
mod scim_support;

use std::collections::BTreeSet;

use db::{TestDb, on_both_backends};
use reqwest::StatusCode;
use scim_support::{Server, Tenant};
use serde_json::json;

/// Four users with distinct attributes; returns the team client.
async fn seeded(sp: &Server) -> Tenant {
    let t = sp.team("acme").await;
    for (user, given, family, display, external, active, emails) in [
        (
            "alice@corp.com",
            "Alice",
            "Liddell",
            "Alice Liddell",
            "ext-A",
            true,
            json!([{"value": "alice@corp.com", "type": "work", "primary": true}, {"value": "al@home.org", "type": "home"}]),
        ),
        (
            "Bob.Smith@Corp.com",
            "Bob",
            "Smith",
            "Bob \"The Builder\" Smith",
            "ext-b",
            true,
            json!([{"value": "bob.smith@corp.com", "type": "work", "primary": true}]),
        ),
        (
            "carol@example.org",
            "Carol",
            "Smith",
            "R and D",
            "EXT-C",
            false,
            json!([]),
        ),
        (
            "dave@corp.com",
            "Dave",
            "Ölund",
            "Dave",
            "ext-d",
            true,
            json!([{"value": "dave@other.net", "type": "other"}]),
        ),
    ] {
        let r = t.post("/Users", json!({"userName": user, "name": {"givenName": given, "familyName": family}, "displayName": display, "externalId": external, "active": active, "emails": emails})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    }
    t
}

/// The userNames a filter (already URL-encoded) selects, in any order.
async fn select(t: &Tenant, encoded_filter: &str) -> BTreeSet<String> {
    let r = t
        .get(&format!("/Users?filter={encoded_filter}&count=1000"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{encoded_filter}: {}", r.text);
    let names: BTreeSet<String> = r.body["Resources"]
        .as_array()
        .expect("Resources")
        .iter()
        .map(|u| u["userName"].as_str().expect("userName").to_owned())
        .collect();
    assert_eq!(r.body["totalResults"].as_u64(), Some(names.len() as u64));
    names
}

fn enc(filter: &str) -> String {
    url::form_urlencoded::byte_serialize(filter.as_bytes()).collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

async fn every_operator_and_form(db: TestDb) {
    let sp = Server::unlimited(db.store().await).await;
    let t = seeded(&sp).await;
    let (a, b, c, d) = (
        "alice@corp.com",
        "Bob.Smith@Corp.com",
        "carol@example.org",
        "dave@corp.com",
    );
    for (filter, expected) in [
        // userName: caseExact false.
        (r#"userName eq "BOB.SMITH@corp.com""#, vec![b]),
        (r#"userName ne "alice@corp.com""#, vec![b, c, d]),
        (r#"userName co "SMITH""#, vec![b]),
        (r#"userName sw "A""#, vec![a]),
        (r#"userName ew "@CORP.COM""#, vec![a, b, d]),
        (r#"userName gt "bob""#, vec![b, c, d]),
        (r#"userName ge "carol@example.org""#, vec![c, d]),
        (r#"userName lt "bob""#, vec![a]),
        (r#"userName le "alice@corp.com""#, vec![a]),
        (r#"userName pr"#, vec![a, b, c, d]),
        // Attribute names in any case, operators in any case.
        (r#"USERNAME EQ "alice@corp.com""#, vec![a]),
        // externalId: caseExact true.
        (r#"externalId eq "ext-b""#, vec![b]),
        (r#"externalId eq "EXT-B""#, vec![]),
        (r#"externalId sw "EXT""#, vec![c]),
        // displayName, with escaped quotes and keywords inside values.
        (r#"displayName eq "bob \"the builder\" smith""#, vec![b]),
        (r#"displayName eq "R and D""#, vec![c]),
        // name.* and non-ASCII letters compared exactly.
        (r#"name.familyName eq "smith""#, vec![b, c]),
        (r#"name.familyName eq "ölund""#, vec![]),
        (r#"name.familyName eq "Ölund""#, vec![d]),
        (
            r#"urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq "carol""#,
            vec![c],
        ),
        // active.
        (r#"active eq false"#, vec![c]),
        (
            r#"active eq true and not (name.givenName eq "bob")"#,
            vec![a, d],
        ),
        // emails: the attribute alone is emails.value; value paths match one element.
        (r#"emails eq "AL@HOME.ORG""#, vec![a]),
        (r#"emails.value ew "corp.com""#, vec![a, b]),
        (r#"emails[type eq "work" and value co "bob"]"#, vec![b]),
        (r#"emails[type eq "home" and value co "bob"]"#, vec![]),
        (
            r#"emails[type eq "work"].value eq "alice@corp.com""#,
            vec![a],
        ),
        (r#"emails[primary eq true]"#, vec![a, b]),
        (r#"emails pr"#, vec![a, b, d]),
        (r#"not (emails pr)"#, vec![c]),
        // Precedence: and before or; parentheses override.
        (
            r#"userName sw "a" or userName sw "b" and active eq false"#,
            vec![a],
        ),
        (
            r#"(userName sw "a" or userName sw "b") and active eq true"#,
            vec![a, b],
        ),
        (
            r#"name.FamilyName eq "Smith" and (emails.Value co "bob" or userName sw "C")"#,
            vec![b, c],
        ),
        // meta dates.
        (
            r#"meta.created ge "2026-11-28T12:00:00Z""#,
            vec![a, b, c, d],
        ),
        (r#"meta.lastModified gt "2026-11-28T12:00:00Z""#, vec![]),
        (
            r#"meta.created lt "2026-11-28T12:00:00.5Z""#,
            vec![a, b, c, d],
        ),
    ] {
        assert_eq!(select(&t, &enc(filter)).await, set(&expected), "{filter}");
    }
    // `+` and `%20` are spaces.
    assert_eq!(
        select(&t, "userName+eq+%22alice%40corp.com%22").await,
        set(&[a])
    );
    assert_eq!(
        select(&t, "userName%20eq%20%22alice%40corp.com%22").await,
        set(&[a])
    );
}

async fn malformed_and_unsupported_filters_are_invalid_filter(db: TestDb) {
    let sp = Server::unlimited(db.store().await).await;
    let t = seeded(&sp).await;
    for (filter, needle) in [
        (r#"userName eq"#, "position 12"),
        (r#"userName eq "alice"#, "position 13"),
        (r#"(userName eq "a""#, "position 17"),
        (r#"userName xx "a""#, "position 10"),
        (r#"nickName eq "a""#, "nickName"),
        (r#"active eq "yes""#, "boolean"),
        (r#"meta.created gt "yesterday""#, "RFC 3339"),
        (r#"name eq "x""#, "name"),
    ] {
        let r = t.get(&format!("/Users?filter={}", enc(filter))).await;
        r.assert_error(400, Some("invalidFilter"));
        assert!(r.detail().contains(needle), "{filter}: {}", r.detail());
    }
}

/// RFC 7644 §3.4.2.4 paging: 1-based, clamped, itemsPerPage = returned, a stable order.
async fn paging_visits_every_member_once(db: TestDb) {
    let sp = Server::unlimited(db.store().await).await;
    let t = sp.team("acme").await;
    let mut all = BTreeSet::new();
    for i in 0..23 {
        let id = t.create_user(&format!("user{i:02}@corp.com")).await;
        all.insert(id);
    }
    for count in [1u64, 5, 7, 10, 23, 50] {
        let mut seen = Vec::new();
        let mut start = 1u64;
        loop {
            let r = t
                .get(&format!("/Users?startIndex={start}&count={count}"))
                .await;
            assert_eq!(r.body["totalResults"], 23);
            assert_eq!(r.body["startIndex"].as_u64(), Some(start));
            let page = r.body["Resources"].as_array().expect("Resources").clone();
            assert_eq!(r.body["itemsPerPage"].as_u64(), Some(page.len() as u64));
            seen.extend(
                page.iter()
                    .map(|u| u["id"].as_str().expect("id").to_owned()),
            );
            start += count;
            if start > 23 {
                break;
            }
        }
        assert_eq!(seen.len(), 23, "count {count}: each member once");
        assert_eq!(
            seen.into_iter().collect::<BTreeSet<_>>(),
            all,
            "count {count}"
        );
    }
    // startIndex < 1 is 1; count < 0 is 0; past the end: itemsPerPage 0 (ory/polis #4054).
    let r = t.get("/Users?startIndex=0&count=2").await;
    assert_eq!(
        (
            r.body["startIndex"].as_u64(),
            r.body["itemsPerPage"].as_u64()
        ),
        (Some(1), Some(2))
    );
    let r = t.get("/Users?startIndex=-4&count=-1").await;
    assert_eq!(
        (
            r.body["startIndex"].as_u64(),
            r.body["itemsPerPage"].as_u64(),
            r.body["totalResults"].as_u64()
        ),
        (Some(1), Some(0), Some(23))
    );
    let r = t.get("/Users?startIndex=101&count=2").await;
    assert_eq!(
        (
            r.body["itemsPerPage"].as_u64(),
            r.body["Resources"].as_array().map(Vec::len)
        ),
        (Some(0), Some(0))
    );
    t.get("/Users?count=many")
        .await
        .assert_error(400, Some("invalidValue"));
}

async fn attributes_and_excluded_attributes(db: TestDb) {
    let sp = Server::unlimited(db.store().await).await;
    let t = seeded(&sp).await;
    let r = t
        .get("/Users?filter=userName+eq+%22alice%40corp.com%22&attributes=userName,name.givenName")
        .await;
    let user = &r.body["Resources"][0];
    let keys: BTreeSet<&str> = user
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, BTreeSet::from(["id", "schemas", "userName", "name"]));
    assert_eq!(user["name"], json!({"givenName": "Alice"}));
    let r = t.get("/Users?excludedAttributes=emails,meta&count=1").await;
    let user = &r.body["Resources"][0];
    assert!(
        user["emails"].is_null() && user["meta"].is_null() && user["userName"].is_string(),
        "{}",
        r.text
    );
}

on_both_backends!(
    every_operator_and_form,
    malformed_and_unsupported_filters_are_invalid_filter,
    paging_visits_every_member_once,
    attributes_and_excluded_attributes,
);
