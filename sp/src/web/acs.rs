//! `POST /api/saml/consume`: the one ACS for every team.
//!
//! Order: body cap → decode → Issuer (unverified) → the team it names → every pure check
//! against that team's pinned certificates → the member's standing (read only) → the stateful
//! checks (request ID, replay) → JIT creation → session. A refusal before the stateful step
//! changes nothing stored.

use super::{AppState, pages, session};
use crate::model::Id;
use crate::model::Provisioning;
use crate::saml::rejection::{Code, Rejection};
use crate::saml::validate::{self, AcsError, ReplayCache, RequestStore, StoreFuture};
use crate::store::{NewMember, ReplayOutcome, Store, StoreError};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
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

/// The HTTP status for a refusal: malformed input is a 400, too much of it a 413, and a
/// well-formed response the SP will not accept a 403.
pub fn status_for(code: Code) -> StatusCode {
    match code {
        Code::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Code::NotBase64
        | Code::MalformedXml
        | Code::DoctypeForbidden
        | Code::NoAssertion
        | Code::MultipleAssertions
        | Code::VersionMismatch => StatusCode::BAD_REQUEST,
        _ => StatusCode::FORBIDDEN,
    }
}

fn refused(team: Option<&str>, rejection: Rejection) -> Response {
    // Code and the offending values go to the log; the assertion itself never does.
    tracing::warn!(
        team = %team.unwrap_or("-"),
        code = %rejection.code,
        expected = ?rejection.expected.as_deref().unwrap_or("-"),
        got = ?rejection.got.as_deref().unwrap_or("-"),
        "SAML response refused"
    );
    (
        status_for(rejection.code),
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        pages::rejection(&rejection),
    )
        .into_response()
}

fn internal(team: Option<&str>, what: &str, detail: impl std::fmt::Display) -> Response {
    tracing::error!(team = %team.unwrap_or("-"), "ACS {what} failed: {detail}");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        pages::diagnostic(
            "Something went wrong",
            "internal_error",
            "The SP could not finish the login. Try again; if it persists, the SP's log says why.",
        ),
    )
        .into_response()
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

pub async fn consume(State(state): State<AppState>, request: Request) -> Response {
    let now = state.clock.now();
    let sp = &state.sp;
    // The form carries base64 (4/3 of the XML) and URL-encoding; twice the XML cap bounds it.
    let body_cap = sp.limits.max_bytes * 2;
    let body = match axum::body::to_bytes(request.into_body(), body_cap).await {
        Ok(body) => body,
        Err(_) => {
            return refused(
                None,
                Rejection::new(Code::TooLarge)
                    .expected(format!("a body of at most {body_cap} bytes"))
                    .got("more"),
            );
        }
    };
    let posted = read_form(&body);
    let Some(form_value) = posted.saml_response else {
        return refused(
            None,
            Rejection::new(Code::NotBase64)
                .expected("a SAMLResponse form field")
                .got("none")
                .hint("The POST has no SAMLResponse field. The IdP must post the response with the HTTP-POST binding to this URL."),
        );
    };
    let xml = match validate::decode(&form_value, sp) {
        Ok(xml) => xml,
        Err(rejection) => return refused(None, rejection),
    };
    let doc = match validate::parse(&xml, sp) {
        Ok(doc) => doc,
        Err(rejection) => return refused(None, rejection),
    };
    let issuer = match validate::issuer_of(&doc, sp) {
        Ok(issuer) => issuer,
        Err(rejection) => return refused(None, rejection),
    };
    let (team, settings) = match state.store.sso_by_issuer(&issuer).await {
        Ok(Some(found)) => found,
        Ok(None) => return refused(None, Rejection::new(Code::UnknownIssuer).got(issuer)),
        Err(e) => return internal(None, "team lookup", e),
    };
    let slug = team.slug.clone();
    let team_sso = match state
        .trust
        .team_sso(&state.store, team, settings, now)
        .await
    {
        Ok(t) => t,
        Err(e) => match e.rejection() {
            Some(rejection) => return refused(Some(&slug), rejection),
            None => return internal(Some(&slug), "loading the team's metadata", e),
        },
    };
    let login = match validate::check_parsed(&doc, &team_sso, sp, now) {
        Ok(login) => login,
        Err(rejection) => return refused(Some(&slug), rejection),
    };

    let member = match state
        .store
        .member_by_user_name(&team_sso.team.id, &login.user_name)
        .await
    {
        Ok(m) => m,
        Err(e) => return internal(Some(&slug), "member lookup", e),
    };
    match &member {
        Some(m) if !m.active => {
            return refused(
                Some(&slug),
                Rejection::new(Code::MemberInactive).got(login.user_name.clone()),
            );
        }
        None if team_sso.settings.provisioning == Provisioning::ScimOnly => {
            return refused(
                Some(&slug),
                Rejection::new(Code::MemberUnknown).got(login.user_name.clone()),
            );
        }
        _ => {}
    }

    match validate::consume(
        &login,
        &team_sso,
        &Replay(&state.store),
        &Requests(&state.store),
        now,
    )
    .await
    {
        Ok(()) => {}
        Err(AcsError::Rejected(rejection)) => return refused(Some(&slug), rejection),
        Err(AcsError::Storage(e)) => return internal(Some(&slug), "replay or request check", e),
    }

    let member = match member {
        Some(m) => m,
        None => {
            let new = NewMember {
                user_name: login.user_name.clone(),
                given_name: login.given_name.clone(),
                family_name: login.family_name.clone(),
                display_name: login.display_name.clone(),
                external_id: None,
                active: true,
            };
            match state.store.create_member(&team_sso.team.id, new, now).await {
                Ok(m) => m,
                // A concurrent first login created it: use that one.
                Err(StoreError::Conflict { .. }) => match state
                    .store
                    .member_by_user_name(&team_sso.team.id, &login.user_name)
                    .await
                {
                    Ok(Some(m)) => m,
                    Ok(None) => {
                        return internal(
                            Some(&slug),
                            "JIT provisioning",
                            "member vanished after a conflict",
                        );
                    }
                    Err(e) => return internal(Some(&slug), "JIT provisioning", e),
                },
                Err(e) => return internal(Some(&slug), "JIT provisioning", e),
            }
        }
    };

    let lifetime = session::session_lifetime(now, login.session_not_on_or_after);
    if lifetime <= time::Duration::ZERO {
        return refused(
            Some(&slug),
            Rejection::new(Code::Expired)
                .expected("a SessionNotOnOrAfter in the future")
                .got("a session that already ended"),
        );
    }
    let (token, hash) = session::new_token();
    if let Err(e) = state
        .store
        .create_session(&hash, &team_sso.team.id, &member.id, now, now + lifetime)
        .await
    {
        return internal(Some(&slug), "session creation", e);
    }
    tracing::info!(team = %slug, member = %member.id, "SAML login");

    let target = posted
        .relay_state
        .filter(|r| session::same_site_path(r))
        .unwrap_or_else(|| "/".to_owned());
    let mut response = Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, target);
    for cookie in [
        session::set_cookie(
            session::SESSION_COOKIE,
            &token,
            lifetime,
            state.secure_cookies,
        ),
        session::set_cookie(
            session::SSO_TEAM_COOKIE,
            &slug,
            session::SSO_TEAM_COOKIE_LIFETIME,
            state.secure_cookies,
        ),
    ] {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response = response.header(header::SET_COOKIE, value);
        }
    }
    response
        .body(Body::empty())
        .unwrap_or_else(|e| internal(Some(&slug), "building the redirect", e))
}
