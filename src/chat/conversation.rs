//! The conversation of `tts chat` on a terminal: a prompt read with line editing and
//! history, each answer printed and spoken, the whole exchange sent again with the next turn.
//! Ctrl-C during an answer silences it and cancels its stream; Ctrl-D, or Ctrl-C twice at
//! the prompt, quits.

use std::process::ExitCode;

use anyhow::Result;
use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;

use super::{ChatConfig, Message};
use crate::cancel::{CancelToken, TurnCancel};

/// What the prompt shows.
const PROMPT: &str = "> ";

/// Run the conversation until Ctrl-D; `notice` shows a line on stderr (a failed answer, a
/// hint; with `quiet`, no greeting). `cancel` is the program's Ctrl-C (between turns it quits); `turns` is cancelled by
/// a Ctrl-C during an answer.
pub fn run(
    config: &ChatConfig,
    cancel: &CancelToken,
    turns: &TurnCancel,
    quiet: bool,
    notice: &mut dyn FnMut(&str),
) -> Result<ExitCode> {
    let mut editor = DefaultEditor::new()?;
    let mut messages = Vec::new();
    if let Some(system) = &config.llm.system {
        messages.push(Message {
            role: "system",
            content: system.clone(),
        });
    }
    if !quiet {
        notice(&format!(
            "tts: chatting with {}; Ctrl-C silences an answer, Ctrl-D quits",
            config.llm.model
        ));
    }
    let mut interrupted_once = false;
    loop {
        if cancel.is_cancelled() {
            return Ok(ExitCode::from(130));
        }
        let line = match editor.readline(PROMPT) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) if !interrupted_once => {
                interrupted_once = true;
                notice("tts: press Ctrl-C again or Ctrl-D to quit");
                continue;
            }
            Err(ReadlineError::Interrupted | ReadlineError::Eof) => return Ok(ExitCode::SUCCESS),
            Err(err) => return Err(err.into()),
        };
        interrupted_once = false;
        if line.trim().is_empty() {
            continue;
        }
        let _ = editor.add_history_entry(line.as_str());
        messages.push(Message {
            role: "user",
            content: line,
        });
        let turn_cancel = turns.begin();
        let result = super::turn(config, messages.clone(), &turn_cancel, &mut |_| {});
        turns.end();
        let turn = match result {
            Ok(turn) => turn,
            Err(err) => {
                notice(&format!("tts: {err:#}"));
                messages.pop();
                continue;
            }
        };
        if let Some(error) = &turn.error {
            notice(&format!("tts: {error}"));
        }
        if turn.answer.is_empty() {
            // Nothing to remember: the question is asked again next time, not left hanging.
            messages.pop();
        } else {
            messages.push(Message {
                role: "assistant",
                content: turn.answer,
            });
        }
        if turn_cancel.is_cancelled() {
            notice("tts: (silenced)");
        }
    }
}
