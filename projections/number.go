package projections

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/climateledger/climateledger/events"
)

// Number is an exact decimal with at most three fractional digits and no size limit:
// a sum of Decimals, a rounded path value or percentage. It is written as a JSON
// number in the shortest form, like events.Decimal ("431000000", "0.9", "-12.125").
// The zero value is 0. Numbers are values: arithmetic makes new ones.
type Number struct {
	small int64    // thousandths, when big is nil
	big   *big.Int // thousandths, when they do not fit an int64
}

var bigThousand = big.NewInt(events.DecimalScale)

// NumberOf returns d as a Number.
func NumberOf(d events.Decimal) Number { return Number{small: int64(d)} }

func numberOfInt(x *big.Int) Number {
	if x.IsInt64() {
		return Number{small: x.Int64()}
	}
	return Number{big: x}
}

func (n Number) int() *big.Int {
	if n.big != nil {
		return n.big
	}
	return big.NewInt(n.small)
}

// Add returns n + d.
func (n Number) Add(d events.Decimal) Number {
	v := int64(d)
	if n.big == nil && !((v > 0 && n.small > math.MaxInt64-v) || (v < 0 && n.small < math.MinInt64-v)) {
		return Number{small: n.small + v}
	}
	return numberOfInt(new(big.Int).Add(n.int(), big.NewInt(v)))
}

// Rat returns n in whole units as an exact rational.
func (n Number) Rat() *big.Rat { return new(big.Rat).SetFrac(n.int(), bigThousand) }

// Sign returns -1, 0 or +1.
func (n Number) Sign() int {
	if n.big != nil {
		return n.big.Sign()
	}
	switch {
	case n.small < 0:
		return -1
	case n.small > 0:
		return 1
	}
	return 0
}

// String returns the shortest decimal form.
func (n Number) String() string {
	if n.big == nil {
		return events.Decimal(n.small).String()
	}
	sign := ""
	a := new(big.Int).Set(n.big)
	if a.Sign() < 0 {
		sign = "-"
		a.Neg(a)
	}
	q, m := new(big.Int).QuoRem(a, bigThousand, new(big.Int))
	s := sign + q.String()
	if m.Sign() != 0 {
		s += "." + strings.TrimRight(fmt.Sprintf("%03d", m.Int64()), "0")
	}
	return s
}

// MarshalJSON implements json.Marshaler.
func (n Number) MarshalJSON() ([]byte, error) { return []byte(n.String()), nil }

// UnmarshalJSON implements json.Unmarshaler: a JSON number with at most three
// fractional digits and no exponent.
func (n *Number) UnmarshalJSON(b []byte) error {
	s := string(b)
	neg := strings.HasPrefix(s, "-")
	whole, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	if whole == "" || len(frac) > 3 || strings.ContainsAny(whole+frac, "eE+-") {
		return fmt.Errorf("number %q: want at most 3 decimal places and no exponent", s)
	}
	digits := whole + (frac + "000")[:3]
	if v, err := strconv.ParseInt(digits, 10, 64); err == nil {
		if neg {
			v = -v
		}
		*n = Number{small: v}
		return nil
	}
	v, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return fmt.Errorf("number %q: not a decimal", s)
	}
	if neg {
		v.Neg(v)
	}
	*n = numberOfInt(v)
	return nil
}

// pow10 are 10^0 to 10^3; never modified (read by several workers).
var pow10 = [4]*big.Int{big.NewInt(1), big.NewInt(10), big.NewInt(100), big.NewInt(1000)}

// roundRat rounds r (whole units) to places decimal places (at most 3), halves away
// from zero, and reports whether that was exact.
func roundRat(r *big.Rat, places int) (Number, bool) {
	scale := pow10[places]
	num := new(big.Int).Mul(r.Num(), scale)
	den := r.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	exact := m.Sign() == 0
	// |2m| >= den rounds away from zero.
	twice := new(big.Int).Abs(m)
	twice.Lsh(twice, 1)
	if twice.Cmp(den) >= 0 {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	// q is in units of 10^-places; Number is in thousandths.
	q.Mul(q, pow10[3-places])
	return numberOfInt(q), exact
}

// decRat returns d in whole units as an exact rational.
func decRat(d events.Decimal) *big.Rat { return new(big.Rat).SetFrac64(int64(d), events.DecimalScale) }
