//! `Widget`, the object the loader drives: the wasm-bindgen shim over [`Controller`] with the
//! loader's [`Host`]. Every rule is in [`crate::controller`], tested natively.

use alloc::string::String;

use wasm_bindgen::prelude::wasm_bindgen;

use super::host::Host;
use crate::controller::Controller;

#[wasm_bindgen]
pub struct Widget(Controller<Host>);

#[wasm_bindgen]
impl Widget {
    /// The widget for the tag with `attributes` (`{name: value}`, JSON), served by `edge`.
    ///
    /// # Errors
    /// When the tag lacks a valid `data-site`.
    #[wasm_bindgen(constructor)]
    pub fn new(host: Host, edge: String, attributes: &str, gpc: bool) -> Result<Widget, String> {
        Controller::new(host, edge, attributes, gpc).map(Widget)
    }

    /// Tells the widget what happened in the browser; see [`Controller::on`] for the events.
    pub fn on(&self, event: &str, a: &str, b: &str) -> Option<String> {
        self.0.on(event, a, b)
    }
}
