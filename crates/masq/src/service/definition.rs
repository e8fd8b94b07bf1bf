//! `masq service definition systemd|launchd`: prints the text a service manager runs masq
//! from, so packages (installer/) ship exactly what the tested generators produce instead of
//! a second hand-kept copy. Works on every OS: a Linux build machine writes the macOS plist.

use anyhow::{Result, bail};

use super::launchd_plist::{PlistSpec, plist};
use super::systemd_unit::{UnitSpec, unit};
use crate::cli::{ServiceDefinitionArgs, ServiceManagerArg};
use crate::output;

/// Prints the definition for the chosen service manager.
pub(crate) fn print(args: &ServiceDefinitionArgs) -> Result<()> {
    output::emit(&render(args)?)?;
    Ok(())
}

/// The definition's text; the program path must be absolute, as service managers need. Both
/// managers are Unix ones, so that means a `/` path whatever OS prints the definition (a
/// Windows build must not demand a drive letter).
fn render(args: &ServiceDefinitionArgs) -> Result<String> {
    if !args.program.to_string_lossy().starts_with('/') {
        bail!(
            "--program {} is not an absolute path; give where masq is installed, e.g. /usr/bin/masq",
            args.program.display()
        );
    }
    let program = args.program.as_path();
    let config = args.config.as_deref();
    Ok(match args.manager {
        ServiceManagerArg::Systemd => unit(&UnitSpec { program, config }),
        ServiceManagerArg::Launchd => plist(&PlistSpec { program, config }),
    })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn args(manager: ServiceManagerArg, program: &str) -> ServiceDefinitionArgs {
        ServiceDefinitionArgs {
            manager,
            program: PathBuf::from(program),
            config: None,
        }
    }

    #[test]
    fn each_manager_gets_its_own_format() {
        let systemd = render(&args(ServiceManagerArg::Systemd, "/usr/bin/masq")).unwrap();
        assert!(systemd.starts_with("[Unit]"), "{systemd}");
        let launchd = render(&args(ServiceManagerArg::Launchd, "/usr/local/bin/masq")).unwrap();
        assert!(launchd.starts_with("<?xml"), "{launchd}");
    }

    #[test]
    fn a_relative_program_is_refused() {
        let err = render(&args(ServiceManagerArg::Systemd, "masq")).unwrap_err();
        assert!(err.to_string().contains("absolute"), "{err}");
    }
}
