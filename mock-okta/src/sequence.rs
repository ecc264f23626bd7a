//! The sequences: Okta's lifecycles as ordered steps, each judged as Okta judges the answer.
//!
//! A sequence stops at its first failed step, as Okta's task does: later steps need what the
//! failed one should have produced (an id, a state). Every sequence makes its own users, named
//! after the run's tag, so sequences and runs against one server do not meet.

use crate::http::{Client, Exchange, Method, Received, Request};
use crate::judge::{self, Failure, Judgement, Page};
use crate::profile::Profile;
use crate::report::StepReport;
use crate::requests::{self, Person};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

/// A named scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sequence {
    Connect,
    Push,
    Spec,
    Duplicate,
    LinkExisting,
    Update,
    Deactivate,
    Reactivate,
    Unassign,
    Import,
    Errors,
    Groups,
    Lifecycle,
}

impl Sequence {
    /// Every sequence, in the order `all` runs them (push before spec: Okta's SPEC test reads
    /// an existing user first).
    pub const ALL: [Sequence; 13] = [
        Sequence::Connect,
        Sequence::Push,
        Sequence::Spec,
        Sequence::Duplicate,
        Sequence::LinkExisting,
        Sequence::Update,
        Sequence::Deactivate,
        Sequence::Reactivate,
        Sequence::Unassign,
        Sequence::Import,
        Sequence::Errors,
        Sequence::Groups,
        Sequence::Lifecycle,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Sequence::Connect => "connect",
            Sequence::Push => "push",
            Sequence::Spec => "spec",
            Sequence::Duplicate => "duplicate",
            Sequence::LinkExisting => "link-existing",
            Sequence::Update => "update",
            Sequence::Deactivate => "deactivate",
            Sequence::Reactivate => "reactivate",
            Sequence::Unassign => "unassign",
            Sequence::Import => "import",
            Sequence::Errors => "errors",
            Sequence::Groups => "groups",
            Sequence::Lifecycle => "lifecycle",
        }
    }

    pub fn about(self) -> &'static str {
        match self {
            Sequence::Connect => {
                "the Test API Credentials button: list users (count 2) and groups (count 100)"
            }
            Sequence::Push => "assign a new user: look up by userName, find none, create",
            Sequence::Spec => {
                "Okta's 12 SPEC checks (needs one user on the server: run after push)"
            }
            Sequence::Duplicate => "create the same userName twice: the second must be 409",
            Sequence::LinkExisting => {
                "assign a user the server already has (other letter case): find, read, update"
            }
            Sequence::Update => "profile change: GET then PUT of the whole user, and PATCH",
            Sequence::Deactivate => "deactivate, then read the inactive user back",
            Sequence::Reactivate => "deactivate, then reactivate",
            Sequence::Unassign => "unassign: deactivate (Okta never deletes a user)",
            Sequence::Import => {
                "import 101+ users by pages of 100 (inactive included), then groups"
            }
            Sequence::Errors => "unknown id 404, malformed filter 400, bad JSON 400, bad token 401",
            Sequence::Groups => "group push: create, add, rename, swap and replace members, delete",
            Sequence::Lifecycle => {
                "Okta's CRUD test: assign, verify, rename, deactivate, reactivate, unassign"
            }
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// Users the import sequence makes, so that the import needs a second page of 100.
pub const IMPORT_USERS: u32 = 101;
/// Okta's page size for import and group lookup.
pub const PAGE: u64 = 100;
/// Okta's SPEC test wants `GET /Groups` to answer within this.
pub const SPEC_GROUPS_LATENCY: Duration = Duration::from_millis(600);
/// The id Okta's SPEC test reads to get a 404.
pub const SPEC_UNKNOWN_ID: &str = "010101001010101011001010101011";
/// The second unknown id of Okta's SPEC test.
pub const SPEC_UNKNOWN_ID_2: &str = "00919288221112222";
/// Most pages an import reads before giving up (a server whose totalResults keeps growing).
const MAX_PAGES: u64 = 1000;

/// The step stopped the sequence.
pub(crate) struct Stopped;
type Flow<T = ()> = Result<T, Stopped>;

/// What one step may do on the wire.
pub(crate) struct Wire<'a> {
    client: &'a Client,
    log: Vec<Exchange>,
}

impl Wire<'_> {
    async fn send(&mut self, request: Request) -> Result<Received, Failure> {
        self.client.send(&request, &mut self.log).await
    }
}

/// One sequence being run.
pub(crate) struct Run<'a> {
    pub client: &'a Client,
    pub profile: Profile,
    /// The profile and the run's tag (`okta-t1`): in every name made, so that runs of several
    /// profiles, or several runs, against one server do not meet.
    pub scope: &'a str,
    pub sequence: Sequence,
    pub people: u32,
    pub steps: Vec<StepReport>,
    pub on_step: &'a mut (dyn FnMut(Sequence, &StepReport) + Send),
}

