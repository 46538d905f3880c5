//! How the process holds memory: glibc's allocator tuned so that what a large request freed goes
//! back to the system instead of staying resident in an idle arena.
//!
//! Two settings, both measured with the coverage bench (Guangxi: 16,681 communities, 50,000
//! people, 100,000 assignments), resident before the endpoints:
//! - each argon2 hash works in 19 MiB; glibc raises its mmap threshold to the largest block
//!   freed, so after the first hash it served those 19 MiB from its arenas and kept them there
//!   (the sessions bench peaked at 161 MiB after 32 logins, 50 MiB with the threshold fixed at
//!   1 MiB: such blocks are mapped on their own and unmapped when freed);
//! - glibc gives every thread that meets a locked arena a new one, up to eight per core, and an
//!   arena keeps the pages a report built its answer in: 111 MiB with the default, 81 MiB with
//!   one arena per core, as fast.

/// Applies the settings once; call it before the runtime starts threads (`main` does, as do the
/// password hasher and the benches). Later calls do nothing.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            let cores = std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2);
            let arenas = i32::try_from(cores).unwrap_or(i32::MAX);
            // SAFETY: mallopt only sets parameters of the allocator; glibc allows it at any
            // time, and a failure (0) leaves the default in place.
            unsafe {
                libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
                libc::mallopt(libc::M_ARENA_MAX, arenas);
            }
        });
    }
}
