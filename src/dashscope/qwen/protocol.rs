//! Serde types of Qwen-TTS-Realtime events, both directions: what the client sends exactly as
//! the SDK sends it, and what the server sends read leniently (unknown fields and events are
//! ignored, either error shape is accepted).

use serde::{Deserialize, Serialize};

/// `session.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The server decides when to speak what was appended.
    ServerCommit,
    /// The client's `input_text_buffer.commit` starts each response.
    Commit,
}

impl Mode {
    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            Self::ServerCommit => "server_commit",
            Self::Commit => "commit",
        }
    }
}

/// `session` of `session.update`: the four fields both SDKs always send, then only what was
/// given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionConfig {
    /// A system voice, or a custom voice id (VC/VD models).
    pub voice: String,
    /// Who commits.
    pub mode: Mode,
    /// `pcm`, `wav`, `mp3` or `opus`.
    pub response_format: String,
    /// Hz.
    pub sample_rate: u32,
    /// 0 to 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<u8>,
    /// 0.5 to 2.0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speech_rate: Option<f64>,
    /// 0.5 to 2.0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pitch_rate: Option<f64>,
    /// kbps, 6 to 510.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bit_rate: Option<u32>,
    /// Text normalisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_tn: Option<bool>,
    /// `Auto`, `Chinese`, `English`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language_type: Option<String>,
    /// A style instruction (instruct models).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// Let the service refine the instruction (instruct models).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optimize_instructions: Option<bool>,
}

/// A client event. `event_id` is `event_` and 32 hex digits, as both SDKs make it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum ClientEvent {
    /// Configure the session.
    #[serde(rename = "session.update")]
    SessionUpdate {
        /// The event's id.
        event_id: String,
        /// The settings.
        session: Box<SessionConfig>,
    },
    /// Text to speak.
    #[serde(rename = "input_text_buffer.append")]
    Append {
        /// The event's id.
        event_id: String,
        /// The text, whitespace and all.
        text: String,
    },
    /// Speak what is buffered.
    #[serde(rename = "input_text_buffer.commit")]
    Commit {
        /// The event's id.
        event_id: String,
    },
    /// Drop what is buffered (commit mode).
    #[serde(rename = "input_text_buffer.clear")]
    Clear {
        /// The event's id.
        event_id: String,
    },
    /// Stop the response being spoken.
    #[serde(rename = "response.cancel")]
    Cancel {
        /// The event's id.
        event_id: String,
    },
    /// No more text: speak the rest, then `session.finished`.
    #[serde(rename = "session.finish")]
    Finish {
        /// The event's id.
        event_id: String,
    },
}

/// A fresh client event id.
pub fn event_id() -> String {
    format!("event_{}", uuid::Uuid::new_v4().simple())
}

impl ClientEvent {
    /// `session.update`.
    pub fn update(session: SessionConfig) -> Self {
        Self::SessionUpdate {
            event_id: event_id(),
            session: Box::new(session),
        }
    }

    /// `input_text_buffer.append`.
    pub fn append(text: &str) -> Self {
        Self::Append {
            event_id: event_id(),
            text: text.to_owned(),
        }
    }

    /// `input_text_buffer.commit`.
    pub fn commit() -> Self {
        Self::Commit {
            event_id: event_id(),
        }
    }

    /// `response.cancel`.
    pub fn cancel() -> Self {
        Self::Cancel {
            event_id: event_id(),
        }
    }

    /// `session.finish`.
    pub fn finish() -> Self {
        Self::Finish {
            event_id: event_id(),
        }
    }
}

/// A server event, every field optional: each event type uses some of them.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ServerEvent {
    /// The event type (`session.created`, `response.audio.delta`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// The server's id of the event.
    #[serde(default)]
    pub event_id: Option<String>,
    /// `session.created` / `session.updated`.
    #[serde(default)]
    pub session: Option<SessionInfo>,
    /// `response.created` / `response.done`.
    #[serde(default)]
    pub response: Option<ResponseInfo>,
    /// `response.audio.delta`: base64 audio.
    #[serde(default)]
    pub delta: Option<String>,
    /// The response an event of a response belongs to.
    #[serde(default)]
    pub response_id: Option<String>,
    /// `error`.
    #[serde(default)]
    pub error: Option<ErrorInfo>,
}

/// The parts of `session` a client reads.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct SessionInfo {
    /// `sess_…`.
    #[serde(default)]
    pub id: Option<String>,
}

/// The parts of `response` a client reads.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ResponseInfo {
    /// `resp_…`.
    #[serde(default)]
    pub id: Option<String>,
    /// `in_progress`, `completed`, `cancelled`, `failed`, `incomplete`.
    #[serde(default)]
    pub status: Option<String>,
    /// What was billed.
    #[serde(default)]
    pub usage: Option<Usage>,
}

/// `response.usage`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Usage {
    /// Qwen3 models: billed characters (a CJK character counts 2).
    #[serde(default)]
    pub characters: Option<u64>,
}

/// `error`, in either documented shape (`type`, `param` and `event_id` only in the richer one).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ErrorInfo {
    /// `invalid_value`, ...
    #[serde(default)]
    pub code: Option<String>,
    /// What went wrong.
    #[serde(default)]
    pub message: Option<String>,
    /// `invalid_request_error`, ...
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The offending field.
    #[serde(default)]
    pub param: Option<String>,
}

