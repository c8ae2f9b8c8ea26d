package openapi

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestOperations(t *testing.T) {
	ops, err := Operations(Document)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"POST /v1/login", "GET /v1/events", "GET /v1/forward-auth", "GET /openapi.yaml"} {
		if !slices.Contains(ops, want) {
			t.Errorf("Operations(openapi.yaml) lacks %q; got %v", want, ops)
		}
	}
	doc := []byte("openapi: 3.1.0\npaths:\n  /a:\n    get:\n      summary: x\n    parameters: []\n  /b/{id}:\n    post: {}\ncomponents:\n  x:\n    get: {}\n")
	got, _ := Operations(doc)
	if diff := cmp.Diff([]string{"GET /a", "POST /b/{id}"}, got); diff != "" {
		t.Errorf("Operations(small doc) (-want +got):\n%s", diff)
	}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		name        string
		doc, routes []string
		missing     []string
		stale       []string
	}{
		{"equal", []string{"GET /a", "POST /b/{id}"}, []string{"GET /a", "POST /b/{code}"}, nil, nil},
		{"undocumented route", []string{"GET /a"}, []string{"GET /a", "DELETE /a"}, []string{"DELETE /a"}, nil},
		{"stale doc", []string{"GET /a", "GET /gone"}, []string{"GET /a"}, nil, []string{"GET /gone"}},
		{"any method route", []string{"GET /f", "POST /f"}, []string{"/f"}, nil, nil},
		{"subtree route", []string{"GET /f/{path}"}, []string{"/f/"}, nil, nil},
		{"rest wildcard", []string{"GET /f/{path}"}, []string{"GET /f/{rest...}"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			missing, stale := Compare(tt.doc, tt.routes)
			if diff := cmp.Diff(tt.missing, missing); diff != "" {
				t.Errorf("missing (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.stale, stale); diff != "" {
				t.Errorf("stale (-want +got):\n%s", diff)
			}
		})
	}
}

// registration finds the patterns host/server registers: s.public(...),
// s.route(...), s.mux.Handle(...) and s.mux.HandleFunc(...) calls with a
// literal pattern.
var registration = regexp.MustCompile(`s\.(?:public|route|mux\.Handle|mux\.HandleFunc)\("([A-Z]+ )?(/[^"]*)"`)

// serverRoutes reads the route table from the server's source, the
// single place routes are registered.
func serverRoutes(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "server", "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no server sources: %v", err)
	}
	var routes []string
	for _, f := range files {
		if filepath.Ext(f) != ".go" || strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range registration.FindAllStringSubmatch(string(src), -1) {
			if m[2] == "/" { // the catch-all 404/405 answer
				continue
			}
			routes = append(routes, m[1]+m[2])
		}
	}
	return routes
}

func TestDocumentMatchesServerRoutes(t *testing.T) {
	ops, err := Operations(Document)
	if err != nil {
		t.Fatal(err)
	}
	routes := serverRoutes(t)
	missing, stale := Compare(ops, routes)
	if len(missing) > 0 {
		t.Errorf("routes missing from openapi.yaml: %v", missing)
	}
	if len(stale) > 0 {
		t.Errorf("openapi.yaml documents operations no route serves: %v\nroutes: %v", stale, routes)
	}
}

func TestHandler(t *testing.T) {
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi.yaml", nil))
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/yaml" || rec.Body.Len() != len(Document) {
		t.Errorf("GET /openapi.yaml = %d %q, %d bytes; want 200 application/yaml %d bytes",
			rec.Code, rec.Header().Get("Content-Type"), rec.Body.Len(), len(Document))
	}
}
