//! Markets (ISO 3166-1 alpha-2) and currencies (ISO 4217).

use std::fmt;

/// Every officially assigned ISO 3166-1 alpha-2 code.
const ISO_3166_ALPHA2: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN \
BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER \
ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO \
IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML \
MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT \
PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN \
TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// EU member states plus the EEA (Iceland, Liechtenstein, Norway): where the DSA applies.
const EU_EEA: &str =
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK IS LI NO";

/// Active ISO 4217 codes with their minor-unit exponent (digits after the decimal point).
#[rustfmt::skip]
const ISO_4217: &[(&str, u8)] = &[
    ("AED", 2), ("AFN", 2), ("ALL", 2), ("AMD", 2), ("ANG", 2), ("AOA", 2), ("ARS", 2), ("AUD", 2),
    ("AWG", 2), ("AZN", 2), ("BAM", 2), ("BBD", 2), ("BDT", 2), ("BGN", 2), ("BHD", 3), ("BIF", 0),
    ("BMD", 2), ("BND", 2), ("BOB", 2), ("BRL", 2), ("BSD", 2), ("BTN", 2), ("BWP", 2), ("BYN", 2),
    ("BZD", 2), ("CAD", 2), ("CDF", 2), ("CHF", 2), ("CLP", 0), ("CNY", 2), ("COP", 2), ("CRC", 2),
    ("CUP", 2), ("CVE", 2), ("CZK", 2), ("DJF", 0), ("DKK", 2), ("DOP", 2), ("DZD", 2), ("EGP", 2),
    ("ERN", 2), ("ETB", 2), ("EUR", 2), ("FJD", 2), ("FKP", 2), ("GBP", 2), ("GEL", 2), ("GHS", 2),
    ("GIP", 2), ("GMD", 2), ("GNF", 0), ("GTQ", 2), ("GYD", 2), ("HKD", 2), ("HNL", 2), ("HTG", 2),
    ("HUF", 2), ("IDR", 2), ("ILS", 2), ("INR", 2), ("IQD", 3), ("IRR", 2), ("ISK", 0), ("JMD", 2),
    ("JOD", 3), ("JPY", 0), ("KES", 2), ("KGS", 2), ("KHR", 2), ("KMF", 0), ("KPW", 2), ("KRW", 0),
    ("KWD", 3), ("KYD", 2), ("KZT", 2), ("LAK", 2), ("LBP", 2), ("LKR", 2), ("LRD", 2), ("LSL", 2),
    ("LYD", 3), ("MAD", 2), ("MDL", 2), ("MGA", 2), ("MKD", 2), ("MMK", 2), ("MNT", 2), ("MOP", 2),
    ("MRU", 2), ("MUR", 2), ("MVR", 2), ("MWK", 2), ("MXN", 2), ("MYR", 2), ("MZN", 2), ("NAD", 2),
    ("NGN", 2), ("NIO", 2), ("NOK", 2), ("NPR", 2), ("NZD", 2), ("OMR", 3), ("PAB", 2), ("PEN", 2),
    ("PGK", 2), ("PHP", 2), ("PKR", 2), ("PLN", 2), ("PYG", 0), ("QAR", 2), ("RON", 2), ("RSD", 2),
    ("RUB", 2), ("RWF", 0), ("SAR", 2), ("SBD", 2), ("SCR", 2), ("SDG", 2), ("SEK", 2), ("SGD", 2),
    ("SHP", 2), ("SLE", 2), ("SOS", 2), ("SRD", 2), ("SSP", 2), ("STN", 2), ("SVC", 2), ("SYP", 2),
    ("SZL", 2), ("THB", 2), ("TJS", 2), ("TMT", 2), ("TND", 3), ("TOP", 2), ("TRY", 2), ("TTD", 2),
    ("TWD", 2), ("TZS", 2), ("UAH", 2), ("UGX", 0), ("USD", 2), ("UYU", 2), ("UZS", 2), ("VES", 2),
    ("VND", 0), ("VUV", 0), ("WST", 2), ("XAF", 0), ("XCD", 2), ("XCG", 2), ("XOF", 0), ("XPF", 0),
    ("YER", 2), ("ZAR", 2), ("ZMW", 2), ("ZWG", 2),
];

