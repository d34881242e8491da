//! Thin binary: hand the arguments to the library and exit with its code.

fn main() -> std::process::ExitCode {
    one_malloc_arena();
    entraform::cli::main(std::env::args_os())
}

/// Keep glibc's allocator to one heap (arena) for the whole process.
///
/// By default glibc gives threads that meet contention heaps of their own (up
/// to eight per core). Memory freed in a worker's heap — the loader's per-file
/// YAML trees and raw records, Graph pages decoded on the runtime's workers —
/// is not reused by the main thread, which then grows its own heap for the
/// checked state and the live tenant: a 100,000-user `plan` peaked at 619 MB
/// instead of about 420 MB (docs/performance.md, docs/decisions.md). An
/// explicit `MALLOC_ARENA_MAX` in the environment still wins.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn one_malloc_arena() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: `mallopt` only sets an allocator tunable; it is called first
        // thing in `main`, before this process starts any thread.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 1);
        }
    }
}

/// Other allocators (musl, macOS, Windows) have no per-thread arenas to cap.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn one_malloc_arena() {}
