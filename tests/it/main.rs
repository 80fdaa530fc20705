//! End-to-end tests of the `tts` binary: command line, files, and real playback.

#[path = "../common/mod.rs"]
mod common;

mod chat;
mod cli;
mod convert;
mod fake_qwen;
mod fake_server;
mod faults;
mod file_output;
mod neural;
mod openai;
mod playback;
mod qwen;
mod readme;
mod sdk;
mod sdk_qwen;
mod serve;
mod session;
mod streaming;
mod text;
mod ux;
mod voices;
