//! The PostgreSQL half of a test: a schema of its own on `DATABASE_URL`, dropped afterwards.
//! Without `DATABASE_URL` the half is skipped with a notice, except under `CI`, where it must run.

use std::future::Future;

/// Runs `test` with a database URL whose search path is a fresh schema named after `prefix`;
/// the schema is dropped whatever the outcome, and a failure of `test` is re-raised.
pub async fn in_fresh_schema<F, Fut>(prefix: &str, test: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Ok(base) = std::env::var("DATABASE_URL") else {
        let ci = std::env::var("CI").unwrap_or_default();
        assert!(
            ci.is_empty() || ci == "false" || ci == "0",
            "CI is set but DATABASE_URL is not: the PostgreSQL half must run in CI"
        );
        eprintln!("notice: DATABASE_URL is not set; the PostgreSQL half is skipped");
        return;
    };
    let schema = format!("{prefix}_{}", sp::model::Id::random());
    let admin = sqlx::PgPool::connect(&base).await.expect("DATABASE_URL");
    sqlx::raw_sql(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .expect("create schema");
    let mut url = url::Url::parse(&base).expect("DATABASE_URL is a URL");
    url.query_pairs_mut()
        .append_pair("options[search_path]", &schema);
    let outcome = tokio::spawn(test(url.to_string())).await;
    sqlx::raw_sql(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&admin)
        .await
        .expect("drop schema");
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic.into_panic());
    }
}
