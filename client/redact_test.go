package client

import (
	"strings"
	"testing"
	"unicode/utf8"
)

const (
	secretSK = "SKsecretsecretsecretsecret0001"
	secretAK = "AKIDTESTTESTTEST0001"
)

// fragments returns every FragmentLen-byte piece of the secrets.
func fragments(secrets ...string) []string {
	var out []string
	for _, s := range secrets {
		for i := 0; i+FragmentLen <= len(s); i++ {
			out = append(out, s[i:i+FragmentLen])
		}
	}
	return out
}

func assertNoFragment(t *testing.T, where, got string, secrets ...string) {
	t.Helper()
	for _, f := range fragments(secrets...) {
		if strings.Contains(got, f) {
			t.Errorf("%s: %q shows the secret fragment %q", where, got, f)
			return
		}
	}
}

func TestRedactorRemovesSecretsBeforeTheCut(t *testing.T) {
	r := NewRedactor(secretAK, secretSK, "", "ab")
	pad := strings.Repeat("x", MaxMessageLen-10)
	cases := map[string]string{
		"whole secret":             "failed for " + secretSK,
		"secret across the cut":    pad + secretSK,
		"secret just past the cut": strings.Repeat("y", MaxMessageLen) + secretSK,
		"first 15 characters":      "key " + secretSK[:15] + " end",
		"last 9 characters":        secretSK[len(secretSK)-9:],
		"two secrets":              secretAK + "/" + secretSK,
		"inside a word":            "abc" + secretSK + "def",
	}
	for name, in := range cases {
		got := r.Message(in)
		assertNoFragment(t, name, got, secretAK, secretSK)
		if len(got) > MaxMessageLen {
			t.Errorf("%s: %d bytes, over the bound", name, len(got))
		}
	}
	if got := r.Message("key " + secretSK + " end"); got != "key "+Redacted+" end" {
		t.Errorf("whole secret: %q", got)
	}
	if got := r.Message("short ab stays"); got != "short ab stays" {
		t.Errorf("a 2-byte value is not treated as a secret: %q", got)
	}
}

func TestRedactorShortSecretsAndRotation(t *testing.T) {
	r := NewRedactor("abcd12")
	if got := r.Message("x abcd12 y abcd12"); got != "x "+Redacted+" y "+Redacted {
		t.Errorf("short secret: %q", got)
	}
	r.SetSecrets("newsecret-0002")
	if got := r.Message("abcd12 newsecret-0002"); got != "abcd12 "+Redacted {
		t.Errorf("after rotation: %q", got)
	}
}

func TestRedactorFoldsAndBounds(t *testing.T) {
	var r Redactor // zero value: bounds only
	if got := r.Message("line1\nFAKE LOG LINE\r\n\tlevel=error   x"); got != "line1 FAKE LOG LINE level=error x" {
		t.Errorf("folded: %q", got)
	}
	long := strings.Repeat("é", 400)
	got := r.Label(long)
	if len(got) > MaxLabelLen || !utf8.ValidString(got) || !strings.HasSuffix(got, "…") {
		t.Errorf("label %d bytes valid %v: %q", len(got), utf8.ValidString(got), got)
	}
	if got := r.Label("PC-\xff\xfe"); got != "PC-\ufffd\ufffd" && got != "PC-\ufffd" {
		t.Errorf("invalid UTF-8: %q", got)
	}
	if got := r.Label("Room 1  A"); got != "Room 1  A" {
		t.Errorf("labels keep inner spaces: %q", got)
	}
	var nilRed *Redactor
	if got := nilRed.Message("ok"); got != "ok" {
		t.Errorf("nil redactor: %q", got)
	}
}

func FuzzRedactor(f *testing.F) {
	f.Add("failed " + secretSK)
	f.Add(strings.Repeat("x", 320) + secretSK[:12])
	f.Add("\xff" + secretAK[3:])
	r := NewRedactor(secretAK, secretSK)
	f.Fuzz(func(t *testing.T, s string) {
		for _, got := range []string{r.Message(s), r.Label(s)} {
			if len(got) > MaxMessageLen || !utf8.ValidString(got) {
				t.Fatalf("unbounded or invalid: %d bytes", len(got))
			}
			assertNoFragment(t, "fuzz", got, secretAK, secretSK)
		}
	})
}

func BenchmarkRedactorLabel(b *testing.B) {
	r := NewRedactor(secretAK, secretSK, "TOKENtokentokentoken0001")
	b.ReportAllocs()
	for b.Loop() {
		_ = r.Label("FINANCE-DESKTOP-0001")
	}
}
