//! Benchmark: the emulator at scale, and its slowest bounded requests.
//!
//! `cargo bench --bench emulator` generates a synthetic tenant of 100,000
//! users, 5,000 groups and 500,000 memberships, starts the emulator on it and
//! measures over HTTP: the load, 20 keyset pages of 999 users, `$count`, and
//! the requests that cost the most work within the emulator's limits
//! (`crates/graph-emulator/src/limits.rs`): a `$filter` of 500 clauses with `$count=true`
//! over every user, a `$search` of 500 terms, and the refusal of a
//! 3,000-level nested `$filter`. `MAX_WORK=N` changes the per-request work
//! budget (a larger one measures what the default prevents: then only one
//! request per batch). Under `cargo test --all-targets` it runs a
//! small smoke size. (This replaces a test that asserted "loads in < 30 s" in
//! a debug build: a wall-clock bound is a measurement, not a test.)

use std::time::{Duration, Instant};

use graph_emulator::util::percent_encode;
use graph_emulator::{Emulator, EmulatorConfig, SYNTHETIC_CLIENT_ID, Seed, SyntheticSpec};
use serde_json::Value;

mod common;

struct Http {
    client: reqwest::Client,
    root: String,
    token: String,
}

impl Http {
    /// GET a path under `/v1.0` with `ConsistencyLevel: eventual`; status,
    /// body and how long it took.
    async fn get(&self, path: &str) -> (u16, Value, Duration) {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.root)
        };
        let t = Instant::now();
        let r = self
            .client
            .get(url)
            .bearer_auth(&self.token)
            .header("ConsistencyLevel", "eventual")
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        let text = r.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, body, t.elapsed())
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (users, groups, memberships) = if full {
        (100_000, 5_000, 500_000)
    } else {
        (2_000, 100, 10_000)
    };
    let t = Instant::now();
    let seed = Seed::synthetic(SyntheticSpec {
        users,
        groups,
        memberships,
        rng_seed: 42,
    });
    let generated = t.elapsed();
    // `MAX_WORK=N` overrides the work budget (to measure what it prevents).
    let max_work = std::env::var("MAX_WORK")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(graph_emulator::limits::MAX_WORK);
    let batch_sizes: &[usize] = if max_work > graph_emulator::limits::MAX_WORK {
        &[1]
    } else {
        &[1, 20]
    };
    let t = Instant::now();
    let emu = Emulator::serve(
        seed,
        EmulatorConfig {
            max_work,
            ..EmulatorConfig::default()
        },
    )
    .await
    .expect("emulator");
    let loaded = t.elapsed();
    println!(
        "tenant: {users} users, {groups} groups, {memberships} memberships; generated in {}, loaded in {}; work budget {max_work}",
        ms(generated),
        ms(loaded)
    );
    let http = Http {
        client: reqwest::Client::new(),
        root: emu.graph_url(),
        token: emu.issue_token(SYNTHETIC_CLIENT_ID),
    };

    // 20 keyset pages of 999 (or all of a smaller tenant).
    let (_, mut body, _) = http.get("/users?$select=id&$top=999").await;
    let t = Instant::now();
    let mut pages = 1;
    let mut total = body["value"].as_array().map_or(0, Vec::len);
    while pages < 20 {
        let Some(next) = body["@odata.nextLink"].as_str().map(str::to_string) else {
            break;
        };
        let (status, b, _) = http.get(&next).await;
        assert_eq!(status, 200);
        total += b["value"].as_array().map_or(0, Vec::len);
        body = b;
        pages += 1;
    }
    println!(
        "paging: {pages} more pages, {total} users in {}",
        ms(t.elapsed())
    );
    let (status, count, d) = http.get("/users/$count").await;
    assert_eq!(status, 200);
    assert_eq!(count, Value::from(users as u64));
    println!("$count: {}", ms(d));

    // The most work one request may ask for: 500 clauses over every user,
    // twenty times in one `$batch` (URLs in a batch are not bounded by the
    // request line, only by the 4 MiB body).
    // (The smoke run under `cargo test` uses 20 clauses: a debug build is
    // some 30 times slower.)
    let n_clauses = if full { 500 } else { 20 };
    let clauses: Vec<String> = (0..n_clauses / 2)
        .map(|i| format!("startswith(displayName,'User {i}9')"))
        .chain((0..n_clauses / 2).map(|i| format!("jobTitle eq 'Title {i}'")))
        .collect();
    let filter = clauses.join(" or ");
    let search: Vec<String> = (0..n_clauses)
        .map(|i| format!("\"displayName:zz{i}\""))
        .collect();
    let search = search.join(" OR ");
    for (what, url) in [
        (
            format!("$filter of {n_clauses} clauses"),
            format!("/users?$filter={filter}&$count=true&$select=id&$top=999"),
        ),
        (
            format!("$search of {n_clauses} terms"),
            format!("/users?$search={search}&$count=true&$select=id"),
        ),
    ] {
        for &n in batch_sizes {
            let requests: Vec<Value> = (0..n)
                .map(|i| {
                    serde_json::json!({
                        "id": i.to_string(), "method": "GET", "url": url,
                        "headers": {"ConsistencyLevel": "eventual"}
                    })
                })
                .collect();
            let t = Instant::now();
            let r = http
                .client
                .post(format!("{}/$batch", http.root))
                .bearer_auth(&http.token)
                .json(&serde_json::json!({ "requests": requests }))
                .send()
                .await
                .expect("batch");
            let v: Value = r.json().await.expect("batch json");
            let d = t.elapsed();
            let statuses: Vec<u64> = v["responses"]
                .as_array()
                .expect("responses")
                .iter()
                .filter_map(|x| x["status"].as_u64())
                .collect();
            let ok = statuses.iter().filter(|s| **s == 200).count();
            let over = statuses.iter().filter(|s| **s == 400).count();
            assert_eq!(ok + over, n, "{v}");
            println!(
                "{what} + $count over {users} users, {n} in one $batch: {} ({ok} answered, {over} over the work budget)",
                ms(d)
            );
        }
    }
    // The heaviest kind of request still answered: a listing and `$count`
    // each evaluate the filter over every user (2 × 45 clauses × users).
    let heavy: Vec<String> = (0..45)
        .map(|i| format!("jobTitle eq 'Title {i}'"))
        .collect();
    let (status, body, d) = http
        .get(&format!(
            "/users?$filter={}&$count=true&$select=id",
            percent_encode(&heavy.join(" or "))
        ))
        .await;
    println!(
        "$filter of 45 clauses + $count over {users} users: {} (status {status}, {} matches)",
        ms(d),
        body["@odata.count"]
    );
    let deep = format!("{}id eq 'x'{}", "(".repeat(3000), ")".repeat(3000));
    let (status, _, d) = http
        .get(&format!("/users?$filter={}", percent_encode(&deep)))
        .await;
    assert_eq!(status, 400);
    println!("3,000 nested parentheses refused in {}", ms(d));
    println!(
        "cpu {:.1} s, peak RSS {:.0} MB",
        common::cpu_seconds(),
        common::peak_rss_mb()
    );
    emu.shutdown().await;
}
