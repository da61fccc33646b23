//! The loss ledger: every movement of money on a case, append-only. Nothing is changed in
//! place; a mistake is corrected by a reversal entry that names the entry it undoes.

use arbiter_model::{Currency, Money};

use crate::vocabulary::vocabulary;

vocabulary!(
    /// What an entry records.
    EntryKind {
        Reserve => "reserve", "Reserve set";
        ReserveRelease => "reserve_release", "Reserve released";
        Payout => "payout", "Payout";
        Refund => "refund", "Refund";
        Goodwill => "goodwill", "Goodwill credit";
        Recovery => "recovery", "Recovery";
        Reversal => "reversal", "Reversal";
    }
);

vocabulary!(
    /// Who received the money, or who paid it back.
    Counterparty {
        Client => "client", "Client";
        Tasker => "tasker", "Tasker";
        Insurer => "insurer", "Insurer";
        Platform => "platform", "Platform";
    }
);

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: i64,
    pub kind: EntryKind,
    pub counterparty: Counterparty,
    /// Always positive: the kind says which way the money moved.
    pub amount: Money,
    /// For a reversal, the entry it undoes.
    pub reverses: Option<i64>,
}

impl Entry {
    /// Reads a stored entry; what does not read is named.
    pub fn read(
        id: i64,
        kind: &str,
        counterparty: &str,
        amount_minor: i64,
        currency: &str,
        reverses: Option<i64>,
    ) -> Result<Entry, crate::stored::Unreadable> {
        let unreadable =
            |field: &'static str, value: &str, reason: String| crate::stored::Unreadable {
                record: format!("ledger entry {id}"),
                field,
                value: value.to_owned(),
                reason,
            };
        Ok(Entry {
            id,
            kind: EntryKind::parse(kind).map_err(|e| unreadable("kind", kind, e))?,
            counterparty: Counterparty::parse(counterparty)
                .map_err(|e| unreadable("counterparty", counterparty, e))?,
            amount: Money::new(
                amount_minor,
                Currency::parse(currency).map_err(|e| unreadable("currency", currency, e))?,
            ),
            reverses,
        })
    }
}

/// An entry to append, before it is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    pub kind: EntryKind,
    pub counterparty: Counterparty,
    pub amount: Money,
    pub reverses: Option<i64>,
    /// Why a payout goes past what the Guarantee allows; required to do so.
    pub override_reason: Option<String>,
}

/// A case's money, from its entries alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    /// Reserve still held: set, less released, less paid out.
    pub reserve: i64,
    pub payouts: i64,
    pub refunds: i64,
    pub goodwill: i64,
    pub recoveries: i64,
}

impl Totals {
    /// Money that left the platform: payouts, refunds and goodwill.
    pub fn paid(&self) -> i64 {
        self.payouts + self.refunds + self.goodwill
    }

    /// What the case cost: paid, less recovered.
    pub fn net_loss(&self) -> i64 {
        self.paid() - self.recoveries
    }
}

/// Adds up `entries` (of one case and currency); a reversal takes back what its entry added.
pub fn totals(entries: &[Entry]) -> Totals {
    let mut reserved = 0;
    let mut released = 0;
    let mut t = Totals::default();
    for entry in entries {
        let (kind, sign) = match entry.reverses {
            Some(id) => match entries.iter().find(|e| e.id == id) {
                Some(original) => (original.kind, -1),
                None => continue,
            },
            None => (entry.kind, 1),
        };
        let amount = sign * entry.amount.minor;
        match kind {
            EntryKind::Reserve => reserved += amount,
            EntryKind::ReserveRelease => released += amount,
            EntryKind::Payout => t.payouts += amount,
            EntryKind::Refund => t.refunds += amount,
            EntryKind::Goodwill => t.goodwill += amount,
            EntryKind::Recovery => t.recoveries += amount,
            EntryKind::Reversal => {}
        }
    }
    t.reserve = (reserved - released - t.payouts).max(0);
    t
}

