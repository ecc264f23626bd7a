//! The login page, SP-initiated login ("SSO LOG IN"), the signed-in page and logout.

use super::{AppState, pages, session};
use crate::model::Plan;
use crate::saml::authn_request;
use crate::saml::metadata::Binding;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use time::Duration;

/// `GET /login`: "SSO LOG IN" appears once a first IdP-initiated login set the team cookie.
pub async fn login_page(headers: HeaderMap) -> Html<String> {
    let team = session::cookie(&headers, session::SSO_TEAM_COOKIE)
        .filter(|slug| crate::model::valid_slug(slug));
    Html(pages::login(team))
}

#[derive(serde::Deserialize)]
pub struct LoginQuery {
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
}

/// `GET /api/saml/login/{team}`: an AuthnRequest to the team's IdP over HTTP-Redirect (or
/// POST). The request ID is stored server-side (consumed once) and named in a short-lived cookie
/// of this browser ([`session::login_requests_cookie`]), so that only the browser that started
/// the login can finish it.
pub async fn sp_initiated(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(query): Query<LoginQuery>,
    headers: HeaderMap,
) -> Response {
    let not_found = || {
        pages::diagnostic_response(
            StatusCode::NOT_FOUND,
            "Unknown team",
            "unknown_team",
            "No team with single sign-on has this login URL. Check the link, or log in from your identity provider's portal.",
        )
    };
    let team = match state.store.team_by_slug(&slug).await {
        Ok(Some(team)) => team,
        Ok(None) => return not_found(),
        Err(e) => return super::internal("team lookup", e),
    };
    let settings = match state.store.sso_by_team(&team.id).await {
        Ok(Some(s)) => s,
        Ok(None) => return not_found(),
        Err(e) => return super::internal("SSO settings lookup", e),
    };
    if team.plan != Plan::Custom {
        return pages::diagnostic_response(
            StatusCode::FORBIDDEN,
            "Single sign-on is not enabled",
            "sso_not_enabled",
            crate::saml::rejection::Code::SsoNotEnabled.hint(),
        );
    }
    let metadata = match state.trust.metadata(&state.store, &settings).await {
        Ok(m) => m,
        Err(e) => return super::internal("loading the team's metadata", e),
    };
    // Redirect when the IdP offers it (the usual case), else POST (JumpCloud offers only POST).
    let Some(endpoint) = metadata.preferred_sso().cloned() else {
        return pages::diagnostic_response(
            StatusCode::BAD_GATEWAY,
            "The IdP takes no login requests",
            "no_sso_url",
            "The IdP's metadata lists no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding. Log in from the IdP's portal instead.",
        );
    };
    let sso_url = endpoint.location.as_str();
    let now = state.clock.now();
    let id = format!("_{}", crate::model::Id::random());
    if let Err(e) = state
        .store
        .store_request(&id, &team.id, now, now + session::LOGIN_REQUESTS_LIFETIME)
        .await
    {
        return super::internal("storing the AuthnRequest ID", e);
    }
    let request = authn_request::build(&id, &state.sp.entity_id, &state.sp.acs_url(), sso_url, now);
    let relay = query.relay_state.filter(|r| session::same_site_path(r));
    let mut started = vec![id.as_str()];
    started.extend(session::login_requests(&headers));
    let binding_cookie = session::login_requests_cookie(&started);
    let mut response = if endpoint.binding == Binding::HttpPost {
        pages::respond(
            StatusCode::OK,
            None,
            pages::post_binding(
                sso_url,
                &authn_request::post_value(&request),
                relay.as_deref(),
            ),
        )
    } else {
        match authn_request::redirect_url(sso_url, &request, relay.as_deref()) {
            // 302 as SAML's HTTP-Redirect binding uses; the browser follows it with GET.
            Ok(url) => (StatusCode::FOUND, [(header::LOCATION, url)]).into_response(),
            Err(e) => return super::internal("encoding the AuthnRequest", e),
        }
    };
    if let Ok(value) = HeaderValue::from_str(&binding_cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// `GET /`: who is signed in, or the way to the login page.
pub async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = session::cookie(&headers, session::SESSION_COOKIE) else {
        return Redirect::to("/login").into_response();
    };
    let now = state.clock.now();
    let row = match state.store.session(&session::token_hash(token), now).await {
        Ok(Some(row)) => row,
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(e) => return super::internal("session lookup", e),
    };
    let team = state.store.team_by_id(&row.team_id).await;
    let member = state.store.member_by_id(&row.team_id, &row.member_id).await;
    match (team, member) {
        (Ok(Some(team)), Ok(Some(member))) if member.active => {
            pages::respond(StatusCode::OK, None, pages::home(&team, &member))
        }
        (Ok(_), Ok(_)) => Redirect::to("/login").into_response(),
        (Err(e), _) | (_, Err(e)) => super::internal("member lookup", e),
    }
}

/// Whether a state-changing request comes from this site's own pages. `Sec-Fetch-Site` when the
/// browser sends it (every current one does), else `Origin` against `Host`; a request that
/// proves neither is refused (fail closed: only browsers post here).
fn same_origin(headers: &HeaderMap) -> Result<(), String> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        return match site {
            "same-origin" | "none" => Ok(()),
            other => Err(format!("Sec-Fetch-Site: {other}")),
        };
    }
    let host = header("host").unwrap_or("");
    match header("origin") {
        Some(origin) => {
            let origin_host = origin.split_once("://").map_or("", |(_, rest)| rest);
            if !host.is_empty() && origin_host.eq_ignore_ascii_case(host) {
                Ok(())
            } else {
                Err(format!("Origin {origin} for host {host}"))
            }
        }
        None => Err("neither Sec-Fetch-Site nor Origin".to_owned()),
    }
}

/// `POST /logout`: ends the session here (local logout; the IdP session is the IdP's). Only from
/// the SP's own pages: a cross-site form must not log anyone out.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(seen) = same_origin(&headers) {
        tracing::warn!(seen = %seen, "cross-site logout refused");
        return pages::diagnostic_response(
            StatusCode::FORBIDDEN,
            "Logout refused",
            "cross_site_request",
            "This logout did not come from the SP's own pages (another site, or a client that sends neither Sec-Fetch-Site nor Origin). Use the Log out button on the SP.",
        );
    }
    if let Some(token) = session::cookie(&headers, session::SESSION_COOKIE) {
        if let Err(e) = state
            .store
            .delete_session(&session::token_hash(token))
            .await
        {
            return super::internal("logout", e);
        }
    }
    let expired = session::set_cookie(
        session::SESSION_COOKIE,
        "",
        Duration::ZERO,
        state.secure_cookies,
    );
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, "/login".to_owned()),
            (header::SET_COOKIE, expired),
        ],
    )
        .into_response()
}
