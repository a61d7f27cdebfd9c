//! The local PostgreSQL cluster that stockdb runs itself when no `DATABASE_URL` is given
//! (DESIGN.md §4): found binaries, `initdb` into HOME/pgdata, a unix socket plus a loopback
//! port, TimescaleDB preloaded when installed, and the `postgres` system user when run as root.

use anyhow::{Context, Result, bail};
use std::fs;
use std::io::Write;
use std::os::unix::fs::{PermissionsExt, chown};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Name of the superuser and of the database stockdb creates in its cluster.
pub const DB_USER: &str = "stockdb";
/// Database that holds the market schema in the local cluster.
pub const DB_NAME: &str = "stockdb";

/// A local cluster rooted at one directory.
#[derive(Debug, Clone)]
pub struct Cluster {
    home: PathBuf,
    bindir: PathBuf,
    run_as: Option<SystemUser>,
}

/// The unprivileged system user the server runs as when stockdb runs as root.
#[derive(Debug, Clone)]
struct SystemUser {
    name: String,
    uid: u32,
    gid: u32,
}

/// Whether the cluster exists and runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    NotInitialized,
    Stopped,
    Running,
}

impl Cluster {
    /// The cluster under `home` (not created yet); fails when no server binaries are found.
    pub fn new(home: &Path) -> Result<Self> {
        let home =
            std::path::absolute(home).with_context(|| format!("resolving {}", home.display()))?;
        let bindir = find_bindir()?;
        // PostgreSQL refuses to run as root: hand the server to the `postgres` system user.
        // SAFETY: geteuid has no preconditions and cannot fail.
        let run_as = if unsafe { libc::geteuid() } == 0 {
            Some(SystemUser::lookup("postgres")?)
        } else {
            None
        };
        Ok(Cluster {
            home,
            bindir,
            run_as,
        })
    }

    /// Where the server's files live: HOME, unless the server user cannot reach it (root
    /// running from a checkout under a private directory such as /root): then under /tmp.
    fn server_root(&self) -> PathBuf {
        match &self.run_as {
            Some(user) if !user.can_traverse(&self.home) => {
                std::env::temp_dir().join(format!("stockdb-{:016x}", self.home_hash()))
            }
            _ => self.home.clone(),
        }
    }

    fn home_hash(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.home.hash(&mut h);
        h.finish()
    }

    fn data_dir(&self) -> PathBuf {
        self.server_root().join("pgdata")
    }

    fn run_dir(&self) -> PathBuf {
        self.server_root().join("run")
    }

    /// Unix socket paths are limited to ~107 bytes; deep homes put the socket under /tmp.
    fn socket_dir(&self) -> PathBuf {
        let run = self.run_dir();
        if run.as_os_str().len() + "/.s.PGSQL.65535".len() < 100 {
            run
        } else {
            PathBuf::from(format!("/tmp/stockdb-{:016x}-run", self.home_hash()))
        }
    }

    fn port(&self) -> Result<u16> {
        let path = self.home.join("port");
        let text = fs::read_to_string(&path)
            .with_context(|| format!("reading {} (is the cluster initialized?)", path.display()))?;
        text.trim()
            .parse()
            .with_context(|| format!("{} does not hold a port number", path.display()))
    }

    /// The URL of the market database over the unix socket (no password needed).
    pub fn url(&self) -> Result<String> {
        Ok(format!(
            "postgres://{DB_USER}@localhost:{}/{DB_NAME}?host={}",
            self.port()?,
            percent_encode_path(&self.socket_dir())
        ))
    }

    /// Where the server writes its log.
    pub fn log_file(&self) -> PathBuf {
        self.run_dir().join("postgres.log")
    }

    /// The directory of the PostgreSQL binaries in use.
    pub fn bindir(&self) -> &Path {
        &self.bindir
    }

    /// Current state, from `pg_ctl status`.
    pub fn state(&self) -> Result<State> {
        if !self.data_dir().join("PG_VERSION").exists() {
            return Ok(State::NotInitialized);
        }
        let out = self.pg_command("pg_ctl", &["status", "-D"], &[self.data_dir().as_os_str()])?;
        Ok(match out.status.code() {
            Some(0) => State::Running,
            _ => State::Stopped,
        })
    }

    /// Initializes and starts the cluster when needed, creates the market database, and
    /// returns its URL. Safe to call from several processes at once (a lock file serializes).
    pub fn ensure_running(&self) -> Result<String> {
        fs::create_dir_all(&self.home)
            .with_context(|| format!("creating {}", self.home.display()))?;
        let lock = fs::File::create(self.home.join("lock"))?;
        lock.lock().context("waiting for the cluster lock file")?;
        match self.state()? {
            State::NotInitialized => {
                self.init()?;
                self.start()?;
            }
            State::Stopped => self.start()?,
            State::Running => {}
        }
        self.url()
    }

