//! OAuth2 client credentials: the token endpoint
//! (`POST /{tenant}/oauth2/v2.0/token`, with a client secret, a certificate
//! client assertion, or a federated assertion) and bearer-token checks.
//!
//! Client assertions are JWTs whose claims (`aud`, `iss`, `sub`, `exp`) and
//! header (`x5t` / `x5t#S256` against the registered thumbprint) are checked;
//! their signature is NOT verified (the emulator has no crypto dependency).

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::error::GraphError;
use super::seed::AppRegistration;
use super::state::Tenant;
use super::util::{Rng, b64_decode, b64url_encode, hex, now_secs, parse_query};

/// Lifetime of issued tokens, as Graph's `expires_in`.
pub const TOKEN_LIFETIME_SECS: u64 = 3599;
/// The only scope the emulator issues tokens for.
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// An issued access token.
#[derive(Debug, Clone)]
pub struct TokenInfo {
    /// The app it was issued to.
    pub client_id: String,
    /// When it stops being valid.
    pub expires: Instant,
    /// Its `roles` claim: the application permissions granted to the app
    /// when the token was issued (as Entra's tokens, fixed for their lifetime).
    pub roles: BTreeSet<String>,
    /// Its `oid` claim: the app's service principal.
    pub principal: Option<String>,
}

/// Issued tokens.
#[derive(Debug, Default)]
pub struct Tokens {
    map: HashMap<String, TokenInfo>,
}

impl Tokens {
    /// Issue a token for an app: an unsigned JWT shaped like Entra's app-only
    /// tokens (`oid` = the app's service principal, `tid`, `appid`/`azp`,
    /// `roles` = its granted application permissions, `exp`) followed by a
    /// random dummy signature. Graph calls treat it as opaque; it is valid
    /// only in this emulator's memory. As in Entra, a token without granted
    /// permissions has no `roles` claim at all.
    pub fn issue(
        &mut self,
        rng: &mut Rng,
        client_id: &str,
        tenant_id: &str,
        object_id: Option<&str>,
        roles: BTreeSet<String>,
        lifetime: Duration,
    ) -> String {
        let now = now_secs();
        let header = json!({ "typ": "JWT", "alg": "none" });
        let mut claims = json!({
            "aud": "https://graph.microsoft.com",
            "iss": format!("https://sts.windows.net/{tenant_id}/"),
            "iat": now,
            "nbf": now,
            "exp": now + lifetime.as_secs() as i64,
            "appid": client_id,
            "azp": client_id,
            "idtyp": "app",
            "oid": object_id,
            "sub": object_id,
            "tid": tenant_id,
            "ver": "1.0",
            "uti": rng.token(12),
        });
        if !roles.is_empty() {
            claims["roles"] = json!(roles);
        }
        let token = format!(
            "{}.{}.{}",
            b64url_encode(header.to_string().as_bytes()),
            b64url_encode(claims.to_string().as_bytes()),
            rng.token(32)
        );
        self.map.insert(
            token.clone(),
            TokenInfo {
                client_id: client_id.to_string(),
                expires: Instant::now() + lifetime,
                roles,
                principal: object_id.map(str::to_string),
            },
        );
        token
    }

    /// Check an `Authorization` header; Graph's 401 if missing, unknown or expired.
    pub fn check(&self, authorization: Option<&str>) -> Result<&TokenInfo, GraphError> {
        let unauth = |m: &str| GraphError::new(401, "InvalidAuthenticationToken", m);
        let token = authorization
            .and_then(|h| {
                let (scheme, rest) = h.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
            })
            .filter(|t| !t.is_empty())
            .ok_or_else(|| unauth("Access token is empty."))?;
        let info = self
            .map
            .get(token)
            .ok_or_else(|| unauth("CompactToken parsing failed with error code: 80049217"))?;
        if Instant::now() >= info.expires {
            return Err(unauth("Lifetime validation failed, the token is expired."));
        }
        Ok(info)
    }

    /// Expire a token immediately (tests of the 401 path).
    pub fn expire(&mut self, token: &str) {
        if let Some(i) = self.map.get_mut(token) {
            i.expires = Instant::now();
        }
    }

    /// Expire every token issued so far (tests of tokens that expire during a
    /// long run, whoever fetched them).
    pub fn expire_all(&mut self) {
        let now = Instant::now();
        for i in self.map.values_mut() {
            i.expires = now;
        }
    }
}

