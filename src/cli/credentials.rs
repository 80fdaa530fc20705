//! Finding the DashScope API key, first where tts keeps it, then where the DashScope CLI and
//! SDK keep it: `DASHSCOPE_API_KEY`; `api_key`, else `api_key_command`, in the config file; the
//! file named by `DASHSCOPE_API_KEY_FILE_PATH`; `~/.dashscope/api_key`. A key is trimmed and
//! must fit in a header; the key itself never appears in a message.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, PoisonError, mpsc};
use std::time::{Duration, Instant};

use super::ConfigError;
use super::config::Environment;
use super::settings::FileSettings;
use crate::session::{ApiKey, KeySource};

/// How long `api_key_command` may run.
pub const KEY_COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

/// The config file's path: `$TTS_CONFIG`, else `<XDG config dir>/tts/config.toml`.
pub fn config_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("TTS_CONFIG") {
        return Some(PathBuf::from(path));
    }
    directories::BaseDirs::new().map(|dirs| dirs.config_dir().join("tts").join("config.toml"))
}

/// `~/.dashscope/api_key`, where `dashscope auth login` writes the key.
pub fn dashscope_key_path() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|dirs| dirs.home_dir().join(".dashscope").join("api_key"))
}

/// A key and where it came from.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The key.
    pub api_key: ApiKey,
    /// Its origin, for messages.
    pub source: KeySource,
    /// A workspace from the config file.
    pub workspace: Option<String>,
    /// A warning to show (a key file others can read).
    pub warning: Option<String>,
}

/// Look for a key in the order the module's doc gives; `None` when there is none anywhere.
pub fn find(
    env: &Environment,
    settings: &FileSettings,
) -> Result<Option<Credentials>, ConfigError> {
    let workspace = settings.workspace.clone();
    let found = |api_key, source| {
        Ok(Some(Credentials {
            api_key,
            source,
            workspace: workspace.clone(),
            warning: None,
        }))
    };
    if let Some(key) = env.api_key.as_deref().filter(|k| !k.trim().is_empty()) {
        return found(clean(key, &KeySource::Environment)?, KeySource::Environment);
    }
    if let Some(path) = env.config_file.as_deref().filter(|path| path.exists()) {
        let shown = path.display().to_string();
        if let Some(key) = settings.api_key.as_deref().filter(|k| !k.trim().is_empty()) {
            let source = KeySource::ConfigFile(shown);
            return found(clean(key, &source)?, source);
        }
        if let Some(command) = &settings.api_key_command {
            let key = run_key_command(command, &shown, KEY_COMMAND_TIMEOUT)?;
            let source = KeySource::Command(shown);
            return found(clean(&key, &source)?, source);
        }
    }
    let files = [
        env.key_file.clone().map(|p| {
            (
                KeySource::FileFromVariable(p.display().to_string()),
                p,
                true,
            )
        }),
        env.dashscope_key_file
            .clone()
            .map(|p| (KeySource::DashScopeFile(p.display().to_string()), p, false)),
    ];
    for (source, path, named) in files.into_iter().flatten() {
        let text = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            // ~/.dashscope/api_key is only looked for; a file named by the variable must be there.
            Err(e) if !named && e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(ConfigError::KeyFile {
                    origin: source.to_string(),
                    reason: e.kind().to_string(),
                });
            }
        };
        let text = String::from_utf8(text).map_err(|_| ConfigError::KeyFile {
            origin: source.to_string(),
            reason: "it is not UTF-8 text".into(),
        })?;
        if text.trim().is_empty() {
            return Err(ConfigError::KeyFile {
                origin: source.to_string(),
                reason: "it is empty".into(),
            });
        }
        let api_key = clean(&text, &source)?;
        return Ok(Some(Credentials {
            api_key,
            warning: readable_by_others(&path),
            source,
            workspace,
        }));
    }
    Ok(None)
}

