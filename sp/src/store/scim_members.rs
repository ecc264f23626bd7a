//! Members as SCIM Users: emails, versions, filtered and paginated listing.
//!
//! Every update is guarded by the version read before it (`WHERE version = $read`), so an update
//! computed from a stale copy writes nothing and the caller re-reads: this is the write half of
//! the two-phase PATCH (apply to a copy, validate, then write once). A member and its email rows
//! are written in one transaction that starts with the write to `members`, so on SQLite the
//! transaction takes the write lock first (waiting on `busy_timeout`) instead of failing on a
//! read-to-write upgrade.

use sqlx::Row;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use time::OffsetDateTime;

use super::error::write_error;
use super::members::user_name_key;
use super::{Store, StoreError, flag, flag_col, id_col, opt_time_col, secs_floor, time_col};
use crate::model::{
    Email, EnterpriseUser, Id, Manager, Member, MemberFields, MemberOverview, MemberSource,
    ScimMember, case_key,
};

/// The columns [`scim_member_from_row`] reads (unqualified: RETURNING cannot name an alias).
const SCIM_COLUMNS: &str = "id, team_id, user_name, given_name, family_name, display_name, \
                            external_id, active, created_at, updated_at, emails, version, source, \
                            enterprise";

/// Binds a member's writable attributes in the order both the INSERT and the UPDATE name them:
/// userName and its key, the names, externalId, active, the time, emails, the names' case keys
/// (the columns filters compare), the enterprise extension.
fn bind_fields<'q>(
    query: Query<'q, sqlx::Any, AnyArguments<'q>>,
    fields: &'q MemberFields,
    key: String,
    now: OffsetDateTime,
) -> Query<'q, sqlx::Any, AnyArguments<'q>> {
    query
        .bind(&fields.user_name)
        .bind(key)
        .bind(fields.given_name.as_deref())
        .bind(fields.family_name.as_deref())
        .bind(fields.display_name.as_deref())
        .bind(fields.external_id.as_deref())
        .bind(flag(fields.active))
        .bind(secs_floor(now))
        .bind(emails_json(&fields.emails))
        .bind(fields.display_name.as_deref().map(case_key))
        .bind(fields.given_name.as_deref().map(case_key))
        .bind(fields.family_name.as_deref().map(case_key))
        .bind(enterprise_json(&fields.enterprise))
}

/// A value bound to a placeholder of a [`SqlWhere`].
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Text(String),
    Int(i64),
}

/// A condition on a resource table (alias `m` for members, `g` for groups) made by the SCIM
/// filter translator: SQL text with placeholders from `$2` on (`$1` is the team) and their
/// values in order. The text never contains a value, only placeholders.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SqlWhere {
    pub clause: String,
    pub binds: Vec<SqlValue>,
}

impl SqlWhere {
    /// The condition that holds for every row.
    pub fn all() -> SqlWhere {
        SqlWhere {
            clause: "1 = 1".to_owned(),
            binds: Vec::new(),
        }
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// How many rows match in all.
    pub total: u64,
    pub items: Vec<T>,
}

pub(crate) fn bind_all<'q>(
    mut query: Query<'q, sqlx::Any, AnyArguments<'q>>,
    binds: &'q [SqlValue],
) -> Query<'q, sqlx::Any, AnyArguments<'q>> {
    for value in binds {
        query = match value {
            SqlValue::Text(s) => query.bind(s.as_str()),
            SqlValue::Int(i) => query.bind(*i),
        };
    }
    query
}

