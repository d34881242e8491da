//! [`AttrValues`]: the values of managed attributes, keyed by [`Attr`] and
//! stored compactly, as the live side holds them for every user of a tenant;
//! and reading them from a Graph user's JSON, driven by the table.
//!
//! A user holds a handful of the attributes, so one struct field per
//! attribute (an empty `Option<String>` is 24 bytes) and one allocation per
//! value (32 bytes of heap for a short string) would cost more than the text
//! itself. All of a user's values share one text buffer instead, with a
//! sorted index of where each value (or list item) ends: two allocations per
//! user whatever the number of attributes, none for a user with none.

use std::fmt;

use serde::de::{self, DeserializeSeed, SeqAccess, Visitor};

use super::{ATTRS, Attr, AttrValue};

// `Builder::seen` is a bit set over the table.
const _: () = assert!(ATTRS.len() <= 64, "widen Builder::seen");

/// Where one value, or one item of a list, ends in the text buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seg {
    end: u32,
    attr: Attr,
}

/// Values of managed attributes keyed by [`Attr`], each in the shape of its
/// kind (one text, or a list of texts); an empty list is the same as none.
/// Iteration is in table order.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AttrValues {
    text: Box<str>,
    segs: Box<[Seg]>,
}

/// A value borrowed from an [`AttrValues`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttrRef<'a> {
    /// A single-valued attribute.
    Text(&'a str),
    /// A list-valued attribute (never empty).
    List(Items<'a>),
}

/// The items of a list value, in order.
#[derive(Clone)]
pub struct Items<'a> {
    values: &'a AttrValues,
    next: usize,
    end: usize,
}

impl<'a> Iterator for Items<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        if self.next >= self.end {
            return None;
        }
        self.next += 1;
        Some(self.values.seg_text(self.next - 1))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end - self.next;
        (n, Some(n))
    }
}

impl ExactSizeIterator for Items<'_> {}

impl PartialEq for Items<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.clone().eq(other.clone())
    }
}
impl Eq for Items<'_> {}

impl fmt::Debug for Items<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

impl AttrRef<'_> {
    /// An owned copy.
    pub fn to_value(&self) -> AttrValue {
        match self {
            AttrRef::Text(t) => AttrValue::Text((*t).to_string()),
            AttrRef::List(items) => AttrValue::List(items.clone().map(str::to_string).collect()),
        }
    }
    /// Equal to an owned value?
    pub fn eq_value(&self, v: &AttrValue) -> bool {
        match (self, v) {
            (AttrRef::Text(a), AttrValue::Text(b)) => *a == b,
            (AttrRef::List(a), AttrValue::List(b)) => {
                a.len() == b.len() && a.clone().zip(b).all(|(x, y)| x == y)
            }
            _ => false,
        }
    }
}

impl AttrValues {
    /// Values from `(attribute, value)` pairs; of two for one attribute the
    /// later wins. Each is stored in the shape of its attribute's kind: a list
    /// given for a single-valued attribute keeps its first item, a text given
    /// for a list attribute becomes a list of one.
    pub fn from_values<I: IntoIterator<Item = (Attr, AttrValue)>>(values: I) -> AttrValues {
        let mut b = Builder::default();
        for (attr, v) in values {
            b.set(attr, Some(v));
        }
        b.finish()
    }

    fn seg_text(&self, i: usize) -> &str {
        let start = i
            .checked_sub(1)
            .and_then(|p| self.segs.get(p))
            .map_or(0, |s| s.end as usize);
        let end = self.segs.get(i).map_or(start, |s| s.end as usize);
        self.text.get(start..end).unwrap_or("")
    }

    /// The index range of `attr`'s segments.
    fn range(&self, attr: Attr) -> (usize, usize) {
        let lo = self.segs.partition_point(|s| s.attr < attr);
        let hi = lo + self.segs[lo..].partition_point(|s| s.attr == attr);
        (lo, hi)
    }

    /// The value of `attr`, if set.
    pub fn get(&self, attr: Attr) -> Option<AttrRef<'_>> {
        let (lo, hi) = self.range(attr);
        if lo == hi {
            return None;
        }
        Some(if attr.is_list() {
            AttrRef::List(Items {
                values: self,
                next: lo,
                end: hi,
            })
        } else {
            AttrRef::Text(self.seg_text(lo))
        })
    }

    /// The value of `attr` as an owned value, if set.
    pub fn value(&self, attr: Attr) -> Option<AttrValue> {
        self.get(attr).map(|r| r.to_value())
    }

    /// The text of a single-valued attribute (the first item of a list one), if set.
    pub fn text(&self, attr: Attr) -> Option<&str> {
        let (lo, hi) = self.range(attr);
        (lo < hi).then(|| self.seg_text(lo))
    }

    /// Set (`Some`) or unset (`None`) one attribute, in the shape of its kind.
    pub fn set(&mut self, attr: Attr, value: Option<AttrValue>) {
        let mut b = Builder::default();
        for (a, r) in self.iter().filter(|(a, _)| *a != attr) {
            b.push_ref(a, &r);
        }
        b.set(attr, value);
        *self = b.finish();
    }

    /// The attributes that are set, in table order.
    pub fn iter(&self) -> impl Iterator<Item = (Attr, AttrRef<'_>)> + '_ {
        let mut i = 0;
        std::iter::from_fn(move || {
            let attr = self.segs.get(i)?.attr;
            let (_, hi) = self.range(attr);
            let r = if attr.is_list() {
                AttrRef::List(Items {
                    values: self,
                    next: i,
                    end: hi,
                })
            } else {
                AttrRef::Text(self.seg_text(i))
            };
            i = hi;
            Some((attr, r))
        })
    }

    /// True when no attribute is set.
    pub fn is_empty(&self) -> bool {
        self.segs.is_empty()
    }
}

