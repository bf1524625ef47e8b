package field

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestPathSyntax(t *testing.T) {
	tests := []struct {
		path *Path
		want string
	}{
		{NewPath("cpu"), "cpu"},
		{NewPath("desired count\n"), `"desired count\n"`},
		{NewPath("allowedCidrs").Index(1), "allowedCidrs[1]"},
		{NewPath("environment").Key("DB_HOST"), "environment.DB_HOST"},
		{NewPath("tags").Key("team"), "tags.team"},
		{NewPath("tags").Key("cost center"), `tags["cost center"]`},
		{NewPath("tags").Key("a\nb"), `tags["a\nb"]`},
	}
	for _, tt := range tests {
		if got := tt.path.String(); got != tt.want {
			t.Errorf("path %q, want %q", got, tt.want)
		}
		if root := strings.TrimLeft(tt.want, `"`); !strings.HasPrefix(root, strings.ReplaceAll(tt.path.Root(), "\n", `\n`)) {
			t.Errorf("root %q of %q", tt.path.Root(), tt.want)
		}
	}
}

func TestMessages(t *testing.T) {
	p := NewPath("x")
	tests := []struct {
		err  *Error
		want string
	}{
		{NewInvalid(p, 3, "from 1 to 2"), "x: invalid value 3: from 1 to 2"},
		{NewInvalid(p, "", "must not be empty"), `x: invalid value "": must not be empty`},
		{NewInvalid(p, Hidden, "looks like a secret"), "x: invalid value (hidden): looks like a secret"},
		{NewRequired(p, "set it"), "x: required: set it"},
		{NewNotSupported(p, "c", []string{"a", "b"}), `x: unsupported value "c": valid: "a", "b"`},
		{NewDuplicate(p, "a", "also x[0]"), `x: duplicate value "a": also x[0]`},
		{NewTooLong(p, "abcd", 3), "x: too long (4 characters): must have at most 3 characters"},
		{NewUnknown(p, "y"), "x: unknown key; did you mean y?"},
		{NewInvalid(p, "v", "line\nbreak"), `x: invalid value "v": line\nbreak`},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("message %q, want %q", got, tt.want)
		}
	}
}

func TestListSurvivesWrapping(t *testing.T) {
	if ErrorList(nil).ToAggregate() != nil {
		t.Fatal("an empty list is an error")
	}
	list := ErrorList{NewRequired(NewPath("a"), ""), NewInvalid(NewPath("b"), 1, "")}
	err := fmt.Errorf("program: %w", list.ToAggregate())
	got := List(err)
	if len(got) != 2 || got[0].Field != "a" || got[1].Type != Invalid {
		t.Errorf("List = %v", got)
	}
	var one *Error
	if !errors.As(err, &one) || one.Field != "a" {
		t.Errorf("errors.As found %v", one)
	}
}
