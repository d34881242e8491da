//! The JSON Schema printed by `entraform schema` accepts the example repo,
//! rejects what the validator rejects, and the committed copy is current.

use std::path::{Path, PathBuf};

use entraform::desired::{load::find_files, schema::schema, yaml::to_json};

fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/desired-state")
}

fn compiled() -> (boon::Schemas, boon::SchemaIndex) {
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler
        .add_resource("entraform.schema.json", schema())
        .expect("schema resource");
    let idx = compiler
        .compile("entraform.schema.json", &mut schemas)
        .expect("the schema compiles");
    (schemas, idx)
}

#[test]
fn example_repo_matches_the_schema() {
    let (schemas, idx) = compiled();
    let files = find_files(&example_dir()).expect("example dir");
    assert!(
        files.len() >= 5,
        "expected the example repo, found {files:?}"
    );
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read example");
        let json = to_json(&text).expect("example parses");
        if let Err(e) = schemas.validate(&json, idx) {
            panic!("{} does not match the schema: {e}", f.display());
        }
    }
}

#[test]
fn schema_rejects_unknown_keys_literal_passwords_and_bad_codes() {
    let (schemas, idx) = compiled();
    for bad in [
        "users:\n  - upn: a@contoso.com\n    displayname: A\n",
        "users:\n  - upn: a@contoso.com\n    password: Hunter2!\n",
        "users:\n  - upn: a@contoso.com\n    businessPhones: ['1', '2']\n",
        "users:\n  - displayName: no upn\n",
        "tenant:\n  domain: contoso.com\n  absent_users: purge\n",
        "groups:\n  - name: g\n    type: distribution\n",
    ] {
        let json = to_json(bad).expect("parses");
        assert!(
            schemas.validate(&json, idx).is_err(),
            "schema accepted:\n{bad}"
        );
    }
    let good = "users:\n  - upn: a\n    password: { env: PW }\n    mobilePhone: null\n    usageLocation: US\n";
    let json = to_json(good).expect("parses");
    assert!(schemas.validate(&json, idx).is_ok());
}

#[test]
fn committed_schema_copy_is_current() {
    let committed = std::fs::read_to_string(example_dir().join("entraform.schema.json"))
        .expect("committed schema");
    let current: serde_json::Value = serde_json::from_str(&committed).expect("valid JSON");
    assert_eq!(
        current,
        schema(),
        "examples/desired-state/entraform.schema.json is stale: run `cargo run -- schema > examples/desired-state/entraform.schema.json`"
    );
}
