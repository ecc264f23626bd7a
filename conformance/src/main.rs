//! `conformance`: the scenario catalogue against the in-process SP, a partner's SP, SCIM server or
//! captured response. Thin glue over the library: `main` → `run` → exit code (0 all met, 1
//! unmet, 2 could not run).

use clap::{Args, Parser, Subcommand};
use conformance::lab::{self, Lab, LabOptions};
use std::net::SocketAddr;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "conformance",
    version,
    about = "The ssolab scenario catalogue, its runner and reports, and a lab on localhost"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the SP and the mock IdP on 127.0.0.1 with team acme set up against the mock's
    /// metadata URL, print their URLs and commands to try, and run until Ctrl-C
    Lab(LabArgs),
}

#[derive(Args)]
struct LabArgs {
    /// The SP's address (loopback only; port 0: any free port)
    #[arg(long, value_name = "ADDR", default_value = lab::DEFAULT_SP_LISTEN)]
    listen: SocketAddr,
    /// The mock IdP's address (loopback only; port 0: any free port)
    #[arg(long, value_name = "ADDR", default_value = lab::DEFAULT_IDP_LISTEN)]
    idp_listen: SocketAddr,
    /// The SP's database: sqlite://FILE or postgres://…; default: a temporary SQLite file,
    /// removed when the lab stops
    #[arg(long, value_name = "URL")]
    database: Option<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match Cli::parse().command {
        Command::Lab(args) => run_lab(args).await,
    }
}

async fn run_lab(args: LabArgs) -> ExitCode {
    let options = LabOptions {
        sp_listen: args.listen,
        idp_listen: args.idp_listen,
        database: args.database,
    };
    let lab = match Lab::start(options).await {
        Ok(lab) => lab,
        Err(e) => {
            eprintln!("conformance lab: error [{}]: {e}", e.code());
            return ExitCode::from(2);
        }
    };
    println!("{}", lab.instructions());
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("conformance lab: cannot wait for Ctrl-C ({e}); stopping");
    }
    match lab.shutdown().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("conformance lab: error [{}]: {e}", e.code());
            ExitCode::from(2)
        }
    }
}
