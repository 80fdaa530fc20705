//! `tts voice` and `tts token`: your own voices, cloned from a recording or designed from a
//! description, for CosyVoice and Qwen; checked locally ([`sample`], [`rules`]) before anything
//! is sent, then made through [`crate::dashscope::customization`].

pub mod rules;
pub mod sample;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::cancel::CancelToken;
use crate::dashscope::customization::{
    CloneRequest, Customization, DesignRequest, Family, Preview, Recording, Voice,
};
use crate::dashscope::endpoints::HttpBase;
use crate::dashscope::http::{Client, HttpError};
use crate::dashscope::upload;
use crate::session::ApiKey;
use sample::SampleError;

/// Where and as whom to talk to the service.
#[derive(Debug, Clone)]
pub struct Service {
    /// The HTTP base.
    pub base: HttpBase,
    /// An API key or a temporary token.
    pub key: ApiKey,
    /// `X-DashScope-WorkSpace`.
    pub workspace: Option<String>,
}

/// Where a clone's recording comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A local file, checked and then uploaded (CosyVoice) or sent inline (Qwen).
    File(PathBuf),
    /// A public URL the service fetches; not checked here.
    Url(String),
}

/// `tts voice clone`, validated.
#[derive(Debug, Clone)]
pub struct CloneOptions {
    /// The recording.
    pub source: Source,
    /// Prefix or preferred name.
    pub name: String,
    /// The model that will speak with it.
    pub target_model: String,
    /// Its language.
    pub language: Option<String>,
    /// Its transcript (Qwen).
    pub text: Option<String>,
    /// How long to wait for `OK`.
    pub wait: Duration,
}

/// `tts voice design`, validated.
#[derive(Debug, Clone)]
pub struct DesignOptions {
    /// What the service is asked for.
    pub request: DesignRequest,
    /// Where to write the preview; `None` plays it.
    pub output: Option<PathBuf>,
    /// How long to wait for `OK`.
    pub wait: Duration,
}

/// A `tts voice` or `tts token` action, validated.
#[derive(Debug, Clone)]
pub enum Action {
    /// Clone a voice.
    Clone(CloneOptions),
    /// Design a voice.
    Design(DesignOptions),
    /// List voices, of one target model if given.
    List {
        /// Only voices for this model.
        model: Option<String>,
    },
    /// Show one voice.
    Show {
        /// Its id.
        id: String,
    },
    /// Delete one voice.
    Delete {
        /// Its id.
        id: String,
        /// Do not ask.
        yes: bool,
    },
    /// Make a CosyVoice clone again from another recording.
    Update {
        /// Its id.
        id: String,
        /// The new recording.
        source: Source,
        /// How long to wait for `OK`.
        wait: Duration,
    },
    /// Print a temporary token.
    Token {
        /// Its life, 1 to 1800 s.
        ttl: u32,
    },
}

/// `tts voice …` or `tts token`, validated.
#[derive(Debug, Clone)]
pub struct VoiceConfig {
    /// The service.
    pub service: Service,
    /// What to do.
    pub action: Action,
    /// Print JSON for scripts.
    pub json: bool,
}