impl ServerEvent {
    /// Parse a text frame.
    pub fn parse(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    const CAPTURE: &str = include_str!("../../../tests/fixtures/captures/2.0.2/realtime.jsonl");

    /// The frames the SDK sent, with their `event_id`s removed.
    fn sdk_frames() -> Vec<Value> {
        CAPTURE
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|record| record["dir"] == "c2s")
            .map(|record| {
                let mut data = record["data"].clone();
                if let Some(object) = data.as_object_mut() {
                    object.remove("event_id");
                }
                data
            })
            .collect()
    }

    fn ours(event: &ClientEvent) -> Value {
        let mut value = serde_json::to_value(event).expect("serializes");
        let id = value["event_id"].as_str().expect("an event_id").to_owned();
        assert!(
            id.len() == 38
                && id.starts_with("event_")
                && id[6..].chars().all(|c| c.is_ascii_hexdigit()),
            "event_ + 32 hex digits, as the SDK: {id}"
        );
        value.as_object_mut().expect("an object").remove("event_id");
        value
    }

    #[test]
    fn our_frames_equal_the_sdks_field_for_field() {
        let sdk = sdk_frames();
        let find =
            |kind: &str| -> Vec<&Value> { sdk.iter().filter(|f| f["type"] == kind).collect() };
        // The SDK's update also carries an extra keyword argument passed through verbatim
        // (`extra_field`); every field tts can set is compared.
        let mut update = find("session.update")[0].clone();
        update["session"]
            .as_object_mut()
            .expect("session")
            .remove("extra_field");
        let session = SessionConfig {
            voice: "Cherry".into(),
            mode: Mode::Commit,
            response_format: "pcm".into(),
            sample_rate: 16000,
            volume: Some(60),
            speech_rate: Some(1.1),
            pitch_rate: Some(1.0),
            bit_rate: Some(128),
            enable_tn: Some(true),
            language_type: Some("Chinese".into()),
            instructions: Some("温柔地说".into()),
            optimize_instructions: Some(true),
        };
        assert_eq!(ours(&ClientEvent::update(session)), update);
        let appends = find("input_text_buffer.append");
        assert_eq!(ours(&ClientEvent::append("你好,")), *appends[0]);
        assert_eq!(ours(&ClientEvent::append("世界。")), *appends[1]);
        assert_eq!(
            ours(&ClientEvent::commit()),
            *find("input_text_buffer.commit")[0]
        );
        assert_eq!(ours(&ClientEvent::cancel()), *find("response.cancel")[0]);
        assert_eq!(ours(&ClientEvent::finish()), *find("session.finish")[0]);
        let clear = ClientEvent::Clear {
            event_id: event_id(),
        };
        assert_eq!(ours(&clear), *find("input_text_buffer.clear")[0]);
    }

    #[test]
    fn only_given_options_are_sent() {
        let session = SessionConfig {
            voice: "Cherry".into(),
            mode: Mode::ServerCommit,
            response_format: "mp3".into(),
            sample_rate: 24000,
            volume: None,
            speech_rate: None,
            pitch_rate: None,
            bit_rate: None,
            enable_tn: None,
            language_type: None,
            instructions: None,
            optimize_instructions: None,
        };
        let value = ours(&ClientEvent::update(session));
        let keys: Vec<&String> = value["session"]
            .as_object()
            .expect("session")
            .keys()
            .collect();
        assert_eq!(keys.len(), 4, "{keys:?}");
        assert_eq!(value["session"]["mode"], "server_commit");
    }

    #[test]
    fn every_server_event_of_the_capture_parses() {
        let events: Vec<ServerEvent> = CAPTURE
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|record| record["dir"] == "s2c")
            .map(|record| ServerEvent::parse(&record["data"].to_string()).expect("parses"))
            .collect();
        assert_eq!(events[0].kind, "session.created");
        assert_eq!(
            events[0].session.as_ref().and_then(|s| s.id.as_deref()),
            Some("sess_381a13c975134d85")
        );
        let done = events
            .iter()
            .find(|e| e.kind == "response.done")
            .expect("response.done");
        let usage = done.response.as_ref().and_then(|r| r.usage.as_ref());
        assert_eq!(usage.and_then(|u| u.characters), Some(6));
        assert!(
            events
                .iter()
                .any(|e| e.kind == "response.audio.delta" && e.delta.is_some())
        );
        let error = events.iter().find(|e| e.kind == "error").expect("an error");
        assert_eq!(
            error.error.as_ref().and_then(|e| e.code.as_deref()),
            Some("invalid_value")
        );
    }

    #[test]
    fn the_richer_error_shape_parses() {
        let event = ServerEvent::parse(
            r#"{"event_id":"event_x","type":"error","error":{"type":"invalid_request_error","code":"invalid_value","message":"m","param":"session.voice","event_id":"event_1"}}"#,
        )
        .expect("parses");
        let error = event.error.expect("error");
        assert_eq!(error.kind.as_deref(), Some("invalid_request_error"));
        assert_eq!(error.param.as_deref(), Some("session.voice"));
    }
}
