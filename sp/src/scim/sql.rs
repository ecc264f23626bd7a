//! Filters translated to SQL over the resource tables, against a description of which
//! attribute lives in which column. Every attribute a filter may name is in the tables below and
//! is evaluated by the database: the equality on userName, externalId, emails.value and
//! displayName uses an index, so `userName eq` stays O(log n) at any team size. An attribute not
//! described here is an `invalidFilter` naming it, never a filter that matches everything.
//!
//! Values never enter the SQL text: each is a placeholder (`$2`, `$3`, …; `$1` is the team).

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::error::ScimError;
use super::filter::{AttrPath, CompareOp, Filter, Literal};
use crate::model::case_key;
use crate::store::{Backend, SqlValue, SqlWhere};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// The enterprise User extension (RFC 7643 §4.3): stored and returned, not filterable.
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// How a column compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Text compared exactly (`caseExact: true`: id, externalId, members.value).
    Exact,
    /// A `*_key` column holding [`case_key`] of the value (`caseExact: false`).
    Folded,
    /// An INTEGER 0/1 flag.
    Bool,
    /// BIGINT unix seconds, compared with RFC 3339 date-times.
    Time,
}

/// A single-valued attribute (or a sub-attribute of a multi-valued one) and its column.
struct Column {
    /// The attribute's path, as `attr` or `attr.sub`, compared case-insensitively.
    path: &'static str,
    column: &'static str,
    kind: Kind,
}

/// A multi-valued complex attribute kept in rows of its own.
struct Multi {
    attr: &'static str,
    /// `SELECT owner FROM table alias WHERE alias.team_id = $1`, to which conditions are added.
    select: &'static str,
    subs: &'static [Column],
    /// The sub-attribute meant when a filter names the attribute alone (RFC 7644 §3.4.2.2).
    default_sub: &'static str,
}

/// Where one resource type's filterable attributes are.
pub struct Resource {
    schema: &'static str,
    id_column: &'static str,
    columns: &'static [Column],
    multis: &'static [Multi],
}

pub static USERS: Resource = Resource {
    schema: USER_SCHEMA,
    id_column: "m.id",
    columns: &[
        Column {
            path: "id",
            column: "m.id",
            kind: Kind::Exact,
        },
        Column {
            path: "externalId",
            column: "m.external_id",
            kind: Kind::Exact,
        },
        Column {
            path: "userName",
            column: "m.user_name_key",
            kind: Kind::Folded,
        },
        Column {
            path: "displayName",
            column: "m.display_name_key",
            kind: Kind::Folded,
        },
        Column {
            path: "name.givenName",
            column: "m.given_name_key",
            kind: Kind::Folded,
        },
        Column {
            path: "name.familyName",
            column: "m.family_name_key",
            kind: Kind::Folded,
        },
        Column {
            path: "active",
            column: "m.active",
            kind: Kind::Bool,
        },
        Column {
            path: "meta.created",
            column: "m.created_at",
            kind: Kind::Time,
        },
        Column {
            path: "meta.lastModified",
            column: "m.updated_at",
            kind: Kind::Time,
        },
    ],
    multis: &[Multi {
        attr: "emails",
        select: "SELECT e.member_id FROM member_emails e WHERE e.team_id = $1",
        subs: &[
            Column {
                path: "value",
                column: "e.value_key",
                kind: Kind::Folded,
            },
            Column {
                path: "type",
                column: "e.type_key",
                kind: Kind::Folded,
            },
            Column {
                path: "primary",
                column: "e.is_primary",
                kind: Kind::Bool,
            },
        ],
        default_sub: "value",
    }],
};

pub static GROUPS: Resource = Resource {
    schema: GROUP_SCHEMA,
    id_column: "g.id",
    columns: &[
        Column {
            path: "id",
            column: "g.id",
            kind: Kind::Exact,
        },
        Column {
            path: "externalId",
            column: "g.external_id",
            kind: Kind::Exact,
        },
        Column {
            path: "displayName",
            column: "g.display_name_key",
            kind: Kind::Folded,
        },
        Column {
            path: "meta.created",
            column: "g.created_at",
            kind: Kind::Time,
        },
        Column {
            path: "meta.lastModified",
            column: "g.updated_at",
            kind: Kind::Time,
        },
    ],
    multis: &[Multi {
        attr: "members",
        select: "SELECT gm.group_id FROM scim_group_members gm WHERE gm.team_id = $1",
        subs: &[Column {
            path: "value",
            column: "gm.member_id",
            kind: Kind::Exact,
        }],
        default_sub: "value",
    }],
};

