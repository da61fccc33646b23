//! Money: an integer amount in minor units with its currency (SPEC.md §2). Never a float.

use crate::Currency;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    /// Reads an amount as people write it, `450`, `450.5` or `1,250.00`, in `currency`'s
    /// minor units; more decimals than the currency has, or anything else, is refused.
    pub fn parse_decimal(text: &str, currency: Currency) -> Result<Money, String> {
        let cleaned: String = text
            .trim()
            .chars()
            .filter(|c| *c != ',' && *c != ' ')
            .collect();
        let exponent = usize::from(currency.exponent());
        let (whole, fraction) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || (!fraction.is_empty() && !digits(fraction)) || cleaned.ends_with('.') {
            return Err(format!(
                "{text:?} is not an amount such as 450.00 {currency}"
            ));
        }
        if fraction.len() > exponent {
            return Err(format!(
                "{text:?} has more decimals than {currency} has ({exponent})"
            ));
        }
        let scale = 10_i64.pow(exponent as u32);
        let whole: i64 = whole
            .parse()
            .map_err(|_| format!("{text:?} is too large an amount"))?;
        let fraction: i64 = if fraction.is_empty() {
            0
        } else {
            format!("{fraction:0<exponent$}").parse().unwrap_or(0)
        };
        whole
            .checked_mul(scale)
            .and_then(|m| m.checked_add(fraction))
            .map(|minor| Money::new(minor, currency))
            .ok_or_else(|| format!("{text:?} is too large an amount"))
    }

    /// The amount without its currency, as [`Money::parse_decimal`] reads it: `450.00`.
    pub fn decimal(&self) -> String {
        let text = self.to_string();
        text.rsplit_once(' ')
            .map_or(text.clone(), |(amount, _)| amount.to_owned())
    }
}

impl fmt::Display for Money {
    /// `123.45 EUR`, `1500 JPY`: the amount with the currency's own number of decimals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let exponent = u32::from(self.currency.exponent());
        if exponent == 0 {
            return write!(f, "{} {}", self.minor, self.currency);
        }
        let scale = 10_i64.pow(exponent);
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        let scale = scale.unsigned_abs();
        write!(
            f,
            "{sign}{}.{:0width$} {}",
            abs / scale,
            abs % scale,
            self.currency,
            width = exponent as usize
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_amounts_as_people_write_them() {
        let eur = Currency::parse("EUR").unwrap();
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(Money::parse_decimal("450", eur).unwrap().minor, 45_000);
        assert_eq!(Money::parse_decimal("450.5", eur).unwrap().minor, 45_050);
        assert_eq!(
            Money::parse_decimal("1,250.00", eur).unwrap().minor,
            125_000
        );
        assert_eq!(Money::parse_decimal("1500", jpy).unwrap().minor, 1_500);
        assert!(
            Money::parse_decimal("1.5", jpy)
                .unwrap_err()
                .contains("more decimals")
        );
        assert!(Money::parse_decimal("-3", eur).is_err());
        assert!(Money::parse_decimal("4.", eur).is_err());
        assert!(Money::parse_decimal("", eur).is_err());
        assert!(Money::parse_decimal("99999999999999999999", eur).is_err());
        assert_eq!(Money::new(45_050, eur).decimal(), "450.50");
    }

    #[test]
    fn displays_with_the_currency_decimals() {
        let eur = Currency::parse("EUR").unwrap();
        assert_eq!(Money::new(12_345, eur).to_string(), "123.45 EUR");
        assert_eq!(Money::new(-5, eur).to_string(), "-0.05 EUR");
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(Money::new(1_500, jpy).to_string(), "1500 JPY");
        let kwd = Currency::parse("KWD").unwrap();
        assert_eq!(Money::new(1_005, kwd).to_string(), "1.005 KWD");
    }
}
