package supervisor_test

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/host/supervisor"
	"github.com/gatehouse/gatehouse/plugin"
)

func TestStartServesAndLogs(t *testing.T) {
	var logs syncBuffer
	b, _ := faultBlock(t)
	p := start(t, b, testOptions(&logs))

	res, err := check(t, p.Auth())
	if err != nil || res.Outcome != plugin.OutcomeSuccess || res.Principal.UserID != "alice" {
		t.Fatalf("Check() = %+v, %v, want success as alice", res, err)
	}
	st := p.Status()
	if st.State != supervisor.StateReady || st.PID == 0 || st.Version != "0.0.1-test" || len(st.SHA256) != 64 {
		t.Errorf("Status() = %+v, want ready with pid, version and sha256", st)
	}
	eventually(t, "plugin log line in host log", func() bool {
		return strings.Contains(logs.String(), "fault plugin serving")
	})
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "fault plugin serving") && !strings.Contains(line, "auth.fault") {
			t.Errorf("plugin log line %q is not tagged with auth.fault", line)
		}
	}
}

func TestHandshakeFailures(t *testing.T) {
	tests := []struct {
		name  string
		env   []string
		quote string // what the error must quote from the plugin
	}{
		{"exit before handshake", []string{"FAULT_EXIT_BEFORE=3"}, "exiting before the handshake"},
		{"garbage on stdout", []string{"FAULT_STDOUT_BEFORE=garbage"}, "hello from a plugin that talks too much"},
		{"huge line on stdout", []string{"FAULT_STDOUT_BEFORE=huge"}, "xxxxxxxx"},
		{"binary on stdout", []string{"FAULT_STDOUT_BEFORE=binary"}, "failed the handshake"},
		{"flood on stderr", []string{"FAULT_STDERR=flood", "FAULT_START_DELAY=1h"}, "flood line of a chatty plugin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := faultBlock(t, tt.env...)
			b.StartTimeout = time.Second
			_, err := supervisor.Start(t.Context(), pluginDir, b, testOptions(nil))
			if err == nil {
				t.Fatal("Start() = nil error, want a handshake failure")
			}
			msg := err.Error()
			if !errors.Is(err, plugin.ErrUnavailable) || !strings.Contains(msg, "gatehouse-plugin-fault") ||
				!strings.Contains(msg, tt.quote) {
				t.Errorf("Start() = %v, want ErrUnavailable naming the binary and quoting %q", err, tt.quote)
			}
			if len(msg) > 2000 || !utf8.ValidString(msg) {
				t.Errorf("Start() error is %d bytes long, valid UTF-8 %v; want short and valid",
					len(msg), utf8.ValidString(msg))
			}
		})
	}
}

func TestStartTooSlow(t *testing.T) {
	b, _ := faultBlock(t, "FAULT_START_DELAY=1h")
	b.StartTimeout = 300 * time.Millisecond
	_, err := supervisor.Start(t.Context(), pluginDir, b, testOptions(nil))
	if err == nil || !errors.Is(err, plugin.ErrUnavailable) || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("Start() = %v, want a handshake timeout", err)
	}
}

func TestCrashDuringCallRestarts(t *testing.T) {
	b, _ := faultBlock(t)
	p := start(t, b, testOptions(nil))
	pid := p.Status().PID

	_, err := checkAs(t, p.Auth(), "crash")
	if !errors.Is(err, plugin.ErrUnavailable) || !strings.Contains(err.Error(), "auth.fault") {
		t.Fatalf("Check() = %v, want ErrUnavailable naming auth.fault", err)
	}
	eventually(t, "restart with a new pid", func() bool {
		st := p.Status()
		return st.State == supervisor.StateReady && st.PID != pid && st.Restarts >= 1
	})
	st := p.Status()
	if !strings.Contains(strings.Join(st.LastOutput, "\n"), "main.auth.Check") {
		t.Errorf("Status().LastOutput = %q, want the plugin's stack trace", st.LastOutput)
	}
	if !strings.Contains(st.LastError, "exit status 2; panic: fault: crashing in Check") {
		t.Errorf("Status().LastError = %q, want the exit status and the panic", st.LastError)
	}
}

