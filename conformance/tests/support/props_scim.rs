//! The SCIM property: random sequences of what Okta (and Entra) send — create, deactivate and
//! reactivate, profile changes by PUT or PATCH, lookups by `userName eq`, paged listings — go to
//! the SP's SCIM server over HTTP through mock-okta's own client and request builders, and after
//! every step the server's users equal a model's.
//!
//! sp/tests/scim_model.rs holds the SCIM server to a model with hand-written bodies, deletes
//! and conflicts included; this is the client-side witness: the bodies, headers, encodings and
//! paging are mock-okta's, per profile, and the server is the one `conformance run` targets.

use conformance::inprocess::InProcess;
use conformance::scenario::TeamSetup;
use mock_idp::metadata::Published;
use mock_okta::http::{Client, Exchange, Method, Request};
use mock_okta::requests::{self, Person};
use mock_okta::{AuthMode, Profile, TIMEOUT, TokioSleeper};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// How many different people a sequence touches: few, so that operations meet the same users.
const PEOPLE: u32 = 4;
const GIVEN_NAMES: [&str; 3] = ["Ada", "Grace", "Zoë"];

/// How a profile change travels.
#[derive(Clone, Copy, Debug)]
pub enum Update {
    /// Okta's PUT of the whole object, read-only attributes echoed back.
    Put,
    /// The profile's PATCH (Okta: path-less replace of `name.givenName`; Entra: dotted keys and
    /// a filtered `emails` path).
    Patch,
}

#[derive(Clone, Debug)]
pub enum Op {
    /// POST /Users for person `who`, with the userName in capitals if `upper`.
    Create { who: u32, upper: bool },
    /// GET /Users?filter=userName eq "…", as the profile encodes it.
    Lookup { who: u32, upper: bool },
    /// Deactivate or reactivate: PATCH `active`, or PUT for Okta AIW apps.
    SetActive { who: u32, active: bool },
    /// A new given name (and work email).
    ChangeProfile { who: u32, given: usize, by: Update },
    /// Every user, `count` per page, through startIndex paging.
    List { count: usize },
}

/// A sequence and whose client sends it.
#[derive(Clone, Debug)]
pub struct ScimCase {
    pub profile: Profile,
    pub ops: Vec<Op>,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..PEOPLE, proptest::bool::weighted(0.3))
            .prop_map(|(who, upper)| Op::Create { who, upper }),
        2 => (0..PEOPLE, any::<bool>()).prop_map(|(who, upper)| Op::Lookup { who, upper }),
        2 => (0..PEOPLE, any::<bool>()).prop_map(|(who, active)| Op::SetActive { who, active }),
        2 => (0..PEOPLE, 0..GIVEN_NAMES.len(), select(vec![Update::Put, Update::Patch]))
            .prop_map(|(who, given, by)| Op::ChangeProfile { who, given, by }),
        1 => (1..4usize).prop_map(|count| Op::List { count }),
    ]
}

pub fn scim_case() -> impl Strategy<Value = ScimCase> {
    (
        select(Profile::ALL.to_vec()),
        proptest::collection::vec(op(), 1..16),
    )
        .prop_map(|(profile, ops)| ScimCase { profile, ops })
}

/// A user as the model holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ModelUser {
    id: String,
    user_name: String,
    given: String,
    family: String,
    active: bool,
}

/// The team's users by userName key: SCIM's userName is not case-exact (RFC 7643 §4.1.1), and
/// DESIGN.md folds ASCII letters only.
#[derive(Default)]
struct Model(BTreeMap<String, ModelUser>);

fn key(user_name: &str) -> String {
    user_name.to_ascii_lowercase()
}

impl Model {
    fn get(&self, user_name: &str) -> Option<&ModelUser> {
        self.0.get(&key(user_name))
    }
}

/// Person `who` as Okta's profile first holds them, userName in capitals if `upper`.
fn person(who: u32, upper: bool) -> Person {
    let mut person = Person::new("props", "seq", who);
    if upper {
        person.user_name = person.user_name.to_ascii_uppercase();
    }
    person
}