/// `filter` as a condition on `resource`'s table.
pub fn to_sql(
    filter: &Filter,
    resource: &'static Resource,
    backend: Backend,
) -> Result<SqlWhere, ScimError> {
    let mut out = Translator {
        resource,
        backend,
        binds: Vec::new(),
    };
    let clause = out.filter(filter, None)?;
    Ok(SqlWhere {
        clause,
        binds: out.binds,
    })
}

fn invalid(reason: String) -> ScimError {
    ScimError::UnsupportedFilter(reason)
}

struct Translator {
    resource: &'static Resource,
    backend: Backend,
    binds: Vec<SqlValue>,
}

impl Translator {
    fn bind(&mut self, value: SqlValue) -> String {
        self.binds.push(value);
        // $1 is the team.
        format!("${}", self.binds.len() + 1)
    }

    /// `within` is the multi-valued attribute whose elements a value path's filter talks about.
    fn filter(
        &mut self,
        filter: &Filter,
        within: Option<&'static Multi>,
    ) -> Result<String, ScimError> {
        Ok(match filter {
            Filter::And(a, b) => format!(
                "({} AND {})",
                self.filter(a, within)?,
                self.filter(b, within)?
            ),
            Filter::Or(a, b) => format!(
                "({} OR {})",
                self.filter(a, within)?,
                self.filter(b, within)?
            ),
            Filter::Not(a) => format!("(NOT {})", self.filter(a, within)?),
            Filter::ValuePath(path, inner) => {
                if within.is_some() {
                    return Err(invalid("value filters cannot be nested".into()));
                }
                let multi = self.multi(path)?;
                let condition = self.filter(inner, Some(multi))?;
                format!(
                    "{} IN ({} AND {condition})",
                    self.resource.id_column, multi.select
                )
            }
            Filter::Present(path) => self.leaf(path, within, &|_, column| {
                Ok(match column.kind {
                    Kind::Bool | Kind::Time => format!("{} IS NOT NULL", column.column),
                    Kind::Exact | Kind::Folded => {
                        format!("({0} IS NOT NULL AND {0} <> '')", column.column)
                    }
                })
            })?,
            Filter::Compare(path, op, literal) => self.leaf(path, within, &|t, column| {
                t.compare(path, column, *op, literal)
            })?,
        })
    }

    /// Resolves `path` to a column (relative to `within` inside a value path) and builds its
    /// condition; a path into a multi-valued attribute becomes an `IN` over its rows.
    fn leaf(
        &mut self,
        path: &AttrPath,
        within: Option<&'static Multi>,
        condition: &dyn Fn(&mut Self, &Column) -> Result<String, ScimError>,
    ) -> Result<String, ScimError> {
        self.check_uri(path)?;
        let dotted = match &path.sub {
            Some(sub) => format!("{}.{sub}", path.attr),
            None => path.attr.clone(),
        };
        if let Some(multi) = within {
            let column = find(multi.subs, &dotted).ok_or_else(|| {
                invalid(format!(
                    "{}.{dotted} is not a filterable sub-attribute of {} (use one of: {})",
                    multi.attr,
                    multi.attr,
                    names(multi.subs)
                ))
            })?;
            return condition(self, column);
        }
        if let Some(column) = find(self.resource.columns, &dotted) {
            return condition(self, column);
        }
        if let Some(multi) = self
            .resource
            .multis
            .iter()
            .find(|m| m.attr.eq_ignore_ascii_case(&path.attr))
        {
            let sub = path.sub.as_deref().unwrap_or(multi.default_sub);
            let column = find(multi.subs, sub).ok_or_else(|| {
                invalid(format!(
                    "{}.{sub} is not a filterable attribute (use one of: {})",
                    multi.attr,
                    names(multi.subs)
                ))
            })?;
            let inner = condition(self, column)?;
            return Ok(format!(
                "{} IN ({} AND {inner})",
                self.resource.id_column, multi.select
            ));
        }
        Err(invalid(format!(
            "{dotted} is not a filterable attribute (use one of: {}, {})",
            names(self.resource.columns),
            self.resource
                .multis
                .iter()
                .map(|m| m.attr)
                .collect::<Vec<_>>()
                .join(", ")
        )))
    }

