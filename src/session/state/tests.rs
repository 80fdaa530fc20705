//! Every state against every input that matters, without tokio.

use super::*;
use crate::protocol::Action as Verb;

fn parameters() -> Parameters {
    serde_json::from_value(serde_json::json!({
        "voice": "longanyang", "volume": 50, "text_type": "PlainText", "sample_rate": 22050,
        "rate": 1.0, "format": "pcm", "pitch": 1.0, "seed": 0, "type": 0
    }))
    .expect("parameters")
}

fn machine() -> Machine {
    let mut n = 0;
    Machine::new(
        "cosyvoice-v3-flash",
        parameters(),
        Box::new(move || {
            n += 1;
            format!("task{n}")
        }),
    )
}

fn event(name: &str) -> Input {
    Input::Event(
        ServerMessage::parse(&format!(
            r#"{{"header":{{"event":"{name}"}},"payload":{{}}}}"#
        ))
        .expect("event"),
    )
}

/// The actions of the messages sent, as (verb, task id, text).
fn sent(actions: &[Action]) -> Vec<(Verb, String, Option<String>)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send(m) => Some((
                m.header.action,
                m.header.task_id.clone(),
                m.payload.input.text.clone(),
            )),
            _ => None,
        })
        .collect()
}

fn started() -> Machine {
    let mut m = machine();
    m.handle(Input::Connected);
    m.handle(event("task-started"));
    m
}

#[test]
fn connect_sends_run_task_then_waits() {
    let mut m = machine();
    let actions = m.handle(Input::Connected);
    assert_eq!(sent(&actions), [(Verb::RunTask, "task1".into(), None)]);
    assert_eq!(m.state(), &State::Starting);
}

#[test]
fn text_waits_for_task_started_then_flows_in_order() {
    let mut m = machine();
    m.handle(Input::Connected);
    assert!(
        sent(&m.handle(Input::Text("one.".into()))).is_empty(),
        "no text before task-started"
    );
    assert!(sent(&m.handle(Input::Flush)).is_empty());
    let actions = m.handle(event("task-started"));
    assert!(matches!(
        actions[0],
        Action::Report(Report::TaskStarted { .. })
    ));
    let verbs = sent(&actions);
    assert_eq!(
        verbs[0],
        (Verb::ContinueTask, "task1".into(), Some("one.".into()))
    );
    assert_eq!(verbs[1].0, Verb::ContinueTask, "the flush");
    assert_eq!(
        sent(&m.handle(Input::Text("two.".into()))),
        [(Verb::ContinueTask, "task1".into(), Some("two.".into()))]
    );
}

#[test]
fn end_of_input_finishes_and_task_finished_closes() {
    let mut m = started();
    m.handle(Input::Text("one.".into()));
    assert_eq!(
        sent(&m.handle(Input::EndOfInput)),
        [(Verb::FinishTask, "task1".into(), None)]
    );
    assert_eq!(m.state(), &State::Finishing { then: Then::Close });
    let actions = m.handle(event("task-finished"));
    assert!(matches!(
        actions[0],
        Action::Report(Report::TaskFinished { .. })
    ));
    assert_eq!(actions[1..], [Action::Close, Action::Finished]);
    assert_eq!(m.state(), &State::Done);
}

#[test]
fn end_of_input_before_task_started_finishes_after_the_queue() {
    let mut m = machine();
    m.handle(Input::Connected);
    m.handle(Input::Text("one.".into()));
    m.handle(Input::EndOfInput);
    let verbs = sent(&m.handle(event("task-started")));
    assert_eq!(
        verbs.iter().map(|v| v.0).collect::<Vec<_>>(),
        [Verb::ContinueTask, Verb::FinishTask]
    );
}

#[test]
fn no_text_at_all_ends_without_finish_task() {
    let mut m = started();
    let actions = m.handle(Input::EndOfInput);
    assert!(sent(&actions).is_empty());
    assert_eq!(actions, [Action::Close, Action::Finished]);
}

