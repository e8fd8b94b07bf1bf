//! `masq demo`: a throwaway test network in namespaces (being written by another engineer).

/// Runs the demo; not written yet, so it says so instead of pretending.
pub fn run(_keep: bool) -> anyhow::Result<()> {
    anyhow::bail!("the demo is being written")
}