impl fmt::Debug for AttrValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Collects values in any order (as a JSON object lists them), then packs them.
#[derive(Default)]
pub struct Builder {
    text: String,
    /// (attribute, start, end) in push order.
    segs: Vec<(Attr, usize, usize)>,
    /// Attributes already met by [`Builder::read_json`] (to refuse a key given twice).
    seen: u64,
}

impl Builder {
    fn push_str(&mut self, attr: Attr, s: &str) {
        let start = self.text.len();
        self.text.push_str(s);
        self.segs.push((attr, start, self.text.len()));
    }

    fn push_ref(&mut self, attr: Attr, r: &AttrRef<'_>) {
        match r {
            AttrRef::Text(t) => self.push_str(attr, t),
            AttrRef::List(items) => items.clone().for_each(|t| self.push_str(attr, t)),
        }
    }

    /// Set (`Some`) or unset (`None`) `attr`, replacing what was pushed for it,
    /// in the shape of its kind (see [`AttrValues::from_values`]).
    pub fn set(&mut self, attr: Attr, value: Option<AttrValue>) {
        self.segs.retain(|s| s.0 != attr);
        match (attr.is_list(), value) {
            (_, None) => {}
            (_, Some(AttrValue::Text(t))) => self.push_str(attr, &t),
            (false, Some(AttrValue::List(l))) => {
                if let Some(first) = l.first() {
                    self.push_str(attr, first);
                }
            }
            (true, Some(AttrValue::List(l))) => l.iter().for_each(|t| self.push_str(attr, t)),
        }
    }

    /// Read the JSON value of `attr` (a string or `null`; an array of strings
    /// or `null` for a list attribute) from `map`. A key met twice is an error,
    /// as for any other field of a Graph object.
    pub fn read_json<'de, A: de::MapAccess<'de>>(
        &mut self,
        attr: Attr,
        map: &mut A,
    ) -> Result<(), A::Error> {
        let bit = 1u64 << (attr as u32);
        if self.seen & bit != 0 {
            return Err(de::Error::duplicate_field(attr.graph_name()));
        }
        self.seen |= bit;
        map.next_value_seed(JsonSlot {
            builder: self,
            attr,
        })
    }

    /// Read the JSON value of the object-valued property `property` (an
    /// object or `null`) from `map`: each member of the table it carries is
    /// read as a string or `null`; one it leaves out stays unset (Graph
    /// stores an omitted member as `null`); a member the table does not know
    /// is skipped. A property met twice is an error.
    pub fn read_json_object<'de, A: de::MapAccess<'de>>(
        &mut self,
        property: &'static str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        let mut bits = 0u64;
        for info in super::members_of(property) {
            bits |= 1u64 << (info.attr as u32);
        }
        if self.seen & bits != 0 {
            return Err(de::Error::duplicate_field(property));
        }
        self.seen |= bits;
        map.next_value_seed(ObjectSlot {
            builder: self,
            property,
        })
    }

    /// The packed values: sorted by attribute, one buffer of exactly the text's size.
    pub fn finish(mut self) -> AttrValues {
        self.segs.sort_by_key(|s| s.0);
        let len: usize = self.segs.iter().map(|s| s.2 - s.1).sum();
        let mut text = String::with_capacity(len);
        let mut segs = Vec::with_capacity(self.segs.len());
        for (attr, start, end) in self.segs {
            // A user's values beyond 4 GiB cannot come from Graph; they are dropped, not wrapped.
            let Some(piece) = self.text.get(start..end) else {
                continue;
            };
            let Ok(end) = u32::try_from(text.len() + piece.len()) else {
                break;
            };
            text.push_str(piece);
            segs.push(Seg { end, attr });
        }
        AttrValues {
            text: text.into_boxed_str(),
            segs: segs.into_boxed_slice(),
        }
    }
}

/// Reads one attribute's JSON value straight into a [`Builder`] (no `String` per value).
struct JsonSlot<'b> {
    builder: &'b mut Builder,
    attr: Attr,
}

impl<'de> DeserializeSeed<'de> for JsonSlot<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if self.attr.is_list() {
            d.deserialize_option(ListVisitor(self))
        } else {
            d.deserialize_option(TextVisitor(self))
        }
    }
}

/// Reads an object-valued property's members straight into a [`Builder`].
struct ObjectSlot<'b> {
    builder: &'b mut Builder,
    property: &'static str,
}