/// Where the key would come from, for `tts config show` (the key command is not run).
pub fn describe(env: &Environment, settings: &FileSettings) -> String {
    let config = env.config_file.as_deref().filter(|p| p.exists());
    let source = if env.api_key.as_deref().is_some_and(|k| !k.trim().is_empty()) {
        Some(KeySource::Environment)
    } else if let Some(path) = config.filter(|_| settings.api_key.is_some()) {
        Some(KeySource::ConfigFile(path.display().to_string()))
    } else if let Some(path) = config.filter(|_| settings.api_key_command.is_some()) {
        Some(KeySource::Command(path.display().to_string()))
    } else if let Some(path) = &env.key_file {
        Some(KeySource::FileFromVariable(path.display().to_string()))
    } else {
        env.dashscope_key_file
            .as_ref()
            .filter(|p| p.is_file())
            .map(|p| KeySource::DashScopeFile(p.display().to_string()))
    };
    match source {
        Some(source) => format!("# the API key comes from {source}"),
        None => "# no API key: set DASHSCOPE_API_KEY, or api_key in the config file".to_owned(),
    }
}

/// The key with surrounding white space (a command's or a file's final line break) trimmed;
/// refused when what is left cannot be sent in an HTTP header.
fn clean(raw: &str, source: &KeySource) -> Result<ApiKey, ConfigError> {
    let key = raw.trim();
    if key.chars().any(|c| c.is_control() || !c.is_ascii()) {
        return Err(ConfigError::KeyCharacters {
            origin: source.to_string(),
        });
    }
    Ok(ApiKey::new(key.to_owned()))
}

/// A warning when a key file's mode lets other users read it.
fn readable_by_others(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode();
        if mode & 0o077 != 0 {
            let shown = path.display();
            return Some(format!(
                "warning: {shown} holds an API key and others can read it: chmod 600 {shown}"
            ));
        }
    }
    let _ = path;
    None
}

/// The process group of the key command while it runs, for [`stop_key_command`].
static RUNNING: Mutex<Option<u32>> = Mutex::new(None);

/// Kill the running `api_key_command` and everything it started (tts is being stopped: Ctrl-C
/// or SIGTERM). Returns whether one was running.
pub fn stop_key_command() -> bool {
    let running = RUNNING.lock().unwrap_or_else(PoisonError::into_inner);
    match *running {
        Some(group) => {
            kill_group(group);
            true
        }
        None => false,
    }
}

fn kill_group(group: u32) {
    #[cfg(unix)]
    if let Ok(group) = i32::try_from(group) {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(group),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    let _ = group;
}

/// Forgets the running command when the run ends, however it ends.
struct Registered;

impl Registered {
    fn new(group: u32) -> Self {
        *RUNNING.lock().unwrap_or_else(PoisonError::into_inner) = Some(group);
        Self
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        *RUNNING.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

/// Run `sh -c command` in a process group of its own, at most `limit`; its stdout is the key.
fn run_key_command(command: &str, path: &str, limit: Duration) -> Result<String, ConfigError> {
    let failed = |reason: String| ConfigError::KeyCommand {
        path: path.to_owned(),
        reason,
    };
    let mut shell = Command::new("sh");
    shell
        .args(["-c", command])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Its own group, so that it and whatever it starts can be killed together.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut shell, 0);
    let mut child = shell
        .spawn()
        .map_err(|e| failed(format!("cannot run sh: {e}")))?;
    let _registered = Registered::new(child.id());
    let (tx, rx) = mpsc::channel();
    let mut pipes = 0;
    if let Some(out) = child.stdout.take() {
        pipes += 1;
        spawn_reader(out, true, tx.clone());
    }
    if let Some(err) = child.stderr.take() {
        pipes += 1;
        spawn_reader(err, false, tx);
    }
    let deadline = Instant::now() + limit;
    let timed_out = || {
        let mut shown: String = command.chars().take(80).collect();
        if shown.len() < command.len() {
            shown.push('…');
        }
        failed(format!(
            "`{shown}` did not finish within {} s and was stopped; make it print the key without waiting for input",
            limit.as_secs_f64()
        ))
    };
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                kill_group(child.id());
                let _ = child.wait();
                return Err(timed_out());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(failed(format!("cannot wait for it: {e}"))),
        }
    };
    // Its output ends when everything holding the pipes has exited; a background process it
    // left running counts against the same deadline.
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    for _ in 0..pipes {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((true, bytes)) => stdout = bytes,
            Ok((false, bytes)) => stderr = bytes,
            Err(_) => {
                kill_group(child.id());
                return Err(timed_out());
            }
        }
    }
    if !status.success() {
        // Its stderr may help; its stdout might hold a secret and is never shown.
        let stderr = String::from_utf8_lossy(&stderr);
        let first = stderr.lines().next().unwrap_or("").trim();
        return Err(failed(format!(
            "{status}{}{first}",
            if first.is_empty() { "" } else { ": " }
        )));
    }
    let key = String::from_utf8_lossy(&stdout).into_owned();
    if key.trim().is_empty() {
        return Err(failed("it printed nothing".into()));
    }
    Ok(key)
}

