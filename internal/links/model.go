package links

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Model is a logistic regression over the pair features, calibrated
// Platt-style: the probability of a pair is σ(A·(w·x + b) + B), and the
// contribution of a signal is A·Σ w_i·x_i over its features, in log-odds;
// Baseline (A·b + B) is the log-odds of a pair no signal speaks for.
type Model struct {
	Version   string    `json:"version"`
	Signals   []string  `json:"signals"`  // signals the model reads; the others' features are ignored
	Features  []string  `json:"features"` // every feature, in order
	Weights   []float64 `json:"weights"`  // per feature; 0 for features of signals not read
	Bias      float64   `json:"bias"`
	PlattA    float64   `json:"platt_a"`
	PlattB    float64   `json:"platt_b"`
	Lambda    float64   `json:"lambda"`    // L2 penalty it was trained with
	Threshold float64   `json:"threshold"` // probability at which a pair links
	// Training describes the data it was trained and calibrated on.
	Training string `json:"training"`
}

//go:embed model.json
var defaultModel []byte

// DefaultModel is the committed model (model.json, written by
// `counternet links train`).
func DefaultModel() (*Model, error) {
	return ParseModel(defaultModel)
}

// ParseModel reads a model's JSON and checks it fits this code's features.
func ParseModel(data []byte) (*Model, error) {
	var m Model
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("reading model: %w", err)
	}
	if !slices.Equal(m.Features, Features()) || len(m.Weights) != len(m.Features) {
		return nil, fmt.Errorf("reading model %s: its features %v are not this build's %v", m.Version, m.Features, Features())
	}
	if m.PlattA == 0 {
		return nil, errors.New("reading model: no calibration (platt_a is 0)")
	}
	return &m, nil
}

// Contribution is one signal's part of a pair's log-odds, with its evidence.
type Contribution struct {
	Signal  string
	LogOdds float64
	Evidence
}

// Score returns the probability of the pair with features x, and the
// contribution of each signal the model reads that found anything
// (evidence as pairFeatures gave it).
func (m *Model) Score(x []float64, ev []Evidence) (float64, []Contribution) {
	z := m.PlattA*m.Bias + m.PlattB
	var out []Contribution
	k := 0
	for _, s := range signals {
		var c float64
		for range s.features {
			c += m.PlattA * m.Weights[k] * x[k]
			k++
		}
		z += c
		if !slices.Contains(m.Signals, s.name) {
			continue
		}
		for _, e := range ev {
			if e.Signal == s.name {
				out = append(out, Contribution{Signal: s.name, LogOdds: c, Evidence: e})
			}
		}
	}
	return sigmoid(z), out
}

// Baseline is the log-odds of a pair no signal speaks for.
func (m *Model) Baseline() float64 { return m.PlattA*m.Bias + m.PlattB }

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// Example is one labelled pair's features.
type Example struct {
	X    []float64
	Same bool
}

