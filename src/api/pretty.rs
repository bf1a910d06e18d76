//! JSON indented (and coloured) as it streams past: a byte-level reformatter that holds only
//! the nesting depth, so a proof-of-delivery answer of many MB is shown on a terminal in
//! bounded memory. It never judges the JSON: what is not JSON comes out re-spaced, not lost
//! (string contents always pass through byte for byte).

use std::io::{self, Write};

/// jq's colours: keys blue, strings green, null grey; numbers, booleans and punctuation plain.
const KEY: &[u8] = b"\x1b[1;34m";
const STRING: &[u8] = b"\x1b[32m";
const NULL: &[u8] = b"\x1b[90m";
const RESET: &[u8] = b"\x1b[0m";

/// Where the reformatter is inside the document.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Inside {
    Between,
    String { escaped: bool },
    Scalar,
}

pub struct Pretty<W: Write> {
    out: W,
    colour: bool,
    /// One entry per open container: true for an object.
    stack: Vec<bool>,
    inside: Inside,
    /// The next string in an object is a key (after `{` or `,`), not a value (after `:`).
    expect_key: bool,
    /// A container was just opened: a line break comes before its first member, none if it
    /// closes at once (`{}`).
    opened: bool,
    /// A top-level value has been written: another one starts on a new line.
    wrote_value: bool,
}

impl<W: Write> Pretty<W> {
    pub fn new(out: W, colour: bool) -> Pretty<W> {
        Pretty {
            out,
            colour,
            stack: Vec::new(),
            inside: Inside::Between,
            expect_key: false,
            opened: false,
            wrote_value: false,
        }
    }

    fn style(&mut self, style: &[u8]) -> io::Result<()> {
        if self.colour {
            self.out.write_all(style)?;
        }
        Ok(())
    }

    fn newline(&mut self) -> io::Result<()> {
        self.out.write_all(b"\n")?;
        for _ in 0..self.stack.len() {
            self.out.write_all(b"  ")?;
        }
        Ok(())
    }

    /// Before a value or a member starts: its line break.
    fn start_token(&mut self) -> io::Result<()> {
        if self.opened {
            self.opened = false;
            self.newline()?;
        } else if self.stack.is_empty() && self.wrote_value {
            self.out.write_all(b"\n")?;
        }
        Ok(())
    }

    fn end_scalar(&mut self) -> io::Result<()> {
        if self.inside == Inside::Scalar {
            self.inside = Inside::Between;
            self.style(RESET)?;
            self.wrote_value = true;
        }
        Ok(())
    }

    pub fn write_chunk(&mut self, chunk: &[u8]) -> io::Result<()> {
        let mut start = 0;
        for (i, &b) in chunk.iter().enumerate() {
            if let Inside::String { escaped } = self.inside {
                // Runs of string bytes are written in one go below.
                self.inside = match (escaped, b) {
                    (true, _) => Inside::String { escaped: false },
                    (false, b'\\') => Inside::String { escaped: true },
                    (false, b'"') => {
                        self.out.write_all(&chunk[start..=i])?;
                        self.style(RESET)?;
                        self.wrote_value = true;
                        Inside::Between
                    }
                    (false, _) => Inside::String { escaped: false },
                };
                continue;
            }
            start = i + 1;
            self.byte(b)?;
            if matches!(self.inside, Inside::String { .. }) {
                start = i;
            }
        }
        if let Inside::String { .. } = self.inside {
            self.out.write_all(&chunk[start.min(chunk.len())..])?;
        }
        Ok(())
    }

    /// One byte outside a string.
    fn byte(&mut self, b: u8) -> io::Result<()> {
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => self.end_scalar(),
            b'{' | b'[' => {
                self.end_scalar()?;
                self.start_token()?;
                self.out.write_all(&[b])?;
                self.stack.push(b == b'{');
                self.expect_key = b == b'{';
                self.opened = true;
                Ok(())
            }
            b'}' | b']' => {
                self.end_scalar()?;
                self.stack.pop();
                if self.opened {
                    self.opened = false;
                } else {
                    self.newline()?;
                }
                self.out.write_all(&[b])?;
                self.wrote_value = true;
                Ok(())
            }
            b',' => {
                self.end_scalar()?;
                self.out.write_all(b",")?;
                self.expect_key = self.stack.last() == Some(&true);
                self.newline()
            }
            b':' => {
                self.end_scalar()?;
                self.expect_key = false;
                self.out.write_all(b": ")
            }
            b'"' => {
                self.end_scalar()?;
                self.start_token()?;
                let key = self.expect_key && self.stack.last() == Some(&true);
                self.style(if key { KEY } else { STRING })?;
                // The quote itself is written with the string's bytes.
                self.inside = Inside::String { escaped: false };
                Ok(())
            }
            _ => {
                if self.inside != Inside::Scalar {
                    self.start_token()?;
                    self.inside = Inside::Scalar;
                    self.style(if b == b'n' { NULL } else { b"" })?;
                }
                self.out.write_all(&[b])
            }
        }
    }

    /// The end of the document: close an open colour and end the line.
    pub fn finish(mut self) -> io::Result<W> {
        self.end_scalar()?;
        if let Inside::String { .. } = self.inside {
            self.style(RESET)?;
        }
        if self.wrote_value {
            self.out.write_all(b"\n")?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reformat `input` fed in chunks of `size` bytes.
    fn pretty(input: &str, size: usize, colour: bool) -> String {
        let mut p = Pretty::new(Vec::new(), colour);
        for chunk in input.as_bytes().chunks(size) {
            p.write_chunk(chunk).unwrap();
        }
        String::from_utf8(p.finish().unwrap()).unwrap()
    }

    #[test]
    fn indents_like_jq_whatever_the_chunks() {
        let input = r#"{"a":[1,2,{}],"b":{"c":"x, \"y\": {z}"},"d":[],"e":null}"#;
        let want = "{\n  \"a\": [\n    1,\n    2,\n    {}\n  ],\n  \"b\": {\n    \"c\": \"x, \\\"y\\\": {z}\"\n  },\n  \"d\": [],\n  \"e\": null\n}\n";
        for size in [1, 2, 3, 7, 1000] {
            assert_eq!(pretty(input, size, false), want, "chunks of {size}");
        }
        let spaced = " {\n \"a\" : [ 1 ,\t2 , { } ] , \"b\":{\"c\":\"x, \\\"y\\\": {z}\"},\"d\":[ ],\"e\": null }\n";
        assert_eq!(pretty(spaced, 5, false), want);
    }

    #[test]
    fn colours_keys_strings_and_null_only_when_asked() {
        let out = pretty(r#"{"k":"v","n":null,"t":true,"x":1.5}"#, 4, true);
        assert!(
            out.contains("\x1b[1;34m\"k\"\x1b[0m: \x1b[32m\"v\"\x1b[0m"),
            "{out:?}"
        );
        assert!(out.contains("\x1b[90mnull\x1b[0m"), "{out:?}");
        assert!(out.contains("true") && out.contains("1.5"), "{out:?}");
        assert!(!pretty(r#"{"k":"v"}"#, 4, false).contains('\x1b'));
    }

    #[test]
    fn scalars_and_several_documents() {
        assert_eq!(pretty("42", 1, false), "42\n");
        assert_eq!(pretty("\"s\"", 1, false), "\"s\"\n");
        assert_eq!(pretty("1 2", 1, false), "1\n2\n");
        assert_eq!(pretty("", 1, false), "");
    }
}
