package plugin

import (
	"net/http"
	"testing"
	"time"

	pb "github.com/gatehouse/gatehouse/shared/gatehousev1"
	"github.com/google/go-cmp/cmp"
)

// TestCheckResultFailsClosed pins that every answer but a well-formed
// success or no-credential is read as a failure.
func TestCheckResultFailsClosed(t *testing.T) {
	tests := []struct {
		name string
		in   *pb.CheckResponse
		want Outcome
	}{
		{"nil", nil, OutcomeFailure},
		{"unspecified", &pb.CheckResponse{Principal: &pb.Principal{UserId: "u"}}, OutcomeFailure},
		{"success without user", &pb.CheckResponse{Outcome: pb.Outcome_OUTCOME_SUCCESS}, OutcomeFailure},
		{"unknown outcome", &pb.CheckResponse{Outcome: 42, Principal: &pb.Principal{UserId: "u"}}, OutcomeFailure},
		{"failure", &pb.CheckResponse{Outcome: pb.Outcome_OUTCOME_FAILURE}, OutcomeFailure},
		{"no credential", &pb.CheckResponse{Outcome: pb.Outcome_OUTCOME_NO_CREDENTIAL}, OutcomeNoCredential},
		{"success", &pb.CheckResponse{Outcome: pb.Outcome_OUTCOME_SUCCESS, Principal: &pb.Principal{UserId: "u"}}, OutcomeSuccess},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fromCheckResult(tt.in).Outcome; got != tt.want {
				t.Errorf("fromCheckResult(%v).Outcome = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestConversionsRoundTrip(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	p := Principal{UserID: "alice", Role: "operator", Metadata: map[string]any{
		"groups": []any{"ops", "dev"}, "n": 3.5, "ok": true, "nested": map[string]any{"k": nil},
	}}
	wp, err := toPrincipal(p)
	if err != nil {
		t.Fatalf("toPrincipal(%v) error = %v", p, err)
	}
	if diff := cmp.Diff(p, fromPrincipal(wp)); diff != "" {
		t.Errorf("principal round trip (-want +got):\n%s", diff)
	}

	req := &CheckRequest{
		Method: "GET", Path: "/x", Host: "h", RemoteAddr: "1.2.3.4:5",
		Header: http.Header{"Authorization": {"Bearer a", "Bearer b"}},
		TLS:    &TLSInfo{ServerName: "h", Version: "TLS 1.3", PeerSubjects: []string{"CN=x"}},
	}
	if diff := cmp.Diff(req, fromCheckRequest(toCheckRequest(req))); diff != "" {
		t.Errorf("check request round trip (-want +got):\n%s", diff)
	}

	pr := PendingRequest{Code: "ABCD2345", ChannelType: "t", ChannelID: "i", UserName: "u", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if diff := cmp.Diff(pr, fromPending(toPending(pr))); diff != "" {
		t.Errorf("pending round trip (-want +got):\n%s", diff)
	}
	pc := PairedChannel{ChannelID: "i", ChannelType: "t", PairedAt: now, Label: "l", ApprovedBy: "a"}
	if diff := cmp.Diff(pc, fromPaired(toPaired(pc))); diff != "" {
		t.Errorf("paired round trip (-want +got):\n%s", diff)
	}
	a := AuditRecord{ID: 7, Action: ActionApproved, ChannelType: "t", ChannelID: "i", Actor: "a", At: now}
	if diff := cmp.Diff(a, fromAudit(toAudit(a))); diff != "" {
		t.Errorf("audit round trip (-want +got):\n%s", diff)
	}
}

func TestToPrincipalRefusesNonJSONMetadata(t *testing.T) {
	p := Principal{UserID: "u", Metadata: map[string]any{"ch": make(chan int)}}
	if _, err := toPrincipal(p); err == nil {
		t.Errorf("toPrincipal(%v) error = nil, want ErrInvalid", p)
	}
}
