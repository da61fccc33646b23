//! Recursive-descent parser from tokens to the syntax tree. After an error it skips to the next
//! top-level statement, so one run reports every broken rule, not only the first.

use crate::ast::*;
use crate::diagnostic::{Diagnostic, Span};
use crate::lexer::{Tok, Token, tokenize};

const TOP_LEVEL: [&str; 4] = ["rule", "let", "test", "threshold"];
const RULE_CLAUSES: [&str; 6] = ["on", "enforces", "when", "score", "then", "mode"];
/// Words that end an expression or have a meaning inside one; never field names.
const RESERVED: [&str; 19] = [
    "and",
    "or",
    "not",
    "in",
    "of",
    "by",
    "where",
    "within",
    "true",
    "false",
    "rule",
    "let",
    "test",
    "threshold",
    "on",
    "enforces",
    "when",
    "score",
    "then",
];

type Parsed<T> = Result<T, Diagnostic>;

/// Deepest an expression may nest: parentheses, lists, calls, `not`, unary minus and each
/// operator of a chain (`a + b + c` is two levels) count. Every later stage (checker, compiler,
/// evaluator, even dropping the tree) walks the tree recursively, so the bound is what keeps a
/// hostile rule text from overflowing a thread's stack; no real rule comes near it.
pub const MAX_NESTING: usize = 64;

