use super::*;
use crate::dashscope::qwen::protocol::{ResponseInfo, SessionInfo, Usage};

fn config(mode: Mode) -> SessionConfig {
    SessionConfig {
        voice: "Cherry".into(),
        mode,
        response_format: "pcm".into(),
        sample_rate: 24000,
        volume: None,
        speech_rate: None,
        pitch_rate: None,
        bit_rate: None,
        enable_tn: None,
        language_type: None,
        instructions: None,
        optimize_instructions: None,
    }
}

fn kinds(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .map(|a| match a {
            Action::Send(event) => serde_json::to_value(event.as_ref()).expect("json")["type"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
            Action::Audio(_) => "audio".into(),
            Action::Connect => "connect".into(),
            Action::Report(Report::TaskEnded) => "task-ended".into(),
            Action::Report(_) => "report".into(),
            Action::Close => "close".into(),
            Action::Finished => "finished".into(),
            Action::Fail(_) => "fail".into(),
        })
        .collect()
}

fn event(kind: &str) -> Input {
    Input::Event(Box::new(ServerEvent {
        kind: kind.into(),
        ..ServerEvent::default()
    }))
}

fn open(mode: Mode, limit: usize) -> Machine {
    let mut machine = Machine::new(config(mode), limit);
    assert_eq!(kinds(&machine.handle(Input::Connected)), ["session.update"]);
    machine.handle(Input::Event(Box::new(ServerEvent {
        kind: "session.created".into(),
        session: Some(SessionInfo {
            id: Some("sess_1".into()),
        }),
        ..ServerEvent::default()
    })));
    machine.handle(event("session.updated"));
    machine
}

fn done(characters: u64) -> Input {
    Input::Event(Box::new(ServerEvent {
        kind: "response.done".into(),
        response: Some(ResponseInfo {
            id: Some("resp_1".into()),
            status: Some("completed".into()),
            usage: Some(Usage {
                characters: Some(characters),
            }),
        }),
        ..ServerEvent::default()
    }))
}

#[test]
fn server_commit_appends_as_text_comes_commits_on_flush_and_finishes_at_the_end() {
    let mut machine = open(Mode::ServerCommit, 1000);
    assert_eq!(
        kinds(&machine.handle(Input::Text("Hello there. ".into()))),
        ["input_text_buffer.append"]
    );
    assert_eq!(
        kinds(&machine.handle(Input::Text("and then".into()))),
        ["input_text_buffer.append"]
    );
    assert_eq!(
        kinds(&machine.handle(Input::Flush)),
        ["input_text_buffer.commit"]
    );
    assert_eq!(
        kinds(&machine.handle(Input::EndOfInput)),
        ["session.finish"]
    );
    assert_eq!(machine.waiting(), Some(Waiting::Progress));
    assert_eq!(
        kinds(&machine.handle(event("session.finished"))),
        ["close", "finished"]
    );
}

#[test]
fn commit_mode_commits_each_sentence_and_ends_a_piece_when_its_responses_are_done() {
    let mut machine = open(Mode::Commit, 1000);
    assert_eq!(
        kinds(&machine.handle(Input::Text("One. ".into()))),
        ["input_text_buffer.append", "input_text_buffer.commit"]
    );
    assert_eq!(kinds(&machine.handle(Input::EndTask)), Vec::<String>::new());
    assert_eq!(machine.waiting(), Some(Waiting::Progress));
    assert_eq!(kinds(&machine.handle(done(5))), ["report", "task-ended"]);
    // The session goes on for the next piece.
    assert_eq!(
        kinds(&machine.handle(Input::Text("Two.".into()))),
        ["input_text_buffer.append", "input_text_buffer.commit"]
    );
}

#[test]
fn a_full_session_rolls_over_with_nothing_lost_or_repeated() {
    let mut machine = open(Mode::ServerCommit, 10);
    machine.handle(Input::Text("12345678. ".into()));
    assert_eq!(
        kinds(&machine.handle(Input::Text("abc.".into()))),
        ["session.finish"]
    );
    assert_eq!(
        kinds(&machine.handle(event("session.finished"))),
        ["close", "connect"]
    );
    let actions = machine.handle(Input::Connected);
    assert_eq!(
        kinds(&actions),
        ["session.update", "input_text_buffer.append"]
    );
    assert!(
        matches!(&actions[1], Action::Send(e) if matches!(e.as_ref(), ClientEvent::Append { text, .. } if text == "abc.")),
        "{actions:?}"
    );
}

#[test]
fn a_close_with_speech_owed_fails_and_one_without_reconnects_for_more_text() {
    let mut machine = open(Mode::Commit, 1000);
    machine.handle(Input::Text("One.".into()));
    let actions = machine.handle(Input::Closed {
        code: Some(1000),
        reason: String::new(),
    });
    assert_eq!(kinds(&actions), ["fail"]);

    let mut machine = open(Mode::Commit, 1000);
    machine.handle(Input::Text("One.".into()));
    machine.handle(done(4));
    assert!(
        machine
            .handle(Input::Closed {
                code: Some(1000),
                reason: String::new()
            })
            .is_empty()
    );
    assert_eq!(
        kinds(&machine.handle(Input::Text("Two.".into()))),
        ["connect"]
    );
}

#[test]
fn an_error_event_fails_with_code_message_and_hint() {
    let mut machine = open(Mode::ServerCommit, 1000);
    let actions = machine.handle(Input::Event(Box::new(ServerEvent {
        kind: "error".into(),
        error: Some(crate::dashscope::qwen::protocol::ErrorInfo {
            code: Some("invalid_value".into()),
            message: Some("only client commit mode supports clear operation".into()),
            kind: None,
            param: None,
        }),
        ..ServerEvent::default()
    })));
    match &actions[..] {
        [Action::Fail(error)] => {
            let text = error.to_string();
            assert!(
                text.contains("invalid_value") && text.contains("--qwen-mode commit"),
                "{text}"
            );
            assert!(text.contains("sess_1"), "{text}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn in_server_commit_a_piece_ends_with_its_session_and_the_next_text_opens_another() {
    let mut machine = open(Mode::ServerCommit, 1000);
    machine.handle(Input::Text("One.".into()));
    assert_eq!(kinds(&machine.handle(Input::EndTask)), ["session.finish"]);
    assert_eq!(
        kinds(&machine.handle(event("session.finished"))),
        ["close", "task-ended"]
    );
    assert_eq!(machine.state(), &State::Idle);
    assert_eq!(
        kinds(&machine.handle(Input::Text("Two.".into()))),
        ["connect"]
    );
}

#[test]
fn quiet_input_finishes_the_session_and_ctrl_c_cancels_the_response() {
    let mut machine = open(Mode::Commit, 1000);
    assert!(machine.handle(Input::Idle).is_empty(), "nothing said yet");
    machine.handle(Input::Text("One.".into()));
    assert_eq!(kinds(&machine.handle(Input::Idle)), ["session.finish"]);
    let mut machine = open(Mode::Commit, 1000);
    machine.handle(Input::Text("One.".into()));
    assert_eq!(
        kinds(&machine.handle(Input::Cancel)),
        ["response.cancel", "close", "finished"]
    );
}

#[test]
fn the_start_timeout_applies_until_session_updated_and_then_the_progress_one() {
    let mut machine = Machine::new(config(Mode::Commit), 1000);
    machine.handle(Input::Connected);
    assert_eq!(machine.waiting(), Some(Waiting::Start));
    machine.handle(Input::EndOfInput);
    assert_eq!(machine.waiting(), None, "nothing to say: closed at once");
    let mut machine = Machine::new(config(Mode::Commit), 1000);
    machine.handle(Input::Connected);
    machine.handle(Input::Text("One.".into()));
    machine.handle(event("session.updated"));
    assert_eq!(
        machine.waiting(),
        Some(Waiting::Progress),
        "a response is owed"
    );
    assert_eq!(kinds(&machine.handle(Input::ProgressTimeout)), ["fail"]);
}
