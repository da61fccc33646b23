//! CPU-heavy work of requests (checking and compiling rule text, running a ruleset's examples)
//! runs here, off the async workers, so that a slow or hostile request cannot stall the others
//! (`/healthz` included): a fixed set of threads, one per core, takes jobs in turn from a queue.
//! The threads have large stacks, because the parsers recurse up to their nesting limits and a
//! debug build's frames are several times a release build's.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};

use arbiter_rules::{Diagnostic, ExampleOutcome, Ruleset};

/// Stack of each thread of the pool: far more than the rule compiler needs at its nesting limit
/// in an unoptimised build (about 1 MiB); reserved, not committed, memory.
const STACK: usize = 16 * 1024 * 1024;

type Job = Box<dyn FnOnce() + Send>;

fn queue() -> &'static Sender<Job> {
    static QUEUE: OnceLock<Sender<Job>> = OnceLock::new();
    QUEUE.get_or_init(|| {
        let (send, receive) = channel::<Job>();
        let receive = Arc::new(Mutex::new(receive));
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        for i in 0..threads {
            let receive = receive.clone();
            std::thread::Builder::new()
                .name(format!("arbiter-cpu-{i}"))
                .stack_size(STACK)
                .spawn(move || work(&receive))
                .expect("the operating system starts the CPU pool's threads");
        }
        send
    })
}

fn work(jobs: &Mutex<Receiver<Job>>) {
    loop {
        let job = match jobs.lock() {
            Ok(jobs) => jobs.recv(),
            Err(poisoned) => poisoned.into_inner().recv(),
        };
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

/// Runs `job` on the pool and answers its result; a panic in it is raised again here.
pub async fn run<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> T {
    let (answer, answered) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = answer.send(catch_unwind(AssertUnwindSafe(job)));
    });
    if queue().send(job).is_err() {
        unreachable!("the pool's threads never stop while the queue exists");
    }
    match answered.await {
        Ok(Ok(value)) => value,
        Ok(Err(panic)) => resume_unwind(panic),
        Err(_) => unreachable!("every job answers, even one that panicked"),
    }
}

/// Rule text checked: the ruleset and its warnings, or every error.
pub type Compiled = Result<(Arc<Ruleset>, Vec<Diagnostic>), Vec<Diagnostic>>;

/// Compiles rule text on the pool.
pub async fn compile(source: &str) -> Compiled {
    let source = source.to_owned();
    run(move || arbiter_rules::compile(&source).map(|(ruleset, w)| (Arc::new(ruleset), w))).await
}

/// Compiles rule text and runs the examples it carries, on the pool.
pub async fn check(source: &str) -> (Compiled, Vec<ExampleOutcome>) {
    let source = source.to_owned();
    run(move || {
        let compiled = arbiter_rules::compile(&source).map(|(r, w)| (Arc::new(r), w));
        let outcomes = match &compiled {
            Ok((ruleset, _)) => arbiter_rules::run_examples(ruleset),
            Err(_) => Vec::new(),
        };
        (compiled, outcomes)
    })
    .await
}
