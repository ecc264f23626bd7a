//! The HTML report: one self-contained page a partner can open from disk or attach to a ticket.
//! Inline CSS and a little inline JavaScript, nothing fetched.
//!
//! Everything a scenario carries is escaped: `got` and the evidence hold what an IdP or a
//! partner's SP sent, and this page is opened by people. As a second wall, a Content Security
//! Policy admits only the page's own style and script (by hash), so markup that slipped through
//! could neither run script nor load anything.
//!
//! Without JavaScript every row and every failure is shown and the filter controls stay hidden
//! (they could do nothing). Elements a browser test may rely on:
//! - `#summary` with `data-total`, `data-passed`, `data-failed`, `data-errors`;
//! - `#filters` (the form), `#filter-area` (a select; `""` is every area), checkboxes
//!   `input[name=outcome]` with values `pass`, `fail`, `error`, and `#shown` ("N of M shown");
//! - `#scenarios tbody tr`, one per scenario, `id` = scenario id, `data-area`, `data-outcome`;
//! - `#evidence details`, one per failure or error, `id` = `evidence-` + scenario id, with the
//!   same data attributes.
//!
//! The page is also well-formed XML (void elements closed, no named entities beyond XML's, no
//! `<` or `&` in the script), so tests check its structure with an XML parser.

use super::escape::html as esc;
use super::{counted, duration, summary_line};
use crate::result::{Outcome, RunReport, ScenarioResult};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use std::collections::BTreeMap;
use std::fmt::Write as _;

