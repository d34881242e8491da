//! The scale-out examples for many-tenant repos: the GitHub Actions matrix
//! workflow, the GitLab generated child pipeline and the Kubernetes CronJobs.
//! Each keeps its shape, every `entraform …` line in it parses with the
//! current command line, the GitLab generator really produces a matrix from
//! `entraform tenants --json`, and the manifests pass `kubernetes-validate`
//! (PyPI; offline schemas) when it is installed. actionlint checks the
//! workflow in `.ci/lint-packaging` with the other workflows.

use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value, json};

use crate::cli_support::{entraform, out, root, tempdir};

fn yaml_docs(path: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    text.split("\n---\n")
        .map(|d| entraform::desired::yaml::to_json(d).unwrap_or_else(|e| panic!("{path}: {e:?}")))
        .filter(|v| !v.is_null())
        .collect()
}

/// The `entraform …` command lines of a script (up to a pipe or redirection).
fn commands(script: &str) -> Vec<Vec<String>> {
    script
        .replace("\\\n", " ")
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            if !l.starts_with("entraform ") {
                return None;
            }
            let words: Vec<String> = l
                .split_whitespace()
                .take_while(|w| {
                    !matches!(*w, "|" | "||" | "&&" | ";")
                        && !w.starts_with('>')
                        && !w.ends_with(')')
                })
                .map(|w| w.trim_matches('"').to_string())
                .collect();
            Some(words)
        })
        .collect()
}

fn parses(cmd: &[String]) {
    if let Err(e) = <entraform::cli::Cli as clap::Parser>::try_parse_from(cmd) {
        panic!("`{}` does not parse: {e}", cmd.join(" "));
    }
}

#[test]
fn github_matrix_workflow_fans_out_from_entraform_tenants() {
    let wf = &yaml_docs("examples/github-actions/entraform-tenants.yml")[0];
    let jobs = &wf["jobs"];
    let list = jobs["tenants"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|s| s["run"].as_str())
        .unwrap();
    assert!(list.contains("entraform tenants . --json"), "{list}");
    let mut used = Vec::new();
    for name in ["plan", "reconcile"] {
        let job = &jobs[name];
        assert_eq!(job["needs"], "tenants");
        assert_eq!(
            job["strategy"]["matrix"]["tenant"],
            "${{ fromJSON(needs.tenants.outputs.tenants) }}"
        );
        assert_eq!(
            job["strategy"]["fail-fast"], false,
            "one tenant's failure cancels none"
        );
        assert_eq!(job["env"]["ENTRAFORM_TENANT"], "${{ matrix.tenant }}");
        assert_eq!(job["permissions"]["id-token"], "write");
        for step in job["steps"].as_array().unwrap() {
            for cmd in commands(step["run"].as_str().unwrap_or("")) {
                parses(&cmd);
                used.push(cmd[1].clone());
            }
        }
    }
    assert_eq!(used, ["validate", "plan", "reconcile"]);
    assert_eq!(jobs["comment"]["needs"], "plan");
    assert_eq!(
        jobs["reconcile"]["concurrency"]["group"],
        "entraform-apply-${{ matrix.tenant }}"
    );
    let text =
        std::fs::read_to_string(root().join("examples/github-actions/entraform-tenants.yml"))
            .unwrap();
    for forbidden in ["secrets.", "AZURE_CLIENT_SECRET"] {
        assert!(!text.contains(forbidden), "the workflow uses {forbidden}");
    }
}

