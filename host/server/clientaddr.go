package server

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientAddr returns r with RemoteAddr set to the client's address when
// the request came through a trusted proxy: the right-most address of
// X-Forwarded-For that is not itself a trusted proxy. A request from an
// untrusted peer keeps its peer address, whatever headers it sends, so a
// client cannot choose the address its rate limits are counted by.
func clientAddr(r *http.Request, trusted []netip.Prefix) *http.Request {
	if len(trusted) == 0 || !isTrusted(peerIP(r.RemoteAddr), trusted) {
		return r
	}
	hops := r.Header.Values("X-Forwarded-For")
	for i := len(hops) - 1; i >= 0; i-- {
		parts := strings.Split(hops[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			ip, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
			if err != nil {
				return r // a garbled chain: keep the proxy's address
			}
			if !isTrusted(ip, trusted) {
				r2 := r.Clone(r.Context())
				r2.RemoteAddr = net.JoinHostPort(ip.String(), "0")
				return r2
			}
		}
	}
	return r
}

func peerIP(remoteAddr string) netip.Addr {
	ap, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

func isTrusted(ip netip.Addr, trusted []netip.Prefix) bool {
	if !ip.IsValid() {
		return false
	}
	for _, p := range trusted {
		if p.Contains(ip.Unmap()) {
			return true
		}
	}
	return false
}
