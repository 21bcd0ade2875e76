package config_test

import (
	"fmt"

	"github.com/counternet/counternet/internal/config"
)

// Every problem is reported at once, each with its file, line and key; a
// value taken from the environment is named by its variable.
func ExampleParse() {
	file := []byte(`nats:
  replicas: 7
  max_age: 90d
load:
  batch_size: 250000
colect:
  retries: 2
`)
	env := map[string]string{config.EnvClickHouseDSN: "http://default:hunter2@ch:8123"}
	_, err := config.Parse("counternet.yaml", file, config.WithLookupEnv(func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}))
	fmt.Println(err)
	// Output:
	// counternet.yaml:2: nats.replicas: must be between 1 and 5, got 7
	// counternet.yaml:3: nats.max_age: got string "90d", want a duration with a unit, like 30s, 2m or 2160h
	// counternet.yaml:5: load.max_ack_pending: 200000 must be greater than load.batch_size (250000): a pull consumer whose max_ack_pending is below the batch size stalls, since the loader acknowledges only after a full batch is inserted and JetStream stops delivering at max_ack_pending
	// counternet.yaml:6: colect: unknown key, did you mean "collect"?
	// (env COUNTERNET_CLICKHOUSE_DSN): clickhouse.dsn: "http://default:xxxxx@ch:8123": want a clickhouse:// or tcp:// URL (the native protocol)
}

// Redacted, String and the zerolog object never show a password.
func ExampleConfig_Redacted() {
	cfg, err := config.Default()
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg.ClickHouse.DSN = "clickhouse://loader:s3cret@ch-1:9000,ch-2:9000?dial_timeout=5s"
	fmt.Println(config.RedactURL(cfg.ClickHouse.DSN))
	// Output:
	// clickhouse://loader:xxxxx@ch-1:9000,ch-2:9000?dial_timeout=5s
}
