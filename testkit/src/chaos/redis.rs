//! A private redis-server that a chaos run restarts, once keeping its data and once empty.
//!
//! Why both: a restart that keeps the dataset (an operator's planned restart with a snapshot)
//! replays queue state that may be stale, and a restart that loses it (no persistence, the
//! common cache-style setup) drops every message in flight; the job system must survive both.
//! The server has no save points (`--save ""`): only an explicit `SHUTDOWN SAVE` writes the
//! snapshot `dump.rdb` in its own directory, which the next start loads.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{RunDir, free_port, run};
use crate::wait::wait_until;

pub struct PrivateRedis {
    port: u16,
    dir: PathBuf,
    log: PathBuf,
    child: Option<Child>,
}

impl PrivateRedis {
    /// Starts a server on a free port, its data in the run directory.
    pub async fn start(dir: &RunDir) -> anyhow::Result<Self> {
        let data = dir.path().join("redis");
        std::fs::create_dir_all(&data)?;
        let mut redis = Self {
            port: free_port(),
            dir: data,
            log: dir.logs().join("redis.log"),
            child: None,
        };
        redis.launch().await?;
        Ok(redis)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    async fn launch(&mut self) -> anyhow::Result<()> {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .args(["--dbfilename", "dump.rdb"])
            .arg("--logfile")
            .arg(&self.log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()?;
        self.child = Some(child);
        let port = self.port;
        wait_until(
            "the private Redis to answer PING",
            Duration::from_secs(20),
            || async move {
                let pong = run("redis-cli", &["-p", &port.to_string(), "PING"]).await;
                pong.ok().filter(|reply| reply.contains("PONG")).map(|_| ())
            },
        )
        .await;
        Ok(())
    }

    /// Keys in the dataset right now.
    pub async fn keys(&self) -> anyhow::Result<u64> {
        let reply = self.cli(&["DBSIZE"]).await?;
        Ok(reply.trim().parse()?)
    }

    async fn cli(&self, args: &[&str]) -> anyhow::Result<String> {
        let port = self.port.to_string();
        let mut all = vec!["-p", port.as_str()];
        all.extend_from_slice(args);
        run("redis-cli", &all).await
    }

    /// Stops the server. With `keep_data` it first writes a snapshot that [`Self::resume`]
    /// loads (a planned restart); without, it saves nothing and removes any old snapshot, so the
    /// server comes back empty (a cache-style server that crashed). Returns the keys it held.
    pub async fn stop(&mut self, keep_data: bool) -> anyhow::Result<u64> {
        let keys = self.keys().await?;
        let mode = if keep_data { "SAVE" } else { "NOSAVE" };
        // The server closes the connection as it exits: redis-cli's exit status says nothing.
        let _ = self.cli(&["SHUTDOWN", mode]).await;
        self.reap().await?;
        if !keep_data {
            match std::fs::remove_file(self.dir.join("dump.rdb")) {
                Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(err.into()),
                _ => {}
            }
        }
        Ok(keys)
    }

    /// Starts the stopped server again on the same port and directory; returns the keys it
    /// loaded.
    pub async fn resume(&mut self) -> anyhow::Result<u64> {
        self.launch().await?;
        self.keys().await
    }

    /// Waits for the server process to exit after SHUTDOWN.
    async fn reap(&mut self) -> anyhow::Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        wait_until("the private Redis to exit", Duration::from_secs(20), || {
            let exited = child.try_wait().ok().flatten();
            async move { exited.map(|_| ()) }
        })
        .await;
        Ok(())
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
