//! `comptoir-api`: serves the HTTP API; `migrate` and `create-admin` for operations.

use anyhow::Context;
use clap::{Parser, Subcommand};

use comptoir_api::Application;
use comptoir_api::auth::password;
use comptoir_domain::config::Settings;
use comptoir_domain::types::{Email, NewPassword, Role};
use comptoir_domain::users::{self, NewUser};
use comptoir_domain::{db, telemetry};

#[derive(Parser)]
#[command(name = "comptoir-api", version, about = "Comptoir HTTP API")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create a superadmin account (the first admin of a new deployment).
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Administrator")]
        name: String,
        /// Read from the environment so it stays out of shell history and `ps`.
        #[arg(long, env = "COMPTOIR_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
    },
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::load()?;
    telemetry::init(&settings.log);
    match Cli::parse().command.unwrap_or(Command::Serve) {
        Command::Serve => {
            Application::build(settings)
                .await?
                .run_until_stopped()
                .await
        }
        Command::Migrate => {
            let pool = db::pool(&settings.database)?;
            db::migrate(&pool).await.context("running migrations")?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::CreateAdmin {
            email,
            name,
            password,
        } => create_admin(settings, &email, &name, password).await,
    }
}

async fn create_admin(
    settings: Settings,
    email: &str,
    name: &str,
    password: String,
) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("--email {e}"))?;
    let password = NewPassword::parse(password).map_err(|e| anyhow::anyhow!("password {e}"))?;
    let pool = db::pool(&settings.database)?;
    db::migrate(&pool).await.context("running migrations")?;
    let password_hash = password::hash(password.expose().to_owned()).await?;
    let user = users::insert(
        &pool,
        NewUser {
            email: Some(&email),
            phone: None,
            password_hash: &password_hash,
            name,
            want_shop: false,
            role: Role::Superadmin,
            locale: None,
        },
    )
    .await
    .context("creating the superadmin (does the email exist already?)")?;
    println!("superadmin {} created with id {}", email.as_str(), user.id);
    Ok(())
}