/// Whether `code` is in `list`, a sorted, space-separated list of two-letter codes. Binary
/// search: this runs for every event received.
fn is_listed(list: &str, code: &[u8]) -> bool {
    let entries = list.len().div_ceil(3);
    let entry = |i: usize| &list.as_bytes()[i * 3..i * 3 + 2];
    let (mut low, mut high) = (0, entries);
    while low < high {
        let middle = (low + high) / 2;
        match entry(middle).cmp(code) {
            std::cmp::Ordering::Less => low = middle + 1,
            std::cmp::Ordering::Greater => high = middle,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

/// Every code [`Market::parse`] accepts, in order: for documents that list them (OpenAPI).
pub fn market_codes() -> impl Iterator<Item = &'static str> {
    ISO_3166_ALPHA2.split(' ')
}

/// Every code [`Currency::parse`] accepts, in order.
pub fn currency_codes() -> impl Iterator<Item = &'static str> {
    ISO_4217.iter().map(|(code, _)| *code)
}

/// A market: a country where the marketplace operates, by ISO 3166-1 alpha-2 code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Market([u8; 2]);

impl Market {
    /// Parses an upper-case ISO 3166-1 alpha-2 code such as `US` or `FR`.
    pub fn parse(code: &str) -> Result<Market, String> {
        let bytes = code.as_bytes();
        if bytes.len() != 2 || !bytes.iter().all(u8::is_ascii_uppercase) {
            return Err(format!(
                "{code:?} is not a market code: expected two upper-case letters (ISO 3166-1 alpha-2, e.g. \"US\")"
            ));
        }
        if !is_listed(ISO_3166_ALPHA2, bytes) {
            return Err(format!(
                "{code:?} is not an ISO 3166-1 alpha-2 country code"
            ));
        }
        Ok(Market([bytes[0], bytes[1]]))
    }

    pub fn as_str(&self) -> &str {
        // Constructed only from ASCII upper-case letters.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// Whether the EU Digital Services Act applies to users of this market.
    pub fn is_eu_eea(&self) -> bool {
        EU_EEA.split(' ').any(|c| c.as_bytes() == self.0)
    }
}

impl fmt::Display for Market {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A currency by ISO 4217 code, with the number of its minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: [u8; 3],
    exponent: u8,
}

impl Currency {
    /// Parses an active ISO 4217 code such as `USD` or `EUR`.
    pub fn parse(code: &str) -> Result<Currency, String> {
        let bytes = code.as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_uppercase) {
            return Err(format!(
                "{code:?} is not a currency code: expected three upper-case letters (ISO 4217, e.g. \"EUR\")"
            ));
        }
        let index = ISO_4217
            .binary_search_by(|(c, _)| c.cmp(&code))
            .map_err(|_| format!("{code:?} is not an active ISO 4217 currency code"))?;
        let exponent = &ISO_4217[index].1;
        Ok(Currency {
            code: [bytes[0], bytes[1], bytes[2]],
            exponent: *exponent,
        })
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.code).unwrap_or("???")
    }

    /// Digits after the decimal point: 2 for EUR, 0 for JPY, 3 for KWD.
    pub fn exponent(&self) -> u8 {
        self.exponent
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markets_are_iso_codes() {
        assert_eq!(Market::parse("FR").unwrap().as_str(), "FR");
        assert!(Market::parse("fr").unwrap_err().contains("upper-case"));
        assert!(Market::parse("XX").unwrap_err().contains("ISO 3166-1"));
        assert!(Market::parse("USA").is_err());
        assert!(Market::parse("DE").unwrap().is_eu_eea());
        assert!(Market::parse("NO").unwrap().is_eu_eea());
        assert!(!Market::parse("GB").unwrap().is_eu_eea());
    }

    #[test]
    fn currencies_know_their_minor_units() {
        assert_eq!(Currency::parse("EUR").unwrap().exponent(), 2);
        assert_eq!(Currency::parse("JPY").unwrap().exponent(), 0);
        assert_eq!(Currency::parse("KWD").unwrap().exponent(), 3);
        assert!(Currency::parse("ABC").unwrap_err().contains("ISO 4217"));
        assert!(Currency::parse("usd").is_err());
    }

    #[test]
    fn the_code_lists_are_sorted_for_binary_search() {
        let codes: Vec<&str> = ISO_3166_ALPHA2.split(' ').collect();
        assert!(codes.windows(2).all(|w| w[0] < w[1]));
        assert!(ISO_4217.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(!is_listed(ISO_3166_ALPHA2, b"AA") && !is_listed(ISO_3166_ALPHA2, b"ZZ"));
    }

    #[test]
    fn every_listed_code_parses() {
        for code in ISO_3166_ALPHA2.split(' ').chain(EU_EEA.split(' ')) {
            Market::parse(code).unwrap();
        }
        for (code, _) in ISO_4217 {
            Currency::parse(code).unwrap();
        }
    }
}
