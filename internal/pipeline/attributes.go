package pipeline

// AttributePrefix starts the name of a field no fixed event field covers:
// "attributes.vendor_level". Such a field needs a parser from
// AttributeParsers; its value reaches the event's typed attributes, so a
// site file never has to drop what a page shows.
const AttributePrefix = "attributes."

// AttributeParsers are the parsers an attribute field can name.
var AttributeParsers = []string{ParserText, ParserInt, ParserFloat, ParserBool, ParserDate, ParserMoney, ParserCountry, ParserCountries}

// multilineFields keep their line breaks unless a site file says otherwise
// (FieldRule.Lines).
var multilineFields = map[string]bool{"description": true, "body": true, "signature": true}
