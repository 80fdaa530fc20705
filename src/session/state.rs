//! The session's pure state machine: for each thing that happens, what to send and report.
//!
//! No I/O and no clock: the worker feeds it inputs (including timeouts it measured) and carries
//! out the actions it returns, so every transition is unit-tested without tokio.

use std::collections::VecDeque;

use super::SessionError;
use crate::protocol::{ClientMessage, Event, Parameters, ServerMessage, Word};
use crate::text::count;

/// Something that happened.
#[derive(Debug)]
pub enum Input {
    /// The WebSocket is open.
    Connected,
    /// A text frame from the server.
    Event(ServerMessage),
    /// A binary frame: audio.
    Audio(Vec<u8>),
    /// A fragment of text to speak.
    Text(String),
    /// Speak what the server holds back now.
    Flush,
    /// No more text will come.
    EndOfInput,
    /// The input has been quiet a while: end the task cleanly before the service's 23 s limit.
    Idle,
    /// The text sent so far makes one piece (a file of `tts convert`): finish its task, and
    /// report [`Report::TaskEnded`] once all of it is spoken; later text starts a new task on
    /// the same connection.
    EndTask,
    /// Ctrl-C: stop now.
    Cancel,
    /// The server closed the connection (or it dropped).
    Closed {
        /// The close code, if a close frame came.
        code: Option<u16>,
        /// Its reason.
        reason: String,
    },
    /// The server sent a frame over our size limit (the socket is dropped).
    TooLarge(String),
    /// task-started did not come in time.
    StartTimeout,
    /// Nothing came from the server for too long while waiting for it.
    ProgressTimeout,
}

/// What the worker must do, in order.
#[derive(Debug, PartialEq)]
pub enum Action {
    /// Send this message (boxed: run-task carries every parameter).
    Send(Box<ClientMessage>),
    /// Hand audio bytes on.
    Audio(Vec<u8>),
    /// Open a new connection, then feed [`Input::Connected`].
    Connect,
    /// Tell the caller something.
    Report(Report),
    /// Close the socket normally.
    Close,
    /// Everything is done; stop.
    Finished,
    /// The session failed; close and stop.
    Fail(SessionError),
}

/// Progress worth telling the caller about.
#[derive(Debug, Clone, PartialEq)]
pub enum Report {
    /// The service accepted a task.
    TaskStarted {
        /// Its id.
        task_id: String,
    },
    /// A sentence event.
    Sentence {
        /// `sentence-begin`, `sentence-synthesis` or `sentence-end`.
        kind: String,
        /// Index in the task.
        index: u32,
        /// The sentence's text, when the event carries it.
        text: Option<String>,
        /// Word timings, when asked for.
        words: Vec<Word>,
    },
    /// A task ended well.
    TaskFinished {
        /// Its id.
        task_id: String,
        /// Billed characters, when reported.
        characters: Option<u64>,
    },
    /// Everything sent before [`Input::EndTask`] is spoken.
    TaskEnded,
}

/// Where the session is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Opening the WebSocket.
    Connecting,
    /// run-task sent; waiting for task-started.
    Starting,
    /// Text may be sent.
    Streaming,
    /// finish-task sent; waiting for task-finished.
    Finishing {
        /// What comes after.
        then: Then,
    },
    /// Connected, no task: the input went quiet.
    Idle,
    /// The server closed an idle connection; the next text reconnects.
    Disconnected,
    /// Every task finished (or was cancelled).
    Done,
    /// A failure ended the session.
    Failed,
}

/// What follows a finished task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Then {
    /// The input ended: close.
    Close,
    /// Text is waiting for a new task (the 200,000 rollover).
    NewTask,
    /// The input went quiet: wait for more.
    Wait,
}

/// The most fragments held back while no task can take them...
const MAX_QUEUED_ENTRIES: usize = 256;
/// ...and the most bytes of text (a few messages' worth).
const MAX_QUEUED_BYTES: usize = 256 * 1024;

