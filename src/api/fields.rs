//! `-f key=value` and `-F key=value`, as `gh api` takes them: a JSON body for a POST, query
//! parameters for a GET. `-f` is always a string; `-F` makes numbers, `true`, `false` and
//! `null` JSON values and reads `@FILE` (`@-`: stdin). `key[sub]=v` nests an object and
//! `key[]=v` appends to an array.

use serde_json::{Map, Value};

/// One field as given on the command line.
pub struct Field {
    /// The key's path: `a[b][]` is `["a", "b", ""]` (an empty part appends to an array).
    pub path: Vec<String>,
    pub value: Value,
}

/// Split `key=value` and parse the key's path. `typed` is `-F`; `read_file` reads `@FILE`.
pub fn parse(
    raw: &str,
    typed: bool,
    read_file: &dyn Fn(&str) -> Result<String, String>,
) -> Result<Field, String> {
    let flag = if typed { "-F" } else { "-f" };
    let (key, value) = raw
        .split_once('=')
        .ok_or_else(|| format!("{flag} `{raw}`: expected KEY=VALUE"))?;
    let path = key_path(key).ok_or_else(|| {
        format!("{flag} `{raw}`: the key must be a name, optionally followed by [sub] or []")
    })?;
    let value = if typed {
        typed_value(value, read_file)?
    } else {
        Value::String(value.to_string())
    };
    Ok(Field { path, value })
}

/// `a[b][]` → `["a", "b", ""]`; None for a key that is not of that shape.
fn key_path(key: &str) -> Option<Vec<String>> {
    let (first, mut rest) = match key.find('[') {
        Some(at) => key.split_at(at),
        None => (key, ""),
    };
    if first.is_empty() {
        return None;
    }
    let mut path = vec![first.to_string()];
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let close = inner.find(']')?;
        path.push(inner[..close].to_string());
        rest = &inner[close + 1..];
    }
    // Only the last part may append.
    if path[..path.len() - 1].iter().skip(1).any(String::is_empty) {
        return None;
    }
    Some(path)
}

fn typed_value(
    value: &str,
    read_file: &dyn Fn(&str) -> Result<String, String>,
) -> Result<Value, String> {
    Ok(match value {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        _ if value.starts_with('@') => Value::String(read_file(&value[1..])?),
        _ => match value.parse::<serde_json::Number>() {
            Ok(n) if !value.starts_with('+') => Value::Number(n),
            _ => Value::String(value.to_string()),
        },
    })
}

/// The fields as one JSON object, in the order given.
pub fn body(fields: &[Field]) -> Result<Value, String> {
    let mut root = Value::Object(Map::new());
    for field in fields {
        insert(&mut root, &field.path, field.value.clone())
            .map_err(|why| format!("field `{}`: {why}", field.path.join(".")))?;
    }
    Ok(root)
}

fn insert(node: &mut Value, path: &[String], value: Value) -> Result<(), &'static str> {
    let Some((part, rest)) = path.split_first() else {
        *node = value;
        return Ok(());
    };
    if part.is_empty() {
        let Value::Array(items) = node else {
            return Err("`[]` needs an array here, but the key already holds something else");
        };
        items.push(value);
        return Ok(());
    }
    let Value::Object(map) = node else {
        return Err("the key already holds a value, not an object");
    };
    let child = map
        .entry(part.clone())
        .or_insert_with(|| match rest.first() {
            Some(next) if next.is_empty() => Value::Array(Vec::new()),
            Some(_) => Value::Object(Map::new()),
            None => Value::Null,
        });
    insert(child, rest, value)
}

/// The fields as query parameters (a GET): `a[b]=v` keeps its bracketed name, as gh does.
pub fn query(fields: &[Field]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|f| {
            let mut name = f.path[0].clone();
            for part in &f.path[1..] {
                name.push_str(&format!("[{part}]"));
            }
            let value = match &f.value {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            (name, value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn no_files(_: &str) -> Result<String, String> {
        Err("no files here".into())
    }

    fn fields(raw: &[(&str, bool)]) -> Vec<Field> {
        raw.iter()
            .map(|(r, t)| parse(r, *t, &no_files).unwrap())
            .collect()
    }

    #[test]
    fn typed_and_raw_fields_build_the_body() {
        let f = fields(&[
            ("name=Jane", false),
            ("count=3", true),
            ("n=3", false),
            ("ok=true", true),
            ("none=null", true),
            ("ratio=-1.5e2", true),
            ("plus=+1", true),
            ("ship[to][city]=Wayne", false),
            ("ship[refs][]=a", false),
            ("ship[refs][]=b", false),
        ]);
        assert_eq!(
            body(&f).unwrap(),
            json!({"name": "Jane", "count": 3, "n": "3", "ok": true, "none": null,
                   "ratio": -150.0, "plus": "+1",
                   "ship": {"to": {"city": "Wayne"}, "refs": ["a", "b"]}})
        );
    }

    #[test]
    fn query_parameters_are_text() {
        let f = fields(&[
            ("locale=en_US", false),
            ("returnPOD=true", true),
            ("a[b]=1", true),
        ]);
        assert_eq!(
            query(&f),
            [
                ("locale".into(), "en_US".into()),
                ("returnPOD".into(), "true".into()),
                ("a[b]".into(), "1".into())
            ]
        );
    }

    #[test]
    fn files_and_bad_keys() {
        let read = |name: &str| Ok(format!("text of {name}"));
        assert_eq!(
            parse("k=@x.txt", true, &read).unwrap().value,
            json!("text of x.txt")
        );
        assert_eq!(
            parse("k=@x.txt", false, &read).unwrap().value,
            json!("@x.txt")
        );
        assert!(parse("k=@x", true, &no_files).is_err());
        for bad in ["novalue", "=v", "[a]=v", "a[b=v", "a[][b]=v"] {
            assert!(parse(bad, false, &no_files).is_err(), "{bad}");
        }
        let clash = fields(&[("a=1", false), ("a[b]=2", false)]);
        assert!(body(&clash).is_err());
    }
}
