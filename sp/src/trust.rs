//! What the ACS trusts for a team: the signing certificates of its IdP metadata, the static
//! document or the last good copy fetched from its URL, parsed once per document version.
//!
//! A fetched copy is trusted until its own `validUntil` only: the IdP said that after it the
//! document must not be used (SAML metadata §2.3.1), and the refresh loop
//! ([`crate::saml::refresh`]) tries to replace it beforehand. When every try failed, logins are
//! refused with `metadata_expired` rather than verified against certificates the IdP may have
//! revoked. (Static metadata past `validUntil` is refused when it is saved.)

use crate::model::{Id, MetadataSource, SsoSettings, Team};
use crate::saml::metadata::{IdpMetadata, parse_metadata};
use crate::saml::refresh::describe;
use crate::saml::rejection::{Code, Rejection};
use crate::saml::validate::TeamSso;
use crate::store::{MetadataCache, Store, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Why a team's trust material is unavailable.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The metadata URL has not been fetched successfully yet.
    #[error(
        "the team's metadata URL {url} has not been fetched successfully yet{}",
        .last_error.as_deref().map(|code| format!(" (last error {code}: {})", describe(code))).unwrap_or_default()
    )]
    NotFetched {
        url: String,
        /// The code of the last fetch error.
        last_error: Option<String>,
    },
    /// The stored metadata no longer parses (it was checked when saved, so this is corruption).
    #[error("the team's stored metadata does not parse: {0}")]
    Unreadable(String),
    /// The last good copy of URL metadata is past its `validUntil`.
    #[error(
        "the team's metadata from {url} expired at {} (validUntil) and has not been refreshed \
         since{}",
        rfc3339(*valid_until),
        .last_error.as_deref().map(|code| format!("; last refresh error {code}: {}", describe(code))).unwrap_or_default()
    )]
    MetadataExpired {
        url: String,
        valid_until: OffsetDateTime,
        /// The time of the login.
        now: OffsetDateTime,
        /// The code of the last refresh error, if the last refresh failed.
        last_error: Option<String>,
    },
}

impl TrustError {
    /// The rejection the ACS answers with, for the errors that are the team's configuration
    /// rather than the SP's fault; `None` for internal faults (answer 500, log the detail).
    pub fn rejection(&self) -> Option<Rejection> {
        match self {
            TrustError::MetadataExpired {
                valid_until,
                now,
                last_error,
                ..
            } => Some(
                Rejection::new(Code::MetadataExpired)
                    .expected(format!(
                        "metadata whose validUntil is after {}",
                        rfc3339(*now)
                    ))
                    .got(format!(
                        "validUntil {}; last refresh error: {}",
                        rfc3339(*valid_until),
                        last_error.as_deref().unwrap_or("none recorded")
                    )),
            ),
            TrustError::Store(_) | TrustError::NotFetched { .. } | TrustError::Unreadable(_) => {
                None
            }
        }
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

/// A metadata document and what it parsed to.
type Parsed = (Arc<str>, Arc<IdpMetadata>);

/// The document in force for a team, and the cache row it came from (URL metadata only).
struct Document {
    text: Arc<str>,
    cache: Option<MetadataCache>,
}

/// Parsed metadata per team, keyed by the document text so that a refreshed copy replaces it.
#[derive(Default)]
pub struct TrustCache {
    parsed: Mutex<HashMap<Id, Parsed>>,
}

impl TrustCache {
    /// The metadata document in force for `settings`: the static XML, or the cached fetch.
    async fn document(store: &Store, settings: &SsoSettings) -> Result<Document, TrustError> {
        match &settings.metadata {
            MetadataSource::Static(xml) => Ok(Document {
                text: Arc::from(xml.as_str()),
                cache: None,
            }),
            MetadataSource::Url(url) => match store.metadata_cache(&settings.team_id).await? {
                Some(cache) => match &cache.body {
                    Some(body) => Ok(Document {
                        text: Arc::from(body.as_str()),
                        cache: Some(cache),
                    }),
                    None => Err(TrustError::NotFetched {
                        url: url.clone(),
                        last_error: cache.last_error,
                    }),
                },
                None => Err(TrustError::NotFetched {
                    url: url.clone(),
                    last_error: None,
                }),
            },
        }
    }

    /// The parsed metadata of `document`, from the cache when the text is unchanged.
    fn parse(
        &self,
        settings: &SsoSettings,
        document: Arc<str>,
    ) -> Result<Arc<IdpMetadata>, TrustError> {
        let mut parsed = self
            .parsed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((text, metadata)) = parsed.get(&settings.team_id) {
            if **text == *document {
                return Ok(metadata.clone());
            }
        }
        let metadata = Arc::new(
            parse_metadata(&document, Some(&settings.idp_issuer))
                .map_err(|e| TrustError::Unreadable(e.to_string()))?,
        );
        parsed.insert(settings.team_id.clone(), (document, metadata.clone()));
        Ok(metadata)
    }

    /// The parsed metadata in force for a team (for SP-initiated login: where to send the
    /// browser). Does not judge `validUntil`; the ACS does ([`TrustCache::team_sso`]).
    pub async fn metadata(
        &self,
        store: &Store,
        settings: &SsoSettings,
    ) -> Result<Arc<IdpMetadata>, TrustError> {
        let document = Self::document(store, settings).await?;
        self.parse(settings, document.text)
    }

    /// The team as the ACS pipeline needs it, at `now`: its certificates, unless they come from
    /// URL metadata past its `validUntil` ([`TrustError::MetadataExpired`], whose
    /// [`TrustError::rejection`] is the `metadata_expired` answer).
    pub async fn team_sso(
        &self,
        store: &Store,
        team: Team,
        settings: SsoSettings,
        now: OffsetDateTime,
    ) -> Result<TeamSso, TrustError> {
        let document = Self::document(store, &settings).await?;
        let metadata = self.parse(&settings, document.text)?;
        if let (MetadataSource::Url(url), Some(cache), Some(valid_until)) =
            (&settings.metadata, document.cache, metadata.valid_until())
            && valid_until <= now
        {
            return Err(TrustError::MetadataExpired {
                url: url.clone(),
                valid_until,
                now,
                last_error: cache.last_error,
            });
        }
        Ok(TeamSso {
            team,
            certificates: metadata.certificates(),
            settings,
        })
    }
}