// Train fits a model reading sigs on train and calibrates it on calib
// (pairs of other identities), with L2 penalty lambda.
func Train(sigs []string, train, calib []Example, lambda float64, training string) (*Model, error) {
	feats := Features()
	mask := make([]bool, len(feats))
	k := 0
	for _, s := range signals {
		for range s.features {
			mask[k] = slices.Contains(sigs, s.name)
			k++
		}
	}
	use := func(x []float64) []float64 {
		out := make([]float64, 0, len(x)+1)
		for i, v := range x {
			if mask[i] {
				out = append(out, v)
			}
		}
		return append(out, 1)
	}
	X := make([][]float64, len(train))
	y := make([]float64, len(train))
	for i, e := range train {
		X[i] = use(e.X)
		if e.Same {
			y[i] = 1
		}
	}
	w, err := logistic(X, y, lambda)
	if err != nil {
		return nil, fmt.Errorf("training: %w", err)
	}
	m := &Model{Signals: sigs, Features: feats, Weights: make([]float64, len(feats)), Lambda: lambda, Threshold: 0.5, Training: training}
	j := 0
	for i := range feats {
		if mask[i] {
			m.Weights[i] = w[j]
			j++
		}
	}
	m.Bias = w[len(w)-1]
	Z := make([][]float64, len(calib))
	yc := make([]float64, len(calib))
	for i, e := range calib {
		z := m.Bias
		for f, v := range e.X {
			z += m.Weights[f] * v
		}
		Z[i] = []float64{z, 1}
		if e.Same {
			yc[i] = 1
		}
	}
	ab, err := logistic(Z, yc, 1e-3)
	if err != nil {
		return nil, fmt.Errorf("calibrating: %w", err)
	}
	m.PlattA, m.PlattB = ab[0], ab[1]
	if m.PlattA <= 0 {
		return nil, fmt.Errorf("calibrating: the model's scores do not rise with the truth on the calibration pairs (A = %.3f)", m.PlattA)
	}
	// The version names the weights to 6 significant digits, so the same
	// training on another machine gives the same version.
	sum := sha256.Sum256(fmt.Appendf(nil, "%.6g %.6g %.6g %.6g %v", m.Weights, m.Bias, m.PlattA, m.PlattB, m.Signals))
	m.Version = "lr-" + hex.EncodeToString(sum[:6])
	return m, nil
}

// logistic fits weights (the last column of X is the intercept, not
// penalized) by Newton's method with an L2 penalty lambda.
func logistic(X [][]float64, y []float64, lambda float64) ([]float64, error) {
	if len(X) == 0 {
		return nil, errors.New("no examples")
	}
	d := len(X[0])
	w := make([]float64, d)
	for iter := 0; iter < 50; iter++ {
		H := make([][]float64, d)
		for i := range H {
			H[i] = make([]float64, d+1)
		}
		for i, x := range X {
			z := 0.0
			for k, v := range x {
				z += w[k] * v
			}
			p := sigmoid(z)
			r := p * (1 - p)
			for a := range d {
				H[a][d] += (y[i] - p) * x[a]
				for b := a; b < d; b++ {
					H[a][b] += r * x[a] * x[b]
				}
			}
		}
		for a := range d {
			for b := 0; b < a; b++ {
				H[a][b] = H[b][a]
			}
			if a < d-1 {
				H[a][a] += lambda
				H[a][d] -= lambda * w[a]
			} else {
				H[a][a] += 1e-9
			}
		}
		step, err := solve(H)
		if err != nil {
			return nil, err
		}
		var change float64
		for k := range w {
			w[k] += step[k]
			change = max(change, math.Abs(step[k]))
		}
		if change < 1e-8 {
			break
		}
	}
	return w, nil
}

// solve solves the augmented system A|b by Gaussian elimination with
// partial pivoting.
func solve(A [][]float64) ([]float64, error) {
	n := len(A)
	for c := range n {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(A[r][c]) > math.Abs(A[p][c]) {
				p = r
			}
		}
		if math.Abs(A[p][c]) < 1e-12 {
			return nil, fmt.Errorf("singular system at column %d (a feature never varies: add examples or penalty)", c)
		}
		A[c], A[p] = A[p], A[c]
		for r := c + 1; r < n; r++ {
			f := A[r][c] / A[c][c]
			for k := c; k <= n; k++ {
				A[r][k] -= f * A[c][k]
			}
		}
	}
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		s := A[r][n]
		for k := r + 1; k < n; k++ {
			s -= A[r][k] * x[k]
		}
		x[r] = s / A[r][r]
	}
	return x, nil
}

// Explain says a link's contributions in one line: "pgp +9.8, handle +2.1
// (baseline -8.6)".
func Explain(l Link, m *Model) string {
	var b strings.Builder
	for i, c := range l.Contributions {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %+.2f", c.Signal, c.LogOdds)
	}
	fmt.Fprintf(&b, " (baseline %+.2f)", m.Baseline())
	return b.String()
}
