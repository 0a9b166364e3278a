package events

import (
	"math"
	"strconv"
	"time"
	_ "time/tzdata" // --timezone works on workers without a zoneinfo database

	"github.com/valyala/fastjson"
)

// minTime is the earliest plausible event time: sensors and reviews did not
// exist before the epoch, and a negative timestamp is almost always a bug.
var minTime = time.Unix(0, 0).UTC()

// unitCeilingMs is the latest time auto's choice of unit believes in: a
// number that would lie past 2200 in seconds is taken to be milliseconds,
// and so on. It is deliberately far past MaxFuture so that a millisecond
// timestamp a little in the future stays milliseconds (and is then judged
// by MaxFuture) rather than turning into microseconds in 1970. The cost:
// epoch milliseconds before 1970-03-26 read as seconds.
var unitCeilingMs = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()

// unitMs is how many milliseconds one of each unit is.
var unitMs = map[string]float64{"s": 1e3, "ms": 1, "us": 1e-3, "ns": 1e-6}

// EpochMs converts a numeric timestamp in unit ("auto", "s", "ms", "us",
// "ns") to epoch milliseconds. auto takes the largest unit that puts the
// value before 2200: about 10 digits are seconds, 13 milliseconds, 16
// microseconds, 19 nanoseconds; decimals keep their fraction down to the
// millisecond. ok is false when no unit fits.
func EpochMs(v float64, unit string) (ms int64, ok bool) {
	if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	if unit == "auto" || unit == "" {
		for _, u := range [...]string{"s", "ms", "us", "ns"} {
			if m := v * unitMs[u]; m < float64(unitCeilingMs) {
				return int64(math.Round(m)), true
			}
		}
		return 0, false
	}
	f, known := unitMs[unit]
	if !known {
		return 0, false
	}
	m := v * f
	if m > 1e15 {
		return 0, false
	}
	return int64(math.Round(m)), true
}

// epochIntMs is EpochMs for an integer, exact where float64 is not
// (nanoseconds need 19 digits).
func epochIntMs(n int64, unit string) (int64, bool) {
	if n < 0 {
		return 0, false
	}
	if unit == "auto" || unit == "" {
		switch {
		case n < unitCeilingMs/1000:
			unit = "s"
		case n < unitCeilingMs:
			unit = "ms"
		case n/1000 < unitCeilingMs:
			unit = "us"
		case n/1_000_000 < unitCeilingMs:
			unit = "ns"
		default:
			return 0, false
		}
	}
	switch unit {
	case "s":
		if n > 1e12 {
			return 0, false
		}
		return n * 1000, true
	case "ms":
		return n, n <= 1e15
	case "us":
		return roundDiv(n, 1000), true
	case "ns":
		return roundDiv(n, 1_000_000), true
	}
	return 0, false
}

func roundDiv(n, d int64) int64 { return (n + d/2) / d }

// eventTime reads a required timestamp at c.timestamp: an RFC 3339 string
// (upper or lower case, T or space between date and time), a text time in
// c.opts.TimestampFormat, or an epoch number in c.unit; between 1970 and
// MaxFuture past the wall clock.
func (c *compiled) eventTime(o *fastjson.Object) (int64, error) {
	field := c.timestamp.text
	v, _ := lookup(o, c.timestamp)
	if v == nil {
		return 0, fieldErr(field, "is required")
	}
	var ms int64
	switch v.Type() {
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		if fast, ok := utcMillis(b); ok {
			ms = fast
			break
		}
		parsed, err := c.parseTime(b)
		if err != nil {
			return 0, fieldErr(field, "%s", err.Error())
		}
		if parsed.Before(minTime) {
			return 0, fieldErr(field, "%s is before 1970", parsed.Format(time.RFC3339))
		}
		ms = parsed.UnixMilli()
	case fastjson.TypeNumber:
		var err error
		if ms, err = c.epochNumber(v, field); err != nil {
			return 0, err
		}
	default:
		return 0, fieldErr(field, "must be an RFC 3339 string or an epoch number, got %s", v.Type())
	}
	if c.beyondMaxFuture(ms) {
		t, now, mf := time.UnixMilli(ms).UTC(), c.opts.now(), c.opts.maxFuture()
		return 0, fieldErr(field, "%s is in the future: %s ahead of this machine's clock, more than max-future %s allows (the device's clock is wrong)",
			t.Format(time.RFC3339), aheadOf(t, now), mf)
	}
	return ms, nil
}