/// Money moved in one market and currency in one month.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PeriodTotals {
    pub market: String,
    pub currency: String,
    /// `YYYY-MM`, UTC.
    pub month: String,
    pub reserved: i64,
    pub released: i64,
    pub payouts: i64,
    pub refunds: i64,
    pub goodwill: i64,
    pub recoveries: i64,
}

impl PeriodTotals {
    /// Paid out (payouts, refunds, goodwill) less recovered.
    pub fn net_loss(&self) -> i64 {
        self.payouts + self.refunds + self.goodwill - self.recoveries
    }
}

/// One entry for [`period_totals`]: where and when it was recorded, its kind (for a reversal,
/// the kind it undoes, counted negative) and amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Movement<'a> {
    pub market: &'a str,
    pub currency: &'a str,
    pub month: String,
    pub kind: EntryKind,
    pub reversal: bool,
    pub minor: i64,
}

/// Totals by market, currency and month, sorted; a reversal counts in the month it was
/// recorded, against the kind of the entry it undoes. Currencies are never added together.
pub fn period_totals(movements: &[Movement<'_>]) -> Vec<PeriodTotals> {
    let mut groups: std::collections::BTreeMap<(String, String, String), PeriodTotals> =
        std::collections::BTreeMap::new();
    for m in movements {
        let key = (m.month.clone(), m.market.to_owned(), m.currency.to_owned());
        let t = groups.entry(key).or_insert_with(|| PeriodTotals {
            market: m.market.to_owned(),
            currency: m.currency.to_owned(),
            month: m.month.clone(),
            ..PeriodTotals::default()
        });
        let amount = if m.reversal { -m.minor } else { m.minor };
        match m.kind {
            EntryKind::Reserve => t.reserved += amount,
            EntryKind::ReserveRelease => t.released += amount,
            EntryKind::Payout => t.payouts += amount,
            EntryKind::Refund => t.refunds += amount,
            EntryKind::Goodwill => t.goodwill += amount,
            EntryKind::Recovery => t.recoveries += amount,
            EntryKind::Reversal => {}
        }
    }
    groups.into_values().collect()
}

/// The remaining limit: what the Guarantee still pays on a claim, its per-claim limit less
/// what was paid out on it (below zero when an override paid past it). `None` for a case that
/// is not a claim, or in a market without Guarantee terms. The one definition, for the checks
/// and for what the API and the console show.
pub fn limit_left(case: &crate::Case, config: &crate::Config, entries: &[Entry]) -> Option<Money> {
    if !case.case_type.is_claim() {
        return None;
    }
    let terms = config.terms(case.market.as_str())?;
    Some(Money::new(
        terms.limit_minor - totals(entries).payouts,
        case.currency,
    ))
}

/// Why an entry was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("amount: {given} is not this case's currency; it is kept in {case}")]
    WrongCurrency { given: Currency, case: Currency },
    #[error("amount: must be more than zero (the entry's kind says which way money moves)")]
    NotPositive,
    #[error(
        "amount: {amount} is more than the {remaining} the Guarantee still allows on this claim; give an override reason to pay it"
    )]
    OverLimit { amount: Money, remaining: Money },
    #[error("amount: releases {amount}, but only {held} of reserve is held")]
    ReleaseOverReserve { amount: Money, held: Money },
    #[error("amount: recovers {amount}, more than the {paid} paid out on this case")]
    RecoveryOverPaid { amount: Money, paid: Money },
    #[error("reverses: a reversal names the entry it undoes")]
    ReversalWithoutEntry,
    #[error("reverses: entry {0} is not on this case")]
    UnknownEntry(i64),
    #[error("reverses: entry {0} is already reversed")]
    AlreadyReversed(i64),
    #[error("reverses: entry {0} is itself a reversal; record the movement again instead")]
    ReversalOfReversal(i64),
    #[error("amount: a reversal undoes the whole entry: {expected}")]
    PartialReversal { expected: Money },
    #[error("reverses: only a reversal names another entry")]
    NotAReversal,
    #[error(
        "reverses: entry {entry} set a reserve of {amount}, but only {held} of it is still held; reverse the releases and payouts against it first"
    )]
    ReserveSpent {
        entry: i64,
        amount: Money,
        held: Money,
    },
    #[error(
        "reverses: entry {entry} paid {amount}; without it {recovered} recovered would be more than the {paid} paid out; reverse the recovery first"
    )]
    RecoveredMoreThanPaid {
        entry: i64,
        amount: Money,
        recovered: Money,
        paid: Money,
    },
}

