//! A small multilingual text classifier for chat messages: the probability that a message asks
//! to be paid off the platform (`off_platform_payment`) or shares a way to be reached outside it
//! (`contact_sharing`).
//!
//! The model is a logistic regression per label over hashed features of a normalised text:
//! word unigrams and bigrams and character 3- to 5-grams. Normalisation lowercases, folds
//! accents, collapses repeated letters, joins spelled-out letters ("w h a t s a p p",
//! "v.e.n.m.o"), reads leetspeak inside words ("v3nmo", "ca$h"), turns runs of number words
//! into digits ("five five five", "seis uno dos") and every digit into `0`, so a rewording, a
//! typo or a disguise lands near what the model learned.
//!
//! The weights are trained by `cargo run -p arbiter-rules --example train --release` from
//! `classifier/corpus.tsv` (deterministic: the same corpus gives the same bytes) and built into
//! the binary from `classifier/model.bin`; they are decoded once, on first use.

use std::sync::LazyLock;

/// What the classifier can recognise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Label {
    OffPlatformPayment,
    ContactSharing,
}

impl Label {
    pub const ALL: [Label; 2] = [Label::OffPlatformPayment, Label::ContactSharing];

    pub fn as_str(self) -> &'static str {
        match self {
            Label::OffPlatformPayment => "off_platform_payment",
            Label::ContactSharing => "contact_sharing",
        }
    }

    pub fn parse(name: &str) -> Option<Label> {
        Label::ALL.into_iter().find(|l| l.as_str() == name)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Number of hash buckets of the feature space (2^18).
pub const BUCKET_BITS: u32 = 18;
const BUCKETS: usize = 1 << BUCKET_BITS;
/// Weights are stored and held as multiples of 1/1024.
const SCALE: f32 = 1024.0;
const MAGIC: &[u8; 8] = b"ARBCLS1\n";

/// The built-in model.
static MODEL: LazyLock<Model> = LazyLock::new(|| {
    Model::decode(include_bytes!("../classifier/model.bin"))
        .expect("classifier/model.bin is written by the train example and checked by tests")
});

/// The probability, 0 to 1, that `text` carries `label`, by the built-in model.
pub fn score(label: Label, text: &str) -> f64 {
    MODEL.score(label, text)
}

/// The words and phrases that weighed most towards `label`, strongest first, at most `n`.
pub fn explain(label: Label, text: &str, n: usize) -> Vec<(String, f64)> {
    MODEL.explain(label, text, n)
}

// ---------------------------------------------------------------------------------------------
// Normalisation

/// A normalised text: its words separated by single spaces, with a space at each end, and
/// where each word lies in it.
#[derive(Debug, Clone, Default)]
pub struct Normalized {
    pub text: String,
    pub words: Vec<(u32, u32)>,
}

impl Normalized {
    pub fn word(&self, i: usize) -> &str {
        let (s, e) = self.words[i];
        &self.text[s as usize..e as usize]
    }
}

/// Number words of English, French, German, Spanish and Italian (accents folded): a run of
/// three or more of them (or of them and digits) is read as digits.
fn is_number_word(word: &str) -> bool {
    word.len() >= 2
        && word.len() <= 7
        && matches!(
            word,
            "zero"
                | "oh"
                | "one"
                | "two"
                | "three"
                | "four"
                | "five"
                | "six"
                | "seven"
                | "eight"
                | "nine"
                | "un"
                | "une"
                | "deux"
                | "trois"
                | "quatre"
                | "cinq"
                | "sept"
                | "huit"
                | "neuf"
                | "null"
                | "eins"
                | "ein"
                | "eine"
                | "zwei"
                | "zwo"
                | "drei"
                | "vier"
                | "funf"
                | "sechs"
                | "sieben"
                | "acht"
                | "neun"
                | "cero"
                | "uno"
                | "dos"
                | "tres"
                | "cuatro"
                | "cinco"
                | "seis"
                | "siete"
                | "ocho"
                | "nueve"
                | "due"
                | "tre"
                | "quattro"
                | "cinque"
                | "sei"
                | "sette"
                | "otto"
                | "nove"
                | "double"
        )
}

/// A lowercase, accent-folded character, or none for one without a folded form.
fn fold(c: char, out: &mut String) {
    let mapped = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ą' => 'a',
        'ç' | 'ć' | 'č' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'ī' => 'i',
        'ñ' | 'ń' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => 'u',
        'ý' | 'ÿ' => 'y',
        'ś' | 'š' => 's',
        'ź' | 'ż' | 'ž' => 'z',
        'ł' => 'l',
        'ř' => 'r',
        'ß' => {
            out.push_str("ss");
            return;
        }
        'œ' => {
            out.push_str("oe");
            return;
        }
        'æ' => {
            out.push_str("ae");
            return;
        }
        other => other,
    };
    out.push(mapped);
}