/// Text waiting to be sent.
#[derive(Debug)]
enum Pending {
    Text(String),
    Flush,
    EndTask,
}

/// The machine.
pub struct Machine {
    state: State,
    model: String,
    parameters: Parameters,
    ssml: bool,
    new_task_id: Box<dyn FnMut() -> String + Send>,
    task_id: String,
    queue: VecDeque<Pending>,
    /// Entries and text bytes in `queue`, for [`Machine::wants_input`].
    queued: (usize, usize),
    task_chars: usize,
    texts_in_task: usize,
    texts_sent: usize,
    input_ended: bool,
    /// The task in flight was finished by [`Input::EndTask`].
    ending: bool,
}

impl Machine {
    /// A machine for tasks of `model` with `parameters`; `new_task_id` makes each task's id.
    pub fn new(
        model: &str,
        parameters: Parameters,
        new_task_id: Box<dyn FnMut() -> String + Send>,
    ) -> Self {
        Self {
            state: State::Connecting,
            model: model.to_owned(),
            ssml: parameters.enable_ssml == Some(true),
            parameters,
            new_task_id,
            task_id: String::new(),
            queue: VecDeque::new(),
            queued: (0, 0),
            task_chars: 0,
            texts_in_task: 0,
            texts_sent: 0,
            input_ended: false,
            ending: false,
        }
    }

    /// The current state.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Whether more input may be taken now. Text waits here while no task can take it (before
    /// task-started, while a full task finishes); past a bound the worker stops reading its
    /// input, so a reader faster than the service is held back instead of filling memory.
    pub fn wants_input(&self) -> bool {
        self.queued.0 < MAX_QUEUED_ENTRIES && self.queued.1 < MAX_QUEUED_BYTES
    }

    /// Set the sample rate asked for, before the first run-task (the device's rate, known once
    /// it is open, while the connection was being made).
    pub fn set_sample_rate(&mut self, rate: u32) {
        self.parameters.sample_rate = rate;
    }

    /// The current task's id (empty before the first).
    pub fn task_id(&self) -> &str {
        &self.task_id
    }

