package postgres

// TestURL exposes testURL to the tests of package postgres_test.
var TestURL = testURL
