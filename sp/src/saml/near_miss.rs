//! URLs that differ from the ACS URL in the ways people get them wrong (the field's "404 Reply
//! URL" problems), named so that the page and the log say exactly what to change.
//!
//! [`url_differences`] is the one comparison: the Destination and Recipient hints here and the
//! web layer's near-miss pages (`web::diagnostics`) both list what it finds, so a URL that
//! differs in several ways is described the same way everywhere, each difference by name.

use super::rejection::{Code, Rejection};
use std::fmt;

/// Which part of a URL a letter-case difference is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlPart {
    Scheme,
    Host,
    Path,
}

/// One way a received URL differs from the expected one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlDifference {
    /// `http` where `https` is expected, or the reverse.
    Scheme { expected: String, got: String },
    /// The bare domain where `www.` is expected, or the reverse.
    Www { expected: String, got: String },
    /// Another port, or a port where none is expected (or the reverse).
    Port {
        expected: Option<String>,
        got: Option<String>,
    },
    /// The same letters in another case.
    LetterCase(UrlPart),
    /// Path segments before the expected path (`added`), or expected ones left out.
    PathPrefix { prefix: String, added: bool },
    /// Two or more slashes where one is expected (or the reverse).
    DoubleSlash,
    /// A slash at the end where none is expected (`added`), or the reverse.
    TrailingSlash { added: bool },
}

impl fmt::Display for UrlDifference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlDifference::Scheme { expected, got } if got.eq_ignore_ascii_case("http") => write!(
                f,
                "the scheme ({got} instead of {expected}: a TLS-terminating proxy may be rewriting it, or the IdP has an http URL)"
            ),
            UrlDifference::Scheme { expected, got } => write!(
                f,
                "the scheme ({got} instead of {expected}: the SP's base URL is {expected}; behind a TLS-terminating proxy, give the SP its public https base URL)"
            ),
            // "the host (www. or not)" is the phrase pages and tests have matched on since the
            // first near-miss hint; the hosts follow it.
            UrlDifference::Www { expected, got } => {
                write!(f, "the host (www. or not): {got} instead of {expected}")
            }
            UrlDifference::Port { expected, got } => {
                let port = |p: &Option<String>| {
                    p.as_deref()
                        .map_or_else(|| "no port".to_owned(), |p| format!(":{p}"))
                };
                write!(f, "the port ({} instead of {})", port(got), port(expected))
            }
            UrlDifference::LetterCase(part) => write!(
                f,
                "letter case in the {}",
                match part {
                    UrlPart::Scheme => "scheme",
                    UrlPart::Host => "host",
                    UrlPart::Path => "path",
                }
            ),
            UrlDifference::PathPrefix {
                prefix,
                added: true,
            } => write!(f, "an extra path prefix {prefix}"),
            UrlDifference::PathPrefix {
                prefix,
                added: false,
            } => write!(f, "a missing path prefix {prefix}"),
            UrlDifference::DoubleSlash => write!(f, "a double slash"),
            UrlDifference::TrailingSlash { added: true } => write!(f, "a trailing slash"),
            UrlDifference::TrailingSlash { added: false } => {
                write!(f, "a missing trailing slash")
            }
        }
    }
}

/// The differences listed as a phrase: "a trailing slash", "letter case in the path and a
/// trailing slash", "A, B and C".
pub fn describe(differences: &[UrlDifference]) -> String {
    let phrases: Vec<String> = differences.iter().map(ToString::to_string).collect();
    match phrases.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// A URL cut into the parts compared, as written (nothing normalised).
struct Parts<'a> {
    scheme: &'a str,
    host: &'a str,
    port: Option<&'a str>,
    /// Path and query, as written.
    path: &'a str,
}

fn split(url: &str) -> Option<Parts<'_>> {
    let (scheme, rest) = url.split_once("://")?;
    let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    // `[::1]` has colons but no port; `[::1]:8080` and `host:8080` have one.
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => (host, Some(port)),
        _ => (authority, None),
    };
    Some(Parts {
        scheme,
        host,
        port,
        path,
    })
}

fn is_http(scheme: &str) -> bool {
    scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")
}

/// `host` without a leading `www.` (any case), and whether it had one.
pub(crate) fn without_www(host: &str) -> (&str, bool) {
    match host.get(..4) {
        Some(www) if www.eq_ignore_ascii_case("www.") => (&host[4..], true),
        _ => (host, false),
    }
}

