//! What the ACS trusts for a team: the signing certificates of its IdP metadata, the static
//! document or the last good copy fetched from its URL, parsed once per document version.

use crate::model::{Id, MetadataSource, SsoSettings, Team};
use crate::saml::metadata::{IdpMetadata, parse_metadata};
use crate::saml::validate::TeamSso;
use crate::store::{Store, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Why a team's trust material is unavailable.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The metadata URL has not been fetched successfully yet.
    #[error("the team's metadata URL {url} has not been fetched successfully yet{}", .last_error.as_ref().map(|e| format!(": {e}")).unwrap_or_default())]
    NotFetched {
        url: String,
        last_error: Option<String>,
    },
    /// The stored metadata no longer parses (it was checked when saved, so this is corruption).
    #[error("the team's stored metadata does not parse: {0}")]
    Unreadable(String),
}

/// A metadata document and what it parsed to.
type Parsed = (Arc<str>, Arc<IdpMetadata>);

/// Parsed metadata per team, keyed by the document text so that a refreshed copy replaces it.
#[derive(Default)]
pub struct TrustCache {
    parsed: Mutex<HashMap<Id, Parsed>>,
}

impl TrustCache {
    /// The metadata document in force for `settings`: the static XML, or the cached fetch.
    async fn document(store: &Store, settings: &SsoSettings) -> Result<Arc<str>, TrustError> {
        match &settings.metadata {
            MetadataSource::Static(xml) => Ok(Arc::from(xml.as_str())),
            MetadataSource::Url(url) => {
                let cache = store.metadata_cache(&settings.team_id).await?;
                match cache {
                    Some(crate::store::MetadataCache {
                        body: Some(body), ..
                    }) => Ok(Arc::from(body.as_str())),
                    other => Err(TrustError::NotFetched {
                        url: url.clone(),
                        last_error: other.and_then(|c| c.last_error),
                    }),
                }
            }
        }
    }

    /// The parsed metadata in force for a team.
    pub async fn metadata(
        &self,
        store: &Store,
        settings: &SsoSettings,
    ) -> Result<Arc<IdpMetadata>, TrustError> {
        let document = Self::document(store, settings).await?;
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

    /// The team as the ACS pipeline needs it.
    pub async fn team_sso(
        &self,
        store: &Store,
        team: Team,
        settings: SsoSettings,
    ) -> Result<TeamSso, TrustError> {
        let metadata = self.metadata(store, &settings).await?;
        Ok(TeamSso {
            team,
            certificates: metadata.certificates(),
            settings,
        })
    }
}