/// Checks `entry` against the case's `existing` entries. `limit_left` is what the Guarantee
/// still pays on a claim (`None` when the case is not a claim): a payout past it needs an
/// override reason.
pub fn check(
    entry: &NewEntry,
    currency: Currency,
    existing: &[Entry],
    limit_left: Option<i64>,
) -> Result<(), LedgerError> {
    if entry.amount.currency != currency {
        return Err(LedgerError::WrongCurrency {
            given: entry.amount.currency,
            case: currency,
        });
    }
    if entry.amount.minor <= 0 {
        return Err(LedgerError::NotPositive);
    }
    let money = |minor| Money::new(minor, currency);
    let now = totals(existing);
    match (entry.kind, entry.reverses) {
        (EntryKind::Reversal, None) => return Err(LedgerError::ReversalWithoutEntry),
        (EntryKind::Reversal, Some(id)) => {
            let original = existing
                .iter()
                .find(|e| e.id == id)
                .ok_or(LedgerError::UnknownEntry(id))?;
            if original.kind == EntryKind::Reversal {
                return Err(LedgerError::ReversalOfReversal(id));
            }
            if existing.iter().any(|e| e.reverses == Some(id)) {
                return Err(LedgerError::AlreadyReversed(id));
            }
            if original.amount != entry.amount {
                return Err(LedgerError::PartialReversal {
                    expected: original.amount,
                });
            }
            // A reversal must leave books that balance: no more released or paid against a
            // reserve than was set, no more recovered than paid.
            let minor = original.amount.minor;
            match original.kind {
                EntryKind::Reserve if minor > now.reserve => {
                    return Err(LedgerError::ReserveSpent {
                        entry: id,
                        amount: original.amount,
                        held: money(now.reserve),
                    });
                }
                EntryKind::Payout | EntryKind::Refund | EntryKind::Goodwill
                    if now.recoveries > now.paid() - minor =>
                {
                    return Err(LedgerError::RecoveredMoreThanPaid {
                        entry: id,
                        amount: original.amount,
                        recovered: money(now.recoveries),
                        paid: money(now.paid() - minor),
                    });
                }
                _ => {}
            }
        }
        (_, Some(_)) => return Err(LedgerError::NotAReversal),
        (EntryKind::Payout, None) => {
            let overridden = entry
                .override_reason
                .as_deref()
                .is_some_and(|r| !r.trim().is_empty());
            if let Some(left) = limit_left
                && entry.amount.minor > left
                && !overridden
            {
                return Err(LedgerError::OverLimit {
                    amount: entry.amount,
                    remaining: money(left.max(0)),
                });
            }
        }
        (EntryKind::ReserveRelease, None) if entry.amount.minor > now.reserve => {
            return Err(LedgerError::ReleaseOverReserve {
                amount: entry.amount,
                held: money(now.reserve),
            });
        }
        (EntryKind::Recovery, None) if now.recoveries + entry.amount.minor > now.paid() => {
            return Err(LedgerError::RecoveryOverPaid {
                amount: entry.amount,
                paid: money(now.paid()),
            });
        }
        _ => {}
    }
    Ok(())
}

impl From<crate::lifecycle::Party> for Counterparty {
    /// The ledger's name for a party of the case.
    fn from(party: crate::lifecycle::Party) -> Counterparty {
        match party {
            crate::lifecycle::Party::Client => Counterparty::Client,
            crate::lifecycle::Party::Tasker => Counterparty::Tasker,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::parse("USD").unwrap())
    }

