//! The simulated UPS.com pages: the "Log In" consent page (modelled on the UPS opt-in
//! walkthrough) and an error page. Self-contained HTML with regular markup, because both a
//! regex-driven test browser and a real headless Chromium drive it.

use crate::html::escape;

/// The user name the sign-in form is prefilled with.
pub(crate) const DEFAULT_USERNAME: &str = "demo-user";

const STYLE: &str = "body{font-family:Arial,Helvetica,sans-serif;background:#f5f5f5;margin:0}\
main{max-width:28rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:6px}\
.banner{background:#ffc400;color:#351c15;padding:.5rem;font-size:.85rem}\
h1{color:#351c15}label{display:block;font-weight:bold;margin-top:1rem}\
input[type=text]{width:100%;padding:.5rem;box-sizing:border-box}\
.agreement{font-size:.9rem}button{padding:.6rem 1.4rem;margin-right:.5rem}\
#approve{background:#ffc400;border:0;font-weight:bold}";

fn document(title: &str, main: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
<p class=\"banner\">UPS OAuth simulator (idm-auth): this is not UPS.com</p>\n\
<main>\n{main}</main>\n</body>\n</html>\n",
        title = escape(title),
    )
}

/// The consent page for one sign-in transaction.
pub(crate) fn signin(txn: &str, app_name: &str) -> String {
    let main = format!(
        "<h1>Log In</h1>\n\
<p>Don't have a profile? Sign up</p>\n\
<form method=\"post\" action=\"/lasso/consent\">\n\
<input type=\"hidden\" name=\"txn\" value=\"{txn}\">\n\
<label for=\"username\">Email or Username</label>\n\
<input type=\"text\" id=\"username\" name=\"username\" value=\"{user}\" autocomplete=\"username\">\n\
<p class=\"agreement\">By continuing, I agree to the UPS Technology Agreement and authorize \
<strong>{app}</strong> to access data associated with my UPS.com username listed above, \
including UPS shipping account numbers, contact information, rates, and package tracking status.</p>\n\
<button type=\"submit\" name=\"decision\" value=\"approve\" id=\"approve\">Approve</button>\n\
<button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\">Deny</button>\n\
</form>\n\
<p>Forgot Username/Password</p>\n",
        txn = escape(txn),
        user = escape(DEFAULT_USERNAME),
        app = escape(app_name),
    );
    document("Log In | UPS", &main)
}

/// A plain error page (unknown or expired transaction, malformed form, ...).
pub(crate) fn error(heading: &str, message: &str) -> String {
    let main = format!(
        "<h1>{}</h1>\n<p id=\"error\">{}</p>\n",
        escape(heading),
        escape(message)
    );
    document(heading, &main)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signin_page_has_the_regular_form() {
        let page = signin("tx<1>", "My \"App\"");
        assert!(page.contains("<h1>Log In</h1>"));
        assert!(page.contains("<form method=\"post\" action=\"/lasso/consent\">"));
        assert!(page.contains("<input type=\"hidden\" name=\"txn\" value=\"tx&lt;1&gt;\">"));
        assert!(page.contains("name=\"username\" value=\"demo-user\""));
        assert!(page.contains("Email or Username"));
        assert!(page.contains("authorize <strong>My &quot;App&quot;</strong> to access data associated with my UPS.com username"));
        assert!(page.contains(
            "<button type=\"submit\" name=\"decision\" value=\"approve\" id=\"approve\">Approve</button>"
        ));
        assert!(page.contains(
            "<button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\">Deny</button>"
        ));
        assert!(!page.contains("http://") && !page.contains("https://") && !page.contains("src="));
    }

    #[test]
    fn error_page_escapes() {
        let page = error("Bad", "<script>");
        assert!(page.contains("&lt;script&gt;"));
        assert!(!page.contains("<script>"));
    }
}
