//! Messages to the parties from the policy library's templates: the section a playbook names,
//! in the recipient's language, with its `{{placeholders}}` filled from the case.

use std::collections::BTreeMap;

/// A template section filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filled {
    pub text: String,
}

/// Why a template could not be filled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FillError {
    #[error("the template has no section {0}")]
    NoSection(String),
    #[error("the template needs {} and the case does not give {}", .0.join(", "), if .0.len() == 1 { "it" } else { "them" })]
    Missing(Vec<String>),
}

/// The text of section `number` of a template body: the paragraphs under its heading, up to
/// the next heading.
pub fn section(body: &str, number: &str) -> Option<String> {
    let mut lines = body.lines();
    let start = lines.by_ref().position(|line| {
        let heading = line.trim_start_matches('#');
        line.starts_with('#')
            && heading
                .trim_start()
                .strip_prefix(number)
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with(' '))
    });
    start?;
    let text: Vec<&str> = lines.take_while(|line| !line.starts_with('#')).collect();
    Some(text.join("\n").trim().to_owned())
}

/// Fills every `{{name}}` of `template` from `values`; every name the values lack is named.
pub fn fill(template: &str, values: &BTreeMap<String, String>) -> Result<Filled, FillError> {
    let mut out = String::with_capacity(template.len());
    let mut missing = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let name = after[..close].trim();
        match values.get(name) {
            Some(value) => out.push_str(value),
            None => {
                if !missing.iter().any(|m| m == name) {
                    missing.push(name.to_owned());
                }
            }
        }
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    if missing.is_empty() {
        Ok(Filled {
            text: out.split_whitespace().collect::<Vec<_>>().join(" "),
        })
    } else {
        Err(FillError::Missing(missing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "## 1. Approved\n\nHello {{recipient_name}}, claim {{case_id}}:\npaying {{amount}}.\n\n## 2. Denied\n\nNo, because {{reason}} ({{clause}}).\n";

    #[test]
    fn a_section_is_filled_from_the_case() {
        let text = section(BODY, "1").unwrap();
        let values: BTreeMap<String, String> = [
            ("recipient_name", "Ana"),
            ("case_id", "case_12"),
            ("amount", "450.00 USD"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(
            fill(&text, &values).unwrap().text,
            "Hello Ana, claim case_12: paying 450.00 USD."
        );
        let denied = section(BODY, "2").unwrap();
        assert_eq!(
            fill(&denied, &values).unwrap_err().to_string(),
            "the template needs reason, clause and the case does not give them"
        );
        assert!(section(BODY, "3").is_none());
    }
}
