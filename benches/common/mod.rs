//! Process measurements shared by the benchmarks (Linux /proc).

/// CPU seconds (user + system) of this process, from /proc (Linux); 0 elsewhere.
#[allow(dead_code)] // the whole-process benchmark measures its children instead
pub fn cpu_seconds() -> f64 {
    // utime + stime of this process, from /proc (Linux); 0 elsewhere.
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: f64 = fields
        .get(11)
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
        + fields
            .get(12)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0);
    ticks / 100.0
}

/// Peak resident memory (VmHWM) in MB.
#[allow(dead_code)] // the whole-process benchmark measures its children instead
pub fn peak_rss_mb() -> f64 {
    proc_status_mb("VmHWM:")
}

/// Current resident memory (VmRSS) in MB.
#[allow(dead_code)] // not every benchmark reports it
pub fn rss_mb() -> f64 {
    proc_status_mb("VmRSS:")
}

fn proc_status_mb(key: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// What one child process cost: wall time, CPU time and peak resident memory.
#[allow(dead_code)] // only the whole-process benchmark runs children
pub struct ChildRun {
    /// The child's exit code (`None` if a signal ended it).
    pub code: Option<i32>,
    /// Wall-clock seconds from spawn to exit.
    pub wall: f64,
    /// User + system CPU seconds of the child alone.
    pub cpu: f64,
    /// The child's own peak RSS (`ru_maxrss` from `wait4`), in MB.
    pub peak_rss_mb: f64,
}

/// Run `cmd` to completion and measure it with `wait4(2)`, whose `rusage`
/// covers this one child only (not other children of the benchmark, such as
/// an emulator process). Its stdout and stderr go to `out` (a file, so a full
/// pipe can never block it).
#[allow(dead_code)] // only the whole-process benchmark runs children
#[allow(clippy::zombie_processes)] // reaped by `wait4` below, which std cannot see
#[cfg(unix)]
pub fn run_measured(cmd: &mut std::process::Command, out: &std::path::Path) -> ChildRun {
    use std::process::Stdio;
    let log = std::fs::File::create(out).expect("create child output file");
    let err = log.try_clone().expect("clone child output file");
    let start = std::time::Instant::now();
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(err))
        .spawn()
        .expect("spawn child");
    let pid = libc::pid_t::try_from(child.id()).expect("pid");
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; wait4 fills it for our own child `pid`.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointers to locals; `pid` is a child of this process not yet reaped
    // (`child` is never waited on through std, so the pid cannot be reused meanwhile).
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed().as_secs_f64();
    assert_eq!(rc, pid, "wait4: {}", std::io::Error::last_os_error());
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    ChildRun {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        wall,
        cpu: secs(usage.ru_utime) + secs(usage.ru_stime),
        // Linux reports ru_maxrss in KiB.
        peak_rss_mb: usage.ru_maxrss as f64 / 1024.0,
    }
}
