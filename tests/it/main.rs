//! End-to-end tests of the `tts` binary: command line, files, and real playback.

#[path = "../common/mod.rs"]
mod common;

mod cli;
mod convert;
mod fake_server;
mod faults;
mod file_output;
mod neural;
mod playback;
mod readme;
mod sdk;
mod serve;
mod session;
mod streaming;
mod text;
mod ux;
mod voices;
