// Package openapi holds the OpenAPI 3.1 document of the host's HTTP API,
// kept in the repository as openapi.yaml and served by the host, and the
// check that the document and the real route table agree.
package openapi

import (
	_ "embed"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/plugin"
)

// Document is openapi.yaml.
//
//go:embed openapi.yaml
var Document []byte

// Handler serves Document as application/yaml.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(Document)
	})
}

// methods are the operation keys of a path item.
var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// Operations lists the operations of doc as "METHOD /path", sorted. It
// reads the layout openapi.yaml keeps: "paths:" at the top level, each
// path indented two spaces, each method four.
func Operations(doc []byte) ([]string, error) {
	var out []string
	inPaths, path := false, ""
	for i, line := range strings.Split(string(doc), "\n") {
		switch {
		case line == "paths:":
			inPaths = true
		case !inPaths || strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#"):
		case !strings.HasPrefix(line, " "):
			inPaths = false
		case strings.HasPrefix(line, "  /") && strings.HasSuffix(line, ":"):
			path = strings.TrimSuffix(strings.TrimSpace(line), ":")
		case strings.HasPrefix(line, "    ") && !strings.HasPrefix(line, "     "):
			key, _, _ := strings.Cut(strings.TrimSpace(line), ":")
			if !slices.Contains(methods, key) {
				continue
			}
			if path == "" {
				return nil, fmt.Errorf("line %d: method %s outside a path: %w", i+1, key, plugin.ErrInvalid)
			}
			out = append(out, strings.ToUpper(key)+" "+path)
		}
	}
	slices.Sort(out)
	return out, nil
}

// param matches a path parameter in either notation: "{code}" in
// OpenAPI, "{code}" or "{rest...}" in a net/http pattern.
var param = regexp.MustCompile(`\{[^}]*\}`)

// normal reduces an operation to a comparable form: parameters lose their
// names, a trailing-slash subtree pattern becomes a parameter.
func normal(op string) string {
	op = param.ReplaceAllString(op, "{}")
	if strings.HasSuffix(op, "/") && !strings.HasSuffix(op, " /") {
		op += "{}"
	}
	return op
}

// Compare checks documented operations against routes, the "METHOD
// /path" patterns a server registered. A route without a method (a
// net/http pattern that matches every method) covers every documented
// method of its path. missing lists the routes the document lacks; stale
// lists the documented operations no route serves.
func Compare(documented, routes []string) (missing, stale []string) {
	doc := map[string]bool{}
	for _, op := range documented {
		doc[normal(op)] = false
	}
	for _, rt := range routes {
		method, path, ok := strings.Cut(rt, " ")
		if !ok {
			method, path = "", rt
		}
		if method == "" {
			covered := false
			for op := range doc {
				if strings.HasSuffix(op, " "+normal(path)) {
					doc[op], covered = true, true
				}
			}
			if !covered {
				missing = append(missing, rt)
			}
			continue
		}
		key := normal(method + " " + path)
		if _, ok := doc[key]; !ok {
			missing = append(missing, rt)
			continue
		}
		doc[key] = true
	}
	for op, seen := range doc {
		if !seen {
			stale = append(stale, op)
		}
	}
	slices.Sort(missing)
	slices.Sort(stale)
	return missing, stale
}
