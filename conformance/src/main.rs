//! `conformance`: the scenario catalogue against the in-process SP, a partner's SP, SCIM server or
//! captured response.

use clap::{Parser, Subcommand};
use conformance::catalogue;
use conformance::explain::{self, ExplainArgs};
use conformance::external::login_rule::LoginRule;
use conformance::external::saml::{self, ExternalSp};
use conformance::external::scim::{self, ExternalScim};
use conformance::external::{ExternalError, NotRun};
use conformance::inprocess::InProcess;
use conformance::lab::{self, Lab, LabOptions};
use conformance::report::{self, Format, Progress};
use conformance::result::{Outcome, RunReport};
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
    /// Run the SAML scenarios that need one IdP configured against a partner's SP (see `saml
    /// metadata` for that IdP). Exit 0: all passed; 1: some failed; 2: bad input, the ACS
    /// unreachable, or scenarios that could not be carried out.
    Saml(SamlArgs),
    /// Run the SCIM scenarios (mock-okta's sequences) against a partner's SCIM server. Exit 0:
    /// all passed; 1: some failed; 2: bad input, the server unreachable, the token refused, or
    /// scenarios that could not be carried out.
    Scim(ScimArgs),
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
#[command(subcommand_negates_reqs = true, args_conflicts_with_subcommands = true)]
struct SamlArgs {
    #[command(subcommand)]
    command: Option<SamlCommand>,
    /// The partner SP's ACS URL: where responses are posted, and their Destination and
    /// Recipient.
    #[arg(long, required = true)]
    acs: Option<String>,
    /// The partner SP's entity ID: the responses' Audience.
    #[arg(long, required = true)]
    entity_id: Option<String>,
    /// When the SP has logged the browser in; repeat to require several conditions (all must
    /// hold, the status, cookie and redirect-to ones on the same response): status=303 (or
    /// status=302,303), cookie=NAME (or cookie=*), redirect-to=/path (or a URL prefix),
    /// body-contains=TEXT. Default: status=302,303 cookie=*. Any other answer is a refusal.
    #[arg(long = "logged-in", value_name = "KEY=VALUE")]
    logged_in: Vec<String>,
    /// Comma-separated id prefixes or globs: `saml.xsw`, `saml.preset`.
    #[arg(long)]
    filter: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Subcommand)]
enum SamlCommand {
    /// Print the mock IdP's metadata (stdout) and the settings to enter at your SP (stderr).
    Metadata,
}

#[derive(clap::Args)]
struct ScimArgs {
    /// The SCIM root that /Users hangs from, e.g. https://example.com/scim/v2.
    #[arg(long)]
    base_url: String,
    /// The API token the SCIM server issued (sent as `Authorization: Bearer`).
    #[arg(long, env = "SSOLAB_SCIM_TOKEN", hide_env_values = true)]
    token: String,
    /// Which client to play: okta, okta-aiw, entra or all.
    #[arg(long, default_value = "all")]
    profile: String,
    /// Comma-separated id prefixes or globs: `scim.okta.push`, `scim.*.deactivate`.
    #[arg(long)]
    filter: Option<String>,
    #[command(flatten)]
    output: OutputArgs,
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
        for line in report::not_run_lines(&report.summary) {
            eprintln!("{line}");
        }
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
        Command::Saml(args) => saml(args).await,
        Command::Scim(args) => scim(args).await,
        Command::List(args) => list(args),
        Command::Explain(args) => explain_response(&args).await,
        Command::Lab(args) => run_lab(args).await,
    }
}

fn selected(filter: Option<&str>) -> Vec<conformance::scenario::Scenario> {
    selected_in("", filter)
}