    /// Advance on `input`.
    pub fn handle(&mut self, input: Input) -> Vec<Action> {
        let mut actions = Vec::new();
        if matches!(self.state, State::Done | State::Failed) {
            return actions;
        }
        match input {
            Input::Connected => {
                if self.state == State::Connecting {
                    self.start_task(&mut actions);
                }
            }
            Input::Text(text) => {
                self.queued.0 += 1;
                self.queued.1 += text.len();
                self.queue.push_back(Pending::Text(text));
                match self.state {
                    State::Idle => self.start_task(&mut actions),
                    State::Disconnected => {
                        self.state = State::Connecting;
                        actions.push(Action::Connect);
                    }
                    _ => self.pump(&mut actions),
                }
            }
            Input::Flush => {
                self.queued.0 += 1;
                self.queue.push_back(Pending::Flush);
                self.pump(&mut actions);
            }
            Input::EndOfInput => {
                self.input_ended = true;
                if matches!(self.state, State::Idle | State::Disconnected) {
                    self.state = State::Done;
                    actions.push(Action::Close);
                    actions.push(Action::Finished);
                } else {
                    self.pump(&mut actions);
                }
            }
            Input::EndTask => {
                if matches!(self.state, State::Idle | State::Disconnected) && self.queue.is_empty()
                {
                    actions.push(Action::Report(Report::TaskEnded));
                } else {
                    self.queued.0 += 1;
                    self.queue.push_back(Pending::EndTask);
                    self.pump(&mut actions);
                }
            }
            Input::Idle => {
                if self.state == State::Streaming && self.texts_in_task > 0 && self.queue.is_empty()
                {
                    actions.push(Action::Send(Box::new(ClientMessage::finish_task(
                        &self.task_id,
                    ))));
                    self.state = State::Finishing { then: Then::Wait };
                }
            }
            Input::Audio(bytes) => {
                // Audio belongs to the running task: before task-started it would precede a
                // file's header, after task-finished it would land in the next file.
                if self.task_running() {
                    actions.push(Action::Audio(bytes));
                } else {
                    tracing::debug!(
                        bytes = bytes.len(),
                        state = ?self.state,
                        "ignoring audio outside a running task"
                    );
                }
            }
            Input::Event(message) => self.on_event(message, &mut actions),
            Input::Cancel => {
                if matches!(
                    self.state,
                    State::Starting | State::Streaming | State::Finishing { .. }
                ) {
                    actions.push(Action::Send(Box::new(ClientMessage::cancel_task(
                        &self.task_id,
                    ))));
                }
                actions.push(Action::Close);
                actions.push(Action::Finished);
                self.state = State::Done;
            }
            Input::Closed { .. } if self.state == State::Idle => {
                // Servers may close a connection that carries no task; the next text reconnects.
                self.state = State::Disconnected;
            }
            Input::Closed { code, reason } => {
                self.fail(
                    SessionError::Closed {
                        code,
                        reason,
                        task_id: self.task_id.clone(),
                    },
                    &mut actions,
                );
            }
            Input::TooLarge(detail) => {
                self.fail(
                    SessionError::FrameTooLarge {
                        detail,
                        task_id: self.task_id.clone(),
                    },
                    &mut actions,
                );
            }
            Input::StartTimeout => {
                if self.state == State::Starting {
                    self.fail(
                        SessionError::StartTimeout {
                            task_id: self.task_id.clone(),
                        },
                        &mut actions,
                    );
                }
            }
            Input::ProgressTimeout => {
                if matches!(self.state, State::Finishing { .. }) {
                    self.fail(
                        SessionError::Stalled {
                            task_id: self.task_id.clone(),
                        },
                        &mut actions,
                    );
                }
            }
        }
        actions
    }

    /// Whether a task has started and not yet ended: the only time its audio and events count.
    fn task_running(&self) -> bool {
        matches!(self.state, State::Streaming | State::Finishing { .. })
    }

    /// Whether `message` is about the current task: its id matches (a server that sends no id
    /// is taken at its word), and the task is one the server may speak of now.
    fn is_current(&self, message: &ServerMessage) -> bool {
        let id = message.header.task_id.as_str();
        let ours = id.is_empty() || id == self.task_id;
        let live = match message.header.event {
            Event::TaskStarted => self.state == State::Starting,
            Event::TaskFailed => self.task_running() || self.state == State::Starting,
            _ => self.task_running(),
        };
        ours && live
    }

    fn on_event(&mut self, message: ServerMessage, actions: &mut Vec<Action>) {
        if message.header.event == Event::Unknown {
            return;
        }
        if !self.is_current(&message) {
            tracing::debug!(
                event = ?message.header.event,
                task_id = %message.header.task_id,
                current = %self.task_id,
                state = ?self.state,
                "ignoring an event of another or a finished task"
            );
            return;
        }
        match message.header.event {
            Event::TaskStarted => {
                self.state = State::Streaming;
                actions.push(Action::Report(Report::TaskStarted {
                    task_id: self.task_id.clone(),
                }));
                self.pump(actions);
            }
            Event::ResultGenerated => {
                let output = message.payload.output.unwrap_or_default();
                let sentence = output.sentence.unwrap_or_default();
                actions.push(Action::Report(Report::Sentence {
                    kind: output.kind.unwrap_or_default(),
                    index: sentence.index,
                    text: output.original_text,
                    words: sentence.words,
                }));
            }
            Event::TaskFinished => match self.state {
                State::Finishing { then } => {
                    actions.push(Action::Report(Report::TaskFinished {
                        task_id: self.task_id.clone(),
                        characters: message.characters(),
                    }));
                    if std::mem::take(&mut self.ending) {
                        actions.push(Action::Report(Report::TaskEnded));
                    }
                    match then {
                        Then::NewTask => self.start_task(actions),
                        Then::Wait if !self.queue.is_empty() => self.start_task(actions),
                        Then::Wait if !self.input_ended => self.state = State::Idle,
                        Then::Wait | Then::Close => {
                            self.state = State::Done;
                            actions.push(Action::Close);
                            actions.push(Action::Finished);
                        }
                    }
                }
                _ => self.fail(
                    SessionError::Protocol {
                        detail: "the service ended the task before tts finished sending text"
                            .into(),
                        task_id: self.task_id.clone(),
                    },
                    actions,
                ),
            },
            Event::TaskFailed => {
                let error = SessionError::TaskFailed {
                    code: message
                        .header
                        .error_code
                        .unwrap_or_else(|| "unknown".into()),
                    message: message.header.error_message.unwrap_or_default(),
                    task_id: self.task_id.clone(),
                };
                self.fail(error, actions);
            }
            Event::Unknown => {}
        }
    }