/// Expected values of a user read back.
type Expect = Vec<(&'static str, Value)>;

impl Run<'_> {
    pub async fn play(&mut self) {
        // A stop has already been recorded as the failed step.
        let _ = match self.sequence {
            Sequence::Connect => self.connect().await,
            Sequence::Push => self.push_sequence().await,
            Sequence::Spec => self.spec().await,
            Sequence::Duplicate => self.duplicate().await,
            Sequence::LinkExisting => self.link_existing().await,
            Sequence::Update => self.update().await,
            Sequence::Deactivate => self.deactivate().await,
            Sequence::Reactivate => self.reactivate().await,
            Sequence::Unassign => self.unassign().await,
            Sequence::Import => self.import().await,
            Sequence::Errors => self.errors().await,
            Sequence::Groups => self.groups().await,
            Sequence::Lifecycle => self.lifecycle().await,
        };
    }

    /// Runs one step: `body` sends and judges; a failure gets `okta` (what Okta does in the
    /// field) and stops the sequence.
    async fn step<T>(
        &mut self,
        name: impl Into<String>,
        okta: &str,
        body: impl AsyncFnOnce(&mut Wire<'_>) -> Result<T, Failure>,
    ) -> Flow<T> {
        let mut wire = Wire {
            client: self.client,
            log: Vec::new(),
        };
        let result = body(&mut wire).await;
        let (value, failure) = match result {
            Ok(value) => (Some(value), None),
            Err(mut failure) => {
                failure.okta_consequence = okta.to_string();
                (None, Some(failure))
            }
        };
        let report = StepReport {
            name: name.into(),
            exchanges: wire.log,
            failure,
        };
        (self.on_step)(self.sequence, &report);
        self.steps.push(report);
        value.ok_or(Stopped)
    }

    fn person(&mut self) -> Person {
        self.people += 1;
        Person::new(self.scope, self.sequence.name(), self.people)
    }

    // ---- users -------------------------------------------------------------------------

    /// Okta's lookup before a create or link: the filter must find exactly `expected`.
    async fn lookup(&mut self, person: &Person, expected: Option<&str>) -> Flow {
        let okta = match expected {
            None => {
                "Okta will link the assignment to the user the filter returned instead of \
                 creating one: the wrong account gets this person's profile and access"
            }
            Some(_) => {
                "Okta will not find the existing user, POST a new one and get 409: the \
                 assignment fails with \"Conflict\" (or, if the server accepts it, the person \
                 gets a second account)"
            }
        };
        let name = format!("look up userName \"{}\"", person.user_name);
        self.filter_user(name, okta, &person.user_name, expected)
            .await
    }

    /// A userName filter that must find exactly the user `expected` (or none).
    async fn filter_user(
        &mut self,
        name: String,
        okta: &str,
        user_name: &str,
        expected: Option<&str>,
    ) -> Flow {
        let path = requests::user_filter(self.profile, user_name);
        let count = self.paged_count();
        self.step(name, okta, async |wire| {
            let page = judge::list(&wire.send(Request::get(path)).await?, count)?;
            let ids = page
                .resources
                .iter()
                .map(judge::id)
                .collect::<Result<Vec<_>, _>>()?;
            let wanted: Vec<&str> = expected.into_iter().collect();
            if ids != wanted || page.total_results != wanted.len() as u64 {
                return Err(Failure::new(
                    Judgement::FilterResultWrong,
                    format!(
                        "totalResults {} and ids {wanted:?} (userName compares \
                         case-insensitively, RFC 7643 §4.1.1)",
                        wanted.len()
                    ),
                    format!("totalResults {} and ids {ids:?}", page.total_results),
                ));
            }
            Ok(())
        })
        .await
    }

    /// The count Okta's lookups carry; Entra sends none.
    fn paged_count(&self) -> Option<u64> {
        match self.profile {
            Profile::Okta | Profile::OktaAiw => Some(PAGE),
            Profile::Entra => None,
        }
    }

    /// POST /Users, judged as Okta's "create user" task: 201, a string id, the profile echoed.
    async fn create(&mut self, person: &Person) -> Flow<String> {
        let body = requests::create_user(self.profile, person);
        let expect = self.created(person);
        let okta = "Okta will show \"Create new user returned empty user\" (or the server's \
                    error) and the assignment stays in error: the person is not provisioned";
        let name = format!("create user \"{}\"", person.user_name);
        self.step(name, okta, async |wire| {
            let received = wire
                .send(Request::json(Method::Post, "/Users", &body))
                .await?;
            created_user(&received, &expect)
        })
        .await
    }

    fn created(&self, person: &Person) -> Expect {
        vec![
            ("userName", json!(person.user_name)),
            ("name.givenName", json!(person.given_name)),
            ("name.familyName", json!(person.family_name)),
            ("active", json!(true)),
        ]
    }

    /// Okta's push: look up, find none, create.
    async fn push(&mut self, person: &Person) -> Flow<String> {
        self.lookup(person, None).await?;
        self.create(person).await
    }

    /// GET /Users/{id}, the user must be readable (inactive ones too) and match `expect`.
    async fn verify(&mut self, what: &str, id: &str, expect: Expect) -> Flow<Value> {
        let path = requests::resource_path("Users", id);
        let okta = if expect
            .iter()
            .any(|(k, v)| *k == "active" && *v == json!(false))
        {
            "Okta cannot read the deactivated user: import marks them deleted and \
             reactivation fails with \"user not found\" (deactivated users must stay readable)"
        } else {
            "Okta reads back a profile other than the one it pushed: the app user shows \
             out of sync and the next import overwrites Okta's values"
        };
        self.step(format!("verify {what}"), okta, async |wire| {
            let received = wire.send(Request::get(path)).await?;
            judge::status(&received, &[200])?;
            let user = received.json()?;
            if judge::id(&user)? != id {
                return Err(Failure::new(
                    Judgement::AttributeMismatch,
                    format!("\"id\": \"{id}\""),
                    format!("\"id\": {}", user["id"]),
                ));
            }
            for (path, value) in &expect {
                judge::echoed(&user, path, value)?;
            }
            Ok(user)
        })
        .await
    }

    /// Deactivate or reactivate the way the profile does it.
    async fn set_active(&mut self, what: &str, id: &str, person: &Person, active: bool) -> Flow {
        let okta = if active {
            "Okta will show the reactivation as failed and the person stays locked out"
        } else {
            "Okta will show the deactivation as failed: the person keeps access to the app"
        };
        if self.profile.puts_active() {
            let current = self.read_for_put(id).await?;
            let body = requests::put_user(&current, person, active);
            return self.put(what, id, body, okta).await;
        }
        let body = requests::patch_active(self.profile, active);
        let path = requests::resource_path("Users", id);
        self.step(what, okta, async |wire| {
            let received = wire.send(Request::json(Method::Patch, path, &body)).await?;
            patched(&received, &[("active", json!(active))])
        })
        .await
    }

    /// Okta's read before a PUT: the whole current object.
    async fn read_for_put(&mut self, id: &str) -> Flow<Value> {
        let path = requests::resource_path("Users", id);
        let okta = "Okta cannot read the user before updating it: the update task fails";
        self.step("read user before PUT", okta, async |wire| {
            let received = wire.send(Request::get(path)).await?;
            judge::status(&received, &[200])?;
            let user = received.json()?;
            judge::id(&user)?;
            Ok(user)
        })
        .await
    }

    async fn put(&mut self, what: &str, id: &str, body: Value, okta: &str) -> Flow {
        let path = requests::resource_path("Users", id);
        let expect = vec![
            ("active", body["active"].clone()),
            ("userName", body["userName"].clone()),
        ];
        self.step(what, okta, async |wire| {
            let received = wire.send(Request::json(Method::Put, path, &body)).await?;
            judge::status(&received, &[200])?;
            let user = received.json()?;
            for (path, value) in &expect {
                judge::echoed(&user, path, value)?;
            }
            Ok(())
        })
        .await
    }

    /// Push a changed profile: GET then PUT (Okta, AIW) or PATCH (Entra); `person` holds the
    /// new values.
    async fn update_profile(&mut self, id: &str, person: &Person, by_patch: bool) -> Flow {
        let okta = "Okta will show the profile push as failed: the app keeps the old name";
        if !by_patch {
            let current = self.read_for_put(id).await?;
            let body = requests::put_user(&current, person, true);
            return self
                .put("PUT the whole user with a new givenName", id, body, okta)
                .await;
        }
        let body = requests::patch_profile(self.profile, person);
        let path = requests::resource_path("Users", id);
        self.step("PATCH a new givenName", okta, async |wire| {
            let received = wire.send(Request::json(Method::Patch, path, &body)).await?;
            patched(&received, &[])
        })
        .await
    }

    /// What a profile update changed, as read back.
    fn updated(&self, person: &Person, by_patch: bool) -> Expect {
        let mut expect = vec![
            ("name.givenName", json!(person.given_name)),
            // A path-less replace of `name` must keep the sub-attributes it does not name.
            ("name.familyName", json!(person.family_name)),
        ];
        // Okta's PUT and Entra's PATCH carry the new email; Okta's PATCH only the name.
        let sends_email = !by_patch || self.profile == Profile::Entra;
        if sends_email {
            expect.push(("emails[primary].value", json!(person.email)));
        }
        if by_patch && self.profile == Profile::Entra {
            expect.push((ENTERPRISE_DEPARTMENT, json!(requests::DEPARTMENT)));
        }
        expect
    }

    /// The profile's own way to push a profile change (Entra never PUTs a user).
    fn patches_profile(&self) -> bool {
        self.profile == Profile::Entra
    }

    // ---- sequences ---------------------------------------------------------------------

    async fn connect(&mut self) -> Flow {
        let okta = "Okta will show \"Error authenticating\" on Test API Credentials and will \
                    not let provisioning be enabled";
        if self.profile == Profile::Entra {
            // Entra's Test Connection looks up a userName that cannot exist.
            let person = self.person();
            return self.lookup(&person, None).await;
        }
        self.step("list users (startIndex=1, count=2)", okta, async |wire| {
            let received = wire
                .send(Request::get("/Users?startIndex=1&count=2"))
                .await?;
            judge::list(&received, Some(2)).map(drop)
        })
        .await?;
        self.step(
            "list groups (startIndex=1, count=100)",
            okta,
            async |wire| {
                let received = wire
                    .send(Request::get("/Groups?startIndex=1&count=100"))
                    .await?;
                judge::list(&received, Some(PAGE)).map(drop)
            },
        )
        .await
    }

    async fn push_sequence(&mut self) -> Flow {
        let person = self.person();
        let id = self.push(&person).await?;
        let mut expect = self.created(&person);
        expect.push(("emails[primary].value", json!(person.email)));
        self.verify("the created user", &id, expect).await.map(drop)
    }

    async fn duplicate(&mut self) -> Flow {
        let person = self.person();
        self.push(&person).await?;
        let body = requests::create_user(self.profile, &person);
        let okta = "Okta expects 409 to learn the user exists; on a 2xx it records a second \
                    account for the same person and later updates go to only one of them";
        self.step("create the same userName again", okta, async |wire| {
            let received = wire
                .send(Request::json(Method::Post, "/Users", &body))
                .await?;
            judge::scim_error(&received, 409)
        })
        .await
    }

    async fn link_existing(&mut self) -> Flow {
        let person = self.person();
        // The server's copy differs in letter case, as accounts made before SSO often do.
        let existing = Person {
            user_name: capitalise(&person.user_name),
            ..person.clone()
        };
        let body = requests::create_user(self.profile, &existing);
        let expect = self.created(&existing);
        let setup = "setup: the server already has the user (created outside Okta)";
        let okta = "the scenario cannot be set up: the server does not create users";
        let id = self
            .step(setup, okta, async |wire| {
                let received = wire
                    .send(Request::json(Method::Post, "/Users", &body))
                    .await?;
                created_user(&received, &expect)
            })
            .await?;
        self.lookup(&person, Some(&id)).await?;
        let changed = person.changed("Augusta");
        // Okta reads the user by id, then PUTs its profile over it; Entra PATCHes.
        let by_patch = self.patches_profile();
        self.update_profile(&id, &changed, by_patch).await?;
        let expect = self.updated(&changed, by_patch);
        self.verify("the linked user", &id, expect).await.map(drop)
    }

    async fn update(&mut self) -> Flow {
        let person = self.person();
        let id = self.push(&person).await?;
        let variants: &[bool] = match self.profile {
            Profile::Okta => &[false, true],
            Profile::OktaAiw => &[false],
            Profile::Entra => &[true],
        };
        for (round, by_patch) in variants.iter().copied().enumerate() {
            let changed = person.changed(&format!("Augusta{round}"));
            self.update_profile(&id, &changed, by_patch).await?;
            let expect = self.updated(&changed, by_patch);
            let what = if by_patch { "after PATCH" } else { "after PUT" };
            self.verify(what, &id, expect).await?;
        }
        Ok(())
    }

    async fn deactivate(&mut self) -> Flow {
        let person = self.person();
        let id = self.push(&person).await?;
        self.set_active("deactivate", &id, &person, false).await?;
        self.verify("the deactivated user", &id, vec![("active", json!(false))])
            .await
            .map(drop)
    }

    async fn reactivate(&mut self) -> Flow {
        let person = self.person();
        let id = self.push(&person).await?;
        self.set_active("deactivate", &id, &person, false).await?;
        self.verify("the deactivated user", &id, vec![("active", json!(false))])
            .await?;
        self.set_active("reactivate", &id, &person, true).await?;
        self.verify("the reactivated user", &id, vec![("active", json!(true))])
            .await
            .map(drop)
    }

    async fn unassign(&mut self) -> Flow {
        let person = self.person();
        let id = self.push(&person).await?;
        // Okta deactivates on unassignment; it never sends DELETE /Users.
        self.set_active("unassign (deactivate)", &id, &person, false)
            .await?;
        let expect = vec![
            ("active", json!(false)),
            ("userName", json!(person.user_name)),
        ];
        self.verify("the unassigned user", &id, expect)
            .await
            .map(drop)
    }

    async fn import(&mut self) -> Flow {
        let people: Vec<Person> = (0..IMPORT_USERS).map(|_| self.person()).collect();
        let bodies: Vec<Value> = people
            .iter()
            .map(|p| requests::create_user(self.profile, p))
            .collect();
        let setup = format!("setup: create {IMPORT_USERS} users");
        let okta = "the scenario cannot be set up: the server does not create users";
        let ids = self
            .step(setup, okta, async |wire| {
                let mut ids = Vec::new();
                for body in &bodies {
                    let received = wire
                        .send(Request::json(Method::Post, "/Users", body))
                        .await?;
                    judge::status(&received, &[201])?;
                    ids.push(judge::id(&received.json()?)?);
                }
                Ok(ids)
            })
            .await?;
        // Okta imports inactive users too (as deactivated app users): one of them is.
        let (Some(inactive), Some(inactive_person)) = (ids.first(), people.first()) else {
            return Ok(());
        };
        self.set_active(
            "setup: deactivate one of them",
            inactive,
            inactive_person,
            false,
        )
        .await?;
        let users = self.import_pages("Users", "users").await?;
        self.import_complete("users", &users, &ids, Some(inactive))
            .await?;

        let name = format!("import-{}", self.scope);
        let body = requests::create_group(self.profile, &name, &name);
        let okta = "the scenario cannot be set up: the server does not create groups";
        let group = self
            .step("setup: create a group", okta, async |wire| {
                let received = wire
                    .send(Request::json(Method::Post, "/Groups", &body))
                    .await?;
                judge::status(&received, &[201])?;
                judge::id(&received.json()?)
            })
            .await?;
        let groups = self.import_pages("Groups", "groups").await?;
        self.import_complete("groups", &groups, &[group], None)
            .await
    }

    /// Okta's import: pages of 100 from startIndex 1 until past totalResults, then one page
    /// past the end, which must be empty and report the same total. Returns the ids seen, one
    /// entry per appearance.
    async fn import_pages(&mut self, resource: &str, what: &str) -> Flow<Vec<String>> {
        let okta = "Okta's import stops with an error, or loops, and no user is imported";
        let mut seen = Vec::new();
        let mut start = 1;
        let mut total = None;
        for _ in 0..MAX_PAGES {
            let path = format!("/{resource}?startIndex={start}&count={PAGE}");
            let name = format!("import {what}: page startIndex={start}");
            let (page, ids) = self
                .step(name, okta, async |wire| {
                    let page = judge::list(&wire.send(Request::get(path)).await?, Some(PAGE))?;
                    same_total(total, &page)?;
                    let ids = page
                        .resources
                        .iter()
                        .map(judge::id)
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok((page, ids))
                })
                .await?;
            seen.extend(ids);
            total = Some(page.total_results);
            start += PAGE;
            if start > page.total_results {
                break;
            }
        }
        let Some(total) = total else {
            return Ok(seen);
        };
        let path = format!("/{resource}?startIndex={}&count={PAGE}", total + 1);
        let name = format!(
            "import {what}: page past the end (startIndex={})",
            total + 1
        );
        let okta = "Okta reads the page after the last one to stop: resources there are \
                    imported twice, another totalResults makes it page on";
        self.step(name, okta, async |wire| {
            let page = judge::list(&wire.send(Request::get(path)).await?, Some(PAGE))?;
            same_total(Some(total), &page)?;
            if !page.resources.is_empty() {
                return Err(Failure::new(
                    Judgement::PagePastEndNotEmpty,
                    "no Resources past totalResults, \"itemsPerPage\": 0",
                    format!("{} Resources", page.resources.len()),
                ));
            }
            Ok(())
        })
        .await?;
        Ok(seen)
    }

    /// Every id appears once, and each of `mine` appears.
    async fn import_complete(
        &mut self,
        what: &str,
        seen: &[String],
        mine: &[String],
        inactive: Option<&String>,
    ) -> Flow {
        let okta = "Okta's import shows the missing ones as unassigned (or the repeated ones as \
                    conflicts), and matching rules link the wrong accounts";
        let name = format!("import {what}: every one exactly once");
        self.step(name, okta, async |_wire| {
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for id in seen {
                *counts.entry(id.as_str()).or_default() += 1;
            }
            if let Some((id, n)) = counts.iter().find(|(_, n)| **n > 1) {
                return Err(Failure::new(
                    Judgement::ImportMemberDuplicated,
                    "each id on exactly one page",
                    format!("id \"{id}\" on {n} pages"),
                ));
            }
            let missing: Vec<&String> = mine
                .iter()
                .filter(|id| !counts.contains_key(id.as_str()))
                .collect();
            if let Some(first) = missing.first() {
                let note = if Some(*first) == inactive {
                    " (the inactive one: imports must list inactive users)"
                } else {
                    ""
                };
                return Err(Failure::new(
                    Judgement::ImportMemberMissing,
                    format!("all {} created here among the pages", mine.len()),
                    format!("{} missing, first \"{first}\"{note}", missing.len()),
                ));
            }
            Ok(())
        })
        .await
    }

    async fn errors(&mut self) -> Flow {
        let unknown = format!("/Users/{SPEC_UNKNOWN_ID}");
        let okta = "Okta cannot tell a missing user from an outage: it retries, then shows \
                    the task as failed instead of re-creating the user";
        self.step("read an unknown id", okta, async |wire| {
            judge::scim_error(&wire.send(Request::get(unknown)).await?, 404)
        })
        .await?;
        let okta = "Okta shows the server's answer as an unreadable error to the admin";
        let malformed = "/Users?filter=userName%20eq%20%22unterminated&startIndex=1&count=100";
        self.step("malformed filter", okta, async |wire| {
            judge::scim_error(&wire.send(Request::get(malformed)).await?, 400)
        })
        .await?;
        let broken = r#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "#;
        self.step("create with malformed JSON", okta, async |wire| {
            let request = Request::raw(Method::Post, "/Users", broken);
            judge::scim_error(&wire.send(request).await?, 400)
        })
        .await?;
        let okta = "Okta's Test API Credentials cannot tell a wrong token from a broken server";
        self.step("list users with a wrong token", okta, async |wire| {
            let request = Request::get("/Users?startIndex=1&count=1").with_wrong_credentials();
            judge::scim_error(&wire.send(request).await?, 401)
        })
        .await
    }

    async fn groups(&mut self) -> Flow {
        let (a, b) = (self.person(), self.person());
        let a_id = self.push(&a).await?;
        let b_id = self.push(&b).await?;
        let name = format!("Engineers-{}", self.scope);
        let body = requests::create_group(self.profile, &name, &name);
        let okta = "Okta will show the group push as failed: the group is not created";
        let expect_name = json!(name);
        let group = self
            .step("create group", okta, async |wire| {
                let received = wire
                    .send(Request::json(Method::Post, "/Groups", &body))
                    .await?;
                judge::status(&received, &[201])?;
                let group = received.json()?;
                judge::echoed(&group, "displayName", &expect_name)?;
                judge::id(&group)
            })
            .await?;
        if self.profile == Profile::Entra {
            let path = requests::group_filter(&name);
            let okta = "Entra will not find the group it created and creates it again";
            let wanted = group.clone();
            self.step("look up the group without members", okta, async |wire| {
                let page = judge::list(&wire.send(Request::get(path)).await?, None)?;
                let ids: Vec<String> = page
                    .resources
                    .iter()
                    .map(judge::id)
                    .collect::<Result<_, _>>()?;
                if ids != [wanted.clone()] {
                    return Err(Failure::new(
                        Judgement::FilterResultWrong,
                        format!("ids [\"{wanted}\"]"),
                        format!("ids {ids:?}"),
                    ));
                }
                if page.resources.iter().any(|g| g.get("members").is_some()) {
                    return Err(Failure::new(
                        Judgement::AttributeMismatch,
                        "no \"members\" (excludedAttributes=members)",
                        "\"members\" present",
                    ));
                }
                Ok(())
            })
            .await?;
        }
        let okta = "Okta will show the membership push as failed: access in the app differs \
                    from the group in Okta";
        let add = requests::add_members(self.profile, &[(&a_id, &a.user_name)]);
        self.patch_group("add a member", &group, add, okta).await?;
        self.verify_group("members after add", &group, &name, &[&a_id])
            .await?;

        let renamed = format!("Engineering-{}", self.scope);
        let rename = requests::rename_group(self.profile, &group, &renamed);
        let okta_rename = "Okta will show the group push as failed: the group keeps its old name";
        self.patch_group("rename", &group, rename, okta_rename)
            .await?;
        self.verify_group("the renamed group", &group, &renamed, &[&a_id])
            .await?;

        let swap = requests::swap_member(self.profile, &a_id, (&b_id, &b.user_name));
        self.patch_group("remove one member, add another", &group, swap, okta)
            .await?;
        self.verify_group("members after the swap", &group, &renamed, &[&b_id])
            .await?;

        if self.profile != Profile::Entra {
            let replace =
                requests::replace_members(&[(&a_id, &a.user_name), (&b_id, &b.user_name)]);
            self.patch_group("replace members", &group, replace, okta)
                .await?;
            self.verify_group("replaced members", &group, &renamed, &[&a_id, &b_id])
                .await?;
        }

        let path = requests::resource_path("Groups", &group);
        let okta = "Okta will show the group unlink as failed: the group stays in the app";
        self.step("delete group", okta, async |wire| {
            judge::status(&wire.send(Request::delete(path.clone())).await?, &[204])
        })
        .await?;
        let okta = "Okta's next group push finds a group it deleted";
        self.step("read the deleted group", okta, async |wire| {
            judge::scim_error(&wire.send(Request::get(path)).await?, 404)
        })
        .await
    }

    async fn patch_group(&mut self, what: &str, group: &str, body: Value, okta: &str) -> Flow {
        let path = requests::resource_path("Groups", group);
        self.step(what, okta, async |wire| {
            let received = wire.send(Request::json(Method::Patch, path, &body)).await?;
            judge::status(&received, &[200, 204])
        })
        .await
    }

    async fn verify_group(
        &mut self,
        what: &str,
        group: &str,
        name: &str,
        members: &[&str],
    ) -> Flow {
        let path = requests::resource_path("Groups", group);
        let okta = "Okta's group push reads the group back differently from what it pushed: \
                    app access differs from the group in Okta";
        let name = json!(name);
        let wanted: HashSet<&str> = members.iter().copied().collect();
        self.step(format!("verify {what}"), okta, async |wire| {
            let received = wire.send(Request::get(path)).await?;
            judge::status(&received, &[200])?;
            let group = received.json()?;
            judge::echoed(&group, "displayName", &name)?;
            let got: Vec<&str> = group
                .get("members")
                .and_then(Value::as_array)
                .map(|m| m.iter().filter_map(|m| m.get("value")?.as_str()).collect())
                .unwrap_or_default();
            let got_set: HashSet<&str> = got.iter().copied().collect();
            if got_set != wanted || got.len() != wanted.len() {
                let mut wanted: Vec<&&str> = wanted.iter().collect();
                wanted.sort();
                return Err(Failure::new(
                    Judgement::AttributeMismatch,
                    format!("members {wanted:?}"),
                    format!("members {got:?}"),
                ));
            }
            Ok(())
        })
        .await
    }

    async fn lifecycle(&mut self) -> Flow {
        let person = self.person();
        let id = self.push(&person).await?;
        self.verify("the assigned user", &id, self.created(&person))
            .await?;
        let changed = person.changed("Augusta");
        let by_patch = self.patches_profile();
        self.update_profile(&id, &changed, by_patch).await?;
        let expect = self.updated(&changed, by_patch);
        self.verify("the new first name", &id, expect).await?;
        self.set_active("deactivate", &id, &changed, false).await?;
        self.verify("active=false", &id, vec![("active", json!(false))])
            .await?;
        self.set_active("reactivate", &id, &changed, true).await?;
        self.verify("active=true", &id, vec![("active", json!(true))])
            .await?;
        self.set_active("unassign (deactivate)", &id, &changed, false)
            .await?;
        self.verify(
            "the unassigned user is deactivated",
            &id,
            vec![("active", json!(false))],
        )
        .await
        .map(drop)
    }

    /// Okta's SPEC test, its 12 requests in order (Okta's "SCIM 2.0 Test Spec" Runscope suite).
    async fn spec(&mut self) -> Flow {
        let okta = "Okta's SPEC test fails, and OIN submission is refused until it passes";
        let first = self
            .step("check 1: list users (count=1)", okta, async |wire| {
                let received = wire
                    .send(Request::get("/Users?count=1&startIndex=1"))
                    .await?;
                let page = judge::list(&received, Some(1))?;
                let Some(user) = page.resources.first() else {
                    return Err(Failure::new(
                        Judgement::ListEmpty,
                        "at least one user on the server (run push first)",
                        "no Resources",
                    ));
                };
                let id = judge::id(user)?;
                non_empty(user, "userName")?;
                Ok(id)
            })
            .await?;
        let path = requests::resource_path("Users", &first);
        self.step("check 2: read that user by id", okta, async |wire| {
            let received = wire.send(Request::get(path)).await?;
            judge::status(&received, &[200])?;
            let user = received.json()?;
            judge::echoed(&user, "id", &json!(first))?;
            non_empty(&user, "userName")
        })
        .await?;
        let invalid = Person::new(self.scope, "spec-invalid", 0);
        let name = "check 3: look up an invalid userName".to_string();
        self.filter_user(name, okta, &invalid.user_name, None)
            .await?;
        self.step("check 4: read an unknown id", okta, async |wire| {
            let path = format!("/Users/{SPEC_UNKNOWN_ID}");
            judge::scim_error(&wire.send(Request::get(path)).await?, 404)
        })
        .await?;
        let random = Person::new(self.scope, "spec-random", 0);
        let name = "check 5: look up a random userName".to_string();
        self.filter_user(name, okta, &random.user_name, None)
            .await?;
        let person = self.person();
        let body = requests::create_user(self.profile, &person);
        let expect = self.created(&person);
        let id = self
            .step("check 6: create a user", okta, async |wire| {
                let received = wire
                    .send(Request::json(Method::Post, "/Users", &body))
                    .await?;
                created_user(&received, &expect)
            })
            .await?;
        self.verify("check 7: the created user", &id, self.created(&person))
            .await?;
        self.step("check 8: create the same user again", okta, async |wire| {
            let received = wire
                .send(Request::json(Method::Post, "/Users", &body))
                .await?;
            judge::scim_error(&received, 409)
        })
        .await?;
        let caps = person.user_name.to_uppercase();
        let name = "check 9: look up the userName in capitals".to_string();
        self.filter_user(name, okta, &caps, Some(&id)).await?;
        self.step("check 10: list groups within 600 ms", okta, async |wire| {
            let received = wire
                .send(Request::get("/Groups?startIndex=1&count=100"))
                .await?;
            judge::list(&received, Some(PAGE))?;
            if received.latency >= SPEC_GROUPS_LATENCY {
                return Err(Failure::new(
                    Judgement::TooSlow,
                    format!("an answer within {} ms", SPEC_GROUPS_LATENCY.as_millis()),
                    format!("{} ms", received.latency.as_millis()),
                ));
            }
            Ok(())
        })
        .await?;
        self.step(
            "check 11: list users with a non-token Authorization",
            okta,
            async |wire| {
                let request = Request::get("/Users?startIndex=1&count=1").with_wrong_credentials();
                judge::scim_error(&wire.send(request).await?, 401)
            },
        )
        .await?;
        self.step("check 12: read another unknown id", okta, async |wire| {
            let path = format!("/Users/{SPEC_UNKNOWN_ID_2}");
            judge::scim_error(&wire.send(Request::get(path)).await?, 404)
        })
        .await
    }
}

/// Where Entra's URN key `…enterprise:2.0:User:department` lands (`judge::attribute` form).
const ENTERPRISE_DEPARTMENT: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department";

/// A 201 with the created user: a string id and the profile echoed.
fn created_user(received: &Received, expect: &Expect) -> Result<String, Failure> {
    judge::status(received, &[201])?;
    if received.body.trim().is_empty() {
        return Err(Failure::new(
            Judgement::BodyNotJson,
            "the created user in the body",
            "(empty body)",
        ));
    }
    let user = received.json()?;
    let id = judge::id(&user)?;
    for (path, value) in expect {
        judge::echoed(&user, path, value)?;
    }
    Ok(id)
}

/// A PATCH answer: 204, or 200 with the user showing `expect`.
fn patched(received: &Received, expect: &[(&str, Value)]) -> Result<(), Failure> {
    judge::status(received, &[200, 204])?;
    if received.status == 204 {
        return Ok(());
    }
    let user = received.json()?;
    for (path, value) in expect {
        judge::echoed(&user, path, value)?;
    }
    Ok(())
}

fn same_total(before: Option<u64>, page: &Page) -> Result<(), Failure> {
    match before {
        Some(total) if total != page.total_results => Err(Failure::new(
            Judgement::TotalResultsChanged,
            format!("\"totalResults\": {total} (as on the first page)"),
            format!("\"totalResults\": {}", page.total_results),
        )),
        _ => Ok(()),
    }
}

fn non_empty(resource: &Value, name: &str) -> Result<(), Failure> {
    match resource.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(()),
        other => Err(Failure::new(
            Judgement::AttributeMismatch,
            format!("a non-empty \"{name}\""),
            format!(
                "\"{name}\": {}",
                other.map_or("(absent)".to_string(), Value::to_string)
            ),
        )),
    }
}

/// `link-1-t@example.com` → `Link-1-T@Example.com`: the same userName in other letter case.
fn capitalise(user_name: &str) -> String {
    let mut out = String::with_capacity(user_name.len());
    let mut start = true;
    for c in user_name.chars() {
        out.push(if start { c.to_ascii_uppercase() } else { c });
        start = !c.is_ascii_alphanumeric();
    }
    out
}
