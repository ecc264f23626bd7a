//! The SCIM test harness: an SP on 127.0.0.1:0 over a test database, teams with API keys, and
//! a client that sends SCIM requests the way Okta does (`application/scim+json`, Bearer key).
#![allow(dead_code)] // each test binary uses its own part of this module

use std::net::SocketAddr;
use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use sp::admin;
use sp::clock::FixedClock;
use sp::config::SpConfig;
use sp::model::{Plan, Team};
use sp::scim::ScimSettings;
use sp::store::Store;
use sp::web::{self, AppState};
use time::OffsetDateTime;
use time::macros::datetime;

/// The clock of every SCIM test.
pub const T0: OffsetDateTime = datetime!(2026-11-28 12:00:00 UTC);

/// The metadata fetcher of the SP under test (static metadata only: nothing is fetched).
pub fn fetcher() -> sp::saml::fetch::MetadataFetcher {
    sp::saml::fetch::MetadataFetcher::new(Default::default()).expect("metadata fetcher")
}

pub fn http() -> reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT
        .get_or_init(|| {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client")
        })
        .clone()
}

pub struct Server {
    pub addr: SocketAddr,
    pub store: Store,
    pub clock: Arc<FixedClock>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// How the SP is served.
pub enum Mount {
    /// The whole SP (`web::serve`): SCIM with its default settings, HTML routes beside it.
    Full { canonical_host: Option<String> },
    /// The SCIM router alone with these settings, at `/scim/v2`.
    ScimOnly(ScimSettings),
}

impl Server {
    pub async fn start(store: Store, mount: Mount) -> Server {
        let clock = Arc::new(FixedClock::at(T0));
        let mut state = AppState::new(
            store.clone(),
            SpConfig::qualified(),
            clock.clone(),
            fetcher(),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let shutdown = async move {
            let _ = stopped.await;
        };
        match mount {
            Mount::Full { canonical_host } => {
                state.canonical_host = canonical_host;
                tokio::spawn(web::serve(listener, state, shutdown));
            }
            Mount::ScimOnly(settings) => {
                let app =
                    axum::Router::new().nest("/scim/v2", sp::scim::router_with(state, settings));
                tokio::spawn(async move {
                    axum::serve(listener, app)
                        .with_graceful_shutdown(shutdown)
                        .await
                });
            }
        }
        Server {
            addr,
            store,
            clock,
            stop: Some(stop),
        }
    }

    /// The SCIM router without a rate limit (for tests that send many requests).
    pub async fn unlimited(store: Store) -> Server {
        Server::start(store, Mount::ScimOnly(ScimSettings { rate_limit: None })).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A team with API access and SCIM on, and its key.
    pub async fn team(&self, slug: &str) -> Tenant {
        self.team_with(slug, true, true).await
    }

    pub async fn team_with(&self, slug: &str, api_access: bool, scim: bool) -> Tenant {
        let (team, _) = admin::create_team(&self.store, slug, Plan::Custom, false, false, T0)
            .await
            .expect("team");
        let key = admin::issue_api_key(&self.store, slug, T0)
            .await
            .expect("key");
        admin::set_plan(&self.store, slug, Plan::Custom, api_access, scim)
            .await
            .expect("plan");
        Tenant {
            team,
            key,
            base: self.url("/scim/v2"),
        }
    }
}

/// A team's SCIM client.
#[derive(Clone)]
pub struct Tenant {
    pub team: Team,
    pub key: String,
    pub base: String,
}

/// What came back.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a SCIM Error with this status and scimType (or none).
    pub fn assert_error(&self, status: u16, scim_type: Option<&str>) -> &Reply {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        assert_eq!(
            self.body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error",
            "{}",
            self.text
        );
        assert_eq!(
            self.body["status"],
            status.to_string(),
            "status is a string: {}",
            self.text
        );
        assert_eq!(self.body["scimType"].as_str(), scim_type, "{}", self.text);
        assert_eq!(self.header("content-type"), Some("application/scim+json"));
        self
    }

    pub fn detail(&self) -> &str {
        self.body["detail"].as_str().unwrap_or("")
    }

    pub fn id(&self) -> String {
        self.body["id"].as_str().expect("an id").to_owned()
    }
}

impl Tenant {
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.send_with(method, path, body, &[]).await
    }

    pub async fn send_with(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = http()
            .request(method, format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {}", self.key));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/scim+json; charset=utf-8")
                .body(body.to_string());
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        reply(request.send().await.expect("request")).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.send(Method::PUT, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, ops: Value) -> Reply {
        let body = serde_json::json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": ops,
        });
        self.send(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, None).await
    }

    /// Creates a user as Okta does and returns its id.
    pub async fn create_user(&self, user_name: &str) -> String {
        let reply = self
            .post("/Users", okta_user(user_name, "Alice", "Liddell"))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.id()
    }
}

pub async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
        text,
    }
}

/// The body of Okta's POST /Users.
pub fn okta_user(user_name: &str, given: &str, family: &str) -> Value {
    serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"primary": true, "value": user_name, "type": "work"}],
        "displayName": format!("{given} {family}"),
        "locale": "en-US",
        "externalId": "00u1ssolab0test0000d7",
        "groups": [],
        "password": "1mz050nq",
        "active": true
    })
}

/// A JSON text with the random ids replaced, for snapshots.
pub fn redact(value: &Value, ids: &[&str]) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("json");
    for (i, id) in ids.iter().enumerate() {
        text = text.replace(id, &format!("<id{i}>"));
    }
    text
}
