//! Benchmark: the WHOLE `entraform validate` and `entraform plan` processes on
//! an exported 100,000-user tenant, measured from outside.
//!
//! `cargo bench --bench whole_process` starts `entraform emulator --synthetic
//! 100000,5000,500000` as a separate process (so the emulator's own memory is
//! never counted), exports the tenant with `entraform export` (every user
//! declared: a 40 MB repo), then runs `entraform validate` and `entraform plan
//! --detailed-exitcode` against it, alternately, and reports for each run the
//! child's wall time, CPU time (user + system) and peak RSS, read with
//! `wait4(2)` (`ru_maxrss` of that one child). The plan must be empty (exit 0):
//! the repo is the tenant's own export.
//!
//! `ENTRAFORM_BIN=/path/to/entraform` measures another build (e.g. the one
//! before a change) with the same tenant and repo; `RUNS=N` sets the runs per
//! command (default 3). Under `cargo test --all-targets` it runs a small smoke
//! size once.

mod common;

#[cfg(unix)]
fn main() {
    unix::main();
}

#[cfg(not(unix))]
fn main() {
    eprintln!("whole_process measures child processes with wait4(2): Unix only");
}

/// The benchmark proper (`wait4` and `ru_maxrss` are Unix).
#[cfg(unix)]
mod unix {
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    use super::common::{ChildRun, run_measured};

    /// The emulator process, killed when the benchmark ends (also on panic).
    struct Emulator(Child);

    impl Drop for Emulator {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    /// `entraform` with no inherited `ENTRAFORM_*` / `AZURE_*` settings, pointed at the emulator.
    fn command(bin: &Path, env: &[(String, String)]) -> Command {
        let mut c = Command::new(bin);
        for (k, _) in std::env::vars() {
            if k.starts_with("ENTRAFORM_") || k.starts_with("AZURE_") || k == "MALLOC_ARENA_MAX" {
                c.env_remove(k);
            }
        }
        c.envs(env.iter().map(|(k, v)| (k, v)));
        c.env("NO_COLOR", "1");
        c
    }

    /// The `export NAME=VALUE` lines of the emulator's env file (values as `sh_quote` writes them).
    fn parse_env(text: &str) -> Vec<(String, String)> {
        text.lines()
            .filter_map(|l| l.strip_prefix("export "))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| {
                let v = match v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
                    Some(inner) => inner.replace("'\\''", "'"),
                    None => v.to_string(),
                };
                (k.to_string(), v)
            })
            .collect()
    }

    fn report(name: &str, r: &ChildRun) {
        println!(
            "| {name} | {:.2} s | {:.2} s | {:.0} MB |",
            r.wall, r.cpu, r.peak_rss_mb
        );
    }

    pub fn main() {
        let full = std::env::args().any(|a| a == "--bench");
        let spec = if full {
            "100000,5000,500000"
        } else {
            "1000,50,5000"
        };
        let runs: usize = std::env::var("RUNS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(if full { 3 } else { 1 });
        let bin = std::env::var_os("ENTRAFORM_BIN").map_or_else(
            || PathBuf::from(env!("CARGO_BIN_EXE_entraform")),
            PathBuf::from,
        );
        let work = std::env::temp_dir().join(format!("entraform-whole-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&work);
        std::fs::create_dir_all(&work).expect("work dir");
        let env_file = work.join("emulator.env");
        let repo = work.join("repo");
        let log = work.join("child.log");

        // The emulator, in its own process.
        let t = Instant::now();
        let emulator = Emulator(
            command(&bin, &[])
                .args(["emulator", "--synthetic", spec, "--env-file"])
                .arg(&env_file)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start the emulator"),
        );
        let env = loop {
            if let Ok(text) = std::fs::read_to_string(&env_file) {
                break parse_env(&text);
            }
            assert!(
                t.elapsed() < Duration::from_secs(300),
                "the emulator did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        println!(
            "emulator (pid {}): {spec} users,groups,memberships, up in {:.1} s; binary {}",
            emulator.0.id(),
            t.elapsed().as_secs_f64(),
            bin.display()
        );

        // The repo: the tenant exported, every user declared.
        let export = run_measured(
            command(&bin, &env).arg("export").arg("--out").arg(&repo),
            &log,
        );
        assert_eq!(
            export.code,
            Some(0),
            "export failed: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        let bytes: u64 = walk(&repo)
            .iter()
            .map(|p| p.metadata().map_or(0, |m| m.len()))
            .sum();
        println!(
            "repo: {} files, {:.1} MB (export: {:.2} s wall, {:.2} s CPU, peak RSS {:.0} MB)",
            walk(&repo).len(),
            bytes as f64 / 1e6,
            export.wall,
            export.cpu,
            export.peak_rss_mb
        );

        println!("| process | wall | CPU (user + sys) | peak RSS |");
        println!("|---|--:|--:|--:|");
        for _ in 0..runs {
            let v = run_measured(command(&bin, &env).arg("validate").arg(&repo), &log);
            assert_eq!(
                v.code,
                Some(0),
                "validate failed: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            report("entraform validate", &v);
            let p = run_measured(
                command(&bin, &env)
                    .args(["plan", "--detailed-exitcode"])
                    .arg(&repo),
                &log,
            );
            assert_eq!(
                p.code,
                Some(0),
                "plan did not find the tenant equal to its export: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            report("entraform plan", &p);
        }
        if let Ok(l) = std::fs::read_to_string("/proc/loadavg") {
            println!("load average: {}", l.trim());
        }
        drop(emulator);
        let _ = std::fs::remove_dir_all(&work);
    }

    /// Every regular file below `dir`.
    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let mut todo = vec![dir.to_path_buf()];
        while let Some(d) = todo.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    todo.push(p);
                } else {
                    out.push(p);
                }
            }
        }
        out
    }
}
