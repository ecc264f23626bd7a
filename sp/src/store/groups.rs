//! SCIM Groups of a team and their members.
//!
//! displayName is unique per team by its case key (a constraint); members are kept inside the
//! group's team by composite foreign keys, so a member id of another team is refused by the
//! database ([`StoreError::NotFound`] `"group member"`), never joined. Updates are guarded by the
//! version read before them, as for members.

use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use super::error::write_error;
use super::scim_members::{Page, SqlWhere, bind_all, delete_versioned};
use super::{Store, StoreError, id_col, secs_floor, time_col};
use crate::model::{Group, GroupFields, GroupMember, Id, case_key};

const GROUP_COLUMNS: &str =
    "id, team_id, display_name, external_id, version, created_at, updated_at";

impl Store {
    /// Creates a group. [`StoreError::Conflict`] (`"group displayName"`) when the team has a
    /// group of that name; [`StoreError::NotFound`] (`"group member"`) when a member id is not a
    /// member of the team.
    pub async fn create_group(
        &self,
        team_id: &Id,
        fields: &GroupFields,
        now: OffsetDateTime,
    ) -> Result<Group, StoreError> {
        let id = Id::random();
        let mut tx = self.pool.begin().await?;
        let sql = format!(
            "INSERT INTO scim_groups (id, team_id, display_name, display_name_key, external_id, \
             version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $6) \
             RETURNING {GROUP_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(&id.0)
            .bind(&team_id.0)
            .bind(&fields.display_name)
            .bind(case_key(&fields.display_name))
            .bind(fields.external_id.as_deref())
            .bind(secs_floor(now))
            .fetch_one(&mut *tx)
            .await
            .map_err(|err| {
                write_error(
                    err,
                    ("group displayName", &fields.display_name),
                    Some(("team", &team_id.0)),
                )
            })?;
        insert_group_members(&mut tx, team_id, &id, &fields.members).await?;
        let members = group_members(&mut tx, &id).await?;
        tx.commit().await?;
        group_from_row(&row, members)
    }

    /// The team's group with this id, with its members.
    pub async fn group(&self, team_id: &Id, id: &Id) -> Result<Option<Group>, StoreError> {
        let sql = format!("SELECT {GROUP_COLUMNS} FROM scim_groups WHERE team_id = $1 AND id = $2");
        let mut conn = self.pool.acquire().await?;
        let row = sqlx::query(&sql)
            .bind(&team_id.0)
            .bind(&id.0)
            .fetch_optional(&mut *conn)
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let members = group_members(&mut conn, id).await?;
        group_from_row(&row, members).map(Some)
    }

    /// Replaces the group's attributes and members if its version is still `expected_version`;
    /// `None` when it is not, or the group is gone.
    pub async fn update_group(
        &self,
        team_id: &Id,
        id: &Id,
        expected_version: i64,
        fields: &GroupFields,
        now: OffsetDateTime,
    ) -> Result<Option<Group>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let sql = format!(
            "UPDATE scim_groups SET display_name = $4, display_name_key = $5, external_id = $6, \
             updated_at = $7, version = version + 1 \
             WHERE team_id = $1 AND id = $2 AND version = $3 RETURNING {GROUP_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(&team_id.0)
            .bind(&id.0)
            .bind(expected_version)
            .bind(&fields.display_name)
            .bind(case_key(&fields.display_name))
            .bind(fields.external_id.as_deref())
            .bind(secs_floor(now))
            .fetch_optional(&mut *tx)
            .await
            .map_err(|err| write_error(err, ("group displayName", &fields.display_name), None))?;
        let Some(row) = row else {
            return Ok(None);
        };
        sqlx::query("DELETE FROM scim_group_members WHERE group_id = $1")
            .bind(&id.0)
            .execute(&mut *tx)
            .await?;
        insert_group_members(&mut tx, team_id, id, &fields.members).await?;
        let members = group_members(&mut tx, id).await?;
        tx.commit().await?;
        group_from_row(&row, members).map(Some)
    }

    /// Deletes the team's group with this id, only if its version is still `version` when one
    /// is given (`If-Match`); false if no row was deleted.
    pub async fn delete_group(
        &self,
        team_id: &Id,
        id: &Id,
        version: Option<i64>,
    ) -> Result<bool, StoreError> {
        delete_versioned(&self.pool, "scim_groups", team_id, id, version).await
    }

    /// The team's groups matching `filter` (alias `g`), ordered by id; with their members unless
    /// `with_members` is false (`excludedAttributes=members`, which Entra sends to keep large
    /// groups cheap).
    pub async fn list_groups(
        &self,
        team_id: &Id,
        filter: &SqlWhere,
        offset: u64,
        count: u64,
        with_members: bool,
    ) -> Result<Page<Group>, StoreError> {
        let count_sql = format!(
            "SELECT COUNT(*) AS n FROM scim_groups g WHERE g.team_id = $1 AND ({})",
            filter.clause
        );
        let mut conn = self.pool.acquire().await?;
        let total: i64 = bind_all(sqlx::query(&count_sql).bind(&team_id.0), &filter.binds)
            .fetch_one(&mut *conn)
            .await?
            .try_get("n")?;
        let total = u64::try_from(total).unwrap_or(0);
        if count == 0 || offset >= total {
            return Ok(Page {
                total,
                items: Vec::new(),
            });
        }
        let sql = format!(
            "SELECT {GROUP_COLUMNS} FROM scim_groups g WHERE g.team_id = $1 AND ({}) \
             ORDER BY g.id LIMIT {count} OFFSET {offset}",
            filter.clause
        );
        let rows = bind_all(sqlx::query(&sql).bind(&team_id.0), &filter.binds)
            .fetch_all(&mut *conn)
            .await?;
        let mut items = Vec::with_capacity(rows.len());
        for row in &rows {
            let members = if with_members {
                group_members(&mut conn, &id_col(row, "id")?).await?
            } else {
                Vec::new()
            };
            items.push(group_from_row(row, members)?);
        }
        Ok(Page { total, items })
    }
}

async fn insert_group_members(
    conn: &mut sqlx::AnyConnection,
    team_id: &Id,
    group_id: &Id,
    members: &[Id],
) -> Result<(), StoreError> {
    for member in members {
        sqlx::query(
            "INSERT INTO scim_group_members (group_id, team_id, member_id) VALUES ($1, $2, $3)",
        )
        .bind(&group_id.0)
        .bind(&team_id.0)
        .bind(&member.0)
        .execute(&mut *conn)
        .await
        .map_err(|err| {
            write_error(
                err,
                ("group member", &member.0),
                Some(("group member", &member.0)),
            )
        })?;
    }
    Ok(())
}

async fn group_members(
    conn: &mut sqlx::AnyConnection,
    group_id: &Id,
) -> Result<Vec<GroupMember>, StoreError> {
    let rows = sqlx::query(
        "SELECT m.id, COALESCE(m.display_name, m.user_name) AS display \
         FROM scim_group_members gm JOIN members m ON m.id = gm.member_id \
         WHERE gm.group_id = $1 ORDER BY m.id",
    )
    .bind(&group_id.0)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(GroupMember {
                id: id_col(row, "id")?,
                display: row.try_get("display")?,
            })
        })
        .collect()
}

fn group_from_row(row: &AnyRow, members: Vec<GroupMember>) -> Result<Group, StoreError> {
    Ok(Group {
        id: id_col(row, "id")?,
        team_id: id_col(row, "team_id")?,
        display_name: row.try_get("display_name")?,
        external_id: row.try_get("external_id")?,
        members,
        version: row.try_get("version")?,
        created_at: time_col(row, "created_at")?,
        updated_at: time_col(row, "updated_at")?,
    })
}