impl Store {
    /// Creates a member from a SCIM client. [`StoreError::Conflict`] (`"member user_name"`) when
    /// the team has the userName already (by the identity rule);
    /// [`StoreError::InvalidIdentity`] when the rule refuses it.
    pub async fn create_scim_member(
        &self,
        team_id: &Id,
        fields: &MemberFields,
        now: OffsetDateTime,
    ) -> Result<ScimMember, StoreError> {
        let key = user_name_key(&fields.user_name)?;
        let id = Id::random();
        let mut tx = self.pool.begin().await?;
        let sql = format!(
            "INSERT INTO members (id, team_id, user_name, user_name_key, given_name, \
             family_name, display_name, external_id, active, created_at, updated_at, emails, \
             display_name_key, given_name_key, family_name_key, version, source, enterprise) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12, $13, $14, 1, 'scim', \
             $15) \
             RETURNING {SCIM_COLUMNS}"
        );
        let query = sqlx::query(&sql).bind(&id.0).bind(&team_id.0);
        let row = bind_fields(query, fields, key, now)
            .fetch_one(&mut *tx)
            .await
            .map_err(|err| {
                write_error(
                    err,
                    ("member user_name", &fields.user_name),
                    Some(("team", &team_id.0)),
                )
            })?;
        insert_emails(&mut tx, team_id, &id, &fields.emails).await?;
        tx.commit().await?;
        scim_member_from_row(&row)
    }

    /// The team's member with this id, as SCIM sees it.
    pub async fn scim_member(
        &self,
        team_id: &Id,
        id: &Id,
    ) -> Result<Option<ScimMember>, StoreError> {
        let sql =
            format!("SELECT {SCIM_COLUMNS} FROM members m WHERE m.team_id = $1 AND m.id = $2");
        let row = sqlx::query(&sql)
            .bind(&team_id.0)
            .bind(&id.0)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(scim_member_from_row).transpose()
    }