// aheadOf says how far t lies beyond now: a duration, or in years past
// the ~292 years a time.Duration holds (t.Sub saturates there, and a
// year-9999 clock would read as 2562047h47m16s ahead).
func aheadOf(t, now time.Time) string {
	if d := t.Sub(now); d < math.MaxInt64 {
		return d.Round(time.Second).String()
	}
	return strconv.FormatFloat(float64(t.Unix()-now.Unix())/(365.25*86400), 'f', 0, 64) + " years"
}

// clockEvery is how many records share one reading of the wall clock. A
// clock read was 3% of decoding a reading. A stale clock is earlier than
// the true one, so it can only reject too much, never accept a reading
// too far ahead; and a record it would reject is judged again against a
// fresh reading (futureLimitMs's fresh), so none is rejected wrongly.
const clockEvery = 1024

// beyondMaxFuture reports whether event time ms (epoch) lies more than
// MaxFuture past the wall clock.
func (c *compiled) beyondMaxFuture(ms int64) bool {
	mf := c.opts.maxFuture()
	return mf >= 0 && ms > c.futureLimitMs(mf, false) && ms > c.futureLimitMs(mf, true)
}

// futureLimitMs is the latest event time MaxFuture mf allows, in epoch
// ms, by the clock read at most clockEvery records ago, or by the clock
// now if fresh.
func (c *compiled) futureLimitMs(mf time.Duration, fresh bool) int64 {
	if fresh || c.clockLeft <= 0 {
		c.clock = c.opts.now().UnixMilli()
		c.clockLeft = clockEvery
	}
	c.clockLeft--
	return c.clock + mf.Milliseconds()
}

// UTCMillis reads b as utcMillis does (RFC 3339 in UTC, straight to epoch
// milliseconds), for a source that stamps records before decoding them
// (the Kafka and Pub/Sub reads' watermarks); ok false is for time.Parse.
func UTCMillis(b []byte) (ms int64, ok bool) { return utcMillis(b) }

// utcMillis is the fast path of a text timestamp: RFC 3339 in UTC,
// YYYY-MM-DDTHH:MM:SS, an optional fraction of 1 to 9 digits, then Z (T
// and Z in either case, or a space for T), read straight to epoch
// milliseconds (the fraction truncated, as time.Time.UnixMilli does).
// Anything else (an offset, a leap second, a date that does not exist, a
// year before 1970) is left to parseTime: ok false. time.Parse was 10% of
// decoding a reading.
func utcMillis(b []byte) (ms int64, ok bool) {
	if len(b) < 20 || len(b) > 30 {
		return 0, false
	}
	num := func(i, n int) int {
		v := 0
		for _, ch := range b[i : i+n] {
			if ch < '0' || ch > '9' {
				return -1
			}
			v = v*10 + int(ch-'0')
		}
		return v
	}
	if b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != 't' && b[10] != ' ') || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	year, month, day := num(0, 4), num(5, 2), num(8, 2)
	hour, minute, sec := num(11, 2), num(14, 2), num(17, 2)
	if year < 1970 || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		return 0, false
	}
	frac, rest := 0, b[19:]
	if rest[0] == '.' {
		digits := 0
		for digits+1 < len(rest) && rest[digits+1] >= '0' && rest[digits+1] <= '9' {
			digits++
		}
		if digits == 0 || digits > 9 {
			return 0, false
		}
		frac = num(20, min(digits, 3))
		for range 3 - min(digits, 3) {
			frac *= 10
		}
		rest = rest[1+digits:]
	}
	if len(rest) != 1 || (rest[0] != 'Z' && rest[0] != 'z') {
		return 0, false
	}
	days := daysFromCivil(year, month, day)
	return ((days*24+int64(hour))*60+int64(minute))*60000 + int64(sec)*1000 + int64(frac), true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is the number of days from 1970-01-01 to a proleptic
// Gregorian date (Howard Hinnant, "chrono-Compatible Low-Level Date
// Algorithms", days_from_civil).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400 // y >= 1969 here, so no negative division
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era*146097 + doe - 719468)
}

func (c *compiled) epochNumber(v *fastjson.Value, field string) (int64, error) {
	if n, err := v.Int64(); err == nil {
		if ms, ok := epochIntMs(n, c.unit); ok {
			return ms, nil
		}
		return 0, c.epochRange(strconv.FormatInt(n, 10), field)
	}
	f, err := finiteNumber(v, field)
	if err != nil {
		return 0, err
	}
	if ms, ok := EpochMs(f, c.unit); ok {
		return ms, nil
	}
	return 0, c.epochRange(strconv.FormatFloat(f, 'g', -1, 64), field)
}

