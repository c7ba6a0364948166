package protocol

import (
	"time"

	llgate "github.com/llgate/llgate"
)

const wireTime = "20060102150405"

// ParseTime parses a wire time, yyyyMMddHHmmss in China time (UTC+8), and
// returns it in UTC: times are stored UTC and converted only at the edge. The
// text must be exactly 14 ASCII digits naming a real calendar time (no
// February 30th, no second 60). Errors are a 1004 naming field.
func ParseTime(field, s string) (time.Time, error) {
	if len(s) != len(wireTime) || !allDigits(s) {
		return time.Time{}, llgate.FieldError(field, "time must be 14 digits yyyyMMddHHmmss")
	}
	t, err := time.ParseInLocation(wireTime, s, llgate.ChinaTime)
	if err != nil {
		return time.Time{}, llgate.FieldError(field, "time is not a calendar time")
	}
	return t.UTC(), nil
}
