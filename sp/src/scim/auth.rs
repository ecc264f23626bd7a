//! Who is calling: the team whose API key the request carries.
//!
//! The key comes as `Authorization: Bearer <key>` or as the raw key (Okta's "HTTP Header" mode).
//! It is hashed and the hash looked up, so no key is compared in the clear
//! ([`crate::store::Store::team_by_api_key_hash`]). A team without API access or with SCIM off
//! gets 403 with the switch to turn on; every other failure is 401. The per-team rate limit is
//! taken here, after authentication, so an unauthenticated flood cannot spend a team's budget.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use super::{ScimError, Shared};
use crate::admin::api_key_hash;
use crate::model::Team;

/// The authenticated team of a SCIM request.
pub struct Tenant(pub Team);

/// The key in an Authorization header value: after `Bearer ` (any case), else the whole value.
pub fn presented_key(authorization: &str) -> Option<&str> {
    let value = authorization.trim();
    let key = match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => value,
    };
    // A scheme without a credential ("Bearer") is no key, not a raw key spelled "Bearer".
    (!key.is_empty() && !key.contains(' ') && !key.eq_ignore_ascii_case("bearer")).then_some(key)
}

impl FromRequestParts<Shared> for Tenant {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Tenant, ScimError> {
        let key = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(presented_key)
            .ok_or(ScimError::Unauthorized)?;
        let team = state
            .app
            .store
            .team_by_api_key_hash(&api_key_hash(key))
            .await
            .map_err(|e| ScimError::from_store("team", e))?
            .ok_or(ScimError::Unauthorized)?;
        if !team.api_access {
            return Err(ScimError::Forbidden(
                "this team has no API access, which SCIM needs; the operator turns it on with \
                 `sp team plan SLUG --plan PLAN --api-access true --scim true`",
            ));
        }
        if !team.scim_enabled {
            return Err(ScimError::Forbidden(
                "SCIM is not enabled for this team; the operator turns it on with \
                 `sp team plan SLUG --plan PLAN --api-access true --scim true`",
            ));
        }
        state.limiter.take(&team.id, state.app.clock.now())?;
        Ok(Tenant(team))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_bearer_and_raw_keys() {
        assert_eq!(presented_key("Bearer ssolab_ab"), Some("ssolab_ab"));
        assert_eq!(presented_key("bearer  ssolab_ab "), Some("ssolab_ab"));
        assert_eq!(presented_key("ssolab_ab"), Some("ssolab_ab"));
        assert_eq!(presented_key("Bearer "), None);
        assert_eq!(presented_key(""), None);
        assert_eq!(presented_key("Basic a b"), None);
    }
}