#[test]
fn audio_and_sentences_pass_through() {
    let mut m = started();
    assert_eq!(
        m.handle(Input::Audio(vec![1, 2])),
        [Action::Audio(vec![1, 2])]
    );
    let sentence = ServerMessage::parse(
        r#"{"header":{"event":"result-generated"},"payload":{"output":{"type":"sentence-begin","sentence":{"index":3},"original_text":"Hi."}}}"#,
    )
    .expect("event");
    let actions = m.handle(Input::Event(sentence));
    assert_eq!(
        actions,
        [Action::Report(Report::Sentence {
            kind: "sentence-begin".into(),
            index: 3,
            text: Some("Hi.".into()),
            words: vec![]
        })]
    );
    assert!(
        m.handle(event("something-new")).is_empty(),
        "unknown events are ignored"
    );
}

#[test]
fn task_failed_at_any_stage_fails_with_the_service_error() {
    for stage in 0..3 {
        let mut m = machine();
        m.handle(Input::Connected);
        if stage >= 1 {
            m.handle(event("task-started"));
            m.handle(Input::Text("x".into()));
        }
        if stage >= 2 {
            m.handle(Input::EndOfInput);
        }
        let failed = ServerMessage::parse(
            r#"{"header":{"task_id":"task1","event":"task-failed","error_code":"InvalidParameter","error_message":"[tts:]Engine return error code: 418"},"payload":{}}"#,
        )
        .expect("event");
        let actions = m.handle(Input::Event(failed));
        let Some(Action::Fail(error)) = actions.last() else {
            panic!("stage {stage}: {actions:?}")
        };
        let text = error.to_string();
        assert!(
            text.contains("InvalidParameter")
                && text.contains("task1")
                && text.contains("check -v VOICE"),
            "{text}"
        );
        assert_eq!(m.state(), &State::Failed);
        assert!(
            m.handle(Input::Text("more".into())).is_empty(),
            "nothing after a failure"
        );
    }
}

#[test]
fn a_close_before_task_finished_is_an_error() {
    let mut m = started();
    m.handle(Input::Text("x".into()));
    m.handle(Input::EndOfInput);
    let actions = m.handle(Input::Closed {
        code: Some(1011),
        reason: "boom".into(),
    });
    let Some(Action::Fail(error)) = actions.last() else {
        panic!("{actions:?}")
    };
    assert_eq!(
        error.to_string(),
        "the connection closed before task task1 finished (close code 1011: boom)"
    );
}

#[test]
fn timeouts_apply_only_where_tts_waits_for_the_server() {
    let mut m = machine();
    m.handle(Input::Connected);
    assert!(matches!(
        m.handle(Input::StartTimeout).last(),
        Some(Action::Fail(SessionError::StartTimeout { .. }))
    ));

    let mut m = started();
    assert!(m.handle(Input::StartTimeout).is_empty(), "already started");
    assert!(
        m.handle(Input::ProgressTimeout).is_empty(),
        "streaming: the input may be slow"
    );
    m.handle(Input::Text("x".into()));
    m.handle(Input::EndOfInput);
    assert!(matches!(
        m.handle(Input::ProgressTimeout).last(),
        Some(Action::Fail(SessionError::Stalled { .. }))
    ));
}

#[test]
fn cancel_sends_the_cancel_directive_and_stops() {
    let mut m = started();
    m.handle(Input::Text("x".into()));
    let actions = m.handle(Input::Cancel);
    let Action::Send(message) = &actions[0] else {
        panic!("{actions:?}")
    };
    assert_eq!(message.header.action, Verb::FinishTask);
    assert_eq!(message.payload.input.directive.as_deref(), Some("cancel"));
    assert_eq!(actions[1..], [Action::Close, Action::Finished]);
}

