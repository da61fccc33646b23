//! Full-text search over the library, clause by clause: every clause (and the text before the
//! first one) is a passage; a document ranks by its best passage (BM25), and the answer names
//! that clause with a highlighted snippet. Words are stemmed in the document's language
//! (English, French, German, Spanish); a query word found nowhere matches words one or two
//! edits away; `"quoted words"` must appear together, in order.

use crate::{Audience, Document, Kind, Status};
use rust_stemmers::{Algorithm, Stemmer};
use std::collections::HashMap;

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 500;
/// Most words (phrase words included) in a query.
const MAX_QUERY_WORDS: usize = 32;

/// Which documents a search may return; every filter narrows.
#[derive(Debug, Clone, Default)]
pub struct SearchFilter {
    pub kind: Option<Kind>,
    pub audience: Option<Audience>,
    /// Documents for this market, or for every market.
    pub market: Option<String>,
    pub locale: Option<String>,
    pub status: Option<Status>,
    pub tag: Option<String>,
}

/// One document found: where, how well, and the words around the match.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub document: String,
    pub title: String,
    /// The clause that matched best; `None` for the text before the first clause.
    pub clause: Option<String>,
    pub clause_title: Option<String>,
    pub score: f64,
    /// HTML: escaped text with the matched words in `<mark>`.
    pub snippet: String,
}

/// A query that cannot run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError(pub String);

impl std::error::Error for QueryError {}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

struct Passage {
    document: usize,
    clause: Option<String>,
    clause_title: Option<String>,
    text: String,
    length: u32,
}

/// A passage a term occurs in, and the positions of its words there.
type Posting = (u32, Vec<u32>);

/// An index of a set of documents, built once and searched many times.
pub struct SearchIndex {
    documents: Vec<Document>,
    passages: Vec<Passage>,
    /// Stemmed term → where it occurs.
    postings: HashMap<String, Vec<Posting>>,
    /// Each word as written (lowercased) → the terms it was indexed under: typo tolerance
    /// compares query words with words as written, not with stems.
    surface: HashMap<String, Vec<String>>,
    /// The words as written, by length in characters, each with its characters: the
    /// candidates for a misspelt query word are only those of a near length.
    by_length: Vec<Vec<(String, Vec<char>, u64)>>,
    average_length: f64,
}

fn algorithm(locale: &str) -> Option<Algorithm> {
    match locale.split('-').next().unwrap_or("") {
        "en" => Some(Algorithm::English),
        "fr" => Some(Algorithm::French),
        "de" => Some(Algorithm::German),
        "es" => Some(Algorithm::Spanish),
        _ => None,
    }
}

/// The words of a text, lowercased, with their byte ranges.
fn words(text: &str) -> impl Iterator<Item = (usize, usize, String)> + '_ {
    let mut start = None;
    text.char_indices()
        .chain(std::iter::once((text.len(), ' ')))
        .filter_map(move |(i, c)| {
            if c.is_alphanumeric() {
                if start.is_none() {
                    start = Some(i);
                }
                None
            } else {
                start.take().map(|s| (s, i, text[s..i].to_lowercase()))
            }
        })
}

/// Markdown reduced to its words' text: markup characters become spaces.
fn plain(markdown: &str) -> String {
    markdown
        .chars()
        .map(|c| {
            if matches!(c, '#' | '*' | '_' | '`' | '|' | '>' | '[' | ']') {
                ' '
            } else {
                c
            }
        })
        .collect()
}

