//! The emulator as its own crate (issue #14 §6): entraform writes seeds as
//! plain JSON (`export::seed_format`) and the emulator reads them with its own
//! types; the synthetic app holds the documented grants; the emulator's own
//! YAML reader agrees with entraform's on seed files; and only the CLI of the
//! product crate uses the emulator.

use std::path::Path;

use entraform::export::seed::{SeedApp, SeedOptions, seed_from_live};
use entraform::graph::Credential;
use entraform::live::{ReadOptions, read_live};
use graph_emulator::Seed;
use graph_emulator::state::Tenant;

use crate::cli_support::root;
use crate::emulator_client::client_at;
use crate::emulator_support::{CLIENT_ID, SECRET, small_seed, start};

fn options(anonymise: bool) -> SeedOptions {
    SeedOptions {
        tenant_id: "aaaabbbb-0000-4000-8000-00000000beef".into(),
        app: SeedApp {
            app_id: "cccccccc-0000-4000-8000-000000000001".into(),
            secret_sha256: "ab".repeat(32),
            fallback_principal_id: "dddddddd-0000-4000-8000-000000000001".into(),
        },
        anonymise,
    }
}

#[tokio::test]
async fn the_emulator_loads_the_seed_snapshot_writes() {
    let env = start().await;
    let client = client_at(
        env.emu.base_url(),
        &env.emu.tenant_id(),
        CLIENT_ID,
        Credential::Secret(SECRET.into()),
        true,
    );
    let live = read_live(&client, &ReadOptions::default()).await.unwrap();
    for anonymise in [false, true] {
        let out = seed_from_live(&live, &options(anonymise));
        let text = serde_json::to_string_pretty(&out.seed).unwrap();
        let parsed = Seed::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        // Nothing the snapshot writes is lost or renamed on the way in: the
        // emulator's seed, written back, is the snapshot's text.
        assert_eq!(
            serde_json::to_value(&parsed).unwrap(),
            serde_json::to_value(&out.seed).unwrap()
        );
        let t = Tenant::from_seed(parsed, 1).unwrap();
        let seed = small_seed();
        assert_eq!(t.users.len(), seed.users.len());
        assert_eq!(t.groups.len(), seed.groups.len());
        assert_eq!(t.assignments.len(), seed.role_assignments.len());
        assert_eq!(t.deleted.len(), seed.deleted_users.len());
        // The seed holds the digest of its app's secret, never a secret.
        let app = &t.apps[0];
        assert_eq!(app.app_id, options(anonymise).app.app_id);
        assert!(app.client_secrets.is_empty());
        assert_eq!(app.client_secret_sha256, ["ab".repeat(32)]);
    }
}

#[test]
fn the_synthetic_app_holds_the_recommended_grants() {
    assert_eq!(
        graph_emulator::seed::SYNTHETIC_GRANTS,
        entraform::live::permissions::recommended_grants().as_slice()
    );
}

#[test]
fn the_emulator_reads_yaml_seeds_as_entraform_does() {
    let text = std::fs::read_to_string(root().join("examples/seed.yaml")).unwrap();
    assert_eq!(
        graph_emulator::yaml::to_json(&text).unwrap(),
        entraform::desired::yaml::to_json(&text).unwrap()
    );
    for snippet in [
        "a: 02134\nb: '7'\nc: ~\nd: TRUE\ne: 1.5e3\nf: !!str 3\ng: .inf\n1: x\nnull: y\n",
        "- &u {id: 1, tags: [a, b]}\n- *u\n- |\n  block\n  text\n",
        "",
        "# only a comment\n",
    ] {
        assert_eq!(
            graph_emulator::yaml::to_json(snippet).unwrap(),
            entraform::desired::yaml::to_json(snippet).unwrap(),
            "{snippet:?}"
        );
    }
}

/// Whether a line of code (not a comment) of the file mentions `what`.
fn code_mentions(path: &Path, what: &str) -> bool {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .any(|l| !l.trim_start().starts_with("//") && l.contains(what))
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn only_the_cli_uses_the_emulator_and_the_emulator_uses_no_product_module() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let outside_cli: Vec<String> = files
        .iter()
        .filter(|p| !p.starts_with(root().join("src/cli")))
        .filter(|p| code_mentions(p, "graph_emulator"))
        .map(|p| p.display().to_string())
        .collect();
    assert!(
        outside_cli.is_empty(),
        "only src/cli/ may use the emulator crate: {outside_cli:?}"
    );
    let manifest =
        std::fs::read_to_string(root().join("crates/graph-emulator/Cargo.toml")).unwrap();
    // No dependency entry names the product, by package name or by path to the root.
    let depends_on_product = manifest.lines().any(|l| {
        let l = l.trim();
        !l.starts_with('#')
            && (l.split(['=', ' ', '.']).next() == Some("entraform")
                || l.contains("path = \"../..\"")
                || l.contains("path = \"../../\""))
    });
    assert!(
        !depends_on_product,
        "the emulator must not depend on entraform"
    );
    let mut files = Vec::new();
    rust_files(&root().join("crates/graph-emulator/src"), &mut files);
    for p in files {
        assert!(
            !code_mentions(&p, "entraform::"),
            "{} uses entraform",
            p.display()
        );
    }
}