/// Why a voice command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VoiceError {
    /// The sample fails a local check.
    #[error(transparent)]
    Sample(#[from] SampleError),
    /// A rule of the service, checked before sending anything.
    #[error(transparent)]
    Rule(#[from] rules::RuleError),
    /// The service or the network failed.
    #[error(transparent)]
    Http(#[from] HttpError),
    /// The service rejected the recording after accepting the request.
    #[error(
        "the service could not make voice {id} from the recording (status UNDEPLOYED); record 10 to 20 s of clear speech and try again"
    )]
    Undeployed {
        /// The voice.
        id: String,
    },
    /// Still not ready.
    #[error("voice {id} is still {status} after {seconds} s; check later with tts voice show {id}")]
    NotReady {
        /// The voice.
        id: String,
        /// Its last status.
        status: String,
        /// How long we waited.
        seconds: u64,
    },
    /// Ctrl-C.
    #[error("interrupted")]
    Interrupted,
    /// `delete` without `--yes` and the answer was not yes.
    #[error("not deleted")]
    NotConfirmed,
    /// The preview file could not be written.
    #[error("cannot write the preview to {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The preview could not be played.
    #[error("cannot play the preview: {0}")]
    Play(String),
    /// The runtime could not start.
    #[error("cannot start the network runtime")]
    Runtime(#[source] std::io::Error),
}

impl VoiceError {
    /// A problem with what the user gave (exit 2).
    pub fn is_usage(&self) -> bool {
        matches!(self, Self::Sample(_) | Self::Rule(_))
    }
}

/// Run a voice command; what to print on stdout, and notices for stderr as they come.
pub fn run(
    config: &VoiceConfig,
    cancel: &CancelToken,
    notice: &mut dyn FnMut(&str),
) -> Result<String, VoiceError> {
    // Every local check comes before the runtime, the client and any connection.
    let checked = precheck(config, notice)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(VoiceError::Runtime)?;
    runtime.block_on(async {
        let client = Client::new(
            &config.service.base.url,
            config.service.key.clone(),
            config.service.workspace.clone(),
        )?;
        let api = Customization::new(client.clone());
        tokio::select! {
            out = execute(config, checked, &client, &api, notice) => out,
            () = wait_cancel(cancel) => Err(VoiceError::Interrupted),
        }
    })
}

async fn wait_cancel(cancel: &CancelToken) {
    while !cancel.is_cancelled() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A sample that passed its checks.
struct Checked {
    bytes: Vec<u8>,
    container: sample::Container,
    file_name: String,
}

fn precheck(
    config: &VoiceConfig,
    notice: &mut dyn FnMut(&str),
) -> Result<Option<Checked>, VoiceError> {
    let region = config.service.base.region;
    let (source, target, family) = match &config.action {
        Action::Clone(clone) => {
            let family = rules::check_clone(clone, region)?;
            (&clone.source, clone.target_model.as_str(), family)
        }
        Action::Update { id, source, .. } => {
            let target = rules::check_update(id)?;
            (source, target, Family::CosyVoice)
        }
        Action::Design(design) => {
            rules::check_design(&design.request, region)?;
            return Ok(None);
        }
        _ => return Ok(None),
    };
    let Source::File(path) = source else {
        notice("note: a --url recording is not checked here; the service checks it");
        return Ok(None);
    };
    let sample = sample::read(path)?;
    let name = path.display().to_string();
    let sample_rules = if family == Family::CosyVoice {
        sample::Rules::COSYVOICE
    } else {
        sample::Rules::QWEN
    };
    for note in sample::check(&name, &sample, sample_rules)? {
        notice(&note);
    }
    tracing::debug!(
        target,
        rate = sample.rate,
        seconds = sample.seconds,
        "sample checked"
    );
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| format!("sample.{}", sample.container.extension()));
    Ok(Some(Checked {
        container: sample.container,
        bytes: sample.bytes,
        file_name,
    }))
}

async fn execute(
    config: &VoiceConfig,
    checked: Option<Checked>,
    client: &Client,
    api: &Customization,
    notice: &mut dyn FnMut(&str),
) -> Result<String, VoiceError> {
    match &config.action {
        Action::Clone(clone) => {
            let family = Family::of_target(&clone.target_model).unwrap_or(Family::CosyVoice);
            let recording = recording(client, &clone.source, checked, family).await?;
            let request = CloneRequest {
                target_model: clone.target_model.clone(),
                name: clone.name.clone(),
                recording,
                language: clone.language.clone(),
                text: clone.text.clone(),
            };
            let id = api.create_clone(&request).await?;
            let voice = ready(api, &id, family, clone.wait).await?;
            Ok(created(&voice, &clone.target_model, config.json))
        }
        Action::Design(design) => {
            let request = &design.request;
            let family = Family::of_target(&request.target_model).unwrap_or(Family::CosyVoice);
            let (id, preview) = api.create_design(request).await?;
            let voice = ready(api, &id, family, design.wait).await?;
            if let Some(preview) = preview {
                match &design.output {
                    Some(path) => {
                        write_preview(path, &preview)?;
                        notice(&format!("preview written to {}", path.display()));
                    }
                    None => play_preview(&preview).await?,
                }
            }
            Ok(created(&voice, &request.target_model, config.json))
        }
        Action::List { model } => {
            let mut voices = Vec::new();
            for family in Family::ALL {
                let mut found = api.list(family).await?;
                // A CosyVoice id embeds its model when the list does not say.
                for voice in &mut found {
                    if voice.target_model.is_none() {
                        voice.target_model = rules::target_of_id(&voice.id).map(str::to_owned);
                    }
                }
                voices.extend(found);
            }
            if let Some(model) = model {
                voices.retain(|v| v.target_model.as_deref() == Some(model.as_str()));
            }
            Ok(if config.json {
                json!(voices).to_string() + "\n"
            } else {
                table(&voices)
            })
        }
        Action::Show { id } => {
            let mut voice = api.query(id).await?;
            if voice.target_model.is_none() {
                voice.target_model = rules::target_of_id(id).map(str::to_owned);
            }
            Ok(if config.json {
                json!(voice).to_string() + "\n"
            } else {
                details(&voice)
            })
        }
        Action::Delete { id, yes } => {
            if !yes && std::io::stdin().is_terminal() && !confirm(id) {
                return Err(VoiceError::NotConfirmed);
            }
            api.delete(id).await?;
            Ok(if config.json {
                json!({ "deleted": id }).to_string() + "\n"
            } else {
                format!("deleted {id}\n")
            })
        }
        Action::Update { id, source, wait } => {
            let Recording::Url { url, oss } =
                recording(client, source, checked, Family::CosyVoice).await?
            else {
                return Ok(String::new());
            };
            api.update(id, &url, oss).await?;
            let voice = ready(api, id, Family::CosyVoice, *wait).await?;
            let target = voice
                .target_model
                .clone()
                .or_else(|| rules::target_of_id(id).map(str::to_owned))
                .unwrap_or_default();
            Ok(created(&voice, &target, config.json))
        }
        Action::Token { ttl } => {
            let token = api.token(*ttl).await?;
            Ok(if config.json {
                json!(token).to_string() + "\n"
            } else {
                notice(&format!(
                    "a temporary token valid for {ttl} s; give it to the app as its API key"
                ));
                format!("{}\n", token.token)
            })
        }
    }
}

/// The recording as the family takes it: CosyVoice through the temporary storage (an
/// `oss://` URL), Qwen inline.
async fn recording(
    client: &Client,
    source: &Source,
    checked: Option<Checked>,
    family: Family,
) -> Result<Recording, VoiceError> {
    match (source, checked) {
        (Source::Url(url), _) => Ok(Recording::Url {
            url: url.clone(),
            oss: url.starts_with("oss://"),
        }),
        (Source::File(_), Some(checked)) if family == Family::CosyVoice => {
            let url = upload::upload(
                client,
                family.model(),
                &checked.file_name,
                checked.container.mime(),
                checked.bytes,
            )
            .await?;
            Ok(Recording::Url { url, oss: true })
        }
        (Source::File(_), Some(checked)) => Ok(Recording::Inline {
            mime: checked.container.mime(),
            bytes: checked.bytes,
        }),
        (Source::File(path), None) => Err(VoiceError::Sample(SampleError::Unreadable {
            path: path.display().to_string(),
            reason: "it was not checked".into(),
        })),
    }
}

/// Poll a CosyVoice voice until `OK`, with a spinner on a terminal; Qwen voices are ready at
/// once.
async fn ready(
    api: &Customization,
    id: &str,
    family: Family,
    wait: Duration,
) -> Result<Voice, VoiceError> {
    if family != Family::CosyVoice {
        return Ok(api.query(id).await.unwrap_or_else(|_| Voice {
            id: id.to_owned(),
            family,
            target_model: None,
            status: None,
            created: None,
            modified: None,
            language: None,
            voice_prompt: None,
            preview_text: None,
            resource_link: None,
        }));
    }
    let spinner = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message(format!("waiting for {id} to be ready"));
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    });
    let started = Instant::now();
    let mut pause = Duration::from_millis(500);
    let outcome = loop {
        let voice = match api.query(id).await {
            Ok(voice) => voice,
            Err(e) => break Err(e.into()),
        };
        match voice.status.as_deref() {
            Some("OK") | None => break Ok(voice),
            Some("UNDEPLOYED") => break Err(VoiceError::Undeployed { id: id.to_owned() }),
            Some(status) => {
                if started.elapsed() >= wait {
                    break Err(VoiceError::NotReady {
                        id: id.to_owned(),
                        status: status.to_owned(),
                        seconds: wait.as_secs(),
                    });
                }
                if let Some(bar) = &spinner {
                    bar.set_message(format!("{id}: {status}"));
                }
            }
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(5));
    };
    if let Some(bar) = spinner {
        bar.finish_and_clear();
    }
    outcome
}

