//! Text a person typed: names and titles on one line with at least one visible character, and
//! longer texts (descriptions, notes, reasons) that may break lines. Neither may hold control
//! characters (a NUL would end up in every export) or the bidirectional overrides that make a
//! name read differently from what it is.

use super::FieldViolation;

/// A control character other than the line breaks and tabs a longer text may hold.
pub fn is_forbidden_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\n' | '\r' | '\t')
}

/// Bidirectional embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A character that shows nothing: white space, or a format character such as a zero-width
/// space, joiner, word joiner, soft hyphen, variation selector or byte-order mark.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202F}'
                | '\u{205F}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFF8}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// A name or title: trimmed, one line, 1 to `max_chars` characters, at least one of them
/// visible, no control characters or bidirectional overrides.
pub fn name(field: &str, raw: &str, max_chars: usize) -> Result<String, FieldViolation> {
    let value = raw.trim();
    if value.chars().any(|c| c.is_control()) {
        return Err(FieldViolation::new(
            field,
            "text.control_character",
            "must not contain control characters or line breaks",
        ));
    }
    if value.chars().any(is_bidi_control) {
        return Err(FieldViolation::new(
            field,
            "text.bidi_control",
            "must not contain bidirectional override characters",
        ));
    }
    if value.chars().all(is_invisible) {
        return Err(FieldViolation::new(
            field,
            "text.blank",
            "must contain a visible character",
        ));
    }
    if value.chars().count() > max_chars {
        return Err(FieldViolation::new(
            field,
            "text.length",
            format!("must be 1 to {max_chars} characters"),
        ));
    }
    Ok(value.to_owned())
}

/// A longer text: trimmed, at most `max_chars` characters, line breaks and tabs allowed, no
/// other control characters and no bidirectional overrides. It may be empty.
pub fn text(field: &str, raw: &str, max_chars: usize) -> Result<String, FieldViolation> {
    let value = raw.trim();
    if value.chars().any(is_forbidden_control) {
        return Err(FieldViolation::new(
            field,
            "text.control_character",
            "must not contain control characters",
        ));
    }
    if value.chars().any(is_bidi_control) {
        return Err(FieldViolation::new(
            field,
            "text.bidi_control",
            "must not contain bidirectional override characters",
        ));
    }
    if value.chars().count() > max_chars {
        return Err(FieldViolation::new(
            field,
            "text.length",
            format!("must be at most {max_chars} characters"),
        ));
    }
    Ok(value.to_owned())
}

/// A text that must say something (a reason, a rejection note): as [`text`], and not blank.
pub fn required_text(field: &str, raw: &str, max_chars: usize) -> Result<String, FieldViolation> {
    let value = text(field, raw, max_chars)?;
    if value.chars().all(is_invisible) {
        return Err(FieldViolation::new(
            field,
            "text.blank",
            format!("is required: 1 to {max_chars} characters"),
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_need_a_visible_character_and_no_controls() {
        assert_eq!(name("name", "  张三 ", 50).unwrap(), "张三");
        assert_eq!(
            name("name", "a\u{0}b", 50).unwrap_err().code,
            "text.control_character"
        );
        assert_eq!(
            name("name", "a\nb", 50).unwrap_err().code,
            "text.control_character"
        );
        assert_eq!(
            name("name", "\u{202e}\u{200b}", 50).unwrap_err().code,
            "text.bidi_control"
        );
        assert_eq!(
            name("name", "\u{200b}\u{feff}", 50).unwrap_err().code,
            "text.blank"
        );
        assert_eq!(name("name", "", 50).unwrap_err().code, "text.blank");
        assert_eq!(
            name("name", &"名".repeat(51), 50).unwrap_err().code,
            "text.length"
        );
        assert!(name("name", &"名".repeat(50), 50).is_ok());
    }

    #[test]
    fn longer_texts_keep_line_breaks_but_no_other_controls() {
        assert_eq!(
            text("d", " 第一行\n第二行\t ", 100).unwrap(),
            "第一行\n第二行"
        );
        assert_eq!(text("d", "", 100).unwrap(), "");
        assert_eq!(
            text("d", "a\u{0}", 100).unwrap_err().code,
            "text.control_character"
        );
        assert_eq!(
            text("d", "a\u{1b}[31m", 100).unwrap_err().code,
            "text.control_character"
        );
        assert_eq!(
            text("d", &"x".repeat(101), 100).unwrap_err().code,
            "text.length"
        );
        assert_eq!(
            required_text("reason", " \u{200b} ", 10).unwrap_err().code,
            "text.blank"
        );
    }
}
