package main

import "testing"

func TestParseLoads(t *testing.T) {
	got, err := parseLoads("1x500, 20x30")
	if err != nil || len(got) != 2 || got[0] != (load{1, 500}) || got[1] != (load{20, 30}) {
		t.Errorf("parseLoads(1x500, 20x30) = %v, %v; want [{1 500} {20 30}]", got, err)
	}
	for _, bad := range []string{"", "500", "0x10", "1x", "ax5"} {
		if got, err := parseLoads(bad); err == nil {
			t.Errorf("parseLoads(%q) = %v, nil; want an error", bad, got)
		}
	}
}
