package natslog

import (
	"net"
	"net/url"
	"strings"

	"github.com/nats-io/nats.go"
)

// clusterServers returns how many servers the connected deployment has, as far as
// the client can tell: 1 when the server is not in a cluster, else the number of
// distinct servers in the client's pool (the URLs it was given and those the
// servers advertise to it).
func clusterServers(nc *nats.Conn) int {
	if nc.ConnectedClusterName() == "" {
		return 1
	}
	seen := map[string]bool{}
	for _, s := range nc.Servers() {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			continue
		}
		host, port := u.Hostname(), u.Port()
		if port == "" {
			port = "4222"
		}
		if strings.EqualFold(host, "localhost") {
			host = "127.0.0.1"
		}
		seen[net.JoinHostPort(strings.ToLower(host), port)] = true
	}
	return max(len(seen), 1)
}

// autoReplicas is the replica count a new stream gets when Config.Replicas is 0:
// three in a cluster of three or more servers, else one per server.
func autoReplicas(servers int) int { return min(3, max(servers, 1)) }
