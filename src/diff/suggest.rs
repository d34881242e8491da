//! "Did you mean …?" for plan-time errors: a reference to a user, role or
//! group that exists nowhere gets the closest name that does, as `validate`
//! does for keys (same rule: [`crate::desired::suggest::did_you_mean`]).
//!
//! Bounded: a repo full of broken references gets suggestions for its first
//! [`MAX_SUGGESTED`] only, so a hostile repo against a 100,000-user tenant
//! costs at most that many scans of the candidates.

use crate::desired::suggest::did_you_mean;
use crate::live::Live;
use crate::model::Upn;

/// Most suggestions one plan looks for.
pub const MAX_SUGGESTED: usize = 20;

/// Looks for suggestions, at most [`MAX_SUGGESTED`] times per plan.
#[derive(Default)]
pub struct Suggester {
    tried: usize,
}

impl Suggester {
    fn budget(&mut self) -> bool {
        self.tried += 1;
        self.tried <= MAX_SUGGESTED
    }

    /// The declared or live user whose UPN is closest to `upn`: same domain, a
    /// likely typo in the part before `@`.
    pub fn user<'a>(
        &mut self,
        upn: &Upn,
        declared: impl Iterator<Item = &'a Upn>,
        live: &'a Live,
    ) -> Option<String> {
        if !self.budget() {
            return None;
        }
        let domain = upn.domain();
        let mut same_domain: Vec<&Upn> = declared
            .chain(live.users().iter().map(|u| &u.upn))
            .filter(|c| c.domain().eq_ignore_ascii_case(domain) && *c != upn)
            .collect();
        // Sorted: of two equally close names the suggestion is always the same one.
        same_domain.sort_unstable_by(|a, b| a.as_str().cmp(b.as_str()));
        same_domain.dedup();
        let locals: Vec<&str> = same_domain.iter().map(|c| c.local_part()).collect();
        let best = did_you_mean(upn.local_part(), &locals)?;
        same_domain
            .iter()
            .find(|c| c.local_part() == best)
            .map(|c| c.to_string())
    }

    /// The name among `names` closest to `word` (roles, groups).
    pub fn name<'a>(&mut self, word: &str, names: impl Iterator<Item = &'a str>) -> Option<String> {
        if !self.budget() {
            return None;
        }
        let mut names: Vec<&str> = names.filter(|n| *n != word).collect();
        names.sort_unstable();
        names.dedup();
        did_you_mean(word, &names).map(str::to_string)
    }
}

/// `message` with the suggestion, if any, in `validate`'s words.
pub fn with_hint(message: String, suggestion: Option<String>) -> String {
    match suggestion {
        Some(s) => format!("{message}; did you mean `{s}`?"),
        None => message,
    }
}
