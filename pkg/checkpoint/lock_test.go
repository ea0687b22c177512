package checkpoint

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestLockStateDir_SecondPluginWaitsForTheFirst(t *testing.T) {
	dir := t.TempDir()
	first, err := LockStateDir(context.Background(), dir)
	if err != nil {
		t.Fatalf("first lock: %v", err)
	}

	// While the first holds it, a second gives up when its context ends.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if f, err := LockStateDir(ctx, dir); err == nil || !errors.Is(err, context.Canceled) {
		if f != nil {
			f.Close()
		}
		t.Fatalf("second lock while the first is held: err = %v, want context.Canceled", err)
	}

	got := make(chan error, 1)
	go func() {
		f, err := LockStateDir(context.Background(), dir)
		if err == nil {
			defer f.Close()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("second lock returned (%v) while the first was held", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("second lock after the first was released: %v", err)
	}
}
