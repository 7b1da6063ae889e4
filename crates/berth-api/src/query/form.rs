//! The requests of the Query protocol: form-encoded parameters (`UserName=ci`,
//! `Tags.member.1.Key=team`) read into an operation's request struct, which derives
//! `Deserialize` with the model's member names (`#[serde(rename_all = "PascalCase")]`) and checks
//! its constraints as the JSON protocols' requests do ([`Request`]).
//!
//! The parameters form a tree by their dots; a list is a node whose `member` child holds the
//! items by their 1-based number. Text becomes what the struct asks for: a string, an integer,
//! a boolean (`true`/`false`) or an enumeration's value. A member of the wrong type, and every
//! failed constraint, is the Query protocol's `ValidationError`, the member named as the service
//! names it (`maxItems`).

use std::collections::BTreeMap;

use serde::de::value::{Error, MapDeserializer, SeqDeserializer};
use serde::de::{self, Error as _, IntoDeserializer, Unexpected, Visitor};
use serde::forward_to_deserialize_any;

use crate::aws::{AwsError, Checks, Request};

/// A request's parameters as sent.
pub struct Form(Vec<(String, String)>);

impl Form {
    pub fn parse(body: &[u8]) -> Form {
        Form(form_urlencoded::parse(body).into_owned().collect())
    }

    /// A parameter's value as sent (the first, when it is repeated).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The request's `Action` as one of the service's operations (`parse`), with the Query
    /// protocol's errors for a missing action and one the service (`version`) does not have.
    pub fn operation<T>(
        &self,
        version: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<T, AwsError> {
        let action = self.get("Action").unwrap_or("");
        if action.is_empty() {
            return Err(AwsError::new("MissingAction", "Missing Action"));
        }
        parse(action).ok_or_else(|| {
            AwsError::new(
                "InvalidAction",
                format!("Could not find operation {action} for version {version}"),
            )
        })
    }

    /// The request, typed and checked.
    pub fn request<R: Request>(&self) -> Result<R, AwsError> {
        let tree = Node::of(&self.0);
        let r: R = serde_path_to_error::deserialize(&tree).map_err(type_error)?;
        let mut c = Checks::default();
        r.check(&mut c);
        c.finish("ValidationError")?;
        Ok(r)
    }
}

/// The member a path names, as the service names it in its messages: `MaxItems` is
/// `maxItems`, `Tags[0].Key` is `tags.1.member.key`.
pub fn member_name(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for (i, part) in path.split('.').enumerate() {
        if i > 0 {
            out.push('.');
        }
        let (name, index) = match part.split_once('[') {
            Some((name, rest)) => (name, rest.strip_suffix(']')),
            None => (part, None),
        };
        let mut chars = name.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_lowercase());
            out.push_str(chars.as_str());
        }
        if let Some(n) = index.and_then(|n| n.parse::<usize>().ok()) {
            out.push_str(&format!(".{}.member", n + 1));
        }
    }
    out
}

/// A member of the wrong type, or a value outside an enumeration.
fn type_error(e: serde_path_to_error::Error<Error>) -> AwsError {
    let member = member_name(&e.path().to_string());
    let inner = e.into_inner().to_string();
    let problem = match unknown_variant(&inner) {
        Some((value, allowed)) => format!(
            "Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
            allowed.join(", ")
        ),
        None => {
            // "invalid value: string \"abc\", expected an integer"
            let value = inner
                .split_once("string \"")
                .and_then(|(_, rest)| rest.rsplit_once("\", expected"))
                .map_or_else(|| "of the wrong type".to_string(), |(v, _)| format!("'{v}'"));
            let expected = inner
                .rsplit_once("expected ")
                .map_or("a value of the model's type", |(_, what)| what);
            format!("Value {value} at '{member}' failed to satisfy constraint: Member must be {expected}")
        }
    };
    AwsError::validation("ValidationError", &[problem])
}

/// serde's "unknown variant `X`, expected one of `A`, `B`" (or "expected `A` or `B`"): the
/// value and the enumeration's values.
fn unknown_variant(message: &str) -> Option<(&str, Vec<&str>)> {
    let rest = message.strip_prefix("unknown variant `")?;
    let (value, rest) = rest.split_once("`, expected ")?;
    let allowed = rest.split('`').skip(1).step_by(2).collect::<Vec<_>>();
    Some((value, allowed))
}

/// The parameters as a tree by their dots.
#[derive(Debug)]
enum Node {
    Text(String),
    Branch(BTreeMap<String, Node>),
}

impl Node {
    fn of(pairs: &[(String, String)]) -> Node {
        let mut root = BTreeMap::new();
        for (name, value) in pairs {
            insert(&mut root, &name.split('.').collect::<Vec<_>>(), value);
        }
        Node::Branch(root)
    }

    /// A list's items in their order: the `member` child's entries by number.
    fn items(&self) -> Option<Vec<&Node>> {
        let Node::Branch(b) = self else { return None };
        let Some(Node::Branch(members)) = b.get("member") else {
            return None;
        };
        let mut numbered: Vec<(u32, &Node)> = members
            .iter()
            .filter_map(|(k, v)| Some((k.parse::<u32>().ok()?, v)))
            .collect();
        numbered.sort_by_key(|(n, _)| *n);
        Some(numbered.into_iter().map(|(_, v)| v).collect())
    }
}

