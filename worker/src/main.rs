//! `comptoir-worker`: runs jobs from the queues it is given, until SIGTERM or SIGINT.

use clap::Parser;

use comptoir_domain::config::Settings;
use comptoir_domain::telemetry;
use comptoir_worker::WorkerProcess;

#[derive(Parser)]
#[command(name = "comptoir-worker", version, about = "Comptoir job worker")]
struct Cli {
    /// Comma-separated queues to serve (default: `worker.queues` from the configuration).
    #[arg(long, value_delimiter = ',')]
    queues: Option<Vec<String>>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load()?;
    telemetry::init(&settings.log);
    let queues = cli.queues.unwrap_or_else(|| settings.worker.queues.clone());
    let process = WorkerProcess::new(settings, queues)?;
    process.run(shutdown_signal()).await
}

/// Resolves on SIGTERM (orchestrators) or SIGINT (Ctrl-C).
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
