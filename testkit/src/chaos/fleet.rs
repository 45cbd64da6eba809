//! A fixed-size fleet of real worker processes: SIGKILL one and start its replacement, replace
//! those that exit on their own (what an orchestrator does), SIGTERM them all at the end.
//!
//! Why real processes: only a process killed with SIGKILL loses everything at an arbitrary
//! instruction (open transactions, Redis connections, leases it meant to renew); an in-process
//! worker cancelled by the test would still run its destructors.

use std::fs::OpenOptions;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::wait::wait_until;

/// How to start one worker.
#[derive(Clone)]
pub struct FleetSpec {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Each process appends its stdout and stderr to `<log_dir>/worker-<n>.log`.
    pub log_dir: PathBuf,
}

struct Member {
    serial: usize,
    child: Child,
}

/// A process that exited without being told to: which one and how.
#[derive(Debug, Clone)]
pub struct Exit {
    pub serial: usize,
    pub status: ExitStatus,
}

pub struct Fleet {
    spec: FleetSpec,
    members: Vec<Member>,
    started: usize,
    kills: usize,
    exits: Vec<Exit>,
}

impl Fleet {
    /// Starts `size` workers.
    pub fn start(spec: FleetSpec, size: usize) -> Self {
        let mut fleet = Self {
            spec,
            members: Vec::new(),
            started: 0,
            kills: 0,
            exits: Vec::new(),
        };
        for _ in 0..size {
            let member = fleet.spawn();
            fleet.members.push(member);
        }
        fleet
    }

    fn spawn(&mut self) -> Member {
        self.started += 1;
        let serial = self.started;
        let log = self.spec.log_dir.join(format!("worker-{serial}.log"));
        let out = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("the worker log file");
        let err = out.try_clone().expect("the worker log file");
        let child = Command::new(&self.spec.program)
            .args(&self.spec.args)
            .envs(self.spec.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("the worker binary starts");
        Member { serial, child }
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Processes started so far, replacements included.
    pub fn started(&self) -> usize {
        self.started
    }

    /// SIGKILLs sent so far.
    pub fn kills(&self) -> usize {
        self.kills
    }

    /// Processes that exited on their own (and were replaced).
    pub fn exits(&self) -> &[Exit] {
        &self.exits
    }

    /// The process id of member `index` (modulo the fleet size).
    pub fn pid(&self, index: usize) -> u32 {
        self.members[index % self.members.len()].child.id()
    }

    /// SIGKILLs member `index` (modulo the fleet size), reaps it and starts a replacement.
    /// Returns the victim's serial number.
    pub fn kill(&mut self, index: usize) -> usize {
        let index = index % self.members.len();
        let victim = &mut self.members[index];
        let serial = victim.serial;
        // An already exited process cannot be killed: it counts as an exit, not a kill.
        match victim.child.try_wait() {
            Ok(Some(status)) => self.exits.push(Exit { serial, status }),
            _ => {
                let _ = victim.child.kill();
                let _ = victim.child.wait();
                self.kills += 1;
            }
        }
        self.members[index] = self.spawn();
        serial
    }

    /// Replaces every member that exited by itself (e.g. it could not reach PostgreSQL or
    /// Redis at start-up); returns how many.
    pub fn replace_exited(&mut self) -> usize {
        let mut replaced = 0;
        for index in 0..self.members.len() {
            if let Ok(Some(status)) = self.members[index].child.try_wait() {
                let serial = self.members[index].serial;
                self.exits.push(Exit { serial, status });
                self.members[index] = self.spawn();
                replaced += 1;
            }
        }
        replaced
    }

    /// Sends SIGTERM to every member and hands them over, to wait for their exit with
    /// [`Draining::wait`] (without holding the fleet meanwhile).
    pub fn terminate(&mut self) -> Draining {
        for member in &self.members {
            let _ = Command::new("kill")
                .args(["-TERM", &member.child.id().to_string()])
                .status();
        }
        Draining {
            members: std::mem::take(&mut self.members),
        }
    }
}

/// Workers told to stop (SIGTERM), not yet seen exiting.
pub struct Draining {
    members: Vec<Member>,
}

impl Draining {
    /// Waits up to `timeout` (in all) for every worker to exit. Returns each one's (serial, exit
    /// status); `None` for one still running at the deadline, which is then killed.
    pub async fn wait(mut self, timeout: Duration) -> Vec<(usize, Option<ExitStatus>)> {
        let deadline = Instant::now() + timeout;
        let mut outcomes = Vec::new();
        for member in &mut self.members {
            let child = &mut member.child;
            let exited = tokio::time::timeout(
                deadline.saturating_duration_since(Instant::now()),
                wait_until("a worker to exit after SIGTERM", timeout * 2, || {
                    let exited = child.try_wait().ok().flatten();
                    async move { exited }
                }),
            )
            .await
            .ok();
            outcomes.push((member.serial, exited));
        }
        outcomes
    }
}

impl Drop for Draining {
    /// A worker that did not drain in time is killed: none outlives the test.
    fn drop(&mut self) {
        for member in &mut self.members {
            let _ = member.child.kill();
            let _ = member.child.wait();
        }
    }
}

impl Drop for Fleet {
    /// No worker outlives the test, whatever happened.
    fn drop(&mut self) {
        for member in &mut self.members {
            let _ = member.child.kill();
            let _ = member.child.wait();
        }
    }
}

/// Replaces exited members every `every` until the returned task is aborted: the stand-in for
/// an orchestrator's restart policy, so a worker that died during an outage comes back.
pub fn supervise(fleet: Arc<Mutex<Fleet>>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            if let Ok(mut fleet) = fleet.lock() {
                fleet.replace_exited();
            }
        }
    })
}