impl SearchIndex {
    pub fn build(documents: Vec<Document>) -> SearchIndex {
        let mut passages = Vec::new();
        for (index, document) in documents.iter().enumerate() {
            let clauses = crate::clauses(&document.body);
            let preamble_end = clauses
                .first()
                .map_or(document.body.lines().count(), |c| c.line - 1);
            let preamble: String = document
                .body
                .lines()
                .take(preamble_end)
                .collect::<Vec<_>>()
                .join("\n");
            passages.push(Passage {
                document: index,
                clause: None,
                clause_title: None,
                text: format!("{}\n{}", document.title, plain(&preamble)),
                length: 0,
            });
            let titles: HashMap<String, String> = clauses
                .iter()
                .map(|c| (c.number.clone(), c.title.clone()))
                .collect();
            for clause in clauses {
                // A heading with no text of its own (§3 above §3.1 and §3.2) is found
                // through its clauses, which carry its title.
                if clause.text.trim().is_empty() {
                    continue;
                }
                // The titles of the clauses it sits in give a clause its context: §3.1
                // "Fourteen days" is about §3 "Filing window".
                let mut context = String::new();
                let mut number = clause.number.as_str();
                while let Some((parent, _)) = number.rsplit_once('.') {
                    if let Some(title) = titles.get(parent) {
                        context = format!("{title} / {context}");
                    }
                    number = parent;
                }
                passages.push(Passage {
                    document: index,
                    text: format!(
                        "{context}{} {}\n{}",
                        clause.number,
                        clause.title,
                        plain(&clause.text)
                    ),
                    clause: Some(clause.number),
                    clause_title: Some(clause.title),
                    length: 0,
                });
            }
        }
        let mut postings: HashMap<String, Vec<Posting>> = HashMap::new();
        let mut surface: HashMap<String, Vec<String>> = HashMap::new();
        let mut total = 0u64;
        for (id, passage) in passages.iter_mut().enumerate() {
            let stemmer = algorithm(&documents[passage.document].locale).map(Stemmer::create);
            let mut length = 0u32;
            for (position, (_, _, word)) in words(&passage.text).enumerate() {
                let term = match &stemmer {
                    Some(s) => s.stem(&word).into_owned(),
                    None => word.clone(),
                };
                let stems = surface.entry(word).or_default();
                if !stems.contains(&term) {
                    stems.push(term.clone());
                }
                let list = postings.entry(term).or_default();
                match list.last_mut() {
                    Some((p, positions)) if *p == id as u32 => positions.push(position as u32),
                    _ => list.push((id as u32, vec![position as u32])),
                }
                length += 1;
            }
            passage.length = length;
            total += u64::from(length);
        }
        let average_length = total as f64 / passages.len().max(1) as f64;
        let mut by_length: Vec<Vec<(String, Vec<char>, u64)>> = Vec::new();
        for word in surface.keys() {
            let chars: Vec<char> = word.chars().collect();
            if by_length.len() <= chars.len() {
                by_length.resize(chars.len() + 1, Vec::new());
            }
            let mask = letters(&chars);
            by_length[chars.len()].push((word.clone(), chars, mask));
        }
        SearchIndex {
            documents,
            passages,
            postings,
            surface,
            by_length,
            average_length,
        }
    }

    /// The documents indexed, in the order given to [`SearchIndex::build`].
    pub fn documents(&self) -> &[Document] {
        &self.documents
    }

    pub fn len(&self) -> usize {
        self.documents.len()
    }

    pub fn is_empty(&self) -> bool {
        self.documents.is_empty()
    }

    /// The terms a query word stands for: its stems in each language, or, when none is in the
    /// index, the indexed terms one edit away (two for words of more than five letters).
    fn alternatives(&self, word: &str) -> Vec<String> {
        let mut stems: Vec<String> = [
            Algorithm::English,
            Algorithm::French,
            Algorithm::German,
            Algorithm::Spanish,
        ]
        .into_iter()
        .map(|a| Stemmer::create(a).stem(word).into_owned())
        .chain(std::iter::once(word.to_owned()))
        .filter(|t| self.postings.contains_key(t))
        .collect();
        stems.sort();
        stems.dedup();
        if !stems.is_empty() {
            return stems;
        }
        let length = word.chars().count();
        let allowed = if length > 5 {
            2
        } else if length > 2 {
            1
        } else {
            0
        };
        if allowed == 0 {
            return Vec::new();
        }
        let query: Vec<char> = word.chars().collect();
        let query_mask = letters(&query);
        let mut rows = (Vec::new(), Vec::new());
        let mut near: Vec<(usize, &String)> = Vec::new();
        for candidates in self
            .by_length
            .iter()
            .take(length + allowed + 1)
            .skip(length.saturating_sub(allowed))
        {
            for (w, chars, mask) in candidates {
                // Each edit changes at most two of the letters a word holds: words differing
                // in more cannot be near, and are passed over without the full comparison.
                if (query_mask ^ mask).count_ones() as usize > 2 * allowed {
                    continue;
                }
                if let Some(d) = bounded_distance(&query, chars, allowed, &mut rows) {
                    near.push((d, w));
                }
            }
        }
        near.sort();
        // Only the nearest words count: a word one edit away hides those two away.
        let nearest = near.first().map_or(0, |(d, _)| *d);
        let mut terms: Vec<String> = near
            .into_iter()
            .take_while(|(d, _)| *d == nearest)
            .take(4)
            .flat_map(|(_, w)| self.surface[w].iter().cloned())
            .collect();
        terms.sort();
        terms.dedup();
        terms
    }

