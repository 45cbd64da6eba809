//! A private PostgreSQL cluster that a chaos run may stop and start at will.
//!
//! Why a cluster of its own: the machine's server (127.0.0.1:5432) hosts the databases of every
//! test running in parallel. The cluster is created with `initdb` in the run directory and
//! served on a free port; PostgreSQL refuses to run as root, so its binaries run as the
//! `postgres` OS user (`runuser`), which owns the data directory.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::{Connection, Executor, PgConnection};

use super::{RunDir, free_port, run};

pub struct PrivatePostgres {
    bin: PathBuf,
    data: PathBuf,
    log: PathBuf,
    port: u16,
    running: bool,
}

/// The newest installed server's binaries (`/usr/lib/postgresql/<version>/bin`).
fn server_bin() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL server binaries in /usr/lib/postgresql")
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .filter(|(_, bin)| bin.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop().expect("an installed PostgreSQL server").1
}

impl PrivatePostgres {
    /// Creates a cluster in the run directory (trust authentication, like the machine's
    /// server; its log beside the workers' logs) and starts it.
    pub async fn start(dir: &RunDir) -> anyhow::Result<Self> {
        let root = dir.path().join("pg");
        let log = dir.logs().join("postgres.log");
        std::fs::create_dir_all(&root)?;
        std::fs::write(&log, b"")?;
        let mut pg = Self {
            bin: server_bin(),
            data: root.join("data"),
            log,
            port: free_port(),
            running: false,
        };
        run(
            "chown",
            &["postgres:postgres", &path_str(&root), &path_str(&pg.log)],
        )
        .await?;
        pg.as_postgres(
            "initdb",
            &[
                "-D",
                &path_str(&pg.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                // A throwaway cluster: skip the final fsync of initdb only (the server itself
                // keeps its durable defaults).
                "--no-sync",
            ],
        )
        .await?;
        pg.resume().await?;
        Ok(pg)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of `database` on this cluster.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates an empty database.
    pub async fn create_database(&self, name: &str) -> anyhow::Result<()> {
        let mut conn = PgConnection::connect(&self.url("postgres")).await?;
        // `name` is chosen by the test, never user input.
        conn.execute(sqlx::AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
            .await?;
        Ok(())
    }

    /// Stops the server the way an operator's restart does (`-m fast`: open sessions are
    /// terminated, the server shuts down cleanly).
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        self.pg_ctl(&["-m", "fast", "-w", "-t", "60", "stop"])
            .await?;
        self.running = false;
        Ok(())
    }

    /// Starts the (stopped) server again on the same port and data, and waits until it accepts
    /// connections.
    pub async fn resume(&mut self) -> anyhow::Result<()> {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c max_connections=200",
            self.port,
            path_str(&self.data)
        );
        let log = path_str(&self.log);
        self.pg_ctl(&["-w", "-t", "60", "-l", &log, "-o", &options, "start"])
            .await?;
        self.running = true;
        wait_accepting(&self.url("postgres")).await
    }

    async fn pg_ctl(&self, args: &[&str]) -> anyhow::Result<String> {
        let data = path_str(&self.data);
        let mut all = vec!["-D", data.as_str()];
        all.extend_from_slice(args);
        self.as_postgres("pg_ctl", &all).await
    }

    /// Runs one of the server's binaries as the `postgres` OS user.
    async fn as_postgres(&self, binary: &str, args: &[&str]) -> anyhow::Result<String> {
        let program = path_str(&self.bin.join(binary));
        let mut all = vec!["-u", "postgres", "--", program.as_str()];
        all.extend_from_slice(args);
        run("runuser", &all).await
    }
}

/// `pg_ctl -w` returns once the postmaster is up; a first connection proves it serves.
async fn wait_accepting(url: &str) -> anyhow::Result<()> {
    for _ in 0..200 {
        if PgConnection::connect(url).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("the private PostgreSQL at {url} does not accept connections")
}

fn path_str(path: &Path) -> String {
    path.display().to_string()
}

impl Drop for PrivatePostgres {
    /// Stops the server at once (`-m immediate`: nothing in it is worth a clean shutdown) and
    /// removes its data.
    fn drop(&mut self) {
        if self.running {
            let _ = std::process::Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(self.bin.join("pg_ctl"))
                .arg("-D")
                .arg(&self.data)
                .args(["-m", "immediate", "-w", "stop"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
        }
        if let Some(root) = self.data.parent() {
            let _ = std::fs::remove_dir_all(root);
        }
    }
}
