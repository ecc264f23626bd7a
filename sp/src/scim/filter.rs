//! The RFC 7644 §3.4.2.2 filter grammar, parsed into an AST by recursive descent.
//!
//! Precedence is `not` > `and` > `or`; parentheses group; operators and the keywords are
//! case-insensitive, attribute names keep their spelling (schemas compare them
//! case-insensitively). Value paths (`emails[type eq "work"]`) may be followed by a
//! sub-attribute comparison (`emails[type eq "work"].value eq "x"`), which is read as
//! `emails[type eq "work" and value eq "x"]`: one element must satisfy both. Values are JSON
//! literals (strings with escapes, numbers, true/false/null). A malformed filter is an error
//! naming the character position (1-based) and what was expected there; nesting is capped at
//! [`MAX_DEPTH`] and length at [`MAX_FILTER_LEN`] so that a hostile filter cannot exhaust the
//! stack. [`Filter`]'s `Display` prints a fully parenthesised form that parses back to the same
//! tree.
//!
//! The same attribute-path reader parses PATCH paths ([`parse_path`]).

use std::fmt;

/// Deepest nesting of parentheses, `not` and value paths.
pub const MAX_DEPTH: usize = 32;
/// Longest filter or path accepted, in bytes.
pub const MAX_FILTER_LEN: usize = 4096;

/// `[urn:…:]attr[.sub]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    /// The schema URN when the path was written fully qualified.
    pub uri: Option<String>,
    pub attr: String,
    pub sub: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    fn parse(word: &str) -> Option<CompareOp> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => CompareOp::Eq,
            "ne" => CompareOp::Ne,
            "co" => CompareOp::Co,
            "sw" => CompareOp::Sw,
            "ew" => CompareOp::Ew,
            "gt" => CompareOp::Gt,
            "ge" => CompareOp::Ge,
            "lt" => CompareOp::Lt,
            "le" => CompareOp::Le,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }
}

/// A comparison value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    Num(serde_json::Number),
    Bool(bool),
    Null,
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Str(s) => write!(f, "{}", serde_json::Value::String(s.clone())),
            Literal::Num(n) => write!(f, "{n}"),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Null => f.write_str("null"),
        }
    }
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Compare(AttrPath, CompareOp, Literal),
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `attr[inner]`: some element of the multi-valued `attr` satisfies `inner`, whose paths
    /// name sub-attributes of the element.
    ValuePath(AttrPath, Box<Filter>),
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(uri) = &self.uri {
            write!(f, "{uri}:")?;
        }
        f.write_str(&self.attr)?;
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Compare(path, op, value) => write!(f, "{path} {} {value}", op.as_str()),
            Filter::Present(path) => write!(f, "{path} pr"),
            Filter::And(a, b) => write!(f, "({a} and {b})"),
            Filter::Or(a, b) => write!(f, "({a} or {b})"),
            Filter::Not(inner) => write!(f, "not ({inner})"),
            Filter::ValuePath(path, inner) => write!(f, "{path}[{inner}]"),
        }
    }
}

/// Why a filter or path does not parse: where (1-based character position) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub position: usize,
    pub reason: String,
}

/// A PATCH path: `attr[.sub]`, `attr[filter][.sub]`, optionally URN-qualified.
#[derive(Debug, Clone, PartialEq)]
pub struct PathExpr {
    pub attr: AttrPath,
    pub filter: Option<Filter>,
    /// The sub-attribute after a filter (`emails[type eq "work"].value`).
    pub sub: Option<String>,
}

/// Parses a filter (`filter=` query parameter, already URL-decoded).
pub fn parse_filter(input: &str) -> Result<Filter, ParseError> {
    let mut parser = Parser::new(input)?;
    parser.skip_ws();
    let filter = parser.or_expr(0)?;
    parser.skip_ws();
    if !parser.at_end() {
        return Err(parser.error("expected `and`, `or` or the end of the filter"));
    }
    Ok(filter)
}

