//! Contact details and payment apps in free text, written plainly or disguised ("five five five",
//! "john dot smith at gmail dot com", "06 12 34 56 78"), in English, French, German and Spanish.
//!
//! The text is lowercased and cut into words and marks once; the detectors read that word list.

/// What one pass over a text found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Findings {
    pub phone: bool,
    pub email: bool,
    pub payment_app: bool,
    pub link: bool,
    pub messaging_app: bool,
}

impl Findings {
    /// Any way to reach the person outside the platform.
    pub fn contact(&self) -> bool {
        self.phone || self.email || self.link || self.messaging_app
    }
}

const MIN_PHONE_DIGITS: usize = 7;
const MAX_PHONE_DIGITS: usize = 15;

/// Number words of the four languages, read as digits when they come in a run.
const DIGIT_WORDS: [(&str, u8); 44] = [
    ("zero", 0),
    ("oh", 0),
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("zéro", 0),
    ("un", 1),
    ("deux", 2),
    ("trois", 3),
    ("quatre", 4),
    ("cinq", 5),
    ("sept", 7),
    ("huit", 8),
    ("neuf", 9),
    ("null", 0),
    ("eins", 1),
    ("zwei", 2),
    ("drei", 3),
    ("vier", 4),
    ("fünf", 5),
    ("sechs", 6),
    ("sieben", 7),
    ("acht", 8),
    ("neun", 9),
    ("cero", 0),
    ("uno", 1),
    ("dos", 2),
    ("tres", 3),
    ("cuatro", 4),
    ("cinco", 5),
    ("seis", 6),
    ("siete", 7),
    ("ocho", 8),
    ("nueve", 9),
    ("ein", 1),
    ("eine", 1),
    ("une", 1),
    ("zwo", 2),
];

const AT_WORDS: [&str; 4] = ["at", "arobase", "arroba", "klammeraffe"];
const DOT_WORDS: [&str; 4] = ["dot", "point", "punto", "punkt"];
const TLDS: [&str; 20] = [
    "com", "net", "org", "fr", "de", "es", "co", "uk", "io", "ca", "info", "me", "eu", "us", "be",
    "ch", "at", "it", "nl", "mx",
];
const PAYMENT_APPS: [&str; 17] = [
    "venmo",
    "zelle",
    "cashapp",
    "paypal",
    "revolut",
    "lydia",
    "bizum",
    "twint",
    "paylib",
    "interac",
    "etransfer",
    "moneygram",
    "wero",
    "satispay",
    "swish",
    "vipps",
    "mobilepay",
];
const PAYMENT_PHRASES: [[&str; 2]; 5] = [
    ["cash", "app"],
    ["western", "union"],
    ["apple", "cash"],
    ["e", "transfer"],
    ["pay", "pal"],
];
const MESSAGING_APPS: [&str; 7] = [
    "whatsapp",
    "telegram",
    "viber",
    "wechat",
    "snapchat",
    "instagram",
    "kik",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'a> {
    Word(&'a str),
    Digits(&'a str),
    Mark(char),
}

/// Reads a text once and reports every kind of contact detail in it.
pub fn scan(text: &str) -> Findings {
    let lower = text.to_lowercase();
    let pieces = pieces(&lower);
    let mut findings = Findings {
        phone: has_phone(&pieces),
        email: has_email(&pieces),
        ..Findings::default()
    };
    for (i, piece) in pieces.iter().enumerate() {
        let Piece::Word(word) = piece else { continue };
        if PAYMENT_APPS.contains(word) {
            findings.payment_app = true;
        }
        if MESSAGING_APPS.contains(word) {
            findings.messaging_app = true;
        }
        if matches!(*word, "http" | "https" | "www") {
            findings.link = true;
        }
        if (*word == "wa" || *word == "t")
            && pieces.get(i + 1) == Some(&Piece::Mark('.'))
            && pieces.get(i + 2) == Some(&Piece::Word("me"))
        {
            findings.link = true;
        }
        let next = next_word(&pieces, i + 1);
        if PAYMENT_PHRASES
            .iter()
            .any(|[a, b]| a == word && next == Some(*b))
        {
            findings.payment_app = true;
        }
    }
    findings
}

fn next_word<'a>(pieces: &[Piece<'a>], from: usize) -> Option<&'a str> {
    for piece in &pieces[from.min(pieces.len())..] {
        match piece {
            Piece::Word(w) => return Some(w),
            Piece::Mark('-') => continue,
            _ => return None,
        }
    }
    None
}

fn pieces(lower: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::with_capacity(lower.len() / 4);
    let mut start = None;
    let mut digits = true;
    for (i, ch) in lower.char_indices() {
        if ch.is_alphanumeric() {
            if start.is_none() {
                start = Some(i);
                digits = true;
            }
            digits &= ch.is_ascii_digit();
            continue;
        }
        if let Some(s) = start.take() {
            out.push(word_piece(&lower[s..i], digits));
        }
        // Brackets are dropped: "(at)" and "[dot]" read as the words inside them.
        if matches!(ch, '@' | '.' | '+' | '-' | '/' | ',' | ':') {
            out.push(Piece::Mark(ch));
        }
    }
    if let Some(s) = start {
        out.push(word_piece(&lower[s..], digits));
    }
    out
}

