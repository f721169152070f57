package projections

import (
	"runtime"
	"strings"
	"testing"
)

// Validate reports every problem at once; the zero Config takes its defaults.
func TestConfigValidate(t *testing.T) {
	err := (&Config{InventoryWindow: -1, RingSize: -1, Workers: -2}).Validate()
	for _, want := range []string{"InventoryWindow", "RingSize", "Workers"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to name %s", err, want)
		}
	}
	var c Config
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.setDefaults()
	if want := min(max(runtime.GOMAXPROCS(0)/2, 1), DefaultMaxWorkers); c.Workers != want {
		t.Errorf("default Workers %d, want %d", c.Workers, want)
	}
}