fn leet(b: u8) -> Option<u8> {
    Some(match b {
        b'0' => b'o',
        b'1' => b'i',
        b'3' => b'e',
        b'4' => b'a',
        b'5' => b's',
        b'7' => b't',
        b'8' => b'b',
        b'$' => b's',
        _ => return None,
    })
}

/// Lowercases, folds accents and reads through the usual disguises; see the module's text.
pub fn normalize(text: &str) -> Normalized {
    // 1. Lowercase, fold, and cut into tokens: runs of letters, digits and `$` (after a
    //    letter or digit); `@`, `+` and currency signs are tokens of their own; everything
    //    else separates. A letter repeated more than twice is kept twice: "pleeease".
    let mut buf: Vec<u8> = Vec::with_capacity(text.len() + 8);
    let mut tokens: Vec<(usize, usize)> = Vec::with_capacity(text.len() / 3 + 1);
    let mut start = 0usize;
    let mut scratch = String::new();
    let push_char =
        |c: char, buf: &mut Vec<u8>, tokens: &mut Vec<(usize, usize)>, start: &mut usize| {
            let in_token = buf.len() > *start;
            if c.is_alphanumeric() || (c == '$' && in_token) {
                if c.is_alphabetic() {
                    let tail = &buf[*start..];
                    if c.is_ascii()
                        && tail.len() >= 2
                        && tail[tail.len() - 1] == c as u8
                        && tail[tail.len() - 2] == c as u8
                    {
                        return;
                    }
                }
                buf.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            } else {
                if in_token {
                    tokens.push((*start, buf.len()));
                }
                if matches!(c, '@' | '+' | '€' | '$' | '£') {
                    let s = buf.len();
                    buf.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                    tokens.push((s, buf.len()));
                }
                *start = buf.len();
            }
        };
    for c in text.chars() {
        if c.is_ascii() {
            push_char(c.to_ascii_lowercase(), &mut buf, &mut tokens, &mut start);
        } else {
            for l in c.to_lowercase() {
                scratch.clear();
                fold(l, &mut scratch);
                for f in scratch.chars() {
                    push_char(f, &mut buf, &mut tokens, &mut start);
                }
            }
        }
    }
    if buf.len() > start {
        tokens.push((start, buf.len()));
    }

    // 2. Leetspeak inside words: a digit (or `$`) after a letter reads as the letter it looks
    //    like ("v3nmo", "wh4tsapp", "ca$h"); "4b", "3rd" and "9h" stay numbers, and every
    //    other digit becomes 0. ASCII for ASCII, so in place.
    for &(s, e) in &tokens {
        let token = &mut buf[s..e];
        let mut seen_letter = false;
        let mut is_leet = false;
        for &b in token.iter() {
            if b.is_ascii_alphabetic() || b >= 0x80 {
                seen_letter = true;
            } else if seen_letter && leet(b).is_some() {
                is_leet = true;
                break;
            }
        }
        for b in token.iter_mut() {
            if is_leet {
                if let Some(l) = leet(*b) {
                    *b = l;
                }
            } else if b.is_ascii_digit() {
                *b = b'0';
            }
        }
    }

    // 3. Runs of three or more number words or digit groups are digits; runs of three or more
    //    one-character words are one word: "w h a t s a p p", "0 6 1 2".
    let word = |i: usize| &buf[tokens[i].0..tokens[i].1];
    let numeric =
        |t: &[u8]| std::str::from_utf8(t).is_ok_and(is_number_word) || t.iter().all(|b| *b == b'0');
    // One character: one ASCII letter or digit, or one letter of two bytes ("é" is folded,
    // but "ж" is not).
    let single = |t: &[u8]| match t {
        [b] => b.is_ascii_alphanumeric(),
        [a, _] => *a >= 0xc0,
        _ => false,
    };
    let mut text: Vec<u8> = Vec::with_capacity(buf.len() + tokens.len() + 2);
    let mut words: Vec<(u32, u32)> = Vec::with_capacity(tokens.len());
    text.push(b' ');
    let mut i = 0;
    while i < tokens.len() {
        let begin = text.len() as u32;
        let mut j = i;
        while j < tokens.len() && numeric(word(j)) {
            j += 1;
        }
        if j - i >= 3 {
            // One word of digits, number words read as 0.
            for k in i..j {
                let w = word(k);
                let number = std::str::from_utf8(w).is_ok_and(is_number_word);
                text.extend_from_slice(if number { b"0" } else { w });
            }
            i = j;
        } else {
            j = i;
            while j < tokens.len() && single(word(j)) {
                j += 1;
            }
            if j - i >= 3 {
                for k in i..j {
                    text.extend_from_slice(word(k));
                }
                i = j;
            } else {
                text.extend_from_slice(word(i));
                i += 1;
            }
        }
        words.push((begin, text.len() as u32));
        text.push(b' ');
    }
    Normalized {
        // Whole characters were copied, and ASCII replaced by ASCII: still UTF-8.
        text: String::from_utf8(text).unwrap_or_default(),
        words,
    }
}

