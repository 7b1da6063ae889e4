//! The requests of the AWS JSON protocols. Each operation has a request struct deriving
//! `Deserialize`, which types every member (a member of the wrong type is a
//! `SerializationException` naming it, as AWS's JSON services answer), and implementing
//! [`Request`], which applies the model's constraints: every failed constraint is collected and
//! reported together as one `ValidationException` in the service framework's words, unless a check
//! fails the request at once with a modelled exception (`InvalidParameterException`…), as the
//! service does before its framework's validation.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::aws::AwsError;

/// A request's JSON object, as read from the body (authorisation reads it before the handler
/// types it).
pub struct Input {
    map: Map<String, Value>,
}

/// An operation's request: its members typed by serde, its constraints checked by `check`.
pub trait Request: DeserializeOwned {
    /// Check the model's constraints, in the order the service checks them.
    fn check(&self, c: &mut Checks);
}

impl Input {
    pub fn parse(body: &[u8]) -> Result<Input, AwsError> {
        let map = if body.iter().all(|b| b.is_ascii_whitespace()) {
            Map::new()
        } else {
            match serde_json::from_slice::<Value>(body) {
                Ok(Value::Object(m)) => m,
                Ok(_) => {
                    return Err(AwsError::serialization(
                        "Start of structure or map found where not expected.",
                    ))
                }
                Err(_) => {
                    return Err(AwsError::serialization(
                        "The request body is not valid JSON",
                    ))
                }
            }
        };
        Ok(Input { map })
    }

    /// The input as parsed, before it is typed.
    pub fn raw(&self) -> &Map<String, Value> {
        &self.map
    }

    /// The request, typed (its strings moved, not copied) and checked.
    pub fn request<R: Request>(self) -> Result<R, AwsError> {
        let r: R = serde_path_to_error::deserialize(Value::Object(self.map)).map_err(type_error)?;
        let mut c = Checks::default();
        r.check(&mut c);
        c.finish("ValidationException")?;
        Ok(r)
    }
}

/// A boolean member that is false when absent or null (`#[serde(default, deserialize_with =
/// "flag")]`).
pub fn flag<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(<Option<bool> as serde::Deserialize>::deserialize(d)?.unwrap_or(false))
}

/// A member of the wrong type, as AWS's JSON services name it.
fn type_error(e: serde_path_to_error::Error<serde_json::Error>) -> AwsError {
    let path = e.path().to_string();
    let inner = e.into_inner().to_string();
    let expected = inner
        .split_once(", expected ")
        .map(|(_, what)| what.split(" at line ").next().unwrap_or(what))
        .map(|what| match what {
            "a sequence" => "a list",
            "i64" | "u64" | "i32" | "u32" => "an integer",
            "f64" => "a number",
            w if w.starts_with("struct ") || w == "a map" => "a structure",
            w => w,
        });
    match expected {
        Some(what) => AwsError::serialization(format!(
            "Unexpected value type for '{path}': expected {what}"
        )),
        None => AwsError::serialization(format!("Invalid value for '{path}'")),
    }
}

/// The constraints a request failed: problems reported together, or the first failure that
/// ends the request at once.
#[derive(Default)]
pub struct Checks {
    problems: Vec<String>,
    failed: Option<AwsError>,
}

/// A value as the framework quotes it; long values are not worth echoing whole.
fn shown(v: &str) -> String {
    if v.chars().count() > 256 {
        format!("'{}…'", v.chars().take(256).collect::<String>())
    } else {
        format!("'{v}'")
    }
}

impl Checks {
    pub fn problem(&mut self, p: String) {
        self.problems.push(p);
    }

    /// End the request with `e` (the first such failure wins; problems recorded so far are
    /// dropped, as the service answers the first failed check of its own).
    pub fn fail(&mut self, e: AwsError) {
        self.failed.get_or_insert(e);
    }

    /// A required member.
    pub fn required<T: ?Sized>(&mut self, field: &str, v: Option<&T>) {
        if v.is_none() {
            self.problems.push(format!(
                "Value null at '{field}' failed to satisfy constraint: Member must not be null"
            ));
        }
    }

    /// A string's length in characters.
    pub fn length(&mut self, field: &str, v: Option<&str>, min: usize, max: usize) {
        let Some(s) = v else { return };
        let n = s.chars().count();
        if n < min {
            self.problems.push(format!(
                "Value {} at '{field}' failed to satisfy constraint: Member must have length greater than or equal to {min}",
                shown(s)
            ));
        } else if n > max {
            self.problems.push(format!(
                "Value {} at '{field}' failed to satisfy constraint: Member must have length less than or equal to {max}",
                shown(s)
            ));
        }
    }

    /// A required string with length bounds.
    pub fn required_length(&mut self, field: &str, v: Option<&str>, min: usize, max: usize) {
        self.length(field, v, min, max);
        self.required(field, v);
    }

