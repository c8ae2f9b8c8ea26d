package supervisor

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Limits on what the host keeps of a plugin's output.
const (
	// maxPassLine caps a line handed to go-plugin (the handshake line and
	// the plugin's log lines); longer lines are cut and the rest dropped.
	maxPassLine = 16 << 10
	// maxKeptLine caps a line kept for Status.LastOutput.
	maxKeptLine = 512
	// keptLines is how many lines Status.LastOutput holds.
	keptLines = 50
)

// outputLog keeps the last lines a plugin wrote, on stdout and stderr,
// across its restarts. It never blocks and never grows past keptLines
// lines of maxKeptLine bytes. It is safe for concurrent use.
type outputLog struct {
	mu    sync.Mutex // guards the fields below
	lines [keptLines]string
	next  int    // index of the next line to write
	n     int    // lines held
	total uint64 // lines ever added
	fatal string // the last "panic: …" or "fatal error: …" line
}

// add records one line, cleaned of control characters and invalid UTF-8.
func (o *outputLog) add(line []byte) {
	s := cleanLine(line)
	o.mu.Lock()
	defer o.mu.Unlock()
	if strings.HasPrefix(s, "panic: ") || strings.HasPrefix(s, "fatal error: ") {
		o.fatal = s
	}
	o.lines[o.next] = s
	o.next = (o.next + 1) % keptLines
	o.total++
	if o.n < keptLines {
		o.n++
	}
}

// lastFatal returns the last panic or fatal error line, if any.
func (o *outputLog) lastFatal() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.fatal
}

// mark returns a position to pass to since.
func (o *outputLog) mark() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.total
}

// last returns the kept lines, oldest first.
func (o *outputLog) last() []string { return o.since(0) }

// since returns the kept lines added after mark, oldest first.
func (o *outputLog) since(mark uint64) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := min(uint64(o.n), o.total-mark)
	out := make([]string, 0, n)
	for i := range n {
		out = append(out, o.lines[(o.next-int(n)+int(i)+keptLines)%keptLines])
	}
	return out
}

// quote returns the lines added after mark as one short string for an
// error message, keeping the end when it is too long.
func (o *outputLog) quote(mark uint64, max int) string {
	s := strings.Join(o.since(mark), "\n")
	if len(s) > max {
		s = "…" + s[len(s)-max:]
		s = strings.ToValidUTF8(s, "")
	}
	return s
}

// cleanLine makes a line safe to log and show: valid UTF-8, printable,
// at most maxKeptLine bytes.
func cleanLine(line []byte) string {
	if len(line) > maxKeptLine {
		line = line[:maxKeptLine]
	}
	s := strings.ToValidUTF8(string(line), "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r == '\t' || !unicode.IsControl(r) && r != utf8.RuneError {
			return r
		}
		return '?'
	}, s)
}

// lineReader reads a plugin's pipe for go-plugin: it records each line in
// the log, cuts lines longer than maxPassLine, and reports a pipe closed
// under it as the end of the stream.
type lineReader struct {
	f   *os.File
	log *outputLog

	raw     []byte // read buffer
	buf     []byte // filtered but not yet returned
	partial []byte // current line, for the log
	cut     bool   // dropping the rest of an overlong line
	passed  int    // bytes of the current line passed on

	ended chan struct{} // closed once Read has reached the end of f
	end   sync.Once
}

func newLineReader(f *os.File, log *outputLog) *lineReader {
	return &lineReader{f: f, log: log, raw: make([]byte, 32<<10), ended: make(chan struct{})}
}

// Read implements io.Reader.
func (r *lineReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		n, err := r.f.Read(r.raw)
		r.buf = r.filter(r.raw[:n])
		if err != nil && len(r.buf) == 0 {
			if errors.Is(err, os.ErrClosed) {
				err = io.EOF
			}
			r.flush()
			if r.ended != nil {
				r.end.Do(func() { close(r.ended) })
			}
			return 0, err
		}
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// filter records the lines in chunk and returns what go-plugin may see.
func (r *lineReader) filter(chunk []byte) []byte {
	out := make([]byte, 0, len(chunk))
	for len(chunk) > 0 {
		i := bytes.IndexByte(chunk, '\n')
		part := chunk
		if i >= 0 {
			part = chunk[:i]
		}
		r.keep(part)
		if room := maxPassLine - r.passed; room > 0 && !r.cut {
			take := min(room, len(part))
			out = append(out, part[:take]...)
			r.passed += take
			r.cut = take < len(part)
		}
		if i < 0 {
			break
		}
		out = append(out, '\n')
		r.flush()
		chunk = chunk[i+1:]
	}
	return out
}

func (r *lineReader) keep(part []byte) {
	if room := maxKeptLine - len(r.partial); room > 0 {
		r.partial = append(r.partial, part[:min(room, len(part))]...)
	}
}

// flush ends the current line. go-plugin's handshake line is not kept:
// it is protocol, not output.
func (r *lineReader) flush() {
	if len(r.partial) > 0 && !isHandshake(r.partial) {
		r.log.add(r.partial)
	}
	r.partial, r.cut, r.passed = r.partial[:0], false, 0
}

// isHandshake reports whether line looks like go-plugin's handshake:
// "core|app|network|address|protocol|cert".
func isHandshake(line []byte) bool {
	parts := bytes.Split(line, []byte("|"))
	return len(parts) >= 5 && len(parts) <= 7 && string(parts[4]) == "grpc" &&
		(string(parts[2]) == "unix" || string(parts[2]) == "tcp")
}

// Close implements io.Closer.
func (r *lineReader) Close() error { return r.f.Close() }

// logWriter records what the plugin writes to its os.Stdout and os.Stderr
// after the handshake (go-plugin forwards those over gRPC). It never
// blocks and never fails.
type logWriter struct {
	mu  sync.Mutex // guards r
	r   lineReader
	log *outputLog
}

func newLogWriter(log *outputLog) *logWriter {
	return &logWriter{r: lineReader{log: log}, log: log}
}

// Write implements io.Writer.
func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.r.filter(p)
	return len(p), nil
}
