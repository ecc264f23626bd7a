//! `conformance`: the scenario catalogue against the in-process SP, a partner's SP, SCIM server or
//! captured response.

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use conformance::explain::{self, ExplainArgs};

#[derive(Parser)]
#[command(name = "conformance", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Explain a captured IdP response offline: every check of the SP's pipeline with its
    /// verdict, expected and got, and the fix. Exit 0 accepted, 1 refused, 2 bad input
    Explain(ExplainArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Explain(args) => match explain::explain(&args).await {
            Ok(report) => {
                let mut out = std::io::stdout().lock();
                match report
                    .write(args.format, &mut out)
                    .and_then(|()| out.flush())
                {
                    // The reader went away (`| head`): nothing to tell it.
                    Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                        eprintln!("error: output_failed: writing the report failed: {e}");
                        ExitCode::from(2)
                    }
                    _ => ExitCode::from(report.verdict.exit_code()),
                }
            }
            Err(e) => {
                eprintln!("error: {}: {e}", e.code());
                ExitCode::from(2)
            }
        },
    }
}
