//! `conformance`: the scenario catalogue against the in-process SP, a partner's SP, SCIM server or
//! captured response.

use clap::{Parser, Subcommand};
use conformance::catalogue;
use conformance::explain::{self, ExplainArgs};
use conformance::inprocess::InProcess;
use conformance::lab::{self, Lab, LabOptions};
use conformance::report::{self, Format, Progress};
use conformance::result::RunReport;
use conformance::runner::{self, Filter};
use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
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
    about = "The ssolab SAML and SCIM scenario catalogue, its runner and reports, and a lab on localhost"
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
    /// Explain a captured IdP response offline: every check of the SP's pipeline with its
    /// verdict, expected and got, and the fix. Exit 0 accepted, 1 refused, 2 bad input.
    Explain(ExplainArgs),
    /// Start the SP and the mock IdP on 127.0.0.1 with team acme set up against the mock's
    /// metadata URL, print their URLs and commands to try, and run until Ctrl-C.
    Lab(LabArgs),
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
    #[command(flatten)]
    output: OutputArgs,
}

/// Where the report goes and in which form.
#[derive(clap::Args)]
struct OutputArgs {
    /// text (a table and a summary), json (the documented schema, docs/REPORT-JSON.md), junit
    /// (one testcase per scenario) or html (a self-contained page).
    #[arg(long, default_value = "text", value_parser = |s: &str| Format::parse(s).map_err(|e| e.to_string()))]
    format: Format,
    /// Write the report to this file instead of standard output (the summary line still goes to
    /// standard error).
    #[arg(long)]
    out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

impl OutputArgs {
    fn progress(&self) -> Progress {
        if self.quiet {
            Progress::hidden()
        } else {
            Progress::stderr()
        }
    }

    /// Writes `report` where asked; a file that cannot be written is a bad-input exit, with the
    /// report's summary still shown.
    fn emit(&self, report: &RunReport) -> ExitCode {
        let Some(path) = &self.out else {
            let text = match self.format {
                Format::Text => report::text::render(report, std::io::stdout().is_terminal()),
                other => report::render(report, other),
            };
            print!("{text}");
            return ExitCode::from(report.exit_code());
        };
        let summary = report::summary_line(&report.summary);
        if let Err(e) = std::fs::write(path, report::render(report, self.format)) {
            eprintln!("{summary}");
            eprintln!(
                "error: out_unwritable: --out {}: {e} (give a path in a directory that exists and is writable)",
                path.display()
            );
            return ExitCode::from(EXIT_BAD_INPUT);
        }
        eprintln!("{summary}");
        eprintln!(
            "{} report written to {}",
            self.format.name(),
            path.display()
        );
        ExitCode::from(report.exit_code())
    }
}

#[derive(clap::Args)]
struct ListArgs {
    #[arg(long)]
    filter: Option<String>,
}

#[derive(clap::Args)]
struct LabArgs {
    /// The SP's address (loopback only; port 0: any free port).
    #[arg(long, value_name = "ADDR", default_value = lab::DEFAULT_SP_LISTEN)]
    listen: SocketAddr,
    /// The mock IdP's address (loopback only; port 0: any free port).
    #[arg(long, value_name = "ADDR", default_value = lab::DEFAULT_IDP_LISTEN)]
    idp_listen: SocketAddr,
    /// The SP's database: sqlite://FILE or postgres://…; default: a temporary SQLite file,
    /// removed when the lab stops.
    #[arg(long, value_name = "URL")]
    database: Option<String>,
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
        Command::Explain(args) => explain_response(&args).await,
        Command::Lab(args) => run_lab(args).await,
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
    let progress = args.output.progress();
    progress.start(scenarios.len());
    let report = runner::run(&sp, &scenarios, args.filter, started, &mut |result| {
        progress.finished(result)
    })
    .await;
    progress.finish();
    args.output.emit(&report)
}

/// The lab's servers log what a person wants to see (each refusal and diagnosis with its code),
/// so the lab, unlike `run`, shows the log on standard error.
async fn run_lab(args: LabArgs) -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let options = LabOptions {
        sp_listen: args.listen,
        idp_listen: args.idp_listen,
        database: args.database,
    };
    let lab = match Lab::start(options).await {
        Ok(lab) => lab,
        Err(e) => {
            eprintln!("error: {}: {e}", e.code());
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    println!("{}", lab.instructions());
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("conformance lab: cannot wait for Ctrl-C ({e}); stopping");
    }
    match lab.shutdown().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}: {e}", e.code());
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}

async fn explain_response(args: &ExplainArgs) -> ExitCode {
    match explain::explain(args).await {
        Ok(report) => {
            let mut out = std::io::stdout().lock();
            match report
                .write(args.format, &mut out)
                .and_then(|()| out.flush())
            {
                // The reader went away (`| head`): nothing to tell it.
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    eprintln!("error: output_failed: writing the report failed: {e}");
                    ExitCode::from(EXIT_BAD_INPUT)
                }
                _ => ExitCode::from(report.verdict.exit_code()),
            }
        }
        Err(e) => {
            eprintln!("error: {}: {e}", e.code());
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}