/// Person `who` as Okta holds them after the steps so far (Okta keeps the userName it pushed).
fn known(who: u32, user: &ModelUser) -> Person {
    Person {
        user_name: user.user_name.clone(),
        given_name: user.given.clone(),
        family_name: user.family.clone(),
        ..person(who, false)
    }
}

/// mock-okta's client for one profile's team, keeping every exchange of the case for failure
/// reports.
struct Okta<'c> {
    client: &'c Client,
    profile: Profile,
    log: Vec<Exchange>,
}

impl Okta<'_> {
    async fn send(&mut self, request: Request) -> Result<(u16, Value), TestCaseError> {
        let received = self
            .client
            .send(&request, &mut self.log)
            .await
            .map_err(|f| {
                self.fail(format!(
                    "{}: expected {}, got {}",
                    f.code, f.expected, f.got
                ))
            })?;
        let body = if received.body.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&received.body)
                .map_err(|e| self.fail(format!("the answer is not JSON: {e}")))?
        };
        Ok((received.status, body))
    }

    /// A failure with the last exchanges (what was sent, what came back) appended.
    fn fail(&self, what: String) -> TestCaseError {
        let recent: Vec<String> = self
            .log
            .iter()
            .rev()
            .take(3)
            .rev()
            .map(|e| {
                format!(
                    "{} {}\n{}\n-> {} {}",
                    e.method.as_str(),
                    e.path,
                    e.request_body.as_deref().unwrap_or(""),
                    e.status
                        .map_or_else(|| "no answer".to_owned(), |s| s.to_string()),
                    e.response_body
                )
            })
            .collect();
        TestCaseError::fail(format!(
            "{what}\nlast exchanges ({}):\n{}",
            self.profile.name(),
            recent.join("\n\n")
        ))
    }

    fn check(&self, ok: bool, what: impl FnOnce() -> String) -> Result<(), TestCaseError> {
        if ok { Ok(()) } else { Err(self.fail(what())) }
    }
}

/// A SCIM team per profile, with mock-okta's client for it. Made once: a client costs a TLS
/// context, far more than a case's requests; each case empties its team first instead.
pub struct Teams(Vec<(Profile, Client)>);

impl Teams {
    pub async fn new(sp: &InProcess) -> Teams {
        let mut clients = Vec::new();
        for profile in Profile::ALL {
            let mut setup = TeamSetup::static_metadata(
                &format!("props-scim-{}", profile.name()),
                &format!("https://idp.props.example/scim-{}", profile.name()),
                Published::Current,
            );
            setup.scim = true;
            let team = sp
                .team(&setup)
                .await
                .unwrap_or_else(|e| panic!("team {}: {e}", setup.slug));
            let token = team.scim_key.expect("a SCIM team has an API key");
            let client = Client::new(
                &sp.scim_base(),
                &token,
                AuthMode::Bearer,
                profile,
                TIMEOUT,
                Arc::new(TokioSleeper),
            )
            .expect("mock-okta's client");
            clients.push((profile, client));
        }
        Teams(clients)
    }

    fn of(&self, profile: Profile) -> Result<Okta<'_>, TestCaseError> {
        let client = self
            .0
            .iter()
            .find(|(p, _)| *p == profile)
            .map(|(_, c)| c)
            .ok_or_else(|| TestCaseError::fail(format!("no team for {}", profile.name())))?;
        Ok(Okta {
            client,
            profile,
            log: Vec::new(),
        })
    }
}

fn user_from(resource: &Value) -> ModelUser {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    ModelUser {
        id: text(&resource["id"]),
        user_name: text(&resource["userName"]),
        given: text(&resource["name"]["givenName"]),
        family: text(&resource["name"]["familyName"]),
        active: resource["active"].as_bool().unwrap_or(false),
    }
}

