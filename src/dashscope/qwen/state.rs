//! The Qwen-TTS-Realtime session's pure state machine: for each thing that happens, what to send
//! and report. One connection is one session; a new session (a new connection) follows a quiet
//! spell, the end of a piece in `server_commit` mode, a per-session limit, or a close that left
//! nothing unspoken.
//!
//! No I/O and no clock: the worker feeds it inputs (including timeouts it measured) and carries
//! out the actions it returns.

use std::collections::VecDeque;

use base64::Engine as _;

use super::protocol::{ClientEvent, Mode, ServerEvent, SessionConfig};
use crate::session::SessionError;
use crate::text::count;

/// Something that happened.
#[derive(Debug)]
pub enum Input {
    /// The WebSocket is open.
    Connected,
    /// A server event (boxed: it carries every optional field).
    Event(Box<ServerEvent>),
    /// A fragment of text (a sentence, whitespace kept).
    Text(String),
    /// Speak what is held back now.
    Flush,
    /// No more text will come.
    EndOfInput,
    /// The input has been quiet a while: end the session; the next text opens another.
    Idle,
    /// The text so far is one piece (a file of `tts convert`): report [`Report::TaskEnded`]
    /// once all of it is spoken.
    EndTask,
    /// Ctrl-C.
    Cancel,
    /// The connection closed.
    Closed {
        /// The close code, if a close frame came.
        code: Option<u16>,
        /// Its reason.
        reason: String,
    },
    /// `session.updated` did not come in time.
    StartTimeout,
    /// The server went quiet while tts waited for it.
    ProgressTimeout,
}

/// What the worker must do, in order.
#[derive(Debug, PartialEq)]
pub enum Action {
    /// Send this event.
    Send(Box<ClientEvent>),
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
    /// `session.created`.
    SessionStarted {
        /// `sess_…`.
        session_id: String,
    },
    /// `response.created`: its audio follows.
    ResponseStarted {
        /// `resp_…`.
        response_id: String,
        /// The text it speaks, as far as tts can tell (for cues and `--echo`).
        text: Option<String>,
    },
    /// `response.done`.
    ResponseDone {
        /// `resp_…`.
        response_id: String,
        /// `usage.characters`.
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
    /// The session is open: text may be sent.
    Open,
    /// `session.finish` sent; waiting for `session.finished`.
    Finishing {
        /// What comes after.
        then: Then,
    },
    /// No connection: the last session finished and more text may come.
    Idle,
    /// Done (or cancelled).
    Done,
    /// A failure ended it.
    Failed,
}

/// What follows a finished session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Then {
    /// The input ended.
    Close,
    /// Text waits for a new session (a per-session limit).
    NewSession,
    /// Wait for more text.
    Wait,
}

/// What tts waits for from the server, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    /// `session.updated` (`--start-timeout`).
    Start,
    /// Audio or the end of a response or session (`--progress-timeout`).
    Progress,
}

#[derive(Debug)]
enum Pending {
    Text(String),
    Flush,
    EndTask,
}

/// The billed characters one session takes before tts moves on to a new one. No limit is
/// documented for the Qwen3 models; the legacy model takes 512 tokens of input.
pub fn session_limit(model: &str) -> usize {
    if model.starts_with("qwen-tts-realtime") {
        500
    } else {
        100_000
    }
}

/// The machine.
pub struct Machine {
    state: State,
    config: SessionConfig,
    limit: usize,
    queue: VecDeque<Pending>,
    session_id: String,
    updated: bool,
    session_chars: usize,
    texts_in_session: usize,
    texts_sent: usize,
    /// Sentences appended since the last commit.
    uncommitted: Vec<String>,
    /// Text of responses still to come, for their cues.
    cues: VecDeque<String>,
    commits: u64,
    responses_done: u64,
    /// Commit counts after which a piece is spoken (commit mode).
    end_markers: VecDeque<u64>,
    /// The session in flight was finished by [`Input::EndTask`].
    ending: bool,
    input_ended: bool,
}