    /// Replaces the member's writable attributes if its version is still `expected_version`;
    /// `None` when it is not (changed since it was read) or the member is gone, so the caller
    /// re-reads. [`StoreError::Conflict`] when the new userName is another member's. An
    /// inactive member's sessions are deleted in the same transaction.
    pub async fn update_scim_member(
        &self,
        team_id: &Id,
        id: &Id,
        expected_version: i64,
        fields: &MemberFields,
        now: OffsetDateTime,
    ) -> Result<Option<ScimMember>, StoreError> {
        let key = user_name_key(&fields.user_name)?;
        let mut tx = self.pool.begin().await?;
        let sql = format!(
            "UPDATE members SET user_name = $4, user_name_key = $5, given_name = $6, \
             family_name = $7, display_name = $8, external_id = $9, active = $10, \
             updated_at = $11, emails = $12, display_name_key = $13, given_name_key = $14, \
             family_name_key = $15, enterprise = $16, version = version + 1 \
             WHERE team_id = $1 AND id = $2 AND version = $3 RETURNING {SCIM_COLUMNS}"
        );
        let query = sqlx::query(&sql)
            .bind(&team_id.0)
            .bind(&id.0)
            .bind(expected_version);
        let row = bind_fields(query, fields, key, now)
            .fetch_optional(&mut *tx)
            .await
            .map_err(|err| write_error(err, ("member user_name", &fields.user_name), None))?;
        let Some(row) = row else {
            return Ok(None);
        };
        sqlx::query("DELETE FROM member_emails WHERE member_id = $1")
            .bind(&id.0)
            .execute(&mut *tx)
            .await?;
        insert_emails(&mut tx, team_id, id, &fields.emails).await?;
        if !fields.active {
            // Sessions are not re-checked against the member on each request, so a deactivated
            // member's open sessions end here, with the deactivation, or not at all.
            sqlx::query("DELETE FROM sessions WHERE member_id = $1 AND team_id = $2")
                .bind(&id.0)
                .bind(&team_id.0)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        scim_member_from_row(&row).map(Some)
    }

    /// Deletes the team's member with this id (its sessions and group memberships go with it),
    /// only if its version is still `version` when one is given (`If-Match`); false if no row
    /// was deleted.
    pub async fn delete_member(
        &self,
        team_id: &Id,
        id: &Id,
        version: Option<i64>,
    ) -> Result<bool, StoreError> {
        delete_versioned(&self.pool, "members", team_id, id, version).await
    }

    /// The team's members matching `filter` (alias `m`), ordered by id (stable, so paging visits
    /// each member once), `count` of them from the `offset`-th (0-based).
    ///
    /// A page that is not full and not past the end tells the total by itself (`offset` plus
    /// its rows), so Okta's `userName eq` lookup is one statement; only a full page, or an
    /// empty one past the start, asks for the count (an index-only `COUNT(*)`). A window count
    /// on the page query would instead materialise every matching row on each page.
    pub async fn list_scim_members(
        &self,
        team_id: &Id,
        filter: &SqlWhere,
        offset: u64,
        count: u64,
    ) -> Result<Page<ScimMember>, StoreError> {
        let from = format!(
            "FROM members m WHERE m.team_id = $1 AND ({})",
            filter.clause
        );
        let rows = if count == 0 {
            Vec::new()
        } else {
            let sql =
                format!("SELECT {SCIM_COLUMNS} {from} ORDER BY m.id LIMIT {count} OFFSET {offset}");
            bind_all(sqlx::query(&sql).bind(&team_id.0), &filter.binds)
                .fetch_all(&self.pool)
                .await?
        };
        let returned = u64::try_from(rows.len()).unwrap_or(u64::MAX);
        let total = if returned < count && (returned > 0 || offset == 0) {
            offset + returned
        } else {
            let sql = format!("SELECT COUNT(*) AS n {from}");
            let n: i64 = bind_all(sqlx::query(&sql).bind(&team_id.0), &filter.binds)
                .fetch_one(&self.pool)
                .await?
                .try_get("n")?;
            u64::try_from(n).unwrap_or(0)
        };
        let items = rows
            .iter()
            .map(scim_member_from_row)
            .collect::<Result<_, _>>()?;
        Ok(Page { total, items })
    }

    /// Every member of the team for the operator, ordered by userName key.
    pub async fn member_overview(&self, team_id: &Id) -> Result<Vec<MemberOverview>, StoreError> {
        let rows = sqlx::query(
            "SELECT m.id, m.user_name, m.active, m.source, \
             (SELECT MAX(s.created_at) FROM sessions s WHERE s.member_id = m.id) AS last_login \
             FROM members m WHERE m.team_id = $1 ORDER BY m.user_name_key",
        )
        .bind(&team_id.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(MemberOverview {
                    id: id_col(row, "id")?,
                    user_name: row.try_get("user_name")?,
                    active: flag_col(row, "active")?,
                    source: source_col(row)?,
                    last_login: opt_time_col(row, "last_login")?,
                })
            })
            .collect()
    }
}

