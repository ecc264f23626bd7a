//! `mock-okta`: run Okta's SCIM sequences against a server. Exit 0 when every step passed, 1
//! when a step failed, 2 when the run could not happen (bad arguments, server unreachable,
//! output not writable).

use clap::{Parser, Subcommand, ValueEnum};
use mock_okta::{AuthMode, Profile, Render, RunConfig, Sequence, report};
use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "mock-okta",
    version,
    about = "Okta's SCIM provisioning client, simulated"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run sequences against a SCIM server.
    Run(RunArgs),
    /// List the sequences.
    Sequences,
}

#[derive(clap::Args)]
struct RunArgs {
    /// The SCIM base URL, e.g. http://127.0.0.1:8080/scim/v2.
    #[arg(long)]
    base_url: String,
    /// The API token (also read from MOCK_OKTA_TOKEN).
    #[arg(long, env = "MOCK_OKTA_TOKEN", hide_env_values = true)]
    token: String,
    /// Whose client: okta (OIN template), okta-aiw (App Integration Wizard), entra.
    #[arg(long, default_value = "okta", value_parser = parse_profile)]
    profile: Profile,
    /// Sequences, comma-separated, or `all` (see `mock-okta sequences`).
    #[arg(long, default_value = "all", value_parser = parse_sequences)]
    sequence: SequenceList,
    /// bearer: `Authorization: Bearer <token>`; header: the raw token.
    #[arg(long, default_value = "bearer", value_parser = parse_auth)]
    auth: AuthMode,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the report here instead of standard output.
    #[arg(long)]
    out: Option<std::path::PathBuf>,
    /// Also write the transcript of every exchange (token masked) to this file.
    #[arg(long)]
    transcript: Option<std::path::PathBuf>,
    /// Seconds to wait for each answer (Okta waits 60).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    timeout: u64,
    /// Letters and digits put into every userName made (default: from the clock).
    #[arg(long)]
    tag: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
    Junit,
}

#[derive(Clone)]
struct SequenceList(Vec<Sequence>);

fn parse_profile(name: &str) -> Result<Profile, String> {
    Profile::parse(name).ok_or_else(|| {
        let names: Vec<&str> = Profile::ALL.iter().map(|p| p.name()).collect();
        format!(
            "unknown profile {name:?}; choose one of {}",
            names.join(", ")
        )
    })
}

fn parse_auth(name: &str) -> Result<AuthMode, String> {
    AuthMode::parse(name)
        .ok_or_else(|| format!("unknown auth mode {name:?}; choose bearer or header"))
}

fn parse_sequences(list: &str) -> Result<SequenceList, String> {
    if list == "all" {
        return Ok(SequenceList(Sequence::ALL.to_vec()));
    }
    list.split(',')
        .map(|name| {
            Sequence::parse(name.trim()).ok_or_else(|| {
                let names: Vec<&str> = Sequence::ALL.iter().map(|s| s.name()).collect();
                format!(
                    "unknown sequence {name:?}; choose all or any of {}",
                    names.join(", ")
                )
            })
        })
        .collect::<Result<_, _>>()
        .map(SequenceList)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Sequences => {
            for sequence in Sequence::ALL {
                println!("{:<14} {}", sequence.name(), sequence.about());
            }
            ExitCode::SUCCESS
        }
        Command::Run(args) => run(args),
    }
}

fn run(args: RunArgs) -> ExitCode {
    let mut config = RunConfig::new(args.base_url, args.token);
    config.profile = args.profile;
    config.sequences = args.sequence.0;
    config.auth_mode = args.auth;
    config.timeout = Duration::from_secs(args.timeout);
    if let Some(tag) = args.tag {
        config.tag = tag;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("mock-okta: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let profile = config.profile.name();
    let mut progress = |sequence: Sequence, step: &mock_okta::StepReport| {
        eprintln!(
            "[{profile}] {:<13} {}",
            sequence.name(),
            report::step_line(step, Render::AsIs)
        );
    };
    let report = match runtime.block_on(mock_okta::run_with_progress(&config, &mut progress)) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("mock-okta: {e} [{}]", e.code());
            return ExitCode::from(2);
        }
    };
    let rendered = match args.format {
        Format::Text => report.text(Render::AsIs),
        Format::Json => report.json(),
        Format::Junit => report.junit(),
    };
    if let Err(e) = write_out(args.out.as_deref(), &rendered) {
        eprintln!("mock-okta: cannot write the report: {e}");
        return ExitCode::from(2);
    }
    if let Some(path) = &args.transcript
        && let Err(e) = std::fs::write(path, report.transcript(Render::AsIs))
    {
        eprintln!(
            "mock-okta: cannot write the transcript to {}: {e}",
            path.display()
        );
        return ExitCode::from(2);
    }
    if report.unreachable() {
        eprintln!(
            "mock-okta: no request got an HTTP answer from {}: check the base URL and that \
             the server runs",
            report.base_url
        );
        return ExitCode::from(2);
    }
    let (passed, failed) = report.counts();
    eprintln!("{passed} passed, {failed} failed");
    if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn write_out(path: Option<&std::path::Path>, text: &str) -> std::io::Result<()> {
    match path {
        Some(path) => std::fs::write(path, text),
        None => std::io::stdout().lock().write_all(text.as_bytes()),
    }
}
