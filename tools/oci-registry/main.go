// oci-registry: go-containerregistry's registry (the one its own tests, cosign's and oras's run
// against) on a loopback port, for the tests of kaze-policy's registry probe. With
// -referrers it serves the OCI 1.1 referrers API; without, clients must use the fallback tag
// schema, as with registries that lack the API.
package main

import (
	"flag"
	"log"
	"net"
	"net/http"
	"os"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	address := flag.String("address", "127.0.0.1:0", "where to listen")
	referrers := flag.Bool("referrers", false, "serve the OCI referrers API")
	flag.Parse()
	listener, err := net.Listen("tcp", *address)
	if err != nil {
		log.Fatal(err)
	}
	// The address actually bound, on the first line of standard output, for the test to read.
	os.Stdout.WriteString(listener.Addr().String() + "\n")
	quiet := log.New(os.Stderr, "", 0)
	log.Fatal(http.Serve(listener, registry.New(registry.Logger(quiet), registry.WithReferrersSupport(*referrers))))
}
