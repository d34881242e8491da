//! A user's `invite:` block: a B2B guest invited through `POST /invitations`.
//!
//! Graph chooses the guest's UPN: `<local>_<domain>#EXT#@<initial domain>`
//! (invitation-post's sample: `admin@fabrikam.com` →
//! `admin_fabrikam.com#EXT#@doc.onmicrosoft.com`). The entry may leave `upn`
//! out (it is derived with the first `*.onmicrosoft.com` domain of
//! `tenant.domains`) or write it, and then it must be that UPN, so the plan
//! matches the guest Graph makes (and a re-run finds it) by UPN.

use super::Checker;
use crate::desired::decode::{RawInvite, Str};
use crate::desired::diagnostic::{Code, Diagnostic, shown};
use crate::model::op::GuestInvite;

/// Longest invited address (RFC 5321's path limit; the emulator's too).
const MAX_ADDRESS: usize = 254;

/// The guest UPN's local part Graph builds from `email`: `<local>_<domain>#EXT#`.
pub fn guest_local_part(email: &str) -> Option<String> {
    let (local, domain) = email.rsplit_once('@')?;
    Some(format!("{local}_{domain}#EXT#"))
}

/// What is wrong with an invited address, if anything (resources/invitation:
/// one `@`, a dotted domain, no spaces or `~!#$%^&*()+=[]{}\/|;:"<>?,`).
fn address_problem(a: &str) -> Option<&'static str> {
    if a.len() > MAX_ADDRESS {
        return Some("longer than 254 characters");
    }
    if a.chars()
        .any(|c| c.is_whitespace() || "~!#$%^&*()+=[]{}\\/|;:\"<>?,".contains(c))
    {
        return Some("contains a space or a character Graph refuses in an invited address");
    }
    let Some((local, domain)) = a.rsplit_once('@') else {
        return Some("has no `@`");
    };
    let edge = |s: &str| s.starts_with(['.', '-']) || s.ends_with(['.', '-']);
    if local.is_empty() || local.contains('@') || edge(local) {
        return Some("has no valid name before the `@`");
    }
    if domain.is_empty() || !domain.contains('.') || edge(domain) {
        return Some("has no valid domain after the `@`");
    }
    None
}

/// Whether a redirect URL is `https://` with a host.
fn https_with_host(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    lower.strip_prefix("https://").is_some_and(|rest| {
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        !host.is_empty() && !url.chars().any(char::is_whitespace)
    })
}

/// Check `invite:` and the entry's `upn`: the UPN to use (derived when left
/// out) and the invitation, or `None`s after a diagnostic.
pub(super) fn check(
    c: &mut Checker<'_>,
    upn: Option<Str>,
    raw: RawInvite,
) -> (Option<Str>, Option<GuestInvite>) {
    let (Some(email), Some(redirect)) = (raw.email, raw.redirect_url) else {
        // The missing key is reported by the decoder.
        return (upn, None);
    };
    let mut ok = true;
    if let Some(problem) = address_problem(&email.text) {
        c.diags.push(
            Diagnostic::error(
                Code::InvalidInvite,
                email.loc,
                format!("`invite.email` `{}` {problem}", shown(&email.text)),
            )
            .label(problem)
            .help("write the guest's own address, e.g. `email: ana@fabrikam.com`"),
        );
        ok = false;
    }
    if !https_with_host(&redirect.text) {
        c.diags.push(
            Diagnostic::error(
                Code::InvalidInvite,
                redirect.loc,
                format!(
                    "`invite.redirect_url` `{}` is not an https:// URL",
                    shown(&redirect.text)
                ),
            )
            .label("must start with https:// and name a host")
            .help("where the guest lands after accepting, e.g. `redirect_url: https://myapps.microsoft.com`"),
        );
        ok = false;
    }
    if !ok {
        return (upn, None);
    }
    let Some(local) = guest_local_part(&email.text) else {
        return (upn, None);
    };
    let upn = match upn {
        Some(u) => {
            let matches = u
                .text
                .rsplit_once('@')
                .is_some_and(|(l, _)| l.eq_ignore_ascii_case(&local));
            if !matches {
                let domain = u
                    .text
                    .rsplit_once('@')
                    .map_or("<initial domain>", |(_, d)| d);
                c.diags.push(
                    Diagnostic::error(
                        Code::InviteUpnMismatch,
                        u.loc,
                        format!(
                            "`{}` is not the UPN Graph gives the guest invited as `{}`",
                            shown(&u.text),
                            shown(&email.text)
                        ),
                    )
                    .label("Graph names an invited guest `<local>_<domain>#EXT#@<initial domain>`")
                    .help(format!(
                        "write `upn: \"{local}@{domain}\"` (quoted: `#` starts a YAML comment), or leave `upn` out"
                    )),
                );
                return (None, None);
            }
            u
        }
        None => {
            let initial = c
                .domains
                .iter()
                .find(|d| d.to_ascii_lowercase().ends_with(".onmicrosoft.com"))
                .cloned();
            let Some(initial) = initial else {
                c.diags.push(
                    Diagnostic::error(
                        Code::InvalidInvite,
                        raw.loc,
                        format!(
                            "the guest invited as `{}` has no `upn`, and `tenant.domains` lists no *.onmicrosoft.com domain to derive it from",
                            shown(&email.text)
                        ),
                    )
                    .label("Graph names the guest after the tenant's initial domain")
                    .help("add the initial domain (e.g. contoso.onmicrosoft.com) to `tenant.domains`, or write the guest's `upn`"),
                );
                return (None, None);
            };
            Str {
                text: format!("{local}@{initial}"),
                loc: raw.loc,
            }
        }
    };
    let invite = GuestInvite {
        email: email.text,
        redirect_url: redirect.text,
        message: raw.message.map(|m| m.text),
        send_email: raw.send_email.unwrap_or(true),
    };
    (Some(upn), Some(invite))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guest_local_part_is_graphs() {
        assert_eq!(
            guest_local_part("admin@fabrikam.com").as_deref(),
            Some("admin_fabrikam.com#EXT#")
        );
        assert_eq!(guest_local_part("nope"), None);
    }

    #[test]
    fn addresses_and_urls() {
        assert_eq!(address_problem("ana@fabrikam.com"), None);
        assert!(address_problem("ana fabrikam.com").is_some());
        assert!(address_problem("ana@localhost").is_some());
        assert!(address_problem("@fabrikam.com").is_some());
        assert!(https_with_host("https://myapps.microsoft.com"));
        assert!(https_with_host("HTTPS://x.example/path?q"));
        assert!(!https_with_host("http://myapps.microsoft.com"));
        assert!(!https_with_host("https://"));
        assert!(!https_with_host("javascript:alert(1)"));
    }
}
