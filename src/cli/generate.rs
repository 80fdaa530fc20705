//! Completion scripts and the manual page, generated from the clap definition so that they
//! never drift from the real flags (a test compares them with the committed copies).

use clap::CommandFactory;

use super::Args;

/// The completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Args::command(), "tts", &mut out);
    out
}

/// The manual page, in roff: the program, then each verb's synopsis and options.
pub fn man() -> std::io::Result<Vec<u8>> {
    let command = Args::command();
    let mut out = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut out)?;
    for verb in command.get_subcommands().filter(|c| !c.is_hide_set()) {
        let name = format!("tts {}", verb.get_name());
        let man = clap_mangen::Man::new(verb.clone().bin_name(name.clone()));
        out.extend_from_slice(format!(".SH \"{}\"\n", name.to_uppercase()).as_bytes());
        man.render_description_section(&mut out)?;
        man.render_synopsis_section(&mut out)?;
        man.render_options_section(&mut out)?;
        man.render_extra_section(&mut out)?;
    }
    Ok(out)
}
