//! `conformance`: the scenario catalogue against the in-process SP, a partner's SP, SCIM server or
//! captured response.

use clap::{Parser, Subcommand};
use conformance::inprocess::InProcess;
use conformance::runner::{self, Filter};
use conformance::{catalogue, result::RunReport};
use std::process::ExitCode;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Exit status when the run could not start or the input is unusable (distinct from 1,
/// "scenarios failed").
const EXIT_BAD_INPUT: u8 = 2;

#[derive(Parser)]
#[command(
    name = "conformance",
    version,
    about = "The ssolab SAML and SCIM scenario catalogue, its runner and reports"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the catalogue (or the scenarios --filter selects) against an in-process sp.
    Run(RunArgs),
    /// List the catalogue's scenarios: id, expected outcome, title.
    List(ListArgs),
}

#[derive(clap::Args)]
struct RunArgs {
    /// Comma-separated id prefixes or globs: `saml.xsw`, `saml.*.missing`, `scim.entra`.
    #[arg(long)]
    filter: Option<String>,
    /// The sp's database: a fresh temporary SQLite file by default, or a sqlite:// or
    /// postgres:// URL (its tables are created; use an empty database or schema).
    #[arg(long)]
    database: Option<String>,
    /// The scenarios' "now" (RFC 3339); default: the current time.
    #[arg(long, value_parser = parse_now)]
    now: Option<OffsetDateTime>,
}

#[derive(clap::Args)]
struct ListArgs {
    #[arg(long)]
    filter: Option<String>,
}

fn parse_now(text: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|e| format!("{e}: give an RFC 3339 instant such as 2026-11-28T12:00:00Z"))
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run(args).await,
        Command::List(args) => list(args),
    }
}

fn selected(filter: Option<&str>) -> Vec<conformance::scenario::Scenario> {
    let filter = Filter::parse(filter.unwrap_or(""));
    catalogue::all()
        .into_iter()
        .filter(|s| filter.selects(&s.id))
        .collect()
}

fn list(args: ListArgs) -> ExitCode {
    for scenario in selected(args.filter.as_deref()) {
        println!(
            "{}\t{}\t{}",
            scenario.id,
            scenario.expected(),
            scenario.title
        );
    }
    ExitCode::SUCCESS
}

async fn run(args: RunArgs) -> ExitCode {
    let scenarios = selected(args.filter.as_deref());
    if scenarios.is_empty() {
        eprintln!(
            "error: no_scenarios: --filter {:?} selects no scenario (see `conformance list`)",
            args.filter.unwrap_or_default()
        );
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    let now = args.now.unwrap_or_else(OffsetDateTime::now_utc);
    let sp = match InProcess::start(args.database.as_deref(), now).await {
        Ok(sp) => sp,
        Err(e) => {
            eprintln!("error: {}: {e}", e.code());
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    if let Err(e) = sp.prepare(&scenarios).await {
        eprintln!("error: {}: {e}", e.code());
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    let started = now.format(&Rfc3339).unwrap_or_default();
    let report: RunReport = runner::run(&sp, &scenarios, args.filter, started, &mut |_| {}).await;
    for s in &report.scenarios {
        println!(
            "{:<6} {:<60} {} | {}",
            s.outcome.as_str(),
            s.id,
            s.expected,
            s.got
        );
    }
    let summary = &report.summary;
    println!(
        "{} scenarios: {} passed, {} failed, {} errors in {} ms against {}",
        summary.total, summary.passed, summary.failed, summary.errors, summary.ms, summary.target
    );
    ExitCode::from(report.exit_code())
}
