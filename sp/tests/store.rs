//! Storage tests. Every test in `on_both_backends!` runs twice: on a fresh SQLite file and, when
//! `DATABASE_URL` names a PostgreSQL server, on a fresh schema there (dropped afterwards, so test
//! binaries and tests running at the same time do not see each other). Without `DATABASE_URL` the
//! PostgreSQL half prints a notice and passes, except under `CI`, where it fails: CI must never
//! skip silently.

use sp::model::{Id, MemberKey, MetadataSource, Plan, Provisioning, SsoSettings, Team};
use sp::store::{NewMember, ReplayOutcome, Store, StoreError};
use sqlx::Connection;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// A fixed clock: every test passes `now` explicitly.
const T0: OffsetDateTime = datetime!(2025-06-01 12:00:00 UTC);

mod db;

use db::{TestDb, on_both_backends};

on_both_backends!(
    migrations_are_idempotent,
    creates_and_reads_teams,
    rejects_duplicate_team_slug,
    set_team_plan_of_unknown_slug_is_not_found,
    reports_unreadable_stored_time_as_corrupt,
    stores_and_replaces_sso_settings,
    rejects_idp_issuer_used_by_another_team,
    set_sso_of_unknown_team_is_not_found,
    changing_metadata_source_drops_cache,
    creates_and_reads_members,
    rejects_duplicate_user_name_case_insensitively,
    create_member_of_unknown_team_is_not_found,
    concurrent_create_member_yields_one_success,
    take_request_answers_once,
    take_request_refuses_expired_and_other_team,
    rejects_duplicate_authn_request_id,
    replay_is_refused_until_not_on_or_after,
    replay_cache_is_per_team,
    purge_removes_expired_entries,
    record_assertion_purges_opportunistically,
    concurrent_record_assertion_across_replicas_yields_one_fresh,
    metadata_failure_keeps_last_good_body_and_counts,
    metadata_record_for_stale_source_is_refused,
    metadata_due_lists_url_teams_without_cache_or_past_refresh,
    sessions_expire_and_delete,
    rejects_duplicate_session_token_and_foreign_member,
    api_keys_find_their_team,
    rejects_duplicate_api_key,
);

// ---------------------------------------------------------------------------------------------
// Helpers

async fn team(store: &Store, slug: &str) -> Team {
    store
        .create_team(slug, Plan::Custom, true, true, T0)
        .await
        .expect("create team")
}

fn sso(team: &Team, issuer: &str, metadata: MetadataSource) -> SsoSettings {
    SsoSettings {
        team_id: team.id.clone(),
        idp_issuer: issuer.to_owned(),
        metadata,
        allow_idp_initiated: true,
        provisioning: Provisioning::Jit,
        allow_sha1: false,
        member_key: MemberKey::Email,
        encrypted_assertions: false,
    }
}

fn new_member(user_name: &str) -> NewMember {
    NewMember {
        user_name: user_name.to_owned(),
        given_name: Some("Alice".to_owned()),
        family_name: Some("Liddell".to_owned()),
        display_name: Some("Alice Liddell".to_owned()),
        external_id: Some("00u1".to_owned()),
        active: true,
    }
}

#[track_caller]
fn assert_conflict<T: std::fmt::Debug>(result: Result<T, StoreError>, what: &str, value: &str) {
    match result {
        Err(StoreError::Conflict { what: w, value: v }) => {
            assert_eq!((w, v.as_str()), (what, value));
        }
        other => panic!("expected Conflict {{ what: {what:?} }}, got {other:?}"),
    }
}

