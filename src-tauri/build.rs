//! Generates Tauri's context (config, capabilities, embedded icons) at build time.

fn main() {
    tauri_build::build();
}