    /// An integer's bounds.
    pub fn range(&mut self, field: &str, v: Option<i64>, min: i64, max: i64) {
        let Some(v) = v else { return };
        if v < min {
            self.problems.push(format!(
                "Value '{v}' at '{field}' failed to satisfy constraint: Member must have value greater than or equal to {min}"
            ));
        } else if v > max {
            self.problems.push(format!(
                "Value '{v}' at '{field}' failed to satisfy constraint: Member must have value less than or equal to {max}"
            ));
        }
    }

    /// A non-negative, finite number (a price).
    pub fn non_negative(&mut self, field: &str, v: Option<f64>) {
        if let Some(n) = v.filter(|n| !(*n >= 0.0 && n.is_finite())) {
            self.problems.push(format!(
                "Value '{n}' at '{field}' failed to satisfy constraint: Member must be a non-negative number"
            ));
        }
    }

    /// A list's length.
    pub fn count<T>(&mut self, field: &str, v: Option<&[T]>, min: usize, max: usize) {
        let Some(list) = v else { return };
        if list.len() < min {
            self.problems.push(format!(
                "Value '[…]' at '{field}' failed to satisfy constraint: Member must have length greater than or equal to {min}"
            ));
        } else if list.len() > max {
            self.problems.push(format!(
                "Value '[…]' at '{field}' failed to satisfy constraint: Member must have length less than or equal to {max}"
            ));
        }
    }

    /// A list of strings: its length, and each member's.
    pub fn strings(
        &mut self,
        field: &str,
        v: Option<&[String]>,
        (min, max): (usize, usize),
        (item_min, item_max): (usize, usize),
    ) {
        self.count(field, v, min, max);
        for (i, s) in v.unwrap_or_default().iter().enumerate() {
            self.length(
                &format!("{field}.{}.member", i + 1),
                Some(s),
                item_min,
                item_max,
            );
        }
    }

    /// A value of an enumeration.
    pub fn one_of(&mut self, field: &str, v: Option<&str>, allowed: &[&str]) {
        if let Some(v) = v.filter(|v| !allowed.contains(v)) {
            self.problems.push(format!(
                "Value {} at '{field}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                shown(v),
                allowed.join(", ")
            ));
        }
    }

    /// The outcome: the failure that ended the request, else every problem, as the protocol's
    /// validation error `code` (`ValidationException` in the JSON protocols, `ValidationError` in
    /// the Query protocol).
    pub(crate) fn finish(self, code: &'static str) -> Result<(), AwsError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(AwsError::validation(code, &self.problems))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Example {
        name: Option<String>,
        max_results: Option<i64>,
        filter: Option<Filter>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Filter {
        tag_status: Option<String>,
    }

    impl Request for Example {
        fn check(&self, c: &mut Checks) {
            c.required_length("name", self.name.as_deref(), 2, 4);
            c.range("maxResults", self.max_results, 1, 10);
            if let Some(f) = &self.filter {
                c.one_of(
                    "filter.tagStatus",
                    f.tag_status.as_deref(),
                    &["TAGGED", "ANY"],
                );
            }
        }
    }

    fn answer(body: &str) -> Result<Example, AwsError> {
        Input::parse(body.as_bytes())?.request()
    }

    #[test]
    fn every_problem_is_reported_together() {
        let e = answer(r#"{"name": "abcdef", "maxResults": 0, "filter": {"tagStatus": "X"}}"#)
            .err()
            .unwrap();
        assert_eq!(e.code, "ValidationException");
        assert_eq!(
            e.message,
            "3 validation errors detected: Value 'abcdef' at 'name' failed to satisfy constraint: Member must have length less than or equal to 4; Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1; Value 'X' at 'filter.tagStatus' failed to satisfy constraint: Member must satisfy enum value set: [TAGGED, ANY]"
        );
        let e = answer("{}").err().unwrap();
        assert_eq!(
            e.message,
            "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null"
        );
        assert!(answer(r#"{"name": "abc", "maxResults": null}"#).is_ok());
    }

    #[test]
    fn a_member_of_the_wrong_type_is_named() {
        for (body, message) in [
            (
                r#"{"name": 5}"#,
                "Unexpected value type for 'name': expected a string",
            ),
            (
                r#"{"name": "abc", "maxResults": 1.5}"#,
                "Unexpected value type for 'maxResults': expected an integer",
            ),
            (
                r#"{"name": "abc", "filter": "x"}"#,
                "Unexpected value type for 'filter': expected a structure",
            ),
            (
                r#"{"name": "abc", "filter": {"tagStatus": []}}"#,
                "Unexpected value type for 'filter.tagStatus': expected a string",
            ),
        ] {
            let e = answer(body).err().unwrap();
            assert_eq!(
                (e.code, e.message.as_str()),
                ("SerializationException", message)
            );
        }
        assert_eq!(
            Input::parse(b"[1]").err().unwrap().code,
            "SerializationException"
        );
    }

    #[test]
    fn a_failure_at_once_wins_over_problems() {
        let mut c = Checks::default();
        c.problem("p".into());
        c.fail(AwsError::new("InvalidParameterException", "first"));
        c.fail(AwsError::new("InvalidParameterException", "second"));
        assert!(c.failed.is_some());
        assert_eq!(
            c.finish("ValidationException").err().unwrap().message,
            "first"
        );
    }
}
