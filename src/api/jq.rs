//! `api --jq EXPR`: jq's language through the `jaq` crates, so no jq needs to be installed
//! (jaq's own dialect: <https://gedenkt.at/jaq/manual/>). Built without jaq-std's regex,
//! date, format (`@base64`, `@uri`, ...), maths and logging functions, which would take the
//! static binary past its size limit; a filter that names one is refused with that name.

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{data, unwrap_valr, Compiler, Ctx, Vars};
use jaq_json::Val;

type Data = data::JustLut<Val>;

/// jaq-std's definitions that call the functions of the features left out (its defs.jq).
const LEFT_OUT: [&str; 27] = [
    "stderr",
    "debug",
    "halt_error",
    "logb",
    "significand",
    "pow10",
    "drem",
    "nexttoward",
    "scalb",
    "gamma",
    "test",
    "scan_",
    "scan",
    "match",
    "capture",
    "splits",
    "sub",
    "gsub",
    "todate",
    "fromdate",
    "@html",
    "@htmld",
    "@uri",
    "@urid",
    "@base64",
    "@base64d",
    "split",
];

/// Whether a definition of jaq-std's stays: all but [`LEFT_OUT`], where `split($sep)` (a
/// plain string separator) stays and only the regex `split(re; flags)` goes.
fn kept(def: &jaq_core::load::parse::Def<&'static str>) -> bool {
    !LEFT_OUT.contains(&def.name) || (def.name == "split" && def.args.len() == 1)
}

/// A compiled jq filter.
pub struct Filter {
    filter: jaq_core::Filter<Data>,
}

impl Filter {
    /// Compile `code`, or say what is wrong with it.
    pub fn new(code: &str) -> Result<Filter, String> {
        let defs = jaq_core::defs()
            .chain(jaq_std::defs().filter(kept))
            .chain(jaq_json::defs());
        let funs = jaq_core::funs()
            .chain(jaq_std::base_funs())
            .chain(jaq_json::funs());
        let loader = Loader::new(defs);
        let arena = Arena::default();
        let program = File { code, path: () };
        let modules = loader.load(&arena, program).map_err(|errors| {
            let near: Vec<String> = errors
                .iter()
                .flat_map(|(_, e)| match e {
                    jaq_core::load::Error::Io(_) => Vec::new(),
                    jaq_core::load::Error::Lex(es) => es
                        .iter()
                        .map(|(expect, _)| expect.as_str().to_string())
                        .collect(),
                    jaq_core::load::Error::Parse(es) => es
                        .iter()
                        .map(|(expect, _)| expect.as_str().to_string())
                        .collect(),
                })
                .collect();
            format!(
                "the --jq expression is not valid jq (expected {})",
                near.join(", ")
            )
        })?;
        let filter = Compiler::default()
            .with_funs(funs)
            .compile(modules)
            .map_err(|errors| {
                let names: Vec<String> = errors
                    .iter()
                    .flat_map(|(_, es)| es.iter().map(|(name, _)| format!("`{name}`")))
                    .collect();
                format!(
                    "the --jq expression uses what idm-auth's jq does not have: {}",
                    names.join(", ")
                )
            })?;
        Ok(Filter { filter })
    }

    /// Run the filter on the JSON document `input`; every output value in order.
    pub fn run(&self, input: &[u8]) -> Result<Vec<Val>, String> {
        let input = jaq_json::read::parse_single(input)
            .map_err(|e| format!("the answer is not JSON, so --jq cannot filter it ({e})"))?;
        let ctx = Ctx::<Data>::new(&self.filter.lut, Vars::new([]));
        self.filter
            .id
            .run((ctx, input))
            .map(unwrap_valr)
            .map(|v| v.map_err(|e| format!("the --jq filter failed: {e}")))
            .collect()
    }
}

/// How one output value is printed: a string as its text (as `gh api --jq` does), anything
/// else as JSON, indented and coloured when `pretty`.
pub fn render(value: &Val, pretty: bool, colour: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if let Val::TStr(text) | Val::BStr(text) = value {
        out.extend_from_slice(text);
    } else {
        let pp = jaq_json::write::Pp {
            indent: pretty.then(|| "  ".to_string()),
            sep_space: pretty,
            styles: if colour {
                jaq_json::write::Styles::ansi()
            } else {
                jaq_json::write::Styles::default()
            },
            ..Default::default()
        };
        // Writing to a Vec cannot fail.
        let _ = jaq_json::write::write(&mut out, &pp, 0, value);
    }
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(code: &str, input: &str) -> Result<Vec<String>, String> {
        let filter = Filter::new(code)?;
        Ok(filter
            .run(input.as_bytes())?
            .iter()
            .map(|v| String::from_utf8(render(v, false, false)).unwrap())
            .collect())
    }

    #[test]
    fn filters_like_jq_and_prints_strings_raw() {
        let doc = r#"{"trackResponse":{"shipment":[{"package":[{"currentStatus":{"description":"Delivered"}},{"n":1}]}]}}"#;
        assert_eq!(
            run(
                ".trackResponse.shipment[0].package[0].currentStatus.description",
                doc
            )
            .unwrap(),
            ["Delivered\n"]
        );
        assert_eq!(
            run(".trackResponse.shipment[0].package | length", doc).unwrap(),
            ["2\n"]
        );
        assert_eq!(run("[.. | .n? // empty]", doc).unwrap(), ["[1]\n"]);
        assert_eq!(run("map(.)", "[1,2]").unwrap(), ["[1,2]\n"]);
        assert_eq!(
            run(r#"split(", ")"#, r#""a, b""#).unwrap(),
            ["[\"a\",\"b\"]\n"]
        );
        assert_eq!(
            run("[.[] | ascii_downcase] | join(\"-\")", r#"["A","B"]"#).unwrap(),
            ["a-b\n"]
        );
    }

    #[test]
    fn bad_expressions_and_inputs_are_explained() {
        assert!(run(".[", "{}").unwrap_err().contains("not valid jq"));
        assert!(run("nosuchfn", "{}").unwrap_err().contains("`nosuchfn`"));
        assert!(run(r#"test("x")"#, "{}").unwrap_err().contains("`test`"));
        assert!(run(".", "<html>").unwrap_err().contains("not JSON"));
        assert!(run(".a.b", r#"{"a":[1]}"#).unwrap_err().contains("failed"));
    }
}
