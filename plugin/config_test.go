package plugin

import (
	"errors"
	"testing"
	"time"
)

func TestDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{`"90s"`, 90 * time.Second, false},
		{`"1h"`, time.Hour, false},
		{`30`, 30 * time.Second, false},
		{`null`, 0, false},
		{`"soon"`, 0, true},
		{`"-5s"`, 0, true},
		{`true`, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var d Duration
			err := d.UnmarshalJSON([]byte(tt.in))
			if (err != nil) != tt.wantErr || (!tt.wantErr && time.Duration(d) != tt.want) {
				t.Errorf("Duration.UnmarshalJSON(%s) = %v, %v, want %v, error %v", tt.in, time.Duration(d), err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestDecodeConfig(t *testing.T) {
	var cfg struct {
		Path string `json:"path"`
		PairingConfig
	}
	if err := DecodeConfig([]byte(`{"path":"x","code_ttl":"2m","max_pending":4}`), &cfg); err != nil {
		t.Fatalf("DecodeConfig(valid) error = %v", err)
	}
	ttl, max, err := cfg.Resolved()
	if cfg.Path != "x" || ttl != 2*time.Minute || max != 4 || err != nil {
		t.Errorf("decoded = %q, %v, %d, %v, want x, 2m, 4, nil", cfg.Path, ttl, max, err)
	}
	if err := DecodeConfig([]byte(`{"paht":"x"}`), &cfg); !errors.Is(err, ErrInvalid) {
		t.Errorf("DecodeConfig(unknown field) error = %v, want ErrInvalid", err)
	}
	if err := DecodeConfig(nil, &cfg); err != nil {
		t.Errorf("DecodeConfig(empty) error = %v, want nil", err)
	}
}

func TestPairingConfigDefaults(t *testing.T) {
	ttl, max, err := PairingConfig{}.Resolved()
	if ttl != DefaultCodeTTL || max != DefaultMaxPending || err != nil {
		t.Errorf("PairingConfig{}.Resolved() = %v, %d, %v, want defaults", ttl, max, err)
	}
	if _, _, err := (PairingConfig{MaxPending: -1}).Resolved(); !errors.Is(err, ErrInvalid) {
		t.Errorf("Resolved(max_pending -1) error = %v, want ErrInvalid", err)
	}
}