// ---------------------------------------------------------------------------------------------
// Features

/// Where a feature came from, for explanations.
#[derive(Debug, Clone, Copy)]
enum Origin {
    Word(usize),
    Bigram(usize),
    /// A character n-gram: its byte range in the normalised text.
    Chars(u32, u32),
}

const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv(seed: u64, bytes: &[u8]) -> u64 {
    let mut h = seed;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

fn bucket(hash: u64) -> usize {
    // Fold the high bits in: FNV's low bits mix poorly.
    ((hash ^ (hash >> 29) ^ (hash >> 47)) as usize) & (BUCKETS - 1)
}

const SEED_WORD: u64 = 0xcbf2_9ce4_8422_2325;
const SEED_BIGRAM: u64 = 0x9e37_79b9_7f4a_7c15;
const SEED_CHARS: u64 = 0x6a09_e667_f3bc_c908;

/// Calls `f` with the bucket of every feature of a normalised text, in a fixed order.
fn each_feature(norm: &Normalized, mut f: impl FnMut(usize, Origin)) {
    let text = norm.text.as_bytes();
    for (i, &(s, e)) in norm.words.iter().enumerate() {
        f(
            bucket(fnv(SEED_WORD, &text[s as usize..e as usize])),
            Origin::Word(i),
        );
        if let Some(&(_, next_end)) = norm.words.get(i + 1) {
            f(
                bucket(fnv(SEED_BIGRAM, &text[s as usize..next_end as usize])),
                Origin::Bigram(i),
            );
        }
    }
    // Character 3- to 5-grams over the padded text, spaces included, so that "pay me" and
    // "payme" share most of theirs.
    for start in 0..text.len() {
        if !is_char_start(text[start]) {
            continue;
        }
        let mut h = SEED_CHARS;
        let mut chars = 0;
        let mut end = start;
        while end < text.len() && chars < 5 {
            // Hash one whole character.
            h ^= text[end] as u64;
            h = h.wrapping_mul(FNV_PRIME);
            end += 1;
            while end < text.len() && !is_char_start(text[end]) {
                h ^= text[end] as u64;
                h = h.wrapping_mul(FNV_PRIME);
                end += 1;
            }
            chars += 1;
            if chars >= 3 {
                f(bucket(h), Origin::Chars(start as u32, end as u32));
            }
        }
    }
}

fn is_char_start(b: u8) -> bool {
    (b as i8) >= -0x40
}

/// The features of a text as (bucket, value) pairs, repeated buckets summed, and their number.
/// Each occurrence weighs 1/√n, n the number of occurrences, so long and short messages score
/// on the same scale.
fn vectorize(norm: &Normalized) -> Vec<(u32, f32)> {
    let mut buckets: Vec<u32> = Vec::with_capacity(norm.text.len() * 3 + norm.words.len() * 2);
    each_feature(norm, |b, _| buckets.push(b as u32));
    let value = 1.0 / (buckets.len().max(1) as f32).sqrt();
    buckets.sort_unstable();
    let mut out: Vec<(u32, f32)> = Vec::with_capacity(buckets.len());
    for b in buckets {
        match out.last_mut() {
            Some((last, v)) if *last == b => *v += value,
            _ => out.push((b, value)),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The model

/// Weights of every label, as multiples of 1/1024.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    labels: Vec<LabelWeights>,
}

#[derive(Debug, Clone, PartialEq)]
struct LabelWeights {
    label: Label,
    bias: i32,
    weights: Vec<i16>,
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

impl Model {
    fn weights(&self, label: Label) -> &LabelWeights {
        &self.labels[label.index()]
    }

    /// The probability that `text` carries `label`.
    pub fn score(&self, label: Label, text: &str) -> f64 {
        let norm = normalize(text);
        let w = &self.weights(label).weights;
        let mut sum: i64 = 0;
        let mut n: u32 = 0;
        each_feature(&norm, |b, _| {
            sum += w[b] as i64;
            n += 1;
        });
        let z = self.weights(label).bias as f64 / SCALE as f64
            + sum as f64 / SCALE as f64 / (n.max(1) as f64).sqrt();
        sigmoid(z)
    }

    /// The words and two-word phrases (of the normalised text) that pushed most towards the
    /// label, strongest first: each character n-gram's weight is shared among the words it
    /// overlaps.
    pub fn explain(&self, label: Label, text: &str, n: usize) -> Vec<(String, f64)> {
        let norm = normalize(text);
        let w = &self.weights(label).weights;
        let mut per_word = vec![0.0f64; norm.words.len()];
        let mut per_bigram = vec![0.0f64; norm.words.len()];
        let mut count = 0u32;
        each_feature(&norm, |b, origin| {
            count += 1;
            let weight = w[b] as f64 / SCALE as f64;
            match origin {
                Origin::Word(i) => per_word[i] += weight,
                Origin::Bigram(i) => per_bigram[i] += weight,
                Origin::Chars(s, e) => {
                    let overlapping: Vec<usize> = norm
                        .words
                        .iter()
                        .enumerate()
                        .filter(|(_, (ws, we))| *ws < e && *we > s)
                        .map(|(i, _)| i)
                        .collect();
                    for &i in &overlapping {
                        per_word[i] += weight / overlapping.len() as f64;
                    }
                }
            }
        });
        let value = 1.0 / (count.max(1) as f64).sqrt();
        let mut items: Vec<(String, f64)> = Vec::new();
        let mut add = |text: String, weight: f64| match items.iter_mut().find(|(t, _)| *t == text) {
            Some((_, w)) => *w += weight,
            None => items.push((text, weight)),
        };
        for (i, weight) in per_word.iter().enumerate() {
            add(norm.word(i).to_owned(), weight * value);
        }
        for (i, weight) in per_bigram.iter().enumerate() {
            if i + 1 < norm.words.len() {
                add(
                    format!("{} {}", norm.word(i), norm.word(i + 1)),
                    weight * value,
                );
            }
        }
        items.retain(|(_, w)| *w > 0.0);
        items.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        items.truncate(n);
        items
    }

    /// The model file: a magic line, then per label its name, bias and the non-zero weights
    /// (index gaps as LEB128, weights as little-endian i16).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&BUCKET_BITS.to_le_bytes());
        out.push(self.labels.len() as u8);
        for lw in &self.labels {
            let name = lw.label.as_str().as_bytes();
            out.push(name.len() as u8);
            out.extend_from_slice(name);
            out.extend_from_slice(&lw.bias.to_le_bytes());
            let nonzero: Vec<(usize, i16)> = lw
                .weights
                .iter()
                .enumerate()
                .filter(|(_, w)| **w != 0)
                .map(|(i, w)| (i, *w))
                .collect();
            out.extend_from_slice(&(nonzero.len() as u32).to_le_bytes());
            let mut previous = 0usize;
            for (i, w) in nonzero {
                let mut gap = (i - previous) as u32;
                previous = i;
                loop {
                    let byte = (gap & 0x7f) as u8;
                    gap >>= 7;
                    if gap == 0 {
                        out.push(byte);
                        break;
                    }
                    out.push(byte | 0x80);
                }
                out.extend_from_slice(&w.to_le_bytes());
            }
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Result<Model, String> {
        let mut at = 0usize;
        let mut take = |n: usize| -> Result<&[u8], String> {
            let slice = bytes
                .get(at..at + n)
                .ok_or_else(|| "the model file ends early".to_owned())?;
            at += n;
            Ok(slice)
        };
        if take(8)? != MAGIC {
            return Err("not a classifier model".into());
        }
        let bits = u32::from_le_bytes(take(4)?.try_into().unwrap());
        if bits != BUCKET_BITS {
            return Err(format!(
                "the model has 2^{bits} buckets, not 2^{BUCKET_BITS}"
            ));
        }
        let count = take(1)?[0] as usize;
        let mut labels: Vec<LabelWeights> = Vec::new();
        for _ in 0..count {
            let len = take(1)?[0] as usize;
            let name = std::str::from_utf8(take(len)?).map_err(|e| e.to_string())?;
            let label = Label::parse(name).ok_or_else(|| format!("unknown label {name:?}"))?;
            let bias = i32::from_le_bytes(take(4)?.try_into().unwrap());
            let nonzero = u32::from_le_bytes(take(4)?.try_into().unwrap());
            let mut weights = vec![0i16; BUCKETS];
            let mut index = 0usize;
            for _ in 0..nonzero {
                let mut gap = 0u32;
                let mut shift = 0;
                loop {
                    let byte = take(1)?[0];
                    gap |= ((byte & 0x7f) as u32) << shift;
                    shift += 7;
                    if byte & 0x80 == 0 {
                        break;
                    }
                    if shift > 28 {
                        return Err("a malformed index".into());
                    }
                }
                index += gap as usize;
                let w = i16::from_le_bytes(take(2)?.try_into().unwrap());
                *weights
                    .get_mut(index)
                    .ok_or_else(|| "an index out of range".to_owned())? = w;
            }
            labels.push(LabelWeights {
                label,
                bias,
                weights,
            });
        }
        labels.sort_by_key(|l| l.label.index());
        if labels.iter().map(|l| l.label).collect::<Vec<_>>() != Label::ALL {
            return Err("the model must hold every label once".into());
        }
        Ok(Model { labels })
    }
}

// ---------------------------------------------------------------------------------------------
// Training and evaluation

/// One line of the corpus: `text<TAB>labels<TAB>language<TAB>split`, labels comma-separated
/// or `-` for none, split `train` or `test`.
#[derive(Debug, Clone)]
pub struct Sample {
    pub text: String,
    pub labels: Vec<Label>,
    pub language: String,
    pub test: bool,
}

/// Reads the corpus; `#` lines and blank lines are skipped.
pub fn parse_corpus(corpus: &str) -> Result<Vec<Sample>, String> {
    let mut samples = Vec::new();
    for (n, line) in corpus.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [text, labels, language, split] = fields[..] else {
            return Err(format!("line {}: expected 4 tab-separated fields", n + 1));
        };
        let labels = if labels == "-" {
            Vec::new()
        } else {
            labels
                .split(',')
                .map(|l| Label::parse(l).ok_or_else(|| format!("line {}: label {l:?}", n + 1)))
                .collect::<Result<_, _>>()?
        };
        let test = match split {
            "train" => false,
            "test" => true,
            other => return Err(format!("line {}: split {other:?}", n + 1)),
        };
        samples.push(Sample {
            text: text.to_owned(),
            labels,
            language: language.to_owned(),
            test,
        });
    }
    Ok(samples)
}

/// The training's settings; fixed, so the same corpus always gives the same model.
const EPOCHS: usize = 24;
const LEARNING_RATE: f32 = 0.6;
const L2: f32 = 1e-6;
const POSITIVE_WEIGHT: f32 = 1.5;
const SEED: u64 = 0x0005_eed0_fa4b_17e4;

/// Trains a model on the `train` samples: per label, logistic regression by stochastic gradient
/// descent, samples visited in an order drawn from a fixed seed.
pub fn train(samples: &[Sample]) -> Model {
    let train: Vec<&Sample> = samples.iter().filter(|s| !s.test).collect();
    let vectors: Vec<Vec<(u32, f32)>> = train
        .iter()
        .map(|s| vectorize(&normalize(&s.text)))
        .collect();
    let mut labels = Vec::new();
    for label in Label::ALL {
        let targets: Vec<f32> = train
            .iter()
            .map(|s| if s.labels.contains(&label) { 1.0 } else { 0.0 })
            .collect();
        let mut weights = vec![0f32; BUCKETS];
        let mut bias = 0f32;
        let mut order: Vec<usize> = (0..train.len()).collect();
        let mut rng = SEED ^ (label.index() as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let mut step = 0usize;
        for _ in 0..EPOCHS {
            // Fisher–Yates with xorshift64*.
            for i in (1..order.len()).rev() {
                rng ^= rng >> 12;
                rng ^= rng << 25;
                rng ^= rng >> 27;
                let r = rng.wrapping_mul(0x2545_f491_4f6c_dd1d);
                order.swap(i, (r % (i as u64 + 1)) as usize);
            }
            for &k in &order {
                let rate = LEARNING_RATE / (1.0 + step as f32 / train.len() as f32 / 4.0);
                step += 1;
                let x = &vectors[k];
                let z = bias + x.iter().map(|&(b, v)| weights[b as usize] * v).sum::<f32>();
                let p = 1.0 / (1.0 + (-z).exp());
                // Positives are rarer than ordinary messages and costlier to miss.
                let g = (p - targets[k])
                    * if targets[k] > 0.5 {
                        POSITIVE_WEIGHT
                    } else {
                        1.0
                    };
                bias -= rate * g * 0.1;
                for &(b, v) in x {
                    let w = &mut weights[b as usize];
                    *w -= rate * (g * v + L2 * *w);
                }
            }
        }
        let quantize = |w: f32| (w * SCALE).round().clamp(i16::MIN as f32, i16::MAX as f32) as i16;
        labels.push(LabelWeights {
            label,
            bias: (bias * SCALE).round() as i32,
            weights: weights.into_iter().map(quantize).collect(),
        });
    }
    Model { labels }
}

/// Precision, recall and false-positive rate of one label on one group of samples.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Quality {
    pub positives: usize,
    pub negatives: usize,
    pub true_positives: usize,
    pub false_positives: usize,
}

impl Quality {
    pub fn precision(&self) -> f64 {
        let flagged = self.true_positives + self.false_positives;
        if flagged == 0 {
            1.0
        } else {
            self.true_positives as f64 / flagged as f64
        }
    }

    pub fn recall(&self) -> f64 {
        if self.positives == 0 {
            1.0
        } else {
            self.true_positives as f64 / self.positives as f64
        }
    }

    pub fn false_positive_rate(&self) -> f64 {
        if self.negatives == 0 {
            0.0
        } else {
            self.false_positives as f64 / self.negatives as f64
        }
    }
}

/// The model's quality on the `test` samples at `threshold`, per (label, language).
pub fn evaluate(
    model: &Model,
    samples: &[Sample],
    threshold: f64,
) -> Vec<(Label, String, Quality)> {
    let mut out: Vec<(Label, String, Quality)> = Vec::new();
    for sample in samples.iter().filter(|s| s.test) {
        for label in Label::ALL {
            let flagged = model.score(label, &sample.text) >= threshold;
            let positive = sample.labels.contains(&label);
            let q = match out
                .iter_mut()
                .position(|(l, lang, _)| *l == label && *lang == sample.language)
            {
                Some(i) => &mut out[i].2,
                None => {
                    out.push((label, sample.language.clone(), Quality::default()));
                    &mut out.last_mut().unwrap().2
                }
            };
            if positive {
                q.positives += 1;
                q.true_positives += flagged as usize;
            } else {
                q.negatives += 1;
                q.false_positives += flagged as usize;
            }
        }
    }
    out.sort_by(|a, b| (a.0.index(), &a.1).cmp(&(b.0.index(), &b.1)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let n = normalize(text);
        (0..n.words.len()).map(|i| n.word(i).to_owned()).collect()
    }

    #[test]
    fn normalisation_reads_through_disguises() {
        assert_eq!(
            words("Pagá DIRECTEMENT, ñandú Straße"),
            ["paga", "directement", "nandu", "strasse"]
        );
        assert_eq!(words("w h a t s a p p me"), ["whatsapp", "me"]);
        assert_eq!(words("v.e.n.m.o"), ["venmo"]);
        assert_eq!(
            words("p4y v3nmo ca$h wh4tsapp"),
            ["pay", "venmo", "cash", "whatsapp"]
        );
        assert_eq!(words("pleeeease"), ["pleease"]);
        // Numbers stay numbers, each digit 0; number words in a run are digits.
        assert_eq!(
            words("code 4B, 3rd floor at 9h"),
            ["code", "0b", "0rd", "floor", "at", "0h"]
        );
        // Three or more groups of digits are one number, however they are spaced.
        assert_eq!(words("+44 7700 900123"), ["+", "000000000000"]);
        assert_eq!(words("at 10 or 11"), ["at", "00", "or", "00"]);
        assert_eq!(words("five five five one two three four"), ["0000000"]);
        assert_eq!(words("seis uno dos, tres cuatro cinco"), ["000000"]);
        assert_eq!(words("null eins fünf eins"), ["0000"]);
        // One number word is a word.
        assert_eq!(words("one two"), ["one", "two"]);
        assert_eq!(words("john@gmail.com"), ["john", "@", "gmail", "com"]);
        assert_eq!(words(""), Vec::<String>::new());
        assert_eq!(normalize("Hi there").text, " hi there ");
    }

    #[test]
    fn the_model_flags_rewordings_and_spares_hard_negatives() {
        for text in [
            "whatsapp me, pay directly, no fees",
            "call me +44 7700 900123 we can settle offline",
            "bank transfer is fine, let's skip the platform",
            "don't book through the site, just pay me directly",
            "pagami in contanti, scrivimi al 333 1234567",
        ] {
            let p = score(Label::OffPlatformPayment, text);
            assert!(p >= 0.5, "{text}: {p}");
        }
        for text in [
            "call me +44 7700 900123 we can settle offline",
            "pagami in contanti, scrivimi al 333 1234567",
            "Text me at +1 415 555 0199",
        ] {
            let p = score(Label::ContactSharing, text);
            assert!(p >= 0.5, "{text}: {p}");
        }
        for text in [
            "please pay through the app as usual",
            "I left the cash you forgot on the counter",
            "my phone number is on my profile, message me in the app",
            "The job is at 14 Rue de Rivoli, 75004 Paris, 2nd floor",
            "Hi! I'll be there at 9 tomorrow, the code is 4B.",
            "Bitte wie immer über die App bezahlen.",
        ] {
            for label in Label::ALL {
                let p = score(label, text);
                assert!(p < 0.5, "{} on {text}: {p}", label.as_str());
            }
        }
    }

    #[test]
    fn explanations_name_the_words_that_weighed() {
        let words = explain(
            Label::OffPlatformPayment,
            "whatsapp me, pay directly, no fees",
            5,
        );
        assert!(!words.is_empty() && words.len() <= 5);
        assert!(words.windows(2).all(|w| w[0].1 >= w[1].1));
        assert!(words.iter().all(|(_, w)| *w > 0.0));
        let named: Vec<&str> = words.iter().map(|(w, _)| w.as_str()).collect();
        assert!(
            named
                .iter()
                .any(|w| w.contains("directly") || w.contains("fees")),
            "{named:?}"
        );
    }

    #[test]
    fn training_is_deterministic_and_gives_the_committed_model() {
        let samples = parse_corpus(include_str!("../classifier/corpus.tsv")).unwrap();
        let model = train(&samples);
        let bytes = model.encode();
        assert!(
            bytes == include_bytes!("../classifier/model.bin"),
            "classifier/model.bin is not what the corpus trains: run \
             `cargo run -p arbiter-rules --example train --release`"
        );
        assert_eq!(Model::decode(&bytes).unwrap(), model);
    }

    #[test]
    fn a_damaged_model_file_is_refused() {
        let bytes = include_bytes!("../classifier/model.bin");
        assert!(Model::decode(&bytes[..bytes.len() / 2]).is_err());
        assert!(Model::decode(b"not a model").is_err());
        let corpus_error = parse_corpus("a message\toff_platform\ten\ttrain\n").unwrap_err();
        assert!(corpus_error.contains("line 1"), "{corpus_error}");
    }
}
