//! The command line: raw clap [`Args`] ([`args`]) and the validated [`config::Config`] built from them.

pub mod args;
pub mod batch;
pub mod config;
pub mod credentials;
pub mod generate;
pub mod list;
pub mod remote;
pub mod settings;
pub mod voice;

pub use args::Args;
pub use config::{Config, ConfigError};