/// Parses a PATCH `path`.
pub fn parse_path(input: &str) -> Result<PathExpr, ParseError> {
    let mut parser = Parser::new(input)?;
    let attr = parser.attr_path()?;
    let mut expr = PathExpr {
        attr,
        filter: None,
        sub: None,
    };
    if parser.eat('[') {
        if expr.attr.sub.is_some() {
            return Err(parser.error("a filter follows an attribute, not a sub-attribute"));
        }
        parser.skip_ws();
        parser.in_value_path = true;
        expr.filter = Some(parser.or_expr(1)?);
        parser.skip_ws();
        if !parser.eat(']') {
            return Err(parser.error("expected `]`"));
        }
        if parser.eat('.') {
            expr.sub = Some(parser.name()?);
        }
    }
    if !parser.at_end() {
        return Err(parser.error("unexpected text after the path"));
    }
    Ok(expr)
}

struct Parser<'a> {
    input: &'a str,
    pos: usize,
    /// Inside `[…]`, where another value filter is not allowed (RFC 7644 `valFilter`).
    in_value_path: bool,
}

impl<'a> Parser<'a> {
    fn new(input: &'a str) -> Result<Parser<'a>, ParseError> {
        if input.len() > MAX_FILTER_LEN {
            return Err(ParseError {
                position: 1,
                reason: format!("longer than {MAX_FILTER_LEN} bytes"),
            });
        }
        Ok(Parser {
            input,
            pos: 0,
            in_value_path: false,
        })
    }

    fn rest(&self) -> &'a str {
        &self.input[self.pos..]
    }

