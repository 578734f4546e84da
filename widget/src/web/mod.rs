//! The browser side of the widget (wasm32 only). Everything here is thin: decisions are made by
//! the pure modules of the crate, these modules only read and write the browser. The crate is
//! `no_std` here, so this module also names the allocator and what a panic does.

mod activate;
mod api;
mod app;
mod convert;
mod dom;
mod keys;
mod net;
mod store;
mod view;

/// The allocator std itself would use on wasm32.
#[global_allocator]
static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

/// A panic (a bug: no input reaches one) traps; the trap rejects into the loader, which reports
/// it once and keeps the page running.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}
