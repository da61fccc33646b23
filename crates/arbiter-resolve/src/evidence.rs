//! Evidence files on a case: what is accepted, checked by content, not by name.

/// Largest evidence file accepted.
pub const MAX_EVIDENCE_BYTES: usize = 10 * 1024 * 1024;

/// The kinds of file a case takes, with how to recognise each.
const KINDS: &[(&str, &str)] = &[
    ("image/jpeg", "a JPEG photo"),
    ("image/png", "a PNG image"),
    ("image/webp", "a WebP image"),
    ("application/pdf", "a PDF document"),
    ("text/plain", "plain text"),
];

/// Why a file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is {0} bytes; evidence may be at most {MAX_EVIDENCE_BYTES} bytes (10 MiB)")]
    TooLarge(usize),
    #[error(
        "{0:?} files are not taken as evidence; send JPEG, PNG or WebP photos, PDF documents or plain text"
    )]
    Disallowed(String),
    #[error("the file says it is {declared} but its content is not {what}")]
    Mismatch {
        declared: String,
        what: &'static str,
    },
    #[error("filename: give a name of 1 to 200 characters without slashes or control characters")]
    BadName,
}

/// Checks an upload: its declared type is one a case takes and its bytes are what the type
/// says (a renamed script is not a photo). Answers the media type to store.
pub fn check_evidence(
    filename: &str,
    declared: &str,
    bytes: &[u8],
) -> Result<&'static str, EvidenceError> {
    let name = filename.trim();
    if name.is_empty()
        || name.chars().count() > 200
        || name.contains(['/', '\\'])
        || name.chars().any(char::is_control)
    {
        return Err(EvidenceError::BadName);
    }
    if bytes.is_empty() {
        return Err(EvidenceError::Empty);
    }
    if bytes.len() > MAX_EVIDENCE_BYTES {
        return Err(EvidenceError::TooLarge(bytes.len()));
    }
    let declared = declared
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let Some((kind, what)) = KINDS.iter().find(|(k, _)| *k == declared) else {
        return Err(EvidenceError::Disallowed(declared));
    };
    let matches = match *kind {
        "image/jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/png" => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/webp" => bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP",
        "application/pdf" => bytes.starts_with(b"%PDF-"),
        _ => std::str::from_utf8(bytes).is_ok() && !bytes.contains(&0),
    };
    if matches {
        Ok(kind)
    } else {
        Err(EvidenceError::Mismatch { declared, what })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_checked_by_content() {
        assert_eq!(
            check_evidence("table.jpg", "image/jpeg", &[0xFF, 0xD8, 0xFF, 0xE0, 1]),
            Ok("image/jpeg")
        );
        assert_eq!(
            check_evidence(
                "receipt.pdf",
                "application/pdf; charset=binary",
                b"%PDF-1.7 ..."
            ),
            Ok("application/pdf")
        );
        assert_eq!(
            check_evidence("note.txt", "text/plain", "Reçu".as_bytes()),
            Ok("text/plain")
        );
        assert_eq!(
            check_evidence("photo.jpg", "image/jpeg", b"<script>alert(1)</script>")
                .unwrap_err()
                .to_string(),
            "the file says it is image/jpeg but its content is not a JPEG photo"
        );
        assert!(matches!(
            check_evidence("page.html", "text/html", b"<p>"),
            Err(EvidenceError::Disallowed(_))
        ));
        assert_eq!(
            check_evidence("x.txt", "text/plain", b""),
            Err(EvidenceError::Empty)
        );
        assert_eq!(
            check_evidence("../x.txt", "text/plain", b"a"),
            Err(EvidenceError::BadName)
        );
        let big = vec![b'a'; MAX_EVIDENCE_BYTES + 1];
        assert!(matches!(
            check_evidence("big.txt", "text/plain", &big),
            Err(EvidenceError::TooLarge(_))
        ));
    }
}
