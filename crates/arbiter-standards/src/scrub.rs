//! Removing personal data from text bound for the EU Transparency Database (DSA Article
//! 24(5)): emails, phone numbers, postal addresses, names after a title, and every string the
//! caller knows to be personal (the member's name and id, the other party's). Patterns are
//! matched generously: a false positive costs a word, a false negative a breach.

/// Replaces personal data in `text`. `personal` holds strings known to be personal (names,
/// member ids); each is removed wherever it appears, ASCII case ignored.
pub fn scrub(text: &str, personal: &[&str]) -> String {
    let mut out = text.to_owned();
    for known in personal
        .iter()
        .map(|k| k.trim())
        .filter(|k| k.chars().count() >= 2)
    {
        out = replace_ignoring_ascii_case(&out, known, "[redacted]");
    }
    out = emails(&out);
    out = phones(&out);
    out = addresses(&out);
    names_after_titles(&out)
}

/// The kind of personal data pattern `text` still holds, if any: `email` or `phone`.
pub fn personal_pattern(text: &str) -> Option<&'static str> {
    if emails(text) != text {
        Some("email")
    } else if phones(text) != text {
        Some("phone")
    } else {
        None
    }
}

fn replace_ignoring_ascii_case(text: &str, needle: &str, with: &str) -> String {
    let (hay, pin) = (text.as_bytes(), needle.as_bytes());
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied = 0;
    while i + pin.len() <= hay.len() {
        if text.is_char_boundary(i) && hay[i..i + pin.len()].eq_ignore_ascii_case(pin) {
            out.push_str(&text[copied..i]);
            out.push_str(with);
            i += pin.len();
            copied = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

fn is_local(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._%+-".contains(c)
}

fn is_domain(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '.' || c == '-'
}

/// Every `@` touching an address character on either side takes the run around it.
fn emails(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut start_copy = 0;
    while i < chars.len() {
        if chars[i] == '@' {
            let mut left = i;
            while left > start_copy && is_local(chars[left - 1]) {
                left -= 1;
            }
            let mut right = i + 1;
            while right < chars.len() && is_domain(chars[right]) {
                right += 1;
            }
            if left < i || right > i + 1 {
                out.extend(&chars[start_copy..left]);
                out.push_str("[email]");
                start_copy = right;
                i = right;
                continue;
            }
        }
        i += 1;
    }
    out.extend(&chars[start_copy..]);
    out
}

fn is_phone_separator(c: char) -> bool {
    c.is_whitespace() || "().-/".contains(c)
}

/// Runs of digits and separators holding seven digits or more.
fn phones(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit()
            || (chars[i] == '+' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            let mut end = i + 1;
            let mut last_digit = if chars[i].is_ascii_digit() { i } else { i + 1 };
            let mut digits = usize::from(chars[i].is_ascii_digit());
            while end < chars.len()
                && (chars[end].is_ascii_digit() || is_phone_separator(chars[end]))
            {
                if chars[end].is_ascii_digit() {
                    digits += 1;
                    last_digit = end;
                }
                end += 1;
            }
            if digits >= 7 {
                out.push_str("[phone]");
                i = last_digit + 1;
            } else {
                out.extend(&chars[start..=last_digit.max(start)]);
                i = last_digit.max(start) + 1;
            }
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

const STREET_WORDS: &[&str] = &[
    "street",
    "st",
    "avenue",
    "ave",
    "road",
    "rd",
    "boulevard",
    "blvd",
    "lane",
    "ln",
    "drive",
    "dr",
    "way",
    "court",
    "ct",
    "place",
    "pl",
    "square",
    "terrace",
    "rue",
    "chemin",
    "allée",
    "allee",
    "impasse",
    "quai",
    "cours",
    "calle",
    "avenida",
    "plaza",
    "paseo",
    "carrer",
    "via",
    "viale",
    "piazza",
    "straße",
    "strasse",
    "str",
    "weg",
    "platz",
    "gasse",
];
const STREET_SUFFIXES: &[&str] = &[
    "straße", "strasse", "str.", "weg", "platz", "gasse", "allee", "ring", "damm",
];
const LINKS: &[&str] = &[
    "de", "la", "du", "des", "del", "de la", "of", "von", "der", "di",
];

fn bare(token: &str) -> String {
    token
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase()
}

fn is_house_number(token: &str) -> bool {
    let t = token.trim_end_matches([',', '.']);
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    (1..=5).contains(&digits)
        && t.chars().skip(digits).all(|c| c.is_ascii_alphabetic())
        && t.len() - digits <= 1
}

/// "12 rue de la Paix", "221b Baker Street", "Hauptstraße 5", "Calle Mayor 3".
fn addresses(text: &str) -> String {
    let tokens: Vec<&str> = text.split(' ').collect();
    let mut redact = vec![false; tokens.len()];
    for i in 0..tokens.len() {
        if is_house_number(tokens[i]) {
            // A number, then a street word within three words, then the street's name.
            if let Some(offset) = (1..=3).find(|o| {
                tokens
                    .get(i + o)
                    .is_some_and(|t| STREET_WORDS.contains(&bare(t).as_str()))
            }) {
                let mut end = i + offset;
                while let Some(next) = tokens.get(end + 1) {
                    let starts_upper = next.chars().next().is_some_and(char::is_uppercase);
                    if starts_upper || LINKS.contains(&bare(next).as_str()) {
                        end += 1;
                    } else {
                        break;
                    }
                }
                redact[i..=end].iter_mut().for_each(|r| *r = true);
            }
        }
        if tokens.get(i + 1).is_some_and(|t| is_house_number(t)) {
            // "Hauptstraße 5": a street name ending in a street word, then the number.
            let word = bare(tokens[i]);
            let compound = STREET_SUFFIXES
                .iter()
                .any(|s| word.ends_with(s.trim_end_matches('.')) && word.len() > s.len());
            // "Calle Mayor 3": a street word, up to two capitalised words, then the number.
            let leading = (0..=2.min(i)).map(|back| i - back).find(|&at| {
                STREET_WORDS.contains(&bare(tokens[at]).as_str())
                    && tokens[at + 1..=i]
                        .iter()
                        .all(|t| t.chars().next().is_some_and(char::is_uppercase))
            });
            if let Some(start) = leading.or(compound.then_some(i)) {
                redact[start..=i + 1].iter_mut().for_each(|r| *r = true);
            }
        }
    }
    join_redacted(&tokens, &redact, "[address]")
}

const TITLES: &[&str] = &[
    "mr", "mrs", "ms", "miss", "dr", "mme", "mlle", "m", "monsieur", "madame", "herr", "frau",
    "sr", "sra", "srta", "señor", "señora", "don", "doña",
];

/// "Mrs Smith", "Herr Müller", "Sra. García López": the title and up to two capitalised words.
fn names_after_titles(text: &str) -> String {
    let tokens: Vec<&str> = text.split(' ').collect();
    let mut redact = vec![false; tokens.len()];
    for i in 0..tokens.len() {
        if TITLES.contains(&bare(tokens[i]).as_str())
            && tokens[i].chars().next().is_some_and(char::is_uppercase)
        {
            let mut end = i;
            while end - i < 2
                && tokens
                    .get(end + 1)
                    .is_some_and(|t| t.chars().next().is_some_and(char::is_uppercase))
            {
                end += 1;
            }
            if end > i {
                redact[i..=end].iter_mut().for_each(|r| *r = true);
            }
        }
    }
    join_redacted(&tokens, &redact, "[name]")
}

/// Joins tokens back with spaces, each run of redacted tokens as one `label`, keeping the
/// punctuation that ended the run.
fn join_redacted(tokens: &[&str], redact: &[bool], label: &str) -> String {
    let mut parts: Vec<String> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        if redact[i] {
            let mut end = i;
            while end + 1 < tokens.len() && redact[end + 1] {
                end += 1;
            }
            let trailing: String = tokens[end]
                .chars()
                .rev()
                .take_while(|c| ",.;:)".contains(*c))
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            parts.push(format!("{label}{trailing}"));
            i = end + 1;
        } else {
            parts.push(tokens[i].to_owned());
            i += 1;
        }
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn personal_data_is_removed() {
        let table: &[(&str, &str)] = &[
            (
                "Write to ana.perez+jobs@example.co.uk today",
                "Write to [email] today",
            ),
            ("mail me: a@b", "mail me: [email]"),
            (
                "Call +33 6 12 34 56 78 or (415) 555-0134.",
                "Call [phone] or ([phone].",
            ),
            ("Task 12345 cost 80 EUR", "Task 12345 cost 80 EUR"),
            (
                "Met at 12 rue de la Paix, then left",
                "Met at [address], then left",
            ),
            ("lives at 221b Baker Street London", "lives at [address]"),
            (
                "Treffpunkt Hauptstraße 5, Berlin",
                "Treffpunkt [address], Berlin",
            ),
            ("en Calle Mayor 3 hoy", "en [address] hoy"),
            ("Mrs Smith said so", "[name] said so"),
            ("Herr Müller kam nicht", "[name] kam nicht"),
            ("Sra. García López llegó", "[name] llegó"),
            (
                "the Tasker asked Ana Perez for cash",
                "the Tasker asked [redacted] for cash",
            ),
            (
                "member t_981 and ANA PEREZ",
                "member [redacted] and [redacted]",
            ),
        ];
        for (input, want) in table {
            assert_eq!(scrub(input, &["Ana Perez", "t_981"]), *want, "{input}");
        }
        assert_eq!(personal_pattern("x a@b.com"), Some("email"));
        assert_eq!(personal_pattern("x 555 123 4567"), Some("phone"));
        assert_eq!(personal_pattern("3 points, 14 days"), None);
    }

    fn email_oracle() -> regex::Regex {
        regex::Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}").unwrap()
    }

    fn phone_oracle() -> regex::Regex {
        regex::Regex::new(r"\+?[0-9](?:[\s().\-/]*[0-9]){6,}").unwrap()
    }

    proptest! {
        #[test]
        fn no_email_or_phone_survives(
            before in "[ -~àéü\n]{0,40}",
            local in "[A-Za-z0-9._%+-]{1,12}",
            domain in "[A-Za-z0-9-]{1,10}\\.[A-Za-z]{2,4}",
            phone in "\\+?[0-9]{1,3}([ .()/-]{0,2}[0-9]{1,4}){2,5}",
            after in "[ -~àéü\n]{0,40}",
        ) {
            for text in [
                format!("{before}{local}@{domain}{after}"),
                format!("{before} {phone}{after}"),
                format!("{before}{phone}{local}@{domain}{phone}{after}"),
            ] {
                let scrubbed = scrub(&text, &[]);
                prop_assert!(!email_oracle().is_match(&scrubbed), "{text:?} -> {scrubbed:?}");
                prop_assert!(!phone_oracle().is_match(&scrubbed), "{text:?} -> {scrubbed:?}");
            }
        }

        #[test]
        fn arbitrary_text_keeps_no_pattern(text in "\\PC{0,80}") {
            let scrubbed = scrub(&text, &[]);
            prop_assert!(!email_oracle().is_match(&scrubbed), "{text:?} -> {scrubbed:?}");
            prop_assert!(!phone_oracle().is_match(&scrubbed), "{text:?} -> {scrubbed:?}");
        }
    }
}