/// Property 3: after every operation the server's users are the model's.
pub async fn keeps_the_model(teams: &Teams, case: &ScimCase) -> Result<(), TestCaseError> {
    let mut okta = teams.of(case.profile)?;
    empty(&mut okta)
        .await
        .map_err(within("emptying the team".to_owned()))?;
    let mut model = Model::default();
    for (i, op) in case.ops.iter().enumerate() {
        step(&mut okta, &mut model, op)
            .await
            .map_err(within(format!("step {} {op:?}", i + 1)))?;
        same_users(&mut okta, &model)
            .await
            .map_err(within(format!("after step {} {op:?}", i + 1)))?;
    }
    Ok(())
}

/// A failure's reason prefixed with where it happened.
fn within(context: String) -> impl FnOnce(TestCaseError) -> TestCaseError {
    move |e| match e {
        TestCaseError::Fail(reason) => {
            TestCaseError::fail(format!("{context}: {}", reason.message()))
        }
        reject @ TestCaseError::Reject(_) => reject,
    }
}

/// Deletes every user of the team, so that the case starts from the model's empty state
/// whatever an earlier case (or a failed one being shrunk) left.
async fn empty(okta: &mut Okta<'_>) -> Result<(), TestCaseError> {
    for id in list(okta, 100).await?.into_keys() {
        let (status, _) = okta
            .send(Request::delete(requests::resource_path("Users", &id)))
            .await?;
        okta.check(status == 204, || format!("expected 204 deleting {id}"))?;
    }
    Ok(())
}

/// An id no user has, for operations on someone Okta never pushed.
const NO_SUCH_ID: &str = "00000000000000000000000000000000";

async fn step(okta: &mut Okta<'_>, model: &mut Model, op: &Op) -> Result<(), TestCaseError> {
    let profile = okta.profile;
    match *op {
        Op::Create { who, upper } => {
            let person = person(who, upper);
            let body = requests::create_user(profile, &person);
            let (status, answer) = okta
                .send(Request::json(Method::Post, "/Users", &body))
                .await?;
            if let Some(existing) = model.get(&person.user_name) {
                okta.check(status == 409 && answer["scimType"] == "uniqueness", || {
                    format!(
                        "{} exists as {}: expected 409 uniqueness",
                        person.user_name, existing.user_name
                    )
                })?;
            } else {
                okta.check(status == 201, || "expected 201".to_owned())?;
                let created = user_from(&answer);
                let expected = ModelUser {
                    id: created.id.clone(),
                    user_name: person.user_name.clone(),
                    given: person.given_name.clone(),
                    family: person.family_name.clone(),
                    active: true,
                };
                okta.check(created == expected, || {
                    format!("created {created:?}, expected {expected:?}")
                })?;
                model.0.insert(key(&person.user_name), expected);
            }
        }
        Op::Lookup { who, upper } => {
            let person = person(who, upper);
            let (status, answer) = okta
                .send(Request::get(requests::user_filter(
                    profile,
                    &person.user_name,
                )))
                .await?;
            let found: Vec<ModelUser> = answer["Resources"]
                .as_array()
                .map(|r| r.iter().map(user_from).collect())
                .unwrap_or_default();
            let expected: Vec<ModelUser> =
                model.get(&person.user_name).cloned().into_iter().collect();
            okta.check(
                status == 200
                    && answer["totalResults"].as_u64() == u64::try_from(expected.len()).ok()
                    && found == expected,
                || format!("lookup found {found:?}, the model holds {expected:?}"),
            )?;
        }
        Op::SetActive { who, active } => {
            let current = model.get(&person(who, false).user_name).cloned();
            let id = current.as_ref().map_or(NO_SUCH_ID, |u| u.id.as_str());
            let path = requests::resource_path("Users", id);
            let (status, answer) = if profile.puts_active() {
                let (status, now) = okta.send(Request::get(path.clone())).await?;
                match &current {
                    Some(user) if status == 200 => {
                        let body = requests::put_user(&now, &known(who, user), active);
                        okta.send(Request::json(Method::Put, path, &body)).await?
                    }
                    _ => (status, now),
                }
            } else {
                let body = requests::patch_active(profile, active);
                okta.send(Request::json(Method::Patch, path, &body)).await?
            };
            match current {
                None => okta.check(status == 404, || {
                    "expected 404 for an unknown id".to_owned()
                })?,
                Some(mut user) => {
                    user.active = active;
                    let got = user_from(&answer);
                    okta.check(status == 200 && got == user, || {
                        format!("expected 200 with {user:?}, got {got:?}")
                    })?;
                    model.0.insert(key(&user.user_name), user);
                }
            }
        }
        Op::ChangeProfile { who, given, by } => {
            let current = model.get(&person(who, false).user_name).cloned();
            let id = current.as_ref().map_or(NO_SUCH_ID, |u| u.id.as_str());
            let path = requests::resource_path("Users", id);
            let changed = current
                .as_ref()
                .map_or_else(|| person(who, false), |u| known(who, u))
                .changed(GIVEN_NAMES[given]);
            let (status, answer) = match by {
                Update::Put => {
                    let (status, now) = okta.send(Request::get(path.clone())).await?;
                    match &current {
                        Some(user) if status == 200 => {
                            let body = requests::put_user(&now, &changed, user.active);
                            okta.send(Request::json(Method::Put, path, &body)).await?
                        }
                        _ => (status, now),
                    }
                }
                Update::Patch => {
                    let body = requests::patch_profile(profile, &changed);
                    okta.send(Request::json(Method::Patch, path, &body)).await?
                }
            };
            match current {
                None => okta.check(status == 404, || {
                    "expected 404 for an unknown id".to_owned()
                })?,
                Some(mut user) => {
                    user.given = changed.given_name.clone();
                    let got = user_from(&answer);
                    okta.check(status == 200 && got == user, || {
                        format!("expected 200 with {user:?}, got {got:?}")
                    })?;
                    model.0.insert(key(&user.user_name), user);
                }
            }
        }
        Op::List { count } => {
            let listed = list(okta, count).await?;
            let expected: BTreeMap<String, ModelUser> = model
                .0
                .values()
                .map(|u| (u.id.clone(), u.clone()))
                .collect();
            okta.check(listed == expected, || {
                format!("paged by {count}: listed {listed:?}, the model holds {expected:?}")
            })?;
        }
    }
    Ok(())
}