fn created(voice: &Voice, target: &str, json: bool) -> String {
    let model = voice.target_model.as_deref().unwrap_or(target);
    let usage = format!("tts say -m {model} -v {} \"Hello\"", voice.id);
    if json {
        return json!({
            "voice": voice.id,
            "target_model": model,
            "status": voice.status,
            "say": usage,
        })
        .to_string()
            + "\n";
    }
    format!("{}\nspeak with it: {usage}\n", voice.id)
}

fn table(voices: &[Voice]) -> String {
    if voices.is_empty() {
        return "no custom voices; make one with tts voice clone or tts voice design\n".into();
    }
    let rows: Vec<[String; 5]> = voices
        .iter()
        .map(|v| {
            [
                v.id.clone(),
                v.target_model.clone().unwrap_or_else(|| "-".into()),
                v.family.to_string(),
                v.status.clone().unwrap_or_else(|| "-".into()),
                v.created.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    let header = ["VOICE", "TARGET MODEL", "KIND", "STATUS", "CREATED"];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<w$}  "));
            }
        }
        out.trim_end().to_owned() + "\n"
    };
    let mut out = line(&header.map(str::to_owned));
    for row in &rows {
        out.push_str(&line(row));
    }
    out
}

fn details(voice: &Voice) -> String {
    let mut out = format!(
        "voice:        {}\nkind:         {}\n",
        voice.id, voice.family
    );
    let fields = [
        ("target model", &voice.target_model),
        ("status", &voice.status),
        ("language", &voice.language),
        ("created", &voice.created),
        ("modified", &voice.modified),
        ("description", &voice.voice_prompt),
        ("preview text", &voice.preview_text),
        ("recording", &voice.resource_link),
    ];
    for (name, value) in fields {
        if let Some(value) = value {
            out.push_str(&format!("{:<14}{value}\n", format!("{name}:")));
        }
    }
    if let Some(model) = &voice.target_model {
        out.push_str(&format!(
            "speak with:   tts say -m {model} -v {} \"Hello\"\n",
            voice.id
        ));
    }
    out
}

