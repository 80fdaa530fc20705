//! `tts voice …` and `tts token` arguments turned into a [`VoiceConfig`]: the service's base
//! address, the key (or temporary token) and the action, checked before anything is sent.

use std::time::Duration;

use super::ConfigError;
use super::args::{RegionArg, ServiceArgs, TokenArgs, VoiceCommand};
use super::config::Environment;
use super::{credentials, settings};
use crate::dashscope::customization::DesignRequest;
use crate::dashscope::endpoints::{self, Region};
use crate::voice::rules::{self, DEFAULT_CLONE_TARGET, DEFAULT_DESIGN_TARGET};
use crate::voice::{Action, CloneOptions, DesignOptions, Service, Source, VoiceConfig};

fn service(args: &ServiceArgs, env: &Environment) -> Result<Service, ConfigError> {
    let region = args.region.map(|r| match r {
        RegionArg::Intl => Region::Intl,
        RegionArg::Cn => Region::Cn,
    });
    let base = endpoints::http_base(args.endpoint.as_deref(), region, env.http_url.as_deref())?;
    let file = settings::load(env.config_file.as_deref())?;
    let found = credentials::find(env, &file)?;
    let Some(credentials) = found else {
        let config = env
            .config_file
            .as_ref()
            .map_or_else(|| "the config file".into(), |p| p.display().to_string());
        return Err(ConfigError::NoApiKey { config });
    };
    let workspace = args
        .workspace
        .clone()
        .or_else(|| env.workspace.clone())
        .or(credentials.workspace);
    Ok(Service {
        base,
        key: credentials.api_key,
        workspace,
    })
}

fn source(sample: Option<std::path::PathBuf>, url: Option<String>) -> Source {
    match (sample, url) {
        (_, Some(url)) => Source::Url(url),
        (Some(path), None) => Source::File(path),
        // clap requires one of the two.
        (None, None) => Source::File(std::path::PathBuf::new()),
    }
}

/// `tts voice …`.
pub fn voice_config(command: VoiceCommand, env: &Environment) -> Result<VoiceConfig, ConfigError> {
    let (service_args, action) = match command {
        VoiceCommand::Clone(args) => (
            args.service,
            Action::Clone(CloneOptions {
                source: source(args.sample, args.url),
                name: args.name,
                target_model: args.model.unwrap_or_else(|| DEFAULT_CLONE_TARGET.into()),
                language: args.language,
                text: args.text,
                wait: Duration::from_secs(args.wait),
            }),
        ),
        VoiceCommand::Design(args) => {
            let language = args.language.clone();
            let preview_language = language
                .clone()
                .unwrap_or_else(|| rules::language_of(&args.description).to_owned());
            let preview_text = args.preview_text.unwrap_or_else(|| {
                if preview_language == "zh" {
                    "你好，这是我的新声音。听起来怎么样？".to_owned()
                } else {
                    "Hello, this is my new voice. How does it sound?".to_owned()
                }
            });
            let response_format = match &args.output {
                None => "wav",
                Some(path) => match path
                    .extension()
                    .and_then(|e| e.to_str())
                    .map(str::to_ascii_lowercase)
                    .as_deref()
                {
                    Some("wav") => "wav",
                    Some("mp3") => "mp3",
                    _ => {
                        return Err(ConfigError::UnknownExtension { path: path.clone() });
                    }
                },
            };
            (
                args.service,
                Action::Design(DesignOptions {
                    request: DesignRequest {
                        target_model: args.model.unwrap_or_else(|| DEFAULT_DESIGN_TARGET.into()),
                        name: args.name,
                        voice_prompt: args.description,
                        preview_text,
                        language,
                        response_format,
                        sample_rate: 24_000,
                    },
                    output: args.output,
                    wait: Duration::from_secs(args.wait),
                }),
            )
        }
        VoiceCommand::List(args) => (args.service, Action::List { model: args.model }),
        VoiceCommand::Show(args) => (args.service, Action::Show { id: args.id }),
        VoiceCommand::Delete(args) => (
            args.service,
            Action::Delete {
                id: args.id,
                yes: args.yes,
            },
        ),
        VoiceCommand::Update(args) => (
            args.service,
            Action::Update {
                id: args.id,
                source: source(args.sample, args.url),
                wait: Duration::from_secs(args.wait),
            },
        ),
    };
    let service = service(&service_args, env)?;
    Ok(VoiceConfig {
        service,
        action,
        json: service_args.json,
    })
}

/// `tts token`.
pub fn token_config(args: &TokenArgs, env: &Environment) -> Result<VoiceConfig, ConfigError> {
    let ttl = u32::try_from(args.ttl)
        .ok()
        .filter(|t| (1..=1800).contains(t))
        .ok_or(ConfigError::OutOfRange {
            flag: "--ttl",
            value: args.ttl.to_string(),
            range: "1 to 1800 seconds",
        })?;
    Ok(VoiceConfig {
        service: service(&args.service, env)?,
        action: Action::Token { ttl },
        json: args.service.json,
    })
}