func TestCrashLoopFails(t *testing.T) {
	b, _ := faultBlock(t, "FAULT_CRASH_ON=Check")
	b.MaxRestarts = 2
	p := start(t, b, testOptions(nil))

	eventually(t, "state failed", func() bool {
		_, _ = check(t, p.Auth())
		return p.Status().State == supervisor.StateFailed
	})
	_, err := check(t, p.Auth())
	if !errors.Is(err, supervisor.ErrNotReady) || !errors.Is(err, plugin.ErrUnavailable) ||
		!strings.Contains(err.Error(), "auth.fault is failed") {
		t.Errorf("Check() while failed = %v, want ErrNotReady naming the plugin and state", err)
	}
	if st := p.Status(); st.Restarts != 2 || !strings.Contains(st.LastError, "restarted more than 2 times") {
		t.Errorf("Status() = %d restarts, last error %q; want 2 and the crash-loop reason", st.Restarts, st.LastError)
	}
}

func TestHungCallTimesOut(t *testing.T) {
	b, _ := faultBlock(t)
	b.CallTimeout = 300 * time.Millisecond
	p := start(t, b, testOptions(nil))

	_, err := checkAs(t, p.Auth(), "hang")
	if !errors.Is(err, plugin.ErrTimeout) || !strings.Contains(err.Error(), "auth.fault") {
		t.Fatalf("Check(hang) = %v, want ErrTimeout naming auth.fault", err)
	}
	if res, err := check(t, p.Auth()); err != nil || res.Outcome != plugin.OutcomeSuccess {
		t.Errorf("Check() after a hung call = %+v, %v; want success", res, err)
	}
}

func TestStoppedProcessIsRestarted(t *testing.T) {
	b, _ := faultBlock(t)
	b.CallTimeout = 300 * time.Millisecond
	b.HealthInterval = 100 * time.Millisecond
	p := start(t, b, testOptions(nil))
	pid := p.Status().PID

	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	eventually(t, "restart of the stopped plugin", func() bool {
		st := p.Status()
		return st.State == supervisor.StateReady && st.PID != pid
	})
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("stopped plugin %d still exists (kill 0 = %v)", pid, err)
	}
	if _, err := check(t, p.Auth()); err != nil {
		t.Errorf("Check() after restart = %v", err)
	}
}

func TestStopIsBoundedAndLeavesNothing(t *testing.T) {
	b, marker := faultBlock(t, "FAULT_IGNORE_SHUTDOWN=1", "FAULT_CHILDREN=2")
	b.StopTimeout = time.Second
	p := start(t, b, testOptions(nil))
	eventually(t, "plugin, children and grandchildren", func() bool { return len(marked(marker)) == 5 })

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := p.Stop(ctx); err != nil {
		t.Fatalf("Stop() = %v", err)
	}
	if err := p.Stop(ctx); err != nil {
		t.Errorf("second Stop() = %v", err)
	}
	if st := p.Status(); st.State != supervisor.StateStopped {
		t.Errorf("Status().State = %s, want stopped", st.State)
	}
	waitGone(t, marker)
}

func TestHostileOutput(t *testing.T) {
	for _, kind := range []string{"flood", "binary", "longline"} {
		t.Run(kind, func(t *testing.T) {
			b, _ := faultBlock(t, "FAULT_STDERR="+kind)
			p := start(t, b, testOptions(&syncBuffer{}))
			eventually(t, "end of hostile output", func() bool {
				return strings.Contains(strings.Join(p.Status().LastOutput, "\n"), "hostile output done")
			})
			if _, err := check(t, p.Auth()); err != nil {
				t.Errorf("Check() = %v", err)
			}
			for _, line := range p.Status().LastOutput {
				if len(line) > 512+8 || !utf8.ValidString(line) {
					t.Errorf("LastOutput line of %d bytes, valid UTF-8 %v", len(line), utf8.ValidString(line))
				}
			}
		})
	}
}

func TestMessageSize(t *testing.T) {
	const blob = 6 << 20 // over gRPC's default 4 MiB
	tests := []struct {
		name    string
		limit   int
		wantErr error
	}{
		{"within the limit", 16 << 20, nil},
		{"beyond the limit", 5 << 20, supervisor.ErrMessageTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := faultBlock(t, "FAULT_HUGE=6291456")
			b.MaxMessageBytes = tt.limit
			p := start(t, b, testOptions(nil))
			res, err := check(t, p.Auth())
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Check() = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && len(res.Principal.Metadata["blob"].(string)) != blob {
				t.Errorf("Check() metadata blob is not %d bytes", blob)
			}
		})
	}
}
