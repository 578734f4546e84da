//! The browser side of the widget (wasm32 only). Everything here is thin: decisions are made by
//! the pure modules of the crate, these modules only read and write the browser.

mod activate;
mod api;
mod app;
mod convert;
mod dom;
mod keys;
mod net;
mod store;
mod view;