const STYLE: &str = r#"
:root { color-scheme: light dark; --pass: #1a7f37; --fail: #cf222e; --error: #9a6700;
  --muted: #59636e; --line: #d1d9e0; --alt: #f6f8fa; }
@media (prefers-color-scheme: dark) { :root { --pass: #3fb950; --fail: #f85149;
  --error: #d29922; --muted: #9198a1; --line: #3d444d; --alt: #151b23; } }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0 auto; max-width: 1280px; padding: 24px;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
h1 { font-size: 1.5em; margin: 0 0 .4em; }
h2 { font-size: 1.2em; margin: 1.6em 0 .6em; }
h3 { font-size: .95em; margin: 1em 0 .3em; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .88em; }
.counts { display: flex; flex-wrap: wrap; gap: .6em; margin: .4em 0; }
.count { padding: .3em .9em; border: 1px solid var(--line); border-radius: 6px; font-weight: 600; }
.count.pass { color: var(--pass); } .count.fail { color: var(--fail); } .count.error { color: var(--error); }
.none, .source, footer { color: var(--muted); }
.filters { display: flex; flex-wrap: wrap; align-items: center; gap: 1.2em; margin: 1.2em 0;
  padding: .6em .9em; border: 1px solid var(--line); border-radius: 6px; }
fieldset { display: flex; gap: .9em; border: 0; margin: 0; padding: 0; }
legend { float: left; margin-right: .3em; padding: 0; }
#shown { margin-left: auto; color: var(--muted); }
table { width: 100%; border-collapse: collapse; }
th, td { padding: .45em .6em; border-bottom: 1px solid var(--line); text-align: left;
  vertical-align: top; }
th { white-space: nowrap; }
td { overflow-wrap: break-word; }
thead th { position: sticky; top: 0; background: Canvas; border-bottom-width: 2px; }
tbody tr:hover, tbody tr:target { background: var(--alt); }
.ms { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.source { font-size: .85em; }
.badge { display: inline-block; min-width: 4.2em; padding: .1em .5em; border-radius: 999px;
  color: Canvas; font-size: .78em; font-weight: 700; text-align: center; text-decoration: none;
  text-transform: uppercase; }
.badge.pass { background: var(--pass); } .badge.fail { background: var(--fail); }
.badge.error { background: var(--error); }
details { margin: .7em 0; padding: .5em .9em; border: 1px solid var(--line); border-radius: 6px; }
details:target { outline: 2px solid var(--fail); }
details[data-outcome="error"]:target { outline-color: var(--error); }
summary { cursor: pointer; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1em; margin: .8em 0; }
dt { color: var(--muted); } dd { margin: 0; overflow-wrap: anywhere; }
pre { max-height: 30em; overflow: auto; margin: 0; padding: .6em .8em; border-radius: 6px;
  background: var(--alt); white-space: pre-wrap; overflow-wrap: anywhere; }
footer { margin-top: 2em; font-size: .85em; }
"#;

// No `<` and no `&` in here: the page stays well-formed XML (see the module comment).
const SCRIPT: &str = r##"
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var area = document.getElementById("filter-area");
  var shown = document.getElementById("shown");
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[name=outcome]"));
  var rows = Array.prototype.slice.call(document.querySelectorAll("#scenarios tbody tr"));
  var details = Array.prototype.slice.call(document.querySelectorAll("#evidence details"));
  function wanted(el) {
    if (area.value !== "") {
      if (el.getAttribute("data-area") !== area.value) { return false; }
    }
    return boxes.some(function (box) {
      return box.checked ? box.value === el.getAttribute("data-outcome") : false;
    });
  }
  function apply() {
    var count = 0;
    rows.forEach(function (row) {
      row.hidden = !wanted(row);
      if (!row.hidden) { count += 1; }
    });
    details.forEach(function (d) { d.hidden = !wanted(d); });
    shown.textContent = count + " of " + rows.length + " shown";
  }
  function openTarget() {
    var id;
    try { id = decodeURIComponent(location.hash.slice(1)); } catch (malformed) { return; }
    var target = document.getElementById(id);
    if (target ? target.tagName === "DETAILS" : false) { target.open = true; }
  }
  form.hidden = false;
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  window.addEventListener("hashchange", openTarget);
  apply();
  openTarget();
})();
"##;

pub fn render(report: &RunReport) -> String {
    let summary = &report.summary;
    let mut out = String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n");
    out.push_str("<meta charset=\"utf-8\"/>\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n");
    let _ = writeln!(
        out,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src '{}'; script-src '{}'; base-uri 'none'; form-action 'none'\"/>",
        csp_hash(STYLE),
        csp_hash(SCRIPT)
    );
    let _ = writeln!(
        out,
        "<title>ssolab conformance: {}</title>",
        esc(&summary_line(summary))
    );
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>");
    header(report, &mut out);
    filters(report, &mut out);
    table(&report.scenarios, &mut out);
    evidence(&report.scenarios, &mut out);
    out.push_str(
        "<footer>Made by ssolab conformance. This page fetches nothing; the filters need \
         JavaScript, everything else reads without it.</footer>\n",
    );
    let _ = writeln!(out, "<script>{SCRIPT}</script>\n</body>\n</html>");
    out
}

/// A CSP source naming exactly this inline element's text.
fn csp_hash(text: &str) -> String {
    format!(
        "sha256-{}",
        BASE64.encode(openssl::sha::sha256(text.as_bytes()))
    )
}

fn header(report: &RunReport, out: &mut String) {
    let s = &report.summary;
    let _ = writeln!(
        out,
        "<header>\n<h1>ssolab conformance</h1>\n<div id=\"summary\" data-total=\"{}\" \
         data-passed=\"{}\" data-failed=\"{}\" data-errors=\"{}\">",
        s.total, s.passed, s.failed, s.errors
    );
    let _ = writeln!(
        out,
        "<div class=\"counts\"><span class=\"count\">{}</span>\
         <span class=\"count pass\">{} passed</span><span class=\"count fail\">{} failed</span>\
         <span class=\"count error\">{}</span></div>\n</div>",
        counted(s.total, "scenario"),
        s.passed,
        s.failed,
        counted(s.errors, "error")
    );
    let _ = write!(
        out,
        "<dl>\n<dt>target</dt><dd>{}</dd>\n<dt>started</dt><dd>{}</dd>\n\
         <dt>duration</dt><dd>{}</dd>\n",
        esc(&s.target),
        esc(&s.started),
        duration(s.ms)
    );
    if let Some(filter) = &s.filter {
        let _ = writeln!(out, "<dt>filter</dt><dd><code>{}</code></dd>", esc(filter));
    }
    for line in super::not_run_lines(s) {
        let _ = writeln!(out, "<dt>not run</dt><dd>{}</dd>", esc(&line));
    }
    out.push_str("</dl>\n</header>\n");
}

fn filters(report: &RunReport, out: &mut String) {
    let mut areas: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &report.scenarios {
        *areas.entry(s.area.as_str()).or_default() += 1;
    }
    let _ = writeln!(
        out,
        "<form id=\"filters\" class=\"filters\" hidden=\"hidden\">\n<label>Area \
         <select id=\"filter-area\">\n<option value=\"\" selected=\"selected\">all areas ({})</option>",
        report.summary.total
    );
    for (area, n) in &areas {
        let area = esc(area);
        let _ = writeln!(out, "<option value=\"{area}\">{area} ({n})</option>");
    }
    out.push_str("</select></label>\n<fieldset><legend>Outcome</legend>\n");
    let s = &report.summary;
    for (outcome, n) in [
        (Outcome::Pass, s.passed),
        (Outcome::Fail, s.failed),
        (Outcome::Error, s.errors),
    ] {
        let word = outcome.as_str();
        let _ = writeln!(
            out,
            "<label><input type=\"checkbox\" name=\"outcome\" value=\"{word}\" \
             checked=\"checked\"/> {word} ({n})</label>"
        );
    }
    let _ = writeln!(
        out,
        "</fieldset>\n<output id=\"shown\">{0} of {0} shown</output>\n</form>",
        s.total
    );
}

fn table(scenarios: &[ScenarioResult], out: &mut String) {
    out.push_str(
        "<table id=\"scenarios\">\n<thead><tr><th>Scenario</th><th>Outcome</th>\
         <th>Expected</th><th>Got</th><th class=\"ms\">ms</th></tr></thead>\n<tbody>\n",
    );
    for s in scenarios {
        let id = esc(&s.id);
        let word = s.outcome.as_str();
        let badge = match s.outcome {
            Outcome::Pass => format!("<span class=\"badge pass\">{word}</span>"),
            Outcome::Fail | Outcome::Error => {
                format!("<a class=\"badge {word}\" href=\"#evidence-{id}\">{word}</a>")
            }
        };
        let _ = writeln!(
            out,
            "<tr id=\"{id}\" data-area=\"{}\" data-outcome=\"{word}\"><td><code>{id}</code>\
             <div>{}</div><div class=\"source\">{}</div></td><td>{badge}</td><td>{}</td>\
             <td>{}</td><td class=\"ms\">{}</td></tr>",
            esc(&s.area),
            esc(&s.title),
            esc(&s.source),
            esc(&s.expected),
            esc(&s.got),
            s.ms
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

fn evidence(scenarios: &[ScenarioResult], out: &mut String) {
    out.push_str("<section id=\"evidence\">\n<h2>Failures and errors</h2>\n");
    let mut any = false;
    for s in scenarios.iter().filter(|s| s.outcome != Outcome::Pass) {
        any = true;
        let id = esc(&s.id);
        let word = s.outcome.as_str();
        let _ = writeln!(
            out,
            "<details id=\"evidence-{id}\" data-area=\"{}\" data-outcome=\"{word}\">\n\
             <summary><span class=\"badge {word}\">{word}</span> <code>{id}</code> {}</summary>\n\
             <dl><dt>source</dt><dd>{}</dd><dt>expected</dt><dd>{}</dd><dt>got</dt><dd>{}</dd></dl>",
            esc(&s.area),
            esc(&s.title),
            esc(&s.source),
            esc(&s.expected),
            esc(&s.got)
        );
        match &s.evidence {
            Some(e) => {
                for (name, text) in [
                    ("Diagnosis", &e.diagnosis),
                    ("Request", &e.request),
                    ("Response", &e.response),
                ] {
                    let text = if text.is_empty() {
                        "(none recorded)".to_string()
                    } else {
                        esc(text)
                    };
                    let _ = writeln!(out, "<h3>{name}</h3>\n<pre>{text}</pre>");
                }
            }
            None => out.push_str("<p class=\"none\">No request or response was recorded.</p>\n"),
        }
        out.push_str("</details>\n");
    }
    if !any {
        out.push_str("<p class=\"none\">None: every scenario passed.</p>\n");
    }
    out.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;
    use crate::result::{Evidence, RunReport};

    fn parse(html: &str) -> roxmltree::Document<'_> {
        let options = roxmltree::ParsingOptions {
            allow_dtd: true,
            ..roxmltree::ParsingOptions::default()
        };
        roxmltree::Document::parse_with_options(html, options).expect("the page is well-formed")
    }

    fn by_id<'a>(doc: &'a roxmltree::Document<'a>, id: &str) -> roxmltree::Node<'a, 'a> {
        doc.descendants()
            .find(|n| n.attribute("id") == Some(id))
            .unwrap_or_else(|| panic!("no element #{id}"))
    }

    fn elements<'a>(doc: &'a roxmltree::Document<'a>, tag: &str) -> Vec<roxmltree::Node<'a, 'a>> {
        doc.descendants().filter(|n| n.has_tag_name(tag)).collect()
    }

    #[test]
    fn summary_carries_the_counts_as_data_attributes() {
        let html = render(&fixture::report());
        let doc = parse(&html);
        let summary = by_id(&doc, "summary");
        assert_eq!(summary.attribute("data-total"), Some("4"));
        assert_eq!(summary.attribute("data-passed"), Some("2"));
        assert_eq!(summary.attribute("data-failed"), Some("1"));
        assert_eq!(summary.attribute("data-errors"), Some("1"));
    }

    #[test]
    fn one_row_per_scenario_and_evidence_per_failure_and_error() {
        let report = fixture::report();
        let html = render(&report);
        let doc = parse(&html);
        let rows: Vec<_> = elements(&doc, "tr")
            .into_iter()
            .filter(|r| r.attribute("data-outcome").is_some())
            .collect();
        assert_eq!(rows.len(), report.scenarios.len());
        for (row, s) in rows.iter().zip(&report.scenarios) {
            assert_eq!(row.attribute("id"), Some(s.id.as_str()));
            assert_eq!(row.attribute("data-area"), Some(s.area.as_str()));
            assert_eq!(row.attribute("data-outcome"), Some(s.outcome.as_str()));
        }
        let details = elements(&doc, "details");
        let ids: Vec<_> = details.iter().filter_map(|d| d.attribute("id")).collect();
        assert_eq!(
            ids,
            [
                "evidence-saml.audience.missing",
                "evidence-scim.okta.deactivate"
            ]
        );
        let pres: Vec<_> = details[0]
            .descendants()
            .filter(|n| n.has_tag_name("pre"))
            .filter_map(|n| n.text())
            .collect();
        let evidence = report.scenarios[1]
            .evidence
            .as_ref()
            .expect("fixture evidence");
        assert_eq!(
            pres,
            [&evidence.diagnosis, &evidence.request, &evidence.response]
        );
    }

    #[test]
    fn filters_list_the_areas_present_and_every_outcome() {
        let html = render(&fixture::report());
        let doc = parse(&html);
        let select = by_id(&doc, "filter-area");
        let values: Vec<_> = select
            .children()
            .filter_map(|o| o.attribute("value"))
            .collect();
        assert_eq!(values, ["", "saml.audience", "saml.fault", "scim.okta"]);
        let outcomes: Vec<_> = elements(&doc, "input")
            .iter()
            .filter(|i| i.attribute("name") == Some("outcome"))
            .filter_map(|i| i.attribute("value"))
            .collect();
        assert_eq!(outcomes, ["pass", "fail", "error"]);
        assert_eq!(
            by_id(&doc, "filters").attribute("hidden"),
            Some("hidden"),
            "without JavaScript the filters could do nothing, so they start hidden"
        );
    }

    #[test]
    fn the_policy_admits_exactly_the_inline_style_and_script() {
        let html = render(&fixture::report());
        let doc = parse(&html);
        let policy = elements(&doc, "meta")
            .into_iter()
            .find_map(|m| {
                m.attribute("content")
                    .filter(|c| c.starts_with("default-src"))
            })
            .expect("a Content-Security-Policy");
        let scripts = elements(&doc, "script");
        assert_eq!(scripts.len(), 1);
        let script = scripts[0].text().expect("the script has text");
        let style = elements(&doc, "style")[0]
            .text()
            .expect("the style has text");
        assert!(policy.contains(&format!("script-src '{}'", csp_hash(script))));
        assert!(policy.contains(&format!("style-src '{}'", csp_hash(style))));
        assert!(policy.starts_with("default-src 'none';"));
    }

    #[test]
    fn hostile_scenario_text_is_rendered_inert() {
        let mut report = fixture::report();
        let got = "<script>alert(1)</script>";
        let request = "</pre><img src=x onerror=\"alert(2)\"><pre>";
        let title = "\"><svg onload=alert(3)>&amp;";
        report.scenarios[1].got = got.to_string();
        report.scenarios[1].title = title.to_string();
        report.scenarios[1].evidence = Some(Evidence {
            request: request.to_string(),
            response: "<!-- --><style>body{display:none}</style>".to_string(),
            diagnosis: "\u{0}\u{1b}]0;title\u{7}".to_string(),
        });
        report.scenarios[1].area = "saml\" onmouseover=\"alert(4)".to_string();
        let html = render(&report);
        assert!(!html.contains("<script>alert"));
        assert!(!html.contains("<img"));
        assert!(!html.contains("<svg"));
        let doc = parse(&html);
        assert_eq!(
            elements(&doc, "script").len(),
            1,
            "only the page's own script"
        );
        assert_eq!(
            elements(&doc, "style").len(),
            1,
            "only the page's own style"
        );
        assert!(elements(&doc, "img").is_empty());
        let row = by_id(&doc, "saml.audience.missing");
        assert!(row.attribute("onmouseover").is_none());
        assert_eq!(
            row.attribute("data-area"),
            Some("saml\" onmouseover=\"alert(4)")
        );
        let cells: Vec<_> = row.children().filter(|n| n.has_tag_name("td")).collect();
        assert_eq!(
            cells[3].text(),
            Some(got),
            "the got cell shows the text as text"
        );
        let pres: Vec<_> = elements(&doc, "pre")
            .iter()
            .filter_map(|n| n.text())
            .collect();
        assert_eq!(pres[0], "\u{FFFD}\u{FFFD}]0;title\u{FFFD}");
        assert_eq!(pres[1], request);
    }

    #[test]
    fn a_run_without_failures_says_so() {
        let report = fixture::report();
        let passes = report
            .scenarios
            .into_iter()
            .filter(|s| s.outcome == Outcome::Pass)
            .collect();
        let report = RunReport::new("t".to_string(), None, "now".to_string(), 5, passes);
        let html = render(&report);
        let doc = parse(&html);
        assert!(elements(&doc, "details").is_empty());
        assert!(html.contains("<p class=\"none\">None: every scenario passed.</p>"));
    }
}