impl<'de> DeserializeSeed<'de> for ObjectSlot<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for ObjectSlot<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object or null for `{}`", self.property)
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
    fn visit_map<M: de::MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
        let mut seen = 0u64;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match Attr::from_member(self.property, &key) {
                Some(attr) => {
                    let bit = 1u64 << (attr as u32);
                    if seen & bit != 0 {
                        return Err(de::Error::duplicate_field(attr.graph_name()));
                    }
                    seen |= bit;
                    map.next_value_seed(JsonSlot {
                        builder: &mut *self.builder,
                        attr,
                    })?;
                }
                None => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct TextVisitor<'b>(JsonSlot<'b>);

impl<'de> Visitor<'de> for TextVisitor<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a string or null for `{}`", self.0.attr.graph_name())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.0.builder.push_str(self.0.attr, v);
        Ok(())
    }
}

struct ListVisitor<'b>(JsonSlot<'b>);

impl<'de> Visitor<'de> for ListVisitor<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "an array of strings or null for `{}`",
            self.0.attr.graph_name()
        )
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
        let JsonSlot { builder, attr } = self.0;
        while seq
            .next_element_seed(ItemSlot {
                builder: &mut *builder,
                attr,
            })?
            .is_some()
        {}
        Ok(())
    }
}

struct ItemSlot<'b> {
    builder: &'b mut Builder,
    attr: Attr,
}

impl<'de> DeserializeSeed<'de> for ItemSlot<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for ItemSlot<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a string in `{}`", self.attr.graph_name())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.builder.push_str(self.attr, v);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> AttrValue {
        AttrValue::Text(s.into())
    }

    #[test]
    fn values_are_kept_sorted_shaped_and_replaced() {
        let mut v = AttrValues::from_values([
            (Attr::JobTitle, text("Dev")),
            (
                Attr::BusinessPhones,
                AttrValue::List(vec!["1".into(), "2".into()]),
            ),
            (Attr::DisplayName, text("Ann")),
            (Attr::JobTitle, text("Lead")),
            (Attr::OtherMails, text("a@b.org")),
            (Attr::City, AttrValue::List(vec![])),
            (Attr::Surname, AttrValue::List(vec!["X".into(), "Y".into()])),
            (Attr::Department, text("")),
        ]);
        let attrs: Vec<Attr> = v.iter().map(|(a, _)| a).collect();
        assert_eq!(
            attrs,
            [
                Attr::DisplayName,
                Attr::Surname,
                Attr::JobTitle,
                Attr::Department,
                Attr::BusinessPhones,
                Attr::OtherMails
            ]
        );
        assert_eq!(v.text(Attr::JobTitle), Some("Lead"));
        assert_eq!(v.value(Attr::Surname), Some(text("X")));
        assert_eq!(
            v.value(Attr::Department),
            Some(text("")),
            "empty text is kept"
        );
        assert_eq!(v.get(Attr::City), None, "an empty list is none");
        assert_eq!(
            v.value(Attr::OtherMails),
            Some(AttrValue::List(vec!["a@b.org".into()]))
        );
        assert!(
            v.get(Attr::BusinessPhones)
                .unwrap()
                .eq_value(&AttrValue::List(vec!["1".into(), "2".into()]))
        );
        v.set(Attr::BusinessPhones, None);
        v.set(Attr::City, Some(text("Oslo")));
        assert_eq!(v.get(Attr::BusinessPhones), None);
        assert_eq!(v.text(Attr::City), Some("Oslo"));
        assert_eq!(v.text(Attr::DisplayName), Some("Ann"));
        assert!(AttrValues::default().is_empty());
    }

    #[test]
    fn json_values_are_read_by_kind() {
        struct Doc(AttrValues);
        impl<'de> serde::Deserialize<'de> for Doc {
            fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = Doc;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("a map")
                    }
                    fn visit_map<A: de::MapAccess<'de>>(self, mut m: A) -> Result<Doc, A::Error> {
                        let mut b = Builder::default();
                        while let Some(k) = m.next_key::<String>()? {
                            match Attr::from_key(&k) {
                                Some(a) => b.read_json(a, &mut m)?,
                                None => {
                                    m.next_value::<de::IgnoredAny>()?;
                                }
                            }
                        }
                        Ok(Doc(b.finish()))
                    }
                }
                d.deserialize_map(V)
            }
        }
        let Doc(v) = serde_json::from_str(
            r#"{"city":"Oslo","jobTitle":null,"businessPhones":["1"],"otherMails":null,"x":[1]}"#,
        )
        .unwrap();
        assert_eq!(v.text(Attr::City), Some("Oslo"));
        assert_eq!(v.get(Attr::JobTitle), None);
        assert_eq!(v.get(Attr::OtherMails), None);
        assert_eq!(
            v.value(Attr::BusinessPhones),
            Some(AttrValue::List(vec!["1".into()]))
        );
        assert!(serde_json::from_str::<Doc>(r#"{"city":5}"#).is_err());
        assert!(serde_json::from_str::<Doc>(r#"{"businessPhones":"1"}"#).is_err());
        assert!(serde_json::from_str::<Doc>(r#"{"city":"a","city":"b"}"#).is_err());
    }
}