/// The scenarios of one protocol (`saml.` or `scim.`) that `filter` selects: a partner's SP is
/// never offered the SCIM scenarios, nor a SCIM server the SAML ones.
fn selected_in(prefix: &str, filter: Option<&str>) -> Vec<conformance::scenario::Scenario> {
    let filter = Filter::parse(filter.unwrap_or(""));
    catalogue::all()
        .into_iter()
        .filter(|s| s.id.starts_with(prefix) && filter.selects(&s.id))
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

/// One line on stderr, exit 2: the run could not start or the input is unusable.
fn bad_input(code: &str, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {code}: {message}");
    ExitCode::from(EXIT_BAD_INPUT)
}

fn started_now() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

async fn saml(args: SamlArgs) -> ExitCode {
    if let Some(SamlCommand::Metadata) = args.command {
        return match saml::idp_metadata().and_then(|xml| Ok((xml, saml::settings()?))) {
            Ok((xml, settings)) => {
                eprintln!("{settings}");
                print!("{xml}");
                ExitCode::SUCCESS
            }
            Err(e) => bad_input(e.code(), e),
        };
    }
    let rule = match LoginRule::parse(&args.logged_in) {
        Ok(rule) => rule,
        Err(e) => return bad_input(e.code(), e),
    };
    let (scenarios, not_run) = saml::portable(selected_in("saml.", args.filter.as_deref()));
    let sp = match ExternalSp::new(
        args.acs.as_deref().unwrap_or_default(),
        args.entity_id.as_deref().unwrap_or_default(),
        rule,
    ) {
        Ok(sp) => sp,
        Err(e) => return bad_input(e.code(), e),
    };
    if scenarios.is_empty() {
        return no_scenarios(args.filter, &not_run);
    }
    eprintln!(
        "mock IdP: issuer {}, signing with its current RSA key (`conformance saml metadata` prints its metadata and the settings to enter)",
        saml::idp_issuer()
    );
    let started = started_now();
    if let Err(e) = sp.preflight().await {
        return not_started(&sp, e, args.filter, started, &not_run, &args.output);
    }
    let progress = args.output.progress();
    progress.start(scenarios.len());
    let report = runner::run(&sp, &scenarios, args.filter, started, &mut |result| {
        progress.finished(result)
    })
    .await
    .with_not_run(not_run.counts());
    progress.finish();
    conclude(&report, &args.output)
}

async fn scim(args: ScimArgs) -> ExitCode {
    let profiles = match scim::profiles(&args.profile) {
        Ok(profiles) => profiles,
        Err(e) => return bad_input(e.code(), e),
    };
    let server = match ExternalScim::new(&args.base_url, &args.token) {
        Ok(server) => server,
        Err(e) => return bad_input(e.code(), e),
    };
    let (scenarios, not_run) =
        scim::applicable(selected_in("scim.", args.filter.as_deref()), &profiles);
    if scenarios.is_empty() {
        return no_scenarios(args.filter, &not_run);
    }
    let started = started_now();
    if let Err(e) = server.preflight().await {
        return not_started(&server, e, args.filter, started, &not_run, &args.output);
    }
    let progress = args.output.progress();
    progress.start(scenarios.len());
    let report = runner::run(&server, &scenarios, args.filter, started, &mut |result| {
        progress.finished(result)
    })
    .await
    .with_not_run(not_run.counts());
    progress.finish();
    conclude(&report, &args.output)
}

fn no_scenarios(filter: Option<String>, not_run: &NotRun) -> ExitCode {
    for line in not_run.lines() {
        eprintln!("{line}");
    }
    bad_input(
        "no_scenarios",
        format!(
            "--filter {:?} selects no scenario this target can run (see `conformance list`)",
            filter.unwrap_or_default()
        ),
    )
}

/// The target failed its first request: the (empty) report of what ran, then the one line that
/// says why nothing did.
fn not_started(
    target: &impl runner::Target,
    error: ExternalError,
    filter: Option<String>,
    started: String,
    not_run: &NotRun,
    output: &OutputArgs,
) -> ExitCode {
    let report = RunReport::new(target.description(), filter, started, 0, Vec::new())
        .with_not_run(not_run.counts());
    let written = output.emit(&report);
    if written == ExitCode::from(EXIT_BAD_INPUT) {
        return written;
    }
    bad_input(error.code(), error)
}

/// Writes the report and says what was not run. A scenario that could not be carried out (the
/// target went away, a response would not build) makes the run one that could not complete:
/// exit 2, as for a target unreachable from the start, not 1, "the target got it wrong".
fn conclude(report: &RunReport, output: &OutputArgs) -> ExitCode {
    let written = output.emit(report);
    if written == ExitCode::from(EXIT_BAD_INPUT) {
        return written;
    }
    let mut errors = report
        .scenarios
        .iter()
        .filter(|s| s.outcome == Outcome::Error);
    if let Some(first) = errors.next() {
        return bad_input(
            "scenarios_not_run",
            format!(
                "{} of {} scenarios could not be carried out (first: {}: {}); the report shows what did run",
                errors.count() + 1,
                report.summary.total,
                first.id,
                first.got
            ),
        );
    }
    written
}
