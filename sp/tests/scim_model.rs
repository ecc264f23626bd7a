//! The SCIM server against an in-memory model, and under concurrency, on SQLite and PostgreSQL.
//!
//! Model-based: random sequences of create / replace / patch / deactivate / delete / filter run
//! against the server and against a model of a team (a map from userName key to attributes);
//! every answer's status and content, and the final listing, must equal the model's.
//! Concurrency: 200 simultaneous creates of one userName give exactly one 201; concurrent
//! PATCHes of one user lose no change.

mod db;
mod scim_support;

use std::collections::BTreeMap;

use db::{TestDb, on_both_backends};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::StatusCode;
use scim_support::{Server, Tenant};
use serde_json::json;

#[derive(Debug, Clone)]
enum Op {
    Create {
        name: usize,
        upper: bool,
        given: usize,
    },
    Replace {
        target: usize,
        name: usize,
        given: usize,
    },
    PatchGiven {
        target: usize,
        given: usize,
    },
    SetActive {
        target: usize,
        active: bool,
        entra: bool,
    },
    Delete {
        target: usize,
    },
    FilterByName {
        name: usize,
        upper: bool,
    },
}

const NAMES: usize = 5;
const GIVENS: [&str; 3] = ["Ann", "Bea", "Cy"];

fn user_name(name: usize, upper: bool) -> String {
    let n = format!("user{name}@corp.com");
    if upper { n.to_ascii_uppercase() } else { n }
}

fn arb_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..NAMES, any::<bool>(), 0..3usize).prop_map(|(name, upper, given)| Op::Create { name, upper, given }),
        1 => (0..8usize, 0..NAMES, 0..3usize).prop_map(|(target, name, given)| Op::Replace { target, name, given }),
        1 => (0..8usize, 0..3usize).prop_map(|(target, given)| Op::PatchGiven { target, given }),
        1 => (0..8usize, any::<bool>(), any::<bool>()).prop_map(|(target, active, entra)| Op::SetActive { target, active, entra }),
        1 => (0..8usize).prop_map(|target| Op::Delete { target }),
        1 => (0..NAMES, any::<bool>()).prop_map(|(name, upper)| Op::FilterByName { name, upper }),
    ]
}

/// A live user of the model.
#[derive(Debug, Clone, PartialEq)]
struct ModelUser {
    user_name: String,
    given: String,
    family: String,
    active: bool,
}

#[derive(Default)]
struct Model {
    /// Every id the server handed out, live or deleted, in order.
    ids: Vec<String>,
    live: BTreeMap<String, ModelUser>,
}

impl Model {
    fn target(&self, i: usize) -> String {
        if self.ids.is_empty() {
            "no-such-id".to_owned()
        } else {
            self.ids[i % self.ids.len()].clone()
        }
    }

    fn taken_by_other(&self, user_name: &str, except: Option<&str>) -> bool {
        self.live.iter().any(|(id, u)| {
            Some(id.as_str()) != except && u.user_name.eq_ignore_ascii_case(user_name)
        })
    }
}

fn check(cond: bool, what: String) -> Result<(), TestCaseError> {
    if cond {
        Ok(())
    } else {
        Err(TestCaseError::fail(what))
    }
}

async fn run_ops(t: &Tenant, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut model = Model::default();
    for op in ops {
        match op {
            Op::Create { name, upper, given } => {
                let un = user_name(*name, *upper);
                let r = t.post("/Users", json!({"userName": un, "name": {"givenName": GIVENS[*given], "familyName": "Fam"}})).await;
                if model.taken_by_other(&un, None) {
                    check(
                        r.status == StatusCode::CONFLICT && r.body["scimType"] == "uniqueness",
                        format!("{op:?}: {}", r.text),
                    )?;
                } else {
                    check(
                        r.status == StatusCode::CREATED && r.body["userName"] == un,
                        format!("{op:?}: {}", r.text),
                    )?;
                    let id = r.id();
                    model.ids.push(id.clone());
                    model.live.insert(
                        id,
                        ModelUser {
                            user_name: un,
                            given: GIVENS[*given].into(),
                            family: "Fam".into(),
                            active: true,
                        },
                    );
                }
            }
            Op::Replace {
                target,
                name,
                given,
            } => {
                let id = model.target(*target);
                let un = user_name(*name, false);
                let r = t.put(&format!("/Users/{id}"), json!({"userName": un, "name": {"givenName": GIVENS[*given], "familyName": "Put"}, "active": true})).await;
                if !model.live.contains_key(&id) {
                    check(
                        r.status == StatusCode::NOT_FOUND,
                        format!("{op:?}: {}", r.text),
                    )?;
                } else if model.taken_by_other(&un, Some(&id)) {
                    check(
                        r.status == StatusCode::CONFLICT,
                        format!("{op:?}: {}", r.text),
                    )?;
                } else {
                    check(r.status == StatusCode::OK, format!("{op:?}: {}", r.text))?;
                    model.live.insert(
                        id,
                        ModelUser {
                            user_name: un,
                            given: GIVENS[*given].into(),
                            family: "Put".into(),
                            active: true,
                        },
                    );
                }
            }
            Op::PatchGiven { target, given } => {
                let id = model.target(*target);
                let r = t.patch(&format!("/Users/{id}"), json!([{"op": "replace", "path": "name.givenName", "value": GIVENS[*given]}])).await;
                match model.live.get_mut(&id) {
                    None => check(
                        r.status == StatusCode::NOT_FOUND,
                        format!("{op:?}: {}", r.text),
                    )?,
                    Some(u) => {
                        u.given = GIVENS[*given].into();
                        check(
                            r.status == StatusCode::OK
                                && r.body["name"]["familyName"] == u.family.as_str(),
                            format!("{op:?}: {}", r.text),
                        )?;
                    }
                }
            }
            Op::SetActive {
                target,
                active,
                entra,
            } => {
                let id = model.target(*target);
                let ops = if *entra {
                    json!([{"op": "Replace", "path": "active", "value": if *active { "True" } else { "False" }}])
                } else {
                    json!([{"op": "replace", "value": {"active": active}}])
                };
                let r = t.patch(&format!("/Users/{id}"), ops).await;
                match model.live.get_mut(&id) {
                    None => check(
                        r.status == StatusCode::NOT_FOUND,
                        format!("{op:?}: {}", r.text),
                    )?,
                    Some(u) => {
                        u.active = *active;
                        check(
                            r.status == StatusCode::OK && r.body["active"] == *active,
                            format!("{op:?}: {}", r.text),
                        )?;
                    }
                }
            }
            Op::Delete { target } => {
                let id = model.target(*target);
                let r = t.delete(&format!("/Users/{id}")).await;
                let expected = if model.live.remove(&id).is_some() {
                    StatusCode::NO_CONTENT
                } else {
                    StatusCode::NOT_FOUND
                };
                check(r.status == expected, format!("{op:?}: {}", r.text))?;
            }
            Op::FilterByName { name, upper } => {
                let un = user_name(*name, *upper);
                let r = t
                    .get(&format!(
                        "/Users?filter=userName+eq+%22{}%22",
                        un.replace('@', "%40")
                    ))
                    .await;
                let expected = u64::from(model.taken_by_other(&un, None));
                check(
                    r.body["totalResults"].as_u64() == Some(expected),
                    format!("{op:?}: {}", r.text),
                )?;
            }
        }
    }
    // The final state, listed through paging, equals the model.
    let r = t.get("/Users?count=1000").await;
    let mut server = BTreeMap::new();
    for u in r.body["Resources"].as_array().cloned().unwrap_or_default() {
        server.insert(
            u["id"].as_str().unwrap_or_default().to_owned(),
            ModelUser {
                user_name: u["userName"].as_str().unwrap_or_default().into(),
                given: u["name"]["givenName"].as_str().unwrap_or_default().into(),
                family: u["name"]["familyName"].as_str().unwrap_or_default().into(),
                active: u["active"].as_bool().unwrap_or(false),
            },
        );
    }
    check(
        server == model.live,
        format!("final state: server {server:?} model {:?}", model.live),
    )
}