    /// Searches with a query of words and `"quoted phrases"`; every word and phrase must be in
    /// one passage. Best documents first, at most `limit`.
    pub fn search(
        &self,
        query: &str,
        filter: &SearchFilter,
        limit: usize,
    ) -> Result<Vec<SearchHit>, QueryError> {
        if query.chars().count() > MAX_QUERY_CHARS {
            return Err(QueryError(format!(
                "the query is {} characters long; at most {MAX_QUERY_CHARS} are searched",
                query.chars().count()
            )));
        }
        // Groups of words: a phrase is one group of several, a lone word a group of one.
        let mut groups: Vec<Vec<String>> = Vec::new();
        for (n, part) in query.split('"').enumerate() {
            let part_words: Vec<String> = words(part).map(|(_, _, w)| w).collect();
            if n % 2 == 1 {
                if !part_words.is_empty() {
                    groups.push(part_words);
                }
            } else {
                groups.extend(part_words.into_iter().map(|w| vec![w]));
            }
        }
        let word_count: usize = groups.iter().map(Vec::len).sum();
        if word_count == 0 {
            return Err(QueryError("the query has no words to search for".into()));
        }
        if word_count > MAX_QUERY_WORDS {
            return Err(QueryError(format!(
                "the query has {word_count} words; at most {MAX_QUERY_WORDS} are searched"
            )));
        }
        let allowed: Vec<bool> = self.documents.iter().map(|d| matches(d, filter)).collect();
        let passages = self.passages.len() as f64;
        // Dense per passage: the summed score and how many groups matched; `touched` lists the
        // passages any group matched, so that only they are read back.
        let mut total = vec![0.0f64; self.passages.len()];
        let mut groups_matched = vec![0u8; self.passages.len()];
        let mut in_group = vec![false; self.passages.len()];
        let mut touched: Vec<u32> = Vec::new();
        let mut matched_terms: Vec<String> = Vec::new();
        for group in &groups {
            let alternatives: Vec<Vec<String>> =
                group.iter().map(|w| self.alternatives(w)).collect();
            matched_terms.extend(alternatives.iter().flatten().cloned());
            // Passages holding the group, with the group's score in each.
            let mut found: Vec<u32> = Vec::new();
            // The posting lists of a phrase's later words, looked up once.
            let following: Vec<Vec<&[Posting]>> = alternatives[1..]
                .iter()
                .map(|terms| {
                    terms
                        .iter()
                        .filter_map(|t| self.postings.get(t).map(Vec::as_slice))
                        .collect()
                })
                .collect();
            for term in &alternatives[0] {
                let Some(list) = self.postings.get(term) else {
                    continue;
                };
                let idf =
                    ((passages - list.len() as f64 + 0.5) / (list.len() as f64 + 0.5) + 1.0).ln();
                for (passage, positions) in list {
                    if !allowed[self.passages[*passage as usize].document] {
                        continue;
                    }
                    let hits = if group.len() == 1 {
                        positions.len()
                    } else {
                        // Where each later word occurs in this passage; a passage missing one
                        // is skipped without looking at positions.
                        let mut later: Vec<Vec<&Vec<u32>>> = Vec::with_capacity(following.len());
                        for lists in &following {
                            let here: Vec<&Vec<u32>> = lists
                                .iter()
                                .filter_map(|l| {
                                    l.binary_search_by_key(passage, |(p, _)| *p)
                                        .ok()
                                        .map(|i| &l[i].1)
                                })
                                .collect();
                            if here.is_empty() {
                                break;
                            }
                            later.push(here);
                        }
                        if later.len() < following.len() {
                            continue;
                        }
                        positions
                            .iter()
                            .filter(|&&start| {
                                later.iter().enumerate().all(|(offset, here)| {
                                    let at = start + offset as u32 + 1;
                                    here.iter().any(|p| p.binary_search(&at).is_ok())
                                })
                            })
                            .count()
                    };
                    if hits == 0 {
                        continue;
                    }
                    let length = f64::from(self.passages[*passage as usize].length);
                    let tf = hits as f64;
                    let (k1, b) = (1.2, 0.75);
                    let bm25 = idf * tf * (k1 + 1.0)
                        / (tf + k1 * (1.0 - b + b * length / self.average_length.max(1.0)));
                    let boost = if group.len() > 1 { 2.0 } else { 1.0 };
                    let p = *passage as usize;
                    if groups_matched[p] == 0 && !in_group[p] {
                        touched.push(*passage);
                    }
                    if !in_group[p] {
                        in_group[p] = true;
                        found.push(*passage);
                    }
                    total[p] += bm25 * boost;
                }
            }
            for p in found {
                in_group[p as usize] = false;
                groups_matched[p as usize] += 1;
            }
        }
        // Passages holding every word and phrase; failing that, any of them, best first.
        let every = groups.len() as u8;
        let holds_all = touched.iter().any(|&p| groups_matched[p as usize] == every);
        let scores = touched
            .iter()
            .filter(|&&p| !holds_all || groups_matched[p as usize] == every)
            .map(|&p| (p, total[p as usize]));
        // A document ranks by its best passage.
        let mut best: HashMap<usize, (u32, f64)> = HashMap::new();
        for (passage, score) in scores {
            let document = self.passages[passage as usize].document;
            let entry = best.entry(document).or_insert((passage, score));
            if score > entry.1 || (score == entry.1 && passage < entry.0) {
                *entry = (passage, score);
            }
        }
        let mut ranked: Vec<(usize, u32, f64)> =
            best.into_iter().map(|(d, (p, s))| (d, p, s)).collect();
        ranked.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.1.cmp(&b.1)));
        ranked.truncate(limit);
        Ok(ranked
            .into_iter()
            .map(|(document, passage, score)| {
                let p = &self.passages[passage as usize];
                let d = &self.documents[document];
                SearchHit {
                    document: d.id.clone(),
                    title: d.title.clone(),
                    clause: p.clause.clone(),
                    clause_title: p.clause_title.clone(),
                    score,
                    snippet: snippet(&p.text, &matched_terms, algorithm(&d.locale)),
                }
            })
            .collect())
    }
}