/// A token-endpoint error in the identity platform's shape (not Graph's envelope).
#[derive(Debug, Clone, PartialEq)]
pub struct OAuthError {
    /// HTTP status.
    pub status: u16,
    /// OAuth2 `error`.
    pub error: &'static str,
    /// AADSTS code.
    pub code: u32,
    /// Description after `AADSTSnnnn: `.
    pub description: String,
}

impl OAuthError {
    fn new(status: u16, error: &'static str, code: u32, description: impl Into<String>) -> Self {
        OAuthError {
            status,
            error,
            code,
            description: description.into(),
        }
    }

    /// The JSON body (as in `token-error-invalid-scope.json`).
    pub fn body(&self, trace_id: &str, correlation_id: &str) -> Value {
        let ts = super::util::inner_error_date(now_secs()).replace('T', " ") + "Z";
        json!({
            "error": self.error,
            "error_description": format!(
                "AADSTS{}: {}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\nTimestamp: {ts}",
                self.code, self.description
            ),
            "error_codes": [self.code],
            "timestamp": ts,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
        })
    }
}

fn jwt_part(part: Option<&str>) -> Option<Value> {
    serde_json::from_slice(&b64_decode(part?)?).ok()
}

fn check_assertion(
    app: &AppRegistration,
    tenant_segment: &str,
    assertion: &str,
) -> Result<(), OAuthError> {
    let invalid = |code, d: &str| OAuthError::new(401, "invalid_client", code, d);
    let mut parts = assertion.split('.');
    let header = jwt_part(parts.next());
    let claims = jwt_part(parts.next());
    let (Some(header), Some(claims)) = (header, claims) else {
        return Err(invalid(50027, "JWT token is invalid or malformed."));
    };
    let claim = |k: &str| claims.get(k).and_then(Value::as_str).unwrap_or("");
    let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
    if exp <= now_secs() {
        return Err(invalid(
            700024,
            "Client assertion is not within its valid time range.",
        ));
    }
    let thumb = header
        .get("x5t#S256")
        .or_else(|| header.get("x5t"))
        .and_then(Value::as_str);
    if let Some(x5t) = thumb {
        let presented = b64_decode(x5t).map(|b| hex(&b)).unwrap_or_default();
        if !app
            .certificate_thumbprints
            .iter()
            .any(|t| t.replace([':', ' '], "").eq_ignore_ascii_case(&presented))
        {
            return Err(invalid(
                700027,
                "The certificate with identifier used to sign the client assertion is not registered on application.",
            ));
        }
        let aud_ok = claim("aud").ends_with(&format!("/{tenant_segment}/oauth2/v2.0/token"));
        if !aud_ok {
            return Err(invalid(
                700021,
                "Client assertion audience claim does not match Realm issuer.",
            ));
        }
        if claim("iss") != app.app_id || claim("sub") != app.app_id {
            return Err(invalid(
                700023,
                "Client assertion issuer and subject must both be the application's client id.",
            ));
        }
        return Ok(());
    }
    let aud_matches = |want: &str| match claims.get("aud") {
        Some(Value::String(a)) => a == want,
        Some(Value::Array(a)) => a.iter().any(|x| x.as_str() == Some(want)),
        _ => false,
    };
    if app
        .federated_credentials
        .iter()
        .any(|f| f.issuer == claim("iss") && f.subject == claim("sub") && aud_matches(&f.audience))
    {
        return Ok(());
    }
    Err(OAuthError::new(
        400,
        "invalid_client",
        70021,
        "No matching federated identity record found for presented assertion.",
    ))
}