    fn entry(id: i64, kind: EntryKind, minor: i64, reverses: Option<i64>) -> Entry {
        Entry {
            id,
            kind,
            counterparty: Counterparty::Client,
            amount: usd(minor),
            reverses,
        }
    }

    fn new(kind: EntryKind, minor: i64) -> NewEntry {
        NewEntry {
            kind,
            counterparty: Counterparty::Client,
            amount: usd(minor),
            reverses: None,
            override_reason: None,
        }
    }

    #[test]
    fn totals_follow_the_entries_and_reversals_take_back() {
        let entries = vec![
            entry(1, EntryKind::Reserve, 50_000, None),
            entry(2, EntryKind::Payout, 30_000, None),
            entry(3, EntryKind::Payout, 5_000, None),
            entry(4, EntryKind::Reversal, 5_000, Some(3)),
            entry(5, EntryKind::Recovery, 10_000, None),
            entry(6, EntryKind::Goodwill, 2_000, None),
        ];
        let t = totals(&entries);
        assert_eq!(t.reserve, 20_000);
        assert_eq!(t.payouts, 30_000);
        assert_eq!(t.net_loss(), 22_000);
    }

    #[test]
    fn period_totals_keep_currencies_apart_and_net_reversals() {
        let m = |market, currency, month: &str, kind, reversal, minor| Movement {
            market,
            currency,
            month: month.into(),
            kind,
            reversal,
            minor,
        };
        let totals = period_totals(&[
            m("US", "USD", "2026-10", EntryKind::Payout, false, 500),
            m("US", "USD", "2026-10", EntryKind::Payout, true, 100),
            m("US", "USD", "2026-10", EntryKind::Recovery, false, 50),
            m("FR", "EUR", "2026-10", EntryKind::Payout, false, 700),
            m("US", "USD", "2026-11", EntryKind::Goodwill, false, 20),
        ]);
        assert_eq!(totals.len(), 3);
        let us_october = totals
            .iter()
            .find(|t| t.market == "US" && t.month == "2026-10")
            .unwrap();
        assert_eq!((us_october.payouts, us_october.net_loss()), (400, 350));
        assert_eq!(totals[0].currency, "EUR", "sorted by month, then market");
    }

    #[test]
    fn bad_entries_are_refused_with_the_reason() {
        let usd_currency = Currency::parse("USD").unwrap();
        let existing = vec![
            entry(1, EntryKind::Reserve, 50_000, None),
            entry(2, EntryKind::Payout, 30_000, None),
        ];
        let eur = NewEntry {
            amount: Money::new(100, Currency::parse("EUR").unwrap()),
            ..new(EntryKind::Payout, 0)
        };
        assert!(matches!(
            check(&eur, usd_currency, &existing, None),
            Err(LedgerError::WrongCurrency { .. })
        ));
        assert_eq!(
            check(&new(EntryKind::Payout, 0), usd_currency, &existing, None),
            Err(LedgerError::NotPositive)
        );
        let over = check(
            &new(EntryKind::Payout, 80_000),
            usd_currency,
            &existing,
            Some(70_000),
        );
        assert_eq!(
            over.unwrap_err().to_string(),
            "amount: 800.00 USD is more than the 700.00 USD the Guarantee still allows on this claim; give an override reason to pay it"
        );
        let overridden = NewEntry {
            override_reason: Some("team lead approved: injury costs".into()),
            ..new(EntryKind::Payout, 80_000)
        };
        assert!(check(&overridden, usd_currency, &existing, Some(70_000)).is_ok());
        assert!(matches!(
            check(
                &new(EntryKind::ReserveRelease, 30_000),
                usd_currency,
                &existing,
                None
            ),
            Err(LedgerError::ReleaseOverReserve { .. })
        ));
        assert!(matches!(
            check(
                &new(EntryKind::Recovery, 40_000),
                usd_currency,
                &existing,
                None
            ),
            Err(LedgerError::RecoveryOverPaid { .. })
        ));
        let reversal = |of, minor| NewEntry {
            reverses: Some(of),
            ..new(EntryKind::Reversal, minor)
        };
        assert!(check(&reversal(2, 30_000), usd_currency, &existing, None).is_ok());
        assert_eq!(
            check(&reversal(2, 10_000), usd_currency, &existing, None),
            Err(LedgerError::PartialReversal {
                expected: usd(30_000)
            })
        );
        assert_eq!(
            check(&reversal(9, 1), usd_currency, &existing, None),
            Err(LedgerError::UnknownEntry(9))
        );
        let mut reversed = existing.clone();
        reversed.push(entry(3, EntryKind::Reversal, 30_000, Some(2)));
        assert_eq!(
            check(&reversal(2, 30_000), usd_currency, &reversed, None),
            Err(LedgerError::AlreadyReversed(2))
        );
        assert_eq!(
            check(&reversal(3, 30_000), usd_currency, &reversed, None),
            Err(LedgerError::ReversalOfReversal(3))
        );
        let not_a_reversal = NewEntry {
            reverses: Some(1),
            ..new(EntryKind::Payout, 100)
        };
        assert_eq!(
            check(&not_a_reversal, usd_currency, &existing, None),
            Err(LedgerError::NotAReversal)
        );
        assert_eq!(
            check(
                &new(EntryKind::Reversal, 100),
                usd_currency,
                &existing,
                None
            ),
            Err(LedgerError::ReversalWithoutEntry)
        );
    }