async fn insert_emails(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    team_id: &Id,
    member_id: &Id,
    emails: &[Email],
) -> Result<(), StoreError> {
    for (position, email) in emails.iter().enumerate() {
        sqlx::query(
            "INSERT INTO member_emails (team_id, member_id, position, value_key, type_key, \
             is_primary) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&team_id.0)
        .bind(&member_id.0)
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .bind(case_key(&email.value))
        .bind(email.kind.as_deref().map(case_key))
        .bind(flag(email.primary))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// The stored form of `members.emails`: a JSON array of SCIM email objects.
fn emails_json(emails: &[Email]) -> Option<String> {
    if emails.is_empty() {
        return None;
    }
    let array: Vec<serde_json::Value> = emails
        .iter()
        .map(|e| {
            let mut object = serde_json::Map::new();
            object.insert("value".into(), e.value.clone().into());
            if let Some(kind) = &e.kind {
                object.insert("type".into(), kind.clone().into());
            }
            object.insert("primary".into(), e.primary.into());
            serde_json::Value::Object(object)
        })
        .collect();
    Some(serde_json::Value::Array(array).to_string())
}

fn emails_from_json(text: Option<&str>) -> Result<Vec<Email>, StoreError> {
    let Some(text) = text else {
        return Ok(Vec::new());
    };
    let corrupt = |detail: String| StoreError::Corrupt {
        what: "members.emails",
        detail,
    };
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| corrupt(format!("not JSON: {e}")))?;
    let array = value
        .as_array()
        .ok_or_else(|| corrupt("not a JSON array".into()))?;
    array
        .iter()
        .map(|item| {
            let value = item
                .get("value")
                .and_then(|v| v.as_str())
                .ok_or_else(|| corrupt("an email without a string \"value\"".into()))?;
            Ok(Email {
                value: value.to_owned(),
                kind: item.get("type").and_then(|v| v.as_str()).map(str::to_owned),
                primary: item
                    .get("primary")
                    .and_then(serde_json::Value::as_bool)
                    .unwrap_or(false),
            })
        })
        .collect()
}

/// The stored form of `members.enterprise`: the extension's SCIM object, NULL when empty.
fn enterprise_json(enterprise: &EnterpriseUser) -> Option<String> {
    enterprise.to_scim_json().map(|v| v.to_string())
}

fn enterprise_from_json(text: Option<&str>) -> Result<EnterpriseUser, StoreError> {
    let Some(text) = text else {
        return Ok(EnterpriseUser::default());
    };
    let corrupt = |detail: String| StoreError::Corrupt {
        what: "members.enterprise",
        detail,
    };
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| corrupt(format!("not JSON: {e}")))?;
    let object = value
        .as_object()
        .ok_or_else(|| corrupt("not a JSON object".into()))?;
    let string =
        |object: &serde_json::Map<String, serde_json::Value>, key: &str| match object.get(key) {
            None => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(corrupt(format!("{key} is {other}, not a string"))),
        };
    let manager = match object.get("manager") {
        None => None,
        Some(serde_json::Value::Object(m)) => Some(Manager {
            value: string(m, "value")?,
            reference: string(m, "$ref")?,
            display_name: string(m, "displayName")?,
        }),
        Some(other) => return Err(corrupt(format!("manager is {other}, not an object"))),
    };
    Ok(EnterpriseUser {
        employee_number: string(object, "employeeNumber")?,
        cost_center: string(object, "costCenter")?,
        organization: string(object, "organization")?,
        division: string(object, "division")?,
        department: string(object, "department")?,
        manager,
    })
}

fn source_col(row: &AnyRow) -> Result<MemberSource, StoreError> {
    let source: String = row.try_get("source")?;
    MemberSource::parse(&source).ok_or_else(|| StoreError::Corrupt {
        what: "members.source",
        detail: format!("{source:?} is not \"jit\" or \"scim\""),
    })
}

fn scim_member_from_row(row: &AnyRow) -> Result<ScimMember, StoreError> {
    let emails: Option<String> = row.try_get("emails")?;
    let enterprise: Option<String> = row.try_get("enterprise")?;
    Ok(ScimMember {
        member: Member {
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
        },
        emails: emails_from_json(emails.as_deref())?,
        enterprise: enterprise_from_json(enterprise.as_deref())?,
        version: row.try_get("version")?,
        source: source_col(row)?,
    })
}

/// Deletes a row of a versioned SCIM table (`members`, `scim_groups`), guarded by its version
/// when one is given.
pub(crate) async fn delete_versioned(
    pool: &sqlx::AnyPool,
    table: &'static str,
    team_id: &Id,
    id: &Id,
    version: Option<i64>,
) -> Result<bool, StoreError> {
    let sql = match version {
        Some(_) => format!("DELETE FROM {table} WHERE team_id = $1 AND id = $2 AND version = $3"),
        None => format!("DELETE FROM {table} WHERE team_id = $1 AND id = $2"),
    };
    let mut query = sqlx::query(&sql).bind(&team_id.0).bind(&id.0);
    if let Some(version) = version {
        query = query.bind(version);
    }
    Ok(query.execute(pool).await?.rows_affected() > 0)
}