    fn check_uri(&self, path: &AttrPath) -> Result<(), ScimError> {
        match &path.uri {
            Some(uri) if !uri.eq_ignore_ascii_case(self.resource.schema) => Err(invalid(format!(
                "schema {uri:?} is not supported here; use {} or no prefix",
                self.resource.schema
            ))),
            _ => Ok(()),
        }
    }

    fn multi(&self, path: &AttrPath) -> Result<&'static Multi, ScimError> {
        self.check_uri(path)?;
        self.resource
            .multis
            .iter()
            .find(|m| path.sub.is_none() && m.attr.eq_ignore_ascii_case(&path.attr))
            .ok_or_else(|| {
                invalid(format!(
                    "{path} is not a multi-valued attribute, so it takes no [filter]"
                ))
            })
    }

    fn compare(
        &mut self,
        path: &AttrPath,
        column: &Column,
        op: CompareOp,
        literal: &Literal,
    ) -> Result<String, ScimError> {
        let col = column.column;
        match column.kind {
            Kind::Bool => {
                let Literal::Bool(b) = literal else {
                    return Err(invalid(format!(
                        "{path} is a boolean: compare it with true or false"
                    )));
                };
                let v = i64::from(*b);
                match op {
                    CompareOp::Eq => Ok(format!("{col} = {v}")),
                    CompareOp::Ne => Ok(format!("{col} <> {v}")),
                    _ => Err(invalid(format!(
                        "{path} is a boolean: only eq and ne apply, not {}",
                        op.as_str()
                    ))),
                }
            }
            Kind::Time => {
                let Literal::Str(text) = literal else {
                    return Err(invalid(format!(
                        "{path} is a date-time: compare it with a quoted RFC 3339 value"
                    )));
                };
                let t = OffsetDateTime::parse(text, &Rfc3339).map_err(|e| {
                    invalid(format!("{path}: {text:?} is not an RFC 3339 date-time ({e}); e.g. \"2026-01-02T03:04:05Z\""))
                })?;
                // Stored times are whole seconds: a fractional bound rounds so that the
                // comparison means what it says of the stored second.
                let floor = t.unix_timestamp();
                let fractional = t.nanosecond() > 0;
                let ceil = floor + i64::from(fractional);
                Ok(match op {
                    CompareOp::Eq if fractional => "1 = 0".to_owned(),
                    CompareOp::Ne if fractional => "1 = 1".to_owned(),
                    CompareOp::Eq => format!("{col} = {floor}"),
                    CompareOp::Ne => format!("{col} <> {floor}"),
                    CompareOp::Gt => format!("{col} > {floor}"),
                    CompareOp::Ge => format!("{col} >= {ceil}"),
                    CompareOp::Lt => format!("{col} < {ceil}"),
                    CompareOp::Le => format!("{col} <= {floor}"),
                    CompareOp::Co | CompareOp::Sw | CompareOp::Ew => {
                        return Err(invalid(format!(
                            "{path} is a date-time: use eq ne gt ge lt le, not {}",
                            op.as_str()
                        )));
                    }
                })
            }
            Kind::Exact | Kind::Folded => {
                let Literal::Str(text) = literal else {
                    return Err(invalid(format!(
                        "{path} is a string: compare it with a quoted value"
                    )));
                };
                let value = if column.kind == Kind::Folded {
                    case_key(text)
                } else {
                    text.clone()
                };
                let chars = i64::try_from(value.chars().count()).unwrap_or(i64::MAX);
                let v = self.bind(SqlValue::Text(value));
                Ok(match op {
                    CompareOp::Eq => format!("{col} = {v}"),
                    // An absent value is not equal to anything.
                    CompareOp::Ne => format!("({col} IS NULL OR {col} <> {v})"),
                    CompareOp::Co => match self.backend {
                        Backend::Sqlite => format!("instr({col}, {v}) > 0"),
                        Backend::Postgres => format!("strpos({col}, {v}) > 0"),
                    },
                    CompareOp::Sw => {
                        let n = self.bind(SqlValue::Int(chars));
                        format!("substr({col}, 1, CAST({n} AS INTEGER)) = {v}")
                    }
                    CompareOp::Ew => {
                        let n = self.bind(SqlValue::Int(chars));
                        format!(
                            "(length({col}) >= {n} AND substr({col}, CAST(length({col}) - {n} + 1 AS INTEGER)) = {v})"
                        )
                    }
                    CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le => {
                        let sql_op = match op {
                            CompareOp::Gt => ">",
                            CompareOp::Ge => ">=",
                            CompareOp::Lt => "<",
                            _ => "<=",
                        };
                        // Code-point order on both backends (SQLite's BINARY collation is
                        // UTF-8 byte order, which is code-point order).
                        match self.backend {
                            Backend::Sqlite => format!("{col} {sql_op} {v}"),
                            Backend::Postgres => format!("{col} COLLATE \"C\" {sql_op} {v}"),
                        }
                    }
                })
            }
        }
    }
}