    #[test]
    fn a_reversal_that_would_unbalance_the_books_is_refused() {
        let usd_currency = Currency::parse("USD").unwrap();
        let reversal = |of, minor| NewEntry {
            reverses: Some(of),
            ..new(EntryKind::Reversal, minor)
        };
        // 500 reserved, 300 paid against it: only 200 is held, the reserve cannot go.
        let spent = vec![
            entry(1, EntryKind::Reserve, 50_000, None),
            entry(2, EntryKind::Payout, 30_000, None),
        ];
        assert_eq!(
            check(&reversal(1, 50_000), usd_currency, &spent, None)
                .unwrap_err()
                .to_string(),
            "reverses: entry 1 set a reserve of 500.00 USD, but only 200.00 USD of it is still held; reverse the releases and payouts against it first"
        );
        // Paid 300 and recovered 200: the payout cannot go before the recovery.
        let recovered = vec![
            entry(1, EntryKind::Payout, 30_000, None),
            entry(2, EntryKind::Recovery, 20_000, None),
        ];
        assert!(matches!(
            check(&reversal(1, 30_000), usd_currency, &recovered, None),
            Err(LedgerError::RecoveredMoreThanPaid { entry: 1, .. })
        ));
        // The recovery first, then the payout.
        assert!(check(&reversal(2, 20_000), usd_currency, &recovered, None).is_ok());
        let mut undone = recovered.clone();
        undone.push(entry(3, EntryKind::Reversal, 20_000, Some(2)));
        assert!(check(&reversal(1, 30_000), usd_currency, &undone, None).is_ok());
        // A reserve still whole can go.
        let whole = vec![entry(1, EntryKind::Reserve, 50_000, None)];
        assert!(check(&reversal(1, 50_000), usd_currency, &whole, None).is_ok());
    }

    #[test]
    fn stored_entries_are_read_or_named() {
        let read = Entry::read(4, "payout", "tasker", 500, "EUR", None).unwrap();
        assert_eq!(read.kind, EntryKind::Payout);
        assert_eq!(
            read.amount,
            Money::new(500, Currency::parse("EUR").unwrap())
        );
        let bad = Entry::read(4, "payment", "tasker", 500, "EUR", None).unwrap_err();
        assert_eq!(bad.field, "kind");
        assert!(
            bad.to_string()
                .starts_with("ledger entry 4: kind: \"payment\" does not read:"),
            "{bad}"
        );
        assert_eq!(
            Entry::read(4, "payout", "bank", 500, "EUR", None)
                .unwrap_err()
                .field,
            "counterparty"
        );
        assert_eq!(
            Entry::read(4, "payout", "client", 500, "EURO", None)
                .unwrap_err()
                .field,
            "currency"
        );
    }
}