    fn at_end(&self) -> bool {
        self.pos >= self.input.len()
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn error(&self, reason: &str) -> ParseError {
        let found = match self.peek() {
            Some(c) => format!("found {c:?}"),
            None => "found the end".to_owned(),
        };
        ParseError {
            position: self.input[..self.pos].chars().count() + 1,
            reason: format!("{reason}, {found}"),
        }
    }

    fn skip_ws(&mut self) -> bool {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c == ' ' || c == '\t' {
                self.pos += 1;
            } else {
                break;
            }
        }
        self.pos > start
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    /// The word at the cursor (letters, digits, `-`, `_`, `$`), without consuming it.
    fn word(&self) -> &'a str {
        let rest = self.rest();
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '$'))
            .unwrap_or(rest.len());
        &rest[..end]
    }

    /// Consumes the keyword `kw` (any case) if it stands at the cursor as a whole word.
    fn keyword(&mut self, kw: &str) -> bool {
        if self.word().eq_ignore_ascii_case(kw) {
            self.pos += kw.len();
            true
        } else {
            false
        }
    }

    fn or_expr(&mut self, depth: usize) -> Result<Filter, ParseError> {
        let mut left = self.and_expr(depth)?;
        loop {
            let save = self.pos;
            if self.skip_ws() && self.keyword("or") && self.skip_ws() {
                let right = self.and_expr(depth)?;
                left = Filter::Or(Box::new(left), Box::new(right));
            } else {
                self.pos = save;
                return Ok(left);
            }
        }
    }

    fn and_expr(&mut self, depth: usize) -> Result<Filter, ParseError> {
        let mut left = self.unary(depth)?;
        loop {
            let save = self.pos;
            if self.skip_ws() && self.keyword("and") && self.skip_ws() {
                let right = self.unary(depth)?;
                left = Filter::And(Box::new(left), Box::new(right));
            } else {
                self.pos = save;
                return Ok(left);
            }
        }
    }

    fn nested(&mut self, depth: usize) -> Result<Filter, ParseError> {
        if depth >= MAX_DEPTH {
            return Err(self.error(&format!("nested deeper than {MAX_DEPTH} levels")));
        }
        self.skip_ws();
        let inner = self.or_expr(depth + 1)?;
        self.skip_ws();
        if !self.eat(')') {
            return Err(self.error("expected `)`"));
        }
        Ok(inner)
    }

    fn unary(&mut self, depth: usize) -> Result<Filter, ParseError> {
        if self.eat('(') {
            return self.nested(depth);
        }
        let save = self.pos;
        if self.keyword("not") {
            self.skip_ws();
            if self.eat('(') {
                return Ok(Filter::Not(Box::new(self.nested(depth)?)));
            }
            // An attribute whose name starts with "not" (`notes pr`).
            self.pos = save;
        }
        self.attr_expr(depth)
    }

    fn attr_expr(&mut self, depth: usize) -> Result<Filter, ParseError> {
        let path = self.attr_path()?;
        if self.eat('[') {
            if path.sub.is_some() {
                return Err(self.error("a value filter follows an attribute, not a sub-attribute"));
            }
            if self.in_value_path {
                return Err(self.error("value filters cannot be nested"));
            }
            self.skip_ws();
            self.in_value_path = true;
            let inner = self.or_expr(depth + 1)?;
            self.in_value_path = false;
            self.skip_ws();
            if !self.eat(']') {
                return Err(self.error("expected `]`"));
            }
            if !self.eat('.') {
                return Ok(Filter::ValuePath(path, Box::new(inner)));
            }
            let sub = AttrPath {
                uri: None,
                attr: self.name()?,
                sub: None,
            };
            let condition = self.condition(sub)?;
            return Ok(Filter::ValuePath(
                path,
                Box::new(Filter::And(Box::new(inner), Box::new(condition))),
            ));
        }
        self.condition(path)
    }

    /// ` pr` or ` op value` after a path.
    fn condition(&mut self, path: AttrPath) -> Result<Filter, ParseError> {
        if !self.skip_ws() {
            return Err(self.error("expected a space and an operator after the attribute"));
        }
        if self.keyword("pr") {
            return Ok(Filter::Present(path));
        }
        let word = self.word();
        let Some(op) = CompareOp::parse(word) else {
            return Err(self.error("expected an operator (eq ne co sw ew gt ge lt le pr)"));
        };
        self.pos += word.len();
        if !self.skip_ws() {
            return Err(self.error("expected a space and a value after the operator"));
        }
        let value = self.literal()?;
        Ok(Filter::Compare(path, op, value))
    }

    fn literal(&mut self) -> Result<Literal, ParseError> {
        if self.peek() == Some('"') {
            return self.string();
        }
        let word = self.word();
        if word.eq_ignore_ascii_case("true") {
            self.pos += 4;
            return Ok(Literal::Bool(true));
        }
        if word.eq_ignore_ascii_case("false") {
            self.pos += 5;
            return Ok(Literal::Bool(false));
        }
        if word.eq_ignore_ascii_case("null") {
            self.pos += 4;
            return Ok(Literal::Null);
        }
        let rest = self.rest();
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E')))
            .unwrap_or(rest.len());
        if end > 0 {
            if let Ok(n) = rest[..end].parse::<serde_json::Number>() {
                self.pos += end;
                return Ok(Literal::Num(n));
            }
        }
        Err(self.error("expected a value: a \"quoted string\", a number, true, false or null"))
    }

    fn string(&mut self) -> Result<Literal, ParseError> {
        let start = self.pos;
        let bytes = self.input.as_bytes();
        let mut i = start + 1;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 2,
                b'"' => {
                    let text = &self.input[start..=i];
                    return match serde_json::from_str::<String>(text) {
                        Ok(s) => {
                            self.pos = i + 1;
                            Ok(Literal::Str(s))
                        }
                        Err(e) => Err(self.error(&format!("the string is not valid JSON ({e})"))),
                    };
                }
                _ => i += 1,
            }
        }
        Err(self.error("the string has no closing quote"))
    }

    /// `ATTRNAME`: a letter (or `$`, for `$ref`), then letters, digits, `-`, `_`.
    fn name(&mut self) -> Result<String, ParseError> {
        let word = self.word();
        let mut chars = word.chars();
        match chars.next() {
            Some(c) if c.is_ascii_alphabetic() || c == '$' => {}
            _ => return Err(self.error("expected an attribute name")),
        }
        if word.contains('$') && !word.starts_with('$') {
            return Err(self.error("`$` may only start an attribute name"));
        }
        self.pos += word.len();
        Ok(word.to_owned())
    }

    fn attr_path(&mut self) -> Result<AttrPath, ParseError> {
        let mut uri = None;
        if self
            .rest()
            .get(..4)
            .is_some_and(|s| s.eq_ignore_ascii_case("urn:"))
        {
            // The URN runs to the last `:` before the first character that ends a path.
            let rest = self.rest();
            let end = rest.find([' ', '[', '(', ')', ']']).unwrap_or(rest.len());
            let Some(colon) = rest[..end].rfind(':') else {
                return Err(self.error("expected `:` and an attribute after the schema URN"));
            };
            uri = Some(rest[..colon].to_owned());
            self.pos += colon + 1;
        }
        let attr = self.name()?;
        let sub = if self.eat('.') {
            Some(self.name()?)
        } else {
            None
        };
        Ok(AttrPath { uri, attr, sub })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn path(attr: &str, sub: Option<&str>) -> AttrPath {
        AttrPath {
            uri: None,
            attr: attr.into(),
            sub: sub.map(Into::into),
        }
    }

    fn eq(attr: &str, value: &str) -> Filter {
        Filter::Compare(path(attr, None), CompareOp::Eq, Literal::Str(value.into()))
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let f = parse_filter(r#"a eq "x" or b eq "y" and c eq "z""#).expect("parses");
        assert_eq!(
            f,
            Filter::Or(
                Box::new(eq("a", "x")),
                Box::new(Filter::And(Box::new(eq("b", "y")), Box::new(eq("c", "z"))))
            )
        );
    }

    #[test]
    fn keywords_inside_strings_stay_values() {
        let f = parse_filter(r#"displayName eq "R and D""#).expect("parses");
        assert_eq!(f, eq("displayName", "R and D"));
    }

    #[test]
    fn operators_and_keywords_in_any_case() {
        let f = parse_filter(r#"userName EQ "a" AND NOT (active Eq TRUE)"#).expect("parses");
        assert_eq!(
            f.to_string(),
            r#"(userName eq "a" and not (active eq true))"#
        );
    }

    #[test]
    fn escaped_quotes_in_values() {
        let f = parse_filter(r#"displayName eq "say \"hi\"""#).expect("parses");
        assert_eq!(f, eq("displayName", "say \"hi\""));
    }

    #[test]
    fn value_path_with_a_trailing_sub_attribute() {
        let f = parse_filter(r#"emails[type eq "work"].value eq "a@b.c""#).expect("parses");
        assert_eq!(
            f,
            Filter::ValuePath(
                path("emails", None),
                Box::new(Filter::And(
                    Box::new(eq("type", "work")),
                    Box::new(eq("value", "a@b.c"))
                ))
            )
        );
    }

    #[test]
    fn urn_qualified_paths() {
        let f = parse_filter(r#"urn:ietf:params:scim:schemas:core:2.0:User:name.givenName sw "A""#)
            .expect("parses");
        let Filter::Compare(p, CompareOp::Sw, _) = f else {
            panic!("a comparison")
        };
        assert_eq!(
            p.uri.as_deref(),
            Some("urn:ietf:params:scim:schemas:core:2.0:User")
        );
        assert_eq!(
            (p.attr.as_str(), p.sub.as_deref()),
            ("name", Some("givenName"))
        );
    }

    #[test]
    fn malformed_filters_name_the_position() {
        for (filter, position) in [
            (r#"userName eq"#, 12),
            (r#"userName xx "a""#, 10),
            (r#"userName eq "a"#, 13),
            (r#"(userName eq "a""#, 17),
            (r#"userName eq "a" nor x pr"#, 17),
            (r#"emails[type eq "work""#, 22),
            (r#"userName eq unquoted"#, 13),
        ] {
            let err = parse_filter(filter).expect_err(filter);
            assert_eq!(err.position, position, "{filter}: {}", err.reason);
        }
        // Positive control.
        assert!(parse_filter(r#"userName eq "a""#).is_ok());
    }

    #[test]
    fn refuses_nesting_past_the_cap() {
        let deep = format!(
            "{}a pr{}",
            "(".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        );
        let err = parse_filter(&deep).expect_err("too deep");
        assert!(err.reason.contains("nested deeper"), "{}", err.reason);
        let ok = format!("{}a pr{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(parse_filter(&ok).is_ok());
    }

    #[test]
    fn attribute_starting_with_not_is_an_attribute() {
        assert_eq!(
            parse_filter("notes pr").expect("parses"),
            Filter::Present(path("notes", None))
        );
    }

    #[test]
    fn patch_paths() {
        let p = parse_path(r#"members[value eq "2819c223"]"#).expect("parses");
        assert_eq!(p.attr, path("members", None));
        assert_eq!(p.filter, Some(eq("value", "2819c223")));
        let p = parse_path(r#"emails[type eq "work"].value"#).expect("parses");
        assert_eq!(p.sub.as_deref(), Some("value"));
        let p = parse_path("name.givenName").expect("parses");
        assert_eq!(p.attr, path("name", Some("givenName")));
        assert!(parse_path("name.").is_err());
    }

    fn arb_filter() -> impl Strategy<Value = Filter> {
        let attr = prop_oneof![
            Just("userName"),
            Just("name"),
            Just("emails"),
            Just("notes")
        ];
        let sub = proptest::option::of(prop_oneof![Just("givenName"), Just("value")]);
        let path = (attr, sub).prop_map(|(a, s)| AttrPath {
            uri: None,
            attr: a.into(),
            sub: s.map(Into::into),
        });
        let literal = prop_oneof![
            "[ -~é\"\\\\]{0,8}".prop_map(Literal::Str),
            any::<bool>().prop_map(Literal::Bool),
            (-1000i64..1000).prop_map(|n| Literal::Num(n.into())),
            Just(Literal::Null),
        ];
        let op = prop_oneof![
            Just(CompareOp::Eq),
            Just(CompareOp::Ne),
            Just(CompareOp::Co),
            Just(CompareOp::Sw),
            Just(CompareOp::Ew),
            Just(CompareOp::Gt),
            Just(CompareOp::Ge),
            Just(CompareOp::Lt),
            Just(CompareOp::Le),
        ];
        let leaf = prop_oneof![
            (path.clone(), op, literal).prop_map(|(p, o, l)| Filter::Compare(p, o, l)),
            path.prop_map(Filter::Present),
        ];
        let simple = leaf.clone().prop_recursive(3, 8, 2, |inner| {
            prop_oneof![
                (inner.clone(), inner.clone())
                    .prop_map(|(a, b)| Filter::And(Box::new(a), Box::new(b))),
                (inner.clone(), inner.clone())
                    .prop_map(|(a, b)| Filter::Or(Box::new(a), Box::new(b))),
                inner.prop_map(|a| Filter::Not(Box::new(a))),
            ]
        });
        let value_path = simple
            .clone()
            .prop_map(|inner| Filter::ValuePath(path_of("emails"), Box::new(inner)));
        prop_oneof![simple.clone(), value_path.clone()].prop_recursive(2, 6, 2, |outer| {
            prop_oneof![
                (outer.clone(), outer.clone())
                    .prop_map(|(a, b)| Filter::And(Box::new(a), Box::new(b))),
                outer.prop_map(|a| Filter::Not(Box::new(a))),
            ]
        })
    }

    fn path_of(attr: &str) -> AttrPath {
        path(attr, None)
    }

    proptest! {
        /// Display prints a filter that parses back to the same tree.
        #[test]
        fn display_round_trips(f in arb_filter()) {
            let printed = f.to_string();
            prop_assert_eq!(parse_filter(&printed), Ok(f), "{}", printed);
        }

        /// No input panics the parser.
        #[test]
        fn never_panics(s in "\\PC{0,64}") {
            let _ = parse_filter(&s);
            let _ = parse_path(&s);
        }
    }
}
