//! Reading an operation's JSON input with the model's constraints. Problems are collected and
//! reported together as one `ValidationException`, in the service framework's words; type errors
//! are a `SerializationException`, as AWS's JSON services answer them.

use serde_json::{Map, Value};

use crate::aws::AwsError;

pub struct Input {
    map: Map<String, Value>,
    problems: Vec<String>,
    type_error: Option<String>,
}

fn shown(v: &str) -> String {
    // the framework quotes the offending value; long values are not worth echoing whole
    if v.chars().count() > 256 {
        format!("'{}…'", v.chars().take(256).collect::<String>())
    } else {
        format!("'{v}'")
    }
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
        Ok(Input {
            map,
            problems: Vec::new(),
            type_error: None,
        })
    }

    fn type_error(&mut self, field: &str, expected: &str) {
        if self.type_error.is_none() {
            self.type_error = Some(format!(
                "Unexpected value type for '{field}': expected {expected}"
            ));
        }
    }

    /// The input as parsed, before any field is read.
    pub fn raw(&self) -> &Map<String, Value> {
        &self.map
    }

    pub fn problem(&mut self, p: String) {
        self.problems.push(p);
    }

    /// Whether a member is present (and not null).
    pub fn has(&self, field: &str) -> bool {
        self.map.get(field).is_some_and(|v| !v.is_null())
    }

    /// An optional string with length bounds (in characters).
    pub fn string(&mut self, field: &str, min: usize, max: usize) -> Option<String> {
        match self.map.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => {
                let s = s.clone();
                self.check_len(field, &s, min, max);
                Some(s)
            }
            Some(_) => {
                self.type_error(field, "a string");
                None
            }
        }
    }

    pub fn check_len(&mut self, field: &str, s: &str, min: usize, max: usize) {
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

    /// Report a required member that is absent (or null).
    pub fn require(&mut self, field: &str) {
        if !self.has(field) {
            self.problems.push(format!(
                "Value null at '{field}' failed to satisfy constraint: Member must not be null"
            ));
        }
    }

    /// A required string.
    pub fn required_string(&mut self, field: &str, min: usize, max: usize) -> String {
        match self.string(field, min, max) {
            Some(s) => s,
            None => {
                self.require(field);
                String::new()
            }
        }
    }

    /// An optional string from an enumeration.
    pub fn enumeration(&mut self, field: &str, allowed: &[&str]) -> Option<String> {
        let v = self.string(field, 0, usize::MAX)?;
        if !allowed.contains(&v.as_str()) {
            self.problems.push(format!(
                "Value {} at '{field}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                shown(&v),
                allowed.join(", ")
            ));
        }
        Some(v)
    }

    pub fn boolean(&mut self, field: &str) -> Option<bool> {
        match self.map.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                self.type_error(field, "a boolean");
                None
            }
        }
    }

    /// An optional integer within bounds.
    pub fn integer(&mut self, field: &str, min: i64, max: i64) -> Option<i64> {
        match self.map.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => match n.as_i64() {
                Some(v) => {
                    if v < min {
                        self.problems.push(format!(
                            "Value '{v}' at '{field}' failed to satisfy constraint: Member must have value greater than or equal to {min}"
                        ));
                    } else if v > max {
                        self.problems.push(format!(
                            "Value '{v}' at '{field}' failed to satisfy constraint: Member must have value less than or equal to {max}"
                        ));
                    }
                    Some(v)
                }
                None => {
                    self.type_error(field, "an integer");
                    None
                }
            },
            Some(_) => {
                self.type_error(field, "an integer");
                None
            }
        }
    }

    /// An optional non-negative number (a price).
    pub fn number(&mut self, field: &str) -> Option<f64> {
        match self.map.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => match n.as_f64() {
                Some(v) if v >= 0.0 && v.is_finite() => Some(v),
                _ => {
                    self.problems.push(format!(
                        "Value '{n}' at '{field}' failed to satisfy constraint: Member must be a non-negative number"
                    ));
                    None
                }
            },
            Some(_) => {
                self.type_error(field, "a number");
                None
            }
        }
    }

    /// An optional list with length bounds; its elements as raw values.
    pub fn list(&mut self, field: &str, min: usize, max: usize) -> Option<Vec<Value>> {
        match self.map.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::Array(a)) => {
                let a = a.clone();
                if a.len() < min {
                    self.problems.push(format!(
                        "Value '[…]' at '{field}' failed to satisfy constraint: Member must have length greater than or equal to {min}"
                    ));
                } else if a.len() > max {
                    self.problems.push(format!(
                        "Value '[…]' at '{field}' failed to satisfy constraint: Member must have length less than or equal to {max}"
                    ));
                }
                Some(a)
            }
            Some(_) => {
                self.type_error(field, "a list");
                None
            }
        }
    }

    /// An optional list of strings, each with length bounds.
    pub fn string_list(
        &mut self,
        field: &str,
        min: usize,
        max: usize,
        item_min: usize,
        item_max: usize,
    ) -> Option<Vec<String>> {
        let items = self.list(field, min, max)?;
        let mut out = Vec::with_capacity(items.len());
        for (i, v) in items.iter().enumerate() {
            match v {
                Value::String(s) => {
                    self.check_len(&format!("{field}.{}.member", i + 1), s, item_min, item_max);
                    out.push(s.clone());
                }
                _ => self.type_error(field, "a list of strings"),
            }
        }
        Some(out)
    }

    /// An optional structure, as a nested input whose problems are reported under `field.`.
    pub fn structure(&mut self, field: &str) -> Option<Input> {
        match self.map.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::Object(m)) => Some(Input {
                map: m.clone(),
                problems: Vec::new(),
                type_error: None,
            }),
            Some(_) => {
                self.type_error(field, "a structure");
                None
            }
        }
    }

    /// Fold a nested input's problems into this one, prefixed with its member name.
    pub fn absorb(&mut self, field: &str, nested: Input) {
        for p in nested.problems {
            self.problems
                .push(p.replacen(" at '", &format!(" at '{field}."), 1));
        }
        if self.type_error.is_none() {
            self.type_error = nested.type_error;
        }
    }

    /// The collected problems, if any, as the error to answer.
    pub fn finish(self) -> Result<(), AwsError> {
        if let Some(t) = self.type_error {
            return Err(AwsError::serialization(t));
        }
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(AwsError::validation(&self.problems))
        }
    }
}

/// A structure nested in a list element.
pub fn element(v: &Value) -> Option<Input> {
    match v {
        Value::Object(m) => Some(Input {
            map: m.clone(),
            problems: Vec::new(),
            type_error: None,
        }),
        _ => None,
    }
}