fn spawn_reader(
    mut pipe: impl Read + Send + 'static,
    is_stdout: bool,
    tx: mpsc::Sender<(bool, Vec<u8>)>,
) {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        let _ = tx.send((is_stdout, bytes));
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::settings;

    fn config(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).expect("write");
        (dir, path)
    }

    /// An environment with only these: no key files unless given.
    fn env(key: Option<&str>, config: Option<&Path>) -> Environment {
        Environment {
            api_key: key.map(str::to_owned),
            config_file: config.map(Path::to_owned),
            ..Environment::default()
        }
    }

    fn find_in(env: &Environment) -> Result<Option<Credentials>, ConfigError> {
        let loaded = settings::load(env.config_file.as_deref()).expect("parses");
        find(env, &loaded)
    }

    #[test]
    fn the_environment_wins_over_the_file() {
        let (_dir, path) = config("api_key = \"from-file\"\nworkspace = \"ws-1\"\n");
        let found = find_in(&env(Some("from-env"), Some(&path)))
            .expect("ok")
            .expect("a key");
        assert_eq!(found.source, KeySource::Environment);
        assert_eq!(found.api_key.expose_for_tests(), "from-env");
        assert_eq!(found.workspace.as_deref(), Some("ws-1"));
    }

    #[test]
    fn the_file_key_and_the_key_command_are_read_and_trimmed() {
        let (_dir, path) = config("api_key = \" from-file \"\n");
        let found = find_in(&env(None, Some(&path)))
            .expect("ok")
            .expect("a key");
        assert!(matches!(found.source, KeySource::ConfigFile(_)));
        assert_eq!(found.api_key.expose_for_tests(), "from-file");

        // printf leaves a CR LF, as a key saved on Windows would be.
        let (_dir, path) =
            config("api_key_command = \"printf 'sk-from-command\\\\r\\\\n\\\\n'\"\n");
        let found = find_in(&env(None, Some(&path)))
            .expect("ok")
            .expect("a key");
        assert_eq!(found.api_key.expose_for_tests(), "sk-from-command");
        assert!(
            found
                .source
                .to_string()
                .starts_with("the output of api_key_command in ")
        );
    }

    #[test]
    fn a_key_with_a_line_break_inside_is_refused_without_showing_it() {
        let (_dir, path) = config("api_key_command = \"printf 'sk-one\\\\nsk-two\\\\n'\"\n");
        let err = find_in(&env(None, Some(&path)))
            .expect_err("refused")
            .to_string();
        assert!(err.contains("write the key alone on one line"), "{err}");
        assert!(err.contains("api_key_command"), "{err}");
        assert!(!err.contains("sk-one") && !err.contains("sk-two"), "{err}");
        let err = find_in(&env(Some("sk-a\tb"), None))
            .expect_err("refused")
            .to_string();
        assert!(
            err.contains("DASHSCOPE_API_KEY") && !err.contains("sk-a"),
            "{err}"
        );
    }

    #[test]
    fn a_failing_key_command_says_why_without_its_output() {
        let (_dir, path) = config("api_key_command = \"echo sk-secret; echo nope >&2; exit 3\"\n");
        let err = find_in(&env(None, Some(&path)))
            .expect_err("fails")
            .to_string();
        assert!(
            err.contains("api_key_command") && err.contains("nope"),
            "{err}"
        );
        assert!(!err.contains("sk-secret"), "{err}");
    }

    /// Whether a process is gone (or a zombie no one has reaped yet).
    fn gone(pid: &str) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |stat| {
            stat.rsplit(')')
                .next()
                .is_some_and(|s| s.trim_start().starts_with('Z'))
        })
    }

    #[test]
    fn a_hanging_key_command_is_stopped_with_everything_it_started() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pids = dir.path().join("pids");
        let command = format!(
            "sleep 60 & echo $! > {0}; sh -c 'sleep 60' & echo $! >> {0}; wait",
            pids.display()
        );
        let started = Instant::now();
        let err = run_key_command(&command, "config.toml", Duration::from_millis(500))
            .expect_err("times out")
            .to_string();
        assert!(started.elapsed() < Duration::from_secs(30), "bounded");
        assert!(
            err.contains("did not finish within 0.5 s") && err.contains("sleep 60 & echo"),
            "names the command: {err}"
        );
        let pids = std::fs::read_to_string(&pids).expect("the command wrote its children");
        let pids: Vec<&str> = pids.lines().collect();
        assert_eq!(pids.len(), 2);
        // SIGKILL is delivered at once, but a process may take a moment to be torn down.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !pids.iter().all(|pid| gone(pid)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(
            pids.iter().all(|pid| gone(pid)),
            "its group was killed: {pids:?}"
        );
        assert!(!stop_key_command(), "nothing left registered");
    }

    #[test]
    fn the_dashscope_key_files_come_after_tts_own_places() {
        let dir = tempfile::tempdir().expect("tempdir");
        let named = dir.path().join("named_key");
        let login = dir.path().join("api_key");
        std::fs::write(&named, "sk-named\n").expect("write");
        std::fs::write(&login, "sk-login\n").expect("write");
        let mut env = env(None, None);
        env.key_file = Some(named.clone());
        env.dashscope_key_file = Some(login.clone());
        let found = find_in(&env).expect("ok").expect("a key");
        assert_eq!(found.api_key.expose_for_tests(), "sk-named");
        assert!(
            found
                .source
                .to_string()
                .contains("DASHSCOPE_API_KEY_FILE_PATH")
        );
        assert!(describe(&env, &FileSettings::default()).contains("DASHSCOPE_API_KEY_FILE_PATH"));

        env.key_file = None;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&login, std::fs::Permissions::from_mode(0o644))
                .expect("chmod");
        }
        let found = find_in(&env).expect("ok").expect("a key");
        assert_eq!(found.api_key.expose_for_tests(), "sk-login");
        assert_eq!(
            found.source,
            KeySource::DashScopeFile(login.display().to_string())
        );
        let warning = found.warning.expect("a readable key file is warned about");
        assert!(
            warning.contains("chmod 600") && !warning.contains("sk-login"),
            "{warning}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&login, std::fs::Permissions::from_mode(0o600))
                .expect("chmod");
            assert!(find_in(&env).expect("ok").expect("a key").warning.is_none());
        }

        // tts's own places come first.
        let (_cdir, path) = config("api_key = \"sk-config\"\n");
        env.config_file = Some(path);
        let found = find_in(&env).expect("ok").expect("a key");
        assert_eq!(found.api_key.expose_for_tests(), "sk-config");

        // A file named by the variable must exist.
        env.config_file = None;
        env.key_file = Some(dir.path().join("missing"));
        let err = find_in(&env).expect_err("missing").to_string();
        assert!(
            err.contains("missing") && err.contains("not found"),
            "{err}"
        );
    }

    #[test]
    fn no_key_anywhere_is_none() {
        let (_dir, path) = config("voice = \"longanyang\"\n");
        assert!(find_in(&env(None, Some(&path))).expect("ok").is_none());
        assert!(find_in(&env(Some("  "), None)).expect("ok").is_none());
        let mut missing = env(None, None);
        missing.dashscope_key_file = Some(PathBuf::from("/nonexistent/.dashscope/api_key"));
        assert!(find_in(&missing).expect("ok").is_none());
        assert!(describe(&missing, &FileSettings::default()).starts_with("# no API key"));
    }

    #[test]
    fn a_broken_file_is_named() {
        let (_dir, path) = config("api_key = \n");
        let err = settings::load(Some(&path)).expect_err("fails").to_string();
        assert!(
            err.starts_with(&format!("cannot read {}", path.display())),
            "{err}"
        );
    }
}
