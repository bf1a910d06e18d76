//! The demo's stand-in for a person at a browser, used only against the built-in simulator
//! when no browser can open: it follows the redirects like a browser, finds the consent form
//! and presses Approve, then lets the redirect land on the loopback listener.

use oauth2::reqwest::blocking::Client;
use oauth2::reqwest::redirect::Policy;
use std::time::Duration;
use url::Url;

pub fn approve(start: &str) -> Result<(), String> {
    let client = Client::builder()
        .redirect(Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .map_err(|e| e.to_string())?;
    let mut url = Url::parse(start).map_err(|e| e.to_string())?;
    let mut form_posted = false;
    for _hop in 0..10 {
        let response = client.get(url.clone()).send().map_err(|e| e.to_string())?;
        if let Some(next) = location(&url, &response)? {
            url = next;
            continue;
        }
        if form_posted {
            // The listener's landing page: done.
            return response
                .status()
                .is_success()
                .then_some(())
                .ok_or_else(|| format!("the landing page answered {}", response.status()));
        }
        let page = response.text().map_err(|e| e.to_string())?;
        let action = attribute(&page, "<form", "action").ok_or("no consent form found")?;
        let txn = hidden_value(&page, "txn").ok_or("the consent form has no transaction")?;
        let target = url.join(&action).map_err(|e| e.to_string())?;
        let posted = client
            .post(target.clone())
            .form(&[("txn", txn.as_str()), ("decision", "approve")])
            .send()
            .map_err(|e| e.to_string())?;
        url = location(&target, &posted)?.ok_or("approving did not redirect")?;
        form_posted = true;
    }
    Err("too many redirects".into())
}

fn location(
    base: &Url,
    response: &oauth2::reqwest::blocking::Response,
) -> Result<Option<Url>, String> {
    if !response.status().is_redirection() {
        return Ok(None);
    }
    let to = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .ok_or("a redirect without a Location")?;
    base.join(to).map(Some).map_err(|e| e.to_string())
}

/// The value of `attr` in the first tag starting with `tag` (simulator pages are regular).
fn attribute(page: &str, tag: &str, attr: &str) -> Option<String> {
    let start = page.find(tag)?;
    let end = start + page[start..].find('>')?;
    let element = &page[start..end];
    let key = format!("{attr}=\"");
    let from = element.find(&key)? + key.len();
    let len = element[from..].find('"')?;
    Some(element[from..from + len].to_string())
}

fn hidden_value(page: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\"");
    let at = page.find(&marker)?;
    let tag_start = page[..at].rfind('<')?;
    attribute(&page[tag_start..], "<input", "value")
}
