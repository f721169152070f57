package events

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Decimal is an exact decimal number with at most three fractional digits, stored as
// an integer count of thousandths. Emission figures (tCO2e) and percentages use it, so
// that sums such as an inventory's total are checked exactly in every language.
//
// On the wire it is a JSON number matching -?(0|[1-9][0-9]*)(\.[0-9]{1,3})? — no
// exponent, at most 15 integer digits. It marshals in the shortest such form.
type Decimal int64

// DecimalScale is the number of Decimal units in 1.
const DecimalScale = 1000

// ParseDecimal parses the wire form of a Decimal.
func ParseDecimal(s string) (Decimal, error) {
	neg := strings.HasPrefix(s, "-")
	digits := strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(digits, ".")
	switch {
	case intPart == "" || len(intPart) > 15:
		return 0, fmt.Errorf("number %q: want at most 15 integer digits", s)
	case len(intPart) > 1 && intPart[0] == '0':
		return 0, fmt.Errorf("number %q: leading zero", s)
	case hasFrac && (frac == "" || len(frac) > 3):
		return 0, fmt.Errorf("number %q: want at most 3 decimal places and no exponent", s)
	}
	for _, part := range []string{intPart, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return 0, fmt.Errorf("number %q: want digits only, no exponent", s)
			}
		}
	}
	whole, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("number %q: %v", s, err)
	}
	frac = (frac + "000")[:3]
	f, _ := strconv.ParseInt(frac, 10, 64)
	v := whole*DecimalScale + f
	if neg {
		v = -v
	}
	return Decimal(v), nil
}

// MustDecimal is ParseDecimal for constants in tests and demo data; it panics on error.
func MustDecimal(s string) Decimal {
	d, err := ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

// String returns the shortest wire form: "431000000", "0.5", "-12.125".
func (d Decimal) String() string {
	v := int64(d)
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	s := sign + strconv.FormatInt(v/DecimalScale, 10)
	if f := v % DecimalScale; f != 0 {
		s += "." + strings.TrimRight(fmt.Sprintf("%03d", f), "0")
	}
	return s
}

// Float64 returns d as a float64, for display and charts only — never for rules.
func (d Decimal) Float64() float64 { return float64(d) / DecimalScale }

// MarshalJSON implements json.Marshaler.
func (d Decimal) MarshalJSON() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalJSON implements json.Unmarshaler; it accepts only the wire form.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return fmt.Errorf("expected a number, got a string")
	}
	v, err := ParseDecimal(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

var _ json.Marshaler = Decimal(0)
