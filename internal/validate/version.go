package validate

// RulesVersion names the artefacts the ro profile's rules are generated
// from (ANAF's ro16931-ubl bundle). Stored verdicts record it
// (anafsync.ValidatedWith), so regenerating from a new bundle and changing
// it makes the archive be validated again.
const RulesVersion = "1.0.9"

// RulesVersionEN names the CEN EN 16931 UBL artefacts of the en profile.
const RulesVersionEN = "1.3.16"
