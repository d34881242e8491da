//! OData collection pages (`value` plus `@odata.nextLink` / `@odata.deltaLink`)
//! and the client's two ways through them, one paging path each: one listing
//! page after page ([`GraphClient::list`]), or many listings at once, their
//! pages packed 20 to a `$batch` ([`GraphClient::list_many`]).

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::client::GraphClient;
pub use super::cloud::relative_to_root;
use super::error::{ApiError, GraphError};
use super::request::Request;

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

/// One listing's result inside [`GraphClient::list_many`]: every page's
/// items, or Graph's error for one of its pages (the caller decides what a
/// 404 or a 403 means).
pub type ListResult<T> = Result<Listing<T>, Box<ApiError>>;

impl GraphClient {
    /// The request for a page's `@odata.nextLink`, relative to the version
    /// root (as `$batch` items must be); refused when the link points
    /// anywhere else, so the token never goes to another host. Headers (a
    /// `ConsistencyLevel`) carry over.
    fn next_page(&self, of: &Request, link: String) -> Result<Request, GraphError> {
        let rel = relative_to_root(&link, self.root())
            .ok_or_else(|| GraphError::ForeignLink(super::error::strip_query(&link).to_string()))?;
        Ok(Request {
            url: rel.to_string(),
            ..of.clone()
        })
    }

    /// GET a collection and follow `@odata.nextLink` to the end.
    pub async fn list<T: DeserializeOwned>(&self, path: &str) -> Result<Listing<T>, GraphError> {
        self.list_observed(Request::get(path), &|_| {}).await
    }

    /// Like [`GraphClient::list`] from a request (headers, an absolute delta
    /// link), telling `on_page` how many items each page brought as it
    /// arrives (progress of a long listing).
    pub async fn list_observed<T: DeserializeOwned>(
        &self,
        first: Request,
        on_page: &(dyn Fn(usize) + Send + Sync),
    ) -> Result<Listing<T>, GraphError> {
        self.list_mapped(first, on_page, |item| item).await
    }

    /// Like [`GraphClient::list_observed`], turning each page's items into
    /// `U` as the page arrives, so the wire form of a large listing (100,000
    /// users) is never held whole next to what it is turned into.
    pub async fn list_mapped<T: DeserializeOwned, U>(
        &self,
        first: Request,
        on_page: &(dyn Fn(usize) + Send + Sync),
        mut map: impl FnMut(T) -> U,
    ) -> Result<Listing<U>, GraphError> {
        let mut items = Vec::new();
        let mut pages = 0;
        let mut req = first;
        loop {
            let resp = self.send(&req).await?;
            let page: Page<T> = resp.json("GET", &self.display_path(&req.url))?;
            pages += 1;
            on_page(page.value.len());
            items.extend(page.value.into_iter().map(&mut map));
            match page.next_link {
                Some(next) => req = self.next_page(&req, next)?,
                None => {
                    return Ok(Listing {
                        items,
                        pages,
                        delta_link: page.delta_link,
                    });
                }
            }
        }
    }

    /// Every page of several listings (one first request each), their pages
    /// sent 20 to a `$batch`, each listing's nextLinks followed in later
    /// batches. One result per listing, in order. An `Err` means a whole
    /// `$batch` POST failed or a page could not be read.
    pub async fn list_many<T: DeserializeOwned>(
        &self,
        firsts: Vec<Request>,
    ) -> Result<Vec<ListResult<T>>, GraphError> {
        let mut out: Vec<ListResult<T>> = firsts
            .iter()
            .map(|_| {
                Ok(Listing {
                    items: Vec::new(),
                    pages: 0,
                    delta_link: None,
                })
            })
            .collect();
        let mut pending: Vec<(usize, Request)> = firsts.into_iter().enumerate().collect();
        while !pending.is_empty() {
            let reqs = pending.iter().map(|(_, r)| r.clone()).collect();
            let results = self.batch(reqs).await?;
            let mut next = Vec::new();
            for ((i, req), result) in pending.into_iter().zip(results) {
                let resp = match result {
                    Ok(resp) => resp,
                    Err(e) => {
                        out[i] = Err(e);
                        continue;
                    }
                };
                let page: Option<Page<T>> = resp.json("GET", req.path())?;
                let Some(page) = page else { continue };
                if let Ok(listing) = &mut out[i] {
                    listing.items.extend(page.value);
                    listing.pages += 1;
                    listing.delta_link = page.delta_link;
                }
                if let Some(link) = page.next_link {
                    next.push((i, self.next_page(&req, link)?));
                }
            }
            pending = next;
        }
        Ok(out)
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