fn matches(d: &Document, f: &SearchFilter) -> bool {
    f.kind.is_none_or(|k| d.kind == k)
        && f.audience.is_none_or(|a| d.audience.contains(&a))
        && f.market
            .as_ref()
            .is_none_or(|m| d.markets.is_empty() || d.markets.contains(m))
        && f.locale.as_ref().is_none_or(|l| d.locale == *l)
        && f.status.is_none_or(|s| d.status == s)
        && f.tag.as_ref().is_none_or(|t| d.tags.contains(t))
}

/// Which letters a word holds, as bits (letters beyond a–z share bits by their code).
fn letters(chars: &[char]) -> u64 {
    chars.iter().fold(0u64, |mask, c| {
        let bit = match c {
            'a'..='z' => *c as u32 - 'a' as u32,
            c => 26 + (*c as u32) % 38,
        };
        mask | (1 << bit)
    })
}

/// Edit distance between `a` and `b` when at most `limit`; `rows` are reused buffers.
fn bounded_distance(
    a: &[char],
    b: &[char],
    limit: usize,
    rows: &mut (Vec<usize>, Vec<usize>),
) -> Option<usize> {
    let (previous, current) = rows;
    previous.clear();
    previous.extend(0..=b.len());
    for (i, ca) in a.iter().enumerate() {
        current.clear();
        current.push(i + 1);
        let mut row_min = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let value = (previous[j] + usize::from(ca != cb))
                .min(previous[j + 1] + 1)
                .min(current[j] + 1);
            row_min = row_min.min(value);
            current.push(value);
        }
        if row_min > limit {
            return None;
        }
        std::mem::swap(previous, current);
    }
    let d = previous[b.len()];
    (d <= limit).then_some(d)
}

