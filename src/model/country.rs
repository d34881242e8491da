//! ISO 3166-1 alpha-2 country codes (Graph's `usageLocation` accepts only these).

/// Every officially assigned ISO 3166-1 alpha-2 code, sorted.
const CODES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ \
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR \
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP \
KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT \
MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW \
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG \
UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// Is `s` an assigned alpha-2 code (upper case, as Graph stores it)?
pub fn is_alpha2(s: &str) -> bool {
    s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase()) && CODES.split(' ').any(|c| c == s)
}

/// A likely intended code for a common mistake (`us` → `US`, `USA` → `US`, `UK` → `GB`).
pub fn suggest(s: &str) -> Option<&'static str> {
    let upper = s.trim().to_ascii_uppercase();
    let mapped = match upper.as_str() {
        "UK" | "GBR" | "UNITED KINGDOM" | "GREAT BRITAIN" | "ENGLAND" => "GB",
        "USA" | "UNITED STATES" | "UNITED STATES OF AMERICA" => "US",
        "DEU" | "GERMANY" => "DE",
        "FRA" | "FRANCE" => "FR",
        "CAN" | "CANADA" => "CA",
        "AUS" | "AUSTRALIA" => "AU",
        "IND" | "INDIA" => "IN",
        "JPN" | "JAPAN" => "JP",
        "NLD" | "NETHERLANDS" => "NL",
        "ESP" | "SPAIN" => "ES",
        "ITA" | "ITALY" => "IT",
        other => other,
    };
    CODES.split(' ').find(|c| *c == mapped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(CODES.split(' ').count(), 249);
        assert!(is_alpha2("US") && is_alpha2("GB") && !is_alpha2("us") && !is_alpha2("UK"));
        assert_eq!(suggest("us"), Some("US"));
        assert_eq!(suggest("UK"), Some("GB"));
        assert_eq!(suggest("Narnia"), None);
    }
}
