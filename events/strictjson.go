package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// maxJSONDepth bounds nesting in every JSON document the package decodes.
const maxJSONDepth = 32

// checkStrictJSON reports whether b is exactly one JSON value under the project's strict
// profile (docs/SPEC.md §2): valid UTF-8, no byte before or after the value (not even
// white space), no duplicate object keys, no null, object keys of lower-case ASCII
// ([a-z0-9_-], starting with a letter or digit), and nesting at most maxJSONDepth deep.
//
// The key rule also closes a hole in encoding/json, which matches field names
// case-insensitively: with lower-case keys and lower-case struct tags, a key matches a
// field only if it is equal to it.
func checkStrictJSON(b []byte) error { return checkJSON(b, true) }

// checkJSON is checkStrictJSON with the key rule optional (DSSE's own field names are
// camel case).
func checkJSON(b []byte, lowerKeys bool) error {
	s := scanner{b: b, lowerKeys: lowerKeys}
	return s.check()
}

// checkStrictJSONSpans is checkStrictJSON that also returns where the values of the
// top-level object's members are (for jsonDecoder.raw, so that the payload decoder need
// not skip over the body again).
func checkStrictJSONSpans(b []byte) ([]span, error) {
	s := scanner{b: b, lowerKeys: true, record: true, spans: make([]span, 0, 8)}
	err := s.check()
	return s.spans, err
}

func (s *scanner) check() error {
	if !utf8.Valid(s.b) {
		return fmt.Errorf("invalid UTF-8")
	}
	if err := s.value(0); err != nil {
		return err
	}
	if s.i != len(s.b) {
		return fmt.Errorf("trailing data at byte %d", s.i)
	}
	return nil
}

// span is where a value is: b[start:end].
type span struct{ start, end int }

type scanner struct {
	b         []byte
	i         int
	lowerKeys bool
	// record asks for the spans of the top-level object's member values.
	record bool
	spans  []span
}

func (s *scanner) errf(format string, args ...any) error {
	return fmt.Errorf("byte %d: "+format, append([]any{s.i}, args...)...)
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) value(depth int) error {
	if depth > maxJSONDepth {
		return s.errf("nesting deeper than %d", maxJSONDepth)
	}
	if s.i >= len(s.b) {
		return s.errf("unexpected end of JSON")
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return s.object(depth)
	case c == '[':
		return s.array(depth)
	case c == '"':
		_, err := s.str()
		return err
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	case bytes.HasPrefix(s.b[s.i:], []byte("true")):
		s.i += 4
		return nil
	case bytes.HasPrefix(s.b[s.i:], []byte("false")):
		s.i += 5
		return nil
	case bytes.HasPrefix(s.b[s.i:], []byte("null")):
		return s.errf("null is not allowed (omit the field instead)")
	default:
		return s.errf("unexpected character %q", c)
	}
}

func (s *scanner) object(depth int) error {
	s.i++ // '{'
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return nil
	}
	var seenBuf [16][]byte
	seen := seenBuf[:0]
	for {
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return s.errf("expected object key")
		}
		key, err := s.str()
		if err != nil {
			return err
		}
		if s.lowerKeys && !validKey(key) {
			return s.errf("object key %q is not lower-case ASCII [a-z0-9_-]", key)
		}
		if bytes.IndexByte(key, '\\') >= 0 {
			// Only possible without the key rule (a submitted envelope): compare keys as
			// decoded, so that "p\u0061yload" duplicates "payload".
			var k string
			if json.Unmarshal(append(append([]byte{'"'}, key...), '"'), &k) == nil {
				key = []byte(k)
			}
		}
		for _, k := range seen {
			if bytes.Equal(k, key) {
				return s.errf("duplicate object key %q", key)
			}
		}
		seen = append(seen, key)
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return s.errf("expected ':'")
		}
		s.i++
		s.ws()
		start := s.i
		if err := s.value(depth + 1); err != nil {
			return err
		}
		if s.record && depth == 0 {
			s.spans = append(s.spans, span{start, s.i})
		}
		s.ws()
		if s.i >= len(s.b) {
			return s.errf("unexpected end of object")
		}
		switch s.b[s.i] {
		case ',':
			s.i++
			s.ws()
		case '}':
			s.i++
			return nil
		default:
			return s.errf("expected ',' or '}'")
		}
	}
}

func validKey(k []byte) bool {
	if len(k) == 0 || len(k) > 64 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '_' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

func (s *scanner) array(depth int) error {
	s.i++ // '['
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return nil
	}
	for {
		if err := s.value(depth + 1); err != nil {
			return err
		}
		s.ws()
		if s.i >= len(s.b) {
			return s.errf("unexpected end of array")
		}
		switch s.b[s.i] {
		case ',':
			s.i++
			s.ws()
		case ']':
			s.i++
			return nil
		default:
			return s.errf("expected ',' or ']'")
		}
	}
}

// str scans a JSON string and returns its raw contents (escapes not decoded; the key
// rule forbids escapes in keys, and object decodes a key with escapes before comparing).
func (s *scanner) str() ([]byte, error) {
	s.i++ // opening quote
	start := s.i
	for s.i < len(s.b) {
		for s.i < len(s.b) && plainStringByte[s.b[s.i]] {
			s.i++
		}
		if s.i >= len(s.b) {
			break
		}
		c := s.b[s.i]
		switch {
		case c == '"':
			raw := s.b[start:s.i]
			s.i++
			return raw, nil
		case c == '\\':
			if s.i+1 >= len(s.b) {
				return nil, s.errf("unterminated escape")
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if s.i+6 > len(s.b) || !isHex4(s.b[s.i+2:s.i+6]) {
					return nil, s.errf("invalid \\u escape")
				}
				s.i += 6
			default:
				return nil, s.errf("invalid escape")
			}
		case c < 0x20:
			return nil, s.errf("control character in string")
		default:
			s.i++
		}
	}
	return nil, s.errf("unterminated string")
}

// plainStringByte says which bytes a JSON string may hold as they are: not '"', not
// '\\', not a control character.
var plainStringByte = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func isHex4(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func (s *scanner) number() error {
	start := s.i
	if s.b[s.i] == '-' {
		s.i++
	}
	digits := func() int {
		n := 0
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if s.i < len(s.b) && s.b[s.i] == '0' {
		s.i++
	} else if digits() == 0 {
		return s.errf("invalid number")
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if digits() == 0 {
			return s.errf("invalid number")
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			return s.errf("invalid number")
		}
	}
	if s.i-start > 40 {
		return s.errf("number longer than 40 characters")
	}
	return nil
}

// decodeStrict checks b against the strict profile and decodes it into v, rejecting
// fields v does not declare.
func decodeStrict(b []byte, v any) error {
	if err := checkStrictJSON(b); err != nil {
		return err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return cleanJSONError(err)
	}
	return nil
}

// cleanJSONError turns encoding/json's messages into ones that name the JSON field
// rather than Go types.
func cleanJSONError(err error) error {
	switch e := err.(type) {
	case *json.UnmarshalTypeError:
		if e.Field != "" {
			return fmt.Errorf("%s: expected %s, got JSON %s", e.Field, jsonKind(e.Type.Kind().String()), e.Value)
		}
		return fmt.Errorf("expected %s, got JSON %s", jsonKind(e.Type.Kind().String()), e.Value)
	}
	return err
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "an array"
	case "bool":
		return "a boolean"
	case "int", "int64", "uint64", "uint32", "int32", "float64":
		return "a number"
	}
	return goKind
}
