package llgate

import "time"

// The China calendar, in one place: every date on the wire, every limit's
// day and month, the reports' days and the cards' expiry months are China
// time (UTC+8), whatever the server's zone.

// ChinaTime is UTC+8, the zone of every date on the wire.
var ChinaTime = time.FixedZone("CST", 8*3600)

// ChinaDate is yyyyMMdd of t in China time (settle_date, report names).
func ChinaDate(t time.Time) string { return t.In(ChinaTime).Format("20060102") }

// ChinaDay is midnight of t's China calendar day.
func ChinaDay(t time.Time) time.Time {
	y, m, d := t.In(ChinaTime).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, ChinaTime)
}

// ChinaMonth is midnight of the first of t's China month.
func ChinaMonth(t time.Time) time.Time {
	y, m, _ := t.In(ChinaTime).Date()
	return time.Date(y, m, 1, 0, 0, 0, 0, ChinaTime)
}

// validYYMM: a card expiry, 4 digits YYMM with MM 01 to 12.
func validYYMM(s string) bool {
	return isDigits(s, 4) && s[2:] >= "01" && s[2:] <= "12"
}

// expiredYYMM: a card is good through the end of its month, China time.
func expiredYYMM(s string, now time.Time) bool {
	c := now.In(ChinaTime)
	year := 2000 + int(s[0]-'0')*10 + int(s[1]-'0')
	month := int(s[2]-'0')*10 + int(s[3]-'0')
	return year < c.Year() || year == c.Year() && month < int(c.Month())
}