/// Every user, by id, through pages of `count` as Okta's import pages (startIndex from 1):
/// each page's totalResults is the model's count, no page is longer than asked, and no user
/// appears twice.
async fn list(
    okta: &mut Okta<'_>,
    count: usize,
) -> Result<BTreeMap<String, ModelUser>, TestCaseError> {
    let mut listed = BTreeMap::new();
    let mut start = 1;
    loop {
        let (status, page) = okta
            .send(Request::get(format!(
                "/Users?startIndex={start}&count={count}"
            )))
            .await?;
        let resources = page["Resources"].as_array().cloned().unwrap_or_default();
        let total = page["totalResults"].as_u64().unwrap_or(0);
        okta.check(status == 200 && resources.len() <= count, || {
            format!("a page of at most {count} users")
        })?;
        for resource in &resources {
            let user = user_from(resource);
            let id = user.id.clone();
            okta.check(listed.insert(id.clone(), user).is_none(), || {
                format!("user {id} listed twice")
            })?;
        }
        start += resources.len();
        if resources.is_empty() || u64::try_from(listed.len()).unwrap_or(u64::MAX) >= total {
            okta.check(u64::try_from(listed.len()).ok() == Some(total), || {
                format!("{} users listed, totalResults {total}", listed.len())
            })?;
            return Ok(listed);
        }
    }
}

/// The server's users, as Okta's import reads them (pages of 100), equal the model's.
async fn same_users(okta: &mut Okta<'_>, model: &Model) -> Result<(), TestCaseError> {
    let listed = list(okta, 100).await?;
    let count = listed.len();
    let server: BTreeMap<String, ModelUser> = listed
        .into_values()
        .map(|u| (key(&u.user_name), u))
        .collect();
    okta.check(server.len() == count && server == model.0, || {
        format!(
            "the server holds {server:?} ({count} users), the model {:?}",
            model.0
        )
    })
}
