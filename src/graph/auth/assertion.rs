//! Certificate credential: a signed JWT client assertion.
//!
//! Per Microsoft's "certificate credentials" page: header `alg` PS256 with
//! `x5t#S256` (base64url SHA-256 of the DER certificate); older RS256
//! assertions carry `x5t` (base64url SHA-1). We sign PS256 and send both
//! thumbprints. Claims: `aud` = the token endpoint, `iss` = `sub` = client
//! id, a fresh `jti`, `nbf`/`iat` = now, `exp` = now + 10 minutes.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};

use crate::graph::error::AuthError;

/// Lifetime of an assertion (Microsoft recommends 5–10 minutes).
const ASSERTION_LIFETIME_SECS: u64 = 600;

/// A loaded certificate and private key, ready to sign assertions.
#[derive(Clone)]
pub struct Certificate {
    path: String,
    key: EncodingKey,
    x5t: String,
    x5t_s256: String,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("path", &self.path)
            .field("x5t#S256", &self.x5t_s256)
            .field("key", &"[redacted]")
            .finish()
    }
}

#[derive(serde::Serialize)]
struct Claims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    jti: String,
    nbf: u64,
    iat: u64,
    exp: u64,
}

impl Certificate {
    /// Read a PEM file holding the certificate (first `CERTIFICATE` block =
    /// the leaf) and its RSA private key (`PRIVATE KEY` or `RSA PRIVATE KEY`),
    /// as `AZURE_CLIENT_CERTIFICATE_PATH` expects. Encrypted keys are not
    /// supported.
    pub fn from_pem_file(path: &str) -> Result<Certificate, AuthError> {
        let text = std::fs::read(path).map_err(|e| cert_err(path, format!("cannot read: {e}")))?;
        Self::from_pem(path, &text)
    }

    /// Same as [`Certificate::from_pem_file`] from bytes; `path` is for messages.
    pub fn from_pem(path: &str, pem_bytes: &[u8]) -> Result<Certificate, AuthError> {
        let blocks = pem::parse_many(pem_bytes)
            .map_err(|e| cert_err(path, format!("not a PEM file: {e}")))?;
        let cert = blocks
            .iter()
            .find(|b| b.tag() == "CERTIFICATE")
            .ok_or_else(|| cert_err(path, "no CERTIFICATE block in the PEM file".into()))?;
        if blocks.iter().any(|b| b.tag() == "ENCRYPTED PRIVATE KEY") {
            return Err(cert_err(
                path,
                "the private key is encrypted; provide an unencrypted PEM (keep the file secret)"
                    .into(),
            ));
        }
        let key_block = blocks
            .iter()
            .find(|b| b.tag() == "PRIVATE KEY" || b.tag() == "RSA PRIVATE KEY")
            .ok_or_else(|| cert_err(path, "no PRIVATE KEY block in the PEM file".into()))?;
        let key = EncodingKey::from_rsa_pem(pem::encode(key_block).as_bytes()).map_err(|e| {
            cert_err(
                path,
                format!("the private key is not a usable RSA key: {e}"),
            )
        })?;
        let der = cert.contents();
        let x5t = URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, der));
        let x5t_s256 = URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, der));
        Ok(Certificate {
            path: path.to_string(),
            key,
            x5t,
            x5t_s256,
        })
    }

    /// base64url SHA-1 thumbprint of the DER certificate (`x5t`).
    pub fn x5t(&self) -> &str {
        &self.x5t
    }

    /// base64url SHA-256 thumbprint of the DER certificate (`x5t#S256`).
    pub fn x5t_s256(&self) -> &str {
        &self.x5t_s256
    }

    /// Sign a client assertion for `client_id` with audience `token_url`.
    pub fn assertion(&self, client_id: &str, token_url: &str) -> Result<String, AuthError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut header = Header::new(Algorithm::PS256);
        header.typ = Some("JWT".into());
        header.x5t = Some(self.x5t.clone());
        header.x5t_s256 = Some(self.x5t_s256.clone());
        let claims = Claims {
            aud: token_url,
            iss: client_id,
            sub: client_id,
            jti: random_uuid(),
            nbf: now,
            iat: now,
            exp: now + ASSERTION_LIFETIME_SECS,
        };
        jsonwebtoken::encode(&header, &claims, &self.key).map_err(|e| {
            cert_err(
                &self.path,
                format!("could not sign the client assertion: {e}"),
            )
        })
    }
}

fn cert_err(path: &str, reason: String) -> AuthError {
    AuthError::Certificate {
        path: path.to_string(),
        reason,
    }
}

/// A random (version 4) UUID string, for `jti`.
pub(crate) fn random_uuid() -> String {
    let mut b = [0u8; 16];
    for x in b.iter_mut() {
        *x = fastrand::u8(..);
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_shape() {
        let u = random_uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
    }

    #[test]
    fn missing_blocks_are_explained() {
        let e = Certificate::from_pem("x.pem", b"").unwrap_err().to_string();
        assert!(e.contains("no CERTIFICATE block"), "{e}");
    }
}