    fn init(&self) -> Result<()> {
        let data = self.data_dir();
        if self.server_root() != self.home {
            let root = self.server_root();
            tracing::warn!(
                "the {} user cannot reach {}; the server's files go to {}",
                self.run_as.as_ref().map_or("server", |u| u.name.as_str()),
                self.home.display(),
                root.display()
            );
            fs::create_dir_all(&root)?;
            fs::set_permissions(&root, fs::Permissions::from_mode(0o711))?;
        }
        for dir in [&data, &self.run_dir(), &self.socket_dir()] {
            fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
            self.give_to_server_user(dir)?;
        }
        tracing::info!("initializing a PostgreSQL cluster in {}", data.display());
        let out = self.pg_command(
            "initdb",
            &[
                "--username",
                DB_USER,
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--no-locale",
                "--no-instructions",
                "-D",
            ],
            &[data.as_os_str()],
        )?;
        if !out.status.success() {
            bail!(
                "initdb failed:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        // Our settings live in their own file, rewritten at each start; postgresql.conf only
        // includes it, so a user's own edits there are kept.
        let mut conf = fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))?;
        writeln!(
            conf,
            "\n# Written by stockdb: port, sockets and preloads.\ninclude_if_exists = 'stockdb.conf'"
        )?;
        fs::write(self.home.join("port"), format!("{}\n", free_port()?))?;
        Ok(())
    }

