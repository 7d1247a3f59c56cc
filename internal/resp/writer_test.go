package resp

import "testing"

func TestWriterShapes(t *testing.T) {
	tests := []struct {
		name         string
		write        func(w *Writer)
		resp2, resp3 string
	}{
		{"simple", func(w *Writer) { w.Simple("OK") }, "+OK\r\n", "+OK\r\n"},
		{"simple strips newlines", func(w *Writer) { w.Simple("a\r\nb") }, "+a  b\r\n", "+a  b\r\n"},
		{"error", func(w *Writer) { w.Error("ERR x") }, "-ERR x\r\n", "-ERR x\r\n"},
		{"int", func(w *Writer) { w.Int(-7) }, ":-7\r\n", ":-7\r\n"},
		{"bulk", func(w *Writer) { w.BulkString("hi") }, "$2\r\nhi\r\n", "$2\r\nhi\r\n"},
		{"bulk int", func(w *Writer) { w.BulkInt(26379) }, "$5\r\n26379\r\n", "$5\r\n26379\r\n"},
		{"null", func(w *Writer) { w.Null() }, "$-1\r\n", "_\r\n"},
		{"null array", func(w *Writer) { w.NullArray() }, "*-1\r\n", "_\r\n"},
		{"map", func(w *Writer) { w.Map(1); w.BulkString("k"); w.Int(1) }, "*2\r\n$1\r\nk\r\n:1\r\n", "%1\r\n$1\r\nk\r\n:1\r\n"},
		{"set", func(w *Writer) { w.Set(1); w.BulkString("a") }, "*1\r\n$1\r\na\r\n", "~1\r\n$1\r\na\r\n"},
		{"push", func(w *Writer) { w.Push(0) }, "*0\r\n", ">0\r\n"},
		{"bool", func(w *Writer) { w.Bool(true); w.Bool(false) }, ":1\r\n:0\r\n", "#t\r\n#f\r\n"},
		{"double", func(w *Writer) { w.Double(1.5) }, "$3\r\n1.5\r\n", ",1.5\r\n"},
		{"verbatim", func(w *Writer) { w.Verbatim("txt", "a:b") }, "$3\r\na:b\r\n", "=7\r\ntxt:a:b\r\n"},
		{"strings", func(w *Writer) { w.Strings([]string{"a", ""}) }, "*2\r\n$1\r\na\r\n$0\r\n\r\n", "*2\r\n$1\r\na\r\n$0\r\n\r\n"},
	}
	for _, tt := range tests {
		for proto, want := range map[int]string{2: tt.resp2, 3: tt.resp3} {
			w := Writer{Proto: proto}
			tt.write(&w)
			if got := string(w.Bytes()); got != want {
				t.Errorf("%s RESP%d = %q, want %q", tt.name, proto, got, want)
			}
		}
	}
}

func TestAppendCommand(t *testing.T) {
	want := "*2\r\n$3\r\nGET\r\n$0\r\n\r\n"
	if got := string(AppendCommand(nil, "GET", "")); got != want {
		t.Errorf("AppendCommand(strings) = %q", got)
	}
	if got := string(AppendCommand(nil, []byte("GET"), nil)); got != want {
		t.Errorf("AppendCommand = %q", got)
	}
}

func TestTake(t *testing.T) {
	var w Writer
	w.Simple("OK")
	b := w.Take()
	w.Simple("X")
	if string(b) != "+OK\r\n" || string(w.Bytes()) != "+X\r\n" {
		t.Fatalf("Take shared its buffer: %q %q", b, w.Bytes())
	}
}
