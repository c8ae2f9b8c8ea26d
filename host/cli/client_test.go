package cli

import (
	"bytes"
	"strings"
	"testing"
)

func TestTableQuotesUnprintableCells(t *testing.T) {
	tests := []struct {
		name, cell, want string
	}{
		{"plain", "telegram", "telegram"},
		{"unicode", "Zoë 😀", "Zoë 😀"},
		{"empty", "", "-"},
		{"line break", "Bob\nFAKE1234  telegram", `"Bob\nFAKE1234  telegram"`},
		{"terminal escape", "a\x1b[31mb", `"a\x1b[31mb"`},
		{"tab", "a\tb", `"a\tb"`},
		{"bidi override", "t\u202e", `"t\u202e"`},
		{"invalid UTF-8", "\xff", `"\xff"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tb := newTable(&buf)
			tb.row("X", tt.cell)
			if err := tb.flush(); err != nil {
				t.Fatal(err)
			}
			got := strings.TrimSpace(strings.TrimPrefix(buf.String(), "X"))
			if got != tt.want || strings.Count(buf.String(), "\n") != 1 {
				t.Errorf("row(%q) printed %q, want the cell %s on one line", tt.cell, buf.String(), tt.want)
			}
		})
	}
}
