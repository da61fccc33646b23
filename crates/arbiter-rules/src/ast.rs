//! The syntax tree of a rule file, as written, with spans for every part a message may point at.

use crate::diagnostic::Span;

#[derive(Debug, Clone, Default)]
pub struct File {
    pub lets: Vec<Let>,
    pub thresholds: Vec<Threshold>,
    pub rules: Vec<RuleDecl>,
    pub tests: Vec<TestDecl>,
}

/// `let claims_90d = count(claim.filed by actor.id within 90d)`
#[derive(Debug, Clone)]
pub struct Let {
    pub name: String,
    pub span: Span,
    pub value: Expr,
}

/// `threshold review 60`: a total score at which the verdict becomes at least `review`.
#[derive(Debug, Clone)]
pub struct Threshold {
    pub verdict: String,
    pub verdict_span: Span,
    pub score: f64,
    pub score_span: Span,
}

#[derive(Debug, Clone)]
pub struct RuleDecl {
    pub id: String,
    pub id_span: Span,
    pub name: String,
    pub on: Vec<(String, Span)>,
    pub enforces: Option<PolicyRef>,
    pub when: Option<Expr>,
    pub score: Option<(f64, Span)>,
    pub actions: Vec<ActionDecl>,
    pub mode: Option<(String, Span)>,
}

/// `POL-PAYMENTS §3.2`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRef {
    pub document: String,
    pub clause: Option<String>,
    pub span: Span,
}

/// `review("claims")`, `block`, `open_case("fraud", high)`
#[derive(Debug, Clone)]
pub struct ActionDecl {
    pub name: String,
    pub span: Span,
    pub args: Vec<(String, Span)>,
}

#[derive(Debug, Clone)]
pub struct TestDecl {
    pub name: String,
    pub span: Span,
    pub lists: Vec<(String, Span, Vec<String>)>,
    pub events: Vec<(String, Span)>,
    pub expectations: Vec<Expectation>,
}

#[derive(Debug, Clone)]
pub enum Expectation {
    Verdict(String, Span),
    Score(f64),
    Fires(String, Span),
    DoesNotFire(String, Span),
    Action(ActionDecl),
}

#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    And,
    Or,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::And => "and",
            BinaryOp::Or => "or",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggFunc {
    Count,
    Sum,
    Distinct,
    Latest,
}

impl AggFunc {
    pub fn name(self) -> &'static str {
        match self {
            AggFunc::Count => "count",
            AggFunc::Sum => "sum",
            AggFunc::Distinct => "distinct",
            AggFunc::Latest => "latest",
        }
    }
}

/// `sum(amount of payment.chargeback where … by subject.id = actor.id within 30d)`
#[derive(Debug, Clone)]
pub struct Aggregate {
    pub func: AggFunc,
    pub field: Option<(Vec<String>, Span)>,
    pub types: Vec<(String, Span)>,
    pub filter: Option<Expr>,
    pub by: (Vec<String>, Span),
    pub key: Option<Expr>,
    pub window: Option<(i64, Span)>,
}

#[derive(Debug, Clone)]
pub enum ExprKind {
    Bool(bool),
    Num(f64),
    Str(String),
    Duration(i64),
    Money {
        amount: f64,
        currency: String,
    },
    Array(Vec<Expr>),
    Path(Vec<String>),
    Call {
        name: String,
        name_span: Span,
        args: Vec<Expr>,
    },
    Aggregate(Box<Aggregate>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    In {
        value: Box<Expr>,
        set: Box<Expr>,
        negated: bool,
    },
}
