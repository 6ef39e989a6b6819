//! User names and passwords carried in URLs, and the HTTP Basic scheme
//! that sends them: one reading of `user:password@` for origin URLs and
//! proxy URLs alike.

use http::HeaderValue;
use percent_encoding::percent_decode_str;
use url::Url;

/// The percent-decoded user name and password of `url`'s userinfo (the
/// password empty when absent), or `None` when it has neither, as curl and
/// reqwest read them.
pub(crate) fn userinfo(url: &Url) -> Option<(Vec<u8>, Vec<u8>)> {
    if url.username().is_empty() && url.password().is_none() {
        return None;
    }
    let user = percent_decode_str(url.username()).collect();
    let password = percent_decode_str(url.password().unwrap_or("")).collect();
    Some((user, password))
}

/// `Basic <base64(user:password)>`, marked sensitive so no `Debug` shows it.
pub(crate) fn basic_value(user: &[u8], password: &[u8]) -> HeaderValue {
    use base64::Engine as _;
    let mut credentials = Vec::with_capacity(user.len() + 1 + password.len());
    credentials.extend_from_slice(user);
    credentials.push(b':');
    credentials.extend_from_slice(password);
    let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
    let mut value = HeaderValue::try_from(format!("Basic {encoded}"))
        .expect("base64 is always a valid header value");
    value.set_sensitive(true);
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_percent_decoded_and_basic_encodes_it() {
        let url = Url::parse("http://ann:p%40ss%3Aw@h/").unwrap();
        let (user, password) = userinfo(&url).unwrap();
        assert_eq!((&user[..], &password[..]), (&b"ann"[..], &b"p@ss:w"[..]));
        let value = basic_value(&user, &password);
        // base64("ann:p@ss:w")
        assert_eq!(value, "Basic YW5uOnBAc3M6dw==");
        assert!(value.is_sensitive());
        assert_eq!(userinfo(&Url::parse("http://h/").unwrap()), None);
        let only_user = userinfo(&Url::parse("http://ann@h/").unwrap()).unwrap();
        assert_eq!(only_user, (b"ann".to_vec(), Vec::new()));
    }
}
