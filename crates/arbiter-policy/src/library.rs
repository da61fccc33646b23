//! A set of documents checked together: ids are unique and every citation names a document
//! and clause that exist.

use crate::{Document, parse_document};
use std::collections::HashMap;

/// A problem in one file of a library: path, 1-based line and column, message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// Reads `files` (`(path, text)`) as one library beside the documents already `known` (which
/// the files may replace). Every problem of every file is reported; the documents come back
/// only when there is none.
pub fn check_library(
    files: &[(String, String)],
    known: &[Document],
) -> Result<Vec<Document>, Vec<FileError>> {
    let mut errors = Vec::new();
    let mut documents: Vec<(&str, Document)> = Vec::new();
    let mut first_file: HashMap<String, &str> = HashMap::new();
    for (path, text) in files {
        match parse_document(text) {
            Ok(document) => {
                if let Some(other) = first_file.get(&document.id) {
                    errors.push(FileError {
                        file: path.clone(),
                        line: 2,
                        column: 1,
                        message: format!("id {} is already used by {other}", document.id),
                    });
                    continue;
                }
                first_file.insert(document.id.clone(), path);
                documents.push((path, document));
            }
            Err(problems) => errors.extend(problems.into_iter().map(|p| FileError {
                file: path.clone(),
                line: p.line,
                column: p.column,
                message: p.message,
            })),
        }
    }
    // Clause numbers of every document the library will hold.
    let mut clauses: HashMap<&str, Vec<String>> = known
        .iter()
        .map(|d| (d.id.as_str(), clause_numbers(d)))
        .collect();
    for (_, document) in &documents {
        clauses.insert(document.id.as_str(), clause_numbers(document));
    }
    for (path, document) in &documents {
        let body_line = document_body_line(files, path);
        for (line, citation) in crate::clauses::citations_by_line(&document.body) {
            let problem = match clauses.get(citation.document.as_str()) {
                None => Some(format!(
                    "{citation} cites a document that does not exist{}",
                    nearest(&citation.document, clauses.keys().copied())
                        .map(|n| format!(" (did you mean {n}?)"))
                        .unwrap_or_default()
                )),
                Some(numbers) => match &citation.clause {
                    Some(clause) if !numbers.contains(clause) => Some(format!(
                        "{citation} cites a clause that does not exist; {} has {}",
                        citation.document,
                        if numbers.is_empty() {
                            "no numbered clauses".to_owned()
                        } else {
                            format!("§{}", numbers.join(", §"))
                        }
                    )),
                    _ => None,
                },
            };
            if let Some(message) = problem {
                errors.push(FileError {
                    file: (*path).to_owned(),
                    line: body_line + line - 1,
                    column: 1,
                    message,
                });
            }
        }
        if let Some(base) = &document.variant_of
            && !clauses.contains_key(base.as_str())
        {
            errors.push(FileError {
                file: (*path).to_owned(),
                line: 2,
                column: 1,
                message: format!("variant_of names {base}, which does not exist"),
            });
        }
    }
    if errors.is_empty() {
        Ok(documents.into_iter().map(|(_, d)| d).collect())
    } else {
        Err(errors)
    }
}

fn clause_numbers(document: &Document) -> Vec<String> {
    crate::clauses(&document.body)
        .into_iter()
        .map(|c| c.number)
        .collect()
}

/// The line of the file on which the body of the document read from `path` starts.
fn document_body_line(files: &[(String, String)], path: &str) -> usize {
    let Some((_, text)) = files.iter().find(|(p, _)| p == path) else {
        return 1;
    };
    // The body follows the second `+++` line.
    let mut fences = 0;
    for (index, line) in text.lines().enumerate() {
        if line.trim_end() == "+++" {
            fences += 1;
            if fences == 2 {
                return index + 2;
            }
        }
    }
    1
}

/// The known id nearest to `id` by edit distance, when it is close.
fn nearest<'a>(id: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    known
        .map(|k| (distance(id, k), k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 5))
        .min()
        .map(|(_, k)| k)
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current.push(
                (previous[j] + cost)
                    .min(previous[j + 1] + 1)
                    .min(current[j] + 1),
            );
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(id: &str, body: &str) -> String {
        format!(
            "+++\nid = \"{id}\"\nkind = \"policy\"\ntitle = \"T\"\naudience = [\"internal\"]\nlocale = \"en\"\nowner = \"o\"\nstatus = \"draft\"\n+++\n{body}"
        )
    }

    #[test]
    fn citations_must_name_documents_and_clauses_that_exist() {
        let files = vec![
            (
                "a.md".to_owned(),
                file("POL-A", "## 1. One\ntext\n## 2. Two\n"),
            ),
            (
                "b.md".to_owned(),
                file(
                    "POL-B",
                    "## 1. B\nSee POL-A §2.\nSee POL-A §3.\nSee POL-AA.\n",
                ),
            ),
        ];
        let errors = check_library(&files, &[]).unwrap_err();
        let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 2, "{shown:?}");
        assert_eq!(
            shown[0],
            "b.md:12:1: POL-A §3 cites a clause that does not exist; POL-A has §1, §2"
        );
        assert!(
            shown[1].starts_with(
                "b.md:13:1: POL-AA cites a document that does not exist (did you mean POL-A?)"
            ),
            "{shown:?}"
        );
        // A document already in the library counts.
        let known = parse_document(&file("POL-C", "## 4. Four\n")).unwrap();
        let ok = vec![("d.md".to_owned(), file("POL-D", "Per POL-C §4.\n"))];
        assert_eq!(check_library(&ok, &[known]).unwrap().len(), 1);
    }

    #[test]
    fn ids_are_unique_across_files() {
        let files = vec![
            ("a.md".to_owned(), file("POL-A", "")),
            ("again.md".to_owned(), file("POL-A", "")),
        ];
        let errors = check_library(&files, &[]).unwrap_err();
        assert_eq!(
            errors[0].to_string(),
            "again.md:2:1: id POL-A is already used by a.md"
        );
    }
}