#[track_caller]
fn assert_not_found<T: std::fmt::Debug>(result: Result<T, StoreError>, what: &str, key: &str) {
    match result {
        Err(StoreError::NotFound { what: w, key: k }) => assert_eq!((w, k.as_str()), (what, key)),
        other => panic!("expected NotFound {{ what: {what:?} }}, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Connecting and migrating

async fn migrations_are_idempotent(db: TestDb) {
    let store = db.store().await;
    store.migrate().await.expect("second migrate");
    team(&store, "acme").await;
    // A second process migrating an up-to-date database changes nothing.
    let other = db.store().await;
    other.migrate().await.expect("migrate from another pool");
    assert_eq!(other.list_teams().await.expect("list").len(), 1);
}

#[tokio::test]
async fn connect_rejects_unknown_scheme_without_echoing_the_url() {
    let err = Store::connect("mysql://root:hunter2@db/ssolab")
        .await
        .expect_err("mysql is not supported");
    assert!(matches!(&err, StoreError::BadUrl { scheme } if scheme == "mysql"));
    assert_eq!(err.code(), "bad_database_url");
    let shown = err.to_string();
    assert!(shown.contains("\"mysql\""), "{shown}");
    assert!(
        shown.contains("sqlite://PATH") && shown.contains("postgres://"),
        "{shown}"
    );
    assert!(!shown.contains("hunter2"), "the password leaked: {shown}");

    let err = Store::connect("ssolab.db").await.expect_err("no scheme");
    assert!(matches!(&err, StoreError::BadUrl { scheme } if scheme.is_empty()));
}

#[tokio::test]
async fn connect_creates_missing_sqlite_file_in_wal_mode() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("fresh.db");
    assert!(!path.exists());
    let store = Store::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("connect creates the file");
    store.migrate().await.expect("migrate");
    assert!(path.exists());
    store.close().await;

    // WAL is a property of the file; read it on an independent connection.
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("reopen");
    let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .expect("pragma");
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn in_memory_sqlite_keeps_data_across_calls() {
    let store = Store::connect("sqlite::memory:").await.expect("connect");
    store.migrate().await.expect("migrate");
    let created = team(&store, "acme").await;
    assert_eq!(
        store.team_by_slug("acme").await.expect("read"),
        Some(created)
    );
}

// ---------------------------------------------------------------------------------------------
// Teams

async fn creates_and_reads_teams(db: TestDb) {
    let store = db.store().await;
    let now = T0 + Duration::milliseconds(750);
    let beta = store
        .create_team("beta", Plan::Free, false, false, now)
        .await
        .expect("create beta");
    let acme = team(&store, "acme").await;
    // Stored in whole seconds; what create returns equals what a read returns.
    assert_eq!(beta.created_at, T0);
    assert_eq!(
        (beta.plan, beta.api_access, beta.scim_enabled),
        (Plan::Free, false, false)
    );

    assert_eq!(
        store.team_by_slug("beta").await.expect("by slug"),
        Some(beta.clone())
    );
    assert_eq!(
        store.team_by_id(&acme.id).await.expect("by id"),
        Some(acme.clone())
    );
    assert_eq!(store.team_by_slug("nope").await.expect("by slug"), None);
    assert_eq!(
        store.list_teams().await.expect("list"),
        vec![acme, beta.clone()]
    );

    let upgraded = store
        .set_team_plan("beta", Plan::Custom, true, true)
        .await
        .expect("set plan");
    assert_eq!(
        (upgraded.plan, upgraded.api_access, upgraded.scim_enabled),
        (Plan::Custom, true, true)
    );
    assert_eq!(
        (upgraded.id, upgraded.created_at),
        (beta.id, beta.created_at)
    );
    assert_eq!(
        store
            .team_by_slug("beta")
            .await
            .expect("reread")
            .map(|t| t.plan),
        Some(Plan::Custom)
    );
}

async fn rejects_duplicate_team_slug(db: TestDb) {
    let store = db.store().await;
    team(&store, "acme").await;
    let err = store
        .create_team("acme", Plan::Free, false, false, T0)
        .await;
    assert_conflict(err, "team slug", "acme");
    // Positive control: another slug is fine.
    team(&store, "acme2").await;
}

async fn set_team_plan_of_unknown_slug_is_not_found(db: TestDb) {
    let store = db.store().await;
    let result = store.set_team_plan("ghost", Plan::Custom, true, true).await;
    assert_not_found(result, "team", "ghost");
}

async fn reports_unreadable_stored_time_as_corrupt(db: TestDb) {
    let store = db.store().await;
    team(&store, "acme").await;
    assert!(store.team_by_slug("acme").await.is_ok(), "positive control");
    // Year 292 billion: no OffsetDateTime can hold it.
    db.raw_execute("UPDATE teams SET created_at = 9223372036854775807 WHERE slug = 'acme'")
        .await;
    match store.team_by_slug("acme").await {
        Err(
            err @ StoreError::Corrupt {
                what: "created_at", ..
            },
        ) => {
            assert_eq!(err.code(), "corrupt");
        }
        other => panic!("expected Corrupt created_at, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// SSO settings

async fn stores_and_replaces_sso_settings(db: TestDb) {
    let store = db.store().await;
    let acme = team(&store, "acme").await;
    assert_eq!(store.sso_by_team(&acme.id).await.expect("none yet"), None);

    let first = sso(
        &acme,
        "http://www.okta.com/exk1",
        MetadataSource::Static("<md/>".into()),
    );
    store.set_sso(&first).await.expect("set");
    assert_eq!(
        store.sso_by_team(&acme.id).await.expect("read"),
        Some(first)
    );

    let second = SsoSettings {
        allow_idp_initiated: false,
        provisioning: Provisioning::ScimOnly,
        allow_sha1: true,
        member_key: MemberKey::NameId,
        encrypted_assertions: true,
        ..sso(
            &acme,
            "https://sts.windows.net/t/",
            MetadataSource::Url("https://idp.example/md".into()),
        )
    };
    store.set_sso(&second).await.expect("replace");
    assert_eq!(
        store.sso_by_team(&acme.id).await.expect("reread"),
        Some(second.clone())
    );
    assert_eq!(
        store
            .sso_by_issuer("https://sts.windows.net/t/")
            .await
            .expect("by issuer"),
        Some((acme, second))
    );
    // The old issuer no longer selects the team; matching is exact.
    assert_eq!(
        store
            .sso_by_issuer("http://www.okta.com/exk1")
            .await
            .expect("old"),
        None
    );
    assert_eq!(
        store
            .sso_by_issuer("https://STS.windows.net/t/")
            .await
            .expect("case"),
        None
    );
}

async fn rejects_idp_issuer_used_by_another_team(db: TestDb) {
    let store = db.store().await;
    let acme = team(&store, "acme").await;
    let beta = team(&store, "beta").await;
    let md = || MetadataSource::Static("<md/>".into());
    store
        .set_sso(&sso(&acme, "https://idp.example", md()))
        .await
        .expect("acme");
    // Positive control: the same team may save its own issuer again.
    store
        .set_sso(&sso(&acme, "https://idp.example", md()))
        .await
        .expect("acme again");
    let result = store
        .set_sso(&sso(&beta, "https://idp.example", md()))
        .await;
    assert_conflict(result, "idp issuer", "https://idp.example");
    // Nothing of beta's was stored, and acme still owns the issuer.
    assert_eq!(store.sso_by_team(&beta.id).await.expect("beta"), None);
    let (owner, _) = store
        .sso_by_issuer("https://idp.example")
        .await
        .expect("by issuer")
        .expect("still there");
    assert_eq!(owner.id, acme.id);
}

async fn set_sso_of_unknown_team_is_not_found(db: TestDb) {
    let store = db.store().await;
    let ghost = Team {
        id: Id("0".repeat(32)),
        slug: "ghost".into(),
        plan: Plan::Custom,
        api_access: false,
        scim_enabled: false,
        created_at: T0,
    };
    let result = store
        .set_sso(&sso(
            &ghost,
            "https://idp.example",
            MetadataSource::Static("x".into()),
        ))
        .await;
    assert_not_found(result, "team", &ghost.id.0);
}

async fn changing_metadata_source_drops_cache(db: TestDb) {
    let store = db.store().await;
    let acme = team(&store, "acme").await;
    let old = "https://idp.example/old";
    store
        .set_sso(&sso(
            &acme,
            "https://idp.example",
            MetadataSource::Url(old.into()),
        ))
        .await
        .expect("set");
    store
        .record_metadata_success(&acme.id, old, "<old/>", T0, T0 + Duration::hours(6))
        .await
        .expect("success");

    // Saving the same source (say, toggling SHA-1) keeps the cache.
    let same = SsoSettings {
        allow_sha1: true,
        member_key: MemberKey::Email,
        ..sso(
            &acme,
            "https://idp.example",
            MetadataSource::Url(old.into()),
        )
    };
    store.set_sso(&same).await.expect("same source");
    assert!(
        store
            .metadata_cache(&acme.id)
            .await
            .expect("cache")
            .is_some()
    );

    // A new URL: the old URL's certificates must not stay trusted, and a fetch is due at once.
    let new = "https://idp.example/new";
    store
        .set_sso(&sso(
            &acme,
            "https://idp.example",
            MetadataSource::Url(new.into()),
        ))
        .await
        .expect("new source");
    assert_eq!(store.metadata_cache(&acme.id).await.expect("cache"), None);
    assert_eq!(
        store.metadata_due(T0).await.expect("due"),
        vec![(acme.id.clone(), new.to_owned())]
    );
}

// ---------------------------------------------------------------------------------------------
// Members

async fn creates_and_reads_members(db: TestDb) {
    let store = db.store().await;
    let acme = team(&store, "acme").await;
    let beta = team(&store, "beta").await;
    let alice = store
        .create_member(
            &acme.id,
            new_member("Alice@Example.com"),
            T0 + Duration::milliseconds(300),
        )
        .await
        .expect("create");
    assert_eq!(
        (alice.user_name.as_str(), alice.created_at, alice.updated_at),
        ("Alice@Example.com", T0, T0)
    );
    let bare = store
        .create_member(
            &acme.id,
            NewMember {
                user_name: "bob@example.com".into(),
                given_name: None,
                family_name: None,
                display_name: None,
                external_id: None,
                active: false,
            },
            T0,
        )
        .await
        .expect("create without names");

    // userName is looked up case-insensitively and returned as stored.
    assert_eq!(
        store
            .member_by_user_name(&acme.id, "alice@example.COM")
            .await
            .expect("by name"),
        Some(alice.clone())
    );
    assert_eq!(
        store
            .member_by_user_name(&acme.id, "bob@example.com")
            .await
            .expect("bob"),
        Some(bare)
    );
    assert_eq!(
        store
            .member_by_id(&acme.id, &alice.id)
            .await
            .expect("by id"),
        Some(alice.clone())
    );
    // Another team's view: neither by name nor by id.
    assert_eq!(
        store
            .member_by_user_name(&beta.id, "alice@example.com")
            .await
            .expect("other team"),
        None
    );
    assert_eq!(
        store
            .member_by_id(&beta.id, &alice.id)
            .await
            .expect("other team id"),
        None
    );

    let later = T0 + Duration::minutes(5);
    let inactive = store
        .set_member_active(&acme.id, &alice.id, false, later)
        .await
        .expect("deactivate");
    assert_eq!(
        (inactive.active, inactive.updated_at, inactive.created_at),
        (false, later, T0)
    );
    assert_eq!(
        store
            .member_by_id(&acme.id, &alice.id)
            .await
            .expect("reread"),
        Some(inactive)
    );
    let result = store
        .set_member_active(&beta.id, &alice.id, true, later)
        .await;
    assert_not_found(result, "member", &alice.id.0);
}

async fn rejects_duplicate_user_name_case_insensitively(db: TestDb) {
    let store = db.store().await;
    let acme = team(&store, "acme").await;
    let beta = team(&store, "beta").await;
    store
        .create_member(&acme.id, new_member("Alice@X.com"), T0)
        .await
        .expect("first");
    let result = store
        .create_member(&acme.id, new_member("alice@x.com"), T0)
        .await;
    assert_conflict(result, "member user_name", "alice@x.com");
    // Beyond ASCII every code point compares exactly (identity::member_key): É and é are two
    // members, and the ASCII letters around them still fold.
    store
        .create_member(&acme.id, new_member("Éva@x.com"), T0)
        .await
        .expect("Éva");
    store
        .create_member(&acme.id, new_member("éva@x.com"), T0)
        .await
        .expect("éva is another member");
    let result = store
        .create_member(&acme.id, new_member("éVA@X.COM"), T0)
        .await;
    assert_conflict(result, "member user_name", "éVA@X.COM");
    // A look-alike that NFKC would change is refused, never stored or matched.
    let result = store
        .create_member(&acme.id, new_member("ａlice@x.com"), T0)
        .await;
    assert!(
        matches!(&result, Err(StoreError::InvalidIdentity { value, .. }) if value == "ａlice@x.com"),
        "{result:?}"
    );
    assert_eq!(
        result.err().map(|e| e.code()),
        Some("identity_not_normalized")
    );
    assert!(
        store
            .member_by_user_name(&acme.id, "ａlice@x.com")
            .await
            .expect("lookup")
            .is_none()
    );
    // Positive control: the same userName in another team is a different member.
    store
        .create_member(&beta.id, new_member("ALICE@x.com"), T0)
        .await
        .expect("other team");
}

async fn create_member_of_unknown_team_is_not_found(db: TestDb) {
    let store = db.store().await;
    let ghost = Id("f".repeat(32));
    let result = store.create_member(&ghost, new_member("a@x.com"), T0).await;
    assert_not_found(result, "team", &ghost.0);
}

async fn concurrent_create_member_yields_one_success(db: TestDb) {
    let store = db.store().await;
    let acme = team(&store, "acme").await;
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = store.clone();
            let team_id = acme.id.clone();
            // The same address in different cases: the database must still see one name.
            let name = if i % 2 == 0 {
                "Racer@X.com"
            } else {
                "racer@x.COM"
            };
            tokio::spawn(async move { store.create_member(&team_id, new_member(name), T0).await })
        })
        .collect();
    let (mut created, mut conflicts) = (0, 0);
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => created += 1,
            Err(StoreError::Conflict {
                what: "member user_name",
                ..
            }) => conflicts += 1,
            Err(other) => panic!("unexpected error: {other}"),
        }
    }
    assert_eq!((created, conflicts), (1, 19));
}

// ---------------------------------------------------------------------------------------------
// AuthnRequests

async fn take_request_answers_once(db: TestDb) {
    let store = db.store().await;
    let acme = team(&store, "acme").await;
    store
        .store_request("_req1", &acme.id, T0, T0 + Duration::minutes(10))
        .await
        .expect("store");
    let now = T0 + Duration::minutes(1);
    // Looking does not consume; only for its team and before its expiry.
    for _ in 0..2 {
        assert!(
            store
                .request_outstanding("_req1", &acme.id, now)
                .await
                .expect("peek")
        );
    }
    let beta = team(&store, "beta").await;
    assert!(
        !store
            .request_outstanding("_req1", &beta.id, now)
            .await
            .expect("other team")
    );
    assert!(
        !store
            .request_outstanding("_req1", &acme.id, T0 + Duration::minutes(10))
            .await
            .expect("at expiry")
    );
    assert!(
        store
            .take_request("_req1", &acme.id, now)
            .await
            .expect("first take")
    );
    assert!(
        !store
            .request_outstanding("_req1", &acme.id, now)
            .await
            .expect("taken")
    );
    assert!(
        !store
            .take_request("_req1", &acme.id, now)
            .await
            .expect("second take")
    );
    assert!(
        !store
            .take_request("_never", &acme.id, now)
            .await
            .expect("unknown")
    );
}

async fn take_request_refuses_expired_and_other_team(db: TestDb) {
    let store = db.store().await;
    let acme = team(&store, "acme").await;
    let beta = team(&store, "beta").await;
    let expires = T0 + Duration::minutes(10);
    store
        .store_request("_req1", &acme.id, T0, expires)
        .await
        .expect("store");
    store
        .store_request("_req2", &acme.id, T0, expires)
        .await
        .expect("store");
    // Another team's response cannot use (or use up) acme's request.
    assert!(
        !store
            .take_request("_req1", &beta.id, T0)
            .await
            .expect("other team")
    );
    // At its expiry the request is gone; a moment before, it is still there.
    assert!(
        !store
            .take_request("_req1", &acme.id, expires)
            .await
            .expect("at expiry")
    );
    assert!(
        store
            .take_request("_req2", &acme.id, expires - Duration::seconds(1))
            .await
            .expect("before expiry")
    );
}

async fn rejects_duplicate_authn_request_id(db: TestDb) {
    let store = db.store().await;
    let acme = team(&store, "acme").await;
    store
        .store_request("_dup", &acme.id, T0, T0 + Duration::minutes(10))
        .await
        .expect("store");
    let result = store
        .store_request("_dup", &acme.id, T0, T0 + Duration::minutes(10))
        .await;
    assert_conflict(result, "authn request id", "_dup");
}

// ---------------------------------------------------------------------------------------------
// Replay cache

async fn replay_is_refused_until_not_on_or_after(db: TestDb) {
    let store = db.store().await;
    let acme = team(&store, "acme").await;
    // A sub-second expiry: rounding must never open a window before it.
    let not_on_or_after = T0 + Duration::milliseconds(300_500);
    let record = |now| store.record_assertion(&acme.id, "_a1", not_on_or_after, now);
    assert_eq!(record(T0).await.expect("first"), ReplayOutcome::Fresh);
    assert_eq!(record(T0).await.expect("second"), ReplayOutcome::Replayed);
    assert_eq!(
        record(T0 + Duration::seconds(299)).await.expect("later"),
        ReplayOutcome::Replayed
    );
    assert_eq!(
        record(T0 + Duration::milliseconds(300_200))
            .await
            .expect("just before"),
        ReplayOutcome::Replayed
    );
}

async fn replay_cache_is_per_team(db: TestDb) {
    let store = db.store().await;
    let acme = team(&store, "acme").await;
    let beta = team(&store, "beta").await;
    let until = T0 + Duration::minutes(5);
    assert_eq!(
        store
            .record_assertion(&acme.id, "_a1", until, T0)
            .await
            .expect("acme"),
        ReplayOutcome::Fresh
    );
    assert_eq!(
        store
            .record_assertion(&beta.id, "_a1", until, T0)
            .await
            .expect("beta"),
        ReplayOutcome::Fresh
    );
    assert_eq!(
        store
            .record_assertion(&beta.id, "_a1", until, T0)
            .await
            .expect("beta again"),
        ReplayOutcome::Replayed
    );
}

async fn purge_removes_expired_entries(db: TestDb) {
    let store = db.store().await;
    let acme = team(&store, "acme").await;
    let until = T0 + Duration::minutes(5);
    assert_eq!(
        store
            .record_assertion(&acme.id, "_a1", until, T0)
            .await
            .expect("record"),
        ReplayOutcome::Fresh
    );
    assert_eq!(
        store
            .record_assertion(&acme.id, "_a2", until + Duration::hours(1), T0)
            .await
            .expect("record"),
        ReplayOutcome::Fresh
    );
    // Before the expiry nothing goes.
    assert_eq!(
        store
            .purge_expired(until - Duration::seconds(1))
            .await
            .expect("purge early"),
        0
    );
    assert_eq!(
        store
            .record_assertion(&acme.id, "_a1", until, until - Duration::seconds(1))
            .await
            .expect("still"),
        ReplayOutcome::Replayed
    );
    // At NotOnOrAfter the entry goes; the later one stays.
    assert_eq!(store.purge_expired(until).await.expect("purge"), 1);
    assert_eq!(
        store
            .record_assertion(&acme.id, "_a2", until + Duration::hours(1), until)
            .await
            .expect("a2"),
        ReplayOutcome::Replayed
    );
}

async fn record_assertion_purges_opportunistically(db: TestDb) {
    let store = db.store().await;
    let acme = team(&store, "acme").await;
    let until = T0 + Duration::seconds(30);
    let _ = store
        .record_assertion(&acme.id, "_old", until, T0)
        .await
        .expect("old");
    // Ten minutes on, a login purges what expired in between...
    let later = T0 + Duration::minutes(10);
    let outcome = store
        .record_assertion(&acme.id, "_new", later + Duration::minutes(5), later)
        .await;
    assert_eq!(outcome.expect("new"), ReplayOutcome::Fresh);
    // ...so an explicit purge finds nothing left, while the fresh entry still blocks.
    assert_eq!(store.purge_expired(later).await.expect("purge"), 0);
    assert_eq!(
        store
            .record_assertion(&acme.id, "_new", later + Duration::minutes(5), later)
            .await
            .expect("again"),
        ReplayOutcome::Replayed
    );
}

async fn concurrent_record_assertion_across_replicas_yields_one_fresh(db: TestDb) {
    // Two pools on one database: two SP replicas.
    let replicas = [db.store().await, db.store().await];
    let acme = team(&replicas[0], "acme").await;
    let until = T0 + Duration::minutes(5);
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = replicas[i % 2].clone();
            let team_id = acme.id.clone();
            tokio::spawn(async move { store.record_assertion(&team_id, "_race", until, T0).await })
        })
        .collect();
    let mut fresh = 0;
    for task in tasks {
        if task.await.expect("task").expect("record") == ReplayOutcome::Fresh {
            fresh += 1;
        }
    }
    assert_eq!(fresh, 1);
}

