package postgres

// HasCode is hasCode, for the external tests.
var HasCode = hasCode
