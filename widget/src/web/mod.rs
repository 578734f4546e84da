//! The browser side of the widget (wasm32 only): [`widget::Widget`], the one object the loader
//! drives. Rust decides everything (what to show, which decisions hold, what a receipt says and
//! whether the edge's countersignature covers it, what the outbox does next); the loader does the
//! browser's I/O (fetch, WebCrypto, IndexedDB, storage, DOM, events) and hands results back.
//! Everything here is synchronous, and what crosses is text (JSON, see [`crate::codec`]),
//! numbers and bytes: no futures, no closures, no JS objects walked. The crate is `no_std` here,
//! so this module also names the allocator and what a panic does.

mod host;
mod widget;

/// A small free-list allocator (the page is single-threaded; the lock is never contended).
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

/// A panic (a bug: no input reaches one) traps; the trap throws into the loader, which reports
/// it once and keeps the page running.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}
