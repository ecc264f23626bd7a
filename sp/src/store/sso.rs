//! A team's SAML settings: the IdP issuer that selects the team at the ACS, where its metadata
//! comes from, and the SP-side switches.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::error::write_error;
use super::teams::{TEAM_COLUMNS_T, team_from_row};
use super::{Store, StoreError, flag, flag_col, id_col};
use crate::model::{Id, MemberKey, MetadataSource, Provisioning, SsoSettings, Team};

/// The columns [`sso_from_row`] reads.
const SSO_COLUMNS: &str = "team_id, idp_issuer, metadata_kind, metadata_value, \
                           allow_idp_initiated, provisioning, allow_sha1, member_key, \
                           encrypted_assertions";

impl Store {
    /// Saves a team's SSO settings, replacing any previous ones.
    ///
    /// [`StoreError::Conflict`] (`"idp issuer"`) if another team already uses the issuer (the
    /// ACS selects the team by Issuer, so it must name one team); [`StoreError::NotFound`]
    /// (`"team"`) if the team does not exist. When the metadata source changes, the cached copy
    /// of the old URL's metadata is dropped in the same transaction: certificates the customer
    /// no longer points at must not stay trusted, and [`Store::metadata_due`] then reports the
    /// team at once.
    pub async fn set_sso(&self, sso: &SsoSettings) -> Result<(), StoreError> {
        let (kind, value) = match &sso.metadata {
            MetadataSource::Static(xml) => ("static", xml.as_str()),
            MetadataSource::Url(url) => ("url", url.as_str()),
        };
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO sso_settings (team_id, idp_issuer, metadata_kind, metadata_value, \
             allow_idp_initiated, provisioning, allow_sha1, member_key, encrypted_assertions) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (team_id) DO UPDATE SET idp_issuer = excluded.idp_issuer, \
             metadata_kind = excluded.metadata_kind, metadata_value = excluded.metadata_value, \
             allow_idp_initiated = excluded.allow_idp_initiated, \
             provisioning = excluded.provisioning, allow_sha1 = excluded.allow_sha1, \
             member_key = excluded.member_key, \
             encrypted_assertions = excluded.encrypted_assertions",
        )
        .bind(&sso.team_id.0)
        .bind(&sso.idp_issuer)
        .bind(kind)
        .bind(value)
        .bind(flag(sso.allow_idp_initiated))
        .bind(sso.provisioning.as_str())
        .bind(flag(sso.allow_sha1))
        .bind(sso.member_key.as_str())
        .bind(flag(sso.encrypted_assertions))
        .execute(&mut *tx)
        .await
        .map_err(|err| {
            write_error(
                err,
                ("idp issuer", &sso.idp_issuer),
                Some(("team", &sso.team_id.0)),
            )
        })?;
        sqlx::query(
            "DELETE FROM metadata_cache WHERE team_id = $1 AND NOT ($2 = 'url' AND source = $3)",
        )
        .bind(&sso.team_id.0)
        .bind(kind)
        .bind(value)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The team's SSO settings, if it has any.
    pub async fn sso_by_team(&self, team_id: &Id) -> Result<Option<SsoSettings>, StoreError> {
        let sql = format!("SELECT {SSO_COLUMNS} FROM sso_settings WHERE team_id = $1");
        let row = sqlx::query(&sql)
            .bind(&team_id.0)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(sso_from_row).transpose()
    }

    /// The team whose IdP has this entity ID, with its settings: how the ACS finds the team
    /// from a response's Issuer. Exact, case-sensitive match (entity IDs are URIs compared as
    /// strings).
    pub async fn sso_by_issuer(
        &self,
        issuer: &str,
    ) -> Result<Option<(Team, SsoSettings)>, StoreError> {
        let sql = format!(
            "SELECT {TEAM_COLUMNS_T}, {SSO_COLUMNS} FROM sso_settings s \
             JOIN teams t ON t.id = s.team_id WHERE s.idp_issuer = $1"
        );
        let row = sqlx::query(&sql)
            .bind(issuer)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => Ok(Some((team_from_row(&row)?, sso_from_row(&row)?))),
            None => Ok(None),
        }
    }
}

/// Reads the [`SSO_COLUMNS`] of a row.
fn sso_from_row(row: &AnyRow) -> Result<SsoSettings, StoreError> {
    let kind: String = row.try_get("metadata_kind")?;
    let value: String = row.try_get("metadata_value")?;
    let metadata = match kind.as_str() {
        "static" => MetadataSource::Static(value),
        "url" => MetadataSource::Url(value),
        _ => {
            return Err(StoreError::Corrupt {
                what: "metadata_kind",
                detail: format!("{kind:?} is not \"static\" or \"url\""),
            });
        }
    };
    let provisioning: String = row.try_get("provisioning")?;
    let member_key: String = row.try_get("member_key")?;
    Ok(SsoSettings {
        team_id: id_col(row, "team_id")?,
        idp_issuer: row.try_get("idp_issuer")?,
        metadata,
        allow_idp_initiated: flag_col(row, "allow_idp_initiated")?,
        provisioning: Provisioning::parse(&provisioning).ok_or_else(|| StoreError::Corrupt {
            what: "provisioning",
            detail: format!("{provisioning:?} is not \"jit\" or \"scim\""),
        })?,
        allow_sha1: flag_col(row, "allow_sha1")?,
        member_key: MemberKey::parse(&member_key).ok_or_else(|| StoreError::Corrupt {
            what: "member_key",
            detail: format!("{member_key:?} is not \"email\" or \"name_id\""),
        })?,
        encrypted_assertions: flag_col(row, "encrypted_assertions")?,
    })
}
