//! Lists in the contract are bounded as they are read: a list longer than its bound is refused
//! at the element past it, before the rest is parsed or allocated (a 1.6 KB zstd upload of
//! 100,000 history snapshots once took the hub to half a gigabyte).

use serde::de::{Deserialize, Deserializer, Error, SeqAccess, Visitor};
use std::fmt;
use std::marker::PhantomData;

/// Read a list of at most `N` items; more is a deserialisation error naming the bound.
pub fn at_most<'de, D, T, const N: usize>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Bounded<T, const N: usize>(PhantomData<T>);

    impl<'de, T: Deserialize<'de>, const N: usize> Visitor<'de> for Bounded<T, N> {
        type Value = Vec<T>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a list of at most {N} items")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(N));
            while let Some(item) = seq.next_element()? {
                if items.len() == N {
                    return Err(A::Error::custom(format!(
                        "at most {N} items are allowed here"
                    )));
                }
                items.push(item);
            }
            Ok(items)
        }
    }

    d.deserialize_seq(Bounded::<T, N>(PhantomData))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Three {
        #[serde(deserialize_with = "at_most::<_, _, 3>")]
        items: Vec<u8>,
    }

    #[test]
    fn a_list_past_its_bound_is_refused_and_one_within_is_read() {
        let ok: Three = serde_json::from_str(r#"{"items":[1,2,3]}"#).expect("three");
        assert_eq!(ok.items, vec![1, 2, 3]);
        let err = serde_json::from_str::<Three>(r#"{"items":[1,2,3,4]}"#).expect_err("four");
        assert!(err.to_string().contains("at most 3 items"), "{err}");
    }
}
