//! `scenario completions SHELL`: the shell's completion script for every
//! command and flag (those of `scenario api` included, built from the
//! document), written to stdout by clap_complete.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::cli::Cli;
use crate::error::Failure;

/// The flags of `scenario completions`.
#[derive(Debug, Args)]
#[command(after_help = "\
Install it where your shell looks, e.g.:
  bash        scenario completions bash > ~/.local/share/bash-completion/completions/scenario
  zsh         scenario completions zsh > ~/.zfunc/_scenario   (with fpath+=~/.zfunc before compinit)
  fish        scenario completions fish > ~/.config/fish/completions/scenario.fish
  powershell  scenario completions powershell >> $PROFILE")]
pub struct CompletionsArgs {
    /// The shell to complete in
    #[arg(value_name = "SHELL")]
    pub shell: Shell,
}

/// Writes the completion script of `args.shell` to stdout.
pub fn run(args: &CompletionsArgs) -> Result<(), Failure> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "scenario", &mut script);
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(&script).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(error) => Failure::output(error).map_or(Ok(()), Err),
    }
}