#[test]
fn a_task_rolls_over_before_two_hundred_thousand_characters() {
    let mut m = started();
    let sentence = "a".repeat(19_000);
    for _ in 0..10 {
        let verbs = sent(&m.handle(Input::Text(sentence.clone())));
        assert_eq!(verbs.len(), 1);
        assert_eq!(verbs[0].0, Verb::ContinueTask);
    }
    // 190,000 sent; the next would pass 200,000: finish this task, start another.
    let verbs = sent(&m.handle(Input::Text(sentence.clone())));
    assert_eq!(verbs, [(Verb::FinishTask, "task1".into(), None)]);
    assert!(
        sent(&m.handle(Input::Text("next".into()))).is_empty(),
        "waits for the new task"
    );
    let verbs = sent(&m.handle(event("task-finished")));
    assert_eq!(verbs, [(Verb::RunTask, "task2".into(), None)]);
    let verbs = sent(&m.handle(event("task-started")));
    assert_eq!(
        verbs,
        [
            (Verb::ContinueTask, "task2".into(), Some(sentence)),
            (Verb::ContinueTask, "task2".into(), Some("next".into()))
        ]
    );
}

#[test]
fn task_finished_while_streaming_is_a_protocol_error() {
    let mut m = started();
    m.handle(Input::Text("x".into()));
    assert!(matches!(
        m.handle(event("task-finished")).last(),
        Some(Action::Fail(SessionError::Protocol { .. }))
    ));
}

#[test]
fn a_quiet_input_ends_the_task_and_new_text_starts_another() {
    let mut m = started();
    m.handle(Input::Text("one.".into()));
    assert_eq!(
        sent(&m.handle(Input::Idle)),
        [(Verb::FinishTask, "task1".into(), None)]
    );
    let actions = m.handle(event("task-finished"));
    assert!(matches!(
        actions[0],
        Action::Report(Report::TaskFinished { .. })
    ));
    assert_eq!(actions.len(), 1, "the connection stays open");
    assert_eq!(m.state(), &State::Idle);
    assert!(m.handle(Input::Idle).is_empty(), "nothing to end");
    assert_eq!(
        sent(&m.handle(Input::Text("two.".into()))),
        [(Verb::RunTask, "task2".into(), None)]
    );
    let verbs = sent(&m.handle(event("task-started")));
    assert_eq!(
        verbs,
        [(Verb::ContinueTask, "task2".into(), Some("two.".into()))]
    );
}

#[test]
fn text_during_the_idle_finish_goes_into_the_next_task() {
    let mut m = started();
    m.handle(Input::Text("one.".into()));
    m.handle(Input::Idle);
    assert!(
        sent(&m.handle(Input::Text("two.".into()))).is_empty(),
        "waits for task-finished"
    );
    assert_eq!(
        sent(&m.handle(event("task-finished"))),
        [(Verb::RunTask, "task2".into(), None)]
    );
}

#[test]
fn a_server_closing_an_idle_connection_means_reconnect_on_the_next_text() {
    let mut m = started();
    m.handle(Input::Text("one.".into()));
    m.handle(Input::Idle);
    m.handle(event("task-finished"));
    assert!(
        m.handle(Input::Closed {
            code: Some(1000),
            reason: String::new()
        })
        .is_empty(),
        "not an error"
    );
    assert_eq!(m.state(), &State::Disconnected);
    assert_eq!(m.handle(Input::Text("two.".into())), [Action::Connect]);
    assert_eq!(
        sent(&m.handle(Input::Connected)),
        [(Verb::RunTask, "task2".into(), None)]
    );
}

#[test]
fn the_end_of_input_while_idle_closes() {
    let mut m = started();
    m.handle(Input::Text("one.".into()));
    m.handle(Input::Idle);
    m.handle(event("task-finished"));
    assert_eq!(
        m.handle(Input::EndOfInput),
        [Action::Close, Action::Finished]
    );
}

fn ended(actions: &[Action]) -> bool {
    actions
        .iter()
        .any(|a| matches!(a, Action::Report(Report::TaskEnded)))
}

#[test]
fn end_task_finishes_the_piece_and_the_next_piece_reuses_the_connection() {
    let mut m = machine();
    m.handle(Input::Connected);
    // The first file's text and its end arrive before the task has even started.
    m.handle(Input::Text("one.".into()));
    assert!(
        m.handle(Input::EndTask).is_empty(),
        "nothing before task-started"
    );
    let verbs = sent(&m.handle(event("task-started")));
    assert_eq!(
        verbs,
        [
            (Verb::ContinueTask, "task1".into(), Some("one.".into())),
            (Verb::FinishTask, "task1".into(), None),
        ]
    );
    let actions = m.handle(event("task-finished"));
    assert!(ended(&actions), "the piece is reported spoken");
    assert!(
        !actions
            .iter()
            .any(|a| matches!(a, Action::Close | Action::Connect))
    );
    assert_eq!(m.state(), &State::Idle);
    // The second file: a new task, no new connection.
    let actions = m.handle(Input::Text("two.".into()));
    assert_eq!(sent(&actions), [(Verb::RunTask, "task2".into(), None)]);
    assert!(!actions.iter().any(|a| matches!(a, Action::Connect)));
}

