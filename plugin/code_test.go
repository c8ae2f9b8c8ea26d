package plugin

import (
	"errors"
	"strings"
	"testing"
)

func TestNewCode(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		code, err := NewCode()
		if err != nil {
			t.Fatalf("NewCode() error = %v", err)
		}
		if len(code) != CodeLength || strings.Trim(code, CodeAlphabet) != "" {
			t.Fatalf("NewCode() = %q, want %d characters of %s", code, CodeLength, CodeAlphabet)
		}
		seen[code] = true
	}
	// 40 bits per code: a repeat within 1,000 draws means a broken source.
	if len(seen) != 1000 {
		t.Errorf("NewCode() gave %d distinct codes in 1000 draws", len(seen))
	}
}

func TestNormalizeCode(t *testing.T) {
	tests := []struct {
		in, want string
		err      error
	}{
		{"ABCD2345", "ABCD2345", nil},
		{"abcd2345", "ABCD2345", nil},
		{"abcd-2345", "ABCD2345", nil},
		{" ab cd-23 45 ", "ABCD2345", nil},
		{"ab\tcd2345", "ABCD2345", nil},
		{"", "", ErrInvalid},
		{"ABCD234", "", ErrInvalid},
		{"ABCD23456", "", ErrInvalid},
		{"ABCD0345", "", ErrInvalid}, // 0 is not in the alphabet
		{"ABCDO345", "", ErrInvalid}, // nor O
		{"ABCD1345", "", ErrInvalid}, // nor 1
		{"ABCDI345", "", ErrInvalid}, // nor I
		{"ABCD234É", "", ErrInvalid},
		{"ABCD_345", "", ErrInvalid},
		{strings.Repeat("A", 10000), "", ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := NormalizeCode(tt.in)
			if got != tt.want || !errors.Is(err, tt.err) {
				t.Errorf("NormalizeCode(%q) = %q, %v, want %q, %v", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}

func TestCodesEqual(t *testing.T) {
	if !CodesEqual("ABCD2345", "ABCD2345") {
		t.Error("CodesEqual(same) = false, want true")
	}
	for _, other := range []string{"ABCD2346", "ABCD234", ""} {
		if CodesEqual("ABCD2345", other) {
			t.Errorf("CodesEqual(ABCD2345, %q) = true, want false", other)
		}
	}
}

func TestClampLimit(t *testing.T) {
	tests := []struct{ in, want int }{
		{0, DefaultPageLimit}, {-3, DefaultPageLimit}, {7, 7},
		{MaxPageLimit, MaxPageLimit}, {MaxPageLimit + 1, MaxPageLimit},
	}
	for _, tt := range tests {
		if got := ClampLimit(Page{Limit: tt.in}); got != tt.want {
			t.Errorf("ClampLimit(%d) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