/// Handle a token request body (form-encoded) for `/{tenant_segment}/oauth2/v2.0/token`;
/// returns the app's client id on success.
pub fn authenticate(t: &Tenant, tenant_segment: &str, form: &str) -> Result<String, OAuthError> {
    let params = parse_query(form);
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let tenant_ok = t.info.id.eq_ignore_ascii_case(tenant_segment)
        || t.info
            .domains
            .iter()
            .any(|d| d.eq_ignore_ascii_case(tenant_segment));
    if !tenant_ok {
        return Err(OAuthError::new(
            400,
            "invalid_request",
            90002,
            format!(
                "Tenant '{tenant_segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
            ),
        ));
    }
    if get("grant_type") != Some("client_credentials") {
        return Err(OAuthError::new(
            400,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type. The emulator supports only client_credentials.",
        ));
    }
    let client_id = get("client_id").unwrap_or("");
    let app = t.apps.iter().find(|a| a.app_id == client_id).ok_or_else(|| {
        OAuthError::new(
            400,
            "unauthorized_client",
            700016,
            format!("Application with identifier '{client_id}' was not found in the directory '{tenant_segment}'."),
        )
    })?;
    let scope = get("scope").unwrap_or("");
    if scope.split(' ').filter(|s| !s.is_empty()).ne([GRAPH_SCOPE]) {
        return Err(OAuthError::new(
            400,
            "invalid_scope",
            70011,
            format!(
                "The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid."
            ),
        ));
    }
    match (get("client_secret"), get("client_assertion")) {
        (Some(secret), _) => {
            if app.accepts_secret(secret) {
                Ok(app.app_id.clone())
            } else {
                Err(OAuthError::new(
                    401,
                    "invalid_client",
                    7000215,
                    format!(
                        "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
                    ),
                ))
            }
        }
        (None, Some(assertion)) => {
            if get("client_assertion_type") != Some(ASSERTION_TYPE) {
                return Err(OAuthError::new(
                    400,
                    "invalid_request",
                    50012,
                    "The client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.",
                ));
            }
            check_assertion(app, tenant_segment, assertion).map(|()| app.app_id.clone())
        }
        (None, None) => Err(OAuthError::new(
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::{SYNTHETIC_CLIENT_ID, SYNTHETIC_CLIENT_SECRET, Seed, SyntheticSpec};

    fn tenant() -> Tenant {
        let seed = Seed::synthetic(SyntheticSpec {
            users: 2,
            groups: 0,
            memberships: 0,
            rng_seed: 1,
        });
        Tenant::from_seed(seed, 1).unwrap()
    }

    #[test]
    fn secret_and_errors() {
        let t = tenant();
        let form = format!(
            "client_id={SYNTHETIC_CLIENT_ID}&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&client_secret={SYNTHETIC_CLIENT_SECRET}&grant_type=client_credentials"
        );
        assert_eq!(
            authenticate(&t, "contoso.com", &form).unwrap(),
            SYNTHETIC_CLIENT_ID
        );
        let bad = form.replace("emulator-secret", "nope");
        assert_eq!(
            authenticate(&t, "contoso.com", &bad).unwrap_err().code,
            7000215
        );
        let scope = form.replace("graph.microsoft.com", "foo.microsoft.com");
        assert_eq!(
            authenticate(&t, "contoso.com", &scope).unwrap_err().error,
            "invalid_scope"
        );
        assert_eq!(
            authenticate(&t, "fabrikam.com", &form).unwrap_err().code,
            90002
        );
    }

    #[test]
    fn certificate_assertion_claims() {
        let t = tenant();
        let thumb = crate::util::unhex(crate::seed::SYNTHETIC_CERT_THUMBPRINT).unwrap();
        let header = b64url_encode(
            json!({"alg":"RS256","x5t": b64url_encode(&thumb)})
                .to_string()
                .as_bytes(),
        );
        let claims = |exp: i64| {
            b64url_encode(
                json!({"aud": "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token",
                       "iss": SYNTHETIC_CLIENT_ID, "sub": SYNTHETIC_CLIENT_ID, "exp": exp})
                .to_string()
                .as_bytes(),
            )
        };
        let form = |jwt: &str| {
            format!(
                "client_id={SYNTHETIC_CLIENT_ID}&scope={GRAPH_SCOPE}&grant_type=client_credentials&client_assertion_type={ASSERTION_TYPE}&client_assertion={jwt}"
            )
        };
        let ok = format!("{header}.{}.sig", claims(now_secs() + 300));
        assert!(authenticate(&t, "contoso.com", &form(&ok)).is_ok());
        let expired = format!("{header}.{}.sig", claims(now_secs() - 1));
        assert_eq!(
            authenticate(&t, "contoso.com", &form(&expired))
                .unwrap_err()
                .code,
            700024
        );
        let other = b64url_encode(json!({"alg":"RS256","x5t":"AAAA"}).to_string().as_bytes());
        let wrong = format!("{other}.{}.sig", claims(now_secs() + 300));
        assert_eq!(
            authenticate(&t, "contoso.com", &form(&wrong))
                .unwrap_err()
                .code,
            700027
        );
    }
}
