//! `mock-idp post` as a library call: deliver a prepared response the way a browser does
//! (through a real redirect when asked), and judge the SP's answer against what a correct SP
//! answers. The binary and the conformance test call the same function.

use crate::expect::{Expected, Verdict, judge};
use crate::post::{self, Delivery, PostError, Redirect, Submission};
use crate::server::shape::Prepared;
use url::Url;

/// A delivery and its verdict.
#[derive(Debug)]
pub struct Checked {
    pub prepared: Prepared,
    /// The redirect the browser passed through first, if any.
    pub via: Option<Redirect>,
    /// One per post (two for a replay).
    pub deliveries: Vec<Delivery>,
    pub verdict: Verdict,
}

/// The redirect to pass through: the one asked for (`--via-redirect`), else the fault's own.
pub fn redirect_for(prepared: &Prepared, asked: Option<Redirect>) -> Option<Redirect> {
    asked.or(prepared.fault.and_then(|f| f.via_redirect))
}

/// What a correct SP answers to `prepared`: `asked` (`--expect`), else the fault's own
/// expectation, else a login.
pub fn expectation_for(prepared: &Prepared, asked: Option<Expected>) -> Expected {
    asked.unwrap_or(prepared.fault.map_or(Expected::Accepted, |f| f.expected))
}

/// Delivers `prepared` to its Reply URL (through `via`, if given) as often as its fault says,
/// and compares the SP's answer with `expected`. An error means the SP could not be reached
/// (or the URL was unusable); a disagreement is a verdict, not an error.
pub async fn post_and_judge(
    client: &reqwest::Client,
    prepared: Prepared,
    via: Option<Redirect>,
    expected: Expected,
) -> Result<Checked, PostError> {
    let target = &prepared.spec.reply_url;
    let url = Url::parse(target)
        .map_err(|e| e.to_string())
        .and_then(post::only_http)
        .map_err(|reason| PostError::BadReplyUrl {
            url: target.clone(),
            reason,
        })?;
    let submission = Submission {
        url,
        method: prepared.spec.method,
        saml_response: prepared.built.form_value(),
        relay_state: prepared.spec.relay_state.clone(),
    };
    let posts = prepared.fault.map_or(1, |f| f.posts);
    let deliveries = post::deliver_times(client, &submission, posts, via).await?;
    let verdict = judge(expected, &deliveries);
    Ok(Checked {
        prepared,
        via,
        deliveries,
        verdict,
    })
}

impl Checked {
    /// For people: the fault, where the browser went, every hop of every post with the final
    /// body, then expected vs got and the verdict.
    pub fn report(&self) -> String {
        let mut out = String::new();
        if let Some(fault) = self.prepared.fault {
            out.push_str(&format!("fault {}: {}\n", fault.name, fault.summary));
        }
        let spec = &self.prepared.spec;
        out.push_str(&format!(
            "Reply URL (the browser goes here): {} {}\n",
            spec.method.name().to_uppercase(),
            spec.reply_url
        ));
        if let Some(destination) = &spec.destination {
            out.push_str(&format!("Destination: {destination}\n"));
        }
        if let Some(redirect) = self.via {
            out.push_str(&format!(
                "via: a local redirector on 127.0.0.1 answers {} to the Reply URL, standing in for the site in front of it (http:// → https://, apex → www.)\n",
                redirect.status()
            ));
        }
        out.push('\n');
        let count = self.deliveries.len();
        for (i, delivery) in self.deliveries.iter().enumerate() {
            if count > 1 {
                out.push_str(&format!("=== post {} of {count} ===\n", i + 1));
            }
            out.push_str(&delivery.transcript());
        }
        out.push('\n');
        out.push_str(&self.verdict.report());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::shape;
    use crate::spec::ResponseSpec;
    use time::macros::datetime;

    #[tokio::test]
    async fn a_reply_url_a_browser_would_not_post_to_is_refused_before_sending() {
        let mut spec = ResponseSpec::valid("http://idp.example");
        spec.reply_url = "ftp://sp.example/acs".to_owned();
        let prepared =
            shape::prepare(&spec, None, datetime!(2026-11-28 12:00 UTC)).expect("builds");
        let client = post::client().expect("client");
        let error = post_and_judge(&client, prepared, None, Expected::Accepted)
            .await
            .expect_err("refused");
        assert_eq!(error.code(), "bad_reply_url");
        assert!(error.to_string().contains("scheme ftp"), "{error}");
    }
}
