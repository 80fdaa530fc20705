//! `tts` turns text into speech, live.
//!
//! Text comes from arguments, files or stdin ([`text::source`]) and is cut into sentences as
//! they complete ([`text::segment`]). An engine ([`engine`]: the embedded espeak-ng today)
//! speaks each fragment in small chunks of PCM, which a sink ([`output`]) plays through the
//! device (resample -> lock-free ring -> cpal callback) or writes to a file. [`pipeline`] wires
//! the stages and the Ctrl-C path; [`cli`] turns the command line into a validated config.

pub mod audio;
pub mod cancel;
pub mod catalog;
pub mod cli;
pub mod convert;
pub mod dashscope;
pub mod engine;
pub mod output;
pub mod pipeline;
pub mod protocol;
pub mod serve;
pub mod session;
pub mod text;
pub mod voice;
