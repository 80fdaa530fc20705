//! The CosyVoice duplex WebSocket protocol's messages, both directions, as serde types.
//!
//! No I/O here. What we send mirrors the official SDK's frames field for field (pinned by the
//! golden tests against `shared/protocol/captures`); what we accept is liberal: unknown fields
//! and unknown events are tolerated, and a field that is missing, `null` or of an unexpected
//! type takes its default (`lenient`), so only a missing or unreadable `header.event` makes
//! a server message unreadable.

use serde::{Deserialize, Deserializer, Serialize};

/// Deserialize a field the client can live without: `null`, a wrong type or an out-of-range
/// number (a negative count) gives the default instead of failing the whole message.
fn lenient<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned + Default,
{
    let value = serde_json::Value::deserialize(deserializer)?;
    Ok(T::deserialize(value).unwrap_or_default())
}

/// An error code as a string, whether the server sent `"InvalidParameter"` or `44`.
fn code_text<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Null => None,
        serde_json::Value::String(text) => Some(text),
        other => Some(other.to_string()),
    })
}

/// The `streaming` header value of every client message.
pub const STREAMING: &str = "duplex";
/// The fixed `task_group`, `task` and `function` of every payload that carries them.
pub const TASK_GROUP: &str = "audio";
/// See [`TASK_GROUP`].
pub const TASK: &str = "tts";
/// See [`TASK_GROUP`].
pub const FUNCTION: &str = "SpeechSynthesizer";

/// A client message: `run-task`, `continue-task` or `finish-task`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientMessage {
    /// Action and task id.
    pub header: ClientHeader,
    /// What the action carries.
    pub payload: ClientPayload,
}

/// The header every client message carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientHeader {
    /// What the client asks for.
    pub action: Action,
    /// The client's id for the task; the same for its three actions.
    pub task_id: String,
    /// Always `duplex`.
    #[serde(default = "duplex")]
    pub streaming: String,
}

fn duplex() -> String {
    STREAMING.to_owned()
}

/// The three client actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Start a task with its parameters.
    RunTask,
    /// Send text (or a flush).
    ContinueTask,
    /// No more text (or cancel).
    FinishTask,
}

/// A client payload. Which parts are present depends on the action.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ClientPayload {
    /// The model (run-task and, as the SDK does, continue-task).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Always `audio` where present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_group: Option<String>,
    /// Always `tts` where present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// Always `SpeechSynthesizer` where present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// Text, flush or cancel; `{}` in run-task and a plain finish-task.
    #[serde(default)]
    pub input: Input,
    /// The synthesis parameters (run-task only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Parameters>,
}

/// `payload.input`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Input {
    /// Text to speak (continue-task).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Speak what is buffered now (continue-task, no text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flush: Option<bool>,
    /// `cancel` (finish-task): stop early.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directive: Option<String>,
}

/// `payload.parameters` of run-task, in the SDK's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parameters {
    /// A system voice or a cloned voice id.
    pub voice: String,
    /// 0 to 100.
    pub volume: u8,
    /// Always `PlainText` (SSML is flagged by `enable_ssml`).
    pub text_type: String,
    /// Hz; `0` (the SDK's default format) means 22050.
    pub sample_rate: u32,
    /// Speaking rate, 0.5 to 2.0.
    pub rate: f64,
    /// `pcm`, `wav`, `mp3`, `opus`, or the SDK's placeholder `Default` (mp3).
    pub format: String,
    /// Pitch, 0.5 to 2.0.
    pub pitch: f64,
    /// 0 to 65535.
    pub seed: u32,
    /// The SDK's `synthesis_type`, always 0.
    #[serde(rename = "type", default)]
    pub synthesis_type: i32,
    /// kbps, sent for opus only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bit_rate: Option<u32>,
    /// Word begin/end times in `result-generated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub word_timestamp_enabled: Option<bool>,
    /// AIGC watermark metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_aigc_tag: Option<bool>,
    /// AIGC watermark metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aigc_propagator: Option<String>,
    /// AIGC watermark metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aigc_propagate_id: Option<String>,
    /// The service strips Markdown before speaking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_markdown_filter: Option<bool>,
    /// Phoneme times in `result-generated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phoneme_timestamp_enabled: Option<bool>,
    /// Pronunciation and replacement tables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hot_fix: Option<HotFix>,
    /// The text is SSML; only one continue-task is then allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_ssml: Option<bool>,
    /// A style instruction (v3 models).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instruction: Option<String>,
    /// The language of the text; only the first is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language_hints: Option<Vec<String>>,
}

impl Parameters {
    /// `voice` in `format` at `sample_rate`, with the SDK's defaults for everything else:
    /// volume 50, rate and pitch 1, seed 0, plain text, no options.
    pub fn plain(voice: &str, format: &str, sample_rate: u32) -> Self {
        Self {
            voice: voice.to_owned(),
            volume: 50,
            text_type: "PlainText".into(),
            sample_rate,
            rate: 1.0,
            format: format.to_owned(),
            pitch: 1.0,
            seed: 0,
            synthesis_type: 0,
            bit_rate: None,
            word_timestamp_enabled: None,
            enable_aigc_tag: None,
            aigc_propagator: None,
            aigc_propagate_id: None,
            enable_markdown_filter: None,
            phoneme_timestamp_enabled: None,
            hot_fix: None,
            enable_ssml: None,
            instruction: None,
            language_hints: None,
        }
    }
}

/// `hot_fix`: lists of single-entry maps, as the service expects.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct HotFix {
    /// Word -> pinyin with tone digits (`{"草地": "cao3 di4"}`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pronunciation: Vec<std::collections::BTreeMap<String, String>>,
    /// Text -> replacement text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replace: Vec<std::collections::BTreeMap<String, String>>,
}

