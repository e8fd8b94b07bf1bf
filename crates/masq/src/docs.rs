//! The CLI's own documentation in the forms systems install: shell completion scripts and
//! manual pages, generated from the same clap definition that parses the command line, so
//! they cannot drift from it.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use clap::CommandFactory;

use crate::cli::Cli;

/// Writes the completion script for `shell`.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) {
    clap_complete::generate(shell, &mut Cli::command(), "masq", out);
}

/// Writes `masq.1` and a `masq-<command>.1` per visible command (and per subcommand, e.g.
/// `masq-forward-add.1`) into `dir`.
pub fn manpages(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the directory {}", dir.display()))?;
    let mut cmd = Cli::command();
    cmd.build();
    write_pages(&cmd, "masq", dir)
}

fn write_pages(cmd: &clap::Command, name: &str, dir: &Path) -> Result<()> {
    let path = dir.join(format!("{name}.1"));
    let mut text = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .title(name)
        .render(&mut text)
        .with_context(|| format!("cannot render the manual page {name}(1)"))?;
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    // clap's generated `help` subcommands need no page of their own.
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        write_pages(sub, &format!("{name}-{}", sub.get_name()), dir)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shell_gets_a_script_that_knows_the_commands() {
        for shell in [
            clap_complete::Shell::Bash,
            clap_complete::Shell::Zsh,
            clap_complete::Shell::Fish,
            clap_complete::Shell::PowerShell,
        ] {
            let mut out = Vec::new();
            completions(shell, &mut out);
            let text = String::from_utf8(out).expect("utf-8");
            for word in ["translations", "forward", "lan-addr"] {
                assert!(text.contains(word), "{shell:?} lacks {word}");
            }
        }
    }

    #[test]
    fn a_page_per_command_and_none_for_hidden_ones() {
        let dir = tempfile_dir("manpages");
        manpages(&dir).expect("pages");
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for page in [
            "masq.1",
            "masq-up.1",
            "masq-forward.1",
            "masq-forward-add.1",
        ] {
            assert!(names.iter().any(|n| n == page), "{page} in {names:?}");
        }
        assert!(
            !names
                .iter()
                .any(|n| n.contains("manpages") || n.contains("help")),
            "{names:?}"
        );
        let main = std::fs::read_to_string(dir.join("masq.1")).expect("masq.1");
        assert!(main.contains(".TH masq 1"), "a roff page: {main}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn tempfile_dir(tag: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("masq-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }
}