/// The path with every run of slashes made one, and where the runs were: (distance of the
/// run from the end of the collapsed path, run length). Counting from the end keeps the
/// positions of a path's own runs the same when a prefix is put in front of it.
fn collapse(path: &str) -> (String, Vec<(usize, usize)>) {
    let mut out = String::with_capacity(path.len());
    let mut runs = Vec::new();
    let mut run = 0usize;
    for c in path.chars() {
        if c == '/' {
            run += 1;
            if run > 1 {
                continue;
            }
        } else {
            if run > 1 {
                runs.push((out.len(), run));
            }
            run = 0;
        }
        out.push(c);
    }
    if run > 1 {
        runs.push((out.len(), run));
    }
    let len = out.len();
    (out, runs.into_iter().map(|(at, n)| (len - at, n)).collect())
}

/// Every way `got` differs from `expected`, in the order scheme, host, port, letter case,
/// path prefix, double slash, trailing slash; empty when they are equal. `None` when `got` is
/// not a near miss at all (another host, another path, not an http(s) URL), and then no
/// difference is worth naming.
pub fn url_differences(expected: &str, got: &str) -> Option<Vec<UrlDifference>> {
    if expected == got {
        return Some(Vec::new());
    }
    let (e, g) = (split(expected)?, split(got)?);
    let mut found = Vec::new();
    let mut case = Vec::new();

    if !e.scheme.eq_ignore_ascii_case(g.scheme) {
        if !(is_http(e.scheme) && is_http(g.scheme)) {
            return None;
        }
        found.push(UrlDifference::Scheme {
            expected: e.scheme.to_ascii_lowercase(),
            got: g.scheme.to_ascii_lowercase(),
        });
    } else if e.scheme != g.scheme {
        case.push(UrlPart::Scheme);
    }

    let ((e_core, e_www), (g_core, g_www)) = (without_www(e.host), without_www(g.host));
    if !e_core.eq_ignore_ascii_case(g_core) {
        return None;
    }
    if e_www != g_www {
        found.push(UrlDifference::Www {
            expected: e.host.to_owned(),
            got: g.host.to_owned(),
        });
    }
    if e_core != g_core || (e_www && g_www && e.host[..4] != g.host[..4]) {
        case.push(UrlPart::Host);
    }

    if e.port != g.port {
        found.push(UrlDifference::Port {
            expected: e.port.map(str::to_owned),
            got: g.port.map(str::to_owned),
        });
    }

    let (e_trimmed, g_trimmed) = (e.path.trim_end_matches('/'), g.path.trim_end_matches('/'));
    let (e_path, e_runs) = collapse(e_trimmed);
    let (g_path, g_runs) = collapse(g_trimmed);
    let mut prefix = None;
    let common = if e_path.eq_ignore_ascii_case(&g_path) {
        (e_path.as_str(), g_path.as_str())
    } else if let Some((front, rest)) = split_prefix(&g_path, &e_path) {
        prefix = Some(UrlDifference::PathPrefix {
            prefix: front.to_owned(),
            added: true,
        });
        (e_path.as_str(), rest)
    } else if let Some((front, rest)) = split_prefix(&e_path, &g_path) {
        prefix = Some(UrlDifference::PathPrefix {
            prefix: front.to_owned(),
            added: false,
        });
        (rest, g_path.as_str())
    } else {
        return None;
    };
    if common.0 != common.1 {
        case.push(UrlPart::Path);
    }
    found.extend(case.into_iter().map(UrlDifference::LetterCase));
    found.extend(prefix);
    if e_runs != g_runs {
        found.push(UrlDifference::DoubleSlash);
    }
    let (e_slash, g_slash) = (
        e_trimmed.len() < e.path.len(),
        g_trimmed.len() < g.path.len(),
    );
    if e_slash != g_slash {
        found.push(UrlDifference::TrailingSlash { added: g_slash });
    }
    // Equal but for something unnamed (a fragment, a port written differently): not a near
    // miss this function can describe.
    (!found.is_empty()).then_some(found)
}

/// `longer` as (prefix, rest) when it ends, at a segment boundary and ignoring case, with
/// the non-empty `shorter`.
fn split_prefix<'a>(longer: &'a str, shorter: &str) -> Option<(&'a str, &'a str)> {
    if shorter.is_empty() || !shorter.starts_with('/') || longer.len() <= shorter.len() {
        return None;
    }
    let cut = longer.len() - shorter.len();
    let (front, rest) = (longer.get(..cut)?, longer.get(cut..)?);
    rest.eq_ignore_ascii_case(shorter).then_some((front, rest))
}

/// A sharper hint when a URL differs from the expected one only in ways people get wrong,
/// naming each of them.
pub fn near_miss_hint(expected: &str, got: &str, field: &str) -> Option<String> {
    let differences = url_differences(expected, got)?;
    if differences.is_empty() {
        return None;
    }
    Some(format!(
        "The {field} differs from the ACS URL only by {}. Set it in the IdP to exactly {expected}.",
        describe(&differences)
    ))
}

