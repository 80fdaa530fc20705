//! Finding the DashScope API key: `DASHSCOPE_API_KEY`, else `api_key` or `api_key_command` in
//! the config file. The key itself never appears in a message.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::ConfigError;
use super::settings::FileSettings;
use crate::session::{ApiKey, KeySource};

/// The config file's path: `$TTS_CONFIG`, else `<XDG config dir>/tts/config.toml`.
pub fn config_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("TTS_CONFIG") {
        return Some(PathBuf::from(path));
    }
    directories::BaseDirs::new().map(|dirs| dirs.config_dir().join("tts").join("config.toml"))
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
}

/// Look for a key: the environment's `key` first, then the config file (at `config`, read into
/// `settings`).
pub fn find(
    env_key: Option<&str>,
    config: Option<&Path>,
    settings: &FileSettings,
) -> Result<Option<Credentials>, ConfigError> {
    let file = config
        .filter(|path| path.exists())
        .map(|path| (path, settings));
    let workspace = settings.workspace.clone();
    if let Some(key) = env_key.filter(|k| !k.trim().is_empty()) {
        return Ok(Some(Credentials {
            api_key: ApiKey::new(key.trim().to_owned()),
            source: KeySource::Environment,
            workspace,
        }));
    }
    let Some((path, file)) = file else {
        return Ok(None);
    };
    let shown = path.display().to_string();
    if let Some(key) = file.api_key.clone().filter(|k| !k.trim().is_empty()) {
        return Ok(Some(Credentials {
            api_key: ApiKey::new(key.trim().to_owned()),
            source: KeySource::ConfigFile(shown),
            workspace,
        }));
    }
    if let Some(command) = &file.api_key_command {
        let key = run_key_command(command, &shown)?;
        return Ok(Some(Credentials {
            api_key: ApiKey::new(key),
            source: KeySource::Command(shown),
            workspace,
        }));
    }
    Ok(None)
}

fn run_key_command(command: &str, path: &str) -> Result<String, ConfigError> {
    let failed = |reason: String| ConfigError::KeyCommand {
        path: path.to_owned(),
        reason,
    };
    let output = Command::new("sh")
        .args(["-c", command])
        .output()
        .map_err(|e| failed(format!("cannot run sh: {e}")))?;
    if !output.status.success() {
        // Its stderr may help; its stdout might hold a secret and is never shown.
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr.lines().next().unwrap_or("").trim();
        return Err(failed(format!(
            "{}{}{first}",
            output.status,
            if first.is_empty() { "" } else { ": " }
        )));
    }
    let key = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if key.is_empty() {
        return Err(failed("it printed nothing".into()));
    }
    Ok(key)
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

    #[test]
    fn the_environment_wins_over_the_file() {
        let (_dir, path) = config("api_key = \"from-file\"\nworkspace = \"ws-1\"\n");
        let found = find(
            Some("from-env"),
            Some(&path),
            &settings::load(Some(&path)).expect("parses"),
        )
        .expect("ok")
        .expect("a key");
        assert_eq!(found.source, KeySource::Environment);
        assert_eq!(found.api_key.expose_for_tests(), "from-env");
        assert_eq!(found.workspace.as_deref(), Some("ws-1"));
    }

    #[test]
    fn the_file_key_and_the_key_command_are_read() {
        let (_dir, path) = config("api_key = \"from-file\"\n");
        let found = find(
            None,
            Some(&path),
            &settings::load(Some(&path)).expect("parses"),
        )
        .expect("ok")
        .expect("a key");
        assert!(matches!(found.source, KeySource::ConfigFile(_)));
        assert_eq!(found.api_key.expose_for_tests(), "from-file");

        let (_dir, path) = config("api_key_command = \"echo sk-from-command\"\n");
        let found = find(
            None,
            Some(&path),
            &settings::load(Some(&path)).expect("parses"),
        )
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
    fn a_failing_key_command_says_why_without_its_output() {
        let (_dir, path) = config("api_key_command = \"echo sk-secret; echo nope >&2; exit 3\"\n");
        let loaded = settings::load(Some(&path)).expect("parses");
        let err = find(None, Some(&path), &loaded)
            .expect_err("fails")
            .to_string();
        assert!(
            err.contains("api_key_command") && err.contains("nope"),
            "{err}"
        );
        assert!(!err.contains("sk-secret"), "{err}");
    }

    #[test]
    fn no_key_anywhere_is_none() {
        let (_dir, path) = config("voice = \"longanyang\"\n");
        assert!(
            find(
                None,
                Some(&path),
                &settings::load(Some(&path)).expect("parses")
            )
            .expect("ok")
            .is_none()
        );
        assert!(
            find(Some("  "), None, &FileSettings::default())
                .expect("ok")
                .is_none()
        );
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
