//! "Did you mean …?" for misspelt keys and names.

/// Longest word (in characters) for which a suggestion is looked for.
pub const MAX_SUGGEST_CHARS: usize = 256;

/// Edit distance between two strings (Levenshtein, by characters).
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// A word as suggestions compare it: lower case, without `_`, `-` and spaces.
pub fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '_' && *c != '-' && *c != ' ')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The largest edit distance [`did_you_mean`] accepts for a word of `chars` characters.
pub fn limit_for(chars: usize) -> usize {
    (chars / 3).max(1)
}

/// The edit distance between `a` and `b` if it is at most `limit`, else `None`:
/// only the band of width `2 · limit + 1` around the diagonal is computed, and
/// the computation stops at the first row whose every cell is over `limit`.
pub fn distance_within(a: &[char], b: &[char], limit: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    const FAR: usize = usize::MAX / 2;
    let mut prev: Vec<usize> = (0..=b.len())
        .map(|j| if j <= limit { j } else { FAR })
        .collect();
    let mut cur = vec![FAR; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        let row = i + 1;
        let lo = row.saturating_sub(limit);
        let hi = (row + limit).min(b.len());
        cur.iter_mut().for_each(|c| *c = FAR);
        if lo == 0 {
            cur[0] = row;
        }
        let mut best = cur[0];
        for j in lo.max(1)..=hi {
            let cost = usize::from(*ca != b[j - 1]);
            cur[j] = (prev[j - 1] + cost).min(prev[j] + 1).min(cur[j - 1] + 1);
            best = best.min(cur[j]);
        }
        if best > limit {
            return None;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    let d = prev[b.len()];
    (d <= limit).then_some(d)
}

/// The closest candidate to `word`, if one is close enough to be a likely typo.
///
/// Case and `_`/`-` differences match first (`display_name` → `displayName`),
/// then the smallest edit distance within a third of the word's length.
///
/// Words or candidates longer than [`MAX_SUGGEST_CHARS`] get no suggestion: the
/// edit distance costs the product of the lengths, and a hostile file may hold a
/// 10 MB key.
pub fn did_you_mean<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    let len = word.chars().count();
    if len > MAX_SUGGEST_CHARS {
        return None;
    }
    let w = squash(word);
    let short = |c: &&&str| c.len() <= MAX_SUGGEST_CHARS * 4;
    if let Some(c) = candidates.iter().filter(short).find(|c| squash(c) == w) {
        return Some(c);
    }
    let limit = (len / 3).max(1);
    let w_len = w.chars().count();
    candidates
        .iter()
        .filter(short)
        // The distance is at least the difference in length: skip hopeless candidates cheaply.
        .filter(|c| c.chars().count() + limit >= w_len)
        .map(|c| (squash(c), *c))
        .filter(|(sc, _)| {
            sc.chars().count() <= w_len + limit && sc.chars().count() <= MAX_SUGGEST_CHARS
        })
        .map(|(sc, c)| (distance(&w, &sc), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_keys() {
        let keys = ["displayName", "department", "manager", "upn"];
        assert_eq!(did_you_mean("displayname", &keys), Some("displayName"));
        assert_eq!(did_you_mean("display_name", &keys), Some("displayName"));
        assert_eq!(did_you_mean("departmnet", &keys), Some("department"));
        assert_eq!(did_you_mean("manger", &keys), Some("manager"));
        assert_eq!(did_you_mean("salary", &keys), None);
        assert_eq!(distance("kitten", "sitting"), 3);
    }

    #[test]
    fn the_banded_distance_agrees_with_the_full_one_within_the_limit() {
        let words = [
            "",
            "a",
            "kitten",
            "sitting",
            "manager",
            "manger",
            "displayName",
            "xyz",
            "person.number000042",
            "persn.number000017",
        ];
        for a in words {
            for b in words {
                let (ca, cb): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
                let full = distance(a, b);
                for limit in 0..8 {
                    let want = (full <= limit).then_some(full);
                    assert_eq!(distance_within(&ca, &cb, limit), want, "{a} {b} {limit}");
                }
            }
        }
    }

    #[test]
    fn a_huge_word_gets_no_suggestion_and_costs_nothing() {
        let huge = "x".repeat(10_000_000);
        let start = std::time::Instant::now();
        assert_eq!(did_you_mean(&huge, &["displayName", &huge[..300]]), None);
        assert_eq!(
            did_you_mean("displaynam", &["displayName", &huge]),
            Some("displayName")
        );
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
    }
}