/// Destination or Recipient against the ACS URL: equal, or refused with `code` and, for a near
/// miss, a hint naming the difference.
pub fn check_response_url(
    expected: &str,
    got: &str,
    code: Code,
    field: &str,
) -> Result<(), Rejection> {
    if got == expected {
        return Ok(());
    }
    let rejection = Rejection::new(code).expected(expected).got(got);
    Err(match near_miss_hint(expected, got, field) {
        Some(hint) => rejection.hint(hint),
        None => rejection,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ACS: &str = "https://www.qualified.io/api/saml/consume";

    fn named(got: &str) -> String {
        describe(&url_differences(ACS, got).unwrap_or_else(|| panic!("{got} is a near miss")))
    }

    #[test]
    fn names_each_single_difference() {
        for (got, phrase) in [
            (
                "http://www.qualified.io/api/saml/consume",
                "the scheme (http instead of https: a TLS-terminating proxy may be rewriting it, or the IdP has an http URL)",
            ),
            (
                "https://qualified.io/api/saml/consume",
                "the host (www. or not): qualified.io instead of www.qualified.io",
            ),
            (
                "https://www.qualified.io:8443/api/saml/consume",
                "the port (:8443 instead of no port)",
            ),
            (
                "https://www.qualified.io/API/saml/consume",
                "letter case in the path",
            ),
            (
                "https://WWW.Qualified.io/api/saml/consume",
                "letter case in the host",
            ),
            (
                "https://www.qualified.io/api/saml/consume/",
                "a trailing slash",
            ),
            (
                "https://www.qualified.io/api//saml/consume",
                "a double slash",
            ),
            (
                "https://www.qualified.io//api/saml/consume",
                "a double slash",
            ),
            (
                "https://www.qualified.io/app/api/saml/consume",
                "an extra path prefix /app",
            ),
            (
                "https://www.qualified.io/saml/consume",
                "a missing path prefix /api",
            ),
        ] {
            assert_eq!(named(got), phrase, "{got}");
        }
    }

    #[test]
    fn https_where_http_is_expected_names_the_scheme_not_the_host() {
        let differences = url_differences(
            "http://127.0.0.1:8080/api/saml/consume",
            "https://127.0.0.1:8080/api/saml/consume",
        );
        assert_eq!(
            differences,
            Some(vec![UrlDifference::Scheme {
                expected: "http".into(),
                got: "https".into()
            }])
        );
    }

    #[test]
    fn names_every_difference_of_a_combination() {
        // Case plus slash was once called "only by the host".
        assert_eq!(
            named("https://www.qualified.io/API/saml/consume/"),
            "letter case in the path and a trailing slash"
        );
        assert_eq!(
            named("http://qualified.io//api/saml/Consume/"),
            "the scheme (http instead of https: a TLS-terminating proxy may be rewriting it, or the IdP has an http URL), \
             the host (www. or not): qualified.io instead of www.qualified.io, letter case in the path, a double slash and a trailing slash"
        );
    }

    #[test]
    fn unrelated_urls_are_no_near_miss() {
        for got in [
            "https://app.example.com/api/saml/consume",
            "https://www.qualified.io/saml/acs",
            "https://www.qualified.io/",
            "ftp://www.qualified.io/api/saml/consume",
            "not a url",
        ] {
            assert_eq!(url_differences(ACS, got), None, "{got}");
        }
        assert_eq!(
            url_differences(ACS, ACS),
            Some(vec![]),
            "equal: nothing to name"
        );
    }

    #[test]
    fn the_hint_names_the_field_and_the_exact_url() {
        assert_eq!(
            near_miss_hint(
                ACS,
                "https://www.qualified.io/api/saml/consume/",
                "Destination"
            ),
            Some(format!(
                "The Destination differs from the ACS URL only by a trailing slash. Set it in the IdP to exactly {ACS}."
            ))
        );
        assert_eq!(
            near_miss_hint(ACS, "https://app.example.com/acs", "Destination"),
            None
        );
    }

    /// A change people make to a Reply URL, applied to a URL by [`mutate`].
    #[derive(Debug, Clone, Copy)]
    struct Changes {
        scheme: bool,
        www: bool,
        port: bool,
        host_case: bool,
        path_case: bool,
        prefix: bool,
        double_slash: bool,
        trailing_slash: bool,
        /// Which letter or slash the case and double-slash changes pick.
        pick: usize,
    }

    fn changes() -> impl Strategy<Value = Changes> {
        (any::<[bool; 8]>(), any::<usize>()).prop_map(|(b, pick)| Changes {
            scheme: b[0],
            www: b[1],
            port: b[2],
            host_case: b[3],
            path_case: b[4],
            prefix: b[5],
            double_slash: b[6],
            trailing_slash: b[7],
            pick,
        })
    }

    /// The shapes of ACS URL that real deployments publish (`config.rs` lists their sources).
    const BASES: [&str; 5] = [
        "https://www.qualified.io/api/saml/consume",
        "http://127.0.0.1:8080/api/saml/consume",
        "https://saml.test.nope/session/sso/saml/acs/dknhyszjl7",
        "http://sp.example.com/demo1/index.php?acs",
        "http://localhost:8080",
    ];

    /// Uppercases the `pick`-th lowercase letter of `s`, if it has one.
    fn upper_one(s: &str, pick: usize) -> Option<String> {
        let letters: Vec<usize> = s
            .char_indices()
            .filter(|(_, c)| c.is_ascii_lowercase())
            .map(|(i, _)| i)
            .collect();
        let at = *letters.get(pick % letters.len().max(1))?;
        let mut out = s.to_owned();
        out.replace_range(at..=at, &s[at..=at].to_ascii_uppercase());
        Some(out)
    }

    /// Applies `c` to `base` and returns the changed URL with the differences that were
    /// actually applied (a change that does not fit the URL, like a case change of a host with
    /// no letters, is skipped).
    fn mutate(base: &str, c: Changes) -> (String, Vec<UrlDifference>) {
        let p = split(base).expect("bases are URLs");
        let mut applied = Vec::new();
        let mut case = Vec::new();
        let mut scheme = p.scheme.to_owned();
        if c.scheme {
            let flipped = if scheme == "https" { "http" } else { "https" };
            applied.push(UrlDifference::Scheme {
                expected: scheme.clone(),
                got: flipped.to_owned(),
            });
            scheme = flipped.to_owned();
        }
        let (core, had_www) = without_www(p.host);
        let mut core = core.to_owned();
        if c.host_case {
            if let Some(upper) = upper_one(&core, c.pick) {
                core = upper;
                case.push(UrlPart::Host);
            }
        }
        let www = had_www != c.www;
        let host = if www { format!("www.{core}") } else { core };
        if c.www {
            applied.push(UrlDifference::Www {
                expected: p.host.to_owned(),
                got: host.clone(),
            });
        }
        let mut port = p.port.map(str::to_owned);
        if c.port {
            let changed = if port.as_deref() == Some("8443") {
                "9443"
            } else {
                "8443"
            };
            applied.push(UrlDifference::Port {
                expected: port.clone(),
                got: Some(changed.to_owned()),
            });
            port = Some(changed.to_owned());
        }
        let mut path = p.path.to_owned();
        if c.path_case {
            if let Some(upper) = upper_one(&path, c.pick) {
                path = upper;
                case.push(UrlPart::Path);
            }
        }
        applied.extend(case.into_iter().map(UrlDifference::LetterCase));
        if c.prefix && !path.is_empty() {
            path = format!("/app{path}");
            applied.push(UrlDifference::PathPrefix {
                prefix: "/app".to_owned(),
                added: true,
            });
        }
        if c.double_slash {
            let slashes: Vec<usize> = path.match_indices('/').map(|(i, _)| i).collect();
            if let Some(&at) = slashes.get(c.pick % slashes.len().max(1)) {
                path.insert(at, '/');
                applied.push(UrlDifference::DoubleSlash);
            }
        }
        if c.trailing_slash && !path.contains('?') {
            path.push('/');
            applied.push(UrlDifference::TrailingSlash { added: true });
        }
        let port = port.map(|p| format!(":{p}")).unwrap_or_default();
        (format!("{scheme}://{host}{port}{path}"), applied)
    }

    proptest! {
        #[test]
        fn names_exactly_the_differences_applied(base in 0..BASES.len(), c in changes()) {
            let base = BASES[base];
            let (got, applied) = mutate(base, c);
            prop_assert_eq!(url_differences(base, &got), Some(applied.clone()), "{} → {}", base, got);
            // The other way round, what was added is missing.
            let mirrored: Vec<_> = url_differences(&got, base).unwrap_or_default();
            prop_assert_eq!(mirrored.len(), applied.len(), "{} ← {}", base, got);
        }

        #[test]
        fn another_host_is_never_a_near_miss(base in 0..BASES.len(), c in changes()) {
            let (got, _) = mutate(BASES[base], c);
            let elsewhere = got.replacen("://", "://elsewhere.", 1);
            prop_assert_eq!(url_differences(BASES[base], &elsewhere), None);
        }
    }
}
