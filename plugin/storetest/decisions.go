package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/plugin"
)

func testApproveChannelType(t *testing.T, f Factory) {
	_, s := fresh(t, f, defaults)
	pr, _ := generate(t, s.Pairing, plugin.CodeRequest{ChannelType: "chat", ChannelID: "42"})

	_, err := s.Pairing.Approve(t.Context(), plugin.Approval{ChannelType: "mail", Code: pr.Code})
	wantErr(t, "Approve(chat code as mail)", err, plugin.ErrNotFound)
	_, err = s.Pairing.Deny(t.Context(), plugin.Denial{ChannelType: "mail", Code: pr.Code})
	wantErr(t, "Deny(chat code as mail)", err, plugin.ErrNotFound)
	wantPaired(t, s.Pairing, "42", "mail", false)
	if !listsCode(t, s.Pairing, "chat", pr.Code) {
		t.Errorf("ListPending(chat) after a refused approval lacks %q, want it still open", pr.Code)
	}

	approve(t, s.Pairing, plugin.Approval{ChannelType: "chat", Code: pr.Code})
	wantPaired(t, s.Pairing, "42", "chat", true)
	wantPaired(t, s.Pairing, "42", "mail", false)
}

func testApproveIssuedChannel(t *testing.T, f Factory) {
	_, s := fresh(t, f, defaults)
	pr, _ := generate(t, s.Pairing, plugin.CodeRequest{ChannelType: "chat", ChannelID: "room", UserName: "Req"})
	a := plugin.Approval{ChannelType: "chat", Code: pr.Code, UserID: "intruder", UserName: "Ann", Actor: "owner"}
	before := time.Now()
	got := approve(t, s.Pairing, a)
	after := time.Now()

	want := plugin.PairedChannel{ChannelID: "room", ChannelType: "chat", Label: "Ann", ApprovedBy: "owner"}
	wantTime(t, "PairedAt", got.PairedAt, before, after)
	got.PairedAt = time.Time{}
	if got != want {
		t.Errorf("Approve(%+v) = %+v, want %+v", a, got, want)
	}
	wantPaired(t, s.Pairing, "room", "chat", true)
	wantPaired(t, s.Pairing, "intruder", "chat", false)

	// Without a UserName the requester's name is the label.
	pr, _ = generate(t, s.Pairing, plugin.CodeRequest{ChannelType: "chat", ChannelID: "den", UserName: "Bo"})
	if got := approve(t, s.Pairing, plugin.Approval{ChannelType: "chat", Code: pr.Code}); got.Label != "Bo" {
		t.Errorf("Approve(no user name).Label = %q, want the requester's %q", got.Label, "Bo")
	}

	// A second approval of the same channel replaces label and approver.
	pr, _ = generate(t, s.Pairing, plugin.CodeRequest{ChannelType: "chat", ChannelID: "room"})
	approve(t, s.Pairing, plugin.Approval{ChannelType: "chat", Code: pr.Code, UserName: "Ann 2", Actor: "boss"})
	all := walkPaired(t, s.Pairing, 0)
	var rooms []plugin.PairedChannel
	for _, pc := range all {
		if pc.ChannelID == "room" {
			rooms = append(rooms, pc)
		}
	}
	if len(rooms) != 1 || rooms[0].Label != "Ann 2" || rooms[0].ApprovedBy != "boss" {
		t.Errorf("ListPaired() after re-approval has room as %+v, want once with label Ann 2 by boss", rooms)
	}
}

func testApproveUnbound(t *testing.T, f Factory) {
	_, s := fresh(t, f, defaults)
	pr, _ := generate(t, s.Pairing, plugin.CodeRequest{ChannelType: "chat", UserName: "Cy"})

	_, err := s.Pairing.Approve(t.Context(), plugin.Approval{ChannelType: "chat", Code: pr.Code})
	wantErr(t, "Approve(unbound code, no user id)", err, plugin.ErrInvalid)
	if !listsCode(t, s.Pairing, "chat", pr.Code) {
		t.Errorf("ListPending(chat) after approval without user id lacks %q, want it still open", pr.Code)
	}

	a := plugin.Approval{ChannelType: "chat", Code: pr.Code, UserID: "u-7", UserName: "Cyd", Actor: "op"}
	got := approve(t, s.Pairing, a)
	if got.ChannelID != "u-7" || got.Label != "Cyd" || got.ApprovedBy != "op" {
		t.Errorf("Approve(%+v) = %+v, want channel u-7 labelled Cyd by op", a, got)
	}
	wantPaired(t, s.Pairing, "u-7", "chat", true)
}

