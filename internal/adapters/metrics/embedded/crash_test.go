package embedded

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/headroom-oss/headroom/internal/adapters/metrics"
)

// crashChild, run as a child process, appends batches to the store in HEADROOM_CRASH_DIR and
// prints the number of each batch once Append has returned (acknowledged), until it is killed.
func crashChild() {
	s, err := Open(Options{Dir: os.Getenv("HEADROOM_CRASH_DIR")})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	w := bufio.NewWriter(os.Stdout)
	for b := 0; ; b++ {
		batch := make([]metrics.Sample, 100)
		for i := range batch {
			batch[i] = metrics.Sample{Labels: metrics.Labels{"__name__": "ingested", "series": strconv.Itoa(i)},
				T: t0.Add(time.Duration(b) * time.Second), V: float64(b)}
		}
		if err := s.Append(context.Background(), batch); err != nil {
			fmt.Println("append:", err)
			os.Exit(1)
		}
		fmt.Fprintln(w, b)
		w.Flush()
	}
}

func TestMain(m *testing.M) {
	if os.Getenv("HEADROOM_CRASH_DIR") != "" {
		crashChild()
	}
	os.Exit(m.Run())
}

// kill -9 while samples are being appended, then reopen: the write-ahead log replays and every
// batch the store acknowledged is there.
func TestNoAcknowledgedSampleIsLostOnKill9(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "HEADROOM_CRASH_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	last := -1
	for sc.Scan() {
		n, err := strconv.Atoi(sc.Text())
		if err != nil {
			t.Fatalf("child: %s", sc.Text())
		}
		last = n
		if last == 300 {
			cmd.Process.Signal(syscall.SIGKILL)
			break
		}
	}
	cmd.Wait()
	if last < 300 {
		t.Fatalf("the child acknowledged only %d batches", last)
	}
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Query(context.Background(), `count_over_time(ingested{series="7"}[1h])`, t0.Add(time.Duration(last)*time.Second))
	if err != nil || len(got) != 1 || int(got[0].V) < last+1 {
		t.Fatalf("after kill -9: %v samples of series 7, %v; %d batches were acknowledged", got, err, last+1)
	}
}
