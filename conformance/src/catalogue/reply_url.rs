//! The Reply-URL causes of the field's "404 after setting the Reply URL" that mock-idp's
//! reply-url faults do not already play (trailing slash, case, double slash, a stale path, the
//! Sign-on URL's GET, a 301 and the 308 control are `saml.reply-url.<fault>`): the other
//! redirect statuses in front of the ACS, an IdP-initiated post to a stale default Reply URL, an
//! answer to an SP-initiated request posted where the IdP has it registered, and an SP behind a
//! TLS-terminating proxy that knows itself by the http URL it sees. Each names the SP's real
//! status and its diagnosis code (DESIGN, Routes: near misses "keep their real status (404/405)
//! but carry a body and a log line that name the cause and the fix").

use super::teams;
use crate::scenario::{Post, Response, Scenario, Stimulus, TeamSetup};
use mock_idp::expect::{Code, Expected};
use mock_idp::post::Redirect;
use mock_idp::spec::ResponseSpec;

pub fn scenarios() -> Vec<Scenario> {
    let (Ok(okta), Ok(entra)) = (
        mock_idp::presets::by_name("okta"),
        mock_idp::presets::by_name("entra"),
    ) else {
        return Vec::new();
    };
    let via = |name: &str, title: &str, redirect, expected| {
        let mut through = scenario(
            name,
            title,
            FETCH_REDIRECT,
            teams::acme(),
            okta.spec(),
            None,
            expected,
        );
        if let Stimulus::Post(post) = &mut through.stimulus {
            post.via = Some(redirect);
        }
        through
    };
    vec![
        via(
            "redirect-302",
            "The browser posts to an http:// or apex Reply URL the site answers with 302 to the ACS; it follows with a GET without the body",
            Redirect::Found302,
            Expected::Refused(Code::AcsGet),
        ),
        via(
            "redirect-303",
            "The browser posts to a Reply URL the site answers with 303 to the ACS; it follows with a GET without the body",
            Redirect::SeeOther303,
            Expected::Refused(Code::AcsGet),
        ),
        via(
            "redirect-307",
            "The browser posts to a Reply URL the site answers with 307 to the ACS; it re-posts the body (the control for 302 and 303)",
            Redirect::Temporary307,
            Expected::Accepted,
        ),
        scenario(
            "idp-initiated-default-reply-url-home",
            "An IdP-initiated login posted to the default Reply URL left at the site's root: 405 naming the ACS",
            "Entra ID: IdP-initiated sign-on posts to the default Reply URL, which app templates leave at the site root",
            teams::for_preset(entra),
            entra.spec(),
            Some(|spec| spec.reply_url = path_on(&spec.reply_url, "/")),
            Expected::Refused(Code::SamlResponseMisdirected),
        ),
        scenario(
            "idp-initiated-default-reply-url-login",
            "An IdP-initiated login posted to a stale default Reply URL, the login page: 405 naming the ACS",
            "Entra ID: IdP-initiated sign-on posts to the default Reply URL, kept from an older integration",
            teams::for_preset(entra),
            entra.spec(),
            Some(|spec| spec.reply_url = path_on(&spec.reply_url, "/login")),
            Expected::Refused(Code::SamlResponseMisdirected),
        ),
        scenario(
            "sp-initiated-acs-not-registered",
            "The IdP answers an SP-initiated login at the Reply URL it has registered (/saml/consume), not the ACS the AuthnRequest named: 404 naming the ACS",
            "SAML core §3.4.1 (AssertionConsumerServiceURL); IdPs that do not refuse an unregistered one (as Entra's AADSTS50011 does) post to their own",
            teams::acme(),
            okta.spec().answering("_sp-request-for-an-unregistered-acs"),
            Some(|spec| spec.reply_url = path_on(&spec.reply_url, "/saml/consume")),
            Expected::Refused(Code::SamlResponseMisdirected),
        ),
        scenario(
            "proxy-sees-http",
            "The SP behind a TLS-terminating proxy takes the http URL it sees for its own, while the IdP addresses the public https ACS: 403 destination_mismatch naming the scheme",
            "Field problem: an SP configured (or deriving its URL) behind a proxy that forwards plain http",
            teams::acme(),
            okta.spec(),
            // The IdP's Reply URL reaches the SP (the proxy forwards it); Destination and
            // Recipient carry the URL the IdP was given, which differs from the SP's own by the
            // scheme alone (https for an SP that sees http; the reverse for an https target).
            Some(|spec| {
                let public = match spec.reply_url.strip_prefix("http://") {
                    Some(rest) => format!("https://{rest}"),
                    None => spec.reply_url.replacen("https://", "http://", 1),
                };
                spec.destination = Some(public.clone());
                spec.recipient = Some(public);
            }),
            Expected::Refused(Code::DestinationMismatch),
        ),
    ]
}

const FETCH_REDIRECT: &str = "Fetch standard, HTTP-redirect fetch: 301, 302 and 303 turn a POST into a GET without its body; 307 and 308 keep both";

fn scenario(
    name: &str,
    title: &str,
    source: &str,
    team: TeamSetup,
    spec: ResponseSpec,
    adjust: Option<fn(&mut ResponseSpec)>,
    expected: Expected,
) -> Scenario {
    Scenario {
        id: format!("saml.reply-url.{name}"),
        title: title.to_owned(),
        source: source.to_owned(),
        stimulus: Stimulus::Post(Box::new(Post {
            team,
            response: Response {
                adjust,
                ..Response::valid(spec)
            },
            via: None,
            expected,
        })),
    }
}

/// `url` with its path (and query) replaced by `path`.
fn path_on(url: &str, path: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            parsed.set_path(path);
            parsed.set_query(None);
            parsed.to_string()
        }
        // The target aimed the spec at its own ACS, an absolute URL; anything else is posted
        // as it is and fails to be delivered, which the report shows.
        Err(_) => url.to_owned(),
    }
}