pub fn parse(source: &str) -> (File, Vec<Diagnostic>) {
    let tokens = match tokenize(source) {
        Ok(tokens) => tokens,
        Err(e) => return (File::default(), vec![e]),
    };
    let mut parser = Parser {
        tokens,
        pos: 0,
        depth: 0,
        diagnostics: Vec::new(),
    };
    let file = parser.file();
    (file, parser.diagnostics)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    /// How deep the expression being parsed nests; reset at each top-level statement.
    depth: usize,
    diagnostics: Vec<Diagnostic>,
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.tokens[self.pos]
    }

    fn peek_at(&self, n: usize) -> &Token {
        &self.tokens[(self.pos + n).min(self.tokens.len() - 1)]
    }

    fn next(&mut self) -> Token {
        let token = self.tokens[self.pos].clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        token
    }

    fn at_word(&self, word: &str) -> bool {
        matches!(&self.peek().tok, Tok::Ident(w) if w == word)
    }

    fn eat_word(&mut self, word: &str) -> bool {
        if self.at_word(word) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if &self.peek().tok == tok {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, tok: Tok, what: &str) -> Parsed<Span> {
        if self.peek().tok == tok {
            Ok(self.next().span)
        } else {
            Err(self.unexpected(what))
        }
    }

    fn expect_word(&mut self, word: &str, hint: &str) -> Parsed<Span> {
        if self.at_word(word) {
            Ok(self.next().span)
        } else {
            Err(self.unexpected(&format!("`{word}`")).with_hint(hint))
        }
    }

    fn unexpected(&self, wanted: &str) -> Diagnostic {
        let token = self.peek();
        Diagnostic::error(
            token.span,
            format!("expected {wanted}, found {}", token.tok.describe()),
        )
    }

    /// Goes one level deeper into an expression, or says where the text nests too deep.
    fn descend(&mut self) -> Parsed<()> {
        if self.depth >= MAX_NESTING {
            return Err(Diagnostic::error(
                self.peek().span,
                format!("this expression nests more than {MAX_NESTING} levels deep"),
            )
            .with_hint(
                "split it into `let` features, or use `in [..]` instead of a long chain of `or`",
            ));
        }
        self.depth += 1;
        Ok(())
    }

    fn skip_to_top_level(&mut self) {
        loop {
            let token = self.peek();
            match &token.tok {
                Tok::Eof => return,
                Tok::Ident(w) if token.spaced && TOP_LEVEL.contains(&w.as_str()) => return,
                _ => {
                    self.next();
                }
            }
        }
    }

    fn file(&mut self) -> File {
        let mut file = File::default();
        loop {
            let token = self.peek().clone();
            let start = self.pos;
            self.depth = 0;
            let result = match &token.tok {
                Tok::Eof => break,
                Tok::Ident(w) if w == "rule" => self.rule().map(|r| file.rules.push(r)),
                Tok::Ident(w) if w == "let" => self.let_decl().map(|l| file.lets.push(l)),
                Tok::Ident(w) if w == "test" => self.test().map(|t| file.tests.push(t)),
                Tok::Ident(w) if w == "threshold" => {
                    self.threshold().map(|t| file.thresholds.push(t))
                }
                _ => Err(self.unexpected("`rule`, `let`, `threshold` or `test`").with_hint(
                    "a rule file is a list of `let` features, `threshold`s, `rule`s and `test`s",
                )),
            };
            if let Err(diagnostic) = result {
                self.diagnostics.push(diagnostic);
                if self.pos == start {
                    self.next();
                }
                self.skip_to_top_level();
            }
        }
        file
    }

    fn let_decl(&mut self) -> Parsed<Let> {
        self.next();
        let (name, span) = self.ident("a name for the feature")?;
        self.expect(Tok::Assign, "`=`")?;
        let value = self.expr()?;
        Ok(Let { name, span, value })
    }

    fn threshold(&mut self) -> Parsed<Threshold> {
        self.next();
        let (verdict, verdict_span) = self.ident("`review` or `block`")?;
        let token = self.next();
        let Tok::Num(score) = token.tok else {
            self.pos -= 1;
            return Err(self
                .unexpected("a score")
                .with_hint("for example `threshold review 60`"));
        };
        Ok(Threshold {
            verdict,
            verdict_span,
            score,
            score_span: token.span,
        })
    }

    fn ident(&mut self, what: &str) -> Parsed<(String, Span)> {
        match &self.peek().tok {
            Tok::Ident(name) => {
                let name = name.clone();
                Ok((name, self.next().span))
            }
            _ => Err(self.unexpected(what)),
        }
    }

    fn string(&mut self, what: &str) -> Parsed<(String, Span)> {
        match &self.peek().tok {
            Tok::Str(s) => {
                let s = s.clone();
                Ok((s, self.next().span))
            }
            _ => Err(self.unexpected(what)),
        }
    }

    /// An identifier made of touching words, numbers and dashes: `CLAIM-SERIAL-2`, `POL-PAYMENTS`.
    fn dashed_name(&mut self, what: &str) -> Parsed<(String, Span)> {
        let (mut name, mut span) = self.ident(what)?;
        loop {
            let token = self.peek();
            if token.spaced {
                break;
            }
            match &token.tok {
                Tok::Minus => name.push('-'),
                Tok::Ident(w) => name.push_str(w),
                Tok::Num(n) if n.fract() == 0.0 => name.push_str(&format!("{}", *n as i64)),
                _ => break,
            }
            span = span.to(self.next().span);
        }
        if name.ends_with('-') {
            return Err(Diagnostic::error(
                span,
                format!("`{name}` cannot end with `-`"),
            ));
        }
        Ok((name, span))
    }

    fn rule(&mut self) -> Parsed<RuleDecl> {
        self.next();
        let (id, id_span) = self.dashed_name("a rule id such as `CLAIM-SERIAL`")?;
        let (name, _) = self
            .string("the rule's name in quotes")
            .map_err(|d| d.with_hint(format!("write `rule {id} \"What the rule catches\"`")))?;
        let mut rule = RuleDecl {
            id,
            id_span,
            name,
            on: Vec::new(),
            enforces: None,
            when: None,
            score: None,
            actions: Vec::new(),
            mode: None,
        };
        let mut seen: Vec<&str> = Vec::new();
        while let Tok::Ident(word) = &self.peek().tok {
            let Some(clause) = RULE_CLAUSES.iter().find(|c| *c == word) else {
                break;
            };
            let clause_span = self.peek().span;
            if seen.contains(clause) {
                return Err(Diagnostic::error(
                    clause_span,
                    format!("rule {} has a second `{clause}` clause", rule.id),
                )
                .with_hint("each clause appears once; combine conditions with `and`/`or`"));
            }
            seen.push(clause);
            self.next();
            match *clause {
                "on" => loop {
                    rule.on.push(self.type_pattern()?);
                    if !self.eat(&Tok::Comma) {
                        break;
                    }
                },
                "enforces" => rule.enforces = Some(self.policy_ref()?),
                "when" => rule.when = Some(self.expr()?),
                "score" => {
                    let negative = self.eat(&Tok::Minus);
                    let token = self.next();
                    let Tok::Num(n) = token.tok else {
                        self.pos -= 1;
                        return Err(self
                            .unexpected("a number")
                            .with_hint("for example `score 40`"));
                    };
                    rule.score = Some((if negative { -n } else { n }, token.span));
                }
                "then" => loop {
                    rule.actions.push(self.action()?);
                    if !self.eat(&Tok::Comma) {
                        break;
                    }
                },
                _ => rule.mode = Some(self.ident("`active` or `shadow`")?),
            }
        }
        if !matches!(&self.peek().tok, Tok::Eof)
            && !matches!(&self.peek().tok, Tok::Ident(w) if TOP_LEVEL.contains(&w.as_str()))
        {
            return Err(self.unexpected("a rule clause (`on`, `enforces`, `when`, `score`, `then`, `mode`) or the next rule"));
        }
        Ok(rule)
    }

    fn type_pattern(&mut self) -> Parsed<(String, Span)> {
        if self.peek().tok == Tok::Star {
            return Ok(("*".into(), self.next().span));
        }
        let (mut name, mut span) = self.ident("an event type such as `claim.filed`")?;
        while self.peek().tok == Tok::Dot && !self.peek().spaced {
            self.next();
            let token = self.next();
            match token.tok {
                Tok::Ident(w) => name = format!("{name}.{w}"),
                Tok::Star => name.push_str(".*"),
                _ => {
                    self.pos -= 1;
                    return Err(self.unexpected("the rest of the event type"));
                }
            }
            span = span.to(token.span);
        }
        Ok((name, span))
    }

    fn policy_ref(&mut self) -> Parsed<PolicyRef> {
        let (document, mut span) = self.dashed_name("a policy id such as `POL-PAYMENTS`")?;
        let mut clause = None;
        if let Tok::Section(s) = &self.peek().tok {
            clause = Some(s.clone());
            span = span.to(self.next().span);
        }
        Ok(PolicyRef {
            document,
            clause,
            span,
        })
    }

    fn action(&mut self) -> Parsed<ActionDecl> {
        let (name, mut span) = self.ident("an action such as `review(\"queue\")` or `block`")?;
        let mut args = Vec::new();
        if self.eat(&Tok::LParen) && !self.eat(&Tok::RParen) {
            loop {
                let token = self.next();
                match token.tok {
                    Tok::Str(s) | Tok::Ident(s) => args.push((s, token.span)),
                    _ => {
                        self.pos -= 1;
                        return Err(self.unexpected("a word or a string"));
                    }
                }
                if self.eat(&Tok::Comma) {
                    continue;
                }
                span = span.to(self.expect(Tok::RParen, "`)` or `,`")?);
                break;
            }
        }
        Ok(ActionDecl { name, span, args })
    }

    fn test(&mut self) -> Parsed<TestDecl> {
        self.next();
        let (name, span) = self.string("the test's name in quotes")?;
        let mut lists = Vec::new();
        while self.eat_word("with") {
            self.expect_word(
                "list",
                "write `with list disposable_domains [\"a.com\", \"b.net\"]`",
            )?;
            let (list, list_span) = self.ident("the list's name")?;
            self.expect(Tok::LBracket, "`[`")?;
            let mut values = Vec::new();
            if !self.eat(&Tok::RBracket) {
                loop {
                    values.push(self.string("a string")?.0);
                    if !self.eat(&Tok::Comma) {
                        self.expect(Tok::RBracket, "`]` or `,`")?;
                        break;
                    }
                }
            }
            lists.push((list, list_span, values));
        }
        self.expect_word(
            "given",
            "a test reads `test \"…\" given {event} … expect …`",
        )?;
        let mut events = Vec::new();
        while let Tok::Json(text) = &self.peek().tok {
            let text = text.clone();
            events.push((text, self.next().span));
        }
        if events.is_empty() {
            return Err(self.unexpected("an event as a JSON object"));
        }
        self.expect_word(
            "expect",
            "after the events, say what is expected: `expect verdict review`",
        )?;
        let mut expectations = Vec::new();
        loop {
            expectations.push(self.expectation()?);
            if !self.eat(&Tok::Comma) {
                break;
            }
        }
        Ok(TestDecl {
            name,
            span,
            lists,
            events,
            expectations,
        })
    }

    fn expectation(&mut self) -> Parsed<Expectation> {
        let (word, span) = self.ident("`verdict`, `score`, `fires`, `not fires` or `action`")?;
        Ok(match word.as_str() {
            "verdict" => {
                let (v, s) = self.ident("`allow`, `review` or `block`")?;
                Expectation::Verdict(v, s)
            }
            "score" => {
                let token = self.next();
                match token.tok {
                    Tok::Num(n) => Expectation::Score(n),
                    _ => {
                        self.pos -= 1;
                        return Err(self.unexpected("a number"));
                    }
                }
            }
            "fires" => {
                let (id, s) = self.dashed_name("a rule id")?;
                Expectation::Fires(id, s)
            }
            "not" => {
                self.expect_word("fires", "write `not fires RULE-ID`")?;
                let (id, s) = self.dashed_name("a rule id")?;
                Expectation::DoesNotFire(id, s)
            }
            "action" => Expectation::Action(self.action()?),
            _ => {
                return Err(
                    Diagnostic::error(span, format!("`{word}` is not an expectation")).with_hint(
                        "expect `verdict …`, `score …`, `fires …`, `not fires …` or `action …`",
                    ),
                );
            }
        })
    }

    // ---- expressions, loosest binding first ----

    pub fn expr(&mut self) -> Parsed<Expr> {
        self.descend()?;
        let expr = self.or()?;
        self.depth -= 1;
        Ok(expr)
    }

    fn or(&mut self) -> Parsed<Expr> {
        let depth = self.depth;
        let mut lhs = self.and()?;
        while self.eat_word("or") {
            self.descend()?;
            let rhs = self.and()?;
            lhs = binary(BinaryOp::Or, lhs, rhs);
        }
        self.depth = depth;
        Ok(lhs)
    }

    fn and(&mut self) -> Parsed<Expr> {
        let depth = self.depth;
        let mut lhs = self.not()?;
        while self.eat_word("and") {
            self.descend()?;
            let rhs = self.not()?;
            lhs = binary(BinaryOp::And, lhs, rhs);
        }
        self.depth = depth;
        Ok(lhs)
    }

    fn not(&mut self) -> Parsed<Expr> {
        if self.at_word("not") {
            self.descend()?;
            let start = self.next().span;
            let inner = self.not()?;
            self.depth -= 1;
            let span = start.to(inner.span);
            return Ok(Expr {
                kind: ExprKind::Not(Box::new(inner)),
                span,
            });
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Parsed<Expr> {
        let lhs = self.additive()?;
        let op = match self.peek().tok {
            Tok::Eq => Some(BinaryOp::Eq),
            Tok::Ne => Some(BinaryOp::Ne),
            Tok::Lt => Some(BinaryOp::Lt),
            Tok::Le => Some(BinaryOp::Le),
            Tok::Gt => Some(BinaryOp::Gt),
            Tok::Ge => Some(BinaryOp::Ge),
            _ => None,
        };
        if let Some(op) = op {
            self.next();
            let rhs = self.additive()?;
            if matches!(
                self.peek().tok,
                Tok::Eq | Tok::Ne | Tok::Lt | Tok::Le | Tok::Gt | Tok::Ge
            ) {
                return Err(
                    Diagnostic::error(self.peek().span, "comparisons do not chain")
                        .with_hint("write `a < b and b < c`"),
                );
            }
            return Ok(binary(op, lhs, rhs));
        }
        let negated =
            self.at_word("not") && matches!(&self.peek_at(1).tok, Tok::Ident(w) if w == "in");
        if negated {
            self.next();
        }
        if self.eat_word("in") {
            let set = self.additive()?;
            let span = lhs.span.to(set.span);
            return Ok(Expr {
                kind: ExprKind::In {
                    value: Box::new(lhs),
                    set: Box::new(set),
                    negated,
                },
                span,
            });
        }
        Ok(lhs)
    }

    fn additive(&mut self) -> Parsed<Expr> {
        let depth = self.depth;
        let mut lhs = self.multiplicative()?;
        loop {
            let op = match self.peek().tok {
                Tok::Plus => BinaryOp::Add,
                Tok::Minus => BinaryOp::Sub,
                _ => {
                    self.depth = depth;
                    return Ok(lhs);
                }
            };
            self.descend()?;
            self.next();
            let rhs = self.multiplicative()?;
            lhs = binary(op, lhs, rhs);
        }
    }

    fn multiplicative(&mut self) -> Parsed<Expr> {
        let depth = self.depth;
        let mut lhs = self.unary()?;
        loop {
            let op = match self.peek().tok {
                Tok::Star => BinaryOp::Mul,
                Tok::Slash => BinaryOp::Div,
                _ => {
                    self.depth = depth;
                    return Ok(lhs);
                }
            };
            self.descend()?;
            self.next();
            let rhs = self.unary()?;
            lhs = binary(op, lhs, rhs);
        }
    }

    fn unary(&mut self) -> Parsed<Expr> {
        if self.peek().tok == Tok::Minus {
            self.descend()?;
            let start = self.next().span;
            let inner = self.unary()?;
            self.depth -= 1;
            let span = start.to(inner.span);
            return Ok(Expr {
                kind: ExprKind::Neg(Box::new(inner)),
                span,
            });
        }
        self.primary()
    }

    fn primary(&mut self) -> Parsed<Expr> {
        let token = self.next();
        let span = token.span;
        let kind = match token.tok {
            Tok::Num(amount) => {
                if let Tok::Ident(code) = &self.peek().tok
                    && code.len() == 3
                    && code.bytes().all(|b| b.is_ascii_uppercase())
                {
                    let currency = code.clone();
                    let end = self.next().span;
                    return Ok(Expr {
                        kind: ExprKind::Money { amount, currency },
                        span: span.to(end),
                    });
                }
                ExprKind::Num(amount)
            }
            Tok::Str(s) => ExprKind::Str(s),
            Tok::Duration(d) => ExprKind::Duration(d),
            Tok::LParen => {
                let inner = self.expr()?;
                let end = self.expect(Tok::RParen, "`)`")?;
                return Ok(Expr {
                    kind: inner.kind,
                    span: span.to(end),
                });
            }
            Tok::LBracket => {
                let mut items = Vec::new();
                if !self.eat(&Tok::RBracket) {
                    loop {
                        items.push(self.expr()?);
                        if !self.eat(&Tok::Comma) {
                            break;
                        }
                    }
                    let end = self.expect(Tok::RBracket, "`]` or `,`")?;
                    return Ok(Expr {
                        kind: ExprKind::Array(items),
                        span: span.to(end),
                    });
                }
                ExprKind::Array(items)
            }
            Tok::Ident(word) => match word.as_str() {
                "true" => ExprKind::Bool(true),
                "false" => ExprKind::Bool(false),
                "count" | "sum" | "distinct" | "latest" if self.peek().tok == Tok::LParen => {
                    return self.aggregate(&word, span);
                }
                w if RESERVED.contains(&w) => {
                    self.pos -= 1;
                    return Err(self.unexpected("a value, a field or a function"));
                }
                _ if self.peek().tok == Tok::LParen => {
                    self.next();
                    let mut args = Vec::new();
                    if !self.eat(&Tok::RParen) {
                        loop {
                            args.push(self.expr()?);
                            if !self.eat(&Tok::Comma) {
                                break;
                            }
                        }
                        let end = self.expect(Tok::RParen, "`)` or `,`")?;
                        return Ok(Expr {
                            kind: ExprKind::Call {
                                name: word,
                                name_span: span,
                                args,
                            },
                            span: span.to(end),
                        });
                    }
                    ExprKind::Call {
                        name: word,
                        name_span: span,
                        args,
                    }
                }
                _ => {
                    self.pos -= 1;
                    let (path, span) = self.path()?;
                    return Ok(Expr {
                        kind: ExprKind::Path(path),
                        span,
                    });
                }
            },
            _ => {
                self.pos -= 1;
                return Err(self.unexpected("a value, a field or a function"));
            }
        };
        let end = self.tokens[self.pos.saturating_sub(1)].span;
        Ok(Expr {
            kind,
            span: span.to(end),
        })
    }

    /// `actor.id`, `data.text`, `claims_90d`
    fn path(&mut self) -> Parsed<(Vec<String>, Span)> {
        let (first, mut span) = self.ident("a field such as `actor.id`")?;
        let mut path = vec![first];
        while self.peek().tok == Tok::Dot {
            self.next();
            let (part, part_span) = self.ident("a field name after `.`")?;
            path.push(part);
            span = span.to(part_span);
        }
        Ok((path, span))
    }

    fn aggregate(&mut self, word: &str, start: Span) -> Parsed<Expr> {
        let func = match word {
            "count" => AggFunc::Count,
            "sum" => AggFunc::Sum,
            "distinct" => AggFunc::Distinct,
            _ => AggFunc::Latest,
        };
        self.expect(Tok::LParen, "`(`")?;
        let field = if func == AggFunc::Count {
            None
        } else {
            let field = self.path()?;
            self.expect_word(
                "of",
                &format!("write `{word}(FIELD of EVENT.TYPE by KEY within 30d)`"),
            )?;
            Some(field)
        };
        let mut types = vec![self.type_pattern()?];
        while self.eat(&Tok::Pipe) {
            types.push(self.type_pattern()?);
        }
        let filter = if self.eat_word("where") {
            Some(self.expr()?)
        } else {
            None
        };
        self.expect_word(
            "by",
            "say whose history counts: `by actor.id`, `by subject.id`, `by data.device_id`",
        )?;
        let by = self.path()?;
        let key = if self.eat(&Tok::Assign) {
            Some(self.additive()?)
        } else {
            None
        };
        let window = if self.eat_word("within") {
            let token = self.next();
            match token.tok {
                Tok::Duration(d) => Some((d, token.span)),
                _ => {
                    self.pos -= 1;
                    return Err(self.unexpected("a duration such as `90d`"));
                }
            }
        } else {
            None
        };
        let end = self.expect(Tok::RParen, "`)`")?;
        Ok(Expr {
            kind: ExprKind::Aggregate(Box::new(Aggregate {
                func,
                field,
                types,
                filter,
                by,
                key,
                window,
            })),
            span: start.to(end),
        })
    }
}

fn binary(op: BinaryOp, lhs: Expr, rhs: Expr) -> Expr {
    let span = lhs.span.to(rhs.span);
    Expr {
        kind: ExprKind::Binary {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        },
        span,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_rule_with_every_clause() {
        let (file, errors) = parse(
            r#"
let claims_90d = count(claim.filed by actor.id within 90d)
threshold review 60
rule CLAIM-SERIAL-2 "Serial claimant"
  on claim.filed, claim.*
  enforces POL-GUARANTEE §4.1
  when claims_90d >= 3 and amount > 100 USD and not (data.kind in ["injury"])
  score 50
  then review("claims"), open_case("fraud", high), block
  mode shadow
test "third claim" with list x ["a"] given {"type": "claim.filed"} {"type": "claim.filed"}
  expect verdict review, fires CLAIM-SERIAL-2, not fires OTHER, action block, score 50
"#,
        );
        assert!(errors.is_empty(), "{errors:?}");
        let rule = &file.rules[0];
        assert_eq!(rule.id, "CLAIM-SERIAL-2");
        assert_eq!(rule.on.len(), 2);
        assert_eq!(
            rule.enforces.as_ref().unwrap().clause.as_deref(),
            Some("4.1")
        );
        assert_eq!(rule.actions.len(), 3);
        assert_eq!(rule.actions[1].args.len(), 2);
        assert_eq!(file.tests[0].events.len(), 2);
        assert_eq!(file.tests[0].expectations.len(), 5);
        assert_eq!(file.lets.len(), 1);
        assert_eq!(file.thresholds[0].score, 60.0);
    }

    #[test]
    fn reports_every_broken_rule() {
        let (file, errors) =
            parse("rule A \"a\" when x >\nrule B \"b\" when y == 1\nrule C when z\n");
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(file.rules.len(), 1);
        assert!(errors[1].message.contains("expected the rule's name"));
    }

    #[test]
    fn comparisons_do_not_chain() {
        let (_, errors) = parse("rule A \"a\" on x when 1 < 2 < 3");
        assert!(errors[0].message.contains("do not chain"));
    }
}