#[test]
fn gitlab_child_pipeline_is_generated_from_entraform_tenants() {
    let parent = &yaml_docs("examples/gitlab-ci/many-tenants.gitlab-ci.yml")[0];
    let job = &parent["entraform:tenants"];
    let script: Vec<&str> = job["script"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(script[0], "entraform tenants . --json > tenants.json");
    assert_eq!(
        parent["entraform:fan-out"]["trigger"]["include"][0]["artifact"],
        "tenants-pipeline.yml"
    );
    assert_eq!(parent["entraform:fan-out"]["trigger"]["strategy"], "depend");
    // Run the generator on a real repo's `tenants --json`.
    let repo = tempdir("examples-gitlab");
    for name in ["north", "south-2"] {
        repo.write(
            &format!("tenants/{name}/tenant.yaml"),
            b"tenant:\n  domain: contoso.com\n",
        );
    }
    let o = entraform()
        .current_dir(&*repo)
        .args(["tenants", ".", "--json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", out(&o));
    std::fs::write(repo.join("tenants.json"), &o.stdout).unwrap();
    let jq_program = script[1]
        .trim()
        .strip_prefix("jq '")
        .and_then(|s| s.split_once("'\n").or_else(|| s.split_once("' ")))
        .map(|(p, _)| p.to_string())
        .unwrap_or_else(|| panic!("not a jq line: {}", script[1]));
    match Command::new("jq")
        .arg(&jq_program)
        .arg(repo.join("tenants.json"))
        .output()
    {
        Ok(g) if g.status.success() => {
            let child: Value = serde_json::from_slice(&g.stdout).unwrap();
            for kind in ["plan", "reconcile"] {
                assert_eq!(
                    child[format!("entraform:{kind}")]["parallel"]["matrix"],
                    json!([{ "ENTRAFORM_TENANT": ["north", "south-2"] }]),
                    "{child:#}"
                );
            }
            assert_eq!(child["include"][0]["local"], ".gitlab/entraform-tenant.yml");
        }
        Ok(g) => panic!("jq failed: {}", String::from_utf8_lossy(&g.stderr)),
        Err(e) => {
            eprintln!("jq is not installed ({e}); the generated child pipeline was not checked")
        }
    }
    // The child's templates: every entraform line parses.
    let child = &yaml_docs("examples/gitlab-ci/entraform-tenant.gitlab-ci.yml")[0];
    let mut used = Vec::new();
    for kind in [".entraform:plan", ".entraform:reconcile"] {
        assert_eq!(child[kind]["extends"], ".entraform:tenant");
        for line in child[kind]["script"].as_array().unwrap() {
            for cmd in commands(line.as_str().unwrap()) {
                parses(&cmd);
                used.push(cmd[1].clone());
            }
        }
    }
    assert_eq!(used, ["validate", "plan", "reconcile"]);
    assert_eq!(
        child[".entraform:reconcile"]["resource_group"],
        "entraform-apply-$ENTRAFORM_TENANT"
    );
}

/// The `kubernetes-validate` of `.ci/lint-packaging`'s cache or of PATH.
fn kubernetes_validate() -> Option<PathBuf> {
    let cache = std::env::var_os("ENTRAFORM_CI_CACHE")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("entraform-ci"))
        })
        .or_else(|| std::env::var_os("HOME").map(|d| PathBuf::from(d).join(".cache/entraform-ci")));
    let cached = cache.map(|c| c.join("venv/bin/kubernetes-validate"));
    cached.filter(|p| p.is_file()).or_else(|| {
        Command::new("kubernetes-validate")
            .arg("--version")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|_| PathBuf::from("kubernetes-validate"))
    })
}

#[test]
fn kubernetes_cronjobs_run_one_tenant_each_and_validate() {
    let docs = yaml_docs("examples/kubernetes/cronjob.yaml");
    assert_eq!(docs.len(), 2);
    for cj in &docs {
        assert_eq!(
            (cj["apiVersion"].as_str(), cj["kind"].as_str()),
            (Some("batch/v1"), Some("CronJob"))
        );
        let name = cj["metadata"]["name"].as_str().unwrap();
        // A CronJob name is at most 52 characters (kubernetes.io, cron-jobs).
        assert!(
            name.len() <= 52
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        );
        assert!(cj["spec"]["schedule"].is_string());
        assert_eq!(cj["spec"]["concurrencyPolicy"], "Forbid");
        let pod = &cj["spec"]["jobTemplate"]["spec"]["template"]["spec"];
        assert!(matches!(
            pod["restartPolicy"].as_str(),
            Some("Never" | "OnFailure")
        ));
        let c = &pod["containers"][0];
        assert_eq!(c["name"], "entraform");
        let tenant = c["env"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == "ENTRAFORM_TENANT")
            .and_then(|e| e["value"].as_str())
            .unwrap();
        entraform::desired::tenancy::tenant_name(tenant).unwrap();
        assert_eq!(cj["metadata"]["labels"]["entraform.dev/tenant"], tenant);
        assert_eq!(
            c["envFrom"][0]["secretRef"]["name"],
            format!("entraform-{tenant}")
        );
        let mut cmd = vec!["entraform".to_string()];
        cmd.extend(
            c["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_string()),
        );
        parses(&cmd);
        assert_eq!(cmd[1], "reconcile");
        assert!(cmd.windows(2).any(|w| w == ["--state-dir", "/state"]));
    }
    match kubernetes_validate() {
        Some(kv) => {
            let o = Command::new(&kv)
                .current_dir(root())
                .args([
                    "--strict",
                    "examples/kubernetes/cronjob.yaml",
                    "examples/kubernetes/state-pvc.yaml",
                ])
                .output()
                .unwrap();
            assert!(o.status.success(), "kubernetes-validate: {}", out(&o));
        }
        None => eprintln!(
            "kubernetes-validate is not installed (.ci/lint-packaging installs it from PyPI); the manifests were checked for their shape only"
        ),
    }
}