impl Machine {
    /// A machine for sessions configured by `config`, rolling over after `limit` billed
    /// characters.
    pub fn new(config: SessionConfig, limit: usize) -> Self {
        Self {
            state: State::Connecting,
            config,
            limit,
            queue: VecDeque::new(),
            session_id: String::new(),
            updated: false,
            session_chars: 0,
            texts_in_session: 0,
            texts_sent: 0,
            uncommitted: Vec::new(),
            cues: VecDeque::new(),
            commits: 0,
            responses_done: 0,
            end_markers: VecDeque::new(),
            ending: false,
            input_ended: false,
        }
    }

    /// The current state.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// What the worker should time out on now.
    pub fn waiting(&self) -> Option<Waiting> {
        match self.state {
            State::Open | State::Finishing { .. } if !self.updated => Some(Waiting::Start),
            State::Open if self.commits > self.responses_done => Some(Waiting::Progress),
            State::Finishing { .. } => Some(Waiting::Progress),
            _ => None,
        }
    }

    fn mode(&self) -> Mode {
        self.config.mode
    }

    fn label(&self) -> String {
        if self.session_id.is_empty() {
            "(no session id yet)".to_owned()
        } else {
            self.session_id.clone()
        }
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
                    self.state = State::Open;
                    self.updated = false;
                    self.session_id.clear();
                    self.session_chars = 0;
                    self.texts_in_session = 0;
                    self.commits = 0;
                    self.responses_done = 0;
                    self.cues.clear();
                    actions.push(send(ClientEvent::update(self.config.clone())));
                    self.pump(&mut actions);
                }
            }
            Input::Text(text) => {
                self.queue.push_back(Pending::Text(text));
                self.resume(&mut actions);
            }
            Input::Flush => {
                self.queue.push_back(Pending::Flush);
                self.pump(&mut actions);
            }
            Input::EndOfInput => {
                self.input_ended = true;
                if self.state == State::Idle && self.queue.is_empty() {
                    self.state = State::Done;
                    actions.push(Action::Finished);
                } else {
                    self.pump(&mut actions);
                }
            }
            Input::EndTask => {
                if self.state == State::Idle && self.queue.is_empty() {
                    actions.push(Action::Report(Report::TaskEnded));
                } else {
                    self.queue.push_back(Pending::EndTask);
                    self.pump(&mut actions);
                }
            }
            Input::Idle => {
                if self.state == State::Open && self.texts_in_session > 0 && self.queue.is_empty() {
                    self.finish(Then::Wait, &mut actions);
                }
            }
            Input::Event(event) => self.on_event(*event, &mut actions),
            Input::Cancel => {
                if matches!(self.state, State::Open | State::Finishing { .. })
                    && self.texts_in_session > 0
                {
                    actions.push(send(ClientEvent::cancel()));
                }
                actions.push(Action::Close);
                actions.push(Action::Finished);
                self.state = State::Done;
            }
            Input::Closed { code, reason } => match self.state {
                State::Idle => {}
                State::Open if self.nothing_owed() => {
                    // A close that left nothing unspoken: the next text opens a new session.
                    self.state = State::Idle;
                    self.resume(&mut actions);
                }
                _ => self.fail(
                    SessionError::Closed {
                        code,
                        reason,
                        task_id: self.label(),
                    },
                    &mut actions,
                ),
            },
            Input::StartTimeout => {
                if self.waiting() == Some(Waiting::Start) {
                    self.fail(
                        SessionError::StartTimeout {
                            task_id: self.label(),
                        },
                        &mut actions,
                    );
                }
            }
            Input::ProgressTimeout => {
                if self.waiting() == Some(Waiting::Progress) {
                    self.fail(
                        SessionError::Stalled {
                            task_id: self.label(),
                        },
                        &mut actions,
                    );
                }
            }
        }
        actions
    }

    /// Whether a close now would lose nothing: every appended text was answered.
    fn nothing_owed(&self) -> bool {
        match self.mode() {
            Mode::Commit => self.uncommitted.is_empty() && self.commits == self.responses_done,
            // The server chose the segments: only an unused session is known to owe nothing.
            Mode::ServerCommit => self.texts_in_session == 0,
        }
    }

    /// Text is waiting: open a session if there is none.
    fn resume(&mut self, actions: &mut Vec<Action>) {
        if self.state == State::Idle && !self.queue.is_empty() {
            self.state = State::Connecting;
            actions.push(Action::Connect);
        } else {
            self.pump(actions);
        }
    }

    fn on_event(&mut self, event: ServerEvent, actions: &mut Vec<Action>) {
        match event.kind.as_str() {
            "session.created" => {
                if let Some(id) = event.session.and_then(|s| s.id) {
                    self.session_id.clone_from(&id);
                    actions.push(Action::Report(Report::SessionStarted { session_id: id }));
                }
            }
            "session.updated" => self.updated = true,
            "response.created" => {
                let response_id = event
                    .response
                    .and_then(|r| r.id)
                    .or(event.response_id)
                    .unwrap_or_default();
                let text = self.cues.pop_front();
                actions.push(Action::Report(Report::ResponseStarted {
                    response_id,
                    text,
                }));
            }
            "response.audio.delta" => {
                let delta = event.delta.unwrap_or_default();
                match base64::engine::general_purpose::STANDARD.decode(delta.as_bytes()) {
                    Ok(bytes) if bytes.is_empty() => {}
                    Ok(bytes) => actions.push(Action::Audio(bytes)),
                    Err(error) => self.fail(
                        SessionError::Protocol {
                            detail: format!("response.audio.delta is not base64 ({error})"),
                            task_id: self.label(),
                        },
                        actions,
                    ),
                }
            }
            "response.done" => {
                let response = event.response.unwrap_or_default();
                self.responses_done += 1;
                actions.push(Action::Report(Report::ResponseDone {
                    response_id: response.id.unwrap_or_default(),
                    characters: response.usage.and_then(|u| u.characters),
                }));
                while self
                    .end_markers
                    .front()
                    .is_some_and(|marker| self.responses_done >= *marker)
                {
                    self.end_markers.pop_front();
                    actions.push(Action::Report(Report::TaskEnded));
                }
            }
            "session.finished" => match self.state {
                State::Finishing { then } => {
                    actions.push(Action::Close);
                    if std::mem::take(&mut self.ending) {
                        actions.push(Action::Report(Report::TaskEnded));
                    }
                    // Pieces still waiting for their responses were spoken in full.
                    for _ in self.end_markers.drain(..) {
                        actions.push(Action::Report(Report::TaskEnded));
                    }
                    match then {
                        Then::NewSession => {
                            self.state = State::Connecting;
                            actions.push(Action::Connect);
                        }
                        Then::Wait | Then::Close if !self.queue.is_empty() => {
                            self.state = State::Connecting;
                            actions.push(Action::Connect);
                        }
                        Then::Wait if !self.input_ended => self.state = State::Idle,
                        Then::Wait | Then::Close => {
                            self.state = State::Done;
                            actions.push(Action::Finished);
                        }
                    }
                }
                _ => self.fail(
                    SessionError::Protocol {
                        detail: "the service finished the session before tts asked it to".into(),
                        task_id: self.label(),
                    },
                    actions,
                ),
            },
            "error" => {
                let error = event.error.unwrap_or_default();
                let code = error.code.unwrap_or_else(|| "unknown".into());
                let mut message = error.message.unwrap_or_default();
                if let Some(param) = error.param.filter(|p| !p.is_empty()) {
                    message.push_str(&format!(" (param {param})"));
                }
                message.push_str(hint(&message));
                self.fail(
                    SessionError::TaskFailed {
                        code,
                        message,
                        task_id: self.label(),
                    },
                    actions,
                );
            }
            _ => {}
        }
    }

    /// Send what can be sent in the current state; finish when the input has ended.
    fn pump(&mut self, actions: &mut Vec<Action>) {
        while self.state == State::Open {
            let Some(next) = self.queue.pop_front() else {
                break;
            };
            match next {
                Pending::Flush => self.commit(actions),
                Pending::EndTask if self.texts_in_session == 0 => {
                    actions.push(Action::Report(Report::TaskEnded));
                }
                Pending::EndTask => match self.mode() {
                    Mode::Commit => {
                        self.commit(actions);
                        if self.commits == self.responses_done {
                            actions.push(Action::Report(Report::TaskEnded));
                        } else {
                            self.end_markers.push_back(self.commits);
                        }
                    }
                    Mode::ServerCommit => {
                        // Which response ends the piece is the server's choice: finishing the
                        // session is the only sure sign that all of it was spoken.
                        self.ending = true;
                        self.finish(Then::Wait, actions);
                        return;
                    }
                },
                Pending::Text(text) => {
                    let chars = count::billed(&text);
                    if self.texts_in_session > 0 && self.session_chars + chars > self.limit {
                        self.queue.push_front(Pending::Text(text));
                        self.finish(Then::NewSession, actions);
                        return;
                    }
                    self.session_chars += chars;
                    self.texts_in_session += 1;
                    self.texts_sent += 1;
                    actions.push(send(ClientEvent::append(&text)));
                    match self.mode() {
                        Mode::Commit => {
                            self.uncommitted.push(text);
                            self.commit(actions);
                        }
                        Mode::ServerCommit => {
                            self.cues.push_back(text.clone());
                            self.uncommitted.push(text);
                        }
                    }
                }
            }
        }
        if self.state == State::Open && self.input_ended && self.queue.is_empty() {
            if self.texts_in_session > 0 {
                self.finish(Then::Close, actions);
            } else {
                self.state = State::Done;
                actions.push(Action::Close);
                actions.push(Action::Finished);
            }
        }
    }

    /// Commit what was appended since the last commit (an empty commit is an error).
    fn commit(&mut self, actions: &mut Vec<Action>) {
        if self.uncommitted.is_empty() {
            return;
        }
        let text: String = self.uncommitted.drain(..).collect();
        actions.push(send(ClientEvent::commit()));
        if self.mode() == Mode::Commit {
            self.commits += 1;
            self.cues.push_back(text);
        }
    }

    /// End the session: in commit mode what is uncommitted is committed first; in server_commit
    /// mode `session.finish` speaks the rest.
    fn finish(&mut self, then: Then, actions: &mut Vec<Action>) {
        if self.mode() == Mode::Commit {
            self.commit(actions);
        }
        self.uncommitted.clear();
        actions.push(send(ClientEvent::finish()));
        self.state = State::Finishing { then };
    }

    fn fail(&mut self, error: SessionError, actions: &mut Vec<Action>) {
        self.state = State::Failed;
        actions.push(Action::Fail(error));
    }
}

fn send(event: ClientEvent) -> Action {
    Action::Send(Box::new(event))
}

/// What to do about the documented messages.
fn hint(message: &str) -> &'static str {
    let lower = message.to_ascii_lowercase();
    if lower.contains("only client commit mode supports clear") {
        "; clearing the buffer needs --qwen-mode commit"
    } else if lower.contains("session update error") || lower.contains("session already started") {
        "; the session's settings cannot change once speech has begun"
    } else if lower.contains("voice") {
        "; the voice does not exist or does not fit the model: see tts voices --model MODEL"
    } else if lower.contains("arrearage") || lower.contains("overdue") {
        "; the account behind this API key is in arrears: check billing in the DashScope console"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests;