async fn server_equals_model(db: TestDb) {
    let sp = Server::unlimited(db.store().await).await;
    let cases = if db.backend == sp::store::Backend::Postgres {
        24
    } else {
        48
    };
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let counter = std::sync::atomic::AtomicUsize::new(0);
    let handle = tokio::runtime::Handle::current();
    let result = tokio::task::block_in_place(|| {
        runner.run(&proptest::collection::vec(arb_op(), 1..24), |ops| {
            // A team per case, so cases do not see each other.
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            handle.block_on(async {
                let t = sp.team(&format!("team-{n}")).await;
                run_ops(&t, &ops).await
            })
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// 200 simultaneous creates of one userName (in varying case): exactly one 201, the rest 409.
async fn concurrent_creates_make_one_member(db: TestDb) {
    let sp = Server::unlimited(db.store().await).await;
    let t = sp.team("acme").await;
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let t = t.clone();
            tokio::spawn(async move {
                let name = if i % 2 == 0 {
                    "Race@Corp.com"
                } else {
                    "race@corp.COM"
                };
                t.post("/Users", json!({"userName": name})).await.status
            })
        })
        .collect();
    let mut statuses = BTreeMap::new();
    for task in tasks {
        *statuses
            .entry(task.await.expect("task").as_u16())
            .or_insert(0) += 1;
    }
    assert_eq!(statuses, BTreeMap::from([(201, 1), (409, 199)]));
    assert_eq!(t.get("/Users").await.body["totalResults"], 1);
}

/// 20 concurrent PATCHes, each adding its own email, and 20 adding group members: none lost.
async fn concurrent_patches_lose_no_update(db: TestDb) {
    let sp = Server::unlimited(db.store().await).await;
    let t = sp.team("acme").await;
    let id = t.create_user("alice@corp.com").await;
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let (t, id) = (t.clone(), id.clone());
            tokio::spawn(async move {
                t.patch(&format!("/Users/{id}"), json!([{"op": "add", "path": "emails", "value": [{"value": format!("a{i}@corp.com"), "type": "other"}]}])).await.status
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.expect("task"), StatusCode::OK);
    }
    let r = t.get(&format!("/Users/{id}")).await;
    // The Okta email from creation plus 20.
    assert_eq!(
        r.body["emails"].as_array().map(Vec::len),
        Some(21),
        "{}",
        r.text
    );
    assert_eq!(r.body["meta"]["version"], "W/\"21\"");

    let mut members = Vec::new();
    for i in 0..20 {
        members.push(t.create_user(&format!("m{i}@corp.com")).await);
    }
    let gid = t.post("/Groups", json!({"displayName": "Eng"})).await.id();
    let tasks: Vec<_> = members
        .iter()
        .map(|m| {
            let (t, gid, m) = (t.clone(), gid.clone(), m.clone());
            tokio::spawn(async move {
                t.patch(
                    &format!("/Groups/{gid}"),
                    json!([{"op": "add", "path": "members", "value": [{"value": m}]}]),
                )
                .await
                .status
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.expect("task"), StatusCode::OK);
    }
    let r = t.get(&format!("/Groups/{gid}")).await;
    assert_eq!(
        r.body["members"].as_array().map(Vec::len),
        Some(20),
        "{}",
        r.text
    );
}

on_both_backends!(
    server_equals_model,
    concurrent_creates_make_one_member,
    concurrent_patches_lose_no_update
);
