//! Hostile XML shapes (issue #9): each cap of `Limits` refuses its shape at one past the cap,
//! with the cap's own code, and accepts it at exactly the cap; the real IdP corpus stays far
//! inside every default cap.
//!
//! Snapshots: `INSTA_UPDATE=always cargo test -p xmldsig --test hostile`, then review
//! xmldsig/tests/snapshots/.

use std::io::Write;
use std::path::PathBuf;
use xmldsig::{Error, Limit, Limits, parse, parse_str};

/// `count` copies of `unit(i)` joined.
fn repeat(count: usize, unit: impl Fn(usize) -> String) -> String {
    (0..count).map(unit).collect()
}

/// A document at `n` of the counted thing for `limit`, under the default caps.
fn shape(limit: Limit, n: usize) -> String {
    match limit {
        Limit::AttributesPerElement => format!("<r{}/>", repeat(n, |i| format!(" a{i}=''"))),
        Limit::NamespacesPerElement => {
            format!("<r{}/>", repeat(n, |i| format!(" xmlns:p{i}='urn:{i}'")))
        }
        // Root and child at the per-element cap (16 + 16), then n - 32 more below; siblings
        // of the child show that a closed element's declarations leave the scope.
        Limit::NamespacesInScope => {
            let declare =
                |k: usize, from: usize| repeat(k, |i| format!(" xmlns:q{}='u'", from + i));
            let sibling = format!("<c{}/>", declare(16, 16));
            format!(
                "<r{}>{sibling}{sibling}<c{}><g{}/></c>{sibling}</r>",
                declare(16, 0),
                declare(16, 16),
                declare(n - 32, 32)
            )
        }
        Limit::Elements => format!("<r>{}</r>", "<e/>".repeat(n - 1)),
        Limit::Depth => "<e>".repeat(n) + &"</e>".repeat(n),
        // Counted by local name whatever the prefix or namespace: fail closed.
        Limit::Signatures => format!(
            "<r xmlns:ds='http://www.w3.org/2000/09/xmldsig#' xmlns:x='urn:x'>{}</r>",
            repeat(n, |i| ["<ds:Signature/>", "<Signature/>", "<x:Signature/>"]
                [i % 3]
                .to_owned())
        ),
        Limit::EncryptedKeys => format!(
            "<r xmlns:xenc='http://www.w3.org/2001/04/xmlenc#'>{}</r>",
            repeat(n, |i| ["<xenc:EncryptedKey/>", "<EncryptedKey/>"][i % 2]
                .to_owned())
        ),
        Limit::Nodes => format!("<r>{}</r>", "<!---->".repeat(n - 2)),
        // Repeating one binding costs nothing more: only distinct ones count.
        Limit::NamespaceBindings => format!(
            "<r>{}{}</r>",
            "<e xmlns:xs='urn:xs'/>".repeat(100),
            repeat(n - 1, |i| format!("<e xmlns:p='urn:{i}'/>"))
        ),
        other => panic!("no shape for {other:?}"),
    }
}

/// Every cap, with the limits it is tested under: the defaults, but a node cap small enough to
/// reach with comments (the parser counts the document node and the root element too).
fn caps() -> Vec<(Limit, Limits)> {
    let small_nodes = Limits {
        max_nodes: 100,
        ..Limits::default()
    };
    Limit::ALL
        .into_iter()
        .map(|limit| {
            let limits = if limit == Limit::Nodes {
                small_nodes
            } else {
                Limits::default()
            };
            (limit, limits)
        })
        .collect()
}

#[test]
fn each_cap_refuses_one_past_it_with_its_own_code_and_accepts_it_exactly() {
    for (limit, limits) in caps() {
        let max = limit.max(&limits);
        let at_cap = shape(limit, max);
        assert!(
            parse_str(&at_cap, &limits).is_ok(),
            "{limit}: exactly {max} must be accepted"
        );
        let err = parse_str(&shape(limit, max + 1), &limits).expect_err("one past the cap");
        assert_eq!(err.code(), "limit_exceeded", "{limit}");
        assert_eq!(
            err,
            Error::LimitExceeded {
                limit,
                max,
                found: max + 1
            },
            "{limit}"
        );
    }
}

