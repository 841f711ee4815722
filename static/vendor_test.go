package static

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVendoredChecksums checks every file listed in vendor/VERSIONS against
// the sha256 recorded there, so a hand edit or a partial refresh of the
// vendored third-party files is caught. Regenerate with vendor/refresh.sh.
func TestVendoredChecksums(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("vendor", "VERSIONS"))
	if err != nil {
		t.Fatalf("reading vendor/VERSIONS: %v", err)
	}
	checked := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	for lineNo := 1; sc.Scan(); lineNo++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 4 || !strings.HasPrefix(fields[3], "sha256:") {
			t.Errorf("vendor/VERSIONS:%d: want \"<name> <package@version> <path> sha256:<hex>\", got %q", lineNo, line)
			continue
		}
		name, want := fields[0], strings.TrimPrefix(fields[3], "sha256:")
		if name != filepath.Base(name) || name == "." || name == ".." {
			t.Errorf("vendor/VERSIONS:%d: file name %q must be a plain name inside vendor/", lineNo, name)
			continue
		}
		checked++
		content, err := os.ReadFile(filepath.Join("vendor", name))
		if err != nil {
			t.Errorf("vendored file vendor/%s (listed in VERSIONS as %s %s) is missing or unreadable: %v", name, fields[1], fields[2], err)
			continue
		}
		sum := sha256.Sum256(content)
		if got := hex.EncodeToString(sum[:]); !strings.EqualFold(got, want) {
			t.Errorf("vendored file vendor/%s does not match VERSIONS (%s %s): sha256 is %s, want %s; run static/vendor/refresh.sh instead of editing it", name, fields[1], fields[2], got, want)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading vendor/VERSIONS: %v", err)
	}
	if checked == 0 {
		t.Fatal("vendor/VERSIONS lists no files")
	}
}