    fn start(&self) -> Result<()> {
        let mut port = self.port()?;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
            port = free_port()?;
            fs::write(self.home.join("port"), format!("{port}\n"))?;
        }
        fs::create_dir_all(self.socket_dir())?;
        self.give_to_server_user(&self.socket_dir())?;
        self.write_settings(port)?;
        tracing::info!("starting PostgreSQL on port {port}");
        let log = self.log_file();
        let out = self.pg_command(
            "pg_ctl",
            &["start", "--wait", "--timeout=120", "--silent", "-D"],
            &[self.data_dir().as_os_str(), "-l".as_ref(), log.as_os_str()],
        )?;
        if !out.status.success() {
            let tail = fs::read_to_string(&log)
                .map(|t| {
                    t.lines()
                        .rev()
                        .take(15)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default();
            bail!(
                "pg_ctl start failed: {}{}\nlast lines of {}:\n{tail}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                log.display()
            );
        }
        Ok(())
    }

    fn write_settings(&self, port: u16) -> Result<()> {
        let mut s = String::new();
        s.push_str(&format!("port = {port}\n"));
        // Loopback and the owner-only socket: nothing outside this machine can connect.
        s.push_str("listen_addresses = '127.0.0.1'\n");
        s.push_str(&format!(
            "unix_socket_directories = '{}'\n",
            self.socket_dir().display().to_string().replace('\'', "''")
        ));
        s.push_str("unix_socket_permissions = 0700\n");
        // Bulk loads write a lot of WAL; fewer checkpoints in the middle of a load.
        s.push_str("max_wal_size = '4GB'\n");
        if self.timescaledb_installed() && super::tier::timescaledb_wanted() {
            s.push_str("shared_preload_libraries = 'timescaledb'\n");
            // No network here or at most users' sites: never phone home.
            s.push_str("timescaledb.telemetry_level = off\n");
        }
        let path = self.data_dir().join("stockdb.conf");
        fs::write(&path, s)?;
        self.give_to_server_user(&path)
    }

    /// Stops the server; false when it was not running.
    pub fn stop(&self) -> Result<bool> {
        if self.state()? != State::Running {
            return Ok(false);
        }
        let out = self.pg_command(
            "pg_ctl",
            &["stop", "--wait", "--mode=fast", "--silent", "-D"],
            &[self.data_dir().as_os_str()],
        )?;
        if !out.status.success() {
            bail!(
                "pg_ctl stop failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(true)
    }

    /// True when the server binaries have the timescaledb extension installed.
    pub fn timescaledb_installed(&self) -> bool {
        sharedir_candidates(&self.bindir)
            .iter()
            .any(|dir| dir.join("extension/timescaledb.control").exists())
    }

    fn give_to_server_user(&self, path: &Path) -> Result<()> {
        if let Some(user) = &self.run_as {
            chown(path, Some(user.uid), Some(user.gid))
                .with_context(|| format!("giving {} to the {} user", path.display(), user.name))?;
        }
        Ok(())
    }

    /// Runs a server binary, as the `postgres` user when we are root.
    fn pg_command(
        &self,
        program: &str,
        args: &[&str],
        more: &[&std::ffi::OsStr],
    ) -> Result<Output> {
        let exe = self.bindir.join(program);
        let mut cmd = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.arg("-u").arg(&user.name).arg("--").arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        cmd.args(args).args(more).current_dir("/");
        // Locale variables of the caller may name locales the server user lacks.
        cmd.env("LC_ALL", "C");
        cmd.output()
            .with_context(|| format!("running {}", exe.display()))
    }
}

impl SystemUser {
    /// True when this user may enter `dir` and all its ancestors (owner or others' x bit).
    fn can_traverse(&self, dir: &Path) -> bool {
        use std::os::unix::fs::MetadataExt;
        dir.ancestors().filter(|d| d.exists()).all(|d| {
            fs::metadata(d).is_ok_and(|m| {
                let mode = m.mode();
                (m.uid() == self.uid && mode & 0o100 != 0)
                    || (m.gid() == self.gid && mode & 0o010 != 0)
                    || mode & 0o001 != 0
            })
        })
    }

    fn lookup(name: &str) -> Result<Self> {
        let cname = std::ffi::CString::new(name)?;
        // SAFETY: getpwnam returns NULL or a pointer to static storage valid until the next
        // call; we copy the two ids out at once, and no other thread calls it meanwhile.
        let pw = unsafe { libc::getpwnam(cname.as_ptr()) };
        if pw.is_null() {
            bail!(
                "stockdb runs as root, and PostgreSQL refuses to: it runs the server as the \
                 '{name}' system user, which does not exist. Install PostgreSQL from your \
                 distribution (it creates that user) or run stockdb as a normal user"
            );
        }
        // SAFETY: pw is non-null and points to a valid passwd record (see above).
        let (uid, gid) = unsafe { ((*pw).pw_uid, (*pw).pw_gid) };
        Ok(SystemUser {
            name: name.to_string(),
            uid,
            gid,
        })
    }
}

/// Finds PostgreSQL server binaries: `PG_BIN`, `pg_config --bindir`, the newest
/// `/usr/lib/postgresql/<v>/bin`, then `PATH`.
pub fn find_bindir() -> Result<PathBuf> {
    let has_server = |dir: &Path| {
        ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|b| dir.join(b).is_file())
    };
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(dir) = std::env::var_os("PG_BIN") {
        candidates.push(dir.into());
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        candidates.push(String::from_utf8_lossy(&out.stdout).trim().into());
    }
    if let Ok(entries) = fs::read_dir("/usr/lib/postgresql") {
        let mut versions: Vec<(u32, PathBuf)> = entries
            .flatten()
            .filter_map(|e| {
                let v = e.file_name().to_str()?.parse::<u32>().ok()?;
                Some((v, e.path().join("bin")))
            })
            .collect();
        versions.sort();
        candidates.extend(versions.into_iter().rev().map(|(_, p)| p));
    }
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path));
    }
    candidates
        .into_iter()
        .find(|dir| has_server(dir))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no PostgreSQL server binaries found (looked in $PG_BIN, `pg_config --bindir`, \
                 /usr/lib/postgresql/*/bin and $PATH for initdb, pg_ctl and postgres).\n\
                 Install them: `apt-get install postgresql` (Debian/Ubuntu) or `brew install postgresql`;\n\
                 or start TimescaleDB with `docker compose up -d` and set \
                 DATABASE_URL=postgres://postgres:postgres@localhost:5432/stockdb"
            )
        })
}

fn sharedir_candidates(bindir: &Path) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Ok(out) = Command::new(bindir.join("pg_config"))
        .arg("--sharedir")
        .output()
        && out.status.success()
    {
        dirs.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    }
    if let Some(prefix) = bindir.parent() {
        // Debian: /usr/lib/postgresql/15/bin → /usr/share/postgresql/15
        if let (Some(version), Some(lib)) =
            (prefix.file_name(), prefix.parent().and_then(Path::parent))
        {
            dirs.push(lib.join("share/postgresql").join(version));
        }
        dirs.push(prefix.join("share/postgresql"));
        dirs.push(prefix.join("share"));
    }
    dirs
}

fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

fn percent_encode_path(path: &Path) -> String {
    let mut out = String::new();
    for b in path.as_os_str().as_encoded_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'.' | b'-' | b'_' | b'~' => {
                out.push(*b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_path_is_encoded_for_urls() {
        assert_eq!(percent_encode_path(Path::new("/a b/c")), "/a%20b/c");
        assert_eq!(
            percent_encode_path(Path::new("/tmp/x.y_z-1")),
            "/tmp/x.y_z-1"
        );
    }

    #[test]
    fn deep_homes_put_the_socket_under_tmp() {
        let cluster = Cluster {
            home: PathBuf::from(format!("/{}", "d".repeat(120))),
            bindir: PathBuf::from("/usr/bin"),
            run_as: None,
        };
        assert!(
            cluster
                .socket_dir()
                .to_string_lossy()
                .starts_with("/tmp/stockdb-")
        );
        let short = Cluster {
            home: PathBuf::from("/w/.stockdb"),
            ..cluster
        };
        assert_eq!(short.socket_dir(), PathBuf::from("/w/.stockdb/run"));
    }
}
