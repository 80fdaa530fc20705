//! `tts chat` flags to a [`ChatConfig`]: the `say` settings for the speech, the model, its
//! endpoint and whose key it takes.

use std::time::Duration;

use super::args::{ChatArgs, RegionArg};
use super::config::{
    ConfigError, Environment, SinkConfig, ranged_f64, speech_config, with_settings,
};
use super::credentials;
use super::settings;
use crate::chat::{self, ChatConfig, LlmConfig};
use crate::output::file::Target;
use crate::session::ApiKey;

/// Validate `tts chat`: every `say` flag applies, the prompt is TEXT (or the --file's).
pub(super) fn chat_config(
    mut args: ChatArgs,
    env: &Environment,
) -> Result<ChatConfig, ConfigError> {
    let mut prompt = args.say.text.join(" ");
    for path in &args.say.files {
        let text = if path.as_os_str() == "-" {
            std::io::read_to_string(std::io::stdin())
        } else {
            std::fs::read_to_string(path)
        }
        .map_err(|e| ConfigError::InputNotReadable {
            path: path.clone(),
            reason: e.kind().to_string(),
        })?;
        if !prompt.is_empty() {
            prompt.push('\n');
        }
        prompt.push_str(&text);
    }
    if !(args.say.text.is_empty() && args.say.files.is_empty()) && prompt.trim().is_empty() {
        return Err(ConfigError::EmptyText);
    }
    args.say.text.clear();
    args.say.files.clear();
    chat_settings(&mut args, env)?;
    let prepared = with_settings(&mut args.say, env, true)?;
    // After the settings: a `region` from the config file picks the endpoint too.
    let llm = llm_config(&args, env)?;
    let mut speech = speech_config(args.say, env, prepared, Vec::new())?;
    // Answers are Markdown: filtered here whatever the engine, so a code block can be
    // announced and sentences spoken before their line ends.
    speech.feed.markdown = !args.llm.no_markdown_filter;
    speech.feed.keep_lines = false;
    speech.feed.streamed_markdown = true;
    let text_on_stderr = matches!(
        &speech.sink,
        SinkConfig::File(options) if matches!(options.target, Target::Stdout)
    );
    Ok(ChatConfig {
        speech,
        llm,
        prompt: (!prompt.trim().is_empty()).then_some(prompt),
        text_on_stderr,
    })
}

/// Fill the model's flags left unset from `[profile.NAME.chat]`, then `[chat]`.
fn chat_settings(args: &mut ChatArgs, env: &Environment) -> Result<(), ConfigError> {
    let file = settings::load(env.config_file.as_deref())?;
    let profile = settings::profile(&file, args.say.synthesis.profile.as_deref())?;
    let layers: Vec<&settings::ChatDefaults> = profile
        .map(|p| &p.chat)
        .into_iter()
        .chain([&file.chat])
        .collect();
    let llm = &mut args.llm;
    let mut thinking = None;
    for layer in layers {
        thinking = thinking.or(layer.show_thinking);
        llm.llm_model = llm.llm_model.take().or_else(|| layer.llm_model.clone());
        llm.llm_endpoint = llm
            .llm_endpoint
            .take()
            .or_else(|| layer.llm_endpoint.clone());
        llm.system = llm.system.take().or_else(|| layer.system.clone());
        llm.stall_timeout = llm.stall_timeout.or(layer.stall_timeout);
    }
    llm.show_thinking |= thinking == Some(true);
    Ok(())
}

/// The model, its endpoint and key: `--llm-endpoint` takes `--llm-key` or `OPENAI_API_KEY`;
/// the default endpoint (the service's, by region) takes the DashScope key.
fn llm_config(args: &ChatArgs, env: &Environment) -> Result<LlmConfig, ConfigError> {
    let llm = &args.llm;
    let stall = match llm.stall_timeout {
        None => chat::DEFAULT_STALL,
        Some(_) => Duration::from_secs_f64(ranged_f64(
            "--stall-timeout",
            llm.stall_timeout,
            0.1,
            3600.0,
            "0.1 to 3600",
        )?),
    };
    let given_key = llm.llm_key.as_deref().filter(|k| !k.trim().is_empty());
    let (endpoint, key, key_source) = match &llm.llm_endpoint {
        Some(endpoint) => {
            if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
                return Err(ConfigError::LlmEndpoint(endpoint.clone()));
            }
            let (key, source) = match (given_key, &env.openai_key) {
                (Some(key), _) => (Some(key.trim().to_owned()), "--llm-key"),
                (None, Some(key)) => (Some(key.trim().to_owned()), "OPENAI_API_KEY"),
                (None, None) => (None, "nowhere (no --llm-key or OPENAI_API_KEY was set)"),
            };
            (endpoint.clone(), key.map(ApiKey::new), source.to_owned())
        }
        None => {
            let endpoint = match args.say.synthesis.cosyvoice.region {
                Some(RegionArg::Cn) => chat::CN_ENDPOINT,
                _ => chat::INTL_ENDPOINT,
            };
            if let Some(key) = given_key {
                (
                    endpoint.to_owned(),
                    Some(ApiKey::new(key.trim().to_owned())),
                    "--llm-key".to_owned(),
                )
            } else {
                let file = settings::load(env.config_file.as_deref())?;
                let Some(found) = credentials::find(env, &file)? else {
                    let config = env
                        .config_file
                        .as_ref()
                        .map_or_else(|| "the config file".into(), |p| p.display().to_string());
                    return Err(ConfigError::NoApiKey { config });
                };
                (
                    endpoint.to_owned(),
                    Some(found.api_key),
                    found.source.to_string(),
                )
            }
        }
    };
    Ok(LlmConfig {
        endpoint: endpoint.trim_end_matches('/').to_owned(),
        model: llm
            .llm_model
            .clone()
            .unwrap_or_else(|| chat::DEFAULT_MODEL.to_owned()),
        system: llm.system.clone().filter(|s| !s.trim().is_empty()),
        key,
        key_source,
        show_thinking: llm.show_thinking,
        stall,
    })
}
