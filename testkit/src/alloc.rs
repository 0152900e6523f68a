//! A global allocator that counts the current thread's allocations while armed, so a test can
//! prove a piece of code allocation-free without a plugin framework.
//!
//! Each test binary that checks this installs it:
//! `#[global_allocator] static ALLOC: cuewire_testkit::CountingAlloc = cuewire_testkit::CountingAlloc;`

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    // Const-initialised and without destructors: reading them never allocates.
    static ARMED: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

/// The system allocator, counting allocations and reallocations made while armed.
pub struct CountingAlloc;

fn count() {
    if ARMED.with(Cell::get) {
        ALLOCATIONS.with(|a| a.set(a.get() + 1));
    }
}

// SAFETY: every call is forwarded unchanged to the system allocator; counting touches only
// thread-local cells and never allocates.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's guarantees on `layout` are passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's guarantees on `layout` are passed on unchanged.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` through this allocator with this `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: `ptr` came from `System` through this allocator; the rest is the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// How many allocations (and reallocations) the current thread makes while `f` runs.
///
/// Panics if the test binary has not installed [`CountingAlloc`] as its global allocator,
/// which would otherwise make every count 0.
pub fn allocations_during(f: impl FnOnce()) -> u64 {
    ALLOCATIONS.with(|a| a.set(0));
    ARMED.with(|a| a.set(true));
    drop(std::hint::black_box(Box::new(0u8)));
    let installed = ALLOCATIONS.with(Cell::get) == 1;
    ALLOCATIONS.with(|a| a.set(0));
    if installed {
        f();
    }
    ARMED.with(|a| a.set(false));
    assert!(
        installed,
        "install `cuewire_testkit::CountingAlloc` as this test binary's #[global_allocator]"
    );
    ALLOCATIONS.with(Cell::get)
}