// ---------------------------------------------------------------------------------------------
// Metadata cache

async fn metadata_failure_keeps_last_good_body_and_counts(db: TestDb) {
    let store = db.store().await;
    let acme = team(&store, "acme").await;
    let url = "https://idp.example/metadata";
    store
        .set_sso(&sso(
            &acme,
            "https://idp.example",
            MetadataSource::Url(url.into()),
        ))
        .await
        .expect("sso");
    assert_eq!(store.metadata_cache(&acme.id).await.expect("empty"), None);

    // A first fetch that fails leaves a row with no body.
    let n = store
        .record_metadata_failure(&acme.id, url, "timed out", T0, T0 + Duration::minutes(1))
        .await
        .expect("failure");
    assert_eq!(n, 1);
    let cache = store
        .metadata_cache(&acme.id)
        .await
        .expect("read")
        .expect("row");
    assert_eq!((cache.body, cache.consecutive_failures), (None, 1));

    let t1 = T0 + Duration::minutes(1);
    store
        .record_metadata_success(&acme.id, url, "<good/>", t1, t1 + Duration::hours(6))
        .await
        .expect("success");
    let cache = store
        .metadata_cache(&acme.id)
        .await
        .expect("read")
        .expect("row");
    assert_eq!(cache.body.as_deref(), Some("<good/>"));
    assert_eq!(
        (cache.fetched_at, cache.last_error, cache.last_error_at),
        (Some(t1), None, None)
    );
    assert_eq!(
        (cache.consecutive_failures, cache.next_refresh_at),
        (0, t1 + Duration::hours(6))
    );
    assert_eq!(cache.source, url);

    let t2 = t1 + Duration::hours(6);
    let t3 = t2 + Duration::minutes(2);
    assert_eq!(
        store
            .record_metadata_failure(&acme.id, url, "HTTP 503", t2, t3)
            .await
            .expect("f1"),
        1
    );
    assert_eq!(
        store
            .record_metadata_failure(
                &acme.id,
                url,
                "connection refused",
                t3,
                t3 + Duration::minutes(4)
            )
            .await
            .expect("f2"),
        2
    );
    let cache = store
        .metadata_cache(&acme.id)
        .await
        .expect("read")
        .expect("row");
    assert_eq!(
        cache.body.as_deref(),
        Some("<good/>"),
        "the last good copy stays in force"
    );
    assert_eq!(cache.fetched_at, Some(t1));
    assert_eq!(
        (cache.last_error.as_deref(), cache.last_error_at),
        (Some("connection refused"), Some(t3))
    );
    assert_eq!(
        (cache.consecutive_failures, cache.next_refresh_at),
        (2, t3 + Duration::minutes(4))
    );

    // A success resets the count and clears the error.
    store
        .record_metadata_success(&acme.id, url, "<newer/>", t3, t3 + Duration::hours(6))
        .await
        .expect("success");
    let cache = store
        .metadata_cache(&acme.id)
        .await
        .expect("read")
        .expect("row");
    assert_eq!(
        (
            cache.body.as_deref(),
            cache.consecutive_failures,
            cache.last_error
        ),
        (Some("<newer/>"), 0, None)
    );
}