/// Up to about 30 words of `text` around its first matched word, HTML-escaped, each matched
/// word in `<mark>`.
fn snippet(text: &str, terms: &[String], algorithm: Option<Algorithm>) -> String {
    let stemmer = algorithm.map(Stemmer::create);
    let all: Vec<(usize, usize, String)> = words(text).collect();
    let is_match = |w: &str| {
        let stem = stemmer
            .as_ref()
            .map_or_else(|| w.to_owned(), |s| s.stem(w).into_owned());
        terms.iter().any(|t| *t == stem || t == w)
    };
    let first = all.iter().position(|(_, _, w)| is_match(w)).unwrap_or(0);
    let from = first.saturating_sub(10);
    let to = (first + 20).min(all.len());
    if all.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    let start = all[from].0;
    let end = all[to - 1].1;
    let mut cursor = start;
    for (s, e, w) in &all[from..to] {
        out.push_str(&escape(&text[cursor..*s]));
        if is_match(w) {
            out.push_str("<mark>");
            out.push_str(&escape(&text[*s..*e]));
            out.push_str("</mark>");
        } else {
            out.push_str(&escape(&text[*s..*e]));
        }
        cursor = *e;
    }
    out.push_str(&escape(&text[cursor..end]));
    if to < all.len() {
        out.push('…');
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn library() -> SearchIndex {
        let mut documents: Vec<Document> = crate::STARTER_LIBRARY
            .iter()
            .map(|(_, text)| crate::parse_document(text).unwrap())
            .collect();
        documents.push(
            crate::parse_document(
                "+++\nid = \"POL-PAIEMENTS-FR\"\nkind = \"policy\"\ntitle = \"Paiements\"\naudience = [\"client\"]\nlocale = \"fr\"\nvariant_of = \"POL-PAYMENTS\"\nowner = \"o\"\nstatus = \"published\"\nmarkets = [\"FR\"]\n+++\n## 2. Payer\n### 2.1 Paiement hors plateforme\nLes paiements en espèces sont interdits.\n",
            )
            .unwrap(),
        );
        SearchIndex::build(documents)
    }

    #[test]
    fn finds_the_clause_stems_and_highlights() {
        let index = library();
        let hits = index
            .search("filing window claims", &SearchFilter::default(), 5)
            .unwrap();
        assert_eq!(hits[0].document, "POL-GUARANTEE");
        assert_eq!(hits[0].clause.as_deref(), Some("3.1"), "{hits:?}");
        assert!(
            hits[0].snippet.contains("<mark>filed</mark>"),
            "{}",
            hits[0].snippet
        );
        // French stemming: "paiement" finds "paiements".
        let hits = index
            .search("paiement espèce", &SearchFilter::default(), 5)
            .unwrap();
        assert_eq!(hits[0].document, "POL-PAIEMENTS-FR", "{hits:?}");
        assert_eq!(hits[0].clause.as_deref(), Some("2.1"));
    }

    #[test]
    fn phrases_typos_and_filters() {
        let index = library();
        let phrase = index
            .search("\"payment apps\"", &SearchFilter::default(), 5)
            .unwrap();
        assert!(
            phrase
                .iter()
                .any(|h| h.document == "POL-PAYMENTS" && h.clause.as_deref() == Some("2.1")),
            "{phrase:?}"
        );
        assert!(
            index
                .search("\"apps payment\"", &SearchFilter::default(), 5)
                .unwrap()
                .is_empty()
        );
        // One letter off, and two in a longer word.
        let typo = index
            .search("chargebak", &SearchFilter::default(), 5)
            .unwrap();
        assert_eq!(typo[0].document, "POL-PAYMENTS", "{typo:?}");
        let typo = index
            .search("verificaton", &SearchFilter::default(), 5)
            .unwrap();
        assert!(!typo.is_empty());
        let french_only = SearchFilter {
            locale: Some("fr".into()),
            ..SearchFilter::default()
        };
        let hits = index.search("payment", &french_only, 5).unwrap();
        assert!(
            hits.iter().all(|h| h.document == "POL-PAIEMENTS-FR"),
            "{hits:?}"
        );
        let standards = SearchFilter {
            kind: Some(Kind::Standard),
            ..SearchFilter::default()
        };
        let hits = index.search("reviews", &standards, 5).unwrap();
        assert!(hits.iter().all(|h| h.document == "STD-COMMUNITY") && !hits.is_empty());
    }

    #[test]
    fn odd_queries_get_clear_errors_and_run_nothing() {
        let index = library();
        let long = "a".repeat(10_000);
        assert!(
            index
                .search(&long, &SearchFilter::default(), 5)
                .unwrap_err()
                .0
                .contains("10000 characters")
        );
        assert!(
            index
                .search("\"\" *** ()", &SearchFilter::default(), 5)
                .unwrap_err()
                .0
                .contains("no words")
        );
        for odd in [
            "AND OR NOT",
            "title:foo",
            "(claim",
            "\"unclosed phrase",
            "<script>",
            "claim*",
        ] {
            assert!(
                index.search(odd, &SearchFilter::default(), 5).is_ok(),
                "{odd}"
            );
        }
        let hits = index
            .search("<script> claims", &SearchFilter::default(), 5)
            .unwrap();
        assert!(hits.iter().all(|h| !h.snippet.contains("<script>")));
    }
}