    /// Send what can be sent in the current state; finish when input has ended.
    fn pump(&mut self, actions: &mut Vec<Action>) {
        while self.state == State::Streaming {
            let Some(next) = self.queue.pop_front() else {
                break;
            };
            self.queued.0 -= 1;
            if let Pending::Text(text) = &next {
                self.queued.1 -= text.len();
            }
            match next {
                Pending::EndTask if self.texts_in_task > 0 => {
                    actions.push(Action::Send(Box::new(ClientMessage::finish_task(
                        &self.task_id,
                    ))));
                    self.state = State::Finishing { then: Then::Wait };
                    self.ending = true;
                    return;
                }
                Pending::EndTask => actions.push(Action::Report(Report::TaskEnded)),
                Pending::Flush => {
                    actions.push(Action::Send(Box::new(ClientMessage::flush(
                        &self.task_id,
                        &self.model,
                    ))));
                }
                Pending::Text(text) => {
                    let chars = if self.ssml {
                        count::billed_ssml(&text)
                    } else {
                        count::billed(&text)
                    };
                    if self.texts_in_task > 0
                        && (self.ssml || self.task_chars + chars > count::MAX_PER_TASK)
                    {
                        // This task is full: finish it and carry on in a new one.
                        self.queued.0 += 1;
                        self.queued.1 += text.len();
                        self.queue.push_front(Pending::Text(text));
                        actions.push(Action::Send(Box::new(ClientMessage::finish_task(
                            &self.task_id,
                        ))));
                        self.state = State::Finishing {
                            then: Then::NewTask,
                        };
                        return;
                    }
                    self.task_chars += chars;
                    self.texts_in_task += 1;
                    self.texts_sent += 1;
                    actions.push(Action::Send(Box::new(ClientMessage::continue_task(
                        &self.task_id,
                        &self.model,
                        &text,
                    ))));
                }
            }
        }
        if self.state == State::Streaming && self.input_ended && self.queue.is_empty() {
            if self.texts_sent == 0 {
                // Nothing to say: no finish-task, which the service would refuse.
                self.state = State::Done;
                actions.push(Action::Close);
                actions.push(Action::Finished);
            } else {
                actions.push(Action::Send(Box::new(ClientMessage::finish_task(
                    &self.task_id,
                ))));
                self.state = State::Finishing { then: Then::Close };
            }
        }
    }

    fn start_task(&mut self, actions: &mut Vec<Action>) {
        self.task_id = (self.new_task_id)();
        self.task_chars = 0;
        self.texts_in_task = 0;
        self.state = State::Starting;
        actions.push(Action::Send(Box::new(ClientMessage::run_task(
            &self.task_id,
            &self.model,
            self.parameters.clone(),
        ))));
    }

    fn fail(&mut self, error: SessionError, actions: &mut Vec<Action>) {
        self.state = State::Failed;
        actions.push(Action::Fail(error));
    }
}

#[cfg(test)]
mod tests;