#[allow(clippy::print_stderr, reason = "the question is asked on the terminal")]
fn confirm(id: &str) -> bool {
    eprint!("delete voice {id}? This cannot be undone [y/N] ");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).is_ok()
        && matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// Write the preview through a temporary file renamed into place.
fn write_preview(path: &std::path::Path, preview: &Preview) -> Result<(), VoiceError> {
    let failed = |source| VoiceError::Write {
        path: path.to_owned(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(failed)?;
    std::io::Write::write_all(&mut file, &preview.audio).map_err(failed)?;
    // A temporary file is private; the preview is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = file
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    file.persist(path).map_err(|e| failed(e.error))?;
    Ok(())
}

/// Play the preview on the default device.
async fn play_preview(preview: &Preview) -> Result<(), VoiceError> {
    let preview = preview.clone();
    tokio::task::spawn_blocking(move || play_blocking(&preview))
        .await
        .map_err(|e| VoiceError::Play(e.to_string()))?
}

fn play_blocking(preview: &Preview) -> Result<(), VoiceError> {
    use crate::output::AudioSink;
    use crate::output::device::{Player, PlayerOptions};
    let (rate, samples): (u32, Vec<i16>) = if preview.format == "pcm" {
        (
            preview.sample_rate,
            preview
                .audio
                .chunks_exact(2)
                .map(|b| i16::from_le_bytes([b[0], b[1]]))
                .collect(),
        )
    } else {
        let decoded = sample::decode("the preview", preview.audio.clone())
            .map_err(|e| VoiceError::Play(e.to_string()))?;
        #[allow(clippy::cast_possible_truncation, reason = "clamped to the i16 range")]
        let samples = decoded
            .first
            .iter()
            .map(|s| (s.clamp(-1.0, 1.0) * f32::from(i16::MAX)) as i16)
            .collect();
        (decoded.rate, samples)
    };
    let rate = crate::audio::SampleRate::new(rate)
        .ok_or_else(|| VoiceError::Play(format!("a rate of {rate} Hz")))?;
    let play = || -> Result<(), crate::output::OutputError> {
        let device = Player::open(&PlayerOptions::default(), CancelToken::new())?;
        let mut player = Box::new(Player::new(device, rate)?);
        player.write(&samples)?;
        player.finish()?;
        Ok(())
    };
    play().map_err(|e| VoiceError::Play(e.to_string()))
}
