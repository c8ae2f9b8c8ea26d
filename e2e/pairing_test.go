package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/host/server"
	"github.com/gatehouse/gatehouse/plugin"
)

// TestPairingStory walks one channel through request, approval, listing,
// revocation and audit, with the mistakes people make on the way.
func TestPairingStory(t *testing.T) {
	w := startWorld(t)
	open := server.OpenRequest{ChannelType: "telegram", ChannelID: "12345", UserName: "Bob"}

	var first, again server.OpenResponse
	w.expect(t, http.StatusCreated, "POST", "/v1/pairing/requests", w.channel, open, &first)
	w.expect(t, http.StatusOK, "POST", "/v1/pairing/requests", w.channel, open, &again)
	if again.Code != first.Code || !again.Reused {
		t.Fatalf("second request = %+v, want code %s reused", again, first.Code)
	}
	if paired := w.isPaired(t, "telegram", "12345"); paired {
		t.Fatal("is-paired before approval = true, want false")
	}

	t.Run("channel token cannot approve", func(t *testing.T) {
		in := server.ApproveRequest{ChannelType: "telegram", Code: first.Code}
		got, raw := w.call(t, "POST", "/v1/pairing/approve", w.channel, in)
		if got != http.StatusForbidden || errorCode(t, raw) != server.CodeForbidden {
			t.Fatalf("approve as channel = %d %s, want 403 forbidden", got, raw)
		}
	})

	t.Run("wrong channel type is refused", func(t *testing.T) {
		in := server.ApproveRequest{ChannelType: "slack", Code: hyphenated(first.Code)}
		got, raw := w.call(t, "POST", "/v1/pairing/approve", w.operator, in)
		if got != http.StatusNotFound || errorCode(t, raw) != server.CodeNotFound {
			t.Fatalf("approve as slack = %d %s, want 404 not_found", got, raw)
		}
	})

	t.Run("lowercase hyphenated code approves its own type", func(t *testing.T) {
		in := server.ApproveRequest{ChannelType: "telegram", Code: hyphenated(first.Code), UserName: "Bob's chat"}
		var pc plugin.PairedChannel
		w.expect(t, http.StatusOK, "POST", "/v1/pairing/approve", w.operator, in, &pc)
		if pc.ChannelID != "12345" || pc.Label != "Bob's chat" || pc.ApprovedBy != "alice" {
			t.Fatalf("approve = %+v, want channel 12345 labelled by alice", pc)
		}
		if !w.isPaired(t, "telegram", "12345") {
			t.Fatal("is-paired after approval = false, want true")
		}
		got, _ := w.call(t, "POST", "/v1/pairing/approve", w.operator, in)
		if got != http.StatusNotFound {
			t.Fatalf("second approval of one code = %d, want 404", got)
		}
	})

	t.Run("deny", func(t *testing.T) {
		var r server.OpenResponse
		in := server.OpenRequest{ChannelType: "telegram", ChannelID: "999"}
		w.expect(t, http.StatusCreated, "POST", "/v1/pairing/requests", w.channel, in, &r)
		deny := server.DenyRequest{ChannelType: "telegram", Code: r.Code}
		w.expect(t, http.StatusOK, "POST", "/v1/pairing/deny", w.operator, deny, nil)
		approve := server.ApproveRequest{ChannelType: "telegram", Code: r.Code}
		w.expect(t, http.StatusNotFound, "POST", "/v1/pairing/approve", w.operator, approve, nil)
		if w.isPaired(t, "telegram", "999") {
			t.Fatal("denied channel is paired")
		}
	})

	t.Run("listings", func(t *testing.T) {
		var pending server.List[server.Pending]
		w.expect(t, http.StatusOK, "GET", "/v1/pairing/pending", w.operator, nil, &pending)
		if len(pending.Items) != 0 {
			t.Fatalf("pending = %+v, want none", pending.Items)
		}
		var all []plugin.PairedChannel
		w.expect(t, http.StatusOK, "GET", "/v1/pairing/paired", w.operator, nil, &all)
		if len(all) != 1 || all[0].ChannelID != "12345" {
			t.Fatalf("paired = %+v, want telegram/12345", all)
		}
		w.expect(t, http.StatusForbidden, "GET", "/v1/pairing/paired", w.channel, nil, nil)
	})

	t.Run("revoke and audit", func(t *testing.T) {
		rv := server.RevokeRequest{ChannelType: "telegram", ChannelID: "12345"}
		w.expect(t, http.StatusOK, "POST", "/v1/pairing/revoke", w.operator, rv, nil)
		w.expect(t, http.StatusNotFound, "POST", "/v1/pairing/revoke", w.operator, rv, nil)
		if w.isPaired(t, "telegram", "12345") {
			t.Fatal("is-paired after revoke = true")
		}

		var audit server.List[plugin.AuditRecord]
		w.expect(t, http.StatusOK, "GET", "/v1/pairing/audit", w.operator, nil, &audit)
		var actions []string
		for _, a := range audit.Items {
			if a.Actor != "alice" {
				t.Errorf("audit record %+v: actor %q, want alice", a, a.Actor)
			}
			actions = append(actions, a.Action)
		}
		want := "approved,denied,revoked"
		if got := strings.Join(actions, ","); got != want {
			t.Fatalf("audit actions = %s, want %s", got, want)
		}
	})
}

// TestPairingCLI operates pairing through the CLI against the host.
func TestPairingCLI(t *testing.T) {
	w := startWorld(t)
	dir := t.TempDir()
	var r server.OpenResponse
	open := server.OpenRequest{ChannelType: "discord", ChannelID: "c-1", UserName: "Eve"}
	w.expect(t, http.StatusCreated, "POST", "/v1/pairing/requests", w.channel, open, &r)
	addr := "--addr=" + w.host.URL

	out, errOut, code := gatehouse(t, dir, "pairing", "pending", addr, "--token", w.operator, "--json")
	var pending server.List[server.Pending]
	if code != 0 || json.Unmarshal([]byte(out), &pending) != nil || len(pending.Items) != 1 {
		t.Fatalf("pairing pending = %d %q %q, want one request", code, out, errOut)
	}

	_, errOut, code = gatehouse(t, dir, "pairing", "approve", "discord", r.Code, addr, "--token", w.channel)
	if code != 4 {
		t.Fatalf("pairing approve as channel exited %d (%s), want 4", code, errOut)
	}
	_, _, code = gatehouse(t, dir, "pairing", "approve", "discord", "ZZZZ-ZZZZ", addr, "--token", w.operator)
	if code != 5 {
		t.Fatalf("pairing approve of an unknown code exited %d, want 5", code)
	}
	out, errOut, code = gatehouse(t, dir, "pairing", "approve", "discord", hyphenated(r.Code), addr, "--token", w.operator)
	if code != 0 || !strings.Contains(out, "discord/c-1") {
		t.Fatalf("pairing approve = %d %q %q, want discord/c-1 paired", code, out, errOut)
	}
	out, _, code = gatehouse(t, dir, "pairing", "paired", addr, "--token", w.operator)
	if code != 0 || !strings.Contains(out, "c-1") {
		t.Fatalf("pairing paired = %d %q, want c-1 listed", code, out)
	}
}

// isPaired asks as the channel adapter.
func (w *world) isPaired(t *testing.T, channelType, channelID string) bool {
	t.Helper()
	var st struct{ Paired bool }
	path := "/v1/pairing/status?channel_type=" + channelType + "&channel_id=" + channelID
	w.expect(t, http.StatusOK, "GET", path, w.channel, nil, &st)
	return st.Paired
}
