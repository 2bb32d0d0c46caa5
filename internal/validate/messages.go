package validate

//go:generate go run ./msggen -out messages_gen.go ro=../../../shared/validation/schematron/ro16931-ubl-1.0.9-expanded.sch en=../../../shared/validation/schematron/en16931-ubl-1.3.16-expanded.sch

// ruleText is a rule's message as its artefact writes it (Romanian for most
// CIUS-RO rules, English for the EN 16931 ones) and the business term it names.
type ruleText struct{ Text, BT string }