func (c *compiled) epochRange(text, field string) error {
	if c.unit == "auto" {
		return fieldErr(field, "epoch time %s out of range: it fits no unit (s, ms, us, ns) between 1970 and 2200", text)
	}
	return fieldErr(field, "epoch time %s out of range in unit %s", text, c.unit)
}

// zoneless are the ISO 8601 shapes without a zone that --timezone accepts.
var zoneless = [...]string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"}

type timeError string

func (e timeError) Error() string { return string(e) }

// parseTime parses a text timestamp. RFC 3339 is tried first, in any case
// and with a space for T (RFC 3339 section 5.6 allows both), and with a
// leap second; then the configured layout; then, with a timezone, the
// zone-less ISO shapes.
func (c *compiled) parseTime(b []byte) (time.Time, error) {
	if t, ok := parseRFC3339(b); ok {
		return t, nil
	}
	loc := c.loc
	if loc == nil {
		loc = time.UTC
	}
	s := string(b)
	if c.opts.TimestampFormat != "" {
		t, err := time.ParseInLocation(c.opts.TimestampFormat, s, loc)
		if err == nil {
			return t.UTC(), nil
		}
		return time.Time{}, timeError("is neither RFC 3339 nor in --timestamp-format " + strconv.Quote(c.opts.TimestampFormat) + ": " + strconv.Quote(shorten(s, 64)))
	}
	for _, layout := range zoneless {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			if c.loc != nil {
				return t.UTC(), nil
			}
			return time.Time{}, timeError("is not an RFC 3339 time: " + strconv.Quote(shorten(s, 64)) +
				" has no time zone; give --timezone=NAME for the zone it is in (and --timestamp-format=LAYOUT for other layouts)")
		}
	}
	return time.Time{}, timeError("is not an RFC 3339 time: " + strconv.Quote(shorten(s, 64)) +
		" (for another layout give --timestamp-format=LAYOUT, and --timezone=NAME if it has no zone)")
}

// parseRFC3339 parses every RFC 3339 date-time: lower-case t and z, a
// space for T, a leap second (:60, read as the next second, as Go's time
// cannot hold one). Upper-case, T-separated text, the common case, goes
// straight to time.Parse without a copy.
func parseRFC3339(b []byte) (time.Time, bool) {
	if len(b) < 20 || len(b) > 64 {
		return time.Time{}, false
	}
	var buf [64]byte
	n := copy(buf[:], b)
	norm := buf[:n]
	for i, ch := range norm {
		switch ch {
		case 't', 'z':
			norm[i] = ch - 'a' + 'A'
		}
	}
	if norm[10] == ' ' {
		norm[10] = 'T'
	}
	leap := norm[16] == ':' && norm[17] == '6' && norm[18] == '0'
	if leap {
		norm[17], norm[18] = '5', '9'
	}
	t, err := time.Parse(time.RFC3339Nano, string(norm))
	if err != nil {
		return time.Time{}, false
	}
	if leap {
		t = t.Add(time.Second)
	}
	return t.UTC(), true
}

// AppendUTCMillis writes the epoch milliseconds ms as
// time.UnixMilli(ms).UTC().AppendFormat(dst, time.RFC3339Nano) does
// ("2025-01-01T00:05:00Z", a fraction only when there is one, without
// trailing zeros), with the date worked out by arithmetic (Hinnant's
// days_from_civil, inverted) for the years 1970-9999 and by package time
// otherwise: two window times per record made time's formatting a tenth of
// writing 400k window statistics.
func AppendUTCMillis(dst []byte, ms int64) []byte {
	const maxMs = 253402300799999 // 9999-12-31T23:59:59.999Z
	if ms < 0 || ms > maxMs {
		return time.UnixMilli(ms).UTC().AppendFormat(dst, time.RFC3339Nano)
	}
	days, rem := ms/86_400_000, ms%86_400_000
	// civil_from_days (http://howardhinnant.github.io/date_algorithms.html).
	z := days + 719468
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	two := func(b []byte, v int64) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }
	dst = append(dst, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-')
	dst = append(two(dst, m), '-')
	dst = append(two(dst, d), 'T')
	sec := rem / 1000
	dst = append(two(dst, sec/3600), ':')
	dst = append(two(dst, sec/60%60), ':')
	dst = two(dst, sec%60)
	if frac := rem % 1000; frac != 0 {
		dst = append(dst, '.', byte('0'+frac/100))
		if frac%100 != 0 {
			dst = append(dst, byte('0'+frac/10%10))
			if frac%10 != 0 {
				dst = append(dst, byte('0'+frac%10))
			}
		}
	}
	return append(dst, 'Z')
}