/// Put `value` at `path` (the first value of a repeated name wins; a name that is both a value
/// and a prefix of others keeps the others).
fn insert(branch: &mut BTreeMap<String, Node>, path: &[&str], value: &str) {
    match path {
        [] => {}
        [last] => {
            branch
                .entry(last.to_string())
                .or_insert_with(|| Node::Text(value.to_string()));
        }
        [head, rest @ ..] => {
            let child = branch
                .entry(head.to_string())
                .or_insert_with(|| Node::Branch(BTreeMap::new()));
            if let Node::Text(_) = child {
                *child = Node::Branch(BTreeMap::new());
            }
            if let Node::Branch(b) = child {
                insert(b, rest, value);
            }
        }
    }
}

impl<'de> IntoDeserializer<'de, Error> for &'de Node {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'de> de::Deserializer<'de> for &'de Node {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self {
            Node::Text(s) => v.visit_borrowed_str(s),
            Node::Branch(b) => {
                v.visit_map(MapDeserializer::new(b.iter().map(|(k, n)| (k.as_str(), n))))
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        v.visit_some(self)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self {
            Node::Text(s) if s == "true" => v.visit_bool(true),
            Node::Text(s) if s == "false" => v.visit_bool(false),
            Node::Text(s) => Err(Error::invalid_value(Unexpected::Str(s), &"a boolean")),
            Node::Branch(_) => Err(Error::invalid_type(Unexpected::Map, &"a boolean")),
        }
    }

    fn deserialize_i64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self {
            Node::Text(s) => match s.parse::<i64>() {
                Ok(n) => v.visit_i64(n),
                Err(_) => Err(Error::invalid_value(Unexpected::Str(s), &"an integer")),
            },
            Node::Branch(_) => Err(Error::invalid_type(Unexpected::Map, &"an integer")),
        }
    }

    fn deserialize_i32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_i64(v)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.items() {
            Some(items) => v.visit_seq(SeqDeserializer::new(items.into_iter())),
            None => Err(Error::invalid_type(Unexpected::Other("a value"), &"a list")),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        match self {
            Node::Text(s) => v.visit_enum(s.as_str().into_deserializer()),
            Node::Branch(_) => Err(Error::invalid_type(Unexpected::Map, &"a string")),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, Error> {
        v.visit_newtype_struct(self)
    }

    forward_to_deserialize_any! {
        i8 i16 u8 u16 u32 u64 i128 u128 f32 f64 char str string bytes byte_buf unit unit_struct
        tuple tuple_struct map struct identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Example {
        user_name: Option<String>,
        max_items: Option<i64>,
        only_attached: Option<bool>,
        tags: Option<Vec<Tag>>,
        client_id_list: Option<Vec<String>>,
        scope: Option<Scope>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "PascalCase")]
    struct Tag {
        key: String,
        value: Option<String>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    enum Scope {
        All,
        #[serde(rename = "AWS")]
        Aws,
    }

    impl Request for Example {
        fn check(&self, c: &mut Checks) {
            c.required("userName", self.user_name.as_ref());
            c.range("maxItems", self.max_items, 1, 1000);
        }
    }

    fn form(s: &str) -> Form {
        Form::parse(s.as_bytes())
    }

    #[test]
    fn members_are_typed_from_text() {
        let r: Example = form(
            "Action=X&UserName=ci&MaxItems=5&OnlyAttached=true&Scope=AWS\
             &Tags.member.2.Key=b&Tags.member.1.Key=a&Tags.member.1.Value=1\
             &ClientIdList.member.1=x&ClientIdList.member.10=z&ClientIdList.member.2=y",
        )
        .request()
        .unwrap();
        assert_eq!(r.user_name.as_deref(), Some("ci"));
        assert_eq!(r.max_items, Some(5));
        assert_eq!(r.only_attached, Some(true));
        assert_eq!(r.scope, Some(Scope::Aws));
        assert_eq!(
            r.tags.unwrap(),
            vec![
                Tag {
                    key: "a".into(),
                    value: Some("1".into())
                },
                Tag {
                    key: "b".into(),
                    value: None
                }
            ]
        );
        assert_eq!(r.client_id_list.unwrap(), ["x", "y", "z"]);
    }

    #[test]
    fn wrong_types_and_constraints_are_validation_errors() {
        let e = form("UserName=ci&MaxItems=abc")
            .request::<Example>()
            .unwrap_err();
        assert_eq!(e.code, "ValidationError");
        assert_eq!(e.message, "1 validation error detected: Value 'abc' at 'maxItems' failed to satisfy constraint: Member must be an integer");
        let e = form("MaxItems=0").request::<Example>().unwrap_err();
        assert_eq!(e.code, "ValidationError");
        assert_eq!(e.message, "2 validation errors detected: Value null at 'userName' failed to satisfy constraint: Member must not be null; Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1");
        let e = form("UserName=ci&Scope=Everything")
            .request::<Example>()
            .unwrap_err();
        assert_eq!(e.code, "ValidationError");
        assert_eq!(e.message, "1 validation error detected: Value 'Everything' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS]");
    }

    #[test]
    fn the_first_of_a_repeated_parameter_wins() {
        let r: Example = form("UserName=a&UserName=b").request().unwrap();
        assert_eq!(r.user_name.as_deref(), Some("a"));
    }

    #[test]
    fn member_names_follow_the_service() {
        assert_eq!(member_name("MaxItems"), "maxItems");
        assert_eq!(member_name("Tags[0].Key"), "tags.1.member.key");
    }
}
