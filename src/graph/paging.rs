//! OData collection pages: `value` plus `@odata.nextLink` / `@odata.deltaLink`.

use serde::Deserialize;

/// One page of an OData collection.
#[derive(Debug, Deserialize)]
pub struct Page<T> {
    /// The items of this page.
    #[serde(default = "Vec::new")]
    pub value: Vec<T>,
    /// Absolute URL of the next page, if any.
    #[serde(rename = "@odata.nextLink")]
    pub next_link: Option<String>,
    /// Absolute URL for the next delta round (last page of a delta listing).
    #[serde(rename = "@odata.deltaLink")]
    pub delta_link: Option<String>,
}

/// All items of a paged listing, and the delta link if it was a delta query.
#[derive(Debug)]
pub struct Listing<T> {
    /// The items of every page, in order.
    pub items: Vec<T>,
    /// Pages fetched.
    pub pages: usize,
    /// The `@odata.deltaLink` of the last page, for a later delta round.
    pub delta_link: Option<String>,
}

/// Turn an absolute `@odata.nextLink` into a path relative to the version
/// root (`/users?$skiptoken=…`), as `$batch` items require. `None` when the
/// link does not start with `root` (another host or version).
pub fn relative_to_root<'a>(link: &'a str, root: &str) -> Option<&'a str> {
    let rest = link.strip_prefix(root.trim_end_matches('/'))?;
    if rest.starts_with('/') {
        Some(rest)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pages() {
        let p: Page<serde_json::Value> = serde_json::from_str(
            r#"{"@odata.context":"x","@odata.nextLink":"https://graph.microsoft.com/v1.0/users?$skiptoken=a","value":[{"id":"1"}]}"#,
        )
        .unwrap();
        assert_eq!(p.value.len(), 1);
        assert!(p.next_link.is_some() && p.delta_link.is_none());
    }

    #[test]
    fn relative_links() {
        let root = "https://graph.microsoft.com/v1.0";
        assert_eq!(
            relative_to_root(
                "https://graph.microsoft.com/v1.0/groups/x/members?$skiptoken=1",
                root
            ),
            Some("/groups/x/members?$skiptoken=1")
        );
        assert_eq!(
            relative_to_root("https://evil.example/v1.0/users", root),
            None
        );
        assert_eq!(
            relative_to_root("https://graph.microsoft.com/v1.0x/users", root),
            None
        );
    }
}
