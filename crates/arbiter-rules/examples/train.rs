//! Trains the message classifier from `classifier/corpus.tsv`, writes `classifier/model.bin`,
//! and prints its quality on the held-out split and its cost per message.
//!
//! ```sh
//! cargo run -p arbiter-rules --example train --release            # train, write, evaluate
//! cargo run -p arbiter-rules --example train --release -- --check # evaluate the built-in model
//! ```
//!
//! `--threshold 0.5` sets the threshold of the evaluation (the starter pack's).

use std::path::PathBuf;
use std::time::Instant;

use arbiter_rules::classify::{self, Label, Model};

fn main() {
    let mut threshold = 0.5;
    let mut check = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--threshold" => {
                threshold = args
                    .next()
                    .and_then(|t| t.parse().ok())
                    .expect("--threshold takes a number")
            }
            "--check" => check = true,
            other => panic!("unknown argument {other}"),
        }
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("classifier");
    let corpus = std::fs::read_to_string(dir.join("corpus.tsv")).expect("read corpus.tsv");
    let samples = classify::parse_corpus(&corpus).expect("a valid corpus");
    let (test, train) = samples.iter().partition::<Vec<_>, _>(|s| s.test);
    println!(
        "corpus: {} messages, {} for training, {} held out",
        samples.len(),
        train.len(),
        test.len()
    );
    let model = if check {
        Model::decode(&std::fs::read(dir.join("model.bin")).expect("read model.bin"))
            .expect("a valid model")
    } else {
        let started = Instant::now();
        let model = classify::train(&samples);
        let bytes = model.encode();
        std::fs::write(dir.join("model.bin"), &bytes).expect("write model.bin");
        println!(
            "trained in {:.2} s, model.bin {} bytes",
            started.elapsed().as_secs_f64(),
            bytes.len()
        );
        Model::decode(&bytes).expect("the model just written decodes")
    };

    println!("\nheld-out split, threshold {threshold}:\n");
    println!("| label | language | positives | negatives | precision | recall | false positives |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    let rows = classify::evaluate(&model, &samples, threshold);
    for label in Label::ALL {
        let mut total = classify::Quality::default();
        for (_, language, q) in rows.iter().filter(|(l, ..)| *l == label) {
            println!(
                "| `{}` | {language} | {} | {} | {:.1}% | {:.1}% | {:.2}% ({}) |",
                label.as_str(),
                q.positives,
                q.negatives,
                q.precision() * 100.0,
                q.recall() * 100.0,
                q.false_positive_rate() * 100.0,
                q.false_positives
            );
            total.positives += q.positives;
            total.negatives += q.negatives;
            total.true_positives += q.true_positives;
            total.false_positives += q.false_positives;
        }
        println!(
            "| `{}` | **all** | {} | {} | {:.1}% | {:.1}% | {:.2}% ({}) |",
            label.as_str(),
            total.positives,
            total.negatives,
            total.precision() * 100.0,
            total.recall() * 100.0,
            total.false_positive_rate() * 100.0,
            total.false_positives
        );
    }

    // The messages the issue quoted, with what weighed most.
    println!();
    for text in [
        "whatsapp me, pay directly, no fees",
        "call me +44 7700 900123 we can settle offline",
        "bank transfer is fine, let's skip the platform",
        "don't book through the site, just pay me directly",
        "pagami in contanti, scrivimi al 333 1234567",
        "please pay through the app as usual",
    ] {
        let label = Label::OffPlatformPayment;
        let words: Vec<String> = model
            .explain(label, text, 5)
            .iter()
            .map(|(w, x)| format!("{w:?} +{x:.2}"))
            .collect();
        println!(
            "{:.3} {text:?}: {}",
            model.score(label, text),
            words.join(", ")
        );
    }

    // Misses and false alarms, to read.
    println!();
    for sample in samples.iter().filter(|s| s.test) {
        for label in Label::ALL {
            let p = model.score(label, &sample.text);
            let positive = sample.labels.contains(&label);
            if positive != (p >= threshold) {
                println!(
                    "{} {} {:.3} [{}] {}",
                    if positive { "missed" } else { "false alarm" },
                    label.as_str(),
                    p,
                    sample.language,
                    sample.text
                );
            }
        }
    }

    // Cost per message: every held-out message, many times, one label.
    let texts: Vec<&str> = test.iter().map(|s| s.text.as_str()).collect();
    let started = Instant::now();
    let mut words = 0;
    for _ in 0..200 {
        for text in &texts {
            words += classify::normalize(text).words.len();
        }
    }
    println!(
        "normalisation alone: {:.0} ns per message ({words} words)",
        started.elapsed().as_secs_f64() / (200 * texts.len()) as f64 * 1e9
    );
    let bytes: usize = texts.iter().map(|t| t.len()).sum();
    let rounds = 200;
    let started = Instant::now();
    let mut sink = 0.0;
    for _ in 0..rounds {
        for text in &texts {
            sink += model.score(Label::OffPlatformPayment, text);
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let n = (rounds * texts.len()) as f64;
    println!(
        "\ncost: {:.0} ns per message ({:.1} MB/s of text, mean {} bytes), checksum {sink:.1}",
        elapsed / n * 1e9,
        (rounds * bytes) as f64 / elapsed / 1e6,
        bytes / texts.len().max(1)
    );
}
