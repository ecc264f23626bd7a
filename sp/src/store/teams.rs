//! Teams: slug, plan and the switches that gate SSO, API access and SCIM.

use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use super::error::write_error;
use super::{Store, StoreError, flag, flag_col, id_col, secs_floor, time_col, truncate};
use crate::model::{Id, Plan, Team};

/// The columns [`team_from_row`] reads, for SELECTs and RETURNING clauses.
const TEAM_COLUMNS: &str = "id, slug, plan, api_access, scim_enabled, created_at";

/// [`TEAM_COLUMNS`] qualified by the alias `t`, for joins.
pub(crate) const TEAM_COLUMNS_T: &str =
    "t.id, t.slug, t.plan, t.api_access, t.scim_enabled, t.created_at";

impl Store {
    /// Creates a team with a fresh id. [`StoreError::Conflict`] (`"team slug"`) if the slug is
    /// taken.
    pub async fn create_team(
        &self,
        slug: &str,
        plan: Plan,
        api_access: bool,
        scim_enabled: bool,
        now: OffsetDateTime,
    ) -> Result<Team, StoreError> {
        let team = Team {
            id: Id::random(),
            slug: slug.to_owned(),
            plan,
            api_access,
            scim_enabled,
            created_at: truncate(now),
        };
        sqlx::query(
            "INSERT INTO teams (id, slug, plan, api_access, scim_enabled, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&team.id.0)
        .bind(&team.slug)
        .bind(plan.as_str())
        .bind(flag(api_access))
        .bind(flag(scim_enabled))
        .bind(secs_floor(now))
        .execute(&self.pool)
        .await
        .map_err(|err| write_error(err, ("team slug", slug), None))?;
        Ok(team)
    }

    /// The team with this slug, if any.
    pub async fn team_by_slug(&self, slug: &str) -> Result<Option<Team>, StoreError> {
        let sql = format!("SELECT {TEAM_COLUMNS} FROM teams WHERE slug = $1");
        let row = sqlx::query(&sql)
            .bind(slug)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(team_from_row).transpose()
    }

    /// The team with this id, if any.
    pub async fn team_by_id(&self, id: &Id) -> Result<Option<Team>, StoreError> {
        let sql = format!("SELECT {TEAM_COLUMNS} FROM teams WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(&id.0)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(team_from_row).transpose()
    }

    /// Sets a team's plan, and each switch that is given (`None` leaves it as it is); returns the
    /// updated team. [`StoreError::NotFound`] (`"team"`) if no team has this slug.
    pub async fn set_team_plan(
        &self,
        slug: &str,
        plan: Plan,
        api_access: impl Into<Option<bool>>,
        scim_enabled: impl Into<Option<bool>>,
    ) -> Result<Team, StoreError> {
        // COALESCE keeps an absent switch in the same statement, so a concurrent change to it
        // is never overwritten with a value read earlier.
        let sql = format!(
            "UPDATE teams SET plan = $2, api_access = COALESCE($3, api_access), \
             scim_enabled = COALESCE($4, scim_enabled) WHERE slug = $1 RETURNING {TEAM_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(slug)
            .bind(plan.as_str())
            .bind(api_access.into().map(flag))
            .bind(scim_enabled.into().map(flag))
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => team_from_row(&row),
            None => Err(StoreError::NotFound {
                what: "team",
                key: slug.to_owned(),
            }),
        }
    }

    /// Every team, ordered by slug.
    pub async fn list_teams(&self) -> Result<Vec<Team>, StoreError> {
        let sql = format!("SELECT {TEAM_COLUMNS} FROM teams ORDER BY slug");
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        rows.iter().map(team_from_row).collect()
    }
}

/// Reads the [`TEAM_COLUMNS`] of a row.
pub(crate) fn team_from_row(row: &AnyRow) -> Result<Team, StoreError> {
    let plan: String = row.try_get("plan")?;
    Ok(Team {
        id: id_col(row, "id")?,
        slug: row.try_get("slug")?,
        plan: Plan::parse(&plan).ok_or_else(|| StoreError::Corrupt {
            what: "plan",
            detail: format!("{plan:?} is not one of \"free\", \"team\", \"custom\""),
        })?,
        api_access: flag_col(row, "api_access")?,
        scim_enabled: flag_col(row, "scim_enabled")?,
        created_at: time_col(row, "created_at")?,
    })
}
