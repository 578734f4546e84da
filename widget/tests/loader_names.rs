//! The names the loader (`js/loader.js`) and the wasm use to talk, pinned to each other: the
//! events the loader tells the controller (`W.on('event', …)` against the arms of
//! `Controller::on`), and the host operations the wasm asks of the loader (`self.call("op", …)`
//! in `src/web/host.rs` against the keys of the loader's `ops`). A name spelt differently on one
//! side is a silent no-op in the browser (the controller ignores unknown events, the loader's
//! `guard` swallows a missing op), so it is caught here instead.

#![allow(clippy::panic)]

use std::collections::BTreeSet;

const LOADER: &str = include_str!("../js/loader.js");
const CONTROLLER: &str = include_str!("../src/controller.rs");
const HOST: &str = include_str!("../src/web/host.rs");

/// Every `'…'` (or `"…"`) right after `marker` in `text`.
fn quoted_after(text: &str, marker: &str, quote: char) -> BTreeSet<String> {
    text.match_indices(marker)
        .filter_map(|(i, _)| {
            let rest = text[i + marker.len()..].strip_prefix(quote)?;
            Some(rest[..rest.find(quote)?].to_string())
        })
        .collect()
}

/// The text between the first `start` and the next `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).unwrap_or_else(|| panic!("{start:?} not found")) + start.len();
    let to = text[from..].find(end).unwrap_or_else(|| panic!("{end:?} not found after {start:?}"));
    &text[from..from + to]
}

/// The events `Controller::on` handles: the string patterns of its `match event` arms.
fn controller_events() -> BTreeSet<String> {
    let arms = between(CONTROLLER, "match event {", "_ => {}");
    arms.lines()
        .map(str::trim)
        .filter(|line| line.starts_with('"'))
        .filter_map(|line| line.split_once("=>").map(|(patterns, _)| patterns))
        .flat_map(|patterns| patterns.split('|').map(|p| p.trim().trim_matches('"').to_string()))
        .collect()
}

/// The keys of the loader's `ops` object (the host the wasm calls).
fn loader_ops() -> BTreeSet<String> {
    between(LOADER, "var ops = {", "\n    };")
        .lines()
        .filter(|line| line.starts_with("      ") && !line.starts_with("       "))
        .filter_map(|line| {
            let key = line.trim().split(':').next()?;
            key.chars().all(|c| c.is_ascii_alphanumeric()).then(|| key.to_string())
        })
        .filter(|key| !key.is_empty())
        .collect()
}

#[test]
fn every_event_the_loader_sends_is_one_the_controller_handles_and_back() {
    let sent = quoted_after(LOADER, ".on(", '\'');
    let handled = controller_events();
    assert!(sent.len() >= 15, "the loader's events were not found: {sent:?}");
    assert_eq!(sent, handled, "loader.js W.on('…') events against Controller::on's arms");
}

#[test]
fn every_operation_the_wasm_calls_is_one_the_loader_has_and_back() {
    let called = quoted_after(HOST, "self.call(", '"');
    let offered = loader_ops();
    assert!(called.len() >= 10, "host.rs's operations were not found: {called:?}");
    assert_eq!(called, offered, "host.rs self.call(\"…\") against loader.js's ops");
}
