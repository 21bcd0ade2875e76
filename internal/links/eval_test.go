package links

import (
	"testing"
)

func TestEvaluatePeek(t *testing.T) {
	ss, err := Evaluate(SignalSets)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + FormatScores(ss))
	t.Logf("%+v", ss[0].Model)
}
