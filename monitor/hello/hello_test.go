package hello

import (
	"errors"
	"math"
	"strconv"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const id = "f6914dd873b62013ddbbbf975300c9e124ad34a8"

func TestParse(t *testing.T) {
	tests := []struct {
		payload string
		want    Hello
	}{
		{"127.0.0.1,27101," + id + ",0,mymaster,127.0.0.1,7100,0",
			Hello{"127.0.0.1", 27101, id, 0, "mymaster", "127.0.0.1", 7100, 0}},
		{"::1,26379," + id + ",12,my-master,redis.example,6379,11",
			Hello{"::1", 26379, id, 12, "my-master", "redis.example", 6379, 11}},
		// atoi and strtoull leniency: leading blanks and sign, trailing garbage, overflow.
		{" h, +12x,r, 7z,m,mh,abc,-1",
			Hello{" h", 12, "r", 7, "m", "mh", 0, math.MaxUint64}},
		{"h,4294967297,r,99999999999999999999,m,mh,-2147483649,18446744073709551616",
			Hello{"h", 1, "r", math.MaxUint64, "m", "mh", math.MaxInt32, math.MaxUint64}},
		{",,,,,,,", Hello{}},
		{"h\x00x,1,r\x00,2,m\x00m,\x00,3\x004,5", Hello{"h", 1, "r", 2, "m", "", 3, 5}},
	}
	for _, tt := range tests {
		if got, err := Parse(tt.payload); err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tt.payload, got, err, tt.want)
		}
	}
}

func TestParseFieldCount(t *testing.T) {
	tests := []struct {
		payload string
		fields  int
	}{
		{"", 0},
		{"a", 1},
		{"127.0.0.1,26379," + id + ",0,mymaster,127.0.0.1,6379", 7},
		{"127.0.0.1,26379," + id + ",0,mymaster,127.0.0.1,6379,0,", 9},
		{"1,2,3,4,5,6,7,8,9,10", 10},
	}
	for _, tt := range tests {
		_, err := Parse(tt.payload)
		want := ErrFields.Error() + " (has " + strconv.Itoa(tt.fields) + ")"
		if !errors.Is(err, ErrFields) || err.Error() != want {
			t.Errorf("Parse(%q): error %v, want %q", tt.payload, err, want)
		}
	}
}

func TestString(t *testing.T) {
	h := Hello{"127.0.0.1", 27101, id, 3, "mymaster", "127.0.0.1", 7100, math.MaxUint64}
	want := "127.0.0.1,27101," + id + ",3,mymaster,127.0.0.1,7100,18446744073709551615"
	if got := h.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got := string(h.Append([]byte("PUBLISH x "))); got != "PUBLISH x "+want {
		t.Errorf("Append kept no prefix: %q", got)
	}
	if back, err := Parse(want); err != nil || back != h {
		t.Errorf("round trip: %+v, %v", back, err)
	}
	neg := Hello{Port: -1, MasterPort: math.MinInt32}
	if back, err := Parse(neg.String()); err != nil || back != neg {
		t.Errorf("negative ports: %q parsed as %+v, %v", neg.String(), back, err)
	}
}

func TestFromSelf(t *testing.T) {
	p := "127.0.0.1,26379," + id + ",0,mymaster,127.0.0.1,6379,0"
	if !FromSelf(p, id) {
		t.Error("own hello not recognised")
	}
	if FromSelf(p, "0000000000000000000000000000000000000000") {
		t.Error("other sentinel's hello taken for ours")
	}
	// redis-sentinel searches anywhere in the payload, not only the run ID field.
	if !FromSelf("x,1,y,0,"+id+",h,1,0", id) {
		t.Error("run ID in the master name not found")
	}
	if FromSelf("x\x00"+p, id) {
		t.Error("searched past a NUL")
	}
}

func BenchmarkParse(b *testing.B) {
	p := "127.0.0.1,27101," + id + ",0,mymaster,127.0.0.1,7100,0"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(p); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, payload string) {
		h, err := Parse(payload)
		if err != nil {
			if !errors.Is(err, ErrFields) {
				t.Fatalf("Parse(%q): unexpected error %v", payload, err)
			}
			return
		}
		s := h.String()
		h2, err := Parse(s)
		if err != nil || h2 != h {
			t.Fatalf("Parse(%q) = %+v; its String %q parses as %+v, %v", payload, h, s, h2, err)
		}
		if s2 := h2.String(); s2 != s {
			t.Fatalf("String not idempotent: %q then %q", s, s2)
		}
	})
}