async fn metadata_record_for_stale_source_is_refused(db: TestDb) {
    let store = db.store().await;
    let acme = team(&store, "acme").await;
    let current = "https://idp.example/current";
    store
        .set_sso(&sso(
            &acme,
            "https://idp.example",
            MetadataSource::Url(current.into()),
        ))
        .await
        .expect("sso");
    let stale = "https://idp.example/stale";
    let result = store
        .record_metadata_success(&acme.id, stale, "<old/>", T0, T0)
        .await;
    match result {
        Err(err @ StoreError::MetadataSourceChanged { .. }) => {
            assert_eq!(err.code(), "metadata_source_changed")
        }
        other => panic!("expected MetadataSourceChanged, got {other:?}"),
    }
    let result = store
        .record_metadata_failure(&acme.id, stale, "x", T0, T0)
        .await;
    assert!(
        matches!(result, Err(StoreError::MetadataSourceChanged { ref url, .. }) if url == stale),
        "{result:?}"
    );
    assert_eq!(store.metadata_cache(&acme.id).await.expect("read"), None);
    // Positive control: the current URL is recorded.
    store
        .record_metadata_success(&acme.id, current, "<md/>", T0, T0)
        .await
        .expect("current");
}

async fn metadata_due_lists_url_teams_without_cache_or_past_refresh(db: TestDb) {
    let store = db.store().await;
    let fetched = team(&store, "fetched").await;
    let never = team(&store, "never").await;
    let fixed = team(&store, "fixed").await;
    team(&store, "no-sso").await;
    let (fetched_url, never_url) = ("https://a.example/md", "https://b.example/md");
    store
        .set_sso(&sso(
            &fetched,
            "https://a.example",
            MetadataSource::Url(fetched_url.into()),
        ))
        .await
        .expect("a");
    store
        .set_sso(&sso(
            &never,
            "https://b.example",
            MetadataSource::Url(never_url.into()),
        ))
        .await
        .expect("b");
    store
        .set_sso(&sso(
            &fixed,
            "https://c.example",
            MetadataSource::Static("<md/>".into()),
        ))
        .await
        .expect("c");
    let next = T0 + Duration::hours(6);
    store
        .record_metadata_success(&fetched.id, fetched_url, "<md/>", T0, next)
        .await
        .expect("fetch");

    let mut expected = vec![(never.id.clone(), never_url.to_owned())];
    assert_eq!(
        store
            .metadata_due(next - Duration::seconds(1))
            .await
            .expect("due"),
        expected
    );
    expected.push((fetched.id.clone(), fetched_url.to_owned()));
    expected.sort();
    assert_eq!(
        store.metadata_due(next).await.expect("due at refresh"),
        expected
    );
}