func testApproveRace(t *testing.T, f Factory) {
	open := f(t, defaults)
	handles := openHandles(open, 5)
	pr, _ := generate(t, handles[0].Pairing, plugin.CodeRequest{ChannelType: "chat", ChannelID: "prize"})

	const racers = 50
	errs := make([]error, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			a := plugin.Approval{ChannelType: "chat", Code: pr.Code, Actor: fmt.Sprintf("op-%d", i)}
			_, errs[i] = handles[i%len(handles)].Pairing.Approve(t.Context(), a)
		})
	}
	wg.Wait()

	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, plugin.ErrNotFound):
			t.Errorf("Approve(raced code) racer %d = %v, want nil or %v", i, err, plugin.ErrNotFound)
		}
	}
	if won != 1 {
		t.Errorf("Approve(one code) by %d racers: %d succeeded, want exactly 1", racers, won)
	}
	approvals := 0
	for _, r := range walkAudit(t, handles[0].Pairing, 0) {
		if r.Action == plugin.ActionApproved && r.ChannelID == "prize" {
			approvals++
		}
	}
	if approvals != 1 {
		t.Errorf("ListAudit() after the race has %d approvals of prize, want 1", approvals)
	}
}

func testDeny(t *testing.T, f Factory) {
	_, s := fresh(t, f, defaults)
	pr, _ := generate(t, s.Pairing, plugin.CodeRequest{ChannelType: "chat", ChannelID: "no", UserName: "Eve"})
	d := plugin.Denial{ChannelType: "chat", Code: pr.Code, Actor: "op"}
	got, err := s.Pairing.Deny(t.Context(), d)
	if err != nil || got.Code != pr.Code || got.ChannelID != "no" || got.UserName != "Eve" {
		t.Fatalf("Deny(%+v) = %+v, %v, want the request %+v", d, got, err, pr)
	}

	wantPaired(t, s.Pairing, "no", "chat", false)
	if listsCode(t, s.Pairing, "", pr.Code) {
		t.Errorf("ListPending() after Deny lists %q, want it gone", pr.Code)
	}
	_, err = s.Pairing.Deny(t.Context(), d)
	wantErr(t, "Deny(denied code)", err, plugin.ErrNotFound)
	_, err = s.Pairing.Approve(t.Context(), plugin.Approval{ChannelType: "chat", Code: pr.Code})
	wantErr(t, "Approve(denied code)", err, plugin.ErrNotFound)
}

func testRevoke(t *testing.T, f Factory) {
	_, s := fresh(t, f, defaults)
	pair(t, s.Pairing, "chat", "gone", "op")
	pair(t, s.Pairing, "mail", "gone", "op")

	r := plugin.Revocation{ChannelID: "gone", ChannelType: "chat", Actor: "op"}
	for i, want := range []bool{true, false} {
		got, err := s.Pairing.Revoke(t.Context(), r)
		if err != nil || got != want {
			t.Errorf("Revoke(%+v) call %d = %v, %v, want %v, nil", r, i+1, got, err, want)
		}
	}
	wantPaired(t, s.Pairing, "gone", "chat", false)
	wantPaired(t, s.Pairing, "gone", "mail", true)

	never := plugin.Revocation{ChannelID: "never", ChannelType: "chat"}
	if got, err := s.Pairing.Revoke(t.Context(), never); err != nil || got {
		t.Errorf("Revoke(%+v) = %v, %v, want false, nil", never, got, err)
	}
}

func testIsPaired(t *testing.T, f Factory) {
	_, s := fresh(t, f, defaults)
	pair(t, s.Pairing, "telegram", "42", "op")

	wantPaired(t, s.Pairing, "42", "telegram", true)
	wantPaired(t, s.Pairing, "telegram", "42", false)
	wantPaired(t, s.Pairing, "42", "slack", false)
	wantPaired(t, s.Pairing, "43", "telegram", false)
	wantPaired(t, s.Pairing, "4", "telegram", false)
}
