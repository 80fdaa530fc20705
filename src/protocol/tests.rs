//! Golden tests: our messages against the official SDK's captured frames, and liberal parsing.

use serde_json::{Value, json};

use super::*;

/// The `c2s` text frames of a capture, with task ids blanked.
fn sdk_frames(scenario: &str) -> Vec<Value> {
    let path = format!(
        "{}/tests/fixtures/captures/{scenario}.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("capture fixture");
    text.lines()
        .map(|line| serde_json::from_str::<Value>(line).expect("capture line"))
        .filter(|line| line["dir"] == "c2s" && line["kind"] == "text")
        .map(|line| blank_task_id(line["data"].clone()))
        .collect()
}

fn blank_task_id(mut frame: Value) -> Value {
    frame["header"]["task_id"] = json!("T");
    frame
}

fn ours(message: &ClientMessage) -> Value {
    blank_task_id(serde_json::to_value(message).expect("serializes"))
}

fn default_parameters(voice: &str) -> Parameters {
    Parameters::plain(voice, "Default", 0)
}

#[test]
fn streaming_frames_match_the_sdk() {
    let model = "cosyvoice-v3-flash";
    let expected = sdk_frames("2.0.2/streaming");
    let parameters = Parameters {
        format: "pcm".into(),
        sample_rate: 22050,
        ..default_parameters("longanyang")
    };
    let got = vec![
        ours(&ClientMessage::run_task("x", model, parameters)),
        ours(&ClientMessage::continue_task("x", model, "流式文本")),
        ours(&ClientMessage::continue_task("x", model, "第二段,")),
        ours(&ClientMessage::continue_task("x", model, "第三段。")),
        ours(&ClientMessage::finish_task("x")),
    ];
    assert_eq!(got, expected);
}

#[test]
fn flush_and_cancel_frames_match_the_sdk() {
    let model = "cosyvoice-v3-flash";
    let expected = sdk_frames("2.0.2/flush_cancel");
    let got = vec![
        ours(&ClientMessage::run_task(
            "x",
            model,
            default_parameters("longanyang"),
        )),
        ours(&ClientMessage::continue_task("x", model, "第一句")),
        ours(&ClientMessage::flush("x", model)),
        ours(&ClientMessage::continue_task("x", model, "第二句")),
        ours(&ClientMessage::cancel_task("x")),
    ];
    assert_eq!(got, expected);
}

#[test]
fn every_parameter_matches_the_sdk() {
    let expected = sdk_frames("2.0.2/allparams");
    let mut pronunciation = std::collections::BTreeMap::new();
    pronunciation.insert("草地".to_owned(), "cao3 di4".to_owned());
    let mut replace = std::collections::BTreeMap::new();
    replace.insert("草地".to_owned(), "草弟".to_owned());
    let parameters = Parameters {
        volume: 80,
        sample_rate: 48000,
        rate: 1.2,
        format: "opus".into(),
        pitch: 0.9,
        seed: 42,
        bit_rate: Some(32),
        word_timestamp_enabled: Some(true),
        enable_aigc_tag: Some(true),
        aigc_propagator: Some("prop-x".into()),
        aigc_propagate_id: Some("pid-y".into()),
        enable_markdown_filter: Some(true),
        phoneme_timestamp_enabled: Some(true),
        hot_fix: Some(HotFix {
            pronunciation: vec![pronunciation],
            replace: vec![replace],
        }),
        instruction: Some("用开心的语气说话".into()),
        language_hints: Some(vec!["zh".into()]),
        ..default_parameters("longanyang")
    };
    let run = ours(&ClientMessage::run_task(
        "x",
        "cosyvoice-v3-plus",
        parameters,
    ));
    assert_eq!(run, expected[0]);
    // Key order too, as the SDK sends it.
    let keys: Vec<&String> = run["payload"]["parameters"]
        .as_object()
        .expect("object")
        .keys()
        .collect();
    let sdk_keys: Vec<&String> = expected[0]["payload"]["parameters"]
        .as_object()
        .expect("object")
        .keys()
        .collect();
    assert_eq!(keys, sdk_keys);
}

#[test]
fn ssml_call_frames_match_the_sdk() {
    let model = "cosyvoice-v3-flash";
    let expected = sdk_frames("2.0.2/call_nocb");
    let parameters = Parameters {
        enable_ssml: Some(true),
        ..default_parameters("longanyang")
    };
    assert_eq!(
        ours(&ClientMessage::run_task("x", model, parameters)),
        expected[0]
    );
    assert_eq!(ours(&ClientMessage::finish_task("x")), expected[2]);
    // The continue-task carries the whole text.
    let text = expected[1]["payload"]["input"]["text"]
        .as_str()
        .expect("text");
    assert_eq!(
        ours(&ClientMessage::continue_task("x", model, text)),
        expected[1]
    );
}

#[test]
fn every_client_frame_of_every_capture_parses_and_round_trips() {
    let dir = format!("{}/tests/fixtures/captures", env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for version in ["2.0.2", "1.24.10"] {
        for entry in std::fs::read_dir(format!("{dir}/{version}")).expect("captures") {
            let name = entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .replace(".jsonl", "");
            if name == "realtime" || name == "enroll" {
                continue; // other protocols
            }
            for frame in sdk_frames(&format!("{version}/{name}")) {
                let parsed: ClientMessage = serde_json::from_value(frame.clone()).expect("parses");
                assert_eq!(
                    blank_task_id(serde_json::to_value(&parsed).expect("serializes")),
                    frame,
                    "{name}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 40, "only {checked} frames checked");
}

#[test]
fn server_events_parse_liberally() {
    let failed = ServerMessage::parse(
        r#"{"header":{"task_id":"t","event":"task-failed","error_code":"InvalidParameter","error_message":"bad","attributes":{}},"payload":{}}"#,
    )
    .expect("parses");
    assert_eq!(failed.header.event, Event::TaskFailed);
    assert_eq!(
        failed.header.error_code.as_deref(),
        Some("InvalidParameter")
    );

    let unknown =
        ServerMessage::parse(r#"{"header":{"event":"something-new","extra":1},"payload":{"x":2}}"#)
            .expect("parses");
    assert_eq!(unknown.header.event, Event::Unknown);

    let finished =
        ServerMessage::parse(r#"{"header":{"task_id":"t","event":"task-finished"},"payload":{"output":{},"usage":null}}"#)
            .expect("null usage is accepted");
    assert_eq!(finished.characters(), None);

    let sentence = ServerMessage::parse(
        r#"{"header":{"task_id":"t","event":"result-generated","attributes":{}},"payload":{"output":{"type":"sentence-end","sentence":{"index":0,"words":[{"text":"你","begin_index":0,"end_index":1,"begin_time":0,"end_time":200}]},"original_text":"你好"},"usage":{"characters":4}}}"#,
    )
    .expect("parses");
    assert_eq!(sentence.output_kind(), Some("sentence-end"));
    assert_eq!(sentence.characters(), Some(4));
}

#[test]
fn every_server_frame_of_the_captures_parses() {
    let dir = format!(
        "{}/tests/fixtures/captures/2.0.2",
        env!("CARGO_MANIFEST_DIR")
    );
    for entry in std::fs::read_dir(dir).expect("captures") {
        let path = entry.expect("entry").path();
        if path.to_string_lossy().contains("realtime") || path.to_string_lossy().contains("enroll")
        {
            continue;
        }
        for line in std::fs::read_to_string(&path).expect("read").lines() {
            let line: Value = serde_json::from_str(line).expect("json");
            if line["dir"] == "s2c" && line["kind"] == "text" {
                serde_json::from_value::<ServerMessage>(line["data"].clone())
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            }
        }
    }
}

#[test]
fn fields_that_do_not_matter_never_make_an_event_unreadable() {
    // Each of these was once dropped whole as unparsable (issue 11, 3.7).
    let finished = ServerMessage::parse(
        r#"{"header":{"task_id":"t","event":"task-finished","attributes":null},"payload":null}"#,
    )
    .expect("null attributes and payload");
    assert_eq!(finished.header.event, Event::TaskFinished);
    assert_eq!(finished.payload, ServerPayload::default());

    let failed = ServerMessage::parse(
        r#"{"header":{"task_id":null,"event":"task-failed","error_code":44,"error_message":null}}"#,
    )
    .expect("numeric code, null task id and message");
    assert_eq!(failed.header.error_code.as_deref(), Some("44"));
    assert_eq!(failed.header.task_id, "");
    assert_eq!(failed.header.error_message, None);

    let negative = ServerMessage::parse(
        r#"{"header":{"task_id":"t","event":"result-generated","extra":[1]},
            "payload":{"output":{"type":"sentence-end","sentence":{"index":-1,"words":[{"begin_index":-3}]},
                                 "original_text":"Hi.","novel":true},
                       "usage":{"characters":-5,"input_tokens":"x"}}}"#,
    )
    .expect("negative counts and unknown fields");
    assert_eq!(negative.output_kind(), Some("sentence-end"));
    assert_eq!(negative.characters(), None, "a negative count is no count");
    let output = negative.payload.output.expect("output");
    assert_eq!(output.original_text.as_deref(), Some("Hi."));
    assert_eq!(output.sentence.expect("sentence").index, 0);

    // Without an event there is nothing to act on.
    assert!(ServerMessage::parse(r#"{"header":{"task_id":"t"}}"#).is_err());
}
