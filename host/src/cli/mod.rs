//! Command-line subcommands of the `synchost` binary. Each subcommand lives in its own module; this
//! file only declares them and the shared arguments.

pub mod check;
pub mod dev;
pub mod json;
pub mod new;
pub mod plugins;
pub mod scaffold;
pub mod serve;
pub mod token;
pub mod types;
pub mod workspace;

use std::path::PathBuf;

use clap::Args;

use synchost::config::Config;

/// Where the config comes from, shared by every subcommand.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Operator config file (TOML); defaults to $SYNCHOST_CONFIG, else built-in defaults.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

impl ConfigArgs {
    /// The config file path in force and the parsed config.
    pub fn load(&self) -> anyhow::Result<(Option<PathBuf>, Config)> {
        let path = Config::locate(self.config.clone());
        let config = match &path {
            Some(path) => Config::load(path)?,
            None => Config::default(),
        };
        Ok((path, config))
    }
}