fn find<'c>(columns: &'c [Column], path: &str) -> Option<&'c Column> {
    columns.iter().find(|c| c.path.eq_ignore_ascii_case(path))
}

fn names(columns: &[Column]) -> String {
    columns
        .iter()
        .map(|c| c.path)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::filter::parse_filter;

    fn sql(filter: &str) -> Result<SqlWhere, ScimError> {
        to_sql(
            &parse_filter(filter).expect("parses"),
            &USERS,
            Backend::Sqlite,
        )
    }

    #[test]
    fn user_name_eq_uses_the_key_column_and_folds_the_value() {
        let w = sql(r#"USERNAME eq "Alice@Corp.com""#).expect("translates");
        assert_eq!(w.clause, "m.user_name_key = $2");
        assert_eq!(w.binds, vec![SqlValue::Text("alice@corp.com".into())]);
    }

    #[test]
    fn external_id_compares_exactly() {
        let w = sql(r#"externalId eq "00uABC""#).expect("translates");
        assert_eq!(w.binds, vec![SqlValue::Text("00uABC".into())]);
    }

    #[test]
    fn emails_go_through_their_rows() {
        let w = sql(r#"emails[type eq "work" and value co "@corp"]"#).expect("translates");
        assert_eq!(
            w.clause,
            "m.id IN (SELECT e.member_id FROM member_emails e WHERE e.team_id = $1 AND \
             (e.type_key = $2 AND instr(e.value_key, $3) > 0))"
        );
        let w = sql(r#"emails eq "A@b.c""#).expect("translates");
        assert!(w.clause.contains("e.value_key = $2"), "{}", w.clause);
    }

    #[test]
    fn unknown_attributes_are_invalid_filters_not_match_all() {
        let err = sql(r#"nickName eq "x""#).expect_err("unknown");
        assert_eq!(err.scim_type(), Some("invalidFilter"));
        assert!(err.to_string().contains("nickName"), "{err}");
        let err =
            sql(r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager eq "x""#)
                .expect_err("other schema");
        assert_eq!(err.scim_type(), Some("invalidFilter"));
        assert!(sql(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x""#).is_ok());
    }

    #[test]
    fn type_mismatches_are_invalid_filters() {
        for filter in [
            r#"active eq "yes""#,
            "userName eq 3",
            r#"meta.created gt "yesterday""#,
            "active gt true",
        ] {
            assert_eq!(
                sql(filter).expect_err(filter).code(),
                "unsupported_filter",
                "{filter}"
            );
        }
        assert!(sql(r#"meta.created gt "2026-01-01T00:00:00Z""#).is_ok());
    }
}
