//! Team members (SCIM Users). userName is unique per team under the one identity rule
//! ([`crate::identity::member_key`]: ASCII letters case-insensitively, everything else exactly);
//! the `user_name_key` column holds that key and carries the UNIQUE constraint that enforces it.
//! (Migration 0001's comment on the column predates the rule: keys were Unicode-lowercased then.)

use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use super::error::write_error;
use super::{Store, StoreError, flag, flag_col, id_col, secs_floor, time_col, truncate};
use crate::model::{Id, Member, case_key};

const MEMBER_COLUMNS: &str = "id, team_id, user_name, given_name, family_name, display_name, \
                              external_id, active, created_at, updated_at";

/// What a caller supplies to create a member; the store adds id, team and timestamps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMember {
    /// The primary email, kept as given.
    pub user_name: String,
    /// First name.
    pub given_name: Option<String>,
    /// Last name.
    pub family_name: Option<String>,
    /// Full name for display.
    pub display_name: Option<String>,
    /// The IdP's or SCIM client's identifier for the user.
    pub external_id: Option<String>,
    /// Whether the member may log in.
    pub active: bool,
}

/// The comparison key of a userName: the one identity rule ([`crate::identity::member_key`]),
/// computed by the application rather than SQL `LOWER()` so that both backends agree on which
/// names collide.
pub(crate) fn user_name_key(user_name: &str) -> Result<String, StoreError> {
    crate::identity::member_key(user_name).map_err(|error| StoreError::InvalidIdentity {
        value: user_name.to_owned(),
        error,
    })
}

impl Store {
    /// Creates a member of `team_id`. [`StoreError::Conflict`] (`"member user_name"`) if the
    /// team has a member whose userName equals this one case-insensitively;
    /// [`StoreError::NotFound`] (`"team"`) if the team does not exist.
    pub async fn create_member(
        &self,
        team_id: &Id,
        new: NewMember,
        now: OffsetDateTime,
    ) -> Result<Member, StoreError> {
        let key = user_name_key(&new.user_name)?;
        let member = Member {
            id: Id::random(),
            team_id: team_id.clone(),
            user_name: new.user_name,
            given_name: new.given_name,
            family_name: new.family_name,
            display_name: new.display_name,
            external_id: new.external_id,
            active: new.active,
            created_at: truncate(now),
            updated_at: truncate(now),
        };
        sqlx::query(
            "INSERT INTO members (id, team_id, user_name, user_name_key, given_name, family_name, \
             display_name, external_id, active, created_at, updated_at, display_name_key, \
             given_name_key, family_name_key) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12, $13)",
        )
        .bind(&member.id.0)
        .bind(&team_id.0)
        .bind(&member.user_name)
        .bind(key)
        .bind(member.given_name.as_deref())
        .bind(member.family_name.as_deref())
        .bind(member.display_name.as_deref())
        .bind(member.external_id.as_deref())
        .bind(flag(member.active))
        .bind(secs_floor(now))
        // The caseExact=false keys SCIM filters compare (migration 0004).
        .bind(member.display_name.as_deref().map(case_key))
        .bind(member.given_name.as_deref().map(case_key))
        .bind(member.family_name.as_deref().map(case_key))
        .execute(&self.pool)
        .await
        .map_err(|err| {
            write_error(
                err,
                ("member user_name", &member.user_name),
                Some(("team", &team_id.0)),
            )
        })?;
        Ok(member)
    }

    /// The team's member with this userName, by the one identity rule; none for an identity
    /// the rule refuses (no member can have it).
    pub async fn member_by_user_name(
        &self,
        team_id: &Id,
        user_name: &str,
    ) -> Result<Option<Member>, StoreError> {
        let Ok(key) = user_name_key(user_name) else {
            return Ok(None);
        };
        let sql = format!(
            "SELECT {MEMBER_COLUMNS} FROM members WHERE team_id = $1 AND user_name_key = $2"
        );
        let row = sqlx::query(&sql)
            .bind(&team_id.0)
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(member_from_row).transpose()
    }

    /// The team's member with this id. Scoped by team so that one team's id never reaches
    /// another team's member.
    pub async fn member_by_id(&self, team_id: &Id, id: &Id) -> Result<Option<Member>, StoreError> {
        let sql = format!("SELECT {MEMBER_COLUMNS} FROM members WHERE team_id = $1 AND id = $2");
        let row = sqlx::query(&sql)
            .bind(&team_id.0)
            .bind(&id.0)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(member_from_row).transpose()
    }

    /// Activates or deactivates a member; returns it updated. [`StoreError::NotFound`]
    /// (`"member"`) if the team has no member with this id.
    pub async fn set_member_active(
        &self,
        team_id: &Id,
        id: &Id,
        active: bool,
        now: OffsetDateTime,
    ) -> Result<Member, StoreError> {
        let sql = format!(
            "UPDATE members SET active = $3, updated_at = $4 WHERE team_id = $1 AND id = $2 \
             RETURNING {MEMBER_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(&team_id.0)
            .bind(&id.0)
            .bind(flag(active))
            .bind(secs_floor(now))
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => member_from_row(&row),
            None => Err(StoreError::NotFound {
                what: "member",
                key: id.0.clone(),
            }),
        }
    }
}

/// Reads the [`MEMBER_COLUMNS`] of a row.
fn member_from_row(row: &AnyRow) -> Result<Member, StoreError> {
    Ok(Member {
        id: id_col(row, "id")?,
        team_id: id_col(row, "team_id")?,
        user_name: row.try_get("user_name")?,
        given_name: row.try_get("given_name")?,
        family_name: row.try_get("family_name")?,
        display_name: row.try_get("display_name")?,
        external_id: row.try_get("external_id")?,
        active: flag_col(row, "active")?,
        created_at: time_col(row, "created_at")?,
        updated_at: time_col(row, "updated_at")?,
    })
}
