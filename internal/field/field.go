// Package field describes configuration errors as values, in the manner of
// Kubernetes' apimachinery/pkg/util/validation/field: each error has the path
// of the bad value, a type, the value itself and a detail, so that every message
// has the same shape and tests compare paths and types rather than wording.
package field

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Path is where a value sits in the stack configuration: a key, then list
// indexes and map keys, written `allowedCidrs[1]`, `environment.DB_HOST`,
// `tags.team` (a map key that is not a plain word is quoted: `tags["a b"]`).
type Path struct{ root, s string }

// topKey is a top-level key that reads as itself; any other (a typo with a
// space or a line break) is quoted, so that a message stays one key on one line.
var topKey = regexp.MustCompile(`^[A-Za-z0-9_.:-]+$`)

// NewPath returns the path of a top-level configuration key.
func NewPath(key string) *Path {
	if topKey.MatchString(key) {
		return &Path{root: key, s: key}
	}
	return &Path{root: key, s: strconv.Quote(key)}
}

// Index returns the path of the i-th element of a list.
func (p *Path) Index(i int) *Path { return &Path{root: p.root, s: fmt.Sprintf("%s[%d]", p.s, i)} }

// Root returns the top-level key of the path.
func (p *Path) Root() string { return p.root }

// plainKey is a map key that reads unambiguously after a dot.
var plainKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// Key returns the path of a map entry.
func (p *Path) Key(k string) *Path {
	if plainKey.MatchString(k) {
		return &Path{root: p.root, s: p.s + "." + k}
	}
	return &Path{root: p.root, s: p.s + "[" + strconv.Quote(k) + "]"}
}

// String returns the path as it is written in messages.
func (p *Path) String() string { return p.s }

// Type is the kind of problem.
type Type string

// The problem types. Unknown is this program's addition: a key the program
// does not know (a typo the Pulumi CLI lets through).
const (
	Required     Type = "required"
	Invalid      Type = "invalid"
	NotSupported Type = "not supported"
	Duplicate    Type = "duplicate"
	TooLong      Type = "too long"
	Unknown      Type = "unknown key"
)

// Hidden stands for a value that must not be shown: a secret, or a value
// that looks like one.
const Hidden = "(hidden)"

// Error is one problem with one value.
type Error struct {
	Type     Type
	Field    string
	BadValue any
	Detail   string
}

// Error renders the problem as `<path>: <type> <value>: <detail>`.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Field)
	b.WriteString(": ")
	switch e.Type {
	case Required:
		b.WriteString("required")
	case Unknown:
		b.WriteString("unknown key")
	case TooLong:
		fmt.Fprintf(&b, "too long (%d characters)", length(e.BadValue))
	case NotSupported:
		fmt.Fprintf(&b, "unsupported value %s", show(e.BadValue))
	case Duplicate:
		fmt.Fprintf(&b, "duplicate value %s", show(e.BadValue))
	default:
		fmt.Fprintf(&b, "invalid value %s", show(e.BadValue))
	}
	if e.Detail != "" {
		if e.Type == Unknown {
			b.WriteString("; ")
		} else {
			b.WriteString(": ")
		}
		b.WriteString(oneLine(e.Detail))
	}
	return b.String()
}

// oneLine escapes line breaks, so that an error list keeps one problem per
// line even when a detail quotes a bad value.
func oneLine(s string) string {
	return strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(s)
}

func length(v any) int {
	if s, ok := v.(string); ok {
		return utf8.RuneCountInString(s)
	}
	return utf8.RuneCountInString(fmt.Sprint(v))
}

// show renders a bad value: strings and lists quoted, so an empty or
// blank value is visible, and Hidden as it is.
func show(v any) string {
	switch x := v.(type) {
	case string:
		if x == Hidden {
			return x
		}
		return strconv.Quote(x)
	case []string:
		return fmt.Sprintf("%q", x)
	default:
		return fmt.Sprint(x)
	}
}

// NewRequired says a value is missing.
func NewRequired(p *Path, detail string) *Error {
	return &Error{Type: Required, Field: p.String(), Detail: detail}
}

// NewInvalid says a value is wrong, and detail what would be valid.
func NewInvalid(p *Path, value any, detail string) *Error {
	return &Error{Type: Invalid, Field: p.String(), BadValue: value, Detail: detail}
}

// NewNotSupported says a value is not one of a fixed set, and lists the set.
func NewNotSupported(p *Path, value any, valid []string) *Error {
	quoted := make([]string, len(valid))
	for i, v := range valid {
		quoted[i] = strconv.Quote(v)
	}
	return &Error{Type: NotSupported, Field: p.String(), BadValue: value, Detail: "valid: " + strings.Join(quoted, ", ")}
}

// NewDuplicate says a value is listed twice.
func NewDuplicate(p *Path, value any, detail string) *Error {
	return &Error{Type: Duplicate, Field: p.String(), BadValue: value, Detail: detail}
}

// NewTooLong says a value is longer than max characters.
func NewTooLong(p *Path, value any, max int) *Error {
	return &Error{Type: TooLong, Field: p.String(), BadValue: value, Detail: fmt.Sprintf("must have at most %d characters", max)}
}

// NewUnknown says a key is not one the program knows, suggesting the nearest.
func NewUnknown(p *Path, suggestion string) *Error {
	e := &Error{Type: Unknown, Field: p.String()}
	if suggestion != "" {
		e.Detail = "did you mean " + suggestion + "?"
	} else {
		e.Detail = "see the keys in Pulumi.yaml"
	}
	return e
}

// ErrorList is every problem found, in the order found.
type ErrorList []*Error

// ToAggregate returns nil for an empty list, else an error that prints one
// problem per line and that errors.As unwraps back to the list.
func (l ErrorList) ToAggregate() error {
	if len(l) == 0 {
		return nil
	}
	return &AggregateError{List: l}
}

// AggregateError is an ErrorList as an error.
type AggregateError struct{ List ErrorList }

func (a *AggregateError) Error() string {
	lines := make([]string, len(a.List))
	for i, e := range a.List {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.Is and errors.As see each problem.
func (a *AggregateError) Unwrap() []error {
	out := make([]error, len(a.List))
	for i, e := range a.List {
		out[i] = e
	}
	return out
}

// List returns the problems of err when it is, or wraps, an AggregateError.
func List(err error) ErrorList {
	var agg *AggregateError
	if errors.As(err, &agg) {
		return agg.List
	}
	return nil
}