fn word_piece(word: &str, digits: bool) -> Piece<'_> {
    if digits {
        Piece::Digits(word)
    } else {
        Piece::Word(word)
    }
}

fn digit_word(word: &str) -> bool {
    DIGIT_WORDS.iter().any(|(w, _)| *w == word)
}

/// A run of digits and number words, joined only by spaces and phone punctuation, long enough
/// to be a phone number and not shaped like a date.
fn has_phone(pieces: &[Piece]) -> bool {
    let mut count = 0usize;
    let mut groups: Vec<usize> = Vec::new();
    let mut plus = false;
    let mut date_marks = 0;
    let flush = |count: usize, groups: &[usize], plus: bool, date_marks: usize| {
        let date_shaped = date_marks >= 2 && (groups == [4, 2, 2] || groups == [2, 2, 4]);
        (MIN_PHONE_DIGITS..=MAX_PHONE_DIGITS).contains(&count) && !date_shaped
            || plus && (8..=MAX_PHONE_DIGITS).contains(&count)
    };
    for piece in pieces {
        match piece {
            Piece::Digits(d) => {
                count += d.len();
                groups.push(d.len());
            }
            Piece::Word(w) if digit_word(w) => {
                count += 1;
                groups.push(1);
            }
            Piece::Mark('+') if count == 0 => plus = true,
            Piece::Mark('-' | '/' | '.') if count > 0 => date_marks += 1,
            Piece::Mark(',') => {}
            _ => {
                if flush(count, &groups, plus, date_marks) {
                    return true;
                }
                count = 0;
                groups.clear();
                plus = false;
                date_marks = 0;
            }
        }
    }
    flush(count, &groups, plus, date_marks)
}

/// `name@host.tld`, also as `name at host dot tld`, `(at)`, `arobase`, `punto`.
fn has_email(pieces: &[Piece]) -> bool {
    let is_at = |p: &Piece| match p {
        Piece::Mark('@') => true,
        Piece::Word(w) => AT_WORDS.contains(w),
        _ => false,
    };
    let is_dot = |p: &Piece| match p {
        Piece::Mark('.') => true,
        Piece::Word(w) => DOT_WORDS.contains(w),
        _ => false,
    };
    let is_part = |p: &Piece| matches!(p, Piece::Word(_) | Piece::Digits(_));
    for (i, piece) in pieces.iter().enumerate() {
        if !is_at(piece) || i == 0 || !is_part(&pieces[i - 1]) {
            continue;
        }
        // host, then one or more ". part", the last a known top-level domain
        let mut j = i + 1;
        if !pieces.get(j).is_some_and(is_part) {
            continue;
        }
        j += 1;
        let mut tld = None;
        loop {
            if !pieces.get(j).is_some_and(is_dot) {
                break;
            }
            let k = j + 1;
            match pieces.get(k) {
                Some(Piece::Word(w)) => {
                    tld = Some(*w);
                    j = k + 1;
                }
                _ => break,
            }
        }
        if tld.is_some_and(|t| TLDS.contains(&t)) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_phones_plain_and_spelled() {
        for text in [
            "Text me at +1 415 555 0199, easier than this app.",
            "My number is five five five one two three four, call me.",
            "Envoie-moi un message au 06 12 34 56 78.",
            "Schreib mir auf WhatsApp: 0151 2345678.",
            "Meine Nummer: null eins fünf eins, zwei drei vier fünf.",
            "Escríbeme al 612 345 678.",
            "call 555-0199-22",
        ] {
            assert!(scan(text).phone, "{text}");
        }
        for text in [
            "See you at 10:30 on 2026-10-03.",
            "It costs 150 dollars for 2 hours.",
            "One more thing: bring two ladders and one drill.",
            "Le devis est de 1 250 euros.",
        ] {
            assert!(!scan(text).phone, "{text}");
        }
    }

    #[test]
    fn finds_emails_plain_and_spelled() {
        for text in [
            "Email me at john dot smith at gmail dot com for the next job.",
            "Mon mail : marie point dupont arobase gmail point com.",
            "Mi correo es pedro punto garcia arroba hotmail punto com.",
            "write to jane.doe@example.co.uk",
            "jane (at) proton [dot] me",
        ] {
            assert!(scan(text).email, "{text}");
        }
        for text in [
            "I will be at the house at noon.",
            "Meet at home dot five",
            "The job at 5 is fine.",
        ] {
            assert!(!scan(text).email, "{text}");
        }
    }

    #[test]
    fn finds_payment_and_messaging_apps() {
        assert!(scan("Pay me directly on Venmo and we skip the fee.").payment_app);
        assert!(scan("Send it through Zelle or CashApp next time").payment_app);
        assert!(scan("use cash app").payment_app);
        assert!(scan("Págame por Bizum y nos ahorramos la comisión.").payment_app);
        assert!(scan("Überweis es lieber per PayPal Freunde").payment_app);
        assert!(!scan("I'll pay when the work is done.").payment_app);
        assert!(scan("Schreib mir auf WhatsApp").contact());
        assert!(scan("see wa.me/4915123").link);
        assert!(!scan("Thanks, the shelves look great!").contact());
    }
}
