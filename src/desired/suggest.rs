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

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '_' && *c != '-' && *c != ' ')
        .map(|c| c.to_ascii_lowercase())
        .collect()
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
