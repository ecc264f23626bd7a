//! `POST /api/saml/consume`: the one ACS for every team.
//!
//! Order: content type → body cap → `validate::judge` on the bounded CPU pool (decode → parse →
//! Issuer, unverified → the team it names → every pure check against that team's pinned
//! certificates) → the browser that started an SP-initiated login → the member's standing (read
//! only) → the stateful checks (request ID, replay) → JIT creation → session. A refusal before
//! the stateful step changes nothing stored.

use super::cpu::PoolError;
use super::error::WebError;
use super::{AppState, session};
use crate::model::{Id, Member, Provisioning};
use crate::saml::rejection::{Code, Rejection};
use crate::saml::validate::{
    self, AcsError, Login, ReplayCache, RequestStore, StoreFuture, TeamError, TeamSso,
};
use crate::store::{NewMember, ReplayOutcome, Store, StoreError};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use time::OffsetDateTime;

struct Replay<'a>(&'a Store);

impl ReplayCache for Replay<'_> {
    fn record<'a>(
        &'a self,
        team: &'a Id,
        assertion_id: &'a str,
        until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            match self
                .0
                .record_assertion(team, assertion_id, until, now)
                .await
            {
                Ok(ReplayOutcome::Fresh) => Ok(true),
                Ok(ReplayOutcome::Replayed) => Ok(false),
                Err(e) => Err(e.to_string()),
            }
        })
    }
}

struct Requests<'a>(&'a Store);

impl RequestStore for Requests<'_> {
    fn take<'a>(
        &'a self,
        team: &'a Id,
        request_id: &'a str,
        now: OffsetDateTime,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            self.0
                .take_request(request_id, team, now)
                .await
                .map_err(|e| e.to_string())
        })
    }
}

/// The form fields of an HTTP-POST binding message.
struct Posted {
    saml_response: Option<String>,
    relay_state: Option<String>,
}

fn read_form(body: &[u8]) -> Posted {
    let mut posted = Posted {
        saml_response: None,
        relay_state: None,
    };
    for (k, v) in url::form_urlencoded::parse(body) {
        match &*k {
            "SAMLResponse" => posted.saml_response = Some(v.into_owned()),
            "RelayState" => posted.relay_state = Some(v.into_owned()),
            _ => {}
        }
    }
    posted
}

/// The HTTP-POST binding posts an HTML form: `application/x-www-form-urlencoded` (any
/// parameters). A post without a Content-Type is read as such (scripts and `curl -d` omit it
/// or send that); a multipart or JSON post is refused by name instead of being misread as a form
/// without a SAMLResponse field.
fn check_content_type(headers: &HeaderMap) -> Result<(), Rejection> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let value = value.to_str().unwrap_or("");
    let media_type = value.split(';').next().unwrap_or("").trim();
    if media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Ok(());
    }
    Err(Rejection::new(Code::ContentTypeUnsupported)
        .expected("application/x-www-form-urlencoded")
        .got(
            if value.is_empty() {
                "an unreadable Content-Type"
            } else {
                value
            }
            .to_owned(),
        ))
}

/// The team whose Issuer this is, with its pinned certificates valid at `now`.
async fn find_team(
    state: &AppState,
    issuer: &str,
    now: OffsetDateTime,
) -> Result<Option<TeamSso>, TeamError> {
    let storage = |slug: Option<String>, detail: String| TeamError {
        slug,
        error: AcsError::Storage(detail),
    };
    let Some((team, settings)) = state
        .store
        .sso_by_issuer(issuer)
        .await
        .map_err(|e| storage(None, format!("team lookup: {e}")))?
    else {
        return Ok(None);
    };
    let slug = team.slug.clone();
    state
        .trust
        .team_sso(&state.store, team, settings, now)
        .await
        .map(Some)
        .map_err(|e| match e.rejection() {
            Some(rejection) => TeamError {
                slug: Some(slug.clone()),
                error: AcsError::Rejected(rejection),
            },
            None => storage(
                Some(slug.clone()),
                format!("loading the team's metadata: {e}"),
            ),
        })
}

