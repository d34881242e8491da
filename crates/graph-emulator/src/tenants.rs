//! Several tenants on one emulator: which tenant answers a request.
//!
//! The identity platform's token endpoint names the tenant in its path
//! (`POST /{tenant}/oauth2/v2.0/token`, the tenant "in GUID or domain-name
//! format": azure-docs articles/active-directory/develop/
//! v2-oauth2-client-creds-grant-flow.md), and Graph serves the tenant the
//! access token was issued for, whose id is the token's `tid` claim
//! (entra-docs docs/identity-platform/access-token-claims-reference.md). So a
//! token request goes to the tenant its path names, a Graph request to the
//! tenant of its token's `tid`, and `/_emulator` control requests to the
//! tenant of their `?tenant=` parameter. Anything else (no token, a token
//! that is not a JWT, an unknown tenant) goes to the first tenant, which
//! answers as Graph would: 401 for a token it did not issue, AADSTS90002 for
//! a tenant it is not.

use std::sync::Arc;

use axum::extract::Request;
use serde_json::Value;

use super::shared::{Shared, lock};
use super::util::{b64_decode, parse_query};

/// The tenant that answers `req` (the first one when there is only one).
pub fn pick(all: &[Arc<Shared>], req: &Request) -> Arc<Shared> {
    let first = || all[0].clone();
    if all.len() == 1 {
        return first();
    }
    let path = req.uri().path();
    let wanted: Option<String> = if path.starts_with("/_emulator/") {
        parse_query(req.uri().query().unwrap_or(""))
            .into_iter()
            .find(|(k, _)| k == "tenant")
            .map(|(_, v)| v)
    } else {
        let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        match segs.as_slice() {
            [tenant, "oauth2", "v2.0", "token"] => Some((*tenant).to_string()),
            _ => req
                .headers()
                .get("authorization")
                .and_then(|h| h.to_str().ok())
                .and_then(token_tid),
        }
    };
    let Some(wanted) = wanted else {
        return first();
    };
    all.iter()
        .find(|s| {
            let t = lock(&s.tenant);
            t.info.id.eq_ignore_ascii_case(&wanted)
                || t.info
                    .domains
                    .iter()
                    .any(|d| d.eq_ignore_ascii_case(&wanted))
        })
        .cloned()
        .unwrap_or_else(first)
}

/// The `tid` claim of a `Bearer` JWT (not verified: the tenant that issued it
/// checks the token itself and answers 401 when it does not know it).
fn token_tid(authorization: &str) -> Option<String> {
    let (scheme, token) = authorization.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let payload = token.trim().split('.').nth(1)?;
    let claims: Value = serde_json::from_slice(&b64_decode(payload)?).ok()?;
    claims.get("tid")?.as_str().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::b64url_encode;

    #[test]
    fn the_tid_of_a_bearer_jwt() {
        let claims = b64url_encode(br#"{"tid":"t-2","appid":"x"}"#);
        let h = format!("Bearer aGVhZA.{claims}.sig");
        assert_eq!(token_tid(&h).as_deref(), Some("t-2"));
        assert_eq!(token_tid("Basic abc"), None);
        assert_eq!(token_tid("Bearer opaque"), None);
    }
}
