// Package bench measures what the plugin hop costs an operator. Its
// benchmarks run every operation twice, side by side in one run on one
// machine: once through Gatehouse (the real plugin binaries, launched by
// host/supervisor or by `gatehouse serve`) and once against a baseline
// (the same driver in process, a bare gRPC health check, a bare Go HTTP
// handler, a plain LDAP search and bind). TestMain prints one table of
// the pairs with their ratios and the targets of BENCHMARKS.md.
//
//	make bench                 # the full suite, about five minutes
//	make bench BENCHFLAGS=-quick
//
// The package holds only benchmarks; `go test ./...` runs none of them.
package bench
