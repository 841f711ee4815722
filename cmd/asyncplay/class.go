package main

import (
	"flag"
	"fmt"

	"github.com/asyncplay/asyncplay/server"
	"github.com/asyncplay/asyncplay/server/roombus"
)

// classFlags adds the classroom's flags to fs; the function it returns
// fills cfg.Class from them once fs is parsed, and gives back what to close
// when the server stops.
func classFlags(fs *flag.FlagSet, env *envDefaults) func(cfg *server.Config) (closer func(), err error) {
	natsURL := fs.String("nats", envOr("ASYNCPLAY_NATS", ""), "NATS server URL (e.g. nats://10.0.0.2:4222) shared by several asyncplay instances, so a class spans them (env ASYNCPLAY_NATS; default: classes live in this server's memory)")
	capacity := fs.Int("class-capacity", env.Int("ASYNCPLAY_CLASS_CAPACITY", 500), "students in one class at most (env ASYNCPLAY_CLASS_CAPACITY)")
	classes := fs.Int("max-classes", env.Int("ASYNCPLAY_MAX_CLASSES", 100), "classes this server runs at once (env ASYNCPLAY_MAX_CLASSES)")
	joinRate := fs.Int("class-join-rate", env.Int("ASYNCPLAY_CLASS_JOIN_RATE", 10), "class sockets opened per second from one address, in bursts of 200; a school behind one NAT shares an address (env ASYNCPLAY_CLASS_JOIN_RATE)")
	public := fs.String("public-url", envOr("ASYNCPLAY_PUBLIC_URL", ""), "where students reach this server, for the class join link and QR code, e.g. http://10.0.0.5:8080 (env ASYNCPLAY_PUBLIC_URL; default: the address the teacher used, with localhost swapped for this machine's LAN address)")
	return func(cfg *server.Config) (func(), error) {
		for _, err := range []error{
			atLeast("class-capacity", *capacity, 1, "1 or more students"),
			atLeast("max-classes", *classes, 1, "1 or more"),
			atLeast("class-join-rate", *joinRate, 1, "1 or more a second"),
		} {
			if err != nil {
				return nil, err
			}
		}
		cfg.Class = server.ClassConfig{Capacity: *capacity, MaxRooms: *classes, JoinRate: float64(*joinRate), PublicURL: *public}
		if *natsURL == "" {
			return func() {}, nil
		}
		nc, err := roombus.Dial(*natsURL, "asyncplay")
		if err != nil {
			return nil, fmt.Errorf("--nats: %w", err)
		}
		cfg.Class.Bus = roombus.NewNATS(nc)
		cfg.Logger.Info("classes are shared over nats", "url", *natsURL)
		return nc.Close, nil
	}
}
