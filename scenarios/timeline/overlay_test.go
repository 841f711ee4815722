package timeline

import (
	"reflect"
	"testing"
)

func TestHeldSteps(t *testing.T) {
	tl := build(twoDownloads)
	got := tl.At(tl.Last()).HeldSteps()
	want := []Span{{Start: 0, End: ms(1500), N: 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("HeldSteps = %+v; want %+v (one permit held throughout, handed over at 1s)", got, want)
	}
	two := build([]Event{
		{At: 0, Lane: "a", Kind: Acquire, Label: "semaphore"},
		{At: ms(100), Lane: "b", Kind: Acquire, Label: "semaphore"},
		{At: ms(300), Lane: "a", Kind: Release, Label: "semaphore"},
		{At: ms(400), Lane: "b", Kind: Release, Label: "semaphore"},
	})
	got = two.At(ms(400)).HeldSteps()
	want = []Span{{0, ms(100), 1}, {ms(100), ms(300), 2}, {ms(300), ms(400), 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("HeldSteps = %+v; want %+v", got, want)
	}
	if MaxN(got) != 2 {
		t.Errorf("MaxN = %d; want 2", MaxN(got))
	}
}

func TestQueueSteps(t *testing.T) {
	tl := build([]Event{
		{At: 0, Lane: "p", Kind: Put, Value: 1},
		{At: ms(100), Lane: "p", Kind: Put, Value: 2},
		{At: ms(250), Lane: "c", Kind: Get, Value: 1},
		{At: ms(400), Lane: "c", Kind: Get, Value: 0},
	})
	got := tl.At(ms(500)).QueueSteps()
	want := []Span{{0, ms(100), 1}, {ms(100), ms(250), 2}, {ms(250), ms(400), 1}, {ms(400), ms(500), 0}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("QueueSteps = %+v; want %+v", got, want)
	}
}

func TestInstants(t *testing.T) {
	tl := build([]Event{
		{At: ms(200), Lane: "b", Kind: Set, Label: "event"},
		{At: ms(100), Lane: "a", Kind: Log, Label: "x"},
		{At: ms(50), Lane: "a", Kind: Set, Label: "event"},
	})
	got := tl.At(ms(300)).Instants(Set)
	if len(got) != 2 || got[0].At != ms(50) || got[1].At != ms(200) {
		t.Errorf("Instants(Set) = %v; want the two sets in time order", got)
	}
}
