//! The certificate client assertion is a valid PS256 JWT that Entra accepts:
//! right header thumbprints, claims, and a signature that verifies with the
//! certificate's public key.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entraform::graph::auth::Certificate;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

const PEM: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/graph_fixtures/cert-and-key.pem"
);
const PUB: &[u8] = include_bytes!("../graph_fixtures/public-key.pem");
const SHA1: &str = "24BE6B55E25C5B57D16ED430D44E517163F9D349";
const SHA256: &str = "E3D92F332E35B70E0B27EA66B6205E2EC3696C800521D6399502F24E71EECE48";

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

#[test]
fn thumbprints_match_openssl() {
    let c = Certificate::from_pem_file(PEM).unwrap();
    assert_eq!(hex(&URL_SAFE_NO_PAD.decode(c.x5t()).unwrap()), SHA1);
    assert_eq!(hex(&URL_SAFE_NO_PAD.decode(c.x5t_s256()).unwrap()), SHA256);
    assert!(!format!("{c:?}").contains("PRIVATE"));
}

#[test]
fn assertion_is_signed_ps256_with_entra_claims() {
    let c = Certificate::from_pem_file(PEM).unwrap();
    let aud = "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token";
    let jwt = c.assertion("client-1", aud).unwrap();
    let header = jsonwebtoken::decode_header(&jwt).unwrap();
    assert_eq!(header.alg, Algorithm::PS256);
    assert_eq!(header.x5t_s256.as_deref(), Some(c.x5t_s256()));
    assert_eq!(header.x5t.as_deref(), Some(c.x5t()));
    let mut v = Validation::new(Algorithm::PS256);
    v.set_audience(&[aud]);
    v.set_issuer(&["client-1"]);
    v.sub = Some("client-1".into());
    v.set_required_spec_claims(&["exp", "nbf", "aud", "iss", "sub"]);
    let key = DecodingKey::from_rsa_pem(PUB).unwrap();
    let data = jsonwebtoken::decode::<serde_json::Value>(&jwt, &key, &v).unwrap();
    let exp = data.claims["exp"].as_u64().unwrap();
    let nbf = data.claims["nbf"].as_u64().unwrap();
    assert!(exp - nbf <= 600 && exp > nbf);
    assert_eq!(data.claims["jti"].as_str().unwrap().len(), 36);
    // A second assertion has a fresh jti.
    let jwt2 = c.assertion("client-1", aud).unwrap();
    let d2 = jsonwebtoken::decode::<serde_json::Value>(&jwt2, &key, &v).unwrap();
    assert_ne!(d2.claims["jti"], data.claims["jti"]);
}

#[test]
fn encrypted_or_missing_key_is_explained() {
    let only_cert = std::fs::read_to_string(PEM).unwrap();
    let cert_part: String = only_cert
        .split_inclusive('\n')
        .take_while(|l| !l.contains("PRIVATE KEY"))
        .collect();
    let e = Certificate::from_pem("only-cert.pem", cert_part.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("only-cert.pem") && e.contains("no PRIVATE KEY"),
        "{e}"
    );
}