#[test]
fn end_task_with_nothing_sent_ends_at_once_and_a_long_piece_ends_after_its_last_task() {
    let mut m = started();
    assert!(ended(&m.handle(Input::EndTask)), "an empty piece");
    // A piece over the task limit: the rollover's task-finished is not the piece's end.
    let big = "字".repeat(count::MAX_PER_TASK / 2 - 10);
    m.handle(Input::Text(big.clone()));
    let actions = m.handle(Input::Text(big));
    assert_eq!(sent(&actions), [(Verb::FinishTask, "task1".into(), None)]);
    m.handle(Input::EndTask);
    let actions = m.handle(event("task-finished"));
    assert!(!ended(&actions), "the rollover is not the end");
    let actions = m.handle(event("task-started"));
    assert_eq!(sent(&actions).len(), 2, "the rest, then finish-task");
    assert!(ended(&m.handle(event("task-finished"))));
}

fn event_of(name: &str, task_id: &str) -> Input {
    Input::Event(
        ServerMessage::parse(&format!(
            r#"{{"header":{{"event":"{name}","task_id":"{task_id}"}},"payload":{{}}}}"#
        ))
        .expect("event"),
    )
}

#[test]
fn events_of_another_or_a_finished_task_are_ignored() {
    let mut m = machine();
    m.handle(Input::Connected);
    for name in ["task-finished", "task-failed", "result-generated"] {
        assert!(m.handle(event_of(name, "stranger")).is_empty(), "{name}");
    }
    assert!(m.handle(event_of("task-started", "stranger")).is_empty());
    assert_eq!(m.state(), &State::Starting);
    m.handle(event_of("task-started", "task1"));
    assert_eq!(m.state(), &State::Streaming);
    m.handle(Input::Text("one.".into()));
    m.handle(Input::EndTask);
    assert!(m.handle(event_of("task-finished", "stranger")).is_empty());
    let actions = m.handle(event_of("task-finished", "task1"));
    assert!(actions.contains(&Action::Report(Report::TaskEnded)));
    // The finished task's late events change nothing.
    assert!(m.handle(event_of("task-failed", "task1")).is_empty());
    assert!(m.handle(event_of("task-finished", "task1")).is_empty());
    assert_eq!(m.state(), &State::Idle);
}

#[test]
fn audio_counts_only_while_its_task_runs() {
    let mut m = machine();
    assert!(m.handle(Input::Audio(vec![1])).is_empty(), "connecting");
    m.handle(Input::Connected);
    assert!(
        m.handle(Input::Audio(vec![2])).is_empty(),
        "before task-started"
    );
    m.handle(event("task-started"));
    assert_eq!(m.handle(Input::Audio(vec![3])), [Action::Audio(vec![3])]);
    m.handle(Input::Text("one.".into()));
    m.handle(Input::EndTask);
    assert_eq!(m.handle(Input::Audio(vec![4])), [Action::Audio(vec![4])]);
    m.handle(event("task-finished"));
    assert!(
        m.handle(Input::Audio(vec![5])).is_empty(),
        "after task-finished"
    );
}

#[test]
fn text_stops_being_taken_while_no_task_can_take_it() {
    let mut m = machine();
    m.handle(Input::Connected);
    let mut taken = 0;
    while m.wants_input() {
        m.handle(Input::Text("y ".repeat(250)));
        taken += 1;
        assert!(taken < 10_000, "bounded");
    }
    let actions = m.handle(event("task-started"));
    assert_eq!(sent(&actions).len(), taken, "all of it goes out at once");
    assert!(m.wants_input());
}