// ---------------------------------------------------------------------------------------------
// Sessions and API keys

async fn sessions_expire_and_delete(db: TestDb) {
    let store = db.store().await;
    let acme = team(&store, "acme").await;
    let alice = store
        .create_member(&acme.id, new_member("alice@x.com"), T0)
        .await
        .expect("member");
    let token_hash = [0xab_u8; 32];
    let expires = T0 + Duration::hours(8);
    store
        .create_session(&token_hash, &acme.id, &alice.id, T0, expires)
        .await
        .expect("create");

    let row = store
        .session(&token_hash, T0)
        .await
        .expect("read")
        .expect("live");
    assert_eq!(
        (row.team_id, row.member_id, row.expires_at),
        (acme.id.clone(), alice.id.clone(), expires)
    );
    assert!(
        store
            .session(&token_hash, expires - Duration::seconds(1))
            .await
            .expect("read")
            .is_some()
    );
    assert_eq!(
        store.session(&token_hash, expires).await.expect("expired"),
        None
    );
    assert_eq!(store.session(&[0xcd; 32], T0).await.expect("unknown"), None);

    assert!(store.delete_session(&token_hash).await.expect("delete"));
    assert!(
        !store
            .delete_session(&token_hash)
            .await
            .expect("delete again")
    );
    assert_eq!(store.session(&token_hash, T0).await.expect("deleted"), None);
}