pub async fn consume(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, WebError> {
    let now = state.clock.now();
    let (parts, body) = request.into_parts();
    check_content_type(&parts.headers)?;
    let body_cap = state.sp.form_body_cap();
    let body = axum::body::to_bytes(body, body_cap).await.map_err(|_| {
        Rejection::new(Code::TooLarge)
            .expected(format!("a body of at most {body_cap} bytes"))
            .got("more")
    })?;
    let posted = read_form(&body);
    let form_value = posted.saml_response.ok_or_else(|| {
        Rejection::new(Code::SamlResponseMissing)
            .expected("a SAMLResponse form field")
            .got("none")
    })?;

    // Parsing, signatures and decryption run on the bounded pool, never on the async workers.
    // The team is looked up from there (a short blocking wait on the store), so that the
    // response is parsed once.
    let job = {
        let state = state.clone();
        let runtime = tokio::runtime::Handle::current();
        move || {
            let mut find = |issuer: &str| runtime.block_on(find_team(&state, issuer, now));
            validate::judge(&form_value, &state.sp, now, &mut find)
        }
    };
    let judged = state.cpu.run(job).await.map_err(|e| match e {
        PoolError::Busy(rejection) => WebError::refused(None, rejection),
        PoolError::Panicked(detail) => WebError::internal(None, "judging the response", detail),
    })?;
    let slug = judged.slug.as_deref();
    let login = judged.outcome.map_err(|e| match e {
        AcsError::Rejected(rejection) => WebError::refused(slug, rejection),
        AcsError::Storage(detail) => WebError::internal(slug, "finding the team", detail),
    })?;
    let team_sso = judged.team.ok_or_else(|| {
        WebError::internal(slug, "judging the response", "a login without a team")
    })?;

    // An answer to an SP-initiated login counts only in the browser that started it: otherwise
    // anyone who starts a login, signs in at the IdP as themselves and stops before the post can
    // make a victim's browser post that response (login CSRF).
    let started_here = session::login_requests(&parts.headers);
    if let Some(request_id) = &login.in_response_to {
        let outstanding = state
            .store
            .request_outstanding(request_id, &team_sso.team.id, now)
            .await
            .map_err(|e| WebError::internal(slug, "request lookup", e))?;
        // A request this SP never made (or already consumed) is named as such: the browser
        // binding is only the question for requests that exist.
        if outstanding && !started_here.contains(&request_id.as_str()) {
            return Err(WebError::refused(
                slug,
                Rejection::new(Code::RequestFromAnotherBrowser)
                    .expected(format!("request {request_id} started in this browser"))
                    .got(if started_here.is_empty() {
                        "no login started in this browser".to_owned()
                    } else {
                        format!("this browser started {}", started_here.join(", "))
                    }),
            ));
        }
    }

    let member = state
        .store
        .member_by_user_name(&team_sso.team.id, &login.user_name)
        .await
        .map_err(|e| WebError::internal(slug, "member lookup", e))?;
    match &member {
        Some(m) if !m.active => {
            return Err(WebError::refused(
                slug,
                Rejection::new(Code::MemberInactive).got(login.user_name.clone()),
            ));
        }
        None if team_sso.settings.provisioning == Provisioning::ScimOnly => {
            return Err(WebError::refused(
                slug,
                Rejection::new(Code::MemberUnknown).got(login.user_name.clone()),
            ));
        }
        _ => {}
    }

    validate::consume(
        &login,
        &team_sso,
        &Replay(&state.store),
        &Requests(&state.store),
        now,
    )
    .await
    .map_err(|e| match e {
        AcsError::Rejected(rejection) => WebError::refused(slug, rejection),
        AcsError::Storage(e) => WebError::internal(slug, "replay or request check", e),
    })?;

    let member = match member {
        Some(m) => m,
        None => jit_member(&state, &team_sso, &login, now)
            .await
            .map_err(|e| WebError::internal(slug, "JIT provisioning", e))?,
    };

    let lifetime = session::session_lifetime(now, login.session_not_on_or_after);
    if lifetime <= time::Duration::ZERO {
        return Err(WebError::refused(
            slug,
            Rejection::new(Code::Expired)
                .expected("a SessionNotOnOrAfter in the future")
                .got("a session that already ended"),
        ));
    }
    let (token, hash) = session::new_token();
    state
        .store
        .create_session(&hash, &team_sso.team.id, &member.id, now, now + lifetime)
        .await
        .map_err(|e| WebError::internal(slug, "session creation", e))?;
    let slug = team_sso.team.slug.as_str();
    tracing::info!(team = %slug, member = %member.id, "SAML login");

    let target = posted
        .relay_state
        .filter(|r| session::same_site_path(r))
        .unwrap_or_else(|| "/".to_owned());
    let mut cookies = vec![
        session::set_cookie(
            session::SESSION_COOKIE,
            &token,
            lifetime,
            state.secure_cookies,
        ),
        session::set_cookie(
            session::SSO_TEAM_COOKIE,
            slug,
            session::SSO_TEAM_COOKIE_LIFETIME,
            state.secure_cookies,
        ),
    ];
    if let Some(answered) = &login.in_response_to {
        let rest: Vec<&str> = started_here
            .into_iter()
            .filter(|id| id != answered)
            .collect();
        cookies.push(session::login_requests_cookie(&rest));
    }
    let mut response = Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, target);
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response = response.header(header::SET_COOKIE, value);
        }
    }
    response
        .body(Body::empty())
        .map_err(|e| WebError::internal(Some(slug), "building the redirect", e))
}

/// Creates the member a first login names (JIT provisioning); a concurrent first login that
/// created it first wins, and that member is used.
async fn jit_member(
    state: &AppState,
    team_sso: &TeamSso,
    login: &Login,
    now: OffsetDateTime,
) -> Result<Member, String> {
    let new = NewMember {
        user_name: login.user_name.clone(),
        given_name: login.given_name.clone(),
        family_name: login.family_name.clone(),
        display_name: login.display_name.clone(),
        external_id: None,
        active: true,
    };
    match state.store.create_member(&team_sso.team.id, new, now).await {
        Ok(m) => Ok(m),
        Err(StoreError::Conflict { .. }) => state
            .store
            .member_by_user_name(&team_sso.team.id, &login.user_name)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "member vanished after a conflict".to_owned()),
        Err(e) => Err(e.to_string()),
    }
}
