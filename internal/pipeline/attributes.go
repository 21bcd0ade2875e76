package pipeline

// multilineFields keep their line breaks unless a site file says otherwise
// (FieldRule.Lines).
var multilineFields = map[string]bool{"description": true, "body": true, "signature": true}
