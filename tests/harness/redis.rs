//! A real `redis-server` for one test: a free loopback port, its own temp folder, no persistence
//! unless asked for, killed on drop. It can be stopped and started again on the same port, so a test
//! can take Redis away mid-run and bring it back.
//!
//! When `redis-server` is not installed this fails the test with a message naming `scripts/redis-deps`;
//! it never skips.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a started server may take to answer PING: only a guard against hanging.
const READY_WITHIN: Duration = Duration::from_secs(20);

/// A running (or stopped) `redis-server` owned by the test.
pub struct RedisServer {
    dir: tempfile::TempDir,
    port: u16,
    persistent: bool,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts a server that keeps everything in memory only (`--save ""`, `--appendonly no`): a
    /// restart forgets every key.
    pub fn start() -> Self {
        Self::launch(false)
    }

    /// Starts a server that writes every command to an append-only file (fsync always), so a restart
    /// keeps what was written before it.
    pub fn start_persistent() -> Self {
        Self::launch(true)
    }

    fn launch(persistent: bool) -> Self {
        let mut server = Self {
            dir: tempfile::tempdir().unwrap(),
            port: 0,
            persistent,
            child: None,
        };
        // A free port can be taken by someone else between probing and binding: try a few.
        let mut last_log = String::new();
        for _ in 0..5 {
            server.port = free_port();
            match server.spawn() {
                Ok(()) => return server,
                Err(log) => last_log = log,
            }
        }
        panic!("redis-server did not start:\n{last_log}");
    }

    /// `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// The loopback port, the same across [`RedisServer::restart`].
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether the server process is running.
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Kills the server (SIGKILL: no shutdown save) and waits until it is gone and its port is closed.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let deadline = Instant::now() + READY_WITHIN;
        while TcpStream::connect(self.address()).is_ok() {
            assert!(Instant::now() < deadline, "redis-server's port stayed open");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Starts the server again on the same port and folder (a persistent one reloads its file).
    pub fn restart(&mut self) {
        self.stop();
        if let Err(log) = self.spawn() {
            panic!("redis-server did not restart on port {}:\n{log}", self.port);
        }
    }

    /// Sends one inline command and returns its reply: `+PONG`, `:3`, `-ERR ...`, a bulk string's
    /// text, or `(nil)`.
    pub fn command(&self, line: &str) -> String {
        one_command(self.address(), line).unwrap_or_else(|error| panic!("redis {line}: {error}"))
    }

    fn address(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("redis.log")
    }

    /// Starts the process and waits until it answers PING; `Err(log)` when it exits first.
    fn spawn(&mut self) -> Result<(), String> {
        let mut command = Command::new("redis-server");
        command
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--unixsocket", ""])
            .args(["--daemonize", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .arg("--logfile")
            .arg(self.log_path())
            .args(["--save", ""]);
        if self.persistent {
            command.args(["--appendonly", "yes", "--appendfsync", "always"]);
        } else {
            command.args(["--appendonly", "no"]);
        }
        let mut child = match command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
        {
            Ok(child) => child,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                panic!("redis-server is not installed (or not on the PATH): run scripts/redis-deps")
            }
            Err(error) => panic!("redis-server could not be started: {error}"),
        };
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                let mut stderr = String::new();
                if let Some(mut pipe) = child.stderr.take() {
                    let _ = pipe.read_to_string(&mut stderr);
                }
                let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
                return Err(format!("exited with {status}\n{stderr}{log}"));
            }
            if one_command(self.address(), "PING").is_ok_and(|reply| reply == "+PONG") {
                self.child = Some(child);
                return Ok(());
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("redis-server did not answer PING within {READY_WITHIN:?}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn one_command(address: SocketAddr, line: &str) -> std::io::Result<String> {
    let stream = TcpStream::connect_timeout(&address, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    (&stream).write_all(format!("{line}\r\n").as_bytes())?;
    let mut reader = std::io::BufReader::new(&stream);
    let first = read_line(&mut reader)?;
    match first.strip_prefix('$').map(str::parse::<i64>) {
        Some(Ok(len)) if len >= 0 => read_line(&mut reader),
        Some(Ok(_)) => Ok("(nil)".to_owned()),
        _ => Ok(first),
    }
}

fn read_line(reader: &mut impl std::io::BufRead) -> std::io::Result<String> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    Ok(line.trim_end_matches("\r\n").to_owned())
}