#[test]
fn caps_have_distinct_stable_codes() {
    let codes: Vec<&str> = Limit::ALL.iter().map(|l| l.as_str()).collect();
    assert_eq!(
        codes,
        [
            "nodes",
            "depth",
            "elements",
            "attributes_per_element",
            "namespaces_per_element",
            "namespaces_in_scope",
            "signatures",
            "encrypted_keys",
            "namespace_bindings"
        ]
    );
}

#[test]
fn refusals_name_the_cap_its_value_what_was_found_and_the_setting() {
    let messages: String = caps()
        .into_iter()
        .map(|(limit, limits)| {
            let err = parse_str(&shape(limit, limit.max(&limits) + 1), &limits)
                .expect_err("one past the cap");
            format!("{limit}: {err}\n")
        })
        .collect();
    insta::assert_snapshot!(messages);
}

/// The scan runs before the parser: a document past a cap is refused for the cap even when
/// it is malformed further on, and the bytes form of `parse` scans too.
#[test]
fn the_scan_refuses_before_the_parser_reads_the_rest() {
    let limits = Limits::default();
    let past = format!("{}<unclosed", shape(Limit::Depth, 65));
    assert_eq!(
        parse_str(&past, &limits).map(|_| ()).map_err(|e| e.code()),
        Err("limit_exceeded")
    );
    let within = format!("{}<unclosed", shape(Limit::Depth, 64));
    assert_eq!(
        parse_str(&within, &limits)
            .map(|_| ())
            .map_err(|e| e.code()),
        Err("malformed_xml")
    );
    let attributes = shape(Limit::AttributesPerElement, 17);
    assert_eq!(
        parse(attributes.as_bytes(), &limits).map(|_| ()),
        Err(Error::LimitExceeded {
            limit: Limit::AttributesPerElement,
            max: 16,
            found: 17
        })
    );
}

/// Quoted `>` and `<`-looking text, comments, CDATA and PIs are not markup to the scan: a
/// document whose only elements sit at the caps is accepted however much of that it holds.
#[test]
fn markup_inside_values_comments_cdata_and_pis_is_not_counted() {
    let decoys = repeat(40, |i| {
        format!("<!-- <Signature a='{i}'> --><![CDATA[<EncryptedKey>]]><?pi <Signature/>?>")
    });
    let xml = format!(
        "<?xml version='1.0'?><r a='Signature>' b=\"x>y\" c='/>'>{decoys}<e f='&lt;EncryptedKey/>'/></r>"
    );
    assert!(parse_str(&xml, &Limits::default()).is_ok());
    let strict = Limits {
        max_signatures: 0,
        max_encrypted_keys: 0,
        max_elements: 2,
        ..Limits::default()
    };
    assert!(
        parse_str(&xml, &strict).is_ok(),
        "nothing counted but r and e"
    );
    let one_more = xml.replace("<e f=", "<x/><e f=");
    assert_eq!(
        parse_str(&one_more, &strict).map(|_| ()),
        Err(Error::LimitExceeded {
            limit: Limit::Elements,
            max: 2,
            found: 3
        })
    );
}

fn real_fixtures() -> Option<PathBuf> {
    let dir = std::env::var_os("SSOLAB_REAL_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/fixtures-real"
            ))
        });
    if dir.join("SOURCES.md").is_file() {
        return Some(dir);
    }
    let required = std::env::var("SSOLAB_REQUIRE_REAL_FIXTURES").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "the real-world corpus is required (SSOLAB_REQUIRE_REAL_FIXTURES=1) but {} has no \
         SOURCES.md; set SSOLAB_REAL_FIXTURES to the fixtures-real folder",
        dir.display()
    );
    let _ = writeln!(
        std::io::stderr(),
        "NOTICE: {} is absent; the real-world corpus check is skipped",
        dir.display()
    );
    None
}

/// The defaults' justification: every real response and metadata document in the corpus
/// parses under them (metadata with the SP's 1 MiB size cap).
#[test]
fn every_real_response_and_metadata_document_is_within_the_default_caps() {
    let Some(dir) = real_fixtures() else { return };
    let mut checked = 0;
    for folder in ["responses", "metadata"] {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir.join(folder))
            .expect("corpus folder")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "xml"))
            .collect();
        entries.sort();
        for path in entries {
            let bytes = std::fs::read(&path).expect("corpus file");
            if let Err(e) = parse(&bytes, &Limits::default()) {
                panic!("{}: {e}", path.display());
            }
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} corpus documents found");
}
