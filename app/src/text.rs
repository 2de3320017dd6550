//! Text as it may enter: no NUL or other control characters (line breaks and tabs are the ones
//! a description may hold). Checked once for every request at the HTTP edge, and by the models
//! of fields that must be a single line.

/// Whether `text` holds a character no text field accepts.
pub fn has_control_characters(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

/// Whether any name or value of an `application/x-www-form-urlencoded` body or query string
/// holds such a character once decoded.
#[cfg(feature = "ssr")]
pub fn form_has_control_characters(form: &[u8]) -> bool {
    form_urlencoded::parse(form)
        .any(|(name, value)| has_control_characters(&name) || has_control_characters(&value))
}

/// Whether any string (or object key) in a JSON document holds such a character. A body that
/// is not JSON is left to the handler, which refuses it as malformed.
#[cfg(feature = "ssr")]
pub fn json_has_control_characters(json: &[u8]) -> bool {
    fn walk(value: &serde_json::Value) -> bool {
        match value {
            serde_json::Value::String(text) => has_control_characters(text),
            serde_json::Value::Array(items) => items.iter().any(walk),
            serde_json::Value::Object(map) => map
                .iter()
                .any(|(key, value)| has_control_characters(key) || walk(value)),
            _ => false,
        }
    }
    serde_json::from_slice::<serde_json::Value>(json).is_ok_and(|value| walk(&value))
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_found_where_they_hide() {
        assert!(!has_control_characters("Acme 有限公司\nline two\tcolumn"));
        assert!(has_control_characters("a\0b"));
        assert!(has_control_characters("bell\u{7}"));
        assert!(form_has_control_characters(b"company_name=a%00b&x=1"));
        assert!(!form_has_control_characters(b"amount=1%2C000&note=a+b%0Ac"));
        assert!(json_has_control_characters(br#"{"order_no":"R\u0000"}"#));
        assert!(json_has_control_characters(br#"[{"a\u0001":1}]"#));
        assert!(!json_has_control_characters(br#"{"amount":"100.00"}"#));
        assert!(!json_has_control_characters(b"not json"));
    }
}
