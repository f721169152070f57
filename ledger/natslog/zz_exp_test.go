package natslog

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"
)

func TestZZBatchCost(t *testing.T) {
	r := startRaw(t, t.TempDir(), false, true)
	_, js := r.connect(t)
	ctx := context.Background()
	cfg := streamConfig(Config{MaxMsgSize: 65536, DuplicateWindow: 2 * time.Minute})
	if _, err := js.CreateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	k := 0
	mk := func() *nats.Msg {
		k++
		m := nats.NewMsg(fmt.Sprintf("%sp%d", SubjectPrefix, k))
		m.Data = entryBytes(k, 1024)
		m.Header.Set(jetstream.MsgIDHeader, fmt.Sprint(k))
		m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, "0")
		return m
	}
	fc := jetstreamext.BatchFlowControl{AckFirst: false}
	for _, size := range []int{1, 2, 4, 16, 64, 256} {
		n := 0
		t0 := time.Now()
		for time.Since(t0) < time.Second {
			ms := make([]*nats.Msg, size)
			for i := range ms {
				ms[i] = mk()
			}
			if _, err := jetstreamext.PublishMsgBatch(ctx, js, ms, fc); err != nil {
				t.Fatal(err)
			}
			n++
		}
		per := time.Since(t0) / time.Duration(n)
		t.Logf("size %d: %v per batch, %.0f msgs/s", size, per, float64(size)/per.Seconds())
	}
}