async fn rejects_duplicate_session_token_and_foreign_member(db: TestDb) {
    let store = db.store().await;
    let acme = team(&store, "acme").await;
    let beta = team(&store, "beta").await;
    let alice = store
        .create_member(&acme.id, new_member("alice@x.com"), T0)
        .await
        .expect("member");
    let expires = T0 + Duration::hours(1);
    store
        .create_session(&[1; 32], &acme.id, &alice.id, T0, expires)
        .await
        .expect("create");
    let result = store
        .create_session(&[1; 32], &acme.id, &alice.id, T0, expires)
        .await;
    assert_conflict(result, "session token", &"01".repeat(32));
    // A session must pair a member with the member's own team.
    let result = store
        .create_session(&[2; 32], &beta.id, &alice.id, T0, expires)
        .await;
    assert_not_found(result, "member", &alice.id.0);
}

async fn api_keys_find_their_team(db: TestDb) {
    let store = db.store().await;
    let acme = team(&store, "acme").await;
    team(&store, "beta").await;
    store
        .create_api_key(&acme.id, &[7; 32], "okta provisioning", T0)
        .await
        .expect("create");
    assert_eq!(
        store.team_by_api_key_hash(&[7; 32]).await.expect("lookup"),
        Some(acme.clone())
    );
    assert_eq!(
        store.team_by_api_key_hash(&[8; 32]).await.expect("unknown"),
        None
    );
    let ghost = Id("e".repeat(32));
    assert_not_found(
        store.create_api_key(&ghost, &[9; 32], "x", T0).await,
        "team",
        &ghost.0,
    );
}

