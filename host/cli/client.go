package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/host/server"
	"github.com/spf13/cobra"
)

// EnvToken is the environment variable that holds the token of the
// commands that talk to a running host.
const EnvToken = "GATEHOUSE_TOKEN"

// DefaultAddr is where those commands find the host.
const DefaultAddr = "http://127.0.0.1:8080"

// clientFlags are the flags of every command that talks to a running
// host.
type clientFlags struct {
	addr, token string
	json        bool
}

func addClientFlags(cmd *cobra.Command, f *clientFlags) {
	cmd.PersistentFlags().StringVar(&f.addr, "addr", DefaultAddr, "base URL of the running host")
	cmd.PersistentFlags().StringVar(&f.token, "token", "", "bearer token or session token (default $"+EnvToken+")")
	cmd.PersistentFlags().BoolVar(&f.json, "json", false, "print the API's JSON")
}

// client calls the HTTP API of a running host.
type client struct {
	base  string
	token string
	http  *http.Client
}

func newClient(f *clientFlags) *client {
	token := f.token
	if token == "" {
		token = os.Getenv(EnvToken)
	}
	return &client{
		base:  strings.TrimRight(f.addr, "/"),
		token: token,
		http:  &http.Client{Timeout: 60 * time.Second},
	}
}

// do sends a request with in as its JSON body and returns the response
// body of a 2xx answer. Any other answer becomes an error with the exit
// code of its status.
func (c *client) do(ctx context.Context, method, path string, in any) ([]byte, error) {
	resp, err := c.send(ctx, method, path, in)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

// send is do for a response the caller streams; the caller closes it.
func (c *client) send(ctx context.Context, method, path string, in any) (*http.Response, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, usageError(fmt.Errorf("request: %w", err))
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		return nil, apiFailure(resp)
	}
	return resp, nil
}

// apiFailure turns an error response into an error with its exit code.
func apiFailure(resp *http.Response) error {
	var eb server.ErrorBody
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	msg := strings.TrimSpace(string(raw))
	if json.Unmarshal(raw, &eb) == nil && eb.Error.Code != "" {
		msg = eb.Error.Code + ": " + eb.Error.Message
	}
	err := fmt.Errorf("%s (HTTP %d)", msg, resp.StatusCode)
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		return withCode(ExitDenied, err)
	case http.StatusNotFound:
		return withCode(ExitNotFound, err)
	}
	return err
}

// output prints raw as JSON when asked, else decodes it into v and calls
// table.
func output[T any](cmd *cobra.Command, f *clientFlags, raw []byte, table func(io.Writer, T) error) error {
	w := cmd.OutOrStdout()
	if f.json {
		_, err := w.Write(raw)
		return err
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return fmt.Errorf("decode response: %w", err)
	}
	return table(w, v)
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table writes aligned columns.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer) *table {
	return &table{tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
}

// row writes one line. A cell with a character that is not printable
// (a tab, a line break, a terminal escape, a bidi override) is shown
// quoted, so a value a client chose cannot forge rows or drive the
// operator's terminal.
func (t *table) row(cols ...string) {
	for i, c := range cols {
		switch {
		case c == "":
			cols[i] = "-"
		case !utf8.ValidString(c) || strings.ContainsFunc(c, notPrintable):
			cols[i] = strconv.Quote(c)
		}
	}
	fmt.Fprintln(t.tw, strings.Join(cols, "\t"))
}

func (t *table) flush() error { return t.tw.Flush() }

func notPrintable(r rune) bool { return !unicode.IsPrint(r) }

// when formats a time for a table.
func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format(time.DateTime)
}