impl ClientMessage {
    /// `run-task` with its parameters.
    pub fn run_task(task_id: &str, model: &str, parameters: Parameters) -> Self {
        Self {
            header: header(Action::RunTask, task_id),
            payload: ClientPayload {
                parameters: Some(parameters),
                ..task_payload(model, Input::default())
            },
        }
    }

    /// `continue-task` with text; the SDK repeats the model and task fields, and so do we.
    pub fn continue_task(task_id: &str, model: &str, text: &str) -> Self {
        Self {
            header: header(Action::ContinueTask, task_id),
            payload: task_payload(
                model,
                Input {
                    text: Some(text.to_owned()),
                    ..Input::default()
                },
            ),
        }
    }

    /// `continue-task` with `{"flush": true}`: speak what the server holds back.
    pub fn flush(task_id: &str, model: &str) -> Self {
        Self {
            header: header(Action::ContinueTask, task_id),
            payload: task_payload(
                model,
                Input {
                    flush: Some(true),
                    ..Input::default()
                },
            ),
        }
    }

    /// `finish-task`: no more text.
    pub fn finish_task(task_id: &str) -> Self {
        Self {
            header: header(Action::FinishTask, task_id),
            payload: ClientPayload::default(),
        }
    }

    /// `finish-task` with the cancel directive: stop early.
    pub fn cancel_task(task_id: &str) -> Self {
        Self {
            header: header(Action::FinishTask, task_id),
            payload: ClientPayload {
                input: Input {
                    directive: Some("cancel".into()),
                    ..Input::default()
                },
                ..ClientPayload::default()
            },
        }
    }
}

fn header(action: Action, task_id: &str) -> ClientHeader {
    ClientHeader {
        action,
        task_id: task_id.to_owned(),
        streaming: duplex(),
    }
}

fn task_payload(model: &str, input: Input) -> ClientPayload {
    ClientPayload {
        model: Some(model.to_owned()),
        task_group: Some(TASK_GROUP.into()),
        task: Some(TASK.into()),
        function: Some(FUNCTION.into()),
        input,
        parameters: None,
    }
}

/// A server event (text frame). Audio comes in binary frames, not here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerMessage {
    /// Event name, task id, and for task-failed the error.
    pub header: ServerHeader,
    /// Sentence events and usage.
    #[serde(default, deserialize_with = "lenient")]
    pub payload: ServerPayload,
}

/// `header` of a server event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerHeader {
    /// The task the event is about; empty when the server sent none (or `null`).
    #[serde(default, deserialize_with = "lenient")]
    pub task_id: String,
    /// Which event.
    pub event: Event,
    /// task-failed: the service's error code (a number is taken as its digits).
    #[serde(
        default,
        deserialize_with = "code_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub error_code: Option<String>,
    /// task-failed: the service's message.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub error_message: Option<String>,
    /// Always `{}` so far (`null` is taken as empty).
    #[serde(default, deserialize_with = "lenient")]
    pub attributes: serde_json::Map<String, serde_json::Value>,
}

/// The server's events; anything else is [`Event::Unknown`] and ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Event {
    /// run-task accepted: text may be sent.
    TaskStarted,
    /// A sentence began, was synthesized, or ended.
    ResultGenerated,
    /// Every audio frame was sent; the task is over.
    TaskFinished,
    /// The task failed; see the header's error fields.
    TaskFailed,
    /// An event this client does not know.
    #[serde(other)]
    Unknown,
}

/// `payload` of a server event.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ServerPayload {
    /// Sentence data (result-generated).
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub output: Option<Output>,
    /// Billed characters so far (sentence-end, task-finished); may be `null`.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub usage: Option<Usage>,
}

/// `payload.output` of result-generated.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Output {
    /// `sentence-begin`, `sentence-synthesis` or `sentence-end`.
    #[serde(
        rename = "type",
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub kind: Option<String>,
    /// The sentence and its words.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub sentence: Option<Sentence>,
    /// The sentence's text (sentence-begin and sentence-end).
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub original_text: Option<String>,
}

/// A sentence in result-generated.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Sentence {
    /// Its index in the task, from 0.
    #[serde(default, deserialize_with = "lenient")]
    pub index: u32,
    /// Word timings, when asked for.
    #[serde(default, deserialize_with = "lenient")]
    pub words: Vec<Word>,
}

/// One word's position and time.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Word {
    /// The word.
    #[serde(default, deserialize_with = "lenient")]
    pub text: String,
    /// First character, from 0.
    #[serde(default, deserialize_with = "lenient")]
    pub begin_index: u32,
    /// One past the last character.
    #[serde(default, deserialize_with = "lenient")]
    pub end_index: u32,
    /// Milliseconds from the start of the task's audio.
    #[serde(default, deserialize_with = "lenient")]
    pub begin_time: u64,
    /// Milliseconds from the start of the task's audio.
    #[serde(default, deserialize_with = "lenient")]
    pub end_time: u64,
}

/// `usage`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Usage {
    /// Billed characters (CJK ideographs count 2).
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub characters: Option<u64>,
}

impl ServerMessage {
    /// Parse a text frame; `None` for what is not a server event (logged by the caller).
    pub fn parse(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The `sentence-...` sub-type of a result-generated event.
    pub fn output_kind(&self) -> Option<&str> {
        self.payload.output.as_ref()?.kind.as_deref()
    }

    /// The billed characters this event reports.
    pub fn characters(&self) -> Option<u64> {
        self.payload.usage.as_ref()?.characters
    }
}

#[cfg(test)]
mod tests;