async fn rejects_duplicate_api_key(db: TestDb) {
    let store = db.store().await;
    let acme = team(&store, "acme").await;
    let beta = team(&store, "beta").await;
    store
        .create_api_key(&acme.id, &[7; 32], "first", T0)
        .await
        .expect("create");
    let result = store.create_api_key(&beta.id, &[7; 32], "second", T0).await;
    assert_conflict(result, "api key", &"07".repeat(32));
    assert_eq!(
        store
            .team_by_api_key_hash(&[7; 32])
            .await
            .expect("lookup")
            .map(|t| t.id),
        Some(acme.id)
    );
}

#[test]
fn errors_name_the_field_and_the_fix() {
    let err = StoreError::Conflict {
        what: "member user_name",
        value: "alice@x.com".into(),
    };
    assert_eq!(err.code(), "conflict");
    assert_eq!(
        err.to_string(),
        "member user_name \"alice@x.com\" is already in use; userName is unique per team \
         (ASCII letters compared case-insensitively, see identity::member_key); update the \
         existing member"
    );
    let err = StoreError::NotFound {
        what: "team",
        key: "ghost".into(),
    };
    assert_eq!(err.code(), "not_found");
    assert_eq!(
        err.to_string(),
        "no team \"ghost\"; check the spelling, or create it first"
    );
}
